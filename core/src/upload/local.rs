//! The `local` backend: mimql signs upload URLs for its own user listener and keeps the files
//! in a directory.
//!
//! * getUrl: `<base>/upload/<token>/<escaped filename>`, open to anyone who has it (the token
//!   is random; like a public-read S3 object, it is meant to be shared);
//! * putUrl: the same with `?expires=<unix secs>&size=<n>[&type=<content type>]&signature=<hex>`,
//!   an HMAC-SHA256 over all of it under a key kept in the database.
//!
//! A PUT must come before `expires`, carry exactly `size` bytes and, when a type was signed,
//! that `Content-Type`. The body streams into a directory under `.partial/`, which is renamed
//! to `<token>/` (holding `data` and `meta.json`) only once it is complete: a failed or
//! interrupted upload leaves nothing visible, and the first complete upload of a URL wins.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use futures_util::{Stream, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::io::AsyncWriteExt;

use super::s3::escape;
use crate::secrets::{hex, unhex};

/// The route prefix on the user listener.
pub const PREFIX: &str = "/upload/";
const PARTIAL: &str = ".partial";
/// Partial uploads older than this are swept at start (left by a crash).
const STALE_PARTIAL: Duration = Duration::from_secs(24 * 3600);

pub struct LocalStore {
    dir: PathBuf,
    secret: Vec<u8>,
    /// `local.base_url`, or the user listener's address once it is bound.
    base_url: OnceLock<String>,
}

/// What a verified PUT URL allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub token: String,
    pub filename: String,
    pub size: u64,
    pub content_type: Option<String>,
}

/// Why a request was refused; the HTTP layer picks the status.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Bad signature, malformed URL or expired: 403.
    #[error("the upload URL is invalid or has expired")]
    Forbidden,
    /// More bytes than signed: 413.
    #[error("the body exceeds the declared size of {0} bytes")]
    TooLarge(u64),
    /// Fewer bytes than signed: 400.
    #[error("the body has {got} bytes, {want} were declared")]
    WrongSize { got: u64, want: u64 },
    /// A `Content-Type` other than the signed one: 415.
    #[error("the upload must be sent with Content-Type {0}")]
    ContentType(String),
    /// The URL was used already: 409.
    #[error("this file has been uploaded already")]
    Exists,
    /// The body could not be read (client went away): 400.
    #[error("the request body could not be read")]
    Body,
    /// The body did not arrive within `put_timeout_secs`: 408.
    #[error("the body did not arrive within {0} seconds")]
    Timeout(u64),
    /// The database could not record the upload: 503.
    #[error("the upload could not be recorded, retry later")]
    Db(#[from] sea_orm::DbErr),
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Deserialize)]
struct PutQuery {
    expires: i64,
    size: u64,
    #[serde(rename = "type")]
    content_type: Option<String>,
    signature: String,
}

#[derive(Serialize, Deserialize)]
pub struct Meta {
    pub filename: String,
    /// The signed content type, or the one the upload was sent with.
    pub content_type: Option<String>,
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Splits `/upload/<token>/<escaped name>` into the token and the decoded name.
pub fn parse_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix(PREFIX)?;
    let (token, name) = rest.split_once('/')?;
    let name = percent_decode_str(name).decode_utf8().ok()?;
    (is_token(token) && !name.is_empty()).then(|| (token.to_string(), name.into_owned()))
}

impl LocalStore {
    /// The store in `dir` (nothing is touched on disk until [`LocalStore::prepare`]).
    pub fn open(dir: &Path, secret: Vec<u8>, base_url: &str) -> LocalStore {
        let store = LocalStore {
            dir: dir.to_path_buf(),
            secret,
            base_url: OnceLock::new(),
        };
        if !base_url.is_empty() {
            let _ = store
                .base_url
                .set(base_url.trim_end_matches('/').to_string());
        }
        store
    }

    /// Creates the directory and sweeps partial uploads left by a crash (at server start).
    pub fn prepare(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.dir.join(PARTIAL))?;
        for e in std::fs::read_dir(self.dir.join(PARTIAL))?.flatten() {
            let stale = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_PARTIAL);
            if stale {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        Ok(())
    }

    /// Sets the base URL from the bound listener, unless configured.
    pub fn set_listener_address(&self, addr: std::net::SocketAddr) {
        let host = match addr.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_string(),
            ip if ip.is_unspecified() => "[::1]".to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        if self.base_url.get().is_none() && addr.ip().is_unspecified() {
            tracing::warn!(
                "the user listener is bound to {addr}: set [modules.mod_http_upload] \
                 local.base_url to the address clients reach it at"
            );
        }
        let _ = self.base_url.set(format!("http://{host}:{}", addr.port()));
    }

    fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1:5561")
    }

    fn signature(&self, g: &Grant, expires: i64) -> Hmac<Sha256> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length");
        // Length-prefixed fields, so that no two grants sign the same bytes.
        for field in [
            g.token.as_str(),
            g.filename.as_str(),
            &expires.to_string(),
            &g.size.to_string(),
            g.content_type.as_deref().unwrap_or(""),
        ] {
            m.update(&(field.len() as u64).to_be_bytes());
            m.update(field.as_bytes());
        }
        m
    }

    /// (putUrl, getUrl) for a grant valid until `expires` (seconds since the epoch).
    pub fn sign(&self, g: &Grant, expires: i64) -> (String, String) {
        let get = format!(
            "{}{PREFIX}{}/{}",
            self.base_url(),
            g.token,
            escape(&g.filename)
        );
        let mut query = format!("expires={expires}&size={}", g.size);
        if let Some(ct) = &g.content_type {
            query.push_str(&format!("&type={}", escape(ct)));
        }
        let sig = hex(&self.signature(g, expires).finalize().into_bytes());
        (format!("{get}?{query}&signature={sig}"), get)
    }

    /// The grant a PUT request's path and query carry, if it is genuine and unexpired.
    pub fn verify(&self, path: &str, query: &str) -> Result<Grant, Refused> {
        let (token, filename) = parse_path(path).ok_or(Refused::Forbidden)?;
        let q: PutQuery = serde_urlencoded::from_str(query).map_err(|_| Refused::Forbidden)?;
        let grant = Grant {
            token,
            filename,
            size: q.size,
            content_type: q.content_type.filter(|t| !t.is_empty()),
        };
        let tag = unhex(&q.signature).ok_or(Refused::Forbidden)?;
        self.signature(&grant, q.expires)
            .verify_slice(&tag)
            .map_err(|_| Refused::Forbidden)?;
        if unix_now() >= q.expires {
            return Err(Refused::Forbidden);
        }
        Ok(grant)
    }

    fn final_dir(&self, token: &str) -> PathBuf {
        self.dir.join(token)
    }

    /// Streams an upload to disk. `declared_length` is the request's Content-Length;
    /// `content_type` its Content-Type.
    pub async fn store<S, B, E>(
        &self,
        grant: &Grant,
        declared_length: Option<u64>,
        content_type: Option<&str>,
        mut body: S,
    ) -> Result<(), Refused>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
    {
        if let Some(signed) = &grant.content_type
            && content_type.map(str::trim) != Some(signed.as_str())
        {
            return Err(Refused::ContentType(signed.clone()));
        }
        match declared_length {
            Some(n) if n > grant.size => return Err(Refused::TooLarge(grant.size)),
            Some(n) if n < grant.size => {
                return Err(Refused::WrongSize {
                    got: n,
                    want: grant.size,
                });
            }
            _ => {}
        }
        if tokio::fs::try_exists(self.final_dir(&grant.token)).await? {
            return Err(Refused::Exists);
        }
        let nonce: u64 = rand::random();
        let partial = Partial(
            self.dir
                .join(PARTIAL)
                .join(format!("{}-{nonce:016x}", grant.token)),
        );
        tokio::fs::create_dir_all(&partial.0).await?;
        let mut file = tokio::fs::File::create(partial.0.join("data")).await?;
        let mut written: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|_| Refused::Body)?;
            let chunk = chunk.as_ref();
            written += chunk.len() as u64;
            if written > grant.size {
                return Err(Refused::TooLarge(grant.size));
            }
            file.write_all(chunk).await?;
        }
        if written != grant.size {
            return Err(Refused::WrongSize {
                got: written,
                want: grant.size,
            });
        }
        file.sync_all().await?;
        drop(file);
        let meta = Meta {
            filename: grant.filename.clone(),
            content_type: grant
                .content_type
                .clone()
                .or_else(|| content_type.map(|t| t.trim().to_string())),
        };
        let meta = serde_json::to_vec(&meta).map_err(std::io::Error::other)?;
        tokio::fs::write(partial.0.join("meta.json"), meta).await?;
        // Atomic; fails if another upload of the same URL completed first.
        match tokio::fs::rename(&partial.0, self.final_dir(&grant.token)).await {
            Ok(()) => {
                partial.keep();
                Ok(())
            }
            Err(_) if tokio::fs::try_exists(self.final_dir(&grant.token)).await? => {
                Err(Refused::Exists)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the stored file of `token`, if any.
    pub async fn delete(&self, token: &str) -> std::io::Result<()> {
        if !is_token(token) {
            return Ok(());
        }
        match tokio::fs::remove_dir_all(self.final_dir(token)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The stored file at a GET path: its metadata and an open handle, `None` if there is none.
    pub async fn open_file(&self, path: &str) -> std::io::Result<Option<(Meta, tokio::fs::File)>> {
        let Some((token, filename)) = parse_path(path) else {
            return Ok(None);
        };
        let dir = self.final_dir(&token);
        let meta = match tokio::fs::read(dir.join("meta.json")).await {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta: Meta = serde_json::from_slice(&meta).map_err(std::io::Error::other)?;
        if meta.filename != filename {
            return Ok(None);
        }
        let file = tokio::fs::File::open(dir.join("data")).await?;
        Ok(Some((meta, file)))
    }
}

/// A partial upload's directory, removed unless kept (also when the request is dropped
/// mid-body because the client went away).
struct Partial(PathBuf);

impl Partial {
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, LocalStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalStore::open(dir.path(), b"k".to_vec(), "http://h:1/");
        s.prepare().unwrap();
        (dir, s)
    }

    fn grant() -> Grant {
        Grant {
            token: "ab12".into(),
            filename: "a b/ż.txt".into(),
            size: 3,
            content_type: Some("text/plain".into()),
        }
    }

    fn split(url: &str) -> (String, String) {
        let (p, q) = url.split_once('?').unwrap_or((url, ""));
        (
            p.strip_prefix("http://h:1").unwrap().to_string(),
            q.to_string(),
        )
    }

    /// Asserts that a result is the given refusal.
    macro_rules! refused {
        ($e:expr, $p:pat) => {{
            let r = $e;
            assert!(matches!(r, Err($p)), "{r:?}");
        }};
    }

    #[test]
    fn signed_urls_verify_and_tampering_is_refused() {
        let (_d, s) = store();
        let (put, get) = s.sign(&grant(), unix_now() + 60);
        assert_eq!(get, "http://h:1/upload/ab12/a%20b%2F%C5%BC.txt");
        let (path, query) = split(&put);
        assert_eq!(s.verify(&path, &query).unwrap(), grant());
        for bad in [
            query.replace("size=3", "size=4"),
            query.replace("type=text%2Fplain", "type=text%2Fhtml"),
            query.replace("&type=text%2Fplain", ""),
            query.replace("expires=", "expires=1"),
            query.replace("signature=", "signature=00"),
        ] {
            refused!(s.verify(&path, &bad), Refused::Forbidden);
        }
        refused!(
            s.verify(&path.replace("ab12", "ab13"), &query),
            Refused::Forbidden
        );
        let other = LocalStore::open(_d.path(), b"other".to_vec(), "http://h:1");
        refused!(other.verify(&path, &query), Refused::Forbidden);
    }

    #[test]
    fn expired_urls_are_refused() {
        let (_d, s) = store();
        let g = grant();
        let expires = unix_now() - 1;
        let sig = hex(&s.signature(&g, expires).finalize().into_bytes());
        let query = format!("expires={expires}&size=3&type=text%2Fplain&signature={sig}");
        refused!(
            s.verify("/upload/ab12/a%20b%2F%C5%BC.txt", &query),
            Refused::Forbidden
        );
    }

    fn body(parts: &[&'static [u8]]) -> impl Stream<Item = Result<&'static [u8], ()>> + Unpin {
        futures_util::stream::iter(parts.iter().map(|p| Ok(*p)).collect::<Vec<_>>())
    }

    fn leftovers(dir: &Path) -> usize {
        std::fs::read_dir(dir.join(PARTIAL)).unwrap().count()
    }

    #[tokio::test]
    async fn stores_whole_uploads_only() {
        let (d, s) = store();
        let g = grant();
        let ct = Some("text/plain");
        refused!(
            s.store(&g, None, ct, body(&[b"ab", b"cd"])).await,
            Refused::TooLarge(3)
        );
        refused!(
            s.store(&g, None, ct, body(&[b"ab"])).await,
            Refused::WrongSize { got: 2, want: 3 }
        );
        refused!(
            s.store(&g, Some(4), ct, body(&[b"abcd"])).await,
            Refused::TooLarge(3)
        );
        refused!(
            s.store(&g, None, Some("text/html"), body(&[b"abc"])).await,
            Refused::ContentType(_)
        );
        assert_eq!(leftovers(d.path()), 0);
        assert!(
            s.open_file("/upload/ab12/a%20b%2F%C5%BC.txt")
                .await
                .unwrap()
                .is_none()
        );
        s.store(&g, Some(3), ct, body(&[b"a", b"bc"]))
            .await
            .unwrap();
        refused!(
            s.store(&g, Some(3), ct, body(&[b"xyz"])).await,
            Refused::Exists
        );
        assert_eq!(leftovers(d.path()), 0);
        let (meta, _) = s
            .open_file("/upload/ab12/a%20b%2F%C5%BC.txt")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
        assert_eq!(std::fs::read(d.path().join("ab12/data")).unwrap(), b"abc");
        // The name is part of the address.
        assert!(
            s.open_file("/upload/ab12/other.txt")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.open_file("/upload/../etc/passwd")
                .await
                .unwrap()
                .is_none()
        );
    }
}
