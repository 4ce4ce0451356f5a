//! Credentials verified recently, so Basic auth does not pay the slow hash on every request.
//! Keys are SHA-256 digests of (process secret, JID, password): the cache never holds a
//! password. Bounded (LRU); every entry of a user is dropped when the password changes or the
//! account is removed here. An entry older than the TTL is *stale*: the caller re-reads the
//! stored hash (one cheap query) and renews the entry if it is unchanged, so a change made by
//! another process is seen within the TTL without every client paying the slow hash again at
//! the same moment.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lru::LruCache;
use sha2::{Digest, Sha256};

type Key = [u8; 32];

struct Entry {
    jid: String,
    /// The stored password hash the credential was verified against.
    phc: String,
    verified: Instant,
}

/// What the cache knows of a (JID, password) pair.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Verified within the TTL.
    Fresh,
    /// Verified against this stored hash, longer ago than the TTL.
    Stale(String),
    Miss,
}

pub struct CredentialCache {
    secret: [u8; 32],
    ttl: Duration,
    entries: Option<Mutex<LruCache<Key, Entry>>>,
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

    /// Whether credentials are cached at all (`cache_size` above 0).
    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The digest a credential is known by (here and among verifications in flight).
    pub fn key(&self, jid: &str, password: &str) -> Key {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update((jid.len() as u64).to_le_bytes());
        h.update(jid.as_bytes());
        h.update(password.as_bytes());
        h.finalize().into()
    }

    pub fn lookup(&self, jid: &str, password: &str) -> Lookup {
        let Some(entries) = &self.entries else {
            return Lookup::Miss;
        };
        let key = self.key(jid, password);
        let Ok(mut entries) = entries.lock() else {
            return Lookup::Miss;
        };
        match entries.get(&key) {
            Some(e) if e.verified.elapsed() < self.ttl => Lookup::Fresh,
            Some(e) => Lookup::Stale(e.phc.clone()),
            None => Lookup::Miss,
        }
    }

    /// The current invalidation epoch; read it before checking a password.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Caches a credential verified against `phc`, unless an invalidation happened since
    /// `epoch`. Also renews a stale entry.
    pub fn insert_if_current(&self, jid: &str, password: &str, phc: &str, epoch: u64) {
        if let Some(entries) = &self.entries {
            let key = self.key(jid, password);
            if let Ok(mut entries) = entries.lock()
                && self.epoch() == epoch
            {
                let entry = Entry {
                    jid: jid.to_string(),
                    phc: phc.to_string(),
                    verified: Instant::now(),
                };
                entries.put(key, entry);
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
                .filter(|(_, e)| e.jid == jid)
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
    fn caches_invalidates_and_evicts() {
        let c = CredentialCache::new(2, Duration::from_secs(60));
        c.insert_if_current("a@l", "pw", "h1", c.epoch());
        assert_eq!(c.lookup("a@l", "pw"), Lookup::Fresh);
        assert_eq!(c.lookup("a@l", "other"), Lookup::Miss);
        assert_eq!(c.lookup("b@l", "pw"), Lookup::Miss);
        c.invalidate("a@l");
        assert_eq!(c.lookup("a@l", "pw"), Lookup::Miss);

        let e = c.epoch();
        c.insert_if_current("a@l", "1", "h", e);
        c.insert_if_current("b@l", "2", "h", e);
        c.insert_if_current("c@l", "3", "h", e);
        assert_eq!(c.lookup("c@l", "3"), Lookup::Fresh);
        assert_eq!(
            c.lookup("a@l", "1"),
            Lookup::Miss,
            "least recently used entry is evicted"
        );
        c.insert_if_current("d@l", "4", "h", e - 1);
        assert_eq!(
            c.lookup("d@l", "4"),
            Lookup::Miss,
            "a verification older than an invalidation is not cached"
        );
    }

    #[test]
    fn old_entries_are_stale_with_their_hash() {
        let c = CredentialCache::new(2, Duration::ZERO);
        c.insert_if_current("a@l", "pw", "phc", 0);
        assert_eq!(c.lookup("a@l", "pw"), Lookup::Stale("phc".into()));

        let off = CredentialCache::new(0, Duration::from_secs(60));
        off.insert_if_current("a@l", "pw", "phc", 0);
        assert_eq!(off.lookup("a@l", "pw"), Lookup::Miss);
    }
}
