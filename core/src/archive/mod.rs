//! The personal message archive (XEP-0313, as the reference keeps it): every archivable message
//! is stored once per participant with an archive here, the sender's copy and the recipient's,
//! each under its own MAM id. Rows are written by the router inside its transaction
//! ([`append`]); [`Archive::last_messages`] reads a user's newest page. Room archives are in
//! [`rooms`].

pub mod id;
pub mod rooms;

use mimql_entities::{key_hash, mam_message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

pub use id::{IdGenerator, MamId};

use crate::jid::Jid;
use crate::xml::Element;

/// Whether the reference archives a stanza: a `<message>` of type `chat` or `normal` (the
/// default) with a body. Headlines, errors and bodiless messages (chat states) are not kept.
pub fn is_archivable(el: &Element) -> bool {
    el.name == "message"
        && matches!(el.attr("type").unwrap_or("normal"), "chat" | "normal")
        && el.elements().any(|c| c.name == "body")
}

/// One copy to write: whose archive, with whom, in which direction.
pub struct NewEntry<'a> {
    pub owner_id: i64,
    pub peer: &'a Jid,
    pub outgoing: bool,
    pub sender: &'a Jid,
    pub origin_id: &'a str,
    pub stanza: &'a str,
}

fn row(id: MamId, e: NewEntry<'_>) -> mam_message::ActiveModel {
    let peer = e.peer.bare_string();
    mam_message::ActiveModel {
        id: Set(id.0),
        user_id: Set(e.owner_id),
        peer_hash: Set(key_hash(&peer)),
        peer: Set(peer),
        peer_resource: Set(e.peer.resource().to_string()),
        outgoing: Set(e.outgoing),
        sender: Set(e.sender.to_string()),
        origin_id: Set(e.origin_id.to_string()),
        stanza: Set(e.stanza.to_string()),
    }
}

/// Writes one copy in the caller's transaction.
pub async fn append<C: ConnectionTrait>(c: &C, id: MamId, e: NewEntry<'_>) -> Result<(), DbErr> {
    row(id, e).insert(c).await.map(drop)
}

/// Writes several copies with one statement, in the caller's transaction.
pub async fn append_many<C: ConnectionTrait>(
    c: &C,
    entries: Vec<(MamId, NewEntry<'_>)>,
) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    mam_message::Entity::insert_many(entries.into_iter().map(|(id, e)| row(id, e)))
        .exec_without_returning(c)
        .await
        .map(drop)
}

/// Deletes the user's archive (account removal, inside its transaction).
pub async fn remove_user<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    mam_message::Entity::delete_many()
        .filter(mam_message::Column::UserId.eq(user_id))
        .exec(c)
        .await
        .map(drop)
}

/// Rows one retention statement deletes at most.
pub const RETENTION_BATCH: u64 = 1_000;
/// The pause between two retention batches, so that a large backlog does not hold the
/// database (or SQLite's single writer) for long.
pub const RETENTION_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Archive retention (`retention_days`): deletes the messages of `table` (`mam_messages` or
/// `mam_room_messages`) archived before `cutoff_micros`, [`RETENTION_BATCH`] rows per
/// statement with a pause between statements; answers how many rows were deleted.
///
/// A MAM id starts with its archive time, so "older than the cutoff" is `id < cutoff << 8`, a
/// range of the primary key. Two nodes may run this at once: each statement deletes rows
/// matching the same predicate, a row the other node deleted first is simply not found (a
/// second delete of it deletes nothing and is no error), and no row older than the cutoff is
/// written any more (new ids are made from the current time), so the passes commute and the
/// result is the same as one pass.
pub async fn delete_before(
    db: &DatabaseConnection,
    table: RetentionTable,
    cutoff_micros: i64,
) -> Result<u64, DbErr> {
    let bound = cutoff_micros.saturating_mul(256);
    let mut deleted = 0;
    loop {
        let n = match table {
            RetentionTable::Personal => {
                let batch = sea_orm::sea_query::Query::select()
                    .column(mam_message::Column::Id)
                    .from(mam_message::Entity)
                    .and_where(mam_message::Column::Id.lt(bound))
                    .limit(RETENTION_BATCH)
                    .to_owned();
                mam_message::Entity::delete_many()
                    .filter(mam_message::Column::Id.in_subquery(batch))
                    .exec(db)
                    .await?
                    .rows_affected
            }
            RetentionTable::Rooms => {
                use mimql_entities::mam_room_message as room;
                let batch = sea_orm::sea_query::Query::select()
                    .column(room::Column::Id)
                    .from(room::Entity)
                    .and_where(room::Column::Id.lt(bound))
                    .limit(RETENTION_BATCH)
                    .to_owned();
                room::Entity::delete_many()
                    .filter(room::Column::Id.in_subquery(batch))
                    .exec(db)
                    .await?
                    .rows_affected
            }
        };
        deleted += n;
        if n < RETENTION_BATCH {
            return Ok(deleted);
        }
        tokio::time::sleep(RETENTION_PAUSE).await;
    }
}

/// The archives retention applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetentionTable {
    /// `mod_mam_pm`: users' archives.
    Personal,
    /// `mod_mam_muc`: MUC and MUC Light room archives.
    Rooms,
}

