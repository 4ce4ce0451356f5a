//! Credentials verified recently, so Basic auth does not pay the slow hash on every request.
//! Keys are SHA-256 digests of (process secret, JID, password): the cache never holds a
//! password. Bounded (LRU), entries expire after a TTL, and every entry of a user is dropped
//! when the password changes or the account is removed.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lru::LruCache;
use sha2::{Digest, Sha256};

type Key = [u8; 32];

pub struct CredentialCache {
    secret: [u8; 32],
    ttl: Duration,
    entries: Option<Mutex<LruCache<Key, (String, Instant)>>>,
    /// Bumped by every invalidation; a verification that started before one must not be
    /// cached, or it could re-admit a password that was just changed.
    epoch: AtomicU64,
}

impl CredentialCache {
    /// `capacity` 0 disables caching.
    pub fn new(capacity: usize, ttl: Duration) -> CredentialCache {
        CredentialCache {
            secret: rand::random(),
            ttl,
            entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))),
            epoch: AtomicU64::new(0),
        }
    }

    fn key(&self, jid: &str, password: &str) -> Key {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update((jid.len() as u64).to_le_bytes());
        h.update(jid.as_bytes());
        h.update(password.as_bytes());
        h.finalize().into()
    }

    /// Whether this (bare JID, password) pair was verified within the TTL.
    pub fn contains(&self, jid: &str, password: &str) -> bool {
        let Some(entries) = &self.entries else {
            return false;
        };
        let key = self.key(jid, password);
        let Ok(mut entries) = entries.lock() else {
            return false;
        };
        match entries.get(&key) {
            Some((_, at)) if at.elapsed() < self.ttl => true,
            Some(_) => {
                entries.pop(&key);
                false
            }
            None => false,
        }
    }

    /// The current invalidation epoch; read it before checking a password.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Caches a verified credential unless an invalidation happened since `epoch`.
    pub fn insert_if_current(&self, jid: &str, password: &str, epoch: u64) {
        if let Some(entries) = &self.entries {
            let key = self.key(jid, password);
            if let Ok(mut entries) = entries.lock()
                && self.epoch() == epoch
            {
                entries.put(key, (jid.to_string(), Instant::now()));
            }
        }
    }

    /// Forgets every cached credential of `jid` (bare).
    pub fn invalidate(&self, jid: &str) {
        if let Some(entries) = &self.entries
            && let Ok(mut entries) = entries.lock()
        {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            let stale: Vec<Key> = entries
                .iter()
                .filter(|(_, (j, _))| j == jid)
                .map(|(k, _)| *k)
                .collect();
            for k in stale {
                entries.pop(&k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_invalidates_and_expires() {
        let c = CredentialCache::new(2, Duration::from_secs(60));
        c.insert_if_current("a@l", "pw", c.epoch());
        assert!(c.contains("a@l", "pw"));
        assert!(!c.contains("a@l", "other"));
        assert!(!c.contains("b@l", "pw"));
        c.invalidate("a@l");
        assert!(!c.contains("a@l", "pw"));

        let e = c.epoch();
        c.insert_if_current("a@l", "1", e);
        c.insert_if_current("b@l", "2", e);
        c.insert_if_current("c@l", "3", e);
        assert!(c.contains("c@l", "3"));
        c.insert_if_current("d@l", "4", e - 1);
        assert!(
            !c.contains("d@l", "4"),
            "a verification older than an invalidation is not cached"
        );
        assert!(
            !c.contains("a@l", "1"),
            "least recently used entry is evicted"
        );

        let expired = CredentialCache::new(2, Duration::ZERO);
        expired.insert_if_current("a@l", "pw", 0);
        assert!(!expired.contains("a@l", "pw"));

        let off = CredentialCache::new(0, Duration::from_secs(60));
        off.insert_if_current("a@l", "pw", 0);
        assert!(!off.contains("a@l", "pw"));
    }
}
