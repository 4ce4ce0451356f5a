//! Who is calling: the `Authorization` header (or, on WebSocket, the credentials of
//! `connection_init`) checked against the endpoint's accounts.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::admin_api::AdminCaller;
use crate::api::Caller;
use crate::auth::basic::{self, Header};
use crate::jid::Jid;
use crate::logging::Throttle;
use crate::pipeline::{self, Rejection};
use crate::state::AppState;

/// Who may call an endpoint.
pub enum Auth {
    /// Users of the served hosts, with their passwords.
    User(Arc<AppState>),
    /// The configured admin credentials.
    Admin { username: String, password: String },
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

fn unauthorized(code: &str, message: &str) -> Rejection {
    Rejection::new(401, code, message, None)
}

pub fn wrong_credentials() -> Rejection {
    unauthorized("wrong_credentials", "The provided credentials are wrong")
}

/// Constant-time comparison, so the admin password cannot be guessed byte by byte.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
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

    /// Checks an `Authorization` header value (absent: anonymous).
    pub async fn identify(&self, header: Option<&[u8]>) -> Result<Identity, Rejection> {
        self.identify_from(header, None).await
    }

    /// [`Auth::identify`] for a caller at `peer`, which refused-login warnings name. Counts
    /// every attempt that carried credentials ([`crate::metrics::auth_attempt`]).
    pub async fn identify_from(
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
                Err(r) => match r.code() {
                    "wrong_credentials" => "wrong_credentials",
                    "request_error" => "request_error",
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
                    "request_error",
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
                        Err(e) => {
                            tracing::error!(%e, "token authentication failed on a database error");
                            Err(pipeline::internal_error())
                        }
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
                    Err(e) => {
                        tracing::error!(%e, "authentication failed on a database error");
                        Err(pipeline::internal_error())
                    }
                }
            }
            (Auth::Admin { username, password }, Some((user, pass))) => {
                if same(&user, username) & same(&pass, password) {
                    Ok(Identity::Admin(true))
                } else {
                    Err(wrong_credentials())
                }
            }
        }
    }
}
