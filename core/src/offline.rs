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
    /// When it expires (XEP-0023), in microseconds since the epoch.
    pub expires_at: Option<i64>,
}

/// The XEP-0023 expiry namespace (`<x xmlns='jabber:x:expire' seconds='N'/>`).
const EXPIRE_NS: &str = "jabber:x:expire";

/// When a message kept at `micros` expires, by its `jabber:x:expire` element (as the
/// reference's `mod_offline` reads it); `None`: never.
pub fn expiry(el: &Element, micros: i64) -> Option<i64> {
    let seconds: i64 = el
        .elements()
        .find(|c| c.name == "x" && c.attr("xmlns") == Some(EXPIRE_NS))?
        .attr("seconds")?
        .trim()
        .parse()
        .ok()?;
    Some(micros.saturating_add(seconds.max(0).saturating_mul(1_000_000)))
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
                expires_at: Set(m.expires_at),
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
    /// When it expires (XEP-0023), in microseconds since the epoch.
    pub expires_at: Option<i64>,
    /// Its MAM id: the time it was routed, and its stanza-id when `archived`.
    pub id: MamId,
    pub sender: String,
    pub stanza: String,
    pub archived: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// A domain this server does not serve.
    #[error("unknown domain")]
    DomainNotFound,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The service the c2s layer calls when a client becomes available.
pub struct Offline {
    db: DatabaseConnection,
    enabled: bool,
    hosts: Vec<String>,
}

impl Offline {
    pub fn new(db: DatabaseConnection, enabled: bool, hosts: Vec<String>) -> Offline {
        Offline { db, enabled, hosts }
    }

    /// Deletes the offline messages of `domain`'s users that `condition` selects, in one
    /// statement; answers how many.
    async fn delete_of_domain(
        &self,
        domain: &str,
        condition: sea_orm::Condition,
    ) -> Result<u64, OfflineError> {
        if !self.hosts.iter().any(|h| h == domain) {
            return Err(OfflineError::DomainNotFound);
        }
        let users = sea_orm::sea_query::Query::select()
            .column(mimql_entities::user::Column::Id)
            .from(mimql_entities::user::Entity)
            .and_where(mimql_entities::user::Column::Server.eq(domain))
            .to_owned();
        let res = offline_message::Entity::delete_many()
            .filter(offline_message::Column::UserId.in_subquery(users))
            .filter(condition)
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }

    /// `deleteExpiredMessages`: the domain's messages whose expiry time has passed.
    pub async fn delete_expired(&self, domain: &str) -> Result<u64, OfflineError> {
        let now = crate::db::now_micros();
        self.delete_of_domain(
            domain,
            sea_orm::Condition::all().add(offline_message::Column::ExpiresAt.lt(now)),
        )
        .await
    }

    /// `deleteOldMessages`: the domain's messages kept at least `days` days ago (a message's
    /// id is its time).
    pub async fn delete_old(&self, domain: &str, days: u32) -> Result<u64, OfflineError> {
        let cutoff = crate::db::now_micros() - i64::from(days) * 86_400 * 1_000_000;
        self.delete_of_domain(
            domain,
            sea_orm::Condition::all()
                .add(offline_message::Column::Id.lte(MamId::upper_bound(cutoff).0)),
        )
        .await
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
        // Expired messages go without being handed over (XEP-0023).
        let now = crate::db::now_micros();
        offline_message::Entity::delete_many()
            .filter(offline_message::Column::Id.is_in(rows.iter().map(|r| r.id)))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .filter(|r| r.expires_at.is_none_or(|t| t > now))
            .map(|r| Stored {
                expires_at: r.expires_at,
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
            expires_at: Set(m.expires_at),
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
    fn expiry_comes_from_jabber_x_expire() {
        let at = 1_000_000;
        let expiry = |xml: &str| expiry(&el(xml), at);
        assert_eq!(
            expiry("<message><body>x</body><x xmlns='jabber:x:expire' seconds='60'/></message>"),
            Some(at + 60_000_000)
        );
        assert_eq!(expiry("<message><body>x</body></message>"), None);
        assert_eq!(
            expiry("<message><x xmlns='other' seconds='60'/></message>"),
            None
        );
        assert_eq!(
            expiry("<message><x xmlns='jabber:x:expire' seconds='soon'/></message>"),
            None
        );
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
