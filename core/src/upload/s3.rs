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
