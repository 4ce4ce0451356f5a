//! Routing a stanza to local users: first the archive and inbox rows of every participant, in
//! one transaction, durable before the call returns; then live delivery to the recipient's
//! sessions by the XMPP rules ([`crate::sessions::select`]).
//!
//! Stanzas of one sender→recipient pair reach the archive and the sessions in the order they
//! were routed, without routing them one at a time: a stanza takes its place in the pair's
//! order when it is queued for the group commit (on the pair's lane, whose commits are in queue
//! order), so the stanzas of a busy conversation share commits; it is delivered after it is
//! durable and after the pair's previous stanza was delivered.
//!
//! A chat or normal message with a body whose local recipient has no available session is
//! kept offline ([`crate::offline`]): the registry is asked before the message takes its place
//! in line, and the offline row is written in the message's archive transaction.
//!
//! A stanza between two JIDs one of which blocks the other (XEP-0191, [`crate::blocking`]) is
//! neither archived, kept nor delivered ([`Outcome::Blocked`]). A chat message that is
//! delivered is copied to the other XMPP sessions of its sender and of its recipient
//! (XEP-0280, [`carbons`]).
//!
//! [`Router`] is the seam for several nodes; [`StandardRouter`] works on any
//! [`SessionRegistry`], in-process or distributed.

pub mod carbons;
mod commit;

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::oneshot;

use crate::account_ids::AccountIds;
use crate::archive::{self, IdGenerator, MamId};
use crate::jid::Jid;
use crate::sessions::{
    Routed, SessionError, SessionId, SessionInfo, SessionRegistry, Transport, select,
};
use crate::striped::{self, Striped};
use crate::xml::Element;

/// A stanza to route: the routing sender (full or bare), the recipient and the element.
pub struct Envelope {
    pub sender: Jid,
    pub to: Jid,
    pub element: Element,
}

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Sessions(#[from] SessionError),
}

/// What became of a routed stanza.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Pushed to at least one session of the recipient.
    Delivered,
    /// Kept offline for the recipient.
    Stored,
    /// Not delivered and not kept: the recipient has the most offline messages allowed
    /// (`[modules.mod_offline] max_messages`). It is archived all the same.
    OfflineFull,
    /// Not delivered to a session and not kept (not a message to keep, no local recipient,
    /// or `mod_offline` disabled).
    Undelivered,
    /// Stopped by a blocklist (XEP-0191): neither archived, kept nor delivered.
    Blocked(crate::blocking::Blocked),
}

/// A routed stanza on its way: resolves, once its rows are committed and it was delivered or
/// kept, to what became of it.
pub type Delivery =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, RouteError>> + Send>>;

#[async_trait::async_trait]
pub trait Router: Send + Sync {
    /// Archives, delivers or keeps offline; returns once the rows are committed, with what
    /// became of the stanza.
    async fn send(&self, envelope: Envelope) -> Result<Outcome, RouteError> {
        self.dispatch(envelope).await?.await
    }

    /// Gives the stanza its place in its sender→recipient pair's order and returns without
    /// waiting for its commit: a caller that sends several stanzas (an XMPP client's stream)
    /// can go on with the next while this one is written, in order. The [`Delivery`] runs to
    /// its end whether or not it is awaited.
    async fn dispatch(&self, envelope: Envelope) -> Result<Delivery, RouteError>;

    /// [`Router::send`] for a caller that does not look at the outcome.
    async fn route(&self, envelope: Envelope) -> Result<(), RouteError> {
        self.send(envelope).await.map(drop)
    }
}

/// Which modules the router serves for.
#[derive(Clone, Copy, Debug)]
pub struct Features {
    pub archive: bool,
    pub inbox: bool,
    /// `mod_offline`'s `max_messages` when it is enabled.
    pub offline: Option<u64>,
}

pub struct StandardRouter {
    db: DatabaseConnection,
    sessions: Arc<dyn SessionRegistry>,
    writer: commit::GroupCommit,
    hosts: Arc<[String]>,
    features: Features,
    /// Each pair's place in line: the signal its last routed stanza gives once delivered.
    pairs: Striped<Option<oneshot::Receiver<()>>>,
    /// XEP-0191 blocklists, when the router applies them.
    blocking: Option<Arc<crate::blocking::Blocking>>,
    /// The parties' account ids (cached when shared with the accounts, which forget removed
    /// ones: see [`crate::account_ids`] for why a stale one cannot misfile a message).
    ids: Arc<AccountIds>,
}

