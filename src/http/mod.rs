//! The HTTP servers: the user API on `listen.user`, the admin API on `listen.admin`.

mod decode;
pub mod endpoint;
mod graphiql;
pub mod identity;
mod reply;
mod sse;
mod upload;
mod ws;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, web};
use async_graphql::Executor;

use crate::admin_api::AdminApi;
use crate::api::UserApi;
use crate::generated;
use crate::pipeline::{GateExtension, Limits, Pipeline};
use crate::state::AppState;
use endpoint::Endpoint;
use identity::Auth;

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

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

fn configure<E: Executor>(
    endpoint: web::Data<Endpoint<E>>,
) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(endpoint.clone())
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
            .route("/health", web::get().to(health));
    }
}

// Depth and complexity are bounded by the pipeline (memoised over fragments) before
// async-graphql's own checks run; the schemas only keep their recursion bound.
pub fn user_schema(state: &Arc<AppState>) -> generated::user::Schema {
    generated::user::schema_builder()
        .data(UserApi::new(state.clone()))
        .extension(GateExtension)
        .limit_recursive_depth(crate::http::MAX_RECURSION)
        .finish()
}

pub fn admin_schema(state: &Arc<AppState>) -> generated::admin::Schema {
    generated::admin::schema_builder()
        .data(AdminApi::new(state.clone()))
        .extension(GateExtension)
        .limit_recursive_depth(crate::http::MAX_RECURSION)
        .finish()
}

fn pipeline(
    meta: &'static crate::schema_meta::SchemaMeta,
    config: &crate::config::Config,
) -> Pipeline {
    let limits = &config.limits;
    Pipeline {
        meta,
        check_scalar: generated::scalars::check_scalar,
        limits: Limits {
            max_depth: limits.max_query_depth,
            max_complexity: limits.max_query_complexity as u64,
            max_list_items: limits.max_list_items,
        },
    }
}

/// Recursion bound of async-graphql's own document checks.
pub const MAX_RECURSION: usize = 64;

/// The running servers; dropping this does not stop them, call [`Running::stop`].
pub struct Running {
    pub user_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    user: ServerHandle,
    admin: ServerHandle,
    tasks: Vec<actix_web::rt::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Runs until both servers stop (on SIGINT/SIGTERM when signals are handled).
    pub async fn wait(self) -> std::io::Result<()> {
        for t in self.tasks {
            t.await.map_err(std::io::Error::other)??;
        }
        Ok(())
    }

    pub async fn stop(&self) {
        self.user.stop(true).await;
        self.admin.stop(true).await;
    }
}

/// Binds both listeners (or uses the given ones) and starts serving.
pub fn start(
    state: Arc<AppState>,
    user_listener: Option<TcpListener>,
    admin_listener: Option<TcpListener>,
    handle_signals: bool,
) -> std::io::Result<Running> {
    let config = &state.config;
    let user_listener = match user_listener {
        Some(l) => l,
        None => TcpListener::bind(&config.listen.user.address)?,
    };
    let admin_listener = match admin_listener {
        Some(l) => l,
        None => TcpListener::bind(&config.listen.admin.address)?,
    };
    let user_addr = user_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;

    let user_endpoint = web::Data::new(Endpoint {
        executor: user_schema(&state),
        pipeline: pipeline(&generated::user::META, config),
        auth: Auth::User(state.clone()),
        max_body: config.limits.max_body_bytes,
        body_timeout: std::time::Duration::from_secs(config.limits.body_timeout_secs),
        sse_idle_timeout: match config.listen.user.sse_idle_timeout_secs {
            0 => None,
            s => Some(std::time::Duration::from_secs(s)),
        },
        graphiql_title: "mimql user API",
    });
    let admin_endpoint = web::Data::new(Endpoint {
        executor: admin_schema(&state),
        pipeline: pipeline(&generated::admin::META, config),
        auth: Auth::Admin {
            username: config.listen.admin.username.clone(),
            password: config.listen.admin.password.clone(),
        },
        max_body: config.limits.max_body_bytes,
        body_timeout: std::time::Duration::from_secs(config.limits.body_timeout_secs),
        sse_idle_timeout: None,
        graphiql_title: "mimql admin API",
    });

    let user_cfg = configure(user_endpoint);
    let upload_cfg = upload::configure(state.clone(), user_addr)?;
    // A client that closes its side has gone: its SSE stream (and session) ends at once
    // instead of at the next failed write.
    let mut user = HttpServer::new(move || {
        App::new()
            .configure(user_cfg.clone())
            .configure(upload_cfg.clone())
    })
    .h1_allow_half_closed(false)
    .listen(user_listener)?;
    if config.listen.user.workers > 0 {
        user = user.workers(config.listen.user.workers);
    }
    let admin_cfg = configure(admin_endpoint);
    let mut admin = HttpServer::new(move || App::new().configure(admin_cfg.clone()))
        .workers(1)
        .listen(admin_listener)?;
    if !handle_signals {
        user = user.disable_signals();
        admin = admin.disable_signals();
    }
    let user = user.run();
    let admin = admin.run();
    let (user_handle, admin_handle) = (user.handle(), admin.handle());
    tracing::info!(%user_addr, %admin_addr, "mimql listening");
    Ok(Running {
        user_addr,
        admin_addr,
        user: user_handle,
        admin: admin_handle,
        tasks: vec![actix_web::rt::spawn(user), actix_web::rt::spawn(admin)],
    })
}
