//! GraphQL over WebSocket on `/api/graphql` (graphql-transport-ws, and the legacy graphql-ws):
//! async-graphql's protocol engine over an actix-ws connection. Every operation goes through
//! the same request wrapper as POST/GET and SSE ([`Gated`]); a refused one gets an `error`
//! message. Callers authenticate with the Basic header of the upgrade or with credentials in
//! the `connection_init` payload (`{"Authorization": "Basic ..."}`, also accepted under
//! `headers`).

use std::any::TypeId;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use async_graphql::http::{ClientMessage, WebSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, stream};
use serde_json::Value as Json;
use tokio::sync::mpsc;

use super::identity::Identity;
use super::reply::Reply;
use super::request::Endpoint;
use super::request::{Call, Credentials, Outcome, Stop, over_bound};
use crate::pipeline::{self, Input, Transport};

/// The endpoint's executor behind the request wrapper, as async-graphql's engine sees it.
#[derive(Clone)]
struct Gated<E: Executor> {
    endpoint: web::Data<Endpoint<E>>,
    /// The connection's peer.
    peer: Option<IpAddr>,
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
        stream::once(async move {
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
            let refused = |r: pipeline::Rejection| {
                stream::once(async move { Response::from_errors(r.into_server_errors()) }).boxed()
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
        })
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
                self.seen.remove(&id);
                Some(text)
            }
            _ => Some(text),
        }
    }
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
    let identity = match endpoint.authenticate(header.as_deref(), peer).await {
        Ok(i) => i,
        Err(r) => return Reply::from(r).into_response(),
    };
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
    let (response, mut session, messages) =
        match actix_ws::handle_with_protocols(&req, body, &[protocol.sec_websocket_protocol()]) {
            Ok(parts) => parts,
            Err(e) => return HttpResponse::from_error(e),
        };
    let max_frame = endpoint.max_body;
    let mut messages = messages
        .max_frame_size(max_frame)
        .aggregate_continuations()
        .max_continuation_size(max_frame);
    let (tx, rx) = mpsc::unbounded_channel::<serde_json::Result<ClientMessage>>();
    let init_endpoint = endpoint.clone();
    let mut engine = WebSocket::from_message_stream(
        Gated {
            endpoint: endpoint.clone(),
            peer,
        },
        tokio_stream_from(rx),
        protocol,
    )
    .on_connection_init(move |payload| async move {
        let identity = match payload_authorization(&payload) {
            Some(value) => init_endpoint
                .authenticate(Some(value.as_bytes()), peer)
                .await
                .map_err(|r| {
                    async_graphql::Error::new(
                        r.errors
                            .first()
                            .and_then(|e| e.0["message"].as_str())
                            .unwrap_or("Forbidden")
                            .to_string(),
                    )
                })?,
            None => identity,
        };
        let mut data = Data::default();
        data.insert(identity);
        Ok(data)
    });
    let shutdown = endpoint.shutdown.clone();
    let max_response_bytes = endpoint.pipeline.limits.max_response_bytes;
    actix_web::rt::spawn(async move {
        let mut errors = Errors {
            seen: HashSet::new(),
            failed: HashSet::new(),
            max_response_bytes,
        };
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => {
                    let _ = session
                        .close(Some(CloseReason {
                            code: CloseCode::Away,
                            description: Some("the server is shutting down".into()),
                        }))
                        .await;
                    return;
                }
                incoming = messages.next() => match incoming {
                    Some(Ok(AggregatedMessage::Text(t))) => {
                        if tx.send(ClientMessage::from_bytes(t.as_bytes())).is_err() {
                            break;
                        }
                    }
                    Some(Ok(AggregatedMessage::Binary(b))) => {
                        if tx.send(ClientMessage::from_bytes(&b)).is_err() {
                            break;
                        }
                    }
                    Some(Ok(AggregatedMessage::Ping(p))) => {
                        if session.pong(&p).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {}
                    Some(Ok(AggregatedMessage::Close(_))) | Some(Err(_)) | None => break,
                },
                outgoing = engine.next() => match outgoing {
                    Some(WsMessage::Text(t)) => {
                        if let Some(t) = errors.rewrite(t)
                            && session.text(t).await.is_err()
                        {
                            break;
                        }
                    }
                    Some(WsMessage::Close(code, reason)) => {
                        let _ = session
                            .close(Some(CloseReason {
                                code: CloseCode::Other(code),
                                description: Some(reason),
                            }))
                            .await;
                        return;
                    }
                    None => break,
                },
            }
        }
        let _ = session.close(None).await;
    });
    response
}

/// The channel's receiver as a stream.
fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::UnboundedReceiver<T>,
) -> BoxStream<'static, T> {
    stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}
