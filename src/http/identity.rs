//! Who is calling: the `Authorization` header (or, on WebSocket, the credentials of
//! `connection_init`) checked against the endpoint's accounts.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::accounts::AccountError;
use crate::admin_api::AdminCaller;
use crate::api::Caller;
use crate::auth::basic::{self, Header};
use crate::auth::throttle::{Scope, Throttled};
use crate::jid::Jid;
use crate::logging::Throttle;
use crate::pipeline::{self, Code, Rejection};
use crate::state::AppState;

/// Who may call an endpoint.
pub enum Auth {
    /// Users of the served hosts, with their passwords.
    User(Arc<AppState>),
    /// The configured admin credentials; failures count in the users' throttle, by source.
    Admin {
        username: String,
        password: String,
        state: Arc<AppState>,
    },
}

/// What authentication established, attached to the request for the resolvers.
#[derive(Clone, Debug)]
pub enum Identity {
    User(Option<Jid>),
    Admin(bool),
}

impl Identity {
    pub fn authenticated(&self) -> bool {
        matches!(self, Identity::User(Some(_)) | Identity::Admin(true))
    }

    pub fn attach(self, req: async_graphql::Request) -> async_graphql::Request {
        match self {
            Identity::User(jid) => req.data(Caller(jid)),
            Identity::Admin(ok) => req.data(AdminCaller(ok)),
        }
    }

    /// The user this identity stands for, if any.
    pub fn user(&self) -> Option<&Jid> {
        match self {
            Identity::User(jid) => jid.as_ref(),
            Identity::Admin(_) => None,
        }
    }
}

fn unauthorized(code: Code, message: &str) -> Rejection {
    Rejection::new(code, message, None)
}

/// A database error while checking credentials: 503 when the database cannot serve now.
fn database_failure(e: sea_orm::DbErr) -> Rejection {
    if crate::db::is_unavailable(&e) {
        tracing::warn!(%e, "authentication: database unavailable");
        Rejection::new(
            Code::DatabaseUnavailable,
            "The database is unavailable; try again later",
            None,
        )
    } else {
        tracing::error!(%e, "authentication failed on a database error");
        pipeline::internal_error()
    }
}

/// 429 `too_many_attempts`: the account or the source failed too often lately.
fn throttled(t: Throttled) -> Rejection {
    Rejection::new(
        Code::TooManyAttempts,
        format!(
            "Too many failed login attempts; try again in {} s",
            t.retry_after.as_secs().max(1)
        ),
        None,
    )
}

pub fn wrong_credentials() -> Rejection {
    unauthorized(Code::WrongCredentials, "The provided credentials are wrong")
}

/// The admin credentials compared in constant time: both sides are hashed first, so neither
/// the bytes nor the lengths of the configured values can be learnt from response times.
fn same_credentials(user: &str, pass: &str, username: &str, password: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    let digest = |a: &str, b: &str| {
        let mut h = Sha256::new();
        h.update((a.len() as u64).to_le_bytes());
        h.update(a.as_bytes());
        h.update(b.as_bytes());
        h.finalize()
    };
    bool::from(
        digest(user, pass)
            .as_slice()
            .ct_eq(digest(username, password).as_slice()),
    )
}

/// Refused logins are logged, but a password-guessing client must not flood the log: at most
/// this many warnings a minute, then one that says how many were left out.
static REFUSED: Throttle = Throttle::new(20, Duration::from_secs(60));

/// Longest attempted user name quoted in a warning.
const MAX_LOGGED_USER: usize = 128;

fn warn_refused(api: &'static str, user: &str, peer: Option<IpAddr>) {
    if let Some(suppressed) = REFUSED.admit() {
        let user: String = user.chars().take(MAX_LOGGED_USER).collect();
        let peer = peer.map(|p| p.to_string()).unwrap_or_default();
        tracing::warn!(api, user, peer, suppressed, "login refused");
    }
}

impl Auth {
    /// The identity of a caller without credentials.
    pub fn anonymous(&self) -> Identity {
        match self {
            Auth::User(_) => Identity::User(None),
            Auth::Admin { .. } => Identity::Admin(false),
        }
    }

