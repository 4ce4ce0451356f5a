//! Everything a user owns, removed with the account (`unregister`, admin `removeUser`) inside
//! the caller's transaction. Each category that stores per-user rows adds its delete here.

use sea_orm::{DatabaseTransaction, DbErr};

use crate::jid::Jid;

/// Deletes the rows of every table that belong to the user (the `users` row itself is deleted
/// by the caller, in the same transaction). No category stores per-user data yet besides the
/// account row; roster, vCard, private storage and last activity add theirs here.
pub async fn remove_user_data(
    _txn: &DatabaseTransaction,
    _user_id: i64,
    _jid: &Jid,
) -> Result<(), DbErr> {
    Ok(())
}
