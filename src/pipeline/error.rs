//! Errors of the request pipeline, before any transport renders them: the error object format
//! (`{"message", "extensions": {"code", ...}, "path"}`) and the codes given to async-graphql's
//! own pre-execution errors. Codes and their statuses are in [`super::code`].

use serde_json::{Map, Value as Json, json};

use super::code::Code;

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

/// A request refused before execution: the status of its first error's code (HTTP and SSE send
/// it; WebSocket sends the errors in an `error` message) and the errors.
#[derive(Debug)]
pub struct Rejection {
    pub status: u16,
    pub errors: Vec<ErrorBody>,
}

impl Rejection {
    pub fn new(code: Code, message: impl Into<String>, path: Option<Vec<String>>) -> Self {
        Rejection {
            status: code.status(),
            errors: vec![ErrorBody::new(code.as_str(), message, path)],
        }
    }

    /// Errors an executor raised before execution (no data), with the status of the first.
    pub fn from_errors(errors: Vec<ErrorBody>) -> Self {
        Rejection {
            status: status_of(errors.first().map_or("", ErrorBody::code)),
            errors,
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
        Code::InternalServerError,
        "GraphQL Internal Server Error",
        None,
    )
}

/// The status of a reply whose errors came before execution, by the first error's code (an
/// unknown code counts as an input error).
pub fn status_of(code: &str) -> u16 {
    Code::parse(code).map_or(400, Code::status)
}

/// The code of an async-graphql error raised before execution (validation), from its text.
pub fn pre_execution_code(message: &str) -> Code {
    const RULES: [(&str, Code); 11] = [
        ("Unknown field", Code::UnknownField),
        ("Unknown argument", Code::ExcessArgs),
        (
            "is required, but it was not provided",
            Code::MissingNonNullParam,
        ),
        ("is required but not provided", Code::MissingNonNullParam),
        ("nested too deep", Code::QueryTooDeep),
        ("too complex", Code::QueryTooComplex),
        ("Invalid value for argument", Code::InputCoercion),
        ("is not defined", Code::UnboundVariable),
        ("Unknown type", Code::UnknownType),
        ("Unknown fragment", Code::UnknownFragment),
        ("Cannot spread fragment", Code::FragmentCycle),
    ];
    RULES
        .iter()
        .find(|(needle, _)| message.contains(needle))
        .map_or(Code::ValidationError, |(_, code)| *code)
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
                Code::ResolverError
            } else {
                pre_execution_code(&e.message)
            };
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", code.as_str());
        }
    }
}

/// A response refused before execution has errors and no data.
pub fn is_pre_execution(resp: &async_graphql::Response) -> bool {
    matches!(resp.data, async_graphql::Value::Null) && !resp.errors.is_empty()
}
