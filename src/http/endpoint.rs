//! The GraphQL endpoint shared by the user and admin listeners. Order of checks, as in the
//! reference: authorization header (401) → GraphiQL for browsers → content negotiation
//! (406/415) → decoding (400) → parsing, operation selection, `@protected`, scalar coercion
//! (400/401) → transport check → execution (200, or 400 for validation failures).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use actix_web::http::Method;
use actix_web::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::Executor;
use async_graphql::parser::types::OperationType;
use futures_util::{FutureExt, StreamExt};

use super::reply::{self, ErrorBody, Reply};
use super::{decode, graphiql, precheck};
use crate::admin_api::AdminCaller;
use crate::api::Caller;
use crate::auth::basic::{self, Header};
use crate::jid::Jid;
use crate::schema_meta::SchemaMeta;
use crate::state::AppState;

/// Who may call an endpoint.
pub enum Auth {
    /// Users of the served hosts, with their passwords.
    User(Arc<AppState>),
    /// The configured admin credentials.
    Admin { username: String, password: String },
}

/// What authentication established, attached to the request for the resolvers.
enum Identity {
    User(Option<Jid>),
    Admin(bool),
}

impl Identity {
    fn authenticated(&self) -> bool {
        matches!(self, Identity::User(Some(_)) | Identity::Admin(true))
    }

    fn attach(self, req: async_graphql::Request) -> async_graphql::Request {
        match self {
            Identity::User(jid) => req.data(Caller(jid)),
            Identity::Admin(ok) => req.data(AdminCaller(ok)),
        }
    }
}

fn unauthorized(code: &str, message: &str) -> Reply {
    Reply::errors(401, vec![ErrorBody::new(code, message, None)]).untyped()
}

fn wrong_credentials() -> Reply {
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

impl Auth {
    async fn identify(&self, header: Option<&[u8]>) -> Result<Identity, Reply> {
        let creds = match basic::parse(header) {
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
                            Err(reply::internal_error())
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
                        Err(reply::internal_error())
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

pub struct Endpoint<E> {
    pub executor: E,
    pub meta: &'static SchemaMeta,
    pub check_scalar: fn(&str, &async_graphql::Value) -> Option<Result<(), String>>,
    pub auth: Auth,
    pub max_body: usize,
    pub graphiql_title: &'static str,
}

enum Wants {
    Json,
    Html,
    Neither,
}

fn wants(req: &HttpRequest) -> Wants {
    let Some(accept) = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Wants::Json;
    };
    let types: Vec<&str> = accept
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .collect();
    let json = types
        .iter()
        .any(|t| matches!(*t, "application/json" | "application/*" | "*/*"));
    let html = types.iter().any(|t| matches!(*t, "text/html" | "text/*"));
    match (json, html) {
        // A browser lists text/html before */*; GraphiQL wins unless JSON is named.
        (_, true) if !types.contains(&"application/json") => Wants::Html,
        (true, _) => Wants::Json,
        (false, true) => Wants::Html,
        (false, false) => Wants::Neither,
    }
}

fn is_json_content(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, Reply> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            Reply::errors(
                400,
                vec![ErrorBody::new(
                    "invalid_json_body",
                    "The request JSON body is invalid",
                    None,
                )],
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(Reply::errors(
                413,
                vec![ErrorBody::new(
                    "request_too_large",
                    format!("The request body exceeds {limit} bytes"),
                    None,
                )],
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What the handler sends when it stops early: a JSON reply, or the GraphiQL page.
enum Early {
    Reply(Reply),
    Page(HttpResponse),
}

impl From<Reply> for Early {
    fn from(r: Reply) -> Early {
        Early::Reply(r)
    }
}

impl<E: Executor> Endpoint<E> {
    async fn handle(&self, req: HttpRequest, payload: web::Payload) -> Result<Reply, Early> {
        let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
        let identity = self.auth.identify(header).await?;
        let input = match *req.method() {
            Method::GET => {
                match wants(&req) {
                    Wants::Html => return Err(Early::Page(graphiql::page(self.graphiql_title))),
                    Wants::Neither => return Err(not_acceptable().into()),
                    Wants::Json => {}
                }
                decode::query_string(req.query_string())?
            }
            _ => {
                if matches!(wants(&req), Wants::Neither) {
                    return Err(not_acceptable().into());
                }
                if !is_json_content(&req) {
                    return Err(Early::Reply(Reply::errors(
                        415,
                        vec![ErrorBody::new(
                            "unsupported_media_type",
                            "POST bodies must be sent as application/json",
                            None,
                        )],
                    )));
                }
                let body = read_body(payload, self.max_body).await?;
                decode::json_body(&body)?
            }
        };
        let prepared = precheck::prepare(
            self.meta,
            self.check_scalar,
            input,
            identity.authenticated(),
        )?;
        if prepared.operation_type == OperationType::Subscription {
            return Err(Early::Reply(Reply::errors(
                400,
                vec![ErrorBody::new(
                    "unsupported_operation",
                    "The http execution method does not support subscription operations.",
                    Some(Vec::new()),
                )],
            )));
        }
        let request = identity.attach(prepared.request);
        let response = AssertUnwindSafe(self.executor.execute(request))
            .catch_unwind()
            .await
            .map_err(|_| {
                tracing::error!("a resolver panicked");
                reply::internal_error()
            })?;
        Ok(reply::from_response(response))
    }
}

fn not_acceptable() -> Reply {
    Reply::errors(
        406,
        vec![ErrorBody::new(
            "not_acceptable",
            "The endpoint answers application/json or text/html",
            None,
        )],
    )
}

/// The actix handler for `GET|POST /api/graphql`.
pub async fn graphql<E: Executor>(
    req: HttpRequest,
    payload: web::Payload,
    endpoint: web::Data<Endpoint<E>>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let response = match endpoint.handle(req, payload).await {
        Ok(reply) | Err(Early::Reply(reply)) => reply.into_response(),
        Err(Early::Page(page)) => page,
    };
    let status = response.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    if status >= 500 {
        tracing::warn!(%method, status, micros, "graphql request failed");
    } else {
        tracing::debug!(%method, status, micros, "graphql request");
    }
    response
}
