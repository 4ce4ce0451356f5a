//! Auth tokens (`mod_auth_token`): `requestToken` issues an access and a refresh token in the
//! reference's format ([`format`]), `revokeToken` invalidates every token the user holds, and
//! Bearer authentication accepts unexpired, unrevoked access tokens.
//!
//! Revocation: the reference bumps a per-user sequence number, which only refresh tokens carry.
//! mimql bumps it too, and also keeps *cutoffs*: a token expiring at or before its kind's
//! cutoff is revoked. The row records the latest expiry issued for each kind; a revocation
//! moves the cutoffs there, and a token issued later gets an expiry past the cutoff (a second
//! more than its validity at most, when issued within the second of a revocation). So access
//! tokens are revocable without changing their format, and no clock is compared across nodes.
//! Issuing and revoking lock the row, so neither can slip between the other's read and write.
//!
//! The row is deleted with the account. Its cutoffs then live on in a tombstone (under a hash
//! of the JID) until the last token has expired, so an account registered again under the same
//! name does not accept the old tokens.

pub mod format;

use mimql_entities::{auth_token, token_tombstone};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use crate::config::AuthTokenOptions;
use crate::jid::Jid;
use format::{Kind, Token};

/// Name of the signing key in `server_secrets` (the reference's keystore key).
const SECRET_NAME: &str = "token_secret";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("user does not exist")]
    UserNotFound,
    /// `revokeToken` before any `requestToken`.
    #[error("user or token not found")]
    NoToken,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The pair `requestToken` returns, base64-encoded.
#[derive(Clone, Debug)]
pub struct Issued {
    pub access: String,
    pub refresh: String,
}

pub struct Tokens {
    db: DatabaseConnection,
    secret: Vec<u8>,
    access_validity: i64,
    refresh_validity: i64,
}

/// Gregorian seconds now.
fn now() -> i64 {
    format::gregorian(chrono::Utc::now().timestamp())
}

fn secs(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX / 4)
}

impl Tokens {
    /// Loads (or creates) the shared signing key.
    pub async fn load(db: DatabaseConnection, opts: &AuthTokenOptions) -> Result<Tokens, DbErr> {
        let secret = crate::secrets::load_or_create(&db, SECRET_NAME, 48).await?;
        Ok(Tokens {
            db,
            secret,
            access_validity: secs(opts.validity_period.access.seconds()),
            refresh_validity: secs(opts.validity_period.refresh.seconds()),
        })
    }

    /// The id of the user's account.
    async fn account<C: ConnectionTrait>(c: &C, jid: &Jid) -> Result<Option<i64>, DbErr> {
        crate::accounts::user_id(c, jid).await
    }

    /// Issues a fresh access and refresh token for `user` (resource kept in the tokens).
    pub async fn request(&self, user: &Jid) -> Result<Issued, TokenError> {
        let txn = crate::db::begin_write(&self.db).await?;
        let id = Self::account(&txn, user)
            .await?
            .ok_or(TokenError::UserNotFound)?;
        crate::accounts::lock_users(&txn, &[id]).await?;
        let row = match auth_token::Entity::find_by_id(id).one(&txn).await? {
            Some(row) => row,
            None => first_row(&txn, id, &user.to_bare()).await?,
        };
        let now = now();
        let access_expiry = (now + self.access_validity).max(row.access_cutoff + 1);
        let refresh_expiry = (now + self.refresh_validity).max(row.refresh_cutoff + 1);
        let seq_no = row.seq_no;
        let (access_issued, refresh_issued) = (row.access_issued, row.refresh_issued);
        let mut row: auth_token::ActiveModel = row.into();
        row.access_issued = Set(access_issued.max(access_expiry));
        row.refresh_issued = Set(refresh_issued.max(refresh_expiry));
        row.update(&txn).await?;
        txn.commit().await?;
        let jid = user.to_string();
        let access = Token {
            kind: Kind::Access,
            jid: jid.clone(),
            expiry: access_expiry,
            seq_no: None,
        };
        let refresh = Token {
            kind: Kind::Refresh,
            jid,
            expiry: refresh_expiry,
            seq_no: Some(seq_no),
        };
        Ok(Issued {
            access: format::encode(&self.secret, &access),
            refresh: format::encode(&self.secret, &refresh),
        })
    }

