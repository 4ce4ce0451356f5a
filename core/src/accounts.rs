//! Accounts: registration, passwords, the Basic-auth check and the account rows every module
//! looks users up and locks them by. The credential cache lives here so that every path that
//! changes a password or removes a user (account removal, `removal.rs`) also forgets the cached
//! credentials.

use std::net::IpAddr;
use std::time::Duration;

use mimql_entities::user;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};

use crate::auth::cache::{CredentialCache, Lookup};
use crate::auth::flight::{Flights, Joined};
use crate::auth::password::{Busy, HashError, Hasher};
use crate::auth::throttle::{Scope, Throttle, Throttled};
use crate::jid::Jid;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("user already registered")]
    AlreadyExists,
    #[error("domain not served")]
    UnknownDomain,
    #[error("user does not exist")]
    NotFound,
    #[error("empty password")]
    EmptyPassword,
    #[error("password hashing failed")]
    Hash,
    /// Every password hash slot stayed busy for longer than `[auth] max_hash_wait_ms`.
    #[error("the server is busy hashing passwords")]
    Busy,
    /// The failed-login throttle refused the attempt (nothing was hashed).
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

impl From<Busy> for AccountError {
    fn from(_: Busy) -> Self {
        AccountError::Busy
    }
}

impl From<HashError> for AccountError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy(_) => AccountError::Busy,
            HashError::Throttled(t) => AccountError::Throttled(t),
            HashError::Failed => AccountError::Hash,
        }
    }
}

/// The account id of `jid` (resource ignored), if it is registered.
pub async fn user_id<C: ConnectionTrait>(c: &C, jid: &Jid) -> Result<Option<i64>, DbErr> {
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Server.eq(jid.domain()))
        .filter(user::Column::Username.eq(jid.node()))
        .into_tuple()
        .one(c)
        .await
}

/// The account ids of several JIDs in one query (resources ignored); `None` for those that are
/// not registered.
pub async fn user_ids<C: ConnectionTrait>(c: &C, jids: &[&Jid]) -> Result<Vec<Option<i64>>, DbErr> {
    use sea_orm::Condition;
    if jids.is_empty() {
        return Ok(Vec::new());
    }
    let any = jids.iter().fold(Condition::any(), |cond, j| {
        cond.add(
            Condition::all()
                .add(user::Column::Server.eq(j.domain()))
                .add(user::Column::Username.eq(j.node())),
        )
    });
    let rows: Vec<(i64, String, String)> = user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::Username,
            user::Column::Server,
        ])
        .filter(any)
        .into_tuple()
        .all(c)
        .await?;
    Ok(jids
        .iter()
        .map(|j| {
            rows.iter()
                .find(|(_, u, s)| u == j.node() && s == j.domain())
                .map(|(id, _, _)| *id)
        })
        .collect())
}

/// Locks the users' rows until the transaction ends (PostgreSQL; SQLite's write transactions
/// are exclusive already), always in id order so that two transactions cannot deadlock.
/// Answers the ids that still exist once locked: an account removed meanwhile is missing.
pub async fn lock_users<C: ConnectionTrait>(c: &C, ids: &[i64]) -> Result<Vec<i64>, DbErr> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(ids);
    }
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(ids))
        .order_by_asc(user::Column::Id)
        .lock_exclusive()
        .into_tuple::<i64>()
        .all(c)
        .await
}

/// The account id of `jid` with its row locked until the transaction ends: a write of the
/// user's own data takes it first, so that it either completes before the account's removal
/// or finds no account (never a foreign-key failure half-way).
pub async fn lock_user<C: ConnectionTrait>(c: &C, jid: &Jid) -> Result<Option<i64>, DbErr> {
    user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Server.eq(jid.domain()))
        .filter(user::Column::Username.eq(jid.node()))
        .lock_exclusive()
        .into_tuple()
        .one(c)
        .await
}

/// Told of a bare JID whose credentials changed.
type Watcher = Box<dyn Fn(&str) + Send + Sync>;

pub struct Accounts {
    db: DatabaseConnection,
    hosts: Vec<String>,
    hasher: Hasher,
    cache: CredentialCache,
    flights: Flights,
    throttle: Throttle,
    /// Where forgotten credentials are announced to the other nodes (`[cluster]`).
    peers: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<String>>,
    /// Told of every bare JID whose credentials changed, here or on another node (the live
    /// connections re-check theirs).
    watcher: std::sync::OnceLock<Watcher>,
}