impl StandardRouter {
    pub fn new(
        db: DatabaseConnection,
        sessions: Arc<dyn SessionRegistry>,
        ids: Arc<IdGenerator>,
        hosts: Vec<String>,
        features: Features,
    ) -> StandardRouter {
        // SQLite has one writer whatever we do; PostgreSQL commits can overlap.
        let writers = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => 1,
            _ => 4,
        };
        StandardRouter {
            writer: commit::GroupCommit::start(db.clone(), ids, features, writers),
            ids: Arc::new(AccountIds::new(db.clone(), 0)),
            db,
            sessions,
            hosts: hosts.into(),
            features,
            pairs: Striped::new(1024),
            blocking: None,
        }
    }

    /// Looks the parties' account ids up in `ids` (a cache the accounts keep current).
    pub fn with_account_ids(mut self, ids: Arc<AccountIds>) -> StandardRouter {
        self.ids = ids;
        self
    }

    /// Stops the stanzas that blocklists forbid ([`Outcome::Blocked`]).
    pub fn with_blocking(mut self, blocking: Arc<crate::blocking::Blocking>) -> StandardRouter {
        self.blocking = Some(blocking);
        self
    }

    /// The archive and inbox rows of an archivable message: a copy per local party, their
    /// accounts found in the cache or in one query, and which copy is the recipient's. `None` when no party
    /// is a local account.
    async fn rows(&self, e: &Envelope) -> Result<Option<(commit::Rows, Option<usize>)>, DbErr> {
        let parties: Vec<&Jid> = [&e.sender, &e.to]
            .into_iter()
            .filter(|j| is_local(&self.hosts, j) && !j.node().is_empty())
            .collect();
        let ids = self.ids.ids(&parties).await?;
        let id_of = |j: &Jid| {
            parties
                .iter()
                .position(|p| p.to_bare() == j.to_bare())
                .and_then(|i| ids[i])
        };
        let copies: Vec<(i64, Jid, bool)> = [(&e.sender, &e.to, true), (&e.to, &e.sender, false)]
            .into_iter()
            .filter_map(|(owner, peer, outgoing)| {
                id_of(owner).map(|id| (id, peer.clone(), outgoing))
            })
            .collect();
        let recipient = copies.iter().position(|(_, _, outgoing)| !outgoing);
        let rows = commit::Rows {
            offline: None,
            copies,
            sender: e.sender.clone(),
            origin_id: e.element.attr("id").unwrap_or_default().to_string(),
            stanza: e.element.to_string(),
            micros: crate::db::now_micros(),
            expires_at: None,
        };
        Ok((!rows.copies.is_empty()).then_some((rows, recipient)))
    }
}

fn is_local(hosts: &[String], jid: &Jid) -> bool {
    hosts.iter().any(|h| h == jid.domain())
}

/// The recipient's sessions that get the stanza, by the XMPP rules.
async fn targets(
    sessions: &dyn SessionRegistry,
    e: &Envelope,
) -> Result<Vec<SessionInfo>, RouteError> {
    let all = sessions.sessions_of(&e.to).await?;
    Ok(select::targets(&all, &e.to, &e.element)
        .into_iter()
        .cloned()
        .collect())
}

async fn push(
    sessions: &dyn SessionRegistry,
    targets: &[SessionInfo],
    e: Envelope,
    routed_at: i64,
    archive_id: Option<MamId>,
) -> Outcome {
    if targets.is_empty() {
        return Outcome::Undelivered;
    }
    let routed = Arc::new(Routed {
        sender: e.sender,
        element: e.element,
        routed_at,
        archive_id,
    });
    sessions.push(targets, routed).await;
    Outcome::Delivered
}

/// Live delivery to the recipient's sessions by the XMPP rules.
async fn deliver(
    sessions: &dyn SessionRegistry,
    hosts: &[String],
    e: Envelope,
    routed_at: i64,
    archive_id: Option<MamId>,
) -> Result<Outcome, RouteError> {
    if !is_local(hosts, &e.to) {
        return Ok(Outcome::Undelivered);
    }
    let targets = targets(sessions, &e).await?;
    Ok(push(sessions, &targets, e, routed_at, archive_id).await)
}

