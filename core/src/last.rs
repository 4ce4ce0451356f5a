//! Last activity (XEP-0012): a time (second precision, as the reference) and a status.

use mimql_entities::last_activity;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::accounts::{lock_user, user_id};
use crate::db::begin_write;
use crate::jid::Jid;
use crate::xml::{InvalidChar, check_chars};

#[derive(Debug, thiserror::Error)]
pub enum LastError {
    #[error("user does not exist")]
    UserNotFound,
    #[error("no last activity stored")]
    NotFound,
    /// The status holds a character XML (and so XMPP) cannot carry.
    #[error("the status contains {0}, which XML cannot carry")]
    InvalidChar(InvalidChar),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The last-activity service: owns its transactions.
pub struct LastActivity {
    db: DatabaseConnection,
}

impl LastActivity {
    pub fn new(db: DatabaseConnection) -> LastActivity {
        LastActivity { db }
    }

    /// Stores the user's last activity: `seconds` since the epoch and a status.
    pub async fn set(&self, user: &Jid, seconds: i64, status: &str) -> Result<(), LastError> {
        check_chars(status).map_err(LastError::InvalidChar)?;
        let txn = begin_write(&self.db).await?;
        // Locked: a removal of the account waits, or has happened (no foreign-key failure).
        let id = lock_user(&txn, user)
            .await?
            .ok_or(LastError::UserNotFound)?;
        let row = last_activity::ActiveModel {
            user_id: Set(id),
            seconds: Set(seconds),
            status: Set(status.to_string()),
        };
        last_activity::Entity::insert(row)
            .on_conflict(
                OnConflict::column(last_activity::Column::UserId)
                    .update_columns([
                        last_activity::Column::Seconds,
                        last_activity::Column::Status,
                    ])
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// (seconds since the epoch, status) of the user's last activity.
    pub async fn get(&self, user: &Jid) -> Result<(i64, String), LastError> {
        let id = user_id(&self.db, user)
            .await?
            .ok_or(LastError::UserNotFound)?;
        let row = last_activity::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(LastError::NotFound)?;
        Ok((row.seconds, row.status))
    }
}

/// Part of removing an account (the caller holds the user's lock).
pub async fn remove_user<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    last_activity::Entity::delete_many()
        .filter(last_activity::Column::UserId.eq(user_id))
        .exec(c)
        .await?;
    Ok(())
}
