//! Striped in-process locks: a fixed set of mutexes, a key locks the one its hash picks. Keys
//! whose hashes collide share a stripe, which costs only some parallelism; memory stays fixed
//! however many keys (rooms, sender→recipient pairs) there are.

use std::hash::{Hash, Hasher};

pub struct Striped(Vec<tokio::sync::Mutex<()>>);

impl Striped {
    pub fn new(stripes: usize) -> Striped {
        Striped(
            (0..stripes.max(1))
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        )
    }

    /// The stripe that serialises `key`.
    pub fn of<K: Hash + ?Sized>(&self, key: &K) -> &tokio::sync::Mutex<()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        &self.0[(h.finish() % self.0.len() as u64) as usize]
    }
}
