//! Routing a stanza to local users: first the archive and inbox rows of every participant, in
//! one transaction, durable before the call returns; then live delivery to the recipient's
//! sessions by the XMPP rules ([`crate::sessions::select`]). Stanzas of one sender→recipient
//! pair are routed one at a time, so they reach the archive and the sessions in the same order.
//!
//! [`Router`] is the seam for several nodes; [`StandardRouter`] works on any
//! [`SessionRegistry`], in-process or distributed.

mod commit;

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};

use crate::archive::{self, IdGenerator, MamId};
use crate::jid::Jid;
use crate::sessions::{Routed, SessionError, SessionRegistry, select};
use crate::striped::Striped;
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

pub struct StandardRouter {
    db: DatabaseConnection,
    sessions: Arc<dyn SessionRegistry>,
    writer: commit::GroupCommit,
    hosts: Vec<String>,
    features: Features,
    /// Serialises routing per sender→recipient pair.
    pairs: Striped,
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
            db,
            sessions,
            hosts,
            features,
            pairs: Striped::new(1024),
        }
    }

    fn is_local(&self, jid: &Jid) -> bool {
        self.hosts.iter().any(|h| h == jid.domain())
    }

    /// The archive and inbox rows of an archivable message, committed (with those of messages
    /// routed at the same moment) before this returns: the parties' accounts in one query, the
    /// rows through the group commit. Answers the id of the recipient's archive copy, if any.
    async fn store(&self, e: &Envelope) -> Result<Option<MamId>, DbErr> {
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
        let copies: Vec<(i64, Jid, bool)> = [(&e.sender, &e.to, true), (&e.to, &e.sender, false)]
            .into_iter()
            .filter_map(|(owner, peer, outgoing)| {
                id_of(owner).map(|id| (id, peer.clone(), outgoing))
            })
            .collect();
        if copies.is_empty() {
            return Ok(None);
        }
        let recipient = copies.iter().position(|(_, _, outgoing)| !outgoing);
        let (archived, ids) = self
            .writer
            .write(commit::Rows {
                copies,
                sender: e.sender.clone(),
                origin_id: e.element.attr("id").unwrap_or_default().to_string(),
                stanza: e.element.to_string(),
                micros: crate::db::now_micros(),
            })
            .await?;
        crate::metrics::messages_archived(archived);
        Ok(recipient.filter(|_| self.features.archive).map(|i| ids[i]))
    }

    async fn deliver(
        &self,
        e: Envelope,
        routed_at: i64,
        archive_id: Option<MamId>,
    ) -> Result<(), RouteError> {
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
            archive_id,
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
            .of(&(e.sender.bare_string(), e.to.bare_string()))
            .lock()
            .await;
        let routed_at = crate::db::now_micros();
        let mut archive_id = None;
        if (self.features.archive || self.features.inbox) && archive::is_archivable(&e.element) {
            archive_id = self.store(&e).await?;
            crate::metrics::stanza_routed("archived");
        } else {
            crate::metrics::stanza_routed("live");
        }
        self.deliver(e, routed_at, archive_id).await
    }
}
