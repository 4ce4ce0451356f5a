//! Accounts: registration, passwords, the Basic-auth check and the account rows every module
//! looks users up and locks them by. The credential cache lives here so that every path that
//! changes a password or removes a user (account removal, `removal.rs`) also forgets the cached
//! credentials.

use std::net::IpAddr;
use std::time::Duration;

use mimql_entities::{scram_key, user};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};

use crate::auth::cache::{CredentialCache, Lookup};
use crate::auth::flight::{Flights, Joined};
use crate::auth::password::{Busy, HashError, Hasher};
use crate::auth::scram::{self, Keys, ScramHash};
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

/// The answer of [`Accounts::check_password_hash`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordHashCheck {
    /// The user does not exist or has no plain password stored.
    NoPlainPassword,
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
    /// `[auth] scram`: the iteration count of new SCRAM keys, when on.
    scram_iterations: Option<u32>,
    /// The server secret the fake SCRAM salts of unknown users are derived from.
    fake_salt_key: tokio::sync::OnceCell<Vec<u8>>,
    /// The cached account ids (the router's); a removal forgets its entry with the
    /// credentials, here and on every node.
    ids: std::sync::Arc<crate::account_ids::AccountIds>,
}

/// What a SCRAM exchange is checked against: the user's keys, or fake ones (an unknown user,
/// or one whose keys were never written) that no proof matches.
#[derive(Debug)]
pub struct ScramCredentials {
    pub keys: Keys,
    /// Whether the keys are the account's (a failure then counts against the account).
    real: bool,
}

/// Deletes the user's SCRAM keys (account removal, in its transaction).
pub async fn remove_scram_keys<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    scram_key::Entity::delete_many()
        .filter(scram_key::Column::UserId.eq(user_id))
        .exec(c)
        .await?;
    Ok(())
}

/// Replaces the user's SCRAM keys with `keys` (none: the keys are only removed).
async fn replace_scram_keys<C: ConnectionTrait>(
    c: &C,
    user_id: i64,
    keys: &[(ScramHash, Keys)],
) -> Result<(), DbErr> {
    remove_scram_keys(c, user_id).await?;
    insert_scram_keys(c, user_id, keys).await
}

async fn insert_scram_keys<C: ConnectionTrait>(
    c: &C,
    user_id: i64,
    keys: &[(ScramHash, Keys)],
) -> Result<(), DbErr> {
    if keys.is_empty() {
        return Ok(());
    }
    let rows = keys.iter().map(|(hash, k)| scram_key::ActiveModel {
        user_id: Set(user_id),
        mechanism: Set(hash.mechanism().to_string()),
        salt: Set(k.salt.clone()),
        iterations: Set(i32::try_from(k.iterations).unwrap_or(i32::MAX)),
        stored_key: Set(k.stored_key.clone()),
        server_key: Set(k.server_key.clone()),
    });
    scram_key::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([scram_key::Column::UserId, scram_key::Column::Mechanism])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(c)
        .await?;
    Ok(())
}

impl Accounts {
    pub fn new(db: DatabaseConnection, hosts: Vec<String>, auth: &crate::config::Auth) -> Accounts {
        Accounts {
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
            scram_iterations: auth.scram.then_some(auth.scram_iterations),
            fake_salt_key: tokio::sync::OnceCell::new(),
            ids: std::sync::Arc::new(crate::account_ids::AccountIds::new(db.clone(), 0)),
            db,
        }
    }

    /// Shares `ids` (the router's account id cache): every credential this node forgets or is
    /// told to forget (account removal among them) forgets the account's id too.
    pub fn with_account_ids(
        mut self,
        ids: std::sync::Arc<crate::account_ids::AccountIds>,
    ) -> Accounts {
        self.ids = ids;
        self
    }

    /// Whether SCRAM is on (`[auth] scram`).
    pub fn scram_enabled(&self) -> bool {
        self.scram_iterations.is_some()
    }

    /// SCRAM keys of `password` for every hash, with fresh salts (none while SCRAM is off).
    async fn derive_scram_keys(
        &self,
        password: &str,
    ) -> Result<Vec<(ScramHash, Keys)>, AccountError> {
        let Some(iterations) = self.scram_iterations else {
            return Ok(Vec::new());
        };
        let password = scram::normalize(password).into_owned();
        tokio::task::spawn_blocking(move || {
            ScramHash::ALL
                .into_iter()
                .map(|h| {
                    let salt: [u8; 16] = rand::random();
                    (h, scram::derive(h, &password, &salt, iterations))
                })
                .collect()
        })
        .await
        .map_err(|_| AccountError::Hash)
    }

    /// Writes the SCRAM keys of an account that has none, from the password just verified
    /// against `phc` (unless the password changed meanwhile).
    async fn ensure_scram_keys(
        &self,
        user_id: i64,
        phc: &str,
        password: &str,
    ) -> Result<(), AccountError> {
        let present = scram_key::Entity::find()
            .filter(scram_key::Column::UserId.eq(user_id))
            .count(&self.db)
            .await?;
        if present >= ScramHash::ALL.len() as u64 {
            return Ok(());
        }
        let keys = self.derive_scram_keys(password).await?;
        let txn = crate::db::begin_write(&self.db).await?;
        if lock_users(&txn, &[user_id]).await?.is_empty() {
            return Ok(());
        }
        let current: Option<String> = user::Entity::find_by_id(user_id)
            .select_only()
            .column(user::Column::PasswordHash)
            .into_tuple()
            .one(&txn)
            .await?;
        if current.as_deref() == Some(phc) {
            insert_scram_keys(&txn, user_id, &keys).await?;
            txn.commit().await?;
        }
        Ok(())
    }

