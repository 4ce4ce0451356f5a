//! GraphQL over WebSocket on `/api/graphql` (graphql-transport-ws, and the legacy graphql-ws):
//! async-graphql's protocol engine over an actix-ws connection. Every operation goes through
//! the same request wrapper as POST/GET and SSE ([`Gated`]); a refused one gets an `error`
//! message. Callers authenticate with the Basic header of the upgrade or with credentials in
//! the `connection_init` payload (`{"Authorization": "Basic ..."}`, also accepted under
//! `headers`).
//!
//! A connection is bound to the credential it was opened with ([`super::binding`]): every
//! operation re-checks it first, and the connection is closed (4403) when it no longer holds.
//! `connection_init` must come within the init timeout (else 4408), a connection without
//! credentials is closed then (4401), and one with no operation running is closed after the
//! idle timeout.
//!
//! Bounds: an operation over `max_subscriptions_per_connection` gets an `error` message
//! (`too_many_subscriptions`) and the connection goes on; a connection over
//! `max_ws_connections_per_user` is refused (429 on the upgrade, close 4429 at `connection_init`).

use std::any::TypeId;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use async_graphql::http::{ClientMessage, WebSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, stream};
use serde_json::Value as Json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::binding;
use super::identity::Identity;
use super::reply::Reply;
use super::request::Endpoint;
use super::request::{Call, Credentials, Outcome, Stop, over_bound};
use crate::connections::Live;
use crate::pipeline::{self, Input, Transport};

/// What one connection knows of its caller.
#[derive(Default)]
struct Conn {
    /// The registration of the credential the connection was opened with, if any.
    live: Mutex<Option<Arc<Live>>>,
    /// Cancelled when that credential no longer holds: the connection closes (4403).
    ended: CancellationToken,
    /// `connection_init` was accepted.
    initialised: AtomicBool,
    /// The connection carries valid credentials.
    authenticated: AtomicBool,
    /// `connection_init` was refused because the user has `max_ws_connections_per_user`
    /// connections already: the connection closes with 4429.
    too_many: Mutex<Option<String>>,
}

impl Conn {
    /// Why `connection_init` was refused over `max_ws_connections_per_user`, if it was.
    fn refused_too_many(&self) -> Option<String> {
        self.too_many.lock().ok().and_then(|r| r.clone())
    }

    fn set_live(&self, live: Option<Live>) {
        if let Ok(mut slot) = self.live.lock() {
            *slot = live.map(Arc::new);
        }
    }

    /// Whether the connection's credential still holds (re-checked in the database).
    async fn check(&self) -> Result<(), pipeline::Rejection> {
        if self.ended.is_cancelled() {
            return Err(binding::ended());
        }
        let live = self.live.lock().ok().and_then(|l| l.clone());
        match live {
            None => Ok(()),
            Some(live) => match live.check().await {
                Ok(true) => Ok(()),
                Ok(false) => Err(binding::ended()),
                Err(e) => {
                    tracing::warn!(%e, "cannot re-check a connection's credentials");
                    Err(pipeline::Rejection::new(
                        pipeline::Code::DatabaseUnavailable,
                        "The database is unavailable; try again later",
                        None,
                    ))
                }
            },
        }
    }
}

/// The endpoint's executor behind the request wrapper, as async-graphql's engine sees it.
#[derive(Clone)]
struct Gated<E: Executor> {
    endpoint: web::Data<Endpoint<E>>,
    /// The connection's peer.
    peer: Option<IpAddr>,
    conn: Arc<Conn>,
}

fn identity_of(data: Option<&Arc<Data>>) -> Option<Identity> {
    data?
        .get(&TypeId::of::<Identity>())?
        .downcast_ref::<Identity>()
        .cloned()
}

impl<E: Executor> Gated<E> {
    fn run(&self, request: Request, session: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let endpoint = self.endpoint.clone();
        let peer = self.peer;
        let conn = self.conn.clone();
        // Boxed: `Once` would keep the space of this future (the whole request path) inline in
        // the stream for the subscription's life; a box is freed once the future is done.
        stream::once(Box::pin(async move {
            let refused = |r: pipeline::Rejection| {
                stream::once(async move { Response::from_errors(r.into_server_errors()) }).boxed()
            };
            // Before every operation: one that races a password change, a revocation or the
            // account's removal is refused.
            if let Err(r) = conn.check().await {
                return refused(r);
            }
            let identity =
                identity_of(session.as_ref()).unwrap_or_else(|| endpoint.auth.anonymous());
            let input = Input {
                query: request.query,
                variables: request.variables,
                operation_name: request.operation_name.filter(|n| !n.is_empty()),
            };
            let call = Call {
                transport: Transport::WebSocket,
                method: "ws",
                peer,
                credentials: Credentials::Known(identity),
                connection: session,
            };
            match endpoint
                .handle(call, |_| async { Ok::<_, Stop<()>>(input) })
                .await
            {
                Outcome::Responses(responses) => responses,
                Outcome::Refused(r) => refused(r),
                Outcome::Reply(_) | Outcome::Events(_) | Outcome::Own(()) => {
                    refused(pipeline::internal_error())
                }
            }
        }))
        .flatten()
        .boxed()
    }
}

