//! Striped in-process locks: a fixed set of mutexes, a key locks the one its hash picks. Keys
//! whose hashes collide share a stripe, which costs only some parallelism; memory stays fixed
//! however many keys (rooms, sender→recipient pairs) there are.

use std::hash::{Hash, Hasher};

/// The stripes; each may hold a `T` its holder reads and changes under the lock.
pub struct Striped<T = ()>(Vec<tokio::sync::Mutex<T>>);

impl<T: Default> Striped<T> {
    pub fn new(stripes: usize) -> Striped<T> {
        Striped(
            (0..stripes.max(1))
                .map(|_| tokio::sync::Mutex::new(T::default()))
                .collect(),
        )
    }

    /// The stripe that serialises `key`.
    pub fn of<K: Hash + ?Sized>(&self, key: &K) -> &tokio::sync::Mutex<T> {
        &self.0[(hash(key) % self.0.len() as u64) as usize]
    }
}

/// The hash stripes are picked by (also usable to spread keys over other fixed sets).
pub fn hash<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}
