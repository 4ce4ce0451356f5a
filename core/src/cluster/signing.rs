//! Every cluster message is signed, so that reaching NATS is not enough to speak for a node:
//! HMAC-SHA256 with a key kept in the shared database (`server_secrets`), over the subject and
//! the body; the body carries a timestamp and a random nonce, so a replayed message is dropped.
//!
//! On the wire: `<key id, 16 hex>.<mac, 64 hex>.<body>`, the body being JSON
//! `{"ts": <µs since the epoch>, "n": <nonce>, "m": <the message>}`; any serialisable message
//! travels in `m`, so new kinds need nothing here.
//!
//! Rotation (`mimql cluster rotate-key`) moves the current key to the previous slot and makes a
//! new one; nodes re-read the keys on every heartbeat and accept the previous key for
//! [`GRACE`] after they see it, so no node drops another's messages while they catch up.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use mimql_entities::server_secret;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secrets::{hex, unhex};

/// The signing key in `server_secrets`.
pub const KEY_NAME: &str = "cluster_signing_key";
/// The key before the last rotation.
pub const PREVIOUS_KEY_NAME: &str = "cluster_signing_key.previous";
const KEY_LEN: usize = 32;
/// How long a node keeps accepting the previous key after it first sees it.
pub const GRACE: Duration = Duration::from_secs(60);
/// A message stamped further than this from the receiver's clock is dropped; nonces are
/// remembered for twice as long, so a replay is either remembered or stale.
pub const WINDOW: Duration = Duration::from_secs(10);
/// Messages with unknown key ids (a rotation not seen yet, or forgeries) re-read the keys at
/// most this often.
const RELOAD_EVERY: Duration = Duration::from_millis(250);

type HmacSha256 = Hmac<Sha256>;

/// Why a message was dropped (the `reason` label of the rejection metric).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    /// Not signed, an unknown key, or a signature that does not verify.
    Signature,
    /// Stamped outside the window.
    Stale,
    /// A nonce seen before.
    Replay,
    /// Signed, but not a message this node understands.
    Undecodable,
}

impl Reject {
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::Signature => "signature",
            Reject::Stale => "stale",
            Reject::Replay => "replay",
            Reject::Undecodable => "undecodable",
        }
    }
}

#[derive(Clone)]
struct Key {
    id: [u8; 8],
    bytes: Vec<u8>,
}

impl Key {
    fn new(bytes: Vec<u8>) -> Key {
        let digest = Sha256::digest(&bytes);
        let mut id = [0; 8];
        id.copy_from_slice(&digest[..8]);
        Key { id, bytes }
    }

    fn mac(&self, subject: &str, body: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.bytes).expect("HMAC takes any key length");
        mac.update(subject.as_bytes());
        mac.update(b"\n");
        mac.update(body);
        mac
    }
}

struct Keys {
    current: Key,
    /// The previous key and until when it is accepted.
    previous: Option<(Key, Instant)>,
}

#[derive(Serialize)]
struct BodyOut<'a, T> {
    ts: i64,
    n: u64,
    m: &'a T,
}

#[derive(Deserialize)]
struct BodyIn<T> {
    ts: i64,
    n: u64,
    m: T,
}

/// Nonces seen recently, by time of receipt.
#[derive(Default)]
struct Seen {
    set: HashSet<u64>,
    order: VecDeque<(Instant, u64)>,
}

impl Seen {
    /// False when `nonce` was seen within twice the window.
    fn insert(&mut self, nonce: u64, now: Instant) -> bool {
        while let Some(&(at, n)) = self.order.front() {
            if now.duration_since(at) <= 2 * WINDOW {
                break;
            }
            self.set.remove(&n);
            self.order.pop_front();
        }
        if !self.set.insert(nonce) {
            return false;
        }
        self.order.push_back((now, nonce));
        true
    }
}

pub struct Signer {
    keys: Mutex<Keys>,
    seen: Mutex<Seen>,
    /// When an unknown key id last made this node re-read the keys.
    last_miss: Mutex<Option<Instant>>,
}