impl<E: Executor> Executor for Gated<E> {
    async fn execute(&self, request: Request) -> Response {
        self.run(request, None)
            .next()
            .await
            .unwrap_or_else(|| Response::new(async_graphql::Value::Null))
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        self.run(request, session_data)
    }
}

/// Credentials in a `connection_init` payload, as an `Authorization` header value.
fn payload_authorization(payload: &Json) -> Option<String> {
    let pick = |o: &Json| {
        ["Authorization", "authorization"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Json::as_str).map(str::to_string))
    };
    pick(payload).or_else(|| payload.get("headers").and_then(pick))
}

/// Rewrites the engine's `next` carrying a refusal (errors, no data) as the first message of
/// an operation into the protocol's `error` message, and drops the `complete` after it; a
/// `next` whose payload is longer than the response bound carries `response_too_large`
/// instead (query results, mutation results and subscription events alike).
struct Errors {
    seen: HashSet<String>,
    failed: HashSet<String>,
    max_response_bytes: usize,
    /// Operations started and not yet over (the idle timeout runs while there are none).
    open: HashSet<String>,
}

impl Errors {
    fn rewrite(&mut self, text: String) -> Option<String> {
        let Ok(mut m) = serde_json::from_str::<Json>(&text) else {
            return Some(text);
        };
        let id = m["id"].as_str().unwrap_or_default().to_string();
        match m["type"].as_str() {
            Some("next" | "data") if over_bound(text.len(), self.max_response_bytes).is_some() => {
                self.seen.insert(id);
                m["payload"] = over_bound(text.len(), self.max_response_bytes)?;
                Some(m.to_string())
            }
            Some("next" | "data") => {
                let first = self.seen.insert(id.clone());
                let p = &m["payload"];
                let refused = p.get("data").is_none_or(Json::is_null)
                    && p["errors"].as_array().is_some_and(|e| !e.is_empty());
                if first && refused {
                    self.open.remove(&id);
                    self.failed.insert(id);
                    let errors = p["errors"].clone();
                    m["type"] = Json::from("error");
                    m["payload"] = errors;
                    return Some(m.to_string());
                }
                Some(text)
            }
            Some("complete") if self.failed.remove(&id) => None,
            Some("complete") => {
                self.open.remove(&id);
                self.seen.remove(&id);
                Some(text)
            }
            _ => Some(text),
        }
    }
}

/// The `error` message for an operation over `max_subscriptions_per_connection`.
fn too_many_operations(id: &str, limit: usize) -> String {
    serde_json::json!({
        "id": id,
        "type": "error",
        "payload": [{
            "message": format!(
                "The connection has the most operations open allowed ({limit}); stop one first"
            ),
            "extensions": {
                "code": pipeline::Code::TooManySubscriptions.as_str(),
                "limit": limit,
            },
        }],
    })
    .to_string()
}

/// Closes the connection with `code` and `reason`.
async fn close(session: actix_ws::Session, code: CloseCode, reason: &str) {
    let _ = session
        .close(Some(CloseReason {
            code,
            description: Some(reason.into()),
        }))
        .await;
}

/// A refusal as the `connection_init` callback reports it.
fn init_error(r: pipeline::Rejection) -> async_graphql::Error {
    async_graphql::Error::new(
        r.errors
            .first()
            .and_then(|e| e.0["message"].as_str())
            .unwrap_or("Forbidden")
            .to_string(),
    )
}

