//! The error the API layer returns: a GraphQL error code, a message and extra `extensions`.
//! Domain modules have their own error enums; `api::codes` maps them to this type, so every
//! code the API can return is chosen in one place.

use async_graphql::{ErrorExtensionValues, Value};

use crate::pipeline::Code;

/// Codes of conditions that pass: answered with HTTP 503 (see `http::reply`).
pub const UNAVAILABLE: &str = Code::DatabaseUnavailable.as_str();
pub const BUSY: &str = Code::ServerBusy.as_str();

#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    pub extensions: Vec<(&'static str, Value)>,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        debug_assert!(
            Code::parse(code).is_some(),
            "error code {code:?} is missing from the registry (pipeline/code.rs)"
        );
        ApiError {
            code,
            message: message.into(),
            extensions: Vec::new(),
        }
    }

    /// Adds an `extensions` entry (the reference's per-field context, e.g. `user`).
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> ApiError {
        self.extensions.push((key, value.into()));
        self
    }

    /// A fault on our side: the details go to the log, the client sees a generic message. A
    /// database that cannot serve now is not a fault of ours: `database_unavailable`.
    pub fn internal(context: &str, err: impl std::fmt::Display + 'static) -> ApiError {
        if let Some(e) = ApiError::unavailable(&err) {
            return e;
        }
        tracing::error!(%err, "{context}");
        ApiError::new(Code::InternalServerError.as_str(), "Internal server error")
    }

    /// `database_unavailable` when `err` is a database error meaning the database cannot serve
    /// now (see [`crate::db::is_unavailable`]); such replies are sent with HTTP 503.
    pub fn unavailable(err: &(impl std::fmt::Display + 'static)) -> Option<ApiError> {
        let db = (err as &dyn std::any::Any).downcast_ref::<sea_orm::DbErr>()?;
        if !crate::db::is_unavailable(db) {
            return None;
        }
        tracing::warn!(err = %db, "database unavailable");
        Some(ApiError::new(
            UNAVAILABLE,
            "The database is unavailable; try again later",
        ))
    }

    /// Every password hash slot stayed busy for longer than `[auth] max_hash_wait_ms`.
    pub fn busy() -> ApiError {
        ApiError::new(BUSY, "The server is busy; try again later")
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", e.code);
        for (k, v) in e.extensions {
            ext.set(k, v);
        }
        async_graphql::Error {
            message: e.message,
            source: None,
            extensions: Some(ext),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::internal("database error", e)
    }
}
