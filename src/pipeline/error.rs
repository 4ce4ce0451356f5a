//! Errors of the request pipeline, before any transport renders them: the error object format
//! (`{"message", "extensions": {"code", ...}, "path"}`), the HTTP status of each class, and the
//! codes given to async-graphql's own pre-execution errors.

use serde_json::{Map, Value as Json, json};

/// One entry of `errors[]`.
#[derive(Clone, Debug)]
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

    pub fn code(&self) -> &str {
        self.0["extensions"]["code"].as_str().unwrap_or_default()
    }
}

/// A request refused before execution: the status its class maps to (HTTP and SSE send it;
/// WebSocket sends the errors in an `error` message) and the errors.
#[derive(Debug)]
pub struct Rejection {
    pub status: u16,
    pub errors: Vec<ErrorBody>,
}

impl Rejection {
    pub fn new(
        status: u16,
        code: &str,
        message: impl Into<String>,
        path: Option<Vec<String>>,
    ) -> Self {
        Rejection {
            status,
            errors: vec![ErrorBody::new(code, message, path)],
        }
    }

    pub fn code(&self) -> &str {
        self.errors.first().map(ErrorBody::code).unwrap_or_default()
    }

    /// The errors as async-graphql errors (for transports that speak async-graphql types).
    pub fn into_server_errors(self) -> Vec<async_graphql::ServerError> {
        self.errors
            .into_iter()
            .map(|e| {
                let mut err = async_graphql::ServerError::new(
                    e.0["message"].as_str().unwrap_or_default(),
                    None,
                );
                let mut ext = async_graphql::ErrorExtensionValues::default();
                ext.set("code", e.code());
                err.extensions = Some(ext);
                if let Some(path) = e.0["path"].as_array() {
                    err.path = path
                        .iter()
                        .filter_map(|p| p.as_str())
                        .map(|p| async_graphql::PathSegment::Field(p.to_string()))
                        .collect();
                }
                err
            })
            .collect()
    }
}

pub fn internal_error() -> Rejection {
    Rejection::new(
        500,
        "internal_server_error",
        "GraphQL Internal Server Error",
        None,
    )
}

/// The status of a request whose errors came before execution, by the first error's code:
/// authorization failures are 401, the rest are input errors.
pub fn status_of(code: &str) -> u16 {
    match code {
        "no_permissions" | "wrong_credentials" | "request_error" => 401,
        "internal_server_error" => 500,
        crate::errors::UNAVAILABLE | crate::errors::BUSY => 503,
        // Executed, but too large to send: an execution outcome like any resolver error.
        super::budget::CODE => 200,
        _ => 400,
    }
}

/// The code of an async-graphql error raised before execution (validation), from its text.
pub fn pre_execution_code(message: &str) -> &'static str {
    const RULES: [(&str, &str); 11] = [
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
        ("Unknown fragment", "unknown_fragment"),
        ("Cannot spread fragment", "fragment_cycle"),
    ];
    RULES
        .iter()
        .find(|(needle, _)| message.contains(needle))
        .map(|(_, code)| *code)
        .unwrap_or("validation_error")
}

/// Gives every error of an executed response a code: errors raised before execution get the
/// code of their class, resolver errors keep theirs (`resolver_error` when they have none).
pub fn assign_codes(resp: &mut async_graphql::Response) {
    let executed = !is_pre_execution(resp);
    for e in &mut resp.errors {
        let has_code = e
            .extensions
            .as_ref()
            .is_some_and(|x| x.get("code").is_some());
        if !has_code {
            let code = if executed {
                "resolver_error"
            } else {
                pre_execution_code(&e.message)
            };
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
        }
    }
}

/// A response refused before execution has errors and no data.
pub fn is_pre_execution(resp: &async_graphql::Response) -> bool {
    matches!(resp.data, async_graphql::Value::Null) && !resp.errors.is_empty()
}
