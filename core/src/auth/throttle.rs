//! Failed logins limited per account and per source address, in the spirit of ejabberd's
//! `mod_fail2ban`: each key (a bare JID, an address) has a bucket that every *failed
//! verification* fills by one and that drains by one every `refill` interval. While a bucket
//! is full, attempts under its key are refused at once — before any password hash is computed,
//! and whatever the password — until it has drained by one. So a key gets `failures` tries in a
//! burst, then one per `refill`; a success forgets the account's failures (not the address's).
//!
//! Only failed verifications drive it: attempts that are refused, that wait for a hash slot, or
//! that are in flight count for nothing, so clients logging in at once with the right password
//! are never refused. The state is in memory, per node, bounded (least recently used keys are
//! forgotten first). Transport-neutral: the HTTP APIs and XMPP SASL share it.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use crate::leaky::LeakyBuckets;

/// An attempt refused because its account or its source failed too often lately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many failed login attempts; retry in {}s", .retry_after.as_secs().max(1))]
pub struct Throttled {
    /// When the next attempt will be considered.
    pub retry_after: Duration,
}

/// The bounds of one kind of key.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    /// Failed verifications in a burst; 0 turns this kind of key off.
    pub failures: u32,
    /// One more failure is allowed per this interval once the burst is spent.
    pub refill: Duration,
}

/// One kind of key's buckets, one failure a unit.
struct Buckets<K: Hash + Eq> {
    bound: Bound,
    buckets: LeakyBuckets<K>,
}

impl<K: Hash + Eq> Buckets<K> {
    fn new(bound: Bound, entries: NonZeroUsize) -> Option<Buckets<K>> {
        let buckets = LeakyBuckets::new(f64::from(bound.failures), bound.refill, entries.get())?;
        Some(Buckets { bound, buckets })
    }

    fn check(&self, key: &K, now: Instant) -> Result<(), Throttled> {
        let room = f64::from(self.bound.failures) - 1.0;
        match self.buckets.wait_for(key, room, now) {
            None => Ok(()),
            Some(retry_after) => Err(Throttled { retry_after }),
        }
    }

    fn fail(&self, key: K, now: Instant) {
        self.buckets.add(key, 1.0, now);
    }

    fn forget(&self, key: &K) {
        self.buckets.forget(key);
    }
}

/// The failed-login throttle (see the module documentation).
pub struct Throttle {
    accounts: Option<Buckets<String>>,
    sources: Option<Buckets<IpAddr>>,
    /// Whether loopback sources are limited on [`Scope::User`].
    loopback: bool,
}

/// Who is logging in: a user, whose loopback sources are limited only when configured (a
/// reverse proxy on the same host makes every client a loopback one), or the admin, whose
/// sources are always limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    User,
    Admin,
}

