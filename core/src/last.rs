//! Last activity (XEP-0012): a time (second precision, as the reference) and a status.

use mimql_entities::{last_activity, user};
use sea_orm::sea_query::{OnConflict, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set,
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
    /// A domain this server does not serve (the admin's domain-wide queries).
    #[error("domain not served")]
    DomainNotFound,
    /// Whether a user is online could not be told (the session registry failed).
    #[error("the session registry is unavailable: {0}")]
    Sessions(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The ids of the accounts of `domain`.
fn users_of(domain: &str) -> SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::Server.eq(domain))
        .to_owned()
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

    /// How many users of `domain` were active after `since` (seconds since the epoch).
    pub async fn count_active(&self, domain: &str, since: i64) -> Result<u64, LastError> {
        Ok(last_activity::Entity::find()
            .filter(last_activity::Column::Seconds.gt(since))
            .filter(last_activity::Column::UserId.in_subquery(users_of(domain)))
            .count(&self.db)
            .await?)
    }

    /// The users of `domain` with no activity recorded at or after `before` (seconds), each with
    /// its last activity (`None`: never recorded), by user name. Whether they are online is
    /// not this service's to tell.
    pub async fn inactive(
        &self,
        domain: &str,
        before: i64,
    ) -> Result<Vec<(Jid, Option<i64>)>, LastError> {
        let users: Vec<(i64, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::Username)
            .filter(user::Column::Server.eq(domain))
            .into_tuple()
            .all(&self.db)
            .await?;
        let recent: std::collections::HashMap<i64, i64> = last_activity::Entity::find()
            .filter(last_activity::Column::UserId.in_subquery(users_of(domain)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.user_id, r.seconds))
            .collect();
        let mut old: Vec<(Jid, Option<i64>)> = users
            .into_iter()
            .filter_map(|(id, name)| match recent.get(&id) {
                Some(&s) if s >= before => None,
                last => Some((Jid::from_normalized(&name, domain), last.copied())),
            })
            .collect();
        old.sort_by(|a, b| a.0.node().cmp(b.0.node()));
        Ok(old)
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
