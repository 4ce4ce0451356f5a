//! Everything a user owns, removed with the account (`unregister`, admin `removeUser`) inside
//! the caller's transaction. Each category that stores per-user rows adds its delete here.

use mimql_entities::{last_activity, private_item, vcard};
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};

use crate::jid::Jid;

/// Deletes the rows of every table that belong to the user (the `users` row itself is deleted
/// by the caller, in the same transaction).
pub async fn remove_user_data(
    txn: &DatabaseTransaction,
    user_id: i64,
    jid: &Jid,
) -> Result<(), DbErr> {
    crate::roster::remove_user(txn, user_id, jid).await?;
    vcard::Entity::delete_many()
        .filter(vcard::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    private_item::Entity::delete_many()
        .filter(private_item::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    last_activity::Entity::delete_many()
        .filter(last_activity::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    crate::muc_light::remove_user(txn, user_id).await?;
    crate::muc::remove_user(txn, jid).await?;
    crate::archive::remove_user(txn, user_id).await?;
    crate::inbox::remove_user(txn, user_id).await?;
    // Every token of the user dies with this row (Bearer needs it).
    crate::token::remove_user(txn, user_id, jid).await?;
    Ok(())
}
