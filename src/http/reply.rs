//! HTTP replies of the GraphQL endpoints: pipeline rejections and executed responses rendered
//! as a status and a JSON body (always `application/json; charset=utf-8`).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value as Json, json};

use crate::pipeline::{self, Rejection};

/// A complete reply: status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Json,
    /// The body already encoded (executed responses are serialised straight from the
    /// executor's values, without building a `Json` tree first); `body` is then `Null`.
    encoded: Option<Vec<u8>>,
    /// The first error's code (`None`: no errors), for logs and metrics.
    pub code: Option<String>,
}

fn first_code(errors: &[Json]) -> Option<String> {
    errors.first().map(|e| {
        e["extensions"]["code"]
            .as_str()
            .unwrap_or("unknown")
            .to_string()
    })
}

/// An executed response: `data`, and `errors` only when there are some.
#[derive(serde::Serialize)]
struct Executed<'a> {
    data: &'a async_graphql::Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Json>,
}

impl From<Rejection> for Reply {
    fn from(r: Rejection) -> Reply {
        let errors: Vec<Json> = r.errors.into_iter().map(|e| e.0).collect();
        Reply {
            status: r.status,
            code: first_code(&errors),
            body: json!({ "errors": errors }),
            encoded: None,
        }
    }
}

impl Reply {
    /// A reply with a JSON body.
    pub fn new(status: u16, code: Option<String>, body: Json) -> Reply {
        Reply {
            status,
            body,
            encoded: None,
            code,
        }
    }

    /// The length of an executed response's encoding (`None` for other replies).
    pub fn encoded_len(&self) -> Option<usize> {
        self.encoded.as_ref().map(Vec::len)
    }

    pub fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match self.encoded {
            Some(bytes) => bytes,
            None => serde_json::to_vec(&self.body).unwrap_or_default(),
        };
        HttpResponse::build(status)
            .insert_header((
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ))
            .body(body)
    }
}

fn path_json(path: &[async_graphql::PathSegment]) -> Json {
    Json::Array(
        path.iter()
            .map(|s| match s {
                async_graphql::PathSegment::Field(f) => Json::String(f.clone()),
                async_graphql::PathSegment::Index(i) => json!(i),
            })
            .collect(),
    )
}

/// One error object; the pipeline has given every error a code.
pub fn error_json(e: async_graphql::ServerError) -> Json {
    let ext = match e.extensions.as_ref().map(serde_json::to_value) {
        Some(Ok(Json::Object(m))) => m,
        _ => Map::new(),
    };
    let mut o = Map::new();
    o.insert("message".into(), Json::String(e.message));
    o.insert("extensions".into(), Json::Object(ext));
    if !e.path.is_empty() {
        o.insert("path".into(), path_json(&e.path));
    }
    Json::Object(o)
}

/// Maps an executor response: errors raised before execution (no data) get the status of
/// their class; once executed the reply is 200 with `data` and any resolver `errors`.
pub fn from_response(mut resp: async_graphql::Response) -> Reply {
    pipeline::assign_codes(&mut resp);
    if pipeline::is_pre_execution(&resp) {
        let errors: Vec<Json> = resp.errors.into_iter().map(error_json).collect();
        let status =
            pipeline::status_of(errors[0]["extensions"]["code"].as_str().unwrap_or_default());
        return Reply {
            status,
            code: first_code(&errors),
            body: json!({ "errors": errors }),
            encoded: None,
        };
    }
    let code = resp
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|x| x.get("code"))
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        });
    // A field that met an unavailable database (or no free hash slot) makes the whole reply
    // 503, so that clients and proxies know to retry; the body still says what ran.
    let passing = resp.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(
                |c| matches!(c, async_graphql::Value::String(s) if pipeline::status_of(s) == 503),
            )
    });
    Reply {
        status: if passing { 503 } else { 200 },
        body: Json::Null,
        encoded: Some(encode_executed(resp)),
        code,
    }
}

/// `{"errors": [response_too_large]}`.
pub fn too_large_json(limit: usize) -> Json {
    json!({ "errors": [error_json(pipeline::budget::too_large(limit))] })
}

/// An executed response as JSON: `data`, and `errors` (with their codes) when there are some.
pub fn encode_executed(mut resp: async_graphql::Response) -> Vec<u8> {
    pipeline::assign_codes(&mut resp);
    let errors = resp.errors.into_iter().map(error_json).collect();
    let body = Executed {
        data: &resp.data,
        errors,
    };
    serde_json::to_vec(&body).unwrap_or_else(|e| {
        tracing::error!(%e, "response not serialisable");
        br#"{"errors":[{"message":"GraphQL Internal Server Error","extensions":{"code":"internal_server_error"}}]}"#.to_vec()
    })
}
