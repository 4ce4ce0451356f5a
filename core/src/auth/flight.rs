//! Verifications in flight, by credential: a client that presents the same (JID, password) as
//! one being verified right now waits for that verification instead of computing the same
//! slow hash again (several clients of one user logging in at once; a flood of one guess).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// A credential's digest (see `CredentialCache::digest`).
pub type Key = [u8; 32];

type Outcome = Option<bool>;

#[derive(Default)]
pub struct Flights {
    map: Arc<Mutex<HashMap<Key, watch::Receiver<Outcome>>>>,
}

/// What [`Flights::join`] gave.
pub enum Joined {
    /// Nobody verifies this credential: the caller does, and reports through the guard.
    Lead(Lead),
    /// Someone does: wait for it with [`Follow::outcome`].
    Follow(Follow),
}

/// The caller verifying a credential; followers learn the outcome it [`Lead::finish`]es with,
/// or none if it is dropped without (an error, or the caller went away).
pub struct Lead {
    map: Arc<Mutex<HashMap<Key, watch::Receiver<Outcome>>>>,
    key: Key,
    tx: watch::Sender<Outcome>,
}

impl Lead {
    pub fn finish(self, ok: bool) {
        self.tx.send_replace(Some(ok));
    }
}

impl Drop for Lead {
    fn drop(&mut self) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(&self.key);
        }
    }
}

pub struct Follow(watch::Receiver<Outcome>);

impl Follow {
    /// The leader's outcome: `None` when it ended without one.
    pub async fn outcome(mut self) -> Outcome {
        let seen = self.0.wait_for(Option::is_some).await.map(|v| *v);
        seen.unwrap_or_else(|_| *self.0.borrow())
    }
}

impl Flights {
    pub fn join(&self, key: Key) -> Joined {
        let Ok(mut map) = self.map.lock() else {
            // A poisoned map: verify without sharing.
            let (tx, _) = watch::channel(None);
            return Joined::Lead(Lead {
                map: Arc::default(),
                key,
                tx,
            });
        };
        if let Some(rx) = map.get(&key) {
            return Joined::Follow(Follow(rx.clone()));
        }
        let (tx, rx) = watch::channel(None);
        map.insert(key, rx);
        Joined::Lead(Lead {
            map: self.map.clone(),
            key,
            tx,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn followers_get_the_leaders_outcome_or_none() {
        let f = Flights::default();
        let Joined::Lead(lead) = f.join([1; 32]) else {
            panic!("first is the leader")
        };
        let Joined::Follow(follow) = f.join([1; 32]) else {
            panic!("second follows")
        };
        assert!(matches!(f.join([2; 32]), Joined::Lead(_)));
        lead.finish(true);
        assert_eq!(follow.outcome().await, Some(true));
        let Joined::Lead(lead) = f.join([1; 32]) else {
            panic!("the flight ended")
        };
        let Joined::Follow(follow) = f.join([1; 32]) else {
            panic!("second follows")
        };
        drop(lead);
        assert_eq!(follow.outcome().await, None);
    }
}
