//! `server` on the admin API: the node's status and its live log level.

use async_graphql::{Context, Result};

use super::AdminApi;
use crate::generated::admin::*;
use crate::logging::Level;

fn to_schema(l: Level) -> LogLevel {
    match l {
        Level::None => LogLevel::None,
        Level::Emergency => LogLevel::Emergency,
        Level::Alert => LogLevel::Alert,
        Level::Critical => LogLevel::Critical,
        Level::Error => LogLevel::Error,
        Level::Warning => LogLevel::Warning,
        Level::Notice => LogLevel::Notice,
        Level::Info => LogLevel::Info,
        Level::Debug => LogLevel::Debug,
        Level::All => LogLevel::All,
    }
}

fn from_schema(l: LogLevel) -> Level {
    match l {
        LogLevel::None => Level::None,
        LogLevel::Emergency => Level::Emergency,
        LogLevel::Alert => Level::Alert,
        LogLevel::Critical => Level::Critical,
        LogLevel::Error => Level::Error,
        LogLevel::Warning => Level::Warning,
        LogLevel::Notice => Level::Notice,
        LogLevel::Info => Level::Info,
        LogLevel::Debug => Level::Debug,
        LogLevel::All => Level::All,
    }
}

impl ServerAdminQueryResolver for AdminApi {
    async fn status(&self, _ctx: &Context<'_>) -> Result<Option<Status>> {
        let version = env!("CARGO_PKG_VERSION");
        let node = &self.state.node;
        Ok(Some(Status {
            status_code: Some(StatusCode::Running),
            message: Some(format!(
                "The node {node} is started. Status: started. mimql {version} is running in that node."
            )),
            version: Some(version.to_string()),
        }))
    }

    async fn get_loglevel(&self, _ctx: &Context<'_>) -> Result<Option<LogLevel>> {
        Ok(Some(to_schema(crate::logging::level())))
    }
}

impl ServerAdminMutationResolver for AdminApi {
    async fn set_loglevel(&self, _ctx: &Context<'_>, level: LogLevel) -> Result<Option<String>> {
        crate::logging::set_level(from_schema(level))
            .map_err(|e| crate::errors::ApiError::internal("setting the log level", e))?;
        Ok(Some("Log level successfully set.".into()))
    }
}
