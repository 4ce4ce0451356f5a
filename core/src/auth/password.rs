//! Salted slow password hashes (argon2id, PHC strings). Hashing runs on the blocking pool and
//! at most `max_concurrent_hashes` at a time, so password guessing cannot take every core, and
//! one source address holds or waits for at most `max_hashes_per_source` of them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::throttle::Throttled;

/// The default of `[auth] max_concurrent_hashes`.
pub use crate::config::default_concurrency;

/// A hash of a password nobody has, verified when the user does not exist so that an unknown
/// user takes as long to refuse as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_blocking("mimql dummy password"));

fn hash_blocking(password: &str) -> String {
    let salt_bytes: [u8; 16] = rand::random();
    SaltString::encode_b64(&salt_bytes)
        .and_then(|salt| {
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        // Hashing with default parameters and a fresh salt cannot fail; an empty string never
        // verifies, so a failure would only lock the account.
        .unwrap_or_default()
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Every hash slot stayed taken for longer than the wait bound (`[auth] max_hash_wait_ms`):
/// the request is refused rather than queued without end.
#[derive(Debug, thiserror::Error)]
#[error("every password hash slot is busy")]
pub struct Busy;

/// Why no hash was computed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Busy(#[from] Busy),
    /// The failed-login throttle refused the attempt while it waited for a slot.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error("password hashing failed")]
    Failed,
}

/// The hash slots each source address holds or waits for (running or queued at the shared
/// slots), so that one source cannot hold them all: a source past its share waits behind its
/// own earlier hashes, and every other source's hash queues behind at most that share.
type PerSource = Arc<Mutex<HashMap<IpAddr, Arc<Semaphore>>>>;

/// A source's place among the shared slots, given back (and the source forgotten when nobody
/// else of it holds or waits for one) when dropped.
struct SourceSlot {
    map: PerSource,
    ip: IpAddr,
    semaphore: Option<Arc<Semaphore>>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        self.permit.take();
        if let Ok(mut map) = self.map.lock()
            && let Some(semaphore) = self.semaphore.take()
            // Clones are only made under this lock: two are the map's and this one.
            && Arc::strong_count(&semaphore) == 2
        {
            map.remove(&self.ip);
        }
    }
}

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    max_wait: Duration,
    per_source: usize,
    sources: PerSource,
}

impl Hasher {
    /// `max_concurrent` hashes at once, of which one source may hold or wait for
    /// `per_source`; a hash waits for its slot at most `max_wait`.
    pub fn new(max_concurrent: usize, per_source: usize, max_wait: Duration) -> Hasher {
        Hasher {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            max_wait,
            per_source: per_source.max(1),
            sources: Arc::default(),
        }
    }