impl Accounts {
    pub fn new(db: DatabaseConnection, hosts: Vec<String>, auth: &crate::config::Auth) -> Accounts {
        Accounts {
            db,
            hosts,
            hasher: Hasher::new(
                auth.max_concurrent_hashes,
                auth.hashes_per_source(),
                Duration::from_millis(auth.max_hash_wait_ms),
            ),
            cache: CredentialCache::new(auth.cache_size, Duration::from_secs(auth.cache_ttl_secs)),
            flights: Flights::default(),
            throttle: Throttle::from_config(auth),
            peers: std::sync::OnceLock::new(),
            watcher: std::sync::OnceLock::new(),
        }
    }

    /// Announces every credential this node forgets (password change, removal) on `tx`, so
    /// the other nodes forget it at once.
    pub fn announce_to(&self, tx: tokio::sync::mpsc::UnboundedSender<String>) {
        self.peers.set(tx).ok();
    }

    /// Calls `watcher` with every bare JID whose credentials change (here or announced by
    /// another node).
    pub fn watch(&self, watcher: impl Fn(&str) + Send + Sync + 'static) {
        self.watcher.set(Box::new(watcher)).ok();
    }

    fn tell_watcher(&self, bare: &str) {
        if let Some(w) = self.watcher.get() {
            w(bare);
        }
    }

    /// Forgets the cached credentials of a bare JID another node announced.
    pub fn forget(&self, bare: &str) {
        self.cache.invalidate(bare);
        self.tell_watcher(bare);
    }

