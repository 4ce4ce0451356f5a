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

    async fn local_user_id(&self, jid: &Jid) -> Result<Option<i64>, DbErr> {
        if !self.is_local(jid) || jid.node().is_empty() {
            return Ok(None);
        }
        crate::accounts::user_id(&self.db, jid).await
    }

    /// The archive and inbox rows of an archivable message, in one transaction.
    async fn store(&self, e: &Envelope) -> Result<(), DbErr> {
        let (sender_id, recipient_id) = (
            self.local_user_id(&e.sender).await?,
            self.local_user_id(&e.to).await?,
        );
        if sender_id.is_none() && recipient_id.is_none() {
            return Ok(());
        }
        let stanza = e.element.to_string();
        let origin_id = e.element.attr("id").unwrap_or_default();
        let txn = crate::db::begin_write(&self.db).await?;
        let now = crate::db::now_micros();
        let copies = [(sender_id, &e.to, true), (recipient_id, &e.sender, false)];
        for (owner, peer, outgoing) in copies {
            let Some(owner_id) = owner else { continue };
            if self.features.archive {
                let entry = NewEntry {
                    owner_id,
                    peer,
                    outgoing,
                    sender: &e.sender,
                    origin_id,
                    stanza: &stanza,
                };
                archive::append(&txn, self.ids.next(), entry).await?;
            }
            if self.features.inbox {
                let activity = Activity {
                    user_id: owner_id,
                    remote: peer,
                    content: &stanza,
                    msg_id: origin_id,
                    micros: now,
                    incoming: !outgoing,
                };
                inbox::record(&txn, activity).await?;
            }
        }
        txn.commit().await
    }

    async fn deliver(&self, e: Envelope) -> Result<(), RouteError> {
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
        if (self.features.archive || self.features.inbox) && archive::is_archivable(&e.element) {
            self.store(&e).await?;
        }
        self.deliver(e).await
    }
}