    /// The start of a SCRAM login of `jid` from `source`: refused (`Throttled`) like
    /// [`Accounts::login`]; otherwise the keys to check the exchange against. An unknown user,
    /// or one without keys, gets a salt derived from the user name and a server secret (the
    /// same at every attempt, on every node) and keys no proof matches, so that the exchange
    /// does not tell whether the account exists.
    pub async fn scram_start(
        &self,
        jid: &Jid,
        hash: ScramHash,
        source: Option<IpAddr>,
    ) -> Result<ScramCredentials, AccountError> {
        let bare = jid.bare_string();
        self.throttle.check(Some(&bare), source, Scope::User)?;
        let id = match self.is_host(jid.domain()) {
            true => user_id(&self.db, jid).await?,
            false => None,
        };
        // The same two queries for a user that does not exist (no id is negative).
        let row = scram_key::Entity::find_by_id((id.unwrap_or(-1), hash.mechanism().to_string()))
            .one(&self.db)
            .await?;
        if let Some(row) = row {
            return Ok(ScramCredentials {
                keys: Keys {
                    salt: row.salt,
                    iterations: u32::try_from(row.iterations).unwrap_or(4096),
                    stored_key: row.stored_key,
                    server_key: row.server_key,
                },
                real: true,
            });
        }
        let secret = self
            .fake_salt_key
            .get_or_try_init(|| crate::secrets::load_or_create(&self.db, "scram_fake_salt", 32))
            .await?;
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(secret)
            .expect("HMAC takes any key length");
        hmac::Mac::update(&mut mac, hash.mechanism().as_bytes());
        hmac::Mac::update(&mut mac, b"\0");
        hmac::Mac::update(&mut mac, bare.as_bytes());
        let salt = hmac::Mac::finalize(mac).into_bytes()[..16].to_vec();
        let random = || {
            (0..hash.output_len())
                .map(|_| rand::random::<u8>())
                .collect()
        };
        Ok(ScramCredentials {
            keys: Keys {
                salt,
                iterations: self.scram_iterations.unwrap_or(4096),
                stored_key: random(),
                server_key: random(),
            },
            real: false,
        })
    }

    /// Counts the outcome of a SCRAM login in the failed-login throttle (as a PLAIN one).
    pub fn scram_finished(
        &self,
        jid: &Jid,
        credentials: &ScramCredentials,
        ok: bool,
        source: Option<IpAddr>,
    ) {
        let bare = jid.bare_string();
        if ok {
            self.throttle.succeeded(&bare);
        } else {
            let account = credentials.real.then_some(bare.as_str());
            self.throttle.failed(account, source, Scope::User);
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
        self.ids.forget(bare);
        self.tell_watcher(bare);
    }

    /// Forgets the cached credentials of a bare JID here and on every other node (password
    /// change, token revocation, removal).
    pub fn invalidate(&self, bare: &str) {
        self.cache.invalidate(bare);
        self.ids.forget(bare);
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
        let row = self.find(jid).await?;
        let id = row.as_ref().map(|u| u.id);
        let stored = row.map(|u| u.password_hash);
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
            (true, Some(phc)) => {
                if let (Some(id), true) = (id, self.scram_enabled()) {
                    // The first verified login of an account without SCRAM keys writes them;
                    // the login succeeds even if that fails.
                    if let Err(e) = self.ensure_scram_keys(id, &phc, password).await {
                        tracing::warn!(%e, user = %bare, "cannot write SCRAM keys");
                    }
                }
                self.cache.insert_if_current(&bare, password, &phc, epoch)
            }
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
        let keys = self.derive_scram_keys(password).await?;
        let row = user::ActiveModel {
            username: Set(jid.node().to_string()),
            server: Set(jid.domain().to_string()),
            password_hash: Set(hash),
            created_at: Set(crate::db::now_micros()),
            ..Default::default()
        };
        let txn = crate::db::begin_write(&self.db).await?;
        let inserted = match row.insert(&txn).await {
            Ok(m) => m,
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Err(AccountError::AlreadyExists);
            }
            Err(e) => return Err(e.into()),
        };
        insert_scram_keys(&txn, inserted.id, &keys).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The password a banned account gets (`banUser`), as the reference builds it:
    /// `BANNED_ACCOUNT--<time>--<random>--<reason>`. Nobody knows it.
    pub fn banned_password(reason: &str) -> String {
        let time = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
        let random: [u8; 16] = rand::random();
        let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
        format!("BANNED_ACCOUNT--{time}--{random}--{reason}")
    }

    /// `checkPasswordHash`: whether an MD5 or SHA-1 digest (hex) is that of the user's stored
    /// plain password. mimql never stores a plain password (only an Argon2 hash and SCRAM
    /// keys), so every user is one the reference answers `wrong_user` for (a user that does
    /// not exist or has a SCRAM password); the method is not looked at, as in the reference.
    pub fn check_password_hash(&self, _jid: &Jid, _hash: &str, _method: &str) -> PasswordHashCheck {
        PasswordHashCheck::NoPlainPassword
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
        let keys = self.derive_scram_keys(password).await?;
        // By id: an account removed while the hash was computed (or earlier in the same
        // request) updates nothing and is reported as gone. The old SCRAM keys go in the same
        // transaction (replaced while SCRAM is on): the old password must not keep working.
        let txn = crate::db::begin_write(&self.db).await?;
        let updated = user::Entity::update_many()
            .col_expr(
                user::Column::PasswordHash,
                sea_orm::sea_query::Expr::value(hash),
            )
            .filter(user::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(AccountError::NotFound);
        }
        replace_scram_keys(&txn, row.id, &keys).await?;
        txn.commit().await?;
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
