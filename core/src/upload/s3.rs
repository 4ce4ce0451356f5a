//! The `s3` backend: presigned PUT URLs for an S3-compatible store, as the reference builds
//! them (§4.8), signed with AWS SigV4 by `rusty-s3`.
//!
//! * `getUrl` = `<bucket_url>/<token>/<escaped filename>` (public read, no query);
//! * `putUrl` = the same with the `X-Amz-*` query, signing `content-length` (the declared size),
//!   `content-type` (when given), `host` and `x-amz-acl: public-read` (with `add_acl`), payload
//!   `UNSIGNED-PAYLOAD`. Parameters are listed in sorted order, as the reference lists them.
//!
//! The filename is escaped as AWS's URI encoding does it (unreserved characters kept, every
//! other byte `%XX`), without the reference's slip that dropped the leading zero of bytes
//! below 0x10 (ruling 8).

pub use crate::config::S3Upload;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rusty_s3::{Credentials, Method};
use url::Url;

/// Everything but RFC 3986's unreserved characters.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path segment as S3 signs it.
pub fn escape(segment: &str) -> String {
    utf8_percent_encode(segment, ESCAPED).to_string()
}

#[derive(Debug)]
pub struct Presigner {
    /// Scheme, host, port if not the default, bucket path; no trailing `/`.
    base: String,
    region: String,
    credentials: Credentials,
    add_acl: bool,
}

/// What one upload is signed for.
#[derive(Clone, Copy, Debug)]
pub struct PutRequest<'a> {
    /// The random path segment that keeps uploads apart.
    pub token: &'a str,
    pub filename: &'a str,
    pub size: u64,
    pub content_type: Option<&'a str>,
    /// Seconds the PUT URL stays valid (`X-Amz-Expires`).
    pub timeout: u64,
}

impl Presigner {
    pub fn new(cfg: &S3Upload) -> Result<Presigner, String> {
        let url = Url::parse(&cfg.bucket_url)
            .map_err(|e| format!("s3.bucket_url {:?}: {e}", cfg.bucket_url))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "s3.bucket_url {:?} must be an http(s) URL",
                cfg.bucket_url
            ));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(format!(
                "s3.bucket_url {:?} must have no query, fragment or user",
                cfg.bucket_url
            ));
        }
        if cfg.region.is_empty() || cfg.access_key_id.is_empty() {
            return Err("s3.region and s3.access_key_id must not be empty".into());
        }
        let mut base = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
        // `Url` drops the scheme's default port, as the reference does.
        if let Some(port) = url.port() {
            base.push_str(&format!(":{port}"));
        }
        base.push_str(url.path().trim_end_matches('/'));
        Ok(Presigner {
            base,
            region: cfg.region.clone(),
            credentials: Credentials::new(&cfg.access_key_id, &cfg.secret_access_key),
            add_acl: cfg.add_acl,
        })
    }

    /// (putUrl, getUrl) for `req`, signed at `time`.
    pub fn presign(&self, req: &PutRequest<'_>, time: jiff::Timestamp) -> (String, String) {
        let get = format!("{}/{}/{}", self.base, req.token, escape(req.filename));
        let url = Url::parse(&get).expect("the base was parsed and the key is escaped");
        let size = req.size.to_string();
        // Sorted by name, as the signer expects; it adds `host` in its place.
        let mut headers = vec![("content-length", size.as_str())];
        if let Some(ct) = req.content_type {
            headers.push(("content-type", ct));
        }
        if self.add_acl {
            headers.push(("x-amz-acl", "public-read"));
        }
        let signed = rusty_s3::signing::sign(
            &time,
            Method::Put,
            url,
            self.credentials.key(),
            self.credentials.secret(),
            None,
            &self.region,
            req.timeout,
            std::iter::empty(),
            headers.into_iter(),
        );
        let query = signed.query().unwrap_or_default();
        let mut params: Vec<&str> = query.split('&').collect();
        params.sort_by_key(|p| p.split_once('=').map_or(*p, |(k, _)| k));
        let put = format!("{get}?{}", params.join("&"));
        (put, get)
    }
}

impl Presigner {
    /// Deletes an uploaded object (a removed account's, or one whose URL expired unused):
    /// one signed `DELETE`. A missing object is not an error.
    pub async fn delete(&self, token: &str, filename: &str) -> Result<(), String> {
        match self.send(Method::Delete, token, filename).await? {
            200..=299 | 404 => Ok(()),
            s => Err(format!("S3 answered the DELETE with {s}")),
        }
    }

    /// Whether an uploaded object exists (`HEAD`: 2xx yes, 404 no, anything else an error).
    pub async fn exists(&self, token: &str, filename: &str) -> Result<bool, String> {
        match self.send(Method::Head, token, filename).await? {
            200..=299 => Ok(true),
            404 => Ok(false),
            s => Err(format!("S3 answered the HEAD with {s}")),
        }
    }