    /// `user` or `admin`, for logs and metrics.
    pub fn api(&self) -> &'static str {
        match self {
            Auth::User(_) => "user",
            Auth::Admin { .. } => "admin",
        }
    }

    /// Checks an `Authorization` header value (absent: anonymous) of a caller at `peer`, which
    /// refused-login warnings name. Counts every attempt that carried credentials
    /// ([`crate::metrics::auth_attempt`]).
    pub async fn identify(
        &self,
        header: Option<&[u8]>,
        peer: Option<IpAddr>,
    ) -> Result<Identity, Rejection> {
        let header = basic::parse(header);
        let attempted = matches!(
            header,
            Header::Basic { .. } | Header::Bearer(_) | Header::Malformed
        );
        let user = match &header {
            Header::Basic { user, .. } => user.clone(),
            _ => String::new(),
        };
        let result = self.check(header, peer).await;
        if attempted {
            let outcome = match &result {
                Ok(_) => "ok",
                Err(r) => match Code::parse(r.code()) {
                    Some(
                        c @ (Code::WrongCredentials | Code::RequestError | Code::TooManyAttempts),
                    ) => c.as_str(),
                    _ => "error",
                },
            };
            crate::metrics::auth_attempt(self.api(), outcome);
            if outcome == "wrong_credentials" {
                warn_refused(self.api(), &user, peer);
            }
        }
        result
    }

    async fn check(&self, header: Header, peer: Option<IpAddr>) -> Result<Identity, Rejection> {
        let creds = match header {
            Header::Absent | Header::OtherScheme => None,
            Header::Malformed => {
                return Err(unauthorized(
                    Code::RequestError,
                    "Malformed authorization header. Please consult the relevant specification",
                ));
            }
            Header::Basic { user, password } => Some((user, password)),
            // With mod_auth_token disabled, Bearer is just another scheme (the reference).
            // A throttled source may not use tokens either; a failed one is not counted: a
            // token cannot be guessed, and a client retrying an expired one would otherwise
            // lock out the users behind the same address.
            Header::Bearer(token) => match self {
                Auth::User(state) if state.config.module_enabled("mod_auth_token") => {
                    state
                        .accounts
                        .login_allowed(peer, Scope::User)
                        .map_err(throttled)?;
                    return match state.tokens.authenticate(&token).await {
                        Ok(Some(jid)) => Ok(Identity::User(Some(jid))),
                        Ok(None) => Err(wrong_credentials()),
                        Err(e) => Err(database_failure(e)),
                    };
                }
                _ => None,
            },
        };
        match (self, creds) {
            (Auth::User(_), None) => Ok(Identity::User(None)),
            (Auth::Admin { .. }, None) => Ok(Identity::Admin(false)),
            (Auth::User(state), Some((user, password))) => {
                let Ok(jid) = Jid::parse(&user) else {
                    state
                        .accounts
                        .login_allowed(peer, Scope::User)
                        .map_err(throttled)?;
                    state.accounts.login_failed(peer, Scope::User);
                    return Err(wrong_credentials());
                };
                match state.accounts.login(&jid, &password, peer).await {
                    Ok(true) => Ok(Identity::User(Some(jid))),
                    Ok(false) => Err(wrong_credentials()),
                    Err(AccountError::Throttled(t)) => Err(throttled(t)),
                    Err(AccountError::Busy) => Err(Rejection::new(
                        Code::ServerBusy,
                        "The server is busy; try again later",
                        None,
                    )),
                    Err(AccountError::Db(e)) => Err(database_failure(e)),
                    Err(e) => {
                        tracing::error!(%e, "authentication failed");
                        Err(pipeline::internal_error())
                    }
                }
            }
            (
                Auth::Admin {
                    username,
                    password,
                    state,
                },
                Some((user, pass)),
            ) => {
                // Per source, loopback included: a guesser elsewhere never keeps the admin
                // waiting.
                state
                    .accounts
                    .login_allowed(peer, Scope::Admin)
                    .map_err(throttled)?;
                if same_credentials(&user, &pass, username, password) {
                    Ok(Identity::Admin(true))
                } else {
                    state.accounts.login_failed(peer, Scope::Admin);
                    Err(wrong_credentials())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_credentials_compare_whole() {
        assert!(same_credentials("admin", "secret", "admin", "secret"));
        assert!(!same_credentials("admin", "secreT", "admin", "secret"));
        assert!(!same_credentials("admin", "secret1", "admin", "secret"));
        // The split between user and password counts.
        assert!(!same_credentials("admins", "ecret", "admin", "secret"));
        assert!(!same_credentials("", "", "admin", "secret"));
    }
}
