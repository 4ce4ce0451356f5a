//! The account ids of local users, cached: the router needs the ids of a message's parties to
//! write its archive, inbox and offline rows, and asking the database for them was one query
//! per routed message (on SQLite, a round trip to sqlx's worker thread) for an answer that
//! only changes when an account is removed.
//!
//! Only registered users are cached (an unknown JID is asked for again each time, so a
//! registration needs no invalidation). The removal of an account forgets its entry here and,
//! announced with the forgotten credentials (`mimql.auth`, [`crate::accounts::Accounts`]), on
//! every other node.
//!
//! Why a stale entry cannot misfile a message: account ids are never reused (`users.id` is
//! `AUTOINCREMENT` on SQLite and `bigserial` on PostgreSQL: a removed account's id is not given
//! to a later registration of the same or any other name), and every row the router writes
//! under an id (archive, inbox, offline) has a foreign key to `users`. A message routed with
//! the id of an account whose removal committed meanwhile fails its insert — alone, the group
//! commit retries the others of its batch one by one — exactly as it did before this cache
//! when the removal committed between the router's query and its commit; it is never archived
//! under a dangling id, nor under another account's. The entry is also forgotten when a write
//! under it fails ([`AccountIds::forget_all`]), so an announcement lost between nodes costs at
//! most one failed message, not every message to a re-registered account.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use lru::LruCache;
use sea_orm::{DatabaseConnection, DbErr};

use crate::jid::Jid;

pub struct AccountIds {
    db: DatabaseConnection,
    /// Bare JID → account id; `None`: caching is off (`[limits] account_id_cache_entries = 0`).
    entries: Option<Mutex<LruCache<String, i64>>>,
    /// Bumped by every forget: a lookup that started before one does not fill the cache (it
    /// may have read an account that was removed meanwhile).
    epoch: AtomicU64,
}

impl AccountIds {
    /// `capacity` 0 turns the cache off (every lookup asks the database).
    pub fn new(db: DatabaseConnection, capacity: usize) -> AccountIds {
        AccountIds {
            db,
            entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))),
            epoch: AtomicU64::new(0),
        }
    }

    /// The account ids of `jids` (resources ignored), `None` for those not registered: from
    /// the cache, the others in one query.
    pub async fn ids(&self, jids: &[&Jid]) -> Result<Vec<Option<i64>>, DbErr> {
        let Some(entries) = &self.entries else {
            return crate::accounts::user_ids(&self.db, jids).await;
        };
        let keys: Vec<String> = jids.iter().map(|j| j.bare_string()).collect();
        let mut ids: Vec<Option<i64>> = {
            let mut cache = entries.lock().expect("account id cache");
            keys.iter().map(|k| cache.get(k).copied()).collect()
        };
        let missing: Vec<usize> = (0..jids.len()).filter(|&i| ids[i].is_none()).collect();
        if missing.is_empty() {
            return Ok(ids);
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let asked: Vec<&Jid> = missing.iter().map(|&i| jids[i]).collect();
        let found = crate::accounts::user_ids(&self.db, &asked).await?;
        let mut cache = entries.lock().expect("account id cache");
        let current = self.epoch.load(Ordering::SeqCst) == epoch;
        for (&i, id) in missing.iter().zip(found) {
            ids[i] = id;
            if let (Some(id), true) = (id, current) {
                cache.put(keys[i].clone(), id);
            }
        }
        Ok(ids)
    }

    /// Forgets the id of a bare JID (its account was removed, here or on another node).
    pub fn forget(&self, bare: &str) {
        let Some(entries) = &self.entries else {
            return;
        };
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.lock().expect("account id cache").pop(bare);
    }

    /// Forgets the ids of these JIDs (a write under them failed: one may be stale).
    pub fn forget_all(&self, jids: &[&Jid]) {
        for j in jids {
            self.forget(&j.bare_string());
        }
    }
}