    /// Sends one signed request without a body for an object; answers the status.
    async fn send(&self, method: Method, token: &str, filename: &str) -> Result<u16, String> {
        let url = Url::parse(&format!("{}/{token}/{}", self.base, escape(filename)))
            .map_err(|e| e.to_string())?;
        let signed = rusty_s3::signing::sign(
            &jiff::Timestamp::now(),
            method,
            url,
            self.credentials.key(),
            self.credentials.secret(),
            None,
            &self.region,
            60,
            std::iter::empty(),
            std::iter::empty(),
        );
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            http::request(method.to_str(), &signed),
        )
        .await
        .map_err(|_| "S3 did not answer within 30 s".to_string())?
    }
}

/// A minimal HTTP/1.1 client for the one request S3 deletion needs (no body either way that
/// matters: only the status line is read).
mod http {
    use std::sync::{Arc, OnceLock};

    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio_rustls::rustls;
    use url::Url;

    fn tls() -> Result<tokio_rustls::TlsConnector, String> {
        static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
        let config = CONFIG.get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        });
        config.clone().map(tokio_rustls::TlsConnector::from)
    }

    /// Sends `method url` without a body; answers the response's status.
    pub async fn request(method: &str, url: &Url) -> Result<u16, String> {
        let host = url.host_str().ok_or("the URL has no host")?.to_string();
        let port = url.port_or_known_default().ok_or("the URL has no port")?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        );
        let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        if url.scheme() == "https" {
            let name = rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']))
                .map_err(|e| e.to_string())?
                .to_owned();
            let stream = tls()?
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS with {authority}: {e}"))?;
            exchange(stream, &head).await
        } else {
            exchange(tcp, &head).await
        }
    }

    async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
        mut s: S,
        head: &str,
    ) -> Result<u16, String> {
        s.write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        s.flush().await.map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 512];
        // Enough for the status line.
        while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 4096 {
            let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let line = String::from_utf8_lossy(&buf);
        line.split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not an HTTP answer: {:?}", line.lines().next()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_aws_uri_encoding() {
        assert_eq!(escape("a b/c\n~-_.ż"), "a%20b%2Fc%0A~-_.%C5%BC");
    }

    fn presigner(bucket_url: &str, add_acl: bool) -> Presigner {
        Presigner::new(&S3Upload {
            bucket_url: bucket_url.into(),
            region: "eu-west-1".into(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            add_acl,
        })
        .unwrap()
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            presigner("https://s3.example.com:443/bucket/", false).base,
            "https://s3.example.com/bucket"
        );
        assert_eq!(
            presigner("http://127.0.0.1:9000/b", false).base,
            "http://127.0.0.1:9000/b"
        );
        assert!(
            Presigner::new(&S3Upload {
                bucket_url: "ftp://x/b".into(),
                region: "r".into(),
                access_key_id: "k".into(),
                secret_access_key: "s".into(),
                add_acl: false,
            })
            .is_err()
        );
    }

    /// Vectors produced by botocore's SigV4 query signer for the same inputs and clock
    /// (`tests/vectors/s3_presign.py`, output in `tests/vectors/s3_presign.json`).
    #[test]
    fn matches_botocore() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/vectors/s3_presign.json")).unwrap();
        let cases = vectors["cases"].as_array().unwrap();
        assert!(!cases.is_empty());
        for case in cases {
            let p = Presigner::new(&S3Upload {
                bucket_url: case["bucket_url"].as_str().unwrap().into(),
                region: case["region"].as_str().unwrap().into(),
                access_key_id: case["access_key_id"].as_str().unwrap().into(),
                secret_access_key: case["secret_access_key"].as_str().unwrap().into(),
                add_acl: case["add_acl"].as_bool().unwrap(),
            })
            .unwrap();
            let req = PutRequest {
                token: case["token"].as_str().unwrap(),
                filename: case["filename"].as_str().unwrap(),
                size: case["size"].as_u64().unwrap(),
                content_type: case["content_type"].as_str(),
                timeout: case["timeout"].as_u64().unwrap(),
            };
            let time = jiff::Timestamp::from_second(case["time"].as_i64().unwrap()).unwrap();
            let (put, get) = p.presign(&req, time);
            assert_eq!(get, case["get_url"].as_str().unwrap(), "{case}");
            // botocore appends the signature last; the reference (and mimql) sort it in.
            let split = |u: &str| -> (String, Vec<String>) {
                let (path, query) = u.split_once('?').unwrap();
                let mut params: Vec<String> = query.split('&').map(str::to_string).collect();
                params.sort();
                (path.to_string(), params)
            };
            assert_eq!(
                split(&put),
                split(case["put_url"].as_str().unwrap()),
                "{case}"
            );
            let keys: Vec<&str> = put
                .split_once('?')
                .unwrap()
                .1
                .split('&')
                .map(|kv| kv.split_once('=').unwrap().0)
                .collect();
            assert_eq!(
                keys,
                [
                    "X-Amz-Algorithm",
                    "X-Amz-Credential",
                    "X-Amz-Date",
                    "X-Amz-Expires",
                    "X-Amz-Signature",
                    "X-Amz-SignedHeaders"
                ]
            );
        }
    }
}
