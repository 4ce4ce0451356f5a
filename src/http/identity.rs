//! Who is calling: the `Authorization` header (or, on WebSocket, the credentials of
//! `connection_init`) checked against the endpoint's accounts.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::accounts::AccountError;
use crate::admin_api::AdminCaller;
use crate::api::Caller;
use crate::auth::basic::{self, Header};
use crate::jid::Jid;
use crate::logging::Throttle;
use crate::pipeline::{self, Code, Rejection};
use crate::state::AppState;

/// Who may call an endpoint.
pub enum Auth {
    /// Users of the served hosts, with their passwords.
    User(Arc<AppState>),
    /// The configured admin credentials.
    Admin {
        username: String,
        password: String,
        failures: AdminFailures,
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

/// Failed admin logins in a row, and when the last one was: each failure answers later than
/// the one before (doubling from [`ADMIN_FIRST_DELAY`] up to [`ADMIN_MAX_DELAY`]), and admin
/// credential checks run one at a time, so guessing is bounded to about one try per
/// [`ADMIN_MAX_DELAY`] whatever the number of connections. The count is forgotten after a
/// success or [`ADMIN_FORGET`] without failures.
#[derive(Default)]
pub struct AdminFailures {
    state: tokio::sync::Mutex<(u32, Option<std::time::Instant>)>,
}

const ADMIN_FIRST_DELAY: Duration = Duration::from_millis(100);
const ADMIN_MAX_DELAY: Duration = Duration::from_secs(2);
const ADMIN_FORGET: Duration = Duration::from_secs(300);

impl AdminFailures {
    /// The delay before answering the `n`th failure in a row.
    fn delay(n: u32) -> Duration {
        ADMIN_FIRST_DELAY
            .saturating_mul(1u32 << n.saturating_sub(1).min(16))
            .min(ADMIN_MAX_DELAY)
    }

    /// Checks the credentials, one check at a time, slowing down failures.
    async fn check(&self, ok: impl FnOnce() -> bool) -> bool {
        let mut state = self.state.lock().await;
        if state.1.is_some_and(|t| t.elapsed() > ADMIN_FORGET) {
            *state = (0, None);
        }
        if ok() {
            *state = (0, None);
            return true;
        }
        state.0 = state.0.saturating_add(1);
        state.1 = Some(std::time::Instant::now());
        tokio::time::sleep(Self::delay(state.0)).await;
        false
    }
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
        let result = self.check(header).await;
        if attempted {
            let outcome = match &result {
                Ok(_) => "ok",
                Err(r) => match Code::parse(r.code()) {
                    Some(c @ (Code::WrongCredentials | Code::RequestError)) => c.as_str(),
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

    async fn check(&self, header: Header) -> Result<Identity, Rejection> {
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
            Header::Bearer(token) => match self {
                Auth::User(state) if state.config.module_enabled("mod_auth_token") => {
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
                    return Err(wrong_credentials());
                };
                match state.accounts.authenticate(&jid, &password).await {
                    Ok(true) => Ok(Identity::User(Some(jid))),
                    Ok(false) => Err(wrong_credentials()),
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
                    failures,
                },
                Some((user, pass)),
            ) => {
                if failures
                    .check(|| same_credentials(&user, &pass, username, password))
                    .await
                {
                    Ok(Identity::Admin(true))
                } else {
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

    #[test]
    fn admin_failure_delays_grow_to_a_bound() {
        assert_eq!(AdminFailures::delay(1), ADMIN_FIRST_DELAY);
        assert_eq!(AdminFailures::delay(2), ADMIN_FIRST_DELAY * 2);
        assert_eq!(AdminFailures::delay(40), ADMIN_MAX_DELAY);
    }
}
