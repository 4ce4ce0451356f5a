//! `GET /health`: whether this node can serve, for load balancers. The database is pinged (a
//! pooled connection is taken and used), so a node that lost its database, or whose pool is
//! exhausted, answers 503 and is taken out of rotation. The answer is cached for a second
//! ([`crate::db::Probe`]).

use std::time::Duration;

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};

use crate::logging::Throttle;
use crate::state::AppState;

/// Load balancers ask every few seconds: one warning per minute is enough.
static UNHEALTHY: Throttle = Throttle::new(1, Duration::from_secs(60));

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let Err(failure) = state.health.check(state.db()).await else {
        return HttpResponse::Ok()
            .insert_header(ContentType::json())
            .body(r#"{"status":"ok","database":"ok"}"#);
    };
    if let Some(suppressed) = UNHEALTHY.admit() {
        tracing::warn!(error = %failure, suppressed, "health check: database unreachable");
    }
    HttpResponse::ServiceUnavailable()
        .insert_header(ContentType::json())
        .body(r#"{"status":"unavailable","database":"unreachable"}"#)
}
