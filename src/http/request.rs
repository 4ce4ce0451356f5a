//! The request wrapper every transport calls (POST/GET, SSE, WebSocket; XMPP c2s next): given
//! the caller's credentials and peer and a way to decode the request, it authenticates, decodes,
//! runs the pipeline's checks (large requests on the low-priority lane, by one measure: the
//! document and variables, [`heavy::is_large`]), executes under a panic guard, bounds the
//! response, and writes the request's log line and metrics. The transport gets an [`Outcome`]
//! to render. Nothing here names actix types, so that a transport that is not HTTP can call it.

use std::future::Future;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::{Data, Executor, Response};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt, stream};
use serde_json::Value as Json;

use super::heavy;
use super::identity::{Auth, Identity};
use super::reply::{self, Reply};
use crate::pipeline::{
    self, Code, Input, Outline, Pipeline, Prepared, Rejection, SessionReady, SubscriptionTransport,
    Transport,
};

/// One API as served: its executor, its checks, its credentials and the transports' bounds.
pub struct Endpoint<E> {
    pub executor: E,
    pub pipeline: Pipeline,
    pub auth: Auth,
    pub max_body: usize,
    /// Refused bodies' budget per source, shared by the listeners (see [`super::refused`]).
    pub refused: Arc<super::refused::RefusedBytes>,
    /// How long a client may take to send its whole body.
    pub body_timeout: Duration,
    /// How long an SSE stream may go without an event before it is closed.
    pub sse_idle_timeout: Option<Duration>,
    /// How long a WebSocket may take to complete `connection_init` (and, without credentials,
    /// how long it may stay open at all).
    pub ws_init_timeout: Duration,
    /// How long a WebSocket may stay open with no operation running.
    pub ws_idle_timeout: Option<Duration>,
    /// Operations (subscriptions) one WebSocket may have open at once.
    pub ws_max_operations: usize,
    /// Cancelled when the server shuts down: long-lived streams (SSE, WebSocket) end then.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// `user` or `admin`, for logs and metrics.
    pub api: &'static str,
    pub graphiql: &'static super::graphiql::Page,
}

/// One request as a transport received it.
pub struct Call<'a> {
    pub transport: Transport,
    /// For the log line: the HTTP method, or the transport's name.
    pub method: &'a str,
    /// The caller's address, named in refused-login warnings.
    pub peer: Option<IpAddr>,
    pub credentials: Credentials<'a>,
    /// Data of the connection the request arrived on (WebSocket), passed to the executor.
    pub connection: Option<Arc<Data>>,
}

/// Who the caller claims to be.
pub enum Credentials<'a> {
    /// An `Authorization` header value (absent: anonymous), checked here.
    Header(Option<&'a [u8]>),
    /// Established for the whole connection (WebSocket's upgrade or `connection_init`).
    Known(Identity),
}

/// Why decoding gave no request: a refusal, or an answer of the transport's own (the GraphiQL
/// page), which is sent as it is, without a log line or metrics.
pub enum Stop<T> {
    Refused(Rejection),
    Own(T),
}

impl<T> From<Rejection> for Stop<T> {
    fn from(r: Rejection) -> Self {
        Stop::Refused(r)
    }
}