/// A message kept offline whose recipient may have become available since the registry was
/// asked: claimed back and delivered live when a session would get it now.
async fn after_storing(
    db: &DatabaseConnection,
    sessions: &dyn SessionRegistry,
    e: Envelope,
    routed_at: i64,
    id: MamId,
    archive_id: Option<MamId>,
) -> Result<Outcome, RouteError> {
    let now = targets(sessions, &e).await?;
    if now.is_empty() {
        return Ok(Outcome::Stored);
    }
    match crate::offline::claim(db, id).await {
        Ok(true) => Ok(push(sessions, &now, e, routed_at, archive_id).await),
        Ok(false) => Ok(Outcome::Stored),
        Err(err) => {
            tracing::warn!(%err, "cannot claim back an offline message; it stays stored");
            Ok(Outcome::Stored)
        }
    }
}

/// A delivered message's carbons (XEP-0280): a `<received/>` copy to each available XMPP
/// session of the recipient the message itself did not reach, a `<sent/>` copy to each
/// available XMPP session of the sender but the one that sent it. Sessions whose client did
/// not enable carbons drop them.
struct Copies<'a> {
    sender: &'a Jid,
    to: &'a Jid,
    element: &'a Element,
    received_id: Option<MamId>,
    sent_id: Option<MamId>,
}

impl Copies<'_> {
    async fn send(
        &self,
        sessions: &dyn SessionRegistry,
        hosts: &[String],
    ) -> Result<(), SessionError> {
        use carbons::Direction::{Received, Sent};
        let local = |j: &Jid| is_local(hosts, j) && !j.node().is_empty();
        if local(self.to) {
            let all = sessions.sessions_of(&self.to.to_bare()).await?;
            let reached: Vec<SessionId> = select::targets(&all, self.to, self.element)
                .into_iter()
                .map(|s| s.id)
                .collect();
            let others = all.iter().filter(|s| !reached.contains(&s.id));
            self.each(sessions, others, Received, self.to, self.received_id)
                .await;
        }
        if local(self.sender) {
            let all = sessions.sessions_of(&self.sender.to_bare()).await?;
            let others = all.iter().filter(|s| &s.jid != self.sender);
            self.each(sessions, others, Sent, self.sender, self.sent_id)
                .await;
        }
        Ok(())
    }

    async fn each(
        &self,
        sessions: &dyn SessionRegistry,
        targets: impl Iterator<Item = &SessionInfo>,
        direction: carbons::Direction,
        owner: &Jid,
        id: Option<MamId>,
    ) {
        let owner = owner.to_bare();
        for t in targets.filter(|s| s.transport == Transport::C2s && s.priority >= 0) {
            let copy = carbons::copy(direction, &owner, &t.jid, self.element, self.sender, id);
            let routed = Routed {
                sender: owner.clone(),
                element: copy,
                routed_at: crate::db::now_micros(),
                archive_id: None,
            };
            sessions
                .push(std::slice::from_ref(t), Arc::new(routed))
                .await;
        }
    }
}

