//! Salted slow password hashes (argon2id, PHC strings). Hashing runs on the blocking pool and
//! at most `max_concurrent_hashes` at a time, so password guessing cannot take every core.

use std::sync::{Arc, LazyLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

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

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

impl Hasher {
    pub fn new(max_concurrent: usize) -> Hasher {
        Hasher {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    /// Runs `f` (a hash of `kind`, for metrics) when a slot is free. The slot and the
    /// "running" gauge move into the blocking task: a caller that goes away (client gone,
    /// shutdown) does not free the slot before the hash it started has finished.
    async fn run<T: Send + 'static>(
        &self,
        kind: &'static str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let queued = crate::metrics::password_hash_queued();
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        drop(queued);
        let running = crate::metrics::password_hash_running(kind);
        tokio::task::spawn_blocking(move || {
            let _slot = (permit, running);
            f()
        })
        .await
        .ok()
    }

    pub async fn hash(&self, password: &str) -> Option<String> {
        let password = password.to_string();
        self.run("hash", move || hash_blocking(&password))
            .await
            .filter(|h| !h.is_empty())
    }

    /// Verifies against `phc`, or against a dummy hash when there is none (unknown user).
    pub async fn verify(&self, password: &str, phc: Option<String>) -> bool {
        let password = password.to_string();
        self.run("verify", move || match phc {
            Some(phc) => verify_blocking(&password, &phc),
            None => {
                verify_blocking(&password, &DUMMY_HASH);
                false
            }
        })
        .await
        .unwrap_or(false)
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
}
