//! Inbox (the reference's `mod_inbox`): one entry per conversation of a user, holding the last
//! message, the unread count and the time of the last activity. The router records every
//! inbox-worthy message in the same transaction as its archive rows ([`record`]); leaving a
//! conversation (MUC Light kicks, room destruction) moves its entry to the bin
//! ([`move_to_bin`]); `flushBin` empties the bin ([`Inbox::flush_bin`]).

use mimql_entities::{inbox_entry, key_hash};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::jid::Jid;

pub const INBOX: &str = "inbox";
pub const BIN: &str = "bin";

/// The last message of a conversation, as seen by one of its participants.
pub struct Activity<'a> {
    pub user_id: i64,
    /// The other party (bare).
    pub remote: &'a Jid,
    pub content: &'a str,
    pub msg_id: &'a str,
    pub micros: i64,
    /// Received (counts as unread) rather than sent (marks the conversation read).
    pub incoming: bool,
}

fn row(a: &Activity<'_>) -> inbox_entry::ActiveModel {
    let remote = a.remote.bare_string();
    inbox_entry::ActiveModel {
        user_id: Set(a.user_id),
        remote_hash: Set(key_hash(&remote)),
        remote: Set(remote),
        r#box: Set(INBOX.to_string()),
        content: Set(a.content.to_string()),
        msg_id: Set(a.msg_id.to_string()),
        unread: Set(i64::from(a.incoming)),
        timestamp: Set(a.micros),
        ..Default::default()
    }
}

/// Upserts the conversations' entries in the caller's transaction: an incoming message adds to
/// the unread count, an outgoing one marks the conversation read; a conversation in the bin
/// comes back to the inbox. Each conversation's activities are first reduced to what they come
/// to (one statement cannot update a row twice: a message to oneself, or several messages of
/// one busy conversation committed together), so a batch takes at most two statements however
/// many messages of one conversation it holds.
pub async fn record_many<C: ConnectionTrait>(c: &C, acts: &[Activity<'_>]) -> Result<(), DbErr> {
    let nets = net(acts);
    let (set, add): (Vec<&Net>, Vec<&Net>) = nets.iter().partition(|n| n.set && n.unread > 0);
    upsert(c, &add, false).await?;
    upsert(c, &set, true).await
}

/// What one conversation's activities of a batch come to, in their order: the last message,
/// and the unread count either added to (`set` false: no outgoing message among them; also
/// when the count after the last outgoing one is 0, which the add statement resets) or set to
/// the incoming messages after the last outgoing one.
struct Net<'b, 'a> {
    last: &'b Activity<'a>,
    unread: i64,
    set: bool,
}

fn net<'a, 'b>(acts: &'b [Activity<'a>]) -> Vec<Net<'b, 'a>> {
    let mut index: std::collections::HashMap<(i64, String), usize> = Default::default();
    let mut nets: Vec<Net> = Vec::new();
    for a in acts {
        match index.entry((a.user_id, a.remote.bare_string())) {
            std::collections::hash_map::Entry::Occupied(i) => {
                let n = &mut nets[*i.get()];
                n.last = a;
                if a.incoming {
                    n.unread += 1;
                } else {
                    (n.unread, n.set) = (0, true);
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(nets.len());
                nets.push(Net {
                    last: a,
                    unread: i64::from(a.incoming),
                    set: !a.incoming,
                });
            }
        }
    }
    nets
}

async fn upsert<C: ConnectionTrait>(c: &C, nets: &[&Net<'_, '_>], set: bool) -> Result<(), DbErr> {
    if nets.is_empty() {
        return Ok(());
    }
    let mut on_conflict =
        OnConflict::columns([inbox_entry::Column::UserId, inbox_entry::Column::RemoteHash]);
    on_conflict.update_columns([
        inbox_entry::Column::Box,
        inbox_entry::Column::Content,
        inbox_entry::Column::MsgId,
        inbox_entry::Column::Timestamp,
    ]);
    if set {
        on_conflict.update_column(inbox_entry::Column::Unread);
    } else {
        on_conflict.value(
            inbox_entry::Column::Unread,
            Expr::cust(
                "CASE WHEN excluded.unread > 0 THEN inbox_entries.unread + excluded.unread ELSE 0 END",
            ),
        );
    }
    inbox_entry::Entity::insert_many(nets.iter().map(|n| {
        let mut r = row(n.last);
        r.unread = Set(n.unread);
        r
    }))
    .on_conflict(on_conflict)
    .exec_without_returning(c)
    .await
    .map(drop)
}

/// Upserts one conversation's entry (see [`record_many`]).
pub async fn record<C: ConnectionTrait>(c: &C, a: Activity<'_>) -> Result<(), DbErr> {
    record_many(c, &[a]).await
}

/// Moves the user's entry for `remote` to the bin (the user left or was removed from the
/// conversation), in the caller's transaction. Nothing happens when there is no entry.
pub async fn move_to_bin<C: ConnectionTrait>(
    c: &C,
    user_id: i64,
    remote: &Jid,
) -> Result<(), DbErr> {
    let remote = remote.bare_string();
    inbox_entry::Entity::update_many()
        .col_expr(inbox_entry::Column::Box, Expr::value(BIN))
        .filter(inbox_entry::Column::UserId.eq(user_id))
        .filter(inbox_entry::Column::RemoteHash.eq(key_hash(&remote)))
        .filter(inbox_entry::Column::Remote.eq(remote))
        .exec(c)
        .await
        .map(drop)
}

/// Deletes the user's inbox (account removal, inside its transaction).
pub async fn remove_user<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    inbox_entry::Entity::delete_many()
        .filter(inbox_entry::Column::UserId.eq(user_id))
        .exec(c)
        .await
        .map(drop)
}

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("the user does not exist")]
    UserNotFound,
    /// A domain (or host type) this server does not serve.
    #[error("the domain is not served")]
    DomainNotFound,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

