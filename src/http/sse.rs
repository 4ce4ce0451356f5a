//! Subscriptions over Server-Sent Events (`GET /api/graphql/sse`), as the reference serves
//! them: errors before the stream are ordinary JSON replies with the status of their class;
//! once the subscription's session is registered the reply is 200 `text/event-stream`, one
//! `id: <n>` / `data: <json>` frame per event, `n` counting from 1, no keep-alive comments.
//! The session closes when the client disconnects, after `sse_idle_timeout_secs` without an
//! event, when the credential the stream was opened with no longer holds (password change,
//! token revocation, removal: [`super::binding`]), or when the server shuts down.

use std::time::Duration;

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::Executor;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, stream};
use tokio_util::sync::CancellationToken;

use super::binding;
use super::decode;
use super::reply::Reply;
use super::request::Endpoint;
use super::request::{Call, Credentials, Outcome, Stop};
use crate::connections::Live;
use crate::pipeline::{self, Transport};

/// One event frame.
fn frame(n: u64, event: Vec<u8>) -> Bytes {
    let mut out = format!("id: {n}\ndata: ").into_bytes();
    out.extend_from_slice(&event);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// The event stream's body: frames until the subscription ends, the client goes idle for
/// `idle`, the connection's credential no longer holds (`live` ended), or the server shuts
/// down.
fn body(
    events: BoxStream<'static, Vec<u8>>,
    idle: Option<Duration>,
    shutdown: CancellationToken,
    live: Option<Live>,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> {
    let ended = live.as_ref().map(|l| l.ended().clone()).unwrap_or_default();
    stream::unfold((events, 0u64, live), move |(mut events, n, live)| {
        let shutdown = shutdown.clone();
        let ended = ended.clone();
        async move {
            let next = async {
                match idle {
                    Some(d) => tokio::time::timeout(d, events.next()).await.ok()?,
                    None => events.next().await,
                }
            };
            let next = tokio::select! {
                _ = shutdown.cancelled() => None,
                _ = ended.cancelled() => None,
                next = next => next,
            }?;
            let n = n + 1;
            Some((Ok(frame(n, next)), (events, n, live)))
        }
    })
}

/// The actix handler for `GET /api/graphql/sse`; the request counts (metrics) once the stream
/// is open or refused.
pub async fn sse<E: Executor>(req: HttpRequest, endpoint: web::Data<Endpoint<E>>) -> HttpResponse {
    let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    let pending = match binding::before(&endpoint.auth, header).await {
        Ok(p) => p,
        Err(r) => return Reply::from(r).into_response(),
    };
    let call = Call {
        transport: Transport::Sse,
        method: req.method().as_str(),
        peer: req.peer_addr().map(|a| a.ip()),
        credentials: Credentials::Header(header),
        connection: None,
    };
    let decode = |_| async { Ok::<_, Stop<()>>(decode::query_string(req.query_string())?) };
    match endpoint.handle(call, decode).await {
        Outcome::Events(events) => {
            let live = match binding::bind(&endpoint.auth, pending, CancellationToken::new(), false)
                .await
            {
                Ok(live) => live,
                Err(r) => return Reply::from(r).into_response(),
            };
            HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, "text/event-stream"))
                .insert_header((CACHE_CONTROL, "no-cache"))
                .streaming(body(
                    events,
                    endpoint.sse_idle_timeout,
                    endpoint.shutdown.clone(),
                    live,
                ))
        }
        Outcome::Refused(r) => Reply::from(r).into_response(),
        Outcome::Reply(reply) => reply.into_response(),
        Outcome::Responses(_) | Outcome::Own(()) => {
            Reply::from(pipeline::internal_error()).into_response()
        }
    }
}
