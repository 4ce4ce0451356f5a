//! MAM ids as the reference makes them: the archive time in microseconds since the epoch,
//! shifted left by 8 bits, with the node's number (0–255) in the low bits. Ids of one node
//! strictly increase (two messages in the same microsecond get consecutive microseconds), so
//! they order the archive and are unique across up to 256 nodes. Clients see them in base 32
//! with the digits `0-9A-V` (the reference's `integer_to_binary(Id, 32)`).

use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MamId(pub i64);

const DIGITS: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";

impl MamId {
    /// The archive time, in microseconds since the epoch.
    pub fn micros(self) -> i64 {
        self.0 >> 8
    }

    /// The largest id archived at or before `micros` (for inclusive `before` bounds).
    pub fn upper_bound(micros: i64) -> MamId {
        MamId(micros.saturating_mul(256) | 0xFF)
    }

    /// Base 32, upper case, as the reference renders `stanza_id`.
    pub fn to_base32(self) -> String {
        let mut n = self.0 as u64;
        if n == 0 {
            return "0".into();
        }
        let mut out = Vec::new();
        while n > 0 {
            out.push(DIGITS[(n % 32) as usize]);
            n /= 32;
        }
        out.reverse();
        String::from_utf8(out).unwrap_or_default()
    }

    pub fn from_base32(s: &str) -> Option<MamId> {
        let mut n: i64 = 0;
        for c in s.bytes() {
            let d = DIGITS.iter().position(|x| *x == c.to_ascii_uppercase())? as i64;
            n = n.checked_mul(32)?.checked_add(d)?;
        }
        (!s.is_empty()).then_some(MamId(n))
    }
}

/// Hands out this node's ids.
pub struct IdGenerator {
    node: u8,
    last_micros: AtomicI64,
}

impl IdGenerator {
    pub fn new(node: u8) -> IdGenerator {
        IdGenerator {
            node,
            last_micros: AtomicI64::new(0),
        }
    }

    /// A fresh id for a message archived now.
    pub fn next(&self) -> MamId {
        self.next_at(crate::db::now_micros())
    }

    fn next_at(&self, now: i64) -> MamId {
        let mut last = self.last_micros.load(Ordering::Relaxed);
        loop {
            let micros = now.max(last + 1);
            match self.last_micros.compare_exchange_weak(
                last,
                micros,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return MamId((micros << 8) | i64::from(self.node)),
                Err(current) => last = current,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_the_reference() {
        assert_eq!(MamId(0).to_base32(), "0");
        assert_eq!(MamId(31).to_base32(), "V");
        assert_eq!(MamId(32).to_base32(), "10");
        // A 2022 archive time: twelve digits, as in the spec's "C5UGS7SR8QO1".
        let id = MamId((1_650_200_310_000_000i64 << 8) | 3);
        let s = id.to_base32();
        assert_eq!(s.len(), 12);
        assert_eq!(MamId::from_base32(&s), Some(id));
        assert_eq!(
            MamId::from_base32("c5ugs7sr8qo1").unwrap().to_base32(),
            "C5UGS7SR8QO1"
        );
        assert_eq!(MamId::from_base32("W"), None);
        assert_eq!(MamId::from_base32(""), None);
    }

    #[test]
    fn ids_increase_within_a_microsecond_and_carry_the_node() {
        let g = IdGenerator::new(7);
        let a = g.next_at(1000);
        let b = g.next_at(1000);
        let c = g.next_at(999);
        assert_eq!(a.micros(), 1000);
        assert_eq!(b.micros(), 1001);
        assert_eq!(c.micros(), 1002);
        assert_eq!(a.0 & 0xFF, 7);
        assert!(MamId::upper_bound(1001) >= b && MamId::upper_bound(1000) < b);
    }

    #[test]
    fn concurrent_ids_are_unique() {
        let g = std::sync::Arc::new(IdGenerator::new(0));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let g = g.clone();
                std::thread::spawn(move || (0..1000).map(|_| g.next_at(5)).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<MamId> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 4000);
    }
}