    /// Forgets the cached credentials of a bare JID here and on every other node (password
    /// change, token revocation, removal).
    pub fn invalidate(&self, bare: &str) {
        self.cache.invalidate(bare);
        self.tell_watcher(bare);
        if let Some(tx) = self.peers.get() {
            tx.send(bare.to_string()).ok();
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    pub fn is_host(&self, domain: &str) -> bool {
        self.hosts.iter().any(|h| h == domain)
    }

    async fn find(&self, jid: &Jid) -> Result<Option<user::Model>, DbErr> {
        user::Entity::find()
            .filter(user::Column::Server.eq(jid.domain()))
            .filter(user::Column::Username.eq(jid.node()))
            .one(&self.db)
            .await
    }

    pub async fn exists(&self, jid: &Jid) -> Result<bool, DbErr> {
        Ok(self.find(jid).await?.is_some())
    }

    /// Checks Basic-auth credentials; the resource of `jid` is ignored. Not throttled: see
    /// [`Accounts::login`].
    pub async fn authenticate(&self, jid: &Jid, password: &str) -> Result<bool, AccountError> {
        Ok(self.verify(jid, password, None, || Ok(())).await?.0)
    }

    /// A login of `jid` with `password` from `source`: refused (`Throttled`, nothing hashed)
    /// while the account or the source has failed too often lately; a failed verification
    /// counts against both ([`Throttle`]). A client presenting the credential another is
    /// verifying right now waits for that verification rather than computing the hash again.
    pub async fn login(
        &self,
        jid: &Jid,
        password: &str,
        source: Option<IpAddr>,
    ) -> Result<bool, AccountError> {
        let bare = jid.bare_string();
        loop {
            self.throttle.check(Some(&bare), source, Scope::User)?;
            // The common case first: a fresh cached credential needs no shared verification.
            if self.cache.lookup(&bare, password) == Lookup::Fresh {
                crate::metrics::credential_cache("hit");
                self.throttle.succeeded(&bare);
                return Ok(true);
            }
            // With the cache off every request is verified on its own (that is what turning
            // it off asks for); sharing a verification is a cache of its own.
            let lead = match self.cache.enabled() {
                false => None,
                true => match self.flights.join(self.cache.key(&bare, password)) {
                    Joined::Lead(lead) => Some(lead),
                    Joined::Follow(follow) => match follow.outcome().await {
                        // The same guess failed once: no new information, nothing new counted.
                        Some(false) => return Ok(false),
                        // Verified (now in the cache), or the other caller stopped: again.
                        _ => continue,
                    },
                },
            };
            let recheck = || self.throttle.check(Some(&bare), source, Scope::User);
            let (ok, known) = self.verify(jid, password, source, recheck).await?;
            if ok {
                self.throttle.succeeded(&bare);
            } else {
                // An account that does not exist has no password to guess: only the source
                // counts (and a removed account's clients are not throttled for retrying).
                let account = known.then_some(bare.as_str());
                self.throttle.failed(account, source, Scope::User);
            }
            if let Some(lead) = lead {
                lead.finish(ok);
            }
            return Ok(ok);
        }
    }

    /// Counts a failed login that named no account (a bad JID; the admin's) from `source`.
    pub fn login_failed(&self, source: Option<IpAddr>, scope: Scope) {
        self.throttle.failed(None, source, scope);
    }

    /// Whether a login that names no account may be tried from `source` now.
    pub fn login_allowed(&self, source: Option<IpAddr>, scope: Scope) -> Result<(), Throttled> {
        self.throttle.check(None, source, scope)
    }

    /// Whether the credential holds, and whether the account exists (as far as was looked).
    async fn verify(
        &self,
        jid: &Jid,
        password: &str,
        source: Option<IpAddr>,
        proceed: impl FnOnce() -> Result<(), Throttled>,
    ) -> Result<(bool, bool), AccountError> {
        let bare = jid.bare_string();
        let cached = self.cache.lookup(&bare, password);
        crate::metrics::credential_cache(match cached {
            Lookup::Fresh => "hit",
            Lookup::Stale(_) => "stale",
            Lookup::Miss => "miss",
        });
        if cached == Lookup::Fresh {
            return Ok((true, true));
        }
        if !self.is_host(jid.domain()) || password.is_empty() {
            return Ok((false, false));
        }
        let epoch = self.cache.epoch();
        let stored = self.find(jid).await?.map(|u| u.password_hash);
        // A stale entry verified against the hash still stored needs no new slow hash.
        let ok = match (&cached, &stored) {
            (Lookup::Stale(phc), Some(current)) if phc == current => true,
            _ => {
                self.hasher
                    .verify_from(password, stored.clone(), source, proceed)
                    .await?
            }
        };
        let known = stored.is_some();
        match (ok, stored) {
            (true, Some(phc)) => self.cache.insert_if_current(&bare, password, &phc, epoch),
            // The password was changed elsewhere: forget what this process still believed.
            (false, _) if matches!(cached, Lookup::Stale(_)) => self.cache.invalidate(&bare),
            _ => {}
        }
        Ok((ok, known))
    }

    pub async fn register(&self, jid: &Jid, password: &str) -> Result<(), AccountError> {
        if !self.is_host(jid.domain()) {
            return Err(AccountError::UnknownDomain);
        }
        if password.is_empty() {
            return Err(AccountError::EmptyPassword);
        }
        if self.exists(jid).await? {
            return Err(AccountError::AlreadyExists);
        }
        let hash = self.hasher.hash(password).await?;
        let row = user::ActiveModel {
            username: Set(jid.node().to_string()),
            server: Set(jid.domain().to_string()),
            password_hash: Set(hash),
            created_at: Set(crate::db::now_micros()),
            ..Default::default()
        };
        match row.insert(&self.db).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(AccountError::AlreadyExists)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A fresh random user name for `registerUser` without one.
    pub fn random_username() -> String {
        let bytes: [u8; 10] = rand::random();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub async fn change_password(&self, jid: &Jid, password: &str) -> Result<(), AccountError> {
        if password.is_empty() {
            return Err(AccountError::EmptyPassword);
        }
        let Some(row) = self.find(jid).await? else {
            return Err(AccountError::NotFound);
        };
        let hash = self.hasher.hash(password).await?;
        // By id: an account removed while the hash was computed (or earlier in the same
        // request) updates nothing and is reported as gone.
        let updated = user::Entity::update_many()
            .col_expr(
                user::Column::PasswordHash,
                sea_orm::sea_query::Expr::value(hash),
            )
            .filter(user::Column::Id.eq(row.id))
            .exec(&self.db)
            .await?;
        if updated.rows_affected == 0 {
            return Err(AccountError::NotFound);
        }
        self.invalidate(&jid.bare_string());
        Ok(())
    }

    /// Whether `password` is the user's password; `NotFound` for an unknown user.
    pub async fn check_password(&self, jid: &Jid, password: &str) -> Result<bool, AccountError> {
        let Some(row) = self.find(jid).await? else {
            return Err(AccountError::NotFound);
        };
        Ok(self
            .hasher
            .verify(password, Some(row.password_hash))
            .await?)
    }

    /// Bare JIDs of the domain's users, sorted.
    pub async fn list(&self, domain: &str) -> Result<Vec<String>, AccountError> {
        if !self.is_host(domain) {
            return Err(AccountError::UnknownDomain);
        }
        let mut names: Vec<String> = user::Entity::find()
            .select_only()
            .column(user::Column::Username)
            .filter(user::Column::Server.eq(domain))
            .into_tuple()
            .all(&self.db)
            .await?;
        // Byte order, as the reference sorts; database collations differ.
        names.sort_unstable();
        Ok(names.into_iter().map(|n| format!("{n}@{domain}")).collect())
    }

    pub async fn count(&self, domain: &str) -> Result<u64, AccountError> {
        if !self.is_host(domain) {
            return Err(AccountError::UnknownDomain);
        }
        Ok(user::Entity::find()
            .filter(user::Column::Server.eq(domain))
            .count(&self.db)
            .await?)
    }
}