/// What the transport renders. Which variants a transport gets follows from its
/// [`Transport`]: `Http` gets `Reply` (or `Refused`), `Sse` gets `Events`, `WebSocket` gets
/// `Responses`; every one may get `Refused`, and `Own` is what its decoder stopped with.
pub enum Outcome<T> {
    /// Refused before execution (or a panic): render with its status.
    Refused(Rejection),
    /// An executed query or mutation, within the response bound.
    Reply(Reply),
    /// An SSE subscription whose session exists: its events, each encoded within the bound.
    Events(BoxStream<'static, Vec<u8>>),
    /// A WebSocket operation: its responses, every error coded, for the protocol engine.
    Responses(BoxStream<'static, Response>),
    Own(T),
}

/// The response bound, the exact check on an encoding: `None` when `len` bytes fit in `limit`,
/// else the body that replaces the whole response (or event): one `response_too_large` error.
/// (The per-field count of [`pipeline::budget`] estimates while executing.)
pub fn over_bound(len: usize, limit: usize) -> Option<Json> {
    (len > limit).then(|| reply::too_large_json(limit))
}

/// Longest operation name quoted in a log line.
const MAX_LOGGED_NAME: usize = 128;

/// What a request turned out to be, for its log line and metrics.
struct Trace<'a> {
    api: &'static str,
    transport: Transport,
    method: &'a str,
    started: Instant,
    outline: Outline,
    /// The authenticated caller's domain.
    domain: Option<String>,
}

impl Trace<'_> {
    /// The request's metrics and log line, once it is answered (streams: once open).
    fn finish(&self, status: u16, code: Option<&str>) {
        let duration = self.started.elapsed();
        let result = code.unwrap_or("ok");
        let transport = match self.transport {
            Transport::Http => "http",
            Transport::Sse => "sse",
            Transport::WebSocket => "ws",
        };
        let outline = &self.outline;
        crate::metrics::graphql_request(&crate::metrics::GraphqlRequest {
            api: self.api,
            transport,
            operation: outline.operation_label(),
            category: outline.category,
            result,
            duration,
        });
        let name = outline.name.as_deref().unwrap_or_default();
        let cut = (0..=name.len().min(MAX_LOGGED_NAME))
            .rev()
            .find(|&i| name.is_char_boundary(i))
            .unwrap_or(0);
        let name = &name[..cut];
        let method = self.method;
        macro_rules! request_line {
            ($level:ident, $message:literal) => {
                tracing::$level!(
                    api = self.api,
                    transport,
                    method,
                    operation = outline.operation_label(),
                    name,
                    category = outline.category,
                    status,
                    code = result,
                    micros = duration.as_micros() as u64,
                    domain = self.domain.as_deref().unwrap_or_default(),
                    $message
                )
            };
        }
        if status >= 500 {
            request_line!(warn, "graphql request failed");
        } else {
            request_line!(debug, "graphql request");
        }
    }
}

/// A stream that answers one `internal_server_error` and ends if polling it panics.
fn guarded<T: Send + 'static>(
    events: BoxStream<'static, T>,
    on_panic: fn() -> T,
) -> BoxStream<'static, T> {
    AssertUnwindSafe(events)
        .catch_unwind()
        .map(move |r| {
            r.unwrap_or_else(|_| {
                tracing::error!("a resolver panicked");
                on_panic()
            })
        })
        .boxed()
}

fn panicked_response() -> Response {
    Response::from_errors(pipeline::internal_error().into_server_errors())
}

fn panicked_event() -> Vec<u8> {
    serde_json::to_vec(&Reply::from(pipeline::internal_error()).body).unwrap_or_default()
}

impl<E: Executor> Endpoint<E> {
    /// Checks credentials (an `Authorization` header value; absent: anonymous) of a caller at
    /// `peer`. [`Endpoint::handle`] does this itself; WebSocket calls it for the connection.
    pub async fn authenticate(
        &self,
        credentials: Option<&[u8]>,
        peer: Option<IpAddr>,
    ) -> Result<Identity, Rejection> {
        self.auth.identify(credentials, peer).await
    }

