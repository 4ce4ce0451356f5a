//! The HTTP servers: the user API on `listen.user`, the admin API on `listen.admin`, and
//! `GET /metrics` on `listen.metrics`.

mod binding;
pub mod decode;
pub mod endpoint;
pub mod graphiql;
mod health;
mod heavy;
mod host;
pub mod identity;
mod inflight;
pub mod refused;
mod reply;
pub mod request;
mod sse;
mod upload;
mod ws;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, web};
use async_graphql::Executor;
use tokio_util::task::TaskTracker;

use crate::admin_api::AdminApi;
use crate::api::UserApi;
use crate::generated;
use crate::pipeline::{GateExtension, Limits, Pipeline, ResponseBudget};
use crate::state::AppState;
use identity::Auth;
use request::Endpoint;

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .finish()
}

/// `Upgrade: websocket` (any case): the request opens a GraphQL WebSocket connection.
fn websocket_upgrade() -> impl actix_web::guard::Guard {
    actix_web::guard::fn_guard(|ctx| {
        ctx.head()
            .headers()
            .get(header::UPGRADE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
    })
}

/// Other methods on the SSE path: 405, `text/html`, empty body (as the reference).
async fn sse_method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET"))
        .content_type("text/html")
        .finish()
}

fn configure<E: Executor>(
    endpoint: web::Data<Endpoint<E>>,
    state: web::Data<AppState>,
) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(endpoint.clone())
            .app_data(state.clone())
            .service(
                web::resource("/api/graphql")
                    .route(web::get().guard(websocket_upgrade()).to(ws::upgrade::<E>))
                    .route(web::get().to(endpoint::graphql::<E>))
                    .route(web::post().to(endpoint::graphql::<E>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/api/graphql/sse")
                    .route(web::get().to(sse::sse::<E>))
                    .default_service(web::to(sse_method_not_allowed)),
            )
            .route("/health", web::get().to(health::health))
            .configure(graphiql::assets);
    }
}

async fn metrics_page(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render(state.db()))
}

// Depth and complexity are bounded by the pipeline (memoised over fragments) before
// async-graphql's own checks run; the schemas only keep their recursion bound.
pub fn user_schema(state: &Arc<AppState>) -> generated::user::Schema {
    generated::user::schema_builder()
        .data(UserApi::new(state.clone()))
        .extension(GateExtension)
        .extension(ResponseBudget {
            limit: state.config.limits.max_response_bytes,
        })
        .limit_recursive_depth(crate::http::MAX_RECURSION)
        .finish()
}

pub fn admin_schema(state: &Arc<AppState>) -> generated::admin::Schema {
    generated::admin::schema_builder()
        .data(AdminApi::new(state.clone()))
        .extension(GateExtension)
        .extension(ResponseBudget {
            limit: state.config.limits.max_response_bytes,
        })
        .limit_recursive_depth(crate::http::MAX_RECURSION)
        .finish()
}

fn pipeline(
    meta: &'static crate::schema_meta::SchemaMeta,
    config: &crate::config::Config,
    api: &'static str,
) -> Pipeline {
    Pipeline {
        meta,
        check_scalar: generated::scalars::check_scalar,
        limits: Limits::from(&config.limits),
        cache: Arc::new(crate::pipeline::DocumentCache::new(
            config.limits.document_cache_entries,
            config.limits.document_cache_bytes,
            api,
        )),
    }
}

/// Recursion bound of async-graphql's own document checks.
pub const MAX_RECURSION: usize = 64;

/// The running servers. Dropping this does not stop them: call [`Running::shutdown`].
pub struct Running {
    pub user_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    /// `None` when `[listen.metrics] enabled = false`.
    pub metrics_addr: Option<SocketAddr>,
    /// XMPP clients; `None` when `[listen.c2s] enabled = false` (set by `server::start`).
    pub c2s_addr: Option<SocketAddr>,
    /// XMPP clients with direct TLS (XEP-0368); `None` unless `direct_tls_address` is set.
    pub c2s_direct_tls_addr: Option<SocketAddr>,
    pub state: Arc<AppState>,
    /// Requests in progress on every listener.
    in_flight: TaskTracker,
    /// The listening sockets (duplicates of those actix serves), closed at shutdown.
    listeners: Vec<TcpListener>,
    handles: Vec<ServerHandle>,
    tasks: Vec<actix_web::rt::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Runs until the servers stop.
    pub async fn wait(self) -> std::io::Result<()> {
        for t in self.tasks {
            t.await.map_err(std::io::Error::other)??;
        }
        Ok(())
    }

