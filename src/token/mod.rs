//! Auth tokens (`mod_auth_token`): `requestToken` issues an access and a refresh token in the
//! reference's format ([`format`]), `revokeToken` invalidates every token the user holds, and
//! Bearer authentication accepts unexpired, unrevoked access tokens.
//!
//! Revocation: the reference bumps a per-user sequence number, which only refresh tokens carry.
//! mimql bumps it too, and also records *cutoffs*: the latest expiry any token issued until
//! now can have (now + validity). A token expiring at or before its kind's cutoff is revoked,
//! and a token issued later gets an expiry past the cutoff (at most one second more than its
//! validity, within the second of a revocation), so access tokens are revocable without
//! changing their format. The row is created with cutoffs at the account's creation time plus
//! validity, so a token issued to an earlier account of the same name is refused too; it is
//! deleted with the account, and with it every token.

pub mod format;

use mimql_entities::{auth_token, user};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

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

    /// (id, creation time in µs) of the user's account.
    async fn account(&self, jid: &Jid) -> Result<Option<(i64, i64)>, DbErr> {
        user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::CreatedAt)
            .filter(user::Column::Server.eq(jid.domain()))
            .filter(user::Column::Username.eq(jid.node()))
            .into_tuple()
            .one(&self.db)
            .await
    }

    /// Issues a fresh access and refresh token for `user` (resource kept in the tokens).
    pub async fn request(&self, user: &Jid) -> Result<Issued, TokenError> {
        let (id, created_at) = self.account(user).await?.ok_or(TokenError::UserNotFound)?;
        let created = format::gregorian(created_at.div_euclid(1_000_000));
        let row = auth_token::ActiveModel {
            user_id: Set(id),
            seq_no: Set(1),
            access_cutoff: Set(created + self.access_validity),
            refresh_cutoff: Set(created + self.refresh_validity),
        };
        auth_token::Entity::insert(row)
            .on_conflict(
                OnConflict::column(auth_token::Column::UserId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        let row = auth_token::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(TokenError::UserNotFound)?;
        let now = now();
        let jid = user.to_string();
        let access = Token {
            kind: Kind::Access,
            jid: jid.clone(),
            expiry: (now + self.access_validity).max(row.access_cutoff + 1),
            seq_no: None,
        };
        let refresh = Token {
            kind: Kind::Refresh,
            jid,
            expiry: (now + self.refresh_validity).max(row.refresh_cutoff + 1),
            seq_no: Some(row.seq_no),
        };
        Ok(Issued {
            access: format::encode(&self.secret, &access),
            refresh: format::encode(&self.secret, &refresh),
        })
    }

    /// Invalidates every token `user` holds.
    pub async fn revoke(&self, user: &Jid) -> Result<(), TokenError> {
        let Some((id, _)) = self.account(user).await? else {
            return Err(TokenError::NoToken);
        };
        let txn = crate::db::begin_write(&self.db).await?;
        let Some(row) = auth_token::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            return Err(TokenError::NoToken);
        };
        let now = now();
        let access_cutoff = row.access_cutoff.max(now + self.access_validity);
        let refresh_cutoff = row.refresh_cutoff.max(now + self.refresh_validity);
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
        let Ok(token) = format::decode(&self.secret, text) else {
            return Ok(None);
        };
        if token.kind != kind || token.expiry <= now() {
            return Ok(None);
        }
        let Ok(jid) = Jid::parse(&token.jid) else {
            return Ok(None);
        };
        let Some((id, _)) = self.account(&jid).await? else {
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
        Ok(valid.then_some(jid))
    }

    /// Bearer authentication: the owner of a valid access token.
    pub async fn authenticate(&self, bearer: &str) -> Result<Option<Jid>, DbErr> {
        self.verify(bearer, Kind::Access).await
    }
}