/// The key of a source address: IPv4 addresses whole, IPv6 by their /64 (one host usually
/// holds a whole /64).
pub fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl Throttle {
    /// Buckets for accounts and sources, each kind keeping at most `entries` keys.
    pub fn new(account: Bound, source: Bound, entries: usize, loopback: bool) -> Throttle {
        let entries = NonZeroUsize::new(entries).unwrap_or(NonZeroUsize::MIN);
        Throttle {
            accounts: Buckets::new(account, entries),
            sources: Buckets::new(source, entries),
            loopback,
        }
    }

    /// The key `source` is limited by in `scope`, if any.
    fn source(&self, source: Option<IpAddr>, scope: Scope) -> Option<IpAddr> {
        let ip = source?;
        (scope == Scope::Admin || self.loopback || !ip.is_loopback()).then(|| source_key(ip))
    }

    /// The throttle `[auth]` configures.
    pub fn from_config(auth: &crate::config::Auth) -> Throttle {
        Throttle::new(
            Bound {
                failures: auth.account_failures,
                refill: Duration::from_secs(auth.account_refill_secs),
            },
            Bound {
                failures: auth.source_failures,
                refill: Duration::from_secs(auth.source_refill_secs),
            },
            auth.throttle_entries,
            auth.throttle_loopback,
        )
    }

    /// Whether an attempt for `account` (a bare JID; `None` when the credential names none)
    /// from `source` may be verified now. Counts nothing.
    pub fn check(
        &self,
        account: Option<&str>,
        source: Option<IpAddr>,
        scope: Scope,
    ) -> Result<(), Throttled> {
        let now = Instant::now();
        let source = self.source(source, scope);
        let by_account = match (&self.accounts, account) {
            (Some(b), Some(a)) => b.check(&a.to_string(), now),
            _ => Ok(()),
        };
        let by_source = match (&self.sources, source) {
            (Some(b), Some(ip)) => b.check(&ip, now),
            _ => Ok(()),
        };
        let verdict = match (by_account, by_source) {
            (Err(a), Err(s)) => Err(Throttled {
                retry_after: a.retry_after.max(s.retry_after),
            }),
            (Err(t), _) | (_, Err(t)) => Err(t),
            _ => Ok(()),
        };
        if verdict.is_err() {
            crate::metrics::login_throttle("refused");
        }
        verdict
    }

    /// Counts a failed verification.
    pub fn failed(&self, account: Option<&str>, source: Option<IpAddr>, scope: Scope) {
        let now = Instant::now();
        let source = self.source(source, scope);
        if let (Some(b), Some(a)) = (&self.accounts, account) {
            b.fail(a.to_string(), now);
        }
        if let (Some(b), Some(ip)) = (&self.sources, source) {
            b.fail(ip, now);
        }
        crate::metrics::login_throttle("failure");
    }

    /// Forgets the failures of `account` after a successful verification. Its source's stay:
    /// one known password must not buy a source more guesses at others.
    pub fn succeeded(&self, account: &str) {
        if let Some(b) = &self.accounts {
            b.forget(&account.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(failures: u32, ms: u64) -> Bound {
        Bound {
            failures,
            refill: Duration::from_millis(ms),
        }
    }

    #[test]
    fn a_burst_then_one_per_refill() {
        let b = Buckets::<u8>::new(bound(3, 1000), NonZeroUsize::MIN).unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.check(&1, t0).is_ok());
            b.fail(1, t0);
        }
        let refused = b.check(&1, t0).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(1));
        assert!(b.check(&1, t0 + Duration::from_millis(500)).is_err());
        assert!(b.check(&1, t0 + Duration::from_millis(1000)).is_ok());
        b.fail(1, t0 + Duration::from_millis(1000));
        assert!(b.check(&1, t0 + Duration::from_millis(1500)).is_err());
        // Drained completely after the burst's worth of intervals.
        let later = t0 + Duration::from_secs(4);
        b.fail(1, later);
        b.fail(1, later);
        assert!(b.check(&1, later).is_ok());
    }

    #[test]
    fn accounts_and_sources_are_separate_and_success_forgets_the_account() {
        let t = Throttle::new(bound(2, 60_000), bound(3, 60_000), 100, true);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let u = Scope::User;
        t.failed(Some("alice@l"), Some(a), u);
        t.failed(Some("alice@l"), Some(a), u);
        assert!(t.check(Some("alice@l"), Some(b), u).is_err(), "the account");
        assert!(t.check(Some("bob@l"), Some(a), u).is_ok());
        t.failed(Some("bob@l"), Some(a), u);
        assert!(t.check(Some("carol@l"), Some(a), u).is_err(), "the source");
        assert!(t.check(Some("carol@l"), Some(b), u).is_ok());
        assert!(t.check(None, Some(b), u).is_ok());
        t.succeeded("alice@l");
        assert!(t.check(Some("alice@l"), Some(b), u).is_ok());
        assert!(
            t.check(Some("alice@l"), Some(a), u).is_err(),
            "the source remembers"
        );
    }

    #[test]
    fn ipv6_sources_count_by_their_64() {
        let t = Throttle::new(bound(0, 1), bound(1, 60_000), 100, false);
        let u = Scope::User;
        t.failed(None, Some("2001:db8::1".parse().unwrap()), u);
        assert!(
            t.check(None, Some("2001:db8::2".parse().unwrap()), u)
                .is_err()
        );
        assert!(
            t.check(None, Some("2001:db8:0:1::1".parse().unwrap()), u)
                .is_ok()
        );
        assert!(t.check(Some("any@l"), None, u).is_ok(), "accounts are off");
    }

    #[test]
    fn loopback_sources_are_limited_for_the_admin_only_unless_configured() {
        let t = Throttle::new(bound(0, 1), bound(1, 60_000), 100, false);
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        t.failed(None, Some(lo), Scope::User);
        assert!(t.check(None, Some(lo), Scope::User).is_ok());
        t.failed(None, Some(lo), Scope::Admin);
        assert!(t.check(None, Some(lo), Scope::Admin).is_err());
        assert!(t.check(None, Some(lo), Scope::User).is_ok());
    }
}