/// A page read newest first, as `(id, sender, stanza)` rows, turned oldest first.
fn oldest_first(mut rows: Vec<(i64, String, String)>) -> Vec<Archived> {
    rows.reverse();
    rows.into_iter()
        .map(|(id, sender, stanza)| Archived {
            id: MamId(id),
            sender,
            stanza,
        })
        .collect()
}

/// A message read back from an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Archived {
    pub id: MamId,
    pub sender: String,
    pub stanza: String,
}

/// Which page of an archive to read.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// Only the conversation with this JID (bare: every resource; full: that resource).
    pub with: Option<Jid>,
    /// Only messages archived at or before this time (microseconds).
    pub before_micros: Option<i64>,
    pub limit: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// Why a XEP-0313 query ([`Archive::query`]) is not answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    /// The query names an id that is not in the user's archive.
    #[error("no message {0} in the archive")]
    UnknownId(String),
}

/// A XEP-0313 query of a user's archive: filters (the result set), and the page of it.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Only the conversation with this JID (bare: every resource; full: that resource).
    pub with: Option<Jid>,
    /// Only messages archived at or after this time (microseconds).
    pub start_micros: Option<i64>,
    /// Only messages archived at or before this time (microseconds).
    pub end_micros: Option<i64>,
    /// Only messages after this one (exclusive).
    pub after_id: Option<MamId>,
    /// Only messages before this one (exclusive).
    pub before_id: Option<MamId>,
    /// The page: the first `max` messages of the result set after `page_after`, or, when
    /// `backward`, the last `max` before `page_before` (the last page when it is `None`).
    pub max: u64,
    pub page_after: Option<MamId>,
    pub page_before: Option<MamId>,
    pub backward: bool,
}

/// A page of a query's result set, oldest first.
#[derive(Clone, Debug)]
pub struct QueryPage {
    pub messages: Vec<Archived>,
    /// The page reaches the end of the result set in the direction of paging (its last
    /// message when paging forward, its first when paging backward).
    pub complete: bool,
    /// The messages in the whole result set (without the page's bounds).
    pub count: u64,
}

pub struct Archive {
    db: DatabaseConnection,
}

impl Archive {
    pub fn new(db: DatabaseConnection) -> Archive {
        Archive { db }
    }

