//! Routing a stanza to local users: first the archive and inbox rows of every participant, in
//! one transaction, durable before the call returns; then live delivery to the recipient's
//! sessions by the XMPP rules ([`crate::sessions::select`]). Stanzas of one sender→recipient
//! pair are routed one at a time, so they reach the archive and the sessions in the same order.
//!
//! [`Router`] is the seam for several nodes; [`StandardRouter`] works on any
//! [`SessionRegistry`], in-process or distributed.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};

use crate::archive::{self, IdGenerator, NewEntry};
use crate::inbox::{self, Activity};
use crate::jid::Jid;
use crate::sessions::{Routed, SessionError, SessionRegistry, select};
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

#[async_trait::async_trait]
pub trait Router: Send + Sync {
    /// Archives and delivers; returns once the archive rows are committed.
    async fn route(&self, envelope: Envelope) -> Result<(), RouteError>;
}

/// Which modules the router serves for.
#[derive(Clone, Copy, Debug)]
pub struct Features {
    pub archive: bool,
    pub inbox: bool,
}

/// Locks that serialise routing per sender→recipient pair (striped: pairs share a lock when
/// their hashes collide, which costs only some parallelism).
struct PairLocks(Vec<tokio::sync::Mutex<()>>);

impl PairLocks {
    fn new(n: usize) -> PairLocks {
        PairLocks((0..n).map(|_| tokio::sync::Mutex::new(())).collect())
    }

    fn of(&self, from: &str, to: &str) -> &tokio::sync::Mutex<()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (from, to).hash(&mut h);
        &self.0[(h.finish() % self.0.len() as u64) as usize]
    }
}

pub struct StandardRouter {
    db: DatabaseConnection,
    sessions: Arc<dyn SessionRegistry>,
    ids: Arc<IdGenerator>,
    hosts: Vec<String>,
    features: Features,
    pairs: PairLocks,
}

impl StandardRouter {
    pub fn new(
        db: DatabaseConnection,
        sessions: Arc<dyn SessionRegistry>,
        ids: Arc<IdGenerator>,
        hosts: Vec<String>,
        features: Features,
    ) -> StandardRouter {
        StandardRouter {
            db,
            sessions,
            ids,
            hosts,
            features,
            pairs: PairLocks::new(1024),
        }
    }

    fn is_local(&self, jid: &Jid) -> bool {
        self.hosts.iter().any(|h| h == jid.domain())
    }

    /// The archive and inbox rows of an archivable message, in one transaction: the parties'
    /// accounts in one query, both archive rows in one statement, both inbox entries in one.
    async fn store(&self, e: &Envelope) -> Result<(), DbErr> {
        let parties: Vec<&Jid> = [&e.sender, &e.to]
            .into_iter()
            .filter(|j| self.is_local(j) && !j.node().is_empty())
            .collect();
        let ids = crate::accounts::user_ids(&self.db, &parties).await?;
        let id_of = |j: &Jid| {
            parties
                .iter()
                .position(|p| p.to_bare() == j.to_bare())
                .and_then(|i| ids[i])
        };
        let copies: Vec<(i64, &Jid, bool)> = [(&e.sender, &e.to, true), (&e.to, &e.sender, false)]
            .into_iter()
            .filter_map(|(owner, peer, outgoing)| id_of(owner).map(|id| (id, peer, outgoing)))
            .collect();
        if copies.is_empty() {
            return Ok(());
        }
        let stanza = e.element.to_string();
        let origin_id = e.element.attr("id").unwrap_or_default();
        let now = crate::db::now_micros();
        let txn = crate::db::begin_write(&self.db).await?;
        let mut archived = 0;
        if self.features.archive {
            let rows = copies
                .iter()
                .map(|&(owner_id, peer, outgoing)| {
                    let entry = NewEntry {
                        owner_id,
                        peer,
                        outgoing,
                        sender: &e.sender,
                        origin_id,
                        stanza: &stanza,
                    };
                    (self.ids.next(), entry)
                })
                .collect();
            archive::append_many(&txn, rows).await?;
            archived = copies.len() as u64;
        }
        if self.features.inbox {
            let acts: Vec<Activity> = copies
                .iter()
                .map(|&(user_id, remote, outgoing)| Activity {
                    user_id,
                    remote,
                    content: &stanza,
                    msg_id: origin_id,
                    micros: now,
                    incoming: !outgoing,
                })
                .collect();
            inbox::record_many(&txn, &acts).await?;
        }
        txn.commit().await?;
        crate::metrics::messages_archived(archived);
        Ok(())
    }

    async fn deliver(&self, e: Envelope, routed_at: i64) -> Result<(), RouteError> {
        if !self.is_local(&e.to) {
            return Ok(());
        }
        let sessions = self.sessions.sessions_of(&e.to).await?;
        let targets: Vec<_> = select::targets(&sessions, &e.to, &e.element)
            .into_iter()
            .cloned()
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        let routed = Arc::new(Routed {
            sender: e.sender,
            element: e.element,
            routed_at,
        });
        self.sessions.push(&targets, routed).await;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Router for StandardRouter {
    async fn route(&self, e: Envelope) -> Result<(), RouteError> {
        let _pair = self
            .pairs
            .of(&e.sender.bare_string(), &e.to.bare_string())
            .lock()
            .await;
        let routed_at = crate::db::now_micros();
        if (self.features.archive || self.features.inbox) && archive::is_archivable(&e.element) {
            self.store(&e).await?;
            crate::metrics::stanza_routed("archived");
        } else {
            crate::metrics::stanza_routed("live");
        }
        self.deliver(e, routed_at).await
    }
}
