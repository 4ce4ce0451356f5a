//! XEP-0160 offline storage (`mod_offline`): a chat or normal message with a body that reaches
//! no available session of its (local) recipient is kept, and handed to the recipient's XMPP
//! client when it next sends available presence of non-negative priority; then it is removed.
//!
//! The router decides, after its registry lookup, on the node that routes the message (so one
//! node stores it), and writes the row in the same transaction as the message's archive rows
//! ([`store_many`], from its group commit): a message is never neither delivered nor kept.
//! Should a session become available between that lookup and the commit, the router claims
//! the row back ([`claim`]) and delivers it live; [`Offline::take`] claims the rows it hands
//! out the same way, so each stored message is delivered once.
//!
//! Each user keeps at most `[modules.mod_offline] max_messages`; a message over the bound is
//! not stored, and the router reports it ([`crate::router::Outcome::OfflineFull`]).

use mimql_entities::offline_message;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};

use crate::archive::MamId;
use crate::jid::Jid;
use crate::xml::Element;

/// Whether a message is kept for a recipient without an available session (XEP-0160 §3, RFC
/// 6121 §8.5.2): type `chat` or `normal` (the default) with a body. Headlines, groupchat,
/// errors and bodiless messages (chat states) are not.
pub fn is_storable(el: &Element) -> bool {
    el.name == "message"
        && matches!(el.attr("type").unwrap_or("normal"), "chat" | "normal")
        && el.elements().any(|c| c.name == "body")
}

/// One message to keep for `user_id`, under its MAM id.
pub struct NewOffline<'a> {
    pub id: MamId,
    pub user_id: i64,
    pub sender: &'a Jid,
    pub stanza: &'a str,
    /// `id` is the recipient's archive copy (its stanza-id).
    pub archived: bool,
}

/// The advisory lock class offline writers take per recipient on PostgreSQL, so that two
/// writers (the router's lanes, two nodes) count a user's rows one after the other.
const LOCK_CLASS: i32 = 0x6f66_666c; // "offl"

/// Stores, in the caller's transaction, the messages that fit their recipient's bound of
/// `max` rows, in order; answers for each whether it was stored.
pub async fn store_many<C: ConnectionTrait>(
    c: &C,
    messages: &[NewOffline<'_>],
    max: u64,
) -> Result<Vec<bool>, DbErr> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let mut users: Vec<i64> = messages.iter().map(|m| m.user_id).collect();
    users.sort_unstable();
    users.dedup();
    if c.get_database_backend() == DbBackend::Postgres {
        // In id order, one at a time: every offline writer takes them the same way. The key is
        // the id's low 32 bits (two users sharing one only wait for each other).
        for id in &users {
            c.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1, $2)",
                [LOCK_CLASS.into(), (*id as i32).into()],
            ))
            .await?;
        }
    }
    let counts: Vec<(i64, i64)> = offline_message::Entity::find()
        .select_only()
        .column(offline_message::Column::UserId)
        .column_as(offline_message::Column::Id.count(), "n")
        .filter(offline_message::Column::UserId.is_in(users.clone()))
        .group_by(offline_message::Column::UserId)
        .into_tuple()
        .all(c)
        .await?;
    let mut held: std::collections::HashMap<i64, u64> = counts
        .into_iter()
        .map(|(user, n)| (user, n.max(0) as u64))
        .collect();
    let mut rows = Vec::new();
    let stored = messages
        .iter()
        .map(|m| {
            let n = held.entry(m.user_id).or_insert(0);
            if *n >= max {
                return false;
            }
            *n += 1;
            rows.push(offline_message::ActiveModel {
                id: Set(m.id.0),
                user_id: Set(m.user_id),
                sender: Set(m.sender.to_string()),
                stanza: Set(m.stanza.to_string()),
                archived: Set(m.archived),
            });
            true
        })
        .collect();
    if !rows.is_empty() {
        offline_message::Entity::insert_many(rows)
            .exec_without_returning(c)
            .await?;
    }
    Ok(stored)
}

/// Takes back a stored message to deliver it live: `true` when this call removed it (nobody
/// else has delivered it).
pub async fn claim<C: ConnectionTrait>(c: &C, id: MamId) -> Result<bool, DbErr> {
    let deleted = offline_message::Entity::delete_by_id(id.0).exec(c).await?;
    Ok(deleted.rows_affected == 1)
}

/// Deletes the user's offline messages (account removal, inside its transaction).
pub async fn remove_user<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    offline_message::Entity::delete_many()
        .filter(offline_message::Column::UserId.eq(user_id))
        .exec(c)
        .await
        .map(drop)
}

/// A kept message handed to its recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its MAM id: the time it was routed, and its stanza-id when `archived`.
    pub id: MamId,
    pub sender: String,
    pub stanza: String,
    pub archived: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The service the c2s layer calls when a client becomes available.
pub struct Offline {
    db: DatabaseConnection,
    enabled: bool,
}

impl Offline {
    pub fn new(db: DatabaseConnection, enabled: bool) -> Offline {
        Offline { db, enabled }
    }

    /// Removes and answers the oldest `limit` messages kept for `user`, oldest first (none
    /// when `mod_offline` is disabled or the user has no account). Rows another taker or the
    /// router claimed first are not answered again.
    pub async fn take(&self, user: &Jid, limit: u64) -> Result<Vec<Stored>, OfflineError> {
        if !self.enabled {
            return Ok(Vec::new());
        }
        let txn = crate::db::begin_write(&self.db).await?;
        let Some(user_id) = crate::accounts::user_id(&txn, &user.to_bare()).await? else {
            return Ok(Vec::new());
        };
        let rows: Vec<offline_message::Model> = offline_message::Entity::find()
            .filter(offline_message::Column::UserId.eq(user_id))
            .order_by_asc(offline_message::Column::Id)
            .limit(limit)
            .lock_exclusive()
            .all(&txn)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        offline_message::Entity::delete_many()
            .filter(offline_message::Column::Id.is_in(rows.iter().map(|r| r.id)))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| Stored {
                id: MamId(r.id),
                sender: r.sender,
                stanza: r.stanza,
                archived: r.archived,
            })
            .collect())
    }

    /// Keeps again messages [`Offline::take`] answered that could not be handed over (the
    /// client's connection failed), under their own ids: they keep their place in order.
    pub async fn put_back(&self, user: &Jid, messages: &[Stored]) -> Result<(), OfflineError> {
        if messages.is_empty() {
            return Ok(());
        }
        let Some(user_id) = crate::accounts::user_id(&self.db, &user.to_bare()).await? else {
            return Ok(());
        };
        let rows = messages.iter().map(|m| offline_message::ActiveModel {
            id: Set(m.id.0),
            user_id: Set(user_id),
            sender: Set(m.sender.clone()),
            stanza: Set(m.stanza.clone()),
            archived: Set(m.archived),
        });
        offline_message::Entity::insert_many(rows)
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(s: &str) -> Element {
        Element::parse(s).unwrap()
    }

    #[test]
    fn keeps_chat_and_normal_messages_with_a_body() {
        assert!(is_storable(&el(
            "<message type='chat'><body>x</body></message>"
        )));
        assert!(is_storable(&el("<message><body>x</body></message>")));
        for s in [
            "<message type='headline'><body>x</body></message>",
            "<message type='groupchat'><body>x</body></message>",
            "<message type='error'><body>x</body></message>",
            "<message type='chat'><composing/></message>",
            "<iq type='set'><body>x</body></iq>",
        ] {
            assert!(!is_storable(&el(s)), "{s}");
        }
    }
}