    /// Invalidates every token `user` holds.
    pub async fn revoke(&self, user: &Jid) -> Result<(), TokenError> {
        let txn = crate::db::begin_write(&self.db).await?;
        let Some(id) = Self::account(&txn, user).await? else {
            return Err(TokenError::NoToken);
        };
        crate::accounts::lock_users(&txn, &[id]).await?;
        let Some(row) = auth_token::Entity::find_by_id(id).one(&txn).await? else {
            return Err(TokenError::NoToken);
        };
        let (access_cutoff, refresh_cutoff) = row.revoked_cutoffs();
        let seq_no = row.seq_no + 1;
        let mut row: auth_token::ActiveModel = row.into();
        row.seq_no = Set(seq_no);
        row.access_cutoff = Set(access_cutoff);
        row.refresh_cutoff = Set(refresh_cutoff);
        row.update(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The owner of a valid token of `kind`: well-formed, signed with our key, unexpired,
    /// unrevoked, its account still there. `None` for anything else.
    pub async fn verify(&self, text: &str, kind: Kind) -> Result<Option<Jid>, DbErr> {
        Ok(self.verify_owned(text, kind).await?.map(|(jid, _, _)| jid))
    }

    /// [`Tokens::verify`], also answering the owner's account id and the token's expiry.
    async fn verify_owned(&self, text: &str, kind: Kind) -> Result<Option<(Jid, i64, i64)>, DbErr> {
        let Ok(token) = format::decode(&self.secret, text) else {
            return Ok(None);
        };
        if token.kind != kind || token.expiry <= now() {
            return Ok(None);
        }
        let Ok(jid) = Jid::parse(&token.jid) else {
            return Ok(None);
        };
        let Some(id) = Self::account(&self.db, &jid).await? else {
            return Ok(None);
        };
        let Some(row) = auth_token::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let valid = match kind {
            Kind::Access => token.expiry > row.access_cutoff,
            Kind::Refresh => {
                token.expiry > row.refresh_cutoff && token.seq_no.is_some_and(|s| s >= row.seq_no)
            }
        };
        Ok(valid.then_some((jid, id, token.expiry)))
    }

    /// Bearer authentication: the owner of a valid access token.
    pub async fn authenticate(&self, bearer: &str) -> Result<Option<Jid>, DbErr> {
        self.verify(bearer, Kind::Access).await
    }

    /// The owner of a valid access token with what a connection opened with it is bound to:
    /// the account id and the token's expiry ([`access_token_holds`]).
    pub async fn bearer_owner(&self, bearer: &str) -> Result<Option<(Jid, i64, i64)>, DbErr> {
        self.verify_owned(bearer, Kind::Access).await
    }
}

/// Whether an access token of `account` expiring at `expiry` is still valid: unexpired, not
/// revoked, the account (this very row) still there. The rule of [`Tokens::verify`], for a
/// token already verified.
pub async fn access_token_holds<C: ConnectionTrait>(
    c: &C,
    account: i64,
    expiry: i64,
) -> Result<bool, DbErr> {
    if expiry <= now() {
        return Ok(false);
    }
    let row = auth_token::Entity::find_by_id(account).one(c).await?;
    Ok(row.is_some_and(|r| expiry > r.access_cutoff))
}

/// Cutoffs after revoking everything issued so far.
trait Revoked {
    fn revoked_cutoffs(&self) -> (i64, i64);
}

impl Revoked for auth_token::Model {
    fn revoked_cutoffs(&self) -> (i64, i64) {
        (
            self.access_cutoff.max(self.access_issued),
            self.refresh_cutoff.max(self.refresh_issued),
        )
    }
}

fn owner_hash(bare: &Jid) -> String {
    crate::secrets::hex(&Sha256::digest(bare.to_string().as_bytes()))
}

/// The user's first token row, inheriting the cutoffs of an earlier account of the same name.
async fn first_row(
    txn: &DatabaseTransaction,
    id: i64,
    bare: &Jid,
) -> Result<auth_token::Model, DbErr> {
    let hash = owner_hash(bare);
    let (access_cutoff, refresh_cutoff) = match token_tombstone::Entity::find_by_id(hash.clone())
        .one(txn)
        .await?
    {
        Some(t) => (t.access_cutoff, t.refresh_cutoff),
        None => (0, 0),
    };
    token_tombstone::Entity::delete_by_id(hash)
        .exec(txn)
        .await?;
    let row = auth_token::ActiveModel {
        user_id: Set(id),
        seq_no: Set(1),
        access_cutoff: Set(access_cutoff),
        refresh_cutoff: Set(refresh_cutoff),
        access_issued: Set(0),
        refresh_issued: Set(0),
    };
    row.insert(txn).await
}

/// Part of account removal (inside its transaction): deletes the user's token row, keeping
/// its cutoffs in a tombstone while any of its tokens could still be unexpired. Tombstones of
/// others whose tokens have all expired are pruned on the way.
pub async fn remove_user(txn: &DatabaseTransaction, user_id: i64, bare: &Jid) -> Result<(), DbErr> {
    token_tombstone::Entity::delete_many()
        .filter(token_tombstone::Column::RefreshCutoff.lt(now()))
        .filter(token_tombstone::Column::AccessCutoff.lt(now()))
        .exec(txn)
        .await?;
    let Some(row) = auth_token::Entity::find_by_id(user_id).one(txn).await? else {
        return Ok(());
    };
    let (access_cutoff, refresh_cutoff) = row.revoked_cutoffs();
    auth_token::Entity::delete_by_id(user_id).exec(txn).await?;
    if refresh_cutoff.max(access_cutoff) < now() {
        return Ok(());
    }
    let tomb = token_tombstone::ActiveModel {
        owner_hash: Set(owner_hash(bare)),
        access_cutoff: Set(access_cutoff),
        refresh_cutoff: Set(refresh_cutoff),
    };
    token_tombstone::Entity::insert(tomb)
        .on_conflict(
            OnConflict::column(token_tombstone::Column::OwnerHash)
                .update_columns([
                    token_tombstone::Column::AccessCutoff,
                    token_tombstone::Column::RefreshCutoff,
                ])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}