pub struct Inbox {
    db: DatabaseConnection,
    /// The served domains (each its own host type, as in the reference's static config).
    hosts: Vec<String>,
}

/// The bin cut-off: entries whose last activity is strictly older are flushed.
pub fn flush_cutoff(now_micros: i64, days: u32) -> i64 {
    now_micros - i64::from(days) * 86_400 * 1_000_000
}

impl Inbox {
    pub fn new(db: DatabaseConnection, hosts: Vec<String>) -> Inbox {
        Inbox { db, hosts }
    }

    fn check_host(&self, domain: &str) -> Result<(), InboxError> {
        if self.hosts.iter().any(|h| h == domain) {
            Ok(())
        } else {
            Err(InboxError::DomainNotFound)
        }
    }

    /// `flushDomainBin`: deletes the bin entries of every user of `domain` last active more
    /// than `days` days ago (all of them for 0), in one statement; answers how many.
    pub async fn flush_domain_bin(&self, domain: &str, days: u32) -> Result<u64, InboxError> {
        self.check_host(domain)?;
        let users = sea_orm::sea_query::Query::select()
            .column(mimql_entities::user::Column::Id)
            .from(mimql_entities::user::Entity)
            .and_where(mimql_entities::user::Column::Server.eq(domain))
            .to_owned();
        let cutoff = flush_cutoff(crate::db::now_micros(), days);
        let res = inbox_entry::Entity::delete_many()
            .filter(inbox_entry::Column::UserId.in_subquery(users))
            .filter(inbox_entry::Column::Box.eq(BIN))
            .filter(inbox_entry::Column::Timestamp.lt(cutoff))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }

    /// `flushGlobalBin`: deletes every bin entry of the database last active more than `days`
    /// days ago (all of them for 0); `host_type` must be a served host (it names the database
    /// in the reference). Answers how many.
    pub async fn flush_global_bin(&self, host_type: &str, days: u32) -> Result<u64, InboxError> {
        self.check_host(host_type)?;
        let cutoff = flush_cutoff(crate::db::now_micros(), days);
        let res = inbox_entry::Entity::delete_many()
            .filter(inbox_entry::Column::Box.eq(BIN))
            .filter(inbox_entry::Column::Timestamp.lt(cutoff))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }

    /// Deletes the user's bin entries last active more than `days` days ago (all of them for
    /// 0); answers how many were deleted.
    pub async fn flush_bin(&self, user: &Jid, days: u32) -> Result<u64, InboxError> {
        let user_id = crate::accounts::user_id(&self.db, user)
            .await?
            .ok_or(InboxError::UserNotFound)?;
        let cutoff = flush_cutoff(crate::db::now_micros(), days);
        let res = inbox_entry::Entity::delete_many()
            .filter(inbox_entry::Column::UserId.eq(user_id))
            .filter(inbox_entry::Column::Box.eq(BIN))
            .filter(inbox_entry::Column::Timestamp.lt(cutoff))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_days_before_now() {
        assert_eq!(flush_cutoff(10_000_000_000_000, 0), 10_000_000_000_000);
        assert_eq!(
            flush_cutoff(10_000_000_000_000, 1),
            10_000_000_000_000 - 86_400_000_000
        );
    }

    #[test]
    fn a_conversations_activities_come_to_one_row_in_order() {
        let (a, b) = (
            crate::jid::Jid::parse("a@h").unwrap(),
            crate::jid::Jid::parse("b@h").unwrap(),
        );
        let act = |user_id, remote, content, incoming| Activity {
            user_id,
            remote,
            content,
            msg_id: "",
            micros: 0,
            incoming,
        };
        let acts = [
            act(1, &a, "1", true),
            act(2, &a, "2", false),
            act(1, &a, "3", true),
            act(1, &b, "4", true),
            act(2, &a, "5", true),
            act(1, &a, "6", false),
            act(3, &b, "7", false),
        ];
        let nets: Vec<(i64, &str, i64, bool)> = net(&acts)
            .iter()
            .map(|n| (n.last.user_id, n.last.content, n.unread, n.set))
            .collect();
        assert_eq!(
            nets,
            [
                (1, "6", 0, true),
                (2, "5", 1, true),
                (1, "4", 1, false),
                (3, "7", 0, true)
            ]
        );
    }
}