#[async_trait::async_trait]
impl Router for StandardRouter {
    async fn dispatch(&self, e: Envelope) -> Result<Delivery, RouteError> {
        if let Some(blocking) = &self.blocking
            && let Some(side) = blocking.between(&e.sender, &e.to).await?
        {
            return Ok(Box::pin(async move { Ok(Outcome::Blocked(side)) }));
        }
        let archivable =
            (self.features.archive || self.features.inbox) && archive::is_archivable(&e.element);
        let storable = self.features.offline.is_some()
            && crate::offline::is_storable(&e.element)
            && is_local(&self.hosts, &e.to)
            && !e.to.node().is_empty();
        // Found before the stanza takes its place in line: it does not depend on the order.
        let mut rows = match archivable || storable {
            true => self.rows(&e).await?,
            false => None,
        };
        // A message to keep offline: whether a session gets it is decided now, so that the
        // offline row is written with the archive rows.
        let early = match &mut rows {
            Some((rows, Some(recipient))) if storable => {
                let targets = targets(&*self.sessions, &e).await?;
                if targets.is_empty() {
                    rows.offline = Some(*recipient);
                    rows.expires_at = crate::offline::expiry(&e.element, rows.micros);
                }
                Some(targets)
            }
            _ => None,
        };
        if !archivable && rows.as_ref().is_some_and(|(r, _)| r.offline.is_none()) {
            // Only asked for in case it had to be kept.
            rows = None;
        }
        // The sender's own copy (its id goes into the sender's carbons).
        let sender_copy = rows
            .as_ref()
            .and_then(|(r, _)| r.copies.iter().position(|(_, _, outgoing)| *outgoing));
        let carbons = carbons::eligible(&e.element) && e.sender.to_bare() != e.to.to_bare();
        let original = carbons.then(|| (e.sender.clone(), e.to.clone(), e.element.clone()));
        let pair = (e.sender.bare_string(), e.to.bare_string());
        let (pending, previous, turn, routed_at) = {
            let mut last = self.pairs.of(&pair).lock().await;
            let pending = match rows {
                Some((rows, recipient)) => Some((
                    self.writer.submit(striped::hash(&pair), rows).await?,
                    recipient,
                )),
                None => None,
            };
            let (turn, next) = oneshot::channel::<()>();
            (pending, last.replace(next), turn, crate::db::now_micros())
        };
        // The rest runs on its own task, so that a caller that goes away (a client that
        // disconnects) cannot leave a committed stanza undelivered or the pair's line broken.
        let (sessions, hosts, db) = (self.sessions.clone(), self.hosts.clone(), self.db.clone());
        let account_ids = self.ids.clone();
        let archive = self.features.archive;
        let delivery = tokio::spawn(async move {
            let committed = match pending {
                Some((pending, recipient)) => {
                    pending.committed().await.map(|(written, ids)| {
                        // The recipient's copy's id: the live stanza's stanza-id (when
                        // archived) and the offline row's key.
                        Some((
                            written,
                            recipient.map(|i| ids[i]),
                            sender_copy.map(|i| ids[i]),
                        ))
                    })
                }
                None => Ok(None),
            };
            // The previous stanza of the pair first (its task ends by dropping its turn).
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            let mut ids = (None, None);
            let result = match committed {
                Ok(Some((written, id, sender_id))) => {
                    if archive {
                        ids = (id, sender_id);
                    }
                    crate::metrics::messages_archived(written.archived);
                    crate::metrics::stanza_routed("archived");
                    let archive_id = id.filter(|_| archive);
                    match (early, written.offline, id) {
                        (Some(targets), _, _) if !targets.is_empty() => {
                            Ok(push(&*sessions, &targets, e, routed_at, archive_id).await)
                        }
                        (_, Some(true), Some(id)) => {
                            after_storing(&db, &*sessions, e, routed_at, id, archive_id).await
                        }
                        (_, Some(false), _) => Ok(Outcome::OfflineFull),
                        _ => deliver(&*sessions, &hosts, e, routed_at, archive_id).await,
                    }
                }
                Ok(None) => {
                    crate::metrics::stanza_routed(if archivable { "archived" } else { "live" });
                    deliver(&*sessions, &hosts, e, routed_at, None).await
                }
                Err(err) => {
                    // One of the ids may be stale (an account removed on another node whose
                    // announcement was lost): asked for again next time.
                    account_ids.forget_all(&[&e.sender, &e.to]);
                    Err(RouteError::Db(err))
                }
            };
            drop(turn);
            if let (Some((sender, to, element)), Ok(_)) = (original, &result) {
                let copies = Copies {
                    sender: &sender,
                    to: &to,
                    element: &element,
                    received_id: ids.0,
                    sent_id: ids.1,
                };
                if let Err(err) = copies.send(&*sessions, &hosts).await {
                    tracing::warn!(%err, "cannot send message carbons");
                }
            }
            result
        });
        Ok(Box::pin(async move {
            delivery.await.unwrap_or_else(|panic| {
                Err(RouteError::Db(DbErr::Custom(format!(
                    "routing task failed: {panic}"
                ))))
            })
        }))
    }
}