    /// Handles one request: authentication, `decode` (told whether the caller is
    /// authenticated), the pipeline's checks, execution, the response bound, the log line and
    /// metrics. See [`Outcome`] for what comes back.
    pub async fn handle<T, D, F>(&self, call: Call<'_>, decode: D) -> Outcome<T>
    where
        D: FnOnce(bool) -> F,
        F: Future<Output = Result<Input, Stop<T>>>,
    {
        let mut trace = Trace {
            api: self.api,
            transport: call.transport,
            method: call.method,
            started: Instant::now(),
            outline: Outline::new(),
            domain: None,
        };
        let outcome = self.run(call, decode, &mut trace).await;
        match &outcome {
            Outcome::Refused(r) => trace.finish(r.status, Some(r.code())),
            Outcome::Reply(r) => trace.finish(r.status, r.code.as_deref()),
            Outcome::Events(_) | Outcome::Responses(_) => trace.finish(200, None),
            Outcome::Own(_) => {}
        }
        outcome
    }

    async fn run<T, D, F>(&self, call: Call<'_>, decode: D, trace: &mut Trace<'_>) -> Outcome<T>
    where
        D: FnOnce(bool) -> F,
        F: Future<Output = Result<Input, Stop<T>>>,
    {
        let identity = match call.credentials {
            Credentials::Header(header) => match self.authenticate(header, call.peer).await {
                Ok(identity) => identity,
                Err(r) => return Outcome::Refused(r),
            },
            Credentials::Known(identity) => identity,
        };
        trace.domain = identity.user().map(|jid| jid.domain().to_string());
        let input = match decode(identity.authenticated()).await {
            Ok(input) => input,
            Err(Stop::Refused(r)) => return Outcome::Refused(r),
            Err(Stop::Own(own)) => return Outcome::Own(own),
        };
        let prepared = match self
            .prepare(input, identity.authenticated(), call.transport, trace)
            .await
        {
            Ok(prepared) => prepared,
            Err(r) => return Outcome::Refused(r),
        };
        let request = identity.attach(prepared.request);
        let limit = self.pipeline.limits.max_response_bytes;
        match call.transport {
            Transport::Http => {
                let Ok(response) = AssertUnwindSafe(self.executor.execute(request))
                    .catch_unwind()
                    .await
                else {
                    tracing::error!("a resolver panicked");
                    return Outcome::Refused(pipeline::internal_error());
                };
                let reply = reply::from_response(response);
                match reply.encoded_len().and_then(|len| over_bound(len, limit)) {
                    Some(body) => Outcome::Reply(Reply::new(
                        200,
                        Some(Code::ResponseTooLarge.as_str().to_string()),
                        body,
                    )),
                    None => Outcome::Reply(reply),
                }
            }
            Transport::Sse => self.subscribe(request, limit).await,
            Transport::WebSocket => {
                let request =
                    request.data(SubscriptionTransport(crate::sessions::Transport::WebSocket));
                let responses = self
                    .executor
                    .execute_stream(request, call.connection)
                    .map(|mut r| {
                        pipeline::assign_codes(&mut r);
                        r
                    })
                    .boxed();
                Outcome::Responses(guarded(responses, panicked_response))
            }
        }
    }

    /// The pipeline's checks, on the low-priority lane for a large request.
    async fn prepare(
        &self,
        input: Input,
        authenticated: bool,
        transport: Transport,
        trace: &mut Trace<'_>,
    ) -> Result<Prepared, Rejection> {
        if !heavy::is_large(&input) {
            return self.pipeline.prepare_outlined(
                input,
                authenticated,
                transport,
                &mut trace.outline,
            );
        }
        let pipeline = self.pipeline.clone();
        let (result, outline) = heavy::run(move || {
            let mut outline = Outline::new();
            let result = pipeline.prepare_outlined(input, authenticated, transport, &mut outline);
            (result, outline)
        })
        .await
        .map_err(heavy::rejection)?;
        trace.outline = outline;
        result
    }

    /// An SSE subscription: answered once its session exists, or with the first response when
    /// that says why it does not.
    async fn subscribe<T>(&self, request: async_graphql::Request, limit: usize) -> Outcome<T> {
        let (ready, mut ready_rx) = SessionReady::new();
        let request = request
            .data(ready)
            .data(SubscriptionTransport(crate::sessions::Transport::Sse));
        let mut events = self.executor.execute_stream(request, None);
        let opened = AssertUnwindSafe(async {
            loop {
                tokio::select! {
                    biased;
                    r = &mut ready_rx, if !ready_rx.is_terminated() => {
                        if r.is_ok() {
                            break None;
                        }
                    }
                    first = events.next() => break first,
                }
            }
        })
        .catch_unwind()
        .await;
        let first = match opened {
            Ok(Some(mut resp)) if pipeline::is_pre_execution(&resp) => {
                pipeline::assign_codes(&mut resp);
                let errors = resp
                    .errors
                    .into_iter()
                    .map(|e| pipeline::ErrorBody(reply::error_json(e)))
                    .collect();
                return Outcome::Refused(Rejection::from_errors(errors));
            }
            Ok(first) => first,
            Err(_) => {
                tracing::error!("a resolver panicked");
                return Outcome::Refused(pipeline::internal_error());
            }
        };
        let encoded = stream::iter(first).chain(events).map(move |resp| {
            let encoded = reply::encode_executed(resp);
            match over_bound(encoded.len(), limit) {
                Some(body) => body.to_string().into_bytes(),
                None => encoded,
            }
        });
        Outcome::Events(guarded(encoded.boxed(), panicked_event))
    }
}
