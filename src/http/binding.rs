//! Long-lived connections (WebSocket, SSE) bound to the credential they were opened with
//! ([`crate::connections`]): read what a Basic credential stands for *before* the password is
//! checked, authenticate as usual, then register the connection, which is ended when the
//! credential no longer holds.

use tokio_util::sync::CancellationToken;

use super::identity::Auth;
use crate::auth::basic::{self, Header};
use crate::connections::{Credential, Live};
use crate::jid::Jid;
use crate::pipeline::{Code, Rejection};
use crate::state::AppState;

/// What a connection's credentials stood for before they were checked.
pub struct Pending {
    basic: Option<(Jid, Option<Credential>)>,
    bearer: Option<String>,
}

impl Pending {
    /// Nothing to bind: no credentials, or the admin API (its credentials are the
    /// configuration's).
    pub fn none() -> Pending {
        Pending {
            basic: None,
            bearer: None,
        }
    }
}

fn user_state(auth: &Auth) -> Option<&AppState> {
    match auth {
        Auth::User(state) => Some(state),
        Auth::Admin { .. } => None,
    }
}

fn database_failure(e: sea_orm::DbErr) -> Rejection {
    tracing::warn!(%e, "cannot read a connection's credentials");
    Rejection::new(
        Code::DatabaseUnavailable,
        "The database is unavailable; try again later",
        None,
    )
}

/// Call before authenticating a long-lived connection with `header`.
pub async fn before(auth: &Auth, header: Option<&[u8]>) -> Result<Pending, Rejection> {
    let Some(state) = user_state(auth) else {
        return Ok(Pending::none());
    };
    match basic::parse(header) {
        Header::Basic { user, .. } => {
            let Ok(jid) = Jid::parse(&user) else {
                return Ok(Pending::none());
            };
            let jid = jid.to_bare();
            let credential = state
                .connections
                .password_of(&jid)
                .await
                .map_err(database_failure)?;
            Ok(Pending {
                basic: Some((jid, credential)),
                bearer: None,
            })
        }
        Header::Bearer(token) if state.config.module_enabled("mod_auth_token") => Ok(Pending {
            basic: None,
            bearer: Some(token),
        }),
        _ => Ok(Pending::none()),
    }
}

/// The credential no longer holds: what an operation on such a connection gets.
pub fn ended() -> Rejection {
    Rejection::new(
        Code::WrongCredentials,
        "The credentials this connection was opened with are no longer valid",
        None,
    )
}

/// The user has `limit` bounded connections (WebSocket) on this node already.
pub fn too_many_connections(limit: usize) -> Rejection {
    Rejection::new(
        Code::TooManyConnections,
        format!("The user has the most WebSocket connections allowed ({limit})"),
        None,
    )
}

/// Call once authentication with the credentials of `pending` succeeded: registers the
/// connection (`None`: nothing to bind); `ended` is cancelled when its credential no longer
/// holds. `bounded`: the connection counts against `max_ws_connections_per_user` and is
/// refused ([`too_many_connections`]) over it.
pub async fn bind(
    auth: &Auth,
    pending: Pending,
    ended_token: CancellationToken,
    bounded: bool,
) -> Result<Option<Live>, Rejection> {
    let Some(state) = user_state(auth) else {
        return Ok(None);
    };
    let (bare, credential) = match pending {
        Pending {
            basic: Some((jid, credential)),
            ..
        } => {
            // An account registered while the password was checked: bind to it as it is now.
            let credential = match credential {
                Some(c) => Some(c),
                None => state
                    .connections
                    .password_of(&jid)
                    .await
                    .map_err(database_failure)?,
            };
            (jid.bare_string(), credential)
        }
        Pending {
            bearer: Some(token),
            ..
        } => {
            // Verified again: a revocation since the check leaves nothing to bind to.
            match state
                .tokens
                .bearer_owner(&token)
                .await
                .map_err(database_failure)?
            {
                Some((jid, account, expiry)) => (
                    jid.bare_string(),
                    Some(Credential::Token { account, expiry }),
                ),
                None => return Err(ended()),
            }
        }
        _ => return Ok(None),
    };
    let Some(credential) = credential else {
        return Err(ended());
    };
    let bound = bounded.then_some(state.config.limits.max_ws_connections_per_user);
    state
        .connections
        .register(bare, credential, ended_token, bound)
        .map(Some)
        .map_err(too_many_connections)
}