    /// Stops cleanly: cancels [`AppState::shutdown`] (streams end), stops accepting (new
    /// connections are refused), gives requests in progress up to
    /// `[general] shutdown_timeout_secs` to finish (their responses included), then drops what
    /// is left, idle keep-alive connections included, and closes the database pool.
    ///
    /// The servers are paused, not stopped, while requests finish: actix's graceful stop waits
    /// for idle connections too, and a worker whose accept thread stops before it hears of the
    /// stop exits at once, cutting its requests. What is waited for is our own count of
    /// requests in progress (`inflight.rs`).
    pub async fn shutdown(self) -> std::io::Result<()> {
        let grace = Duration::from_secs(self.state.config.general.shutdown_timeout_secs);
        self.state.shutdown.cancel();
        self.in_flight.close();
        futures_util::future::join_all(self.handles.iter().map(|h| h.pause())).await;
        // The accept threads apply the pause asynchronously: let them, before their sockets
        // stop listening (else one may log a failed accept).
        tokio::time::sleep(Duration::from_millis(20)).await;
        for listener in &self.listeners {
            refuse_connections(listener);
        }
        if tokio::time::timeout(grace, self.in_flight.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                requests = self.in_flight.len(),
                "shutdown timeout: cutting the requests still in progress"
            );
        }
        futures_util::future::join_all(self.handles.iter().map(|h| h.stop(false))).await;
        for t in self.tasks {
            if let Err(e) = t.await.map_err(std::io::Error::other).and_then(|r| r) {
                tracing::warn!(%e, "an HTTP server failed while stopping");
            }
        }
        if let Err(e) = self.state.db().close_by_ref().await {
            tracing::warn!(%e, "closing the database pool failed");
        }
        Ok(())
    }
}

/// Makes a listening socket refuse new connections at once (connections waiting in its queue,
/// never accepted, are reset). Linux stops listening on `shutdown(SHUT_RD)`; elsewhere the
/// socket stays open, unaccepted, until the process exits.
fn refuse_connections(listener: &TcpListener) {
    if let Err(e) = socket2::SockRef::from(listener).shutdown(std::net::Shutdown::Read) {
        tracing::debug!(%e, "listening socket left open until exit");
    }
}

fn bind(listener: Option<TcpListener>, address: &str) -> std::io::Result<TcpListener> {
    match listener {
        Some(l) => Ok(l),
        None => TcpListener::bind(address)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {address}: {e}"))),
    }
}

