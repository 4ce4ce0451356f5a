//! HTTP upload (`mod_http_upload`, XEP-0363 style): `getUrl` checks the declared file and
//! answers a PUT URL and a GET URL from the configured backend — [`local`] (mimql stores the
//! file and serves both URLs itself) or [`s3`] (presigned URLs of an S3-compatible store).

pub mod local;
pub mod s3;

use std::time::Duration;

use mimql_entities::upload_file;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QuerySelect,
};

use crate::config::{HttpUploadOptions, UploadBackend};
use crate::jid::Jid;
use local::{Grant, LocalStore, Refused};

/// Name of the local backend's signing key in `server_secrets`.
const SECRET_NAME: &str = "upload_secret";
/// Rows one reclaiming statement touches.
const RECLAIM_BATCH: u64 = 1_000;
/// The pause between two reclaiming batches, so that a large backlog does not hold the
/// database.
const RECLAIM_PAUSE: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("declared size exceeds the maximum of {0} bytes")]
    TooLarge(u64),
    /// `.` and `..` would be resolved away by every HTTP client.
    #[error("the file name cannot be a path segment")]
    InvalidFilename,
    /// `timeout` over `max_url_timeout_secs`.
    #[error("the URL timeout exceeds the maximum of {0} seconds")]
    TimeoutTooLong(u64),
    /// The upload would take the caller past `max_bytes_per_user`.
    #[error("uploads are limited to {0} bytes per user")]
    BytesQuota(u64),
    /// The upload would take the caller past `max_files_per_user`.
    #[error("uploads are limited to {0} files per user")]
    FilesQuota(u64),
    /// The caller's account was removed meanwhile.
    #[error("user does not exist")]
    UserNotFound,
    #[error("database: {0}")]
    Db(#[from] DbErr),
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

/// The upload service: signs URLs within the caller's quota, keeps one `upload_files` row
/// per URL (the quota's durable accounting), stores local uploads, and reclaims what no
/// longer counts.
///
/// A row counts towards its owner's quota while its file is stored (`completed`) or its PUT
/// URL may still be used (until `expires_at` plus `put_timeout_secs`, the longest a PUT that
/// started in time may take). Past that an unfinished row is *abandoned* (its `user_id` set to
/// null), as are all of an account's rows when it is removed; abandoned rows have their file
/// deleted, then the row. Every step is a conditional statement, so that a PUT completing
/// (`completed` set only while the row is owned and unfinished) and the reclaiming race
/// safely: whichever comes second changes nothing, and a PUT that lost deletes its own file.
pub struct Uploads {
    db: DatabaseConnection,
    max_file_size: u64,
    token_bytes: usize,
    max_bytes_per_user: u64,
    max_files_per_user: u64,
    max_url_timeout: u64,
    put_timeout: Duration,
    reclaim_interval: Duration,
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

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
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
            db: db.clone(),
            max_file_size: opts.max_file_size,
            token_bytes: opts.token_bytes,
            max_bytes_per_user: opts.max_bytes_per_user,
            max_files_per_user: opts.max_files_per_user,
            max_url_timeout: opts.max_url_timeout_secs,
            put_timeout: Duration::from_secs(opts.put_timeout_secs),
            reclaim_interval: Duration::from_secs(opts.reclaim_interval_secs),
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

    /// How often [`Uploads::reclaim`] runs in the background.
    pub fn reclaim_interval(&self) -> Duration {
        self.reclaim_interval
    }

    /// Seconds past its URL's expiry during which an unfinished row still counts.
    fn grace(&self) -> i64 {
        i64::try_from(self.put_timeout.as_secs()).unwrap_or(i64::MAX)
    }

    /// Checks the declaration and the caller's quota, records the slot and signs its URLs.
    /// The quota is checked and the slot inserted in one transaction, under the caller's
    /// account row lock, so that concurrent calls cannot overshoot it together.
    pub async fn get_url(&self, owner: &Jid, d: &Declared<'_>) -> Result<Urls, UploadError> {
        self.sign(Some(owner), d).await
    }

    /// The admin API's `getUrl(domain:)`: a slot with no owner (`admin`), so no quota; the
    /// size, name and timeout bounds apply. Its file lives until it is deleted by hand, or is
    /// reclaimed like any slot whose URL expired unused.
    pub async fn get_admin_url(&self, d: &Declared<'_>) -> Result<Urls, UploadError> {
        self.sign(None, d).await
    }

    async fn sign(&self, owner: Option<&Jid>, d: &Declared<'_>) -> Result<Urls, UploadError> {
        // Equal is allowed, as in the reference.
        if d.size > self.max_file_size {
            return Err(UploadError::TooLarge(self.max_file_size));
        }
        if matches!(d.filename, "." | "..") {
            return Err(UploadError::InvalidFilename);
        }
        if d.timeout > self.max_url_timeout {
            return Err(UploadError::TimeoutTooLong(self.max_url_timeout));
        }
        let token_bytes: Vec<u8> = (0..self.token_bytes)
            .map(|_| rand::random::<u8>())
            .collect();
        let token = crate::secrets::hex(&token_bytes);
        let size = i64::try_from(d.size).unwrap_or(i64::MAX);
        let now = unix_now();
        // `timeout` is at most `max_url_timeout_secs`, a u64 from the config.
        let expires = now.saturating_add(i64::try_from(d.timeout).unwrap_or(i64::MAX));

        let txn = crate::db::begin_write(&self.db).await?;
        let user_id = match owner {
            Some(owner) => Some(self.check_quota(&txn, owner, d, now).await?),
            None => None,
        };
        upload_file::Entity::insert(upload_file::ActiveModel {
            token: Set(token.clone()),
            user_id: Set(user_id),
            filename: Set(d.filename.to_string()),
            size: Set(size),
            expires_at: Set(expires),
            // Set by the PUT (local), or by the reclaiming once the object exists (S3).
            completed: Set(false),
            admin: Set(user_id.is_none()),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        self.urls(token, d, now, expires)
    }

    /// Locks the owner's account row and checks its quota; answers its id.
    async fn check_quota(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        owner: &Jid,
        d: &Declared<'_>,
        now: i64,
    ) -> Result<i64, UploadError> {
        let Some(user_id) = crate::accounts::lock_user(txn, owner).await? else {
            return Err(UploadError::UserNotFound);
        };
        let mut owned = upload_file::Entity::find()
            .select_only()
            .expr_as(Expr::cust("COUNT(*)"), "files")
            .expr_as(
                Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"),
                "bytes",
            )
            .filter(upload_file::Column::UserId.eq(user_id));
        // An S3 row counts until the reclaiming has found its object missing: mimql does not
        // see the PUT, so an expired URL may have been used.
        if let Backend::Local(_) = self.backend {
            owned = owned.filter(counting(now - self.grace()));
        }
        let (files, bytes): (i64, i64) = owned.into_tuple().one(txn).await?.unwrap_or((0, 0));
        if files.unsigned_abs() >= self.max_files_per_user {
            return Err(UploadError::FilesQuota(self.max_files_per_user));
        }
        if bytes.unsigned_abs().saturating_add(d.size) > self.max_bytes_per_user {
            return Err(UploadError::BytesQuota(self.max_bytes_per_user));
        }
        Ok(user_id)
    }

    fn urls(
        &self,
        token: String,
        d: &Declared<'_>,
        now: i64,
        expires: i64,
    ) -> Result<Urls, UploadError> {
        let (put_url, get_url) = match &self.backend {
            Backend::S3(p) => p.presign(
                &s3::PutRequest {
                    token: &token,
                    filename: d.filename,
                    size: d.size,
                    content_type: d.content_type,
                    timeout: d.timeout,
                },
                jiff::Timestamp::from_second(now).unwrap_or_else(|_| jiff::Timestamp::now()),
            ),
            Backend::Local(store) => store.sign(
                &Grant {
                    token,
                    filename: d.filename.to_string(),
                    size: d.size,
                    content_type: d.content_type.map(str::to_string),
                },
                expires,
            ),
        };
        Ok(Urls {
            put_url,
            get_url,
            headers: Vec::new(),
        })
    }

    /// A PUT to a local upload URL: verifies it, checks that its slot still counts, stores the
    /// body (which must arrive within `put_timeout_secs`) and marks the slot completed.
    pub async fn put<S, B, E>(
        &self,
        path: &str,
        query: &str,
        declared_length: Option<u64>,
        content_type: Option<&str>,
        body: S,
    ) -> Result<Grant, Refused>
    where
        S: futures_util::Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
    {
        let store = self.local().ok_or(Refused::Forbidden)?;
        let grant = store.verify(path, query)?;
        let slot = upload_file::Entity::find_by_id(grant.token.clone())
            .one(&self.db)
            .await?;
        match slot {
            // Reclaimed, or its account removed.
            None => return Err(Refused::Forbidden),
            Some(s) if s.user_id.is_none() && !s.admin => return Err(Refused::Forbidden),
            Some(s) if s.completed => return Err(Refused::Exists),
            Some(_) => {}
        }
        let timeout = self.put_timeout;
        let stored = tokio::time::timeout(
            timeout,
            store.store(&grant, declared_length, content_type, body),
        )
        .await;
        match stored {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            // Dropping the store's future removed the partial file.
            Err(_) => return Err(Refused::Timeout(timeout.as_secs())),
        }
        let done = upload_file::Entity::update_many()
            .col_expr(upload_file::Column::Completed, Expr::value(true))
            .filter(upload_file::Column::Token.eq(grant.token.clone()))
            .filter(owned())
            .filter(upload_file::Column::Completed.eq(false))
            .exec(&self.db)
            .await;
        match done {
            Ok(r) if r.rows_affected == 1 => Ok(grant),
            // The slot was reclaimed or its account removed while the body came in.
            Ok(_) => {
                store.delete(&grant.token).await?;
                Err(Refused::Forbidden)
            }
            Err(e) => {
                store.delete(&grant.token).await?;
                Err(e.into())
            }
        }
    }

    /// Abandons the slots that no longer count, then deletes the files of abandoned slots and
    /// their rows, in batches of [`RECLAIM_BATCH`] rows; answers how many rows were deleted.
    ///
    /// Safe when several nodes run it at once: abandoning is a conditional update (a row a
    /// PUT completed meanwhile no longer matches), deleting a file that is already gone is
    /// not an error, and deleting a row twice deletes nothing the second time.
    pub async fn reclaim(&self) -> Result<u64, DbErr> {
        let cutoff = unix_now() - self.grace();
        match &self.backend {
            Backend::Local(_) => self.abandon_expired(cutoff).await?,
            Backend::S3(p) => self.settle_expired_objects(p, cutoff).await?,
        }
        self.delete_abandoned().await
    }

    /// Local backend: abandons the unfinished rows whose URL expired before `cutoff`.
    async fn abandon_expired(&self, cutoff: i64) -> Result<(), DbErr> {
        loop {
            let expired = Query::select()
                .column(upload_file::Column::Token)
                .from(upload_file::Entity)
                .cond_where(owned())
                .and_where(upload_file::Column::Completed.eq(false))
                .and_where(upload_file::Column::ExpiresAt.lt(cutoff))
                .limit(RECLAIM_BATCH)
                .to_owned();
            let r = upload_file::Entity::update_many()
                .col_expr(
                    upload_file::Column::UserId,
                    Expr::value(Option::<i64>::None),
                )
                .col_expr(upload_file::Column::Admin, Expr::value(false))
                .filter(upload_file::Column::Token.in_subquery(expired))
                .filter(upload_file::Column::Completed.eq(false))
                .filter(upload_file::Column::ExpiresAt.lt(cutoff))
                .exec(&self.db)
                .await?;
            if r.rows_affected < RECLAIM_BATCH {
                break;
            }
            tokio::time::sleep(RECLAIM_PAUSE).await;
        }
        Ok(())
    }

    /// S3 backend: for each unfinished row whose URL expired before `cutoff`, asks the store
    /// whether the object exists (`HEAD`): the row is then completed (it counts until the
    /// account is removed), else abandoned. A row the store gives no clear answer for stays
    /// as it is (and counts) until a later pass.
    async fn settle_expired_objects(&self, p: &s3::Presigner, cutoff: i64) -> Result<(), DbErr> {
        loop {
            let rows: Vec<(String, String)> = upload_file::Entity::find()
                .select_only()
                .column(upload_file::Column::Token)
                .column(upload_file::Column::Filename)
                .filter(owned())
                .filter(upload_file::Column::Completed.eq(false))
                .filter(upload_file::Column::ExpiresAt.lt(cutoff))
                .limit(RECLAIM_BATCH)
                .into_tuple()
                .all(&self.db)
                .await?;
            let mut settled = 0;
            for (token, filename) in &rows {
                let update = upload_file::Entity::update_many()
                    .filter(upload_file::Column::Token.eq(token.clone()))
                    .filter(owned())
                    .filter(upload_file::Column::Completed.eq(false));
                let update = match p.exists(token, filename).await {
                    Ok(true) => update.col_expr(upload_file::Column::Completed, Expr::value(true)),
                    Ok(false) => update
                        .col_expr(
                            upload_file::Column::UserId,
                            Expr::value(Option::<i64>::None),
                        )
                        .col_expr(upload_file::Column::Admin, Expr::value(false)),
                    Err(err) => {
                        tracing::warn!(%token, %err, "cannot tell whether an upload exists");
                        continue;
                    }
                };
                update.exec(&self.db).await?;
                settled += 1;
            }
            if (rows.len() as u64) < RECLAIM_BATCH || settled < rows.len() {
                return Ok(());
            }
            tokio::time::sleep(RECLAIM_PAUSE).await;
        }
    }

    /// Deletes the files of abandoned rows, then the rows; answers how many rows.
    async fn delete_abandoned(&self) -> Result<u64, DbErr> {
        let mut deleted = 0;
        loop {
            let rows: Vec<(String, String)> = upload_file::Entity::find()
                .select_only()
                .column(upload_file::Column::Token)
                .column(upload_file::Column::Filename)
                .filter(abandoned())
                .limit(RECLAIM_BATCH)
                .into_tuple()
                .all(&self.db)
                .await?;
            let mut gone = Vec::with_capacity(rows.len());
            for (token, filename) in &rows {
                match self.delete_stored(token, filename).await {
                    Ok(()) => gone.push(token.clone()),
                    // Kept for the next pass.
                    Err(err) => tracing::warn!(%token, %err, "cannot delete an uploaded file"),
                }
            }
            if !gone.is_empty() {
                deleted += upload_file::Entity::delete_many()
                    .filter(upload_file::Column::Token.is_in(gone.clone()))
                    .filter(abandoned())
                    .exec(&self.db)
                    .await?
                    .rows_affected;
            }
            if (rows.len() as u64) < RECLAIM_BATCH || gone.is_empty() {
                break;
            }
            tokio::time::sleep(RECLAIM_PAUSE).await;
        }
        Ok(deleted)
    }

    /// Deletes a stored file (no error if there is none).
    async fn delete_stored(&self, token: &str, filename: &str) -> Result<(), String> {
        match &self.backend {
            Backend::Local(store) => store.delete(token).await.map_err(|e| e.to_string()),
            Backend::S3(p) => p.delete(token, filename).await,
        }
    }
}

/// The rows still in use: a user's, or the admin API's.
fn owned() -> Condition {
    Condition::any()
        .add(upload_file::Column::UserId.is_not_null())
        .add(upload_file::Column::Admin.eq(true))
}

/// The rows whose file is to be deleted (abandoned, or of a removed account).
fn abandoned() -> Condition {
    Condition::all()
        .add(upload_file::Column::UserId.is_null())
        .add(upload_file::Column::Admin.eq(false))
}

/// The rows that count towards a quota at `cutoff` (now minus the grace): stored files and
/// URLs that may still be used.
fn counting(cutoff: i64) -> Condition {
    Condition::any()
        .add(upload_file::Column::Completed.eq(true))
        .add(upload_file::Column::ExpiresAt.gte(cutoff))
}

/// Account removal (inside its transaction): the user's uploads are abandoned, to be deleted
/// by [`Uploads::reclaim`] (which the removal runs once it has committed).
pub async fn remove_user<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    upload_file::Entity::update_many()
        .col_expr(
            upload_file::Column::UserId,
            Expr::value(Option::<i64>::None),
        )
        .filter(upload_file::Column::UserId.eq(user_id))
        .exec(c)
        .await
        .map(drop)
}
