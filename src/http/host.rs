//! The admin listener answers only requests addressed to it by a loopback address, `localhost`
//! or a configured name (`[listen.admin] allowed_hosts`): a web page in an operator's browser
//! that reaches `127.0.0.1:5551` through DNS rebinding sends its own host name, and is refused
//! (421 `host_not_allowed`) before anything else is looked at.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::HOST;
use futures_util::future::LocalBoxFuture;

use super::reply::Reply;
use crate::config::AdminListener;
use crate::pipeline::{Code, Rejection};

/// The `Host` of a request: the header (HTTP/1.1), or the URI's authority (HTTP/2).
fn host(req: &ServiceRequest) -> Option<String> {
    match req.headers().get(HOST) {
        Some(v) => v.to_str().ok().map(str::to_string),
        None => req.uri().authority().map(|a| a.as_str().to_string()),
    }
}

/// The middleware function (`App::wrap_fn`) that refuses requests for other hosts.
pub fn check<S, B>(
    admin: &Arc<AdminListener>,
    req: ServiceRequest,
    service: &S,
) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    if !host(&req).is_some_and(|h| admin.allows_host(&h)) {
        let reply = Reply::from(Rejection::new(
            Code::HostNotAllowed,
            "The admin API answers only requests for a loopback address or a configured host",
            None,
        ));
        return Box::pin(async move { Ok(req.into_response(reply.into_response())) });
    }
    let response = service.call(req);
    Box::pin(async move { Ok(response.await?.map_into_boxed_body()) })
}
