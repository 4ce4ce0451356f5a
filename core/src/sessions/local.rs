//! The in-process session registry: every session and mailbox in this process's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use super::{Routed, SessionError, SessionId, SessionInfo, SessionRegistry, Status};
use crate::jid::Jid;
use crate::xml::Element;

struct Entry {
    info: SessionInfo,
    tx: mpsc::Sender<Arc<Routed>>,
}

#[derive(Default)]
struct Inner {
    /// Sessions by bare JID.
    by_user: HashMap<String, Vec<Entry>>,
    /// The bare JID of each session.
    owner: HashMap<SessionId, String>,
}

impl Inner {
    fn remove(&mut self, id: SessionId) -> Option<Entry> {
        let user = self.owner.remove(&id)?;
        let list = self.by_user.get_mut(&user)?;
        let pos = list.iter().position(|e| e.info.id == id)?;
        let entry = list.swap_remove(pos);
        if list.is_empty() {
            self.by_user.remove(&user);
        }
        Some(entry)
    }
}

pub struct LocalSessions {
    /// Stanzas a mailbox holds before its session counts as stuck.
    capacity: usize,
    /// Live sessions one user may have here.
    max_per_user: usize,
    inner: Mutex<Inner>,
}

impl LocalSessions {
    /// `max_per_user`: live sessions one user may have in this process.
    pub fn new(capacity: usize, max_per_user: usize) -> LocalSessions {
        LocalSessions {
            capacity: capacity.max(1),
            max_per_user,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Open sessions in this process.
    pub fn count(&self) -> usize {
        self.lock().owner.len()
    }

    /// Open sessions in this process of the users of `domain` (of everyone when `None`).
    pub fn count_of(&self, domain: Option<&str>) -> u64 {
        let inner = self.lock();
        let n = match domain {
            None => inner.owner.len(),
            Some(d) => inner
                .by_user
                .iter()
                .filter(|(user, _)| user.rsplit_once('@').is_some_and(|(_, ud)| ud == d))
                .map(|(_, list)| list.len())
                .sum(),
        };
        n as u64
    }

    /// Pushes a stanza into the mailboxes of the sessions with these ids that live here
    /// (the others are ignored); a full mailbox closes its session as in [`SessionRegistry::push`].
    pub fn push_ids(&self, ids: &[SessionId], stanza: Arc<Routed>) {
        let mut inner = self.lock();
        let mut delivered = 0;
        for id in ids {
            let Some(user) = inner.owner.get(id).cloned() else {
                continue;
            };
            let sent = inner
                .by_user
                .get(&user)
                .and_then(|list| list.iter().find(|e| e.info.id == *id))
                .map(|e| e.tx.try_send(stanza.clone()));
            match sent {
                Some(Err(TrySendError::Full(_))) => {
                    tracing::warn!(%user, "mailbox full: closing the session of a client that does not read");
                    inner.remove(*id);
                }
                Some(Err(TrySendError::Closed(_))) => {
                    inner.remove(*id);
                }
                Some(Ok(())) => delivered += 1,
                None => {}
            }
        }
        crate::metrics::messages_delivered(delivered);
    }
}

#[async_trait::async_trait]
impl SessionRegistry for LocalSessions {
    async fn open(&self, info: SessionInfo) -> Result<mpsc::Receiver<Arc<Routed>>, SessionError> {
        let (tx, rx) = mpsc::channel(self.capacity);
        let user = info.jid.bare_string();
        let mut inner = self.lock();
        // Counted and registered under one lock: exact.
        if inner.by_user.get(&user).map_or(0, Vec::len) >= self.max_per_user {
            return Err(SessionError::TooMany(self.max_per_user));
        }
        inner.owner.insert(info.id, user.clone());
        inner
            .by_user
            .entry(user)
            .or_default()
            .push(Entry { info, tx });
        Ok(rx)
    }

    fn close(&self, id: SessionId) {
        self.lock().remove(id);
    }

    async fn sessions_of(&self, user: &Jid) -> Result<Vec<SessionInfo>, SessionError> {
        Ok(self
            .lock()
            .by_user
            .get(&user.bare_string())
            .map(|list| list.iter().map(|e| e.info.clone()).collect())
            .unwrap_or_default())
    }

    async fn sessions_of_users(&self, users: &[Jid]) -> Result<Vec<SessionInfo>, SessionError> {
        let inner = self.lock();
        Ok(users
            .iter()
            .filter_map(|u| inner.by_user.get(&u.bare_string()))
            .flat_map(|list| list.iter().map(|e| e.info.clone()))
            .collect())
    }

    async fn push(&self, targets: &[SessionInfo], stanza: Arc<Routed>) {
        let ids: Vec<SessionId> = targets.iter().map(|t| t.id).collect();
        self.push_ids(&ids, stanza);
    }

    async fn set_presence(
        &self,
        id: SessionId,
        priority: i32,
        presence: Option<Element>,
        status: Status,
    ) -> Result<(), SessionError> {
        let mut inner = self.lock();
        let Some(user) = inner.owner.get(&id).cloned() else {
            return Ok(());
        };
        if let Some(e) = inner
            .by_user
            .get_mut(&user)
            .and_then(|list| list.iter_mut().find(|e| e.info.id == id))
        {
            e.info.priority = priority;
            e.info.presence = presence;
            e.info.status = Some(status);
        }
        Ok(())
    }

    async fn all_sessions(&self, domain: Option<&str>) -> Result<Vec<SessionInfo>, SessionError> {
        Ok(self
            .lock()
            .by_user
            .values()
            .flatten()
            .filter(|e| domain.is_none_or(|d| e.info.jid.domain() == d))
            .map(|e| e.info.clone())
            .collect())
    }

    async fn end(&self, old: &SessionInfo) {
        self.close(old.id);
    }

    async fn count(&self, domain: Option<&str>, _this_node: bool) -> Result<u64, SessionError> {
        Ok(self.count_of(domain))
    }

    async fn close_user(&self, user: &Jid) {
        let mut inner = self.lock();
        if let Some(list) = inner.by_user.remove(&user.bare_string()) {
            for e in list {
                inner.owner.remove(&e.info.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Transport;
    use super::*;

    fn info(jid: &str) -> SessionInfo {
        SessionInfo {
            id: SessionId::random(),
            jid: Jid::parse(jid).unwrap(),
            priority: 1,
            node: "n".into(),
            transport: Transport::Sse,
            opened_at: 0,
            peer: None,
            presence: None,
            status: None,
        }
    }

    fn routed() -> Arc<Routed> {
        Arc::new(Routed {
            sender: Jid::parse("bob@localhost").unwrap(),
            element: Element::new("message"),
            routed_at: 0,
            archive_id: None,
        })
    }

    #[tokio::test]
    async fn open_push_close() {
        let reg = LocalSessions::new(2, 100);
        let a = info("alice@localhost/sse-1");
        let mut rx = reg.open(a.clone()).await.unwrap();
        let user = Jid::parse("alice@localhost").unwrap();
        assert_eq!(reg.sessions_of(&user).await.unwrap(), vec![a.clone()]);
        reg.push(std::slice::from_ref(&a), routed()).await;
        assert!(rx.recv().await.is_some());
        reg.close(a.id);
        assert!(reg.sessions_of(&user).await.unwrap().is_empty());
        assert!(
            rx.recv().await.is_none(),
            "the mailbox ends with its session"
        );
        assert_eq!(reg.count(), 0);
    }

    #[tokio::test]
    async fn a_full_mailbox_closes_its_session() {
        let reg = LocalSessions::new(1, 100);
        let a = info("alice@localhost/sse-1");
        let mut rx = reg.open(a.clone()).await.unwrap();
        reg.push(std::slice::from_ref(&a), routed()).await;
        reg.push(std::slice::from_ref(&a), routed()).await;
        assert_eq!(reg.count(), 0);
        assert!(rx.recv().await.is_some());
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn sessions_per_user_are_bounded() {
        let reg = LocalSessions::new(1, 2);
        let _a = reg.open(info("alice@localhost/a")).await.unwrap();
        let b = info("alice@localhost/b");
        let _b = reg.open(b.clone()).await.unwrap();
        assert!(matches!(
            reg.open(info("alice@localhost/c")).await,
            Err(SessionError::TooMany(2))
        ));
        // Another user is not affected; a closed session frees its place.
        let _x = reg.open(info("bob@localhost/a")).await.unwrap();
        reg.close(b.id);
        let _c = reg.open(info("alice@localhost/c")).await.unwrap();
        assert_eq!(reg.count(), 3);
    }

    #[tokio::test]
    async fn ending_a_replaced_session_closes_its_mailbox_only() {
        let reg = LocalSessions::new(4, 100);
        let old = info("alice@localhost/desk");
        let mut rx = reg.open(old.clone()).await.unwrap();
        let other = info("alice@localhost/phone");
        let _other = reg.open(other.clone()).await.unwrap();
        reg.end(&old).await;
        assert!(rx.recv().await.is_none());
        let user = Jid::parse("alice@localhost").unwrap();
        assert_eq!(reg.sessions_of(&user).await.unwrap(), vec![other]);
    }

    #[tokio::test]
    async fn removing_a_user_closes_every_session() {
        let reg = LocalSessions::new(4, 100);
        let mut r1 = reg.open(info("alice@localhost/a")).await.unwrap();
        let mut r2 = reg.open(info("alice@localhost/b")).await.unwrap();
        let _r3 = reg.open(info("bob@localhost/a")).await.unwrap();
        reg.close_user(&Jid::parse("alice@localhost").unwrap())
            .await;
        assert!(r1.recv().await.is_none() && r2.recv().await.is_none());
        assert_eq!(reg.count(), 1);
    }
}
