//! Account removal (`unregister`, admin `removeUser`): one transaction that takes every lock
//! in one sorted step and then asks each module to delete what the user owns. It sits above
//! the modules it calls, so that none of them (accounts included) needs to know about the
//! others.

use mimql_entities::user;
use sea_orm::{DatabaseTransaction, DbErr, EntityTrait};

use crate::accounts::{AccountError, Accounts, lock_users, user_id};
use crate::jid::Jid;

/// Removes the account and, in the same transaction, everything the user owns.
///
/// Every lock is taken in one sorted step: the user's rooms first (as everywhere), then the
/// user's row together with the rows of its local contacts, in id order, as a subscription
/// between two users takes them. Taking the user first and the contacts later deadlocked
/// against a contact's subscription on PostgreSQL. A contact added between reading the
/// roster and taking the locks is noticed, and the transaction starts over.
///
/// Answers the changes to the contacts' rosters, for [`crate::roster::Roster::push`].
pub async fn remove_account(
    accounts: &Accounts,
    jid: &Jid,
) -> Result<crate::roster::Changes, AccountError> {
    const ATTEMPTS: usize = 5;
    let bare = jid.to_bare();
    for attempt in 1..=ATTEMPTS {
        let txn = crate::db::begin_write(accounts.db()).await?;
        // Rooms are locked before users by every transaction that touches both.
        crate::muc_light::lock_rooms_of(&txn, &bare).await?;
        crate::muc::lock_rooms_of(&txn, &bare).await?;
        let Some(id) = user_id(&txn, &bare).await? else {
            return Err(AccountError::NotFound);
        };
        let contacts = crate::roster::local_contacts(&txn, id, &bare).await?;
        let mut ids: Vec<i64> = contacts.clone();
        ids.push(id);
        let locked = lock_users(&txn, &ids).await?;
        if !locked.contains(&id) {
            return Err(AccountError::NotFound);
        }
        // Under the locks nobody can change the roster any more; what it holds now is what
        // the removal will touch.
        let now = crate::roster::local_contacts(&txn, id, &bare).await?;
        if attempt < ATTEMPTS && now.iter().any(|c| !ids.contains(c)) {
            drop(txn);
            continue;
        }
        let pushes = remove_user_data(&txn, id, &bare).await?;
        user::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        accounts.invalidate(&bare.to_string());
        return Ok(pushes);
    }
    unreachable!("the last attempt always completes")
}

/// Deletes the rows of every table that belong to the user (the `users` row itself is deleted
/// by the caller, in the same transaction); answers the changes to the contacts' rosters.
pub async fn remove_user_data(
    txn: &DatabaseTransaction,
    user_id: i64,
    jid: &Jid,
) -> Result<crate::roster::Changes, DbErr> {
    let pushes = crate::roster::remove_user(txn, user_id, jid).await?;
    crate::vcard::remove_user(txn, user_id).await?;
    crate::private::remove_user(txn, user_id).await?;
    crate::blocking::remove_user(txn, user_id).await?;
    crate::last::remove_user(txn, user_id).await?;
    crate::muc_light::remove_user(txn, user_id).await?;
    crate::muc::remove_user(txn, jid).await?;
    crate::archive::remove_user(txn, user_id).await?;
    crate::inbox::remove_user(txn, user_id).await?;
    crate::offline::remove_user(txn, user_id).await?;
    // Abandoned: deleted with their files once the removal has committed.
    crate::upload::remove_user(txn, user_id).await?;
    // Every token of the user dies with this row (Bearer needs it).
    crate::token::remove_user(txn, user_id, jid).await?;
    crate::accounts::remove_scram_keys(txn, user_id).await?;
    Ok(pushes)
}