/// Binds the listeners (or uses the given ones) and starts serving. Signals are left to the
/// caller (see [`Running::shutdown`]).
pub fn start(
    state: Arc<AppState>,
    user_listener: Option<TcpListener>,
    admin_listener: Option<TcpListener>,
) -> std::io::Result<Running> {
    crate::metrics::install();
    let config = &state.config;
    let user_listener = bind(user_listener, &config.listen.user.address)?;
    let admin_listener = bind(admin_listener, &config.listen.admin.address)?;
    let metrics_listener = match config.listen.metrics.enabled {
        true => Some(bind(None, &config.listen.metrics.address)?),
        false => None,
    };
    let user_addr = user_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;
    let metrics_addr = metrics_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()?;
    let in_flight = TaskTracker::new();
    let mut listeners = vec![user_listener.try_clone()?, admin_listener.try_clone()?];
    if let Some(l) = &metrics_listener {
        listeners.push(l.try_clone()?);
    }

    let refused = Arc::new(refused::RefusedBytes::new(
        config.limits.refused_bytes_per_source,
        config.limits.max_body_bytes as u64,
    ));
    let user_endpoint = web::Data::new(Endpoint {
        executor: user_schema(&state),
        pipeline: pipeline(&generated::user::META, config, "user"),
        auth: Auth::User(state.clone()),
        max_body: config.limits.max_body_bytes,
        refused: refused.clone(),
        body_timeout: Duration::from_secs(config.limits.body_timeout_secs),
        sse_idle_timeout: match config.listen.user.sse_idle_timeout_secs {
            0 => None,
            s => Some(Duration::from_secs(s)),
        },
        ws_init_timeout: Duration::from_secs(config.listen.user.ws_init_timeout_secs),
        ws_idle_timeout: match config.listen.user.ws_idle_timeout_secs {
            0 => None,
            s => Some(Duration::from_secs(s)),
        },
        ws_max_operations: config.limits.max_subscriptions_per_connection,
        shutdown: state.shutdown.clone(),
        api: "user",
        graphiql: &graphiql::USER_PAGE,
    });
    let defaults = crate::config::UserListener::default();
    let admin_endpoint = web::Data::new(Endpoint {
        executor: admin_schema(&state),
        pipeline: pipeline(&generated::admin::META, config, "admin"),
        auth: Auth::Admin {
            username: config.listen.admin.username.clone(),
            password: config.listen.admin.password.clone(),
            state: state.clone(),
        },
        max_body: config.limits.max_body_bytes,
        refused: refused.clone(),
        body_timeout: Duration::from_secs(config.limits.body_timeout_secs),
        sse_idle_timeout: None,
        // The admin API's WebSocket keeps the defaults of [listen.user].
        ws_init_timeout: Duration::from_secs(defaults.ws_init_timeout_secs),
        ws_idle_timeout: Some(Duration::from_secs(defaults.ws_idle_timeout_secs)),
        ws_max_operations: config.limits.max_subscriptions_per_connection,
        shutdown: state.shutdown.clone(),
        api: "admin",
        graphiql: &graphiql::ADMIN_PAGE,
    });
    let shared = web::Data::from(state.clone());

    let user_cfg = configure(user_endpoint, shared.clone());
    let upload_cfg = upload::configure(state.clone(), user_addr)?;
    let tracker = in_flight.clone();
    // A client that closes its side has gone: its SSE stream (and session) ends at once
    // instead of at the next failed write.
    let mut user = HttpServer::new(move || {
        let tracker = tracker.clone();
        App::new()
            .wrap_fn(move |req, srv| inflight::count(&tracker, req, srv))
            .configure(user_cfg.clone())
            .configure(upload_cfg.clone())
    })
    .h1_allow_half_closed(false)
    .on_connect(refused::on_connect)
    .max_connections(config.listen.user.max_connections_per_worker.max(1))
    .disable_signals()
    .listen(user_listener)?;
    if config.listen.user.workers > 0 {
        user = user.workers(config.listen.user.workers);
    }
    let admin_cfg = configure(admin_endpoint, shared.clone());
    let tracker = in_flight.clone();
    let admin_listener_config = Arc::new(config.listen.admin.clone());
    let admin = HttpServer::new(move || {
        let tracker = tracker.clone();
        let hosts = admin_listener_config.clone();
        App::new()
            .wrap_fn(move |req, srv| host::check(&hosts, req, srv))
            .wrap_fn(move |req, srv| inflight::count(&tracker, req, srv))
            .configure(admin_cfg.clone())
    })
    .on_connect(refused::on_connect)
    .workers(1)
    .disable_signals()
    .listen(admin_listener)?;
    let mut servers = vec![user.run(), admin.run()];
    if let Some(listener) = metrics_listener {
        let shared = shared.clone();
        let tracker = in_flight.clone();
        let metrics = HttpServer::new(move || {
            let tracker = tracker.clone();
            App::new()
                .wrap_fn(move |req, srv| inflight::count(&tracker, req, srv))
                .app_data(shared.clone())
                .route("/metrics", web::get().to(metrics_page))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?;
        servers.push(metrics.run());
    }
    let handles = servers.iter().map(|s| s.handle()).collect();
    let tasks = servers.into_iter().map(actix_web::rt::spawn).collect();
    match metrics_addr {
        Some(metrics_addr) => {
            tracing::info!(%user_addr, %admin_addr, %metrics_addr, "mimql listening")
        }
        None => tracing::info!(%user_addr, %admin_addr, "mimql listening"),
    }
    Ok(Running {
        user_addr,
        admin_addr,
        metrics_addr,
        c2s_addr: None,
        c2s_direct_tls_addr: None,
        state,
        in_flight,
        listeners,
        handles,
        tasks,
    })
}