/// Upgrades `GET /api/graphql` with `Upgrade: websocket`.
pub async fn upgrade<E: Executor>(
    req: HttpRequest,
    body: web::Payload,
    endpoint: web::Data<Endpoint<E>>,
) -> HttpResponse {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    let peer = req.peer_addr().map(|a| a.ip());
    let conn = Arc::new(Conn::default());
    let pending = match binding::before(&endpoint.auth, header.as_deref()).await {
        Ok(p) => p,
        Err(r) => return Reply::from(r).into_response(),
    };
    let identity = match endpoint.authenticate(header.as_deref(), peer).await {
        Ok(i) => i,
        Err(r) => return Reply::from(r).into_response(),
    };
    // Credentials on the upgrade: over `max_ws_connections_per_user`, 429
    // `too_many_connections` before any WebSocket.
    match binding::bind(&endpoint.auth, pending, conn.ended.clone(), true).await {
        Ok(live) => conn.set_live(live),
        Err(r) => return Reply::from(r).into_response(),
    }
    let offered = req
        .headers()
        .get(actix_web::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let protocol = offered
        .split(',')
        .map(str::trim)
        .find_map(|p| p.parse::<Protocols>().ok())
        .unwrap_or(Protocols::GraphQLWS);
    let body = match own_chunks(&req, body).await {
        Ok(body) => body,
        Err(e) => return HttpResponse::from_error(e),
    };
    let (response, session, messages) =
        match actix_ws::handle_with_protocols(&req, body, &[protocol.sec_websocket_protocol()]) {
            Ok(parts) => parts,
            Err(e) => return HttpResponse::from_error(e),
        };
    let max_frame = endpoint.max_body;
    let messages = messages
        .max_frame_size(max_frame)
        .aggregate_continuations()
        .max_continuation_size(max_frame);
    // Boxed: a channel allocates its first block of 32 slots at once, and a `ClientMessage`
    // (a whole `Request`) is ~400 bytes: 12 KiB a connection, mostly never used.
    let (tx, rx) = mpsc::unbounded_channel::<Box<serde_json::Result<ClientMessage>>>();
    let init_endpoint = endpoint.clone();
    let init_conn = conn.clone();
    let engine = WebSocket::from_message_stream(
        Gated {
            endpoint: endpoint.clone(),
            peer,
            conn: conn.clone(),
        },
        tokio_stream_from(rx),
        protocol,
    )
    .on_connection_init(move |payload| async move {
        let identity = match payload_authorization(&payload) {
            Some(value) => {
                let auth = &init_endpoint.auth;
                let pending = binding::before(auth, Some(value.as_bytes()))
                    .await
                    .map_err(init_error)?;
                let identity = init_endpoint
                    .authenticate(Some(value.as_bytes()), peer)
                    .await
                    .map_err(init_error)?;
                // The upgrade's binding (if any) is replaced: it does not count twice.
                init_conn.set_live(None);
                let live = match binding::bind(auth, pending, init_conn.ended.clone(), true).await {
                    Ok(live) => live,
                    Err(r) => {
                        let too_many = r.errors.first().map(|e| e.code())
                            == Some(pipeline::Code::TooManyConnections.as_str());
                        let e = init_error(r);
                        if too_many && let Ok(mut slot) = init_conn.too_many.lock() {
                            *slot = Some(e.message.clone());
                        }
                        return Err(e);
                    }
                };
                init_conn.set_live(live);
                identity
            }
            None => identity,
        };
        init_conn
            .authenticated
            .store(identity.authenticated(), Ordering::SeqCst);
        init_conn.initialised.store(true, Ordering::SeqCst);
        let mut data = Data::default();
        data.insert(identity);
        Ok(data)
    });
    let run = Run {
        max_operations: endpoint.ws_max_operations,
        shutdown: endpoint.shutdown.clone(),
        init_timeout: endpoint.ws_init_timeout,
        idle_timeout: endpoint.ws_idle_timeout,
        errors: Errors {
            seen: HashSet::new(),
            failed: HashSet::new(),
            max_response_bytes: endpoint.pipeline.limits.max_response_bytes,
            open: HashSet::new(),
        },
    };
    actix_web::rt::spawn(run.serve(session, messages, tx, engine, conn));
    response
}

/// One connection's loop: client messages to the engine, the engine's to the client, and the
/// reasons to close (shutdown, credential ended, init and idle timeouts).
struct Run {
    /// Operations (subscriptions) open at once on the connection; one more gets an `error`.
    max_operations: usize,
    shutdown: CancellationToken,
    init_timeout: Duration,
    idle_timeout: Option<Duration>,
    errors: Errors,
}

impl Run {
    async fn serve(
        mut self,
        mut session: actix_ws::Session,
        mut messages: impl futures_util::Stream<
            Item = Result<AggregatedMessage, actix_ws::ProtocolError>,
        > + Unpin,
        tx: mpsc::UnboundedSender<Box<serde_json::Result<ClientMessage>>>,
        mut engine: impl futures_util::Stream<Item = WsMessage> + Unpin,
        conn: Arc<Conn>,
    ) {
        let init_deadline = tokio::time::sleep(self.init_timeout);
        tokio::pin!(init_deadline);
        let mut init_checked = false;
        // Only armed while no operation is open.
        let idle_deadline = tokio::time::sleep(self.idle_timeout.unwrap_or(self.init_timeout));
        tokio::pin!(idle_deadline);
        let idle_armed = self.idle_timeout.is_some();
        let rearm = |deadline: std::pin::Pin<&mut tokio::time::Sleep>| {
            if let Some(d) = self.idle_timeout {
                deadline.reset(tokio::time::Instant::now() + d);
            }
        };
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => {
                    return close(session, CloseCode::Away, "the server is shutting down").await;
                }
                _ = conn.ended.cancelled() => {
                    return close(
                        session,
                        CloseCode::Other(4403),
                        "Forbidden: the credentials were changed or revoked",
                    )
                    .await;
                }
                _ = &mut init_deadline, if !init_checked => {
                    if !conn.initialised.load(Ordering::SeqCst) {
                        return close(
                            session,
                            CloseCode::Other(4408),
                            "Connection initialisation timeout",
                        )
                        .await;
                    }
                    if !conn.authenticated.load(Ordering::SeqCst) {
                        return close(session, CloseCode::Other(4401), "Unauthorized").await;
                    }
                    init_checked = true;
                }
                _ = &mut idle_deadline, if idle_armed && self.errors.open.is_empty() => {
                    return close(session, CloseCode::Normal, "Idle timeout").await;
                }
                incoming = messages.next() => {
                    let message = match incoming {
                        Some(Ok(AggregatedMessage::Text(t))) => ClientMessage::from_bytes(t.as_bytes()),
                        Some(Ok(AggregatedMessage::Binary(b))) => ClientMessage::from_bytes(&b),
                        Some(Ok(AggregatedMessage::Ping(p))) => {
                            if session.pong(&p).await.is_err() {
                                break;
                            }
                            continue;
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => continue,
                        Some(Ok(AggregatedMessage::Close(_))) | Some(Err(_)) | None => break,
                    };
                    match &message {
                        // Over the bound: the operation's `error`, nothing else changes (a
                        // repeated id goes to the engine, which closes the connection).
                        Ok(ClientMessage::Start { id, .. })
                            if !self.errors.open.contains(id)
                                && self.errors.open.len() >= self.max_operations =>
                        {
                            let refusal = too_many_operations(id, self.max_operations);
                            if session.text(refusal).await.is_err() {
                                break;
                            }
                            continue;
                        }
                        Ok(ClientMessage::Start { id, .. }) => {
                            self.errors.open.insert(id.clone());
                        }
                        Ok(ClientMessage::Stop { id }) => {
                            self.errors.open.remove(id);
                        }
                        _ => {}
                    }
                    if tx.send(Box::new(message)).is_err() {
                        break;
                    }
                    rearm(idle_deadline.as_mut());
                }
                outgoing = engine.next() => match outgoing {
                    Some(WsMessage::Text(t)) => {
                        let was_open = !self.errors.open.is_empty();
                        if let Some(t) = self.errors.rewrite(t)
                            && session.text(t).await.is_err()
                        {
                            break;
                        }
                        if was_open && self.errors.open.is_empty() {
                            rearm(idle_deadline.as_mut());
                        }
                    }
                    Some(WsMessage::Close(code, reason)) => {
                        if let Some(reason) = conn.refused_too_many() {
                            return close(session, CloseCode::Other(4429), &reason).await;
                        }
                        return close(session, CloseCode::Other(code), &reason).await;
                    }
                    None => {
                        // The legacy protocol's `connection_error` was sent: close with 4429.
                        if let Some(reason) = conn.refused_too_many() {
                            return close(session, CloseCode::Other(4429), &reason).await;
                        }
                        break;
                    }
                },
            }
        }
        let _ = session.close(None).await;
    }
}

/// The upgraded connection's bytes, each chunk copied out of the connection's read buffer.
/// actix-ws keeps the last chunk it read as its frame buffer until the next one arrives; a chunk
/// that shares the read buffer's allocation would keep the whole of it (8 KiB) for as long as
/// the connection waits, which vendor/actix-http otherwise gives back while a stream is idle.
async fn own_chunks(
    req: &HttpRequest,
    body: web::Payload,
) -> Result<web::Payload, actix_web::Error> {
    use actix_web::FromRequest;
    type Chunks = std::pin::Pin<
        Box<dyn futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>>>,
    >;
    let chunks = body
        .into_inner()
        .map(|chunk| chunk.map(|b| web::Bytes::copy_from_slice(&b)));
    let mut payload = actix_web::dev::Payload::from(Box::pin(chunks) as Chunks);
    web::Payload::from_request(req, &mut payload).await
}

/// The channel's receiver as a stream, each message unboxed.
fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::UnboundedReceiver<Box<T>>,
) -> BoxStream<'static, T> {
    stream::poll_fn(move |cx| rx.poll_recv(cx).map(|m| m.map(|b| *b))).boxed()
}
