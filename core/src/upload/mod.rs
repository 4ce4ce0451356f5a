//! HTTP upload (`mod_http_upload`, XEP-0363 style): `getUrl` checks the declared file and
//! answers a PUT URL and a GET URL from the configured backend — [`local`] (mimql stores the
//! file and serves both URLs itself) or [`s3`] (presigned URLs of an S3-compatible store).

pub mod local;
pub mod s3;

use sea_orm::{DatabaseConnection, DbErr};

use crate::config::{HttpUploadOptions, UploadBackend};
use local::{Grant, LocalStore};

/// Name of the local backend's signing key in `server_secrets`.
const SECRET_NAME: &str = "upload_secret";

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("declared size exceeds the maximum of {0} bytes")]
    TooLarge(u64),
    /// `.` and `..` would be resolved away by every HTTP client.
    #[error("the file name cannot be a path segment")]
    InvalidFilename,
}

/// The file a client wants to upload, as `getUrl` declares it.
#[derive(Clone, Debug)]
pub struct Declared<'a> {
    pub filename: &'a str,
    pub size: u64,
    /// `None` when absent or empty.
    pub content_type: Option<&'a str>,
    /// Seconds the PUT URL stays valid.
    pub timeout: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Urls {
    pub put_url: String,
    pub get_url: String,
    /// Headers the client must add to the PUT beyond the ones it declared (none so far).
    pub headers: Vec<(String, String)>,
}

enum Backend {
    Local(LocalStore),
    S3(s3::Presigner),
}

pub struct Uploads {
    max_file_size: u64,
    token_bytes: usize,
    backend: Backend,
}

/// Why the upload service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Config(String),
}

impl Uploads {
    /// Starts the configured backend (for a server where `mod_http_upload` is enabled).
    pub async fn load(
        db: &DatabaseConnection,
        opts: &HttpUploadOptions,
    ) -> Result<Uploads, StartError> {
        let backend = match (opts.backend, &opts.s3) {
            (UploadBackend::S3, Some(cfg)) => {
                Backend::S3(s3::Presigner::new(cfg).map_err(StartError::Config)?)
            }
            (UploadBackend::S3, None) => {
                return Err(StartError::Config(
                    "backend = \"s3\" needs the s3.* options".into(),
                ));
            }
            (UploadBackend::Local, _) => {
                let secret = crate::secrets::load_or_create(db, SECRET_NAME, 32).await?;
                let dir = &opts.local.directory;
                Backend::Local(LocalStore::open(dir, secret, &opts.local.base_url))
            }
        };
        Ok(Uploads {
            max_file_size: opts.max_file_size,
            token_bytes: opts.token_bytes,
            backend,
        })
    }

    /// The local store, when that is the backend (the HTTP layer serves its URLs).
    pub fn local(&self) -> Option<&LocalStore> {
        match &self.backend {
            Backend::Local(store) => Some(store),
            Backend::S3(_) => None,
        }
    }

    /// Checks the declaration and signs its URLs.
    pub fn get_url(&self, d: &Declared<'_>) -> Result<Urls, UploadError> {
        // Equal is allowed, as in the reference.
        if d.size > self.max_file_size {
            return Err(UploadError::TooLarge(self.max_file_size));
        }
        if matches!(d.filename, "." | "..") {
            return Err(UploadError::InvalidFilename);
        }
        let token_bytes: Vec<u8> = (0..self.token_bytes)
            .map(|_| rand::random::<u8>())
            .collect();
        let token = crate::secrets::hex(&token_bytes);
        let (put_url, get_url) = match &self.backend {
            Backend::S3(p) => p.presign(
                &s3::PutRequest {
                    token: &token,
                    filename: d.filename,
                    size: d.size,
                    content_type: d.content_type,
                    timeout: d.timeout,
                },
                jiff::Timestamp::now(),
            ),
            Backend::Local(store) => store.sign(
                &Grant {
                    token,
                    filename: d.filename.to_string(),
                    size: d.size,
                    content_type: d.content_type.map(str::to_string),
                },
                d.timeout,
            ),
        };
        Ok(Urls {
            put_url,
            get_url,
            headers: Vec::new(),
        })
    }
}
