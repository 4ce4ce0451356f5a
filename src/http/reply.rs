//! HTTP replies of the GraphQL endpoints: the error object format, the status per error class,
//! and the mapping of executor responses.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value as Json, json};

/// One entry of `errors[]`: `{"message", "extensions": {"code", ...}, "path"}`.
#[derive(Debug)]
pub struct ErrorBody(pub Json);

impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>, path: Option<Vec<String>>) -> ErrorBody {
        let mut o = Map::new();
        o.insert("message".into(), Json::String(message.into()));
        o.insert("extensions".into(), json!({ "code": code }));
        if let Some(p) = path {
            o.insert("path".into(), json!(p));
        }
        ErrorBody(Json::Object(o))
    }
}

/// A complete reply: status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Json,
    /// The body already encoded (executed responses are serialised straight from the
    /// executor's values, without building a `Json` tree first); `body` is then `Null`.
    encoded: Option<Vec<u8>>,
    /// Replies produced before content negotiation carry no content type (as the reference).
    pub typed: bool,
}

/// An executed response: `data`, and `errors` only when there are some.
#[derive(serde::Serialize)]
struct Executed<'a> {
    data: &'a async_graphql::Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Json>,
}

impl Reply {
    pub fn errors(status: u16, errors: Vec<ErrorBody>) -> Reply {
        Reply {
            status,
            body: json!({ "errors": errors.into_iter().map(|e| e.0).collect::<Vec<_>>() }),
            encoded: None,
            typed: true,
        }
    }

    pub fn untyped(mut self) -> Reply {
        self.typed = false;
        self
    }

    pub fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match self.encoded {
            Some(bytes) => bytes,
            None => serde_json::to_vec(&self.body).unwrap_or_default(),
        };
        let mut resp = HttpResponse::build(status);
        if self.typed {
            resp.insert_header((
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ));
        }
        resp.body(body)
    }
}

pub fn internal_error() -> Reply {
    Reply::errors(
        500,
        vec![ErrorBody::new(
            "internal_server_error",
            "GraphQL Internal Server Error",
            None,
        )],
    )
}

/// The code of an executor error raised before execution (validation, limits), from its text.
fn pre_execution_code(message: &str) -> &'static str {
    let rules: [(&str, &str); 9] = [
        ("Unknown field", "unknown_field"),
        ("Unknown argument", "excess_args"),
        (
            "is required, but it was not provided",
            "missing_non_null_param",
        ),
        ("is required but not provided", "missing_non_null_param"),
        ("nested too deep", "query_too_deep"),
        ("too complex", "query_too_complex"),
        ("Invalid value for argument", "input_coercion"),
        ("is not defined", "unbound_variable"),
        ("Unknown type", "unknown_type"),
    ];
    rules
        .iter()
        .find(|(needle, _)| message.contains(needle))
        .map(|(_, code)| *code)
        .unwrap_or("validation_error")
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

fn error_json(e: async_graphql::ServerError, default_code: &str) -> Json {
    let mut ext = match e.extensions.as_ref().map(serde_json::to_value) {
        Some(Ok(Json::Object(m))) => m,
        _ => Map::new(),
    };
    ext.entry("code")
        .or_insert_with(|| Json::String(default_code.to_string()));
    let mut o = Map::new();
    o.insert("message".into(), Json::String(e.message));
    o.insert("extensions".into(), Json::Object(ext));
    if !e.path.is_empty() {
        o.insert("path".into(), path_json(&e.path));
    }
    Json::Object(o)
}

/// Maps an executor response: failures before execution (no data) are 400; once executed the
/// reply is 200 with `data` and any resolver `errors`.
pub fn from_response(resp: async_graphql::Response) -> Reply {
    let executed = !matches!(resp.data, async_graphql::Value::Null) || resp.errors.is_empty();
    if !executed {
        let errors = resp
            .errors
            .into_iter()
            .map(|e| {
                let code = pre_execution_code(&e.message);
                ErrorBody(error_json(e, code))
            })
            .collect();
        return Reply::errors(400, errors);
    }
    let errors = resp
        .errors
        .into_iter()
        .map(|e| error_json(e, "resolver_error"))
        .collect();
    let body = Executed {
        data: &resp.data,
        errors,
    };
    match serde_json::to_vec(&body) {
        Ok(bytes) => Reply {
            status: 200,
            body: Json::Null,
            encoded: Some(bytes),
            typed: true,
        },
        Err(e) => {
            tracing::error!(%e, "response not serialisable");
            internal_error()
        }
    }
}
