//! The GraphQL endpoint for queries and mutations (`GET|POST /api/graphql`), shared by the user
//! and admin listeners. Order of checks, as in the reference: authorization header (401) →
//! GraphiQL for browsers → content negotiation (406/415) → decoding (400) → the request
//! pipeline (parse, cost, input checks, validation: 400; `@protected`: 401; transport: 400) →
//! execution (200).

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use actix_web::http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::Executor;
use futures_util::{FutureExt, StreamExt};

use super::identity::Auth;
use super::reply::{self, Reply};
use super::{decode, graphiql, heavy};
use crate::pipeline::{self, Outline, Pipeline, Rejection, Transport};

pub struct Endpoint<E> {
    pub executor: E,
    pub pipeline: Pipeline,
    pub auth: Auth,
    pub max_body: usize,
    /// How long a client may take to send its whole body.
    pub body_timeout: Duration,
    /// How long an SSE stream may go without an event before it is closed.
    pub sse_idle_timeout: Option<Duration>,
    /// Cancelled when the server shuts down: long-lived streams (SSE, WebSocket) end then.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// `user` or `admin`, for logs and metrics.
    pub api: &'static str,
    pub graphiql: &'static graphiql::Page,
}

/// What a request turned out to be, for its log line and metrics.
struct Trace {
    outline: Outline,
    /// The authenticated caller's domain.
    domain: Option<String>,
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

fn not_acceptable() -> Rejection {
    Rejection::new(
        406,
        "not_acceptable",
        "The endpoint answers application/json or text/html",
        None,
    )
}

fn too_large(limit: usize) -> Rejection {
    Rejection::new(
        413,
        "request_too_large",
        format!("The request body exceeds {limit} bytes"),
        None,
    )
}

/// Reads the whole body (chunked or not), bounded in size (over it, `too_large`'s refusal) and
/// in time. A body declared larger than the bound is refused before any of it is read; actix
/// then reads and discards what the client still sends for a moment before closing, so that
/// the client sees the 413 rather than a reset.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    (limit, too_large): (usize, fn(usize) -> Rejection),
    timeout: Duration,
) -> Result<Vec<u8>, Rejection> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let read = async {
        let mut body = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| {
                Rejection::new(
                    400,
                    "invalid_json_body",
                    "The request JSON body is invalid",
                    None,
                )
            })?;
            if body.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| {
            Err(Rejection::new(
                408,
                "request_timeout",
                format!(
                    "The request body was not received within {} s",
                    timeout.as_secs()
                ),
                None,
            ))
        })
}

/// A request as received, before decoding.
enum Raw {
    Query(String),
    Body(Vec<u8>),
}

impl Raw {
    fn len(&self) -> usize {
        match self {
            Raw::Query(q) => q.len(),
            Raw::Body(b) => b.len(),
        }
    }

    /// Decodes and runs the pipeline's checks.
    fn prepare(
        &self,
        pipeline: &Pipeline,
        authenticated: bool,
        outline: &mut Outline,
    ) -> Result<pipeline::Prepared, Rejection> {
        let input = match self {
            Raw::Query(q) => decode::query_string(q)?,
            Raw::Body(b) => decode::json_body(b)?,
        };
        pipeline.prepare_outlined(input, authenticated, Transport::Http, outline)
    }
}

/// What the handler sends when it stops early: a JSON reply, or the GraphiQL page.
enum Early {
    Reply(Reply),
    Page(HttpResponse),
}

impl From<Rejection> for Early {
    fn from(r: Rejection) -> Early {
        Early::Reply(r.into())
    }
}