async fn read_keys<C: ConnectionTrait>(c: &C) -> Result<(Key, Option<Key>), DbErr> {
    let current = crate::secrets::load_or_create(c, KEY_NAME, KEY_LEN).await?;
    let previous = server_secret::Entity::find_by_id(PREVIOUS_KEY_NAME.to_string())
        .one(c)
        .await?
        .and_then(|row| unhex(&row.value))
        .filter(|v| !v.is_empty());
    Ok((Key::new(current), previous.map(Key::new)))
}

/// Replaces the signing key (the current one stays accepted as the previous one for
/// [`GRACE`]); returns the new key's id.
pub async fn rotate(db: &sea_orm::DatabaseConnection) -> Result<String, DbErr> {
    let txn = db.begin().await?;
    crate::secrets::load_or_create(&txn, KEY_NAME, KEY_LEN).await?;
    // Locks the row (a no-op update, portable), then reads it: two rotations at once do not
    // both keep the same previous key.
    server_secret::Entity::update_many()
        .col_expr(
            server_secret::Column::Value,
            sea_orm::sea_query::Expr::col(server_secret::Column::Value),
        )
        .filter(server_secret::Column::Name.eq(KEY_NAME))
        .exec(&txn)
        .await?;
    let current = server_secret::Entity::find_by_id(KEY_NAME.to_string())
        .one(&txn)
        .await?
        .and_then(|row| unhex(&row.value))
        .ok_or_else(|| DbErr::Custom(format!("stored secret {KEY_NAME} is not hex")))?;
    let fresh: Vec<u8> = (0..KEY_LEN).map(|_| rand::random::<u8>()).collect();
    for (name, value) in [(PREVIOUS_KEY_NAME, &current), (KEY_NAME, &fresh)] {
        server_secret::Entity::insert(server_secret::ActiveModel {
            name: Set(name.to_string()),
            value: Set(hex(value)),
        })
        .on_conflict(
            OnConflict::column(server_secret::Column::Name)
                .update_column(server_secret::Column::Value)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(hex(&Key::new(fresh).id))
}

impl Signer {
    pub async fn load<C: ConnectionTrait>(db: &C) -> Result<Signer, DbErr> {
        let (current, previous) = read_keys(db).await?;
        let now = Instant::now();
        Ok(Signer {
            keys: Mutex::new(Keys {
                current,
                previous: previous.map(|k| (k, now + GRACE)),
            }),
            seen: Mutex::default(),
            last_miss: Mutex::default(),
        })
    }

    /// Re-reads the keys (every heartbeat, so a rotation reaches every node within one).
    pub async fn reload<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        let (current, previous) = read_keys(db).await?;
        let now = Instant::now();
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let previous = previous.map(|k| {
            // A previous key already known keeps its deadline; a new one gets the full grace.
            let until = match &keys.previous {
                Some((known, until)) if known.id == k.id => *until,
                _ => now + GRACE,
            };
            (k, until)
        });
        *keys = Keys { current, previous };
        Ok(())
    }

    /// `message` signed for `subject`.
    pub fn seal<T: Serialize>(&self, subject: &str, message: &T) -> serde_json::Result<Vec<u8>> {
        let body = serde_json::to_vec(&BodyOut {
            ts: crate::db::now_micros(),
            n: rand::random(),
            m: message,
        })?;
        let key = self
            .keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .current
            .clone();
        let tag = key.mac(subject, &body).finalize().into_bytes();
        let mut out = Vec::with_capacity(16 + 1 + 64 + 1 + body.len());
        out.extend_from_slice(hex(&key.id).as_bytes());
        out.push(b'.');
        out.extend_from_slice(hex(&tag).as_bytes());
        out.push(b'.');
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn key(&self, id: &[u8]) -> Option<Key> {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if keys.current.id == id {
            return Some(keys.current.clone());
        }
        match &keys.previous {
            Some((k, until)) if k.id == id && Instant::now() < *until => Some(k.clone()),
            _ => None,
        }
    }

    /// The message in `payload` if it was signed for `subject` with a key of the cluster,
    /// recently, and not seen before.
    pub async fn open<T: DeserializeOwned, C: ConnectionTrait>(
        &self,
        db: &C,
        subject: &str,
        payload: &[u8],
    ) -> Result<T, Reject> {
        let mut parts = payload.splitn(3, |b| *b == b'.');
        let (Some(id), Some(tag), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Reject::Signature);
        };
        let text = |b: &[u8]| std::str::from_utf8(b).ok().and_then(unhex);
        let (Some(id), Some(tag)) = (text(id), text(tag)) else {
            return Err(Reject::Signature);
        };
        let key = match self.key(&id) {
            Some(k) => k,
            None => {
                // A rotation this node has not seen yet, or a forgery: re-read, but not for
                // every forged message.
                let due = {
                    let mut last = self.last_miss.lock().unwrap_or_else(|e| e.into_inner());
                    let due = last.is_none_or(|at| at.elapsed() >= RELOAD_EVERY);
                    if due {
                        *last = Some(Instant::now());
                    }
                    due
                };
                if due && let Err(e) = self.reload(db).await {
                    tracing::warn!(%e, "cannot re-read the cluster signing keys");
                }
                self.key(&id).ok_or(Reject::Signature)?
            }
        };
        key.mac(subject, body)
            .verify_slice(&tag)
            .map_err(|_| Reject::Signature)?;
        let body: BodyIn<serde_json::Value> =
            serde_json::from_slice(body).map_err(|_| Reject::Undecodable)?;
        let age = crate::db::now_micros()
            .saturating_sub(body.ts)
            .unsigned_abs();
        if age > WINDOW.as_micros() as u64 {
            return Err(Reject::Stale);
        }
        if !self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(body.n, Instant::now())
        {
            return Err(Reject::Replay);
        }
        serde_json::from_value(body.m).map_err(|_| Reject::Undecodable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(key: &[u8], previous: Option<&[u8]>) -> Signer {
        let now = Instant::now();
        Signer {
            keys: Mutex::new(Keys {
                current: Key::new(key.to_vec()),
                previous: previous.map(|k| (Key::new(k.to_vec()), now + GRACE)),
            }),
            seen: Mutex::default(),
            // Never reaches the database: no re-read is due.
            last_miss: Mutex::new(Some(now + Duration::from_secs(3600))),
        }
    }

    async fn open(s: &Signer, subject: &str, payload: &[u8]) -> Result<String, Reject> {
        let db = sea_orm::DatabaseConnection::default();
        s.open(&db, subject, payload).await
    }

    #[tokio::test]
    async fn signed_messages_open_once_and_only_with_the_key_and_subject() {
        let a = signer(b"key one", None);
        let sealed = a.seal("s", &"hello").unwrap();
        assert_eq!(open(&a, "s", &sealed).await.unwrap(), "hello");
        assert_eq!(open(&a, "s", &sealed).await, Err(Reject::Replay));
        let sealed = a.seal("s", &"hello").unwrap();
        assert_eq!(open(&a, "t", &sealed).await, Err(Reject::Signature));
        let other = signer(b"key two", None);
        assert_eq!(open(&other, "s", &sealed).await, Err(Reject::Signature));
        assert_eq!(
            open(&a, "s", b"\"hello\"").await,
            Err(Reject::Signature),
            "unsigned"
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() = b' ';
        assert_eq!(open(&a, "s", &tampered).await, Err(Reject::Signature));
        // After a rotation the previous key is still accepted.
        let rotated = signer(b"key two", Some(b"key one"));
        assert_eq!(open(&rotated, "s", &sealed).await.unwrap(), "hello");
    }

    #[tokio::test]
    async fn stale_messages_are_dropped() {
        let a = signer(b"k", None);
        let body = br#"{"ts":1,"n":7,"m":"old"}"#;
        let key = Key::new(b"k".to_vec());
        let tag = key.mac("s", body).finalize().into_bytes();
        let payload = format!(
            "{}.{}.{}",
            hex(&key.id),
            hex(&tag),
            std::str::from_utf8(body).unwrap()
        );
        assert_eq!(open(&a, "s", payload.as_bytes()).await, Err(Reject::Stale));
    }
}
