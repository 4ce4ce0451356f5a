//! Salted slow password hashes (argon2id, PHC strings). Hashing runs on the blocking pool and
//! at most `max_concurrent_hashes` at a time, so password guessing cannot take every core.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

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
    #[error("password hashing failed")]
    Failed,
}

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    max_wait: Duration,
}

impl Hasher {
    pub fn new(max_concurrent: usize, max_wait: Duration) -> Hasher {
        Hasher {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            max_wait,
        }
    }

    /// Runs `f` (a hash of `kind`, for metrics) when a slot is free, waiting at most the
    /// bound. The slot and the "running" gauge move into the blocking task: a caller that
    /// goes away (client gone, shutdown) does not free the slot before the hash it started
    /// has finished.
    async fn run<T: Send + 'static>(
        &self,
        kind: &'static str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let queued = crate::metrics::password_hash_queued();
        let permit = tokio::time::timeout(self.max_wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| HashError::Failed)?;
        drop(queued);
        let running = crate::metrics::password_hash_running(kind);
        tokio::task::spawn_blocking(move || {
            let _slot = (permit, running);
            f()
        })
        .await
        .map_err(|_| HashError::Failed)
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_string();
        let h = self.run("hash", move || hash_blocking(&password)).await?;
        if h.is_empty() {
            return Err(HashError::Failed);
        }
        Ok(h)
    }

    /// Verifies against `phc`, or against a dummy hash when there is none (unknown user).
    pub async fn verify(&self, password: &str, phc: Option<String>) -> Result<bool, Busy> {
        let password = password.to_string();
        match self
            .run("verify", move || match phc {
                Some(phc) => verify_blocking(&password, &phc),
                None => {
                    verify_blocking(&password, &DUMMY_HASH);
                    false
                }
            })
            .await
        {
            Ok(ok) => Ok(ok),
            Err(HashError::Busy(b)) => Err(b),
            Err(HashError::Failed) => Ok(false),
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
        let h = Hasher::new(1, Duration::from_millis(50));
        let hasher = h.clone();
        let caller = tokio::spawn(async move {
            hasher
                .run("test", || std::thread::sleep(Duration::from_millis(400)))
                .await
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        caller.abort();
        assert_eq!(h.permits.available_permits(), 0, "the hash still runs");
        assert!(matches!(h.verify("pw", None).await, Err(Busy)));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(h.permits.available_permits(), 1);
        assert!(matches!(h.verify("pw", None).await, Ok(false)));
    }
}
