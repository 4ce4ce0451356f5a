//! The GraphQL endpoint for queries and mutations (`GET|POST /api/graphql`), shared by the user
//! and admin listeners. Order of checks, as in the reference: authorization header (401) →
//! GraphiQL for browsers → content negotiation (406/415) → decoding (400) → the request
//! pipeline (parse, cost, input checks, validation: 400; `@protected`: 401; transport: 400) →
//! execution (200). The handler decodes and renders; the rest is the request wrapper's
//! ([`super::request`]).

use std::time::Duration;

use actix_web::http::Method;
use actix_web::http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::Executor;
use futures_util::StreamExt;

use super::refused::{self, RefusedBytes, Verdict};
use super::reply::Reply;
use super::request::{Call, Credentials, Endpoint, Outcome, Stop};
use super::{decode, graphiql};
use crate::pipeline::{self, Code, Input, Rejection, Transport};

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
        Code::NotAcceptable,
        "The endpoint answers application/json or text/html",
        None,
    )
}

fn too_large(limit: usize) -> Rejection {
    Rejection::new(
        Code::RequestTooLarge,
        format!("The request body exceeds {limit} bytes"),
        None,
    )
}

/// Reads the whole body (chunked or not), bounded in size (over it, `too_large`'s refusal) and
/// in time. A body declared larger than the bound is refused before any of it is read; actix
/// then reads and discards what the client still sends for a moment before closing, so that
/// the client sees the 413 rather than a reset — unless its source is over its budget of
/// refused bytes, whose connection is cut instead ([`refused`]).
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    (limit, too_large): (usize, fn(usize) -> Rejection),
    timeout: Duration,
    budget: &RefusedBytes,
) -> Result<Vec<u8>, Rejection> {
    // Counted at most the largest body ever read: a declared gigabyte may never be sent.
    let refuse = async |bytes: u64| {
        let bytes = bytes.min(budget.max_counted);
        if budget.refuse(req.peer_addr().map(|a| a.ip()), bytes) == Verdict::Cut {
            refused::cut(req).await;
        }
        too_large(limit)
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > limit as u64) {
        return Err(refuse(n).await);
    }
    let read = async {
        let mut body = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| {
                Rejection::new(
                    Code::InvalidJsonBody,
                    "The request JSON body is invalid",
                    None,
                )
            })?;
            if body.len() + chunk.len() > limit {
                return Err(refuse((body.len() + chunk.len()) as u64).await);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| {
            Err(Rejection::new(
                Code::RequestTimeout,
                format!(
                    "The request body was not received within {} s",
                    timeout.as_secs()
                ),
                None,
            ))
        })
}

impl<E: Executor> Endpoint<E> {
    /// Decodes a `GET` query string or a `POST` body, after content negotiation (the GraphiQL
    /// page for a browser).
    async fn decode(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
        authenticated: bool,
    ) -> Result<Input, Stop<HttpResponse>> {
        if *req.method() == Method::GET {
            return match wants(req) {
                Wants::Html => Err(Stop::Own(graphiql::page(self.graphiql))),
                Wants::Neither => Err(not_acceptable().into()),
                Wants::Json => Ok(decode::query_string(req.query_string())?),
            };
        }
        if matches!(wants(req), Wants::Neither) {
            return Err(not_acceptable().into());
        }
        if !is_json_content(req) {
            return Err(Rejection::new(
                Code::UnsupportedMediaType,
                "POST bodies must be sent as application/json",
                None,
            )
            .into());
        }
        // Without credentials only a small request can do anything but fail.
        let anonymous = self.pipeline.limits.max_anonymous_bytes;
        let bound: (usize, fn(usize) -> Rejection) = if !authenticated && anonymous < self.max_body
        {
            (anonymous, pipeline::anonymous_too_large)
        } else {
            (self.max_body, too_large)
        };
        let body = read_body(req, payload, bound, self.body_timeout, &self.refused).await?;
        Ok(decode::json_body(&body)?)
    }
}

/// The actix handler for `GET|POST /api/graphql`.
pub async fn graphql<E: Executor>(
    req: HttpRequest,
    payload: web::Payload,
    endpoint: web::Data<Endpoint<E>>,
) -> HttpResponse {
    let call = Call {
        transport: Transport::Http,
        method: req.method().as_str(),
        peer: req.peer_addr().map(|a| a.ip()),
        credentials: Credentials::Header(req.headers().get(AUTHORIZATION).map(|v| v.as_bytes())),
        connection: None,
    };
    let decode = |authenticated| endpoint.decode(&req, payload, authenticated);
    match endpoint.handle(call, decode).await {
        Outcome::Reply(reply) => reply.into_response(),
        Outcome::Refused(r) => Reply::from(r).into_response(),
        Outcome::Own(page) => page,
        // Not for this transport: the executor was not asked for a stream.
        Outcome::Events(_) | Outcome::Responses(_) => {
            Reply::from(pipeline::internal_error()).into_response()
        }
    }
}