impl<E: Executor> Endpoint<E> {
    async fn handle(
        &self,
        req: HttpRequest,
        payload: web::Payload,
        trace: &mut Trace,
    ) -> Result<Reply, Early> {
        let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
        let peer = req.peer_addr().map(|a| a.ip());
        let identity = self.auth.identify_from(header, peer).await?;
        trace.domain = identity.user().map(|jid| jid.domain().to_string());
        let raw = match *req.method() {
            Method::GET => {
                match wants(&req) {
                    Wants::Html => return Err(Early::Page(graphiql::page(self.graphiql))),
                    Wants::Neither => return Err(not_acceptable().into()),
                    Wants::Json => {}
                }
                Raw::Query(req.query_string().to_string())
            }
            _ => {
                if matches!(wants(&req), Wants::Neither) {
                    return Err(not_acceptable().into());
                }
                if !is_json_content(&req) {
                    return Err(Rejection::new(
                        415,
                        "unsupported_media_type",
                        "POST bodies must be sent as application/json",
                        None,
                    )
                    .into());
                }
                // Without credentials only a small request can do anything but fail.
                let anonymous = self.pipeline.limits.max_anonymous_bytes;
                let bound: (usize, fn(usize) -> Rejection) =
                    if !identity.authenticated() && anonymous < self.max_body {
                        (anonymous, pipeline::anonymous_too_large)
                    } else {
                        (self.max_body, too_large)
                    };
                Raw::Body(read_body(&req, payload, bound, self.body_timeout).await?)
            }
        };
        let authenticated = identity.authenticated();
        let prepared = if raw.len() > heavy::THRESHOLD {
            // Large: prepared on the low-priority lane (see `heavy`).
            let pipeline = self.pipeline.clone();
            let (result, outline) = heavy::run(move || {
                let mut outline = Outline::new();
                let result = raw.prepare(&pipeline, authenticated, &mut outline);
                (result, outline)
            })
            .await
            .map_err(|refused| Early::from(heavy::rejection(refused)))?;
            trace.outline = outline;
            result?
        } else {
            raw.prepare(&self.pipeline, authenticated, &mut trace.outline)?
        };
        let request = identity.attach(prepared.request);
        let response = AssertUnwindSafe(self.executor.execute(request))
            .catch_unwind()
            .await
            .map_err(|_| {
                tracing::error!("a resolver panicked");
                Early::from(pipeline::internal_error())
            })?;
        Ok(reply::from_response(response).bounded(self.pipeline.limits.max_response_bytes))
    }
}

/// Longest operation name quoted in a log line.
const MAX_LOGGED_NAME: usize = 128;

/// The actix handler for `GET|POST /api/graphql`.
pub async fn graphql<E: Executor>(
    req: HttpRequest,
    payload: web::Payload,
    endpoint: web::Data<Endpoint<E>>,
) -> HttpResponse {
    let started = Instant::now();
    let method = req.method().clone();
    let mut trace = Trace {
        outline: Outline::new(),
        domain: None,
    };
    let reply = match endpoint.handle(req, payload, &mut trace).await {
        Ok(reply) | Err(Early::Reply(reply)) => reply,
        Err(Early::Page(page)) => return page,
    };
    let duration = started.elapsed();
    let result = reply.code.as_deref().unwrap_or("ok");
    crate::metrics::graphql_request(&crate::metrics::GraphqlRequest {
        api: endpoint.api,
        transport: "http",
        operation: trace.outline.operation_label(),
        category: trace.outline.category,
        result,
        duration,
    });
    let status = reply.status;
    let name = trace.outline.name.as_deref().unwrap_or_default();
    let cut = (0..=name.len().min(MAX_LOGGED_NAME))
        .rev()
        .find(|&i| name.is_char_boundary(i))
        .unwrap_or(0);
    let name = &name[..cut];
    macro_rules! request_line {
        ($level:ident, $message:literal) => {
            tracing::$level!(
                api = endpoint.api,
                %method,
                operation = trace.outline.operation_label(),
                name,
                category = trace.outline.category,
                status,
                code = result,
                micros = duration.as_micros() as u64,
                domain = trace.domain.as_deref().unwrap_or_default(),
                $message
            )
        };
    }
    if status >= 500 {
        request_line!(warn, "graphql request failed");
    } else {
        request_line!(debug, "graphql request");
    }
    reply.into_response()
}
