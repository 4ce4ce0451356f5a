//! Long-lived connections (WebSocket, SSE, XMPP c2s) bound to the credential they were
//! opened with: the account's row id and its password hash (Basic) or the access token's expiry
//! checked against the account's revocation cutoff (Bearer) — never the JID string alone, so
//! that a connection left from a removed account cannot act as a new account of the same name.
//!
//! Each node keeps its live connections here, by bare JID. When an account's credentials change
//! here or on another node (password change, token revocation, removal: the accounts'
//! announcement, see [`crate::accounts::Accounts::invalidate`]), the connections of that JID
//! are re-checked against the database and those no longer valid are ended. A transport also
//! re-checks before each operation ([`Live::check`]), so an operation racing a change is
//! refused even before the announcement arrives.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mimql_entities::user;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QuerySelect};
use tokio_util::sync::CancellationToken;

/// What a connection was opened with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// Basic: the account and the password hash stored when the connection was opened.
    Password { account: i64, phc: String },
    /// Bearer: the account and the access token's expiry (Gregorian seconds).
    Token { account: i64, expiry: i64 },
}

impl Credential {
    /// Whether the credential still stands: the account exists (same row) and its password
    /// is unchanged, or the token is unexpired and unrevoked.
    pub async fn holds(&self, db: &DatabaseConnection) -> Result<bool, DbErr> {
        match self {
            Credential::Password { account, phc } => {
                let stored: Option<String> = user::Entity::find_by_id(*account)
                    .select_only()
                    .column(user::Column::PasswordHash)
                    .into_tuple()
                    .one(db)
                    .await?;
                Ok(stored.as_deref() == Some(phc.as_str()))
            }
            Credential::Token { account, expiry } => {
                crate::token::access_token_holds(db, *account, *expiry).await
            }
        }
    }
}

/// One live connection: its credential, how to end it, and whether it counts against the
/// user's bound on connections (WebSocket).
#[derive(Clone)]
struct Entry {
    credential: Credential,
    ended: CancellationToken,
    bounded: bool,
}

/// The live connections of one bare JID, by connection.
type ByJid = HashMap<String, HashMap<u64, Entry>>;

struct Inner {
    db: DatabaseConnection,
    live: Mutex<ByJid>,
    next: AtomicU64,
}

/// This node's live connections (one per `AppState`).
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Inner>,
}

/// One registered connection; dropping it deregisters the connection.
pub struct Live {
    id: u64,
    bare: String,
    credential: Credential,
    ended: CancellationToken,
    inner: Arc<Inner>,
}

impl Connections {
    pub fn new(db: DatabaseConnection) -> Connections {
        Connections {
            inner: Arc::new(Inner {
                db,
                live: Mutex::new(HashMap::new()),
                next: AtomicU64::new(0),
            }),
        }
    }

    /// The credential a Basic login of `bare` would be bound to now. Read *before* the
    /// password is checked: if the password changes meanwhile, the connection is bound to the
    /// old hash and ends at once instead of outliving the change.
    pub async fn password_of(&self, bare: &crate::jid::Jid) -> Result<Option<Credential>, DbErr> {
        Ok(self
            .password_row(bare)
            .await?
            .map(|(account, phc)| Credential::Password { account, phc }))
    }

    async fn password_row(&self, bare: &crate::jid::Jid) -> Result<Option<(i64, String)>, DbErr> {
        use sea_orm::{ColumnTrait, QueryFilter};
        user::Entity::find()
            .select_only()
            .columns([user::Column::Id, user::Column::PasswordHash])
            .filter(user::Column::Server.eq(bare.domain()))
            .filter(user::Column::Username.eq(bare.node()))
            .into_tuple()
            .one(&self.inner.db)
            .await
    }

    /// Registers a connection of `bare` opened with `credential`; `ended` is cancelled when the
    /// credential no longer holds. With `bound`, the connection counts against the user's
    /// bounded connections (WebSocket) on this node, and is refused (`Err(bound)`) when the
    /// user has that many already; counting and registering take one lock.
    pub fn register(
        &self,
        bare: String,
        credential: Credential,
        ended: CancellationToken,
        bound: Option<usize>,
    ) -> Result<Live, usize> {
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let mut live = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
        let mine = live.entry(bare.clone()).or_default();
        if let Some(max) = bound
            && mine.values().filter(|e| e.bounded).count() >= max
        {
            if mine.is_empty() {
                live.remove(&bare);
            }
            return Err(max);
        }
        mine.insert(
            id,
            Entry {
                credential: credential.clone(),
                ended: ended.clone(),
                bounded: bound.is_some(),
            },
        );
        Ok(Live {
            id,
            bare,
            credential,
            ended,
            inner: self.inner.clone(),
        })
    }

    /// The credentials of `bare` changed (here or on another node): re-checks its connections
    /// and ends those whose credential no longer holds.
    pub fn changed(&self, bare: &str) {
        let affected: Vec<(Credential, CancellationToken)> = match self.inner.live.lock() {
            Ok(live) => live
                .get(bare)
                .map(|m| {
                    m.values()
                        .map(|e| (e.credential.clone(), e.ended.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            Err(_) => return,
        };
        if affected.is_empty() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let db = self.inner.db.clone();
        rt.spawn(async move {
            for (credential, ended) in affected {
                match credential.holds(&db).await {
                    Ok(true) => {}
                    Ok(false) => ended.cancel(),
                    // The next operation checks again; an idle connection times out.
                    Err(e) => tracing::warn!(%e, "cannot re-check a connection's credentials"),
                }
            }
        });
    }
}

impl Live {
    /// Whether the credential still holds; ends the connection when it does not.
    pub async fn check(&self) -> Result<bool, DbErr> {
        if self.ended.is_cancelled() {
            return Ok(false);
        }
        let holds = self.credential.holds(&self.inner.db).await?;
        if !holds {
            self.ended.cancel();
        }
        Ok(holds)
    }

    /// Cancelled when the credential no longer holds.
    pub fn ended(&self) -> &CancellationToken {
        &self.ended
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Ok(mut live) = self.inner.live.lock()
            && let Some(m) = live.get_mut(&self.bare)
        {
            m.remove(&self.id);
            if m.is_empty() {
                live.remove(&self.bare);
            }
        }
    }
}
