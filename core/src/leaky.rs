//! Leaky buckets keyed by `K`, in memory and bounded (the least recently used keys are
//! forgotten first): each key's level rises by what is added under it and drains at a steady
//! rate. The failed-login throttle counts failures in them, the HTTP listeners refused bytes.

use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lru::LruCache;

struct Bucket {
    /// What was added and has not drained yet, as of `at`.
    level: f64,
    at: Instant,
}

/// Buckets of one capacity and drain rate.
pub struct LeakyBuckets<K: Hash + Eq> {
    capacity: f64,
    /// Time for one unit to drain.
    unit: Duration,
    map: Mutex<LruCache<K, Bucket>>,
}

impl<K: Hash + Eq> LeakyBuckets<K> {
    /// Buckets holding `capacity` units, one unit draining every `unit`, at most `entries` keys;
    /// `None` (no limit) when `capacity` or `unit` is zero.
    pub fn new(capacity: f64, unit: Duration, entries: usize) -> Option<LeakyBuckets<K>> {
        let entries = NonZeroUsize::new(entries).unwrap_or(NonZeroUsize::MIN);
        (capacity > 0.0 && !unit.is_zero()).then(|| LeakyBuckets {
            capacity,
            unit,
            map: Mutex::new(LruCache::new(entries)),
        })
    }

    /// The bucket's level at `now`.
    fn drained(&self, b: &Bucket, now: Instant) -> f64 {
        let drained = now.saturating_duration_since(b.at).as_secs_f64() / self.unit.as_secs_f64();
        (b.level - drained).max(0.0)
    }

    /// The level of `key`'s bucket at `now` (0 for a key never seen or forgotten).
    pub fn level(&self, key: &K, now: Instant) -> f64 {
        let Ok(map) = self.map.lock() else {
            return 0.0;
        };
        map.peek(key).map_or(0.0, |b| self.drained(b, now))
    }

    /// How long until `key`'s level is at most `room`; `None` if it is already.
    pub fn wait_for(&self, key: &K, room: f64, now: Instant) -> Option<Duration> {
        let level = self.level(key, now);
        (level > room).then(|| self.unit.mul_f64(level - room))
    }

    /// The capacity the buckets were made with.
    pub fn capacity(&self) -> f64 {
        self.capacity
    }

    /// Adds `amount` to `key`'s bucket (never above the capacity, so a key drains within
    /// `capacity × unit` of its last addition) and answers the new level.
    pub fn add(&self, key: K, amount: f64, now: Instant) -> f64 {
        let Ok(mut map) = self.map.lock() else {
            return 0.0;
        };
        let level = map.peek(&key).map_or(0.0, |b| self.drained(b, now));
        let level = (level + amount).min(self.capacity);
        map.put(key, Bucket { level, at: now });
        level
    }

    /// Forgets `key`'s bucket.
    pub fn forget(&self, key: &K) {
        if let Ok(mut map) = self.map.lock() {
            map.pop(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_to_capacity_and_drains_steadily() {
        let b = LeakyBuckets::<u8>::new(4.0, Duration::from_millis(100), 10).unwrap();
        let t0 = Instant::now();
        assert_eq!(b.add(1, 3.0, t0), 3.0);
        assert_eq!(b.add(1, 3.0, t0), 4.0, "capped at the capacity");
        assert_eq!(b.wait_for(&1, 2.0, t0), Some(Duration::from_millis(200)));
        assert_eq!(b.wait_for(&1, 2.0, t0 + Duration::from_millis(200)), None);
        assert_eq!(b.level(&2, t0), 0.0);
        assert!((b.level(&1, t0 + Duration::from_millis(250)) - 1.5).abs() < 1e-9);
        assert_eq!(b.level(&1, t0 + Duration::from_secs(1)), 0.0);
        b.forget(&1);
        assert_eq!(b.level(&1, t0), 0.0);
        assert!(LeakyBuckets::<u8>::new(0.0, Duration::from_secs(1), 1).is_none());
        assert!(LeakyBuckets::<u8>::new(1.0, Duration::ZERO, 1).is_none());
    }

    #[test]
    fn forgets_the_least_recently_used_key() {
        let b = LeakyBuckets::<u8>::new(4.0, Duration::from_secs(1), 2).unwrap();
        let t0 = Instant::now();
        b.add(1, 1.0, t0);
        b.add(2, 1.0, t0);
        b.add(3, 1.0, t0);
        assert_eq!(b.level(&1, t0), 0.0);
        assert_eq!(b.level(&3, t0), 1.0);
    }
}
