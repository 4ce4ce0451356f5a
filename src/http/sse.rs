//! Subscriptions over Server-Sent Events (`GET /api/graphql/sse`), as the reference serves
//! them: errors before the stream are ordinary JSON replies with the status of their class;
//! once the subscription's session is registered the reply is 200 `text/event-stream`, one
//! `id: <n>` / `data: <json>` frame per event, `n` counting from 1, no keep-alive comments.
//! The session closes when the client disconnects, after `sse_idle_timeout_secs` without an
//! event, or when the server shuts down.

use std::time::Duration;

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::Executor;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, stream};

use super::decode;
use super::endpoint::Endpoint;
use super::reply::{self, Reply};
use crate::api::{SessionReady, SubscriptionTransport};
use crate::pipeline::{self, Outline, Rejection, Transport};
use tokio_util::sync::CancellationToken;

/// One event frame, within the response bound.
fn frame(n: u64, resp: async_graphql::Response, limit: usize) -> Bytes {
    let mut out = format!("id: {n}\ndata: ").into_bytes();
    out.extend_from_slice(&reply::encode_bounded(resp, limit));
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// The event stream's body: frames until the subscription ends, the client goes idle for
/// `idle`, or the server shuts down.
fn body(
    first: Option<async_graphql::Response>,
    rest: BoxStream<'static, async_graphql::Response>,
    idle: Option<Duration>,
    shutdown: CancellationToken,
    limit: usize,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> {
    let events = stream::iter(first).chain(rest);
    stream::unfold((events, 0u64), move |(mut events, n)| {
        let shutdown = shutdown.clone();
        async move {
            let next = async {
                match idle {
                    Some(d) => tokio::time::timeout(d, events.next()).await.ok()?,
                    None => events.next().await,
                }
            };
            let next = tokio::select! {
                _ = shutdown.cancelled() => None,
                next = next => next,
            }?;
            let n = n + 1;
            Some((Ok(frame(n, next, limit)), (events, n)))
        }
    })
}

impl<E: Executor> Endpoint<E> {
    async fn subscribe(
        &self,
        req: HttpRequest,
        outline: &mut Outline,
    ) -> Result<HttpResponse, Rejection> {
        let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
        let peer = req.peer_addr().map(|a| a.ip());
        let identity = self.auth.identify_from(header, peer).await?;
        let input = decode::query_string(req.query_string())?;
        let prepared = self.pipeline.prepare_outlined(
            input,
            identity.authenticated(),
            Transport::Sse,
            outline,
        )?;
        let (ready, mut ready_rx) = SessionReady::new();
        let request = identity
            .attach(prepared.request)
            .data(ready)
            .data(SubscriptionTransport(crate::sessions::Transport::Sse));
        let mut events = self.executor.execute_stream(request, None);
        // Answer only once the session exists (or the first response says why it does not).
        let first = loop {
            tokio::select! {
                biased;
                r = &mut ready_rx, if !ready_rx.is_terminated() => {
                    if r.is_ok() {
                        break None;
                    }
                }
                first = events.next() => break first,
            }
        };
        if let Some(resp) = &first
            && pipeline::is_pre_execution(resp)
        {
            let mut resp = first.expect("checked above");
            pipeline::assign_codes(&mut resp);
            let errors: Vec<pipeline::ErrorBody> = resp
                .errors
                .into_iter()
                .map(|e| pipeline::ErrorBody(reply::error_json(e)))
                .collect();
            let status = pipeline::status_of(errors.first().map_or("", |e| e.code()));
            return Err(Rejection { status, errors });
        }
        Ok(HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/event-stream"))
            .insert_header((CACHE_CONTROL, "no-cache"))
            .streaming(body(
                first,
                events,
                self.sse_idle_timeout,
                self.shutdown.clone(),
                self.pipeline.limits.max_response_bytes,
            )))
    }
}

/// The actix handler for `GET /api/graphql/sse`; the request counts (metrics) once the stream
/// is open or refused.
pub async fn sse<E: Executor>(req: HttpRequest, endpoint: web::Data<Endpoint<E>>) -> HttpResponse {
    let started = std::time::Instant::now();
    let mut outline = Outline::new();
    let (response, code) = match endpoint.subscribe(req, &mut outline).await {
        Ok(resp) => (resp, None),
        Err(r) => {
            let code = r.code().to_string();
            (Reply::from(r).into_response(), Some(code))
        }
    };
    crate::metrics::graphql_request(&crate::metrics::GraphqlRequest {
        api: endpoint.api,
        transport: "sse",
        operation: outline.operation_label(),
        category: outline.category,
        result: code.as_deref().unwrap_or("ok"),
        duration: started.elapsed(),
    });
    response
}