    /// The newest `page.limit` messages of `owner`'s archive matching the page, oldest first.
    /// A user without an account has an empty archive.
    pub async fn last_messages(
        &self,
        owner: &Jid,
        page: &Page,
    ) -> Result<Vec<Archived>, ArchiveError> {
        let Some(owner_id) = crate::accounts::user_id(&self.db, owner).await? else {
            return Ok(Vec::new());
        };
        let mut q = mam_message::Entity::find()
            .select_only()
            .columns([
                mam_message::Column::Id,
                mam_message::Column::Sender,
                mam_message::Column::Stanza,
            ])
            .filter(mam_message::Column::UserId.eq(owner_id));
        if let Some(with) = &page.with {
            let peer = with.bare_string();
            q = q
                .filter(mam_message::Column::PeerHash.eq(key_hash(&peer)))
                .filter(mam_message::Column::Peer.eq(peer));
            if !with.resource().is_empty() {
                q = q.filter(mam_message::Column::PeerResource.eq(with.resource()));
            }
        }
        if let Some(before) = page.before_micros {
            q = q.filter(mam_message::Column::Id.lte(MamId::upper_bound(before).0));
        }
        let rows = q
            .order_by_desc(mam_message::Column::Id)
            .limit(page.limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(oldest_first(rows))
    }

    /// One page of a XEP-0313 query of `owner`'s archive, read as [`Archive::last_messages`]
    /// reads (the same rows and ids), `max + 1` rows at most, and the size of the result set
    /// counted by the database. An id the query names that is not in the archive is
    /// [`QueryError::UnknownId`].
    pub async fn query(&self, owner: &Jid, query: &Query) -> Result<QueryPage, QueryError> {
        let Some(owner_id) = crate::accounts::user_id(&self.db, owner).await? else {
            return Ok(QueryPage {
                messages: Vec::new(),
                complete: true,
                count: 0,
            });
        };
        let named: Vec<MamId> = [
            query.after_id,
            query.before_id,
            query.page_after,
            query.page_before,
        ]
        .into_iter()
        .flatten()
        .collect();
        if !named.is_empty() {
            let found: Vec<i64> = mam_message::Entity::find()
                .select_only()
                .column(mam_message::Column::Id)
                .filter(mam_message::Column::UserId.eq(owner_id))
                .filter(mam_message::Column::Id.is_in(named.iter().map(|i| i.0)))
                .into_tuple()
                .all(&self.db)
                .await?;
            if let Some(missing) = named.iter().find(|i| !found.contains(&i.0)) {
                return Err(QueryError::UnknownId(missing.to_base32()));
            }
        }
        let mut set = mam_message::Entity::find()
            .select_only()
            .filter(mam_message::Column::UserId.eq(owner_id));
        if let Some(with) = &query.with {
            let peer = with.bare_string();
            set = set
                .filter(mam_message::Column::PeerHash.eq(key_hash(&peer)))
                .filter(mam_message::Column::Peer.eq(peer));
            if !with.resource().is_empty() {
                set = set.filter(mam_message::Column::PeerResource.eq(with.resource()));
            }
        }
        if let Some(start) = query.start_micros {
            set = set.filter(mam_message::Column::Id.gte(start.saturating_mul(256)));
        }
        if let Some(end) = query.end_micros {
            set = set.filter(mam_message::Column::Id.lte(MamId::upper_bound(end).0));
        }
        if let Some(after) = query.after_id {
            set = set.filter(mam_message::Column::Id.gt(after.0));
        }
        if let Some(before) = query.before_id {
            set = set.filter(mam_message::Column::Id.lt(before.0));
        }
        let count: i64 = set
            .clone()
            .column_as(mam_message::Column::Id.count(), "n")
            .into_tuple()
            .one(&self.db)
            .await?
            .unwrap_or(0);
        let mut page = set.columns([
            mam_message::Column::Id,
            mam_message::Column::Sender,
            mam_message::Column::Stanza,
        ]);
        if let Some(after) = query.page_after {
            page = page.filter(mam_message::Column::Id.gt(after.0));
        }
        if let Some(before) = query.page_before {
            page = page.filter(mam_message::Column::Id.lt(before.0));
        }
        let page = match query.backward {
            true => page.order_by_desc(mam_message::Column::Id),
            false => page.order_by_asc(mam_message::Column::Id),
        };
        let mut rows: Vec<(i64, String, String)> = page
            .limit(query.max.saturating_add(1))
            .into_tuple()
            .all(&self.db)
            .await?;
        let complete = rows.len() as u64 <= query.max;
        rows.truncate(query.max as usize);
        if !query.backward {
            // Read oldest first already; `oldest_first` turns a newest-first page.
            rows.reverse();
        }
        let messages = oldest_first(rows);
        Ok(QueryPage {
            messages,
            complete,
            count: count.max(0) as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(s: &str) -> Element {
        Element::parse(s).unwrap()
    }

    #[test]
    fn archives_chat_and_normal_messages_with_a_body() {
        assert!(is_archivable(&el(
            "<message type='chat'><body>x</body></message>"
        )));
        assert!(is_archivable(&el("<message><body/></message>")));
        assert!(!is_archivable(&el(
            "<message type='headline'><body>x</body></message>"
        )));
        assert!(!is_archivable(&el(
            "<message type='error'><body>x</body></message>"
        )));
        assert!(!is_archivable(&el(
            "<message type='chat'><composing/></message>"
        )));
        assert!(!is_archivable(&el("<presence><body>x</body></presence>")));
    }
}