    /// A place among the shared slots for `ip` (waits while the source already has its share).
    async fn source_slot(&self, ip: IpAddr) -> Result<SourceSlot, HashError> {
        let semaphore = {
            let mut map = self.sources.lock().map_err(|_| HashError::Failed)?;
            map.entry(ip)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_source)))
                .clone()
        };
        let mut slot = SourceSlot {
            map: self.sources.clone(),
            ip,
            semaphore: Some(semaphore.clone()),
            permit: None,
        };
        slot.permit = Some(
            semaphore
                .acquire_owned()
                .await
                .map_err(|_| HashError::Failed)?,
        );
        Ok(slot)
    }

    /// Runs `f` (a hash of `kind`, for metrics) for a caller at `source` when a slot is free,
    /// waiting at most the bound, and once `proceed` (asked when the slot is there) agrees.
    /// The slot and the "running" gauge move into the blocking task: a caller that goes away
    /// (client gone, shutdown) does not free the slot before the hash it started has finished.
    async fn run<T: Send + 'static>(
        &self,
        kind: &'static str,
        source: Option<IpAddr>,
        proceed: impl FnOnce() -> Result<(), Throttled>,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let queued = crate::metrics::password_hash_queued();
        let slots = tokio::time::timeout(self.max_wait, async {
            let source = match source {
                Some(ip) => Some(self.source_slot(ip).await?),
                None => None,
            };
            let permit = self
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| HashError::Failed)?;
            Ok::<_, HashError>((source, permit))
        })
        .await
        .map_err(|_| Busy)??;
        drop(queued);
        // Failures counted while this one waited may have closed its account or source.
        proceed()?;
        let running = crate::metrics::password_hash_running(kind);
        tokio::task::spawn_blocking(move || {
            let _slot = (slots, running);
            f()
        })
        .await
        .map_err(|_| HashError::Failed)
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_string();
        let h = self
            .run("hash", None, || Ok(()), move || hash_blocking(&password))
            .await?;
        if h.is_empty() {
            return Err(HashError::Failed);
        }
        Ok(h)
    }

    /// Verifies against `phc`, or against a dummy hash when there is none (unknown user).
    pub async fn verify(&self, password: &str, phc: Option<String>) -> Result<bool, HashError> {
        self.verify_from(password, phc, None, || Ok(())).await
    }

    /// [`Hasher::verify`] for a login from `source`, which `proceed` may still refuse once a
    /// slot is free (the throttle, asked again: failures may have been counted meanwhile).
    pub async fn verify_from(
        &self,
        password: &str,
        phc: Option<String>,
        source: Option<IpAddr>,
        proceed: impl FnOnce() -> Result<(), Throttled>,
    ) -> Result<bool, HashError> {
        let password = password.to_string();
        match self
            .run("verify", source, proceed, move || match phc {
                Some(phc) => verify_blocking(&password, &phc),
                None => {
                    verify_blocking(&password, &DUMMY_HASH);
                    false
                }
            })
            .await
        {
            Ok(ok) => Ok(ok),
            Err(HashError::Failed) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_and_verify() {
        let a = hash_blocking("pw");
        let b = hash_blocking("pw");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_blocking("pw", &a));
        assert!(!verify_blocking("other", &a));
        assert!(!verify_blocking("pw", ""));
    }

    /// A slot is held until its hash has finished, even when the caller is gone; waiting for a
    /// slot ends at the bound.
    #[tokio::test]
    async fn slots_outlive_their_callers_and_waits_are_bounded() {
        let h = Hasher::new(1, 1, Duration::from_millis(50));
        let hasher = h.clone();
        let caller = tokio::spawn(async move {
            hasher
                .run(
                    "test",
                    None,
                    || Ok(()),
                    || std::thread::sleep(Duration::from_millis(400)),
                )
                .await
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        caller.abort();
        assert_eq!(h.permits.available_permits(), 0, "the hash still runs");
        assert!(matches!(
            h.verify("pw", None).await,
            Err(HashError::Busy(_))
        ));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(h.permits.available_permits(), 1);
        assert!(matches!(h.verify("pw", None).await, Ok(false)));
    }

    /// One source past its share waits behind its own hashes: another source's hash is served
    /// after at most that share, not after everything the first one queued.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sources_get_their_turn() {
        let h = Hasher::new(1, 1, Duration::from_secs(30));
        let order = Arc::new(Mutex::new(Vec::new()));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let run = |ip: IpAddr, name: &'static str| {
            let (h, order) = (h.clone(), order.clone());
            tokio::spawn(async move {
                h.run(
                    "test",
                    Some(ip),
                    || Ok(()),
                    move || {
                        std::thread::sleep(Duration::from_millis(30));
                        order.lock().unwrap().push(name);
                    },
                )
                .await
                .unwrap()
            })
        };
        let mut tasks: Vec<_> = (0..5).map(|_| run(a, "a")).collect();
        tokio::time::sleep(Duration::from_millis(10)).await;
        tasks.push(run(b, "b"));
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap();
        let b_at = order.iter().position(|&n| n == "b").unwrap();
        assert!(b_at <= 2, "{order:?}");
        assert!(
            h.sources.lock().unwrap().is_empty(),
            "sources are forgotten"
        );
    }
}
