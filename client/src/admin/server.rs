//! `server` on the admin API: the node's status and log level.

use cynic::{MutationBuilder, QueryBuilder};

use crate::admin_schema as schema;

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum StatusCode {
    Running,
    NotRunning,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum LogLevel {
    None,
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Info,
    Debug,
    All,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Status {
    pub status_code: Option<StatusCode>,
    pub message: Option<String>,
    pub version: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin", graphql_type = "ServerAdminQuery")]
pub struct ServerStatus {
    pub status: Option<Status>,
    pub get_loglevel: Option<LogLevel>,
}

/// `status` and `getLoglevel` together.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin", graphql_type = "AdminQuery")]
pub struct StatusQuery {
    pub server: Option<ServerStatus>,
}

pub fn status() -> cynic::Operation<StatusQuery, ()> {
    StatusQuery::build(())
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct LevelVars {
    pub level: LogLevel,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "ServerAdminMutation",
    variables = "LevelVars"
)]
pub struct ServerSetLoglevel {
    #[arguments(level: $level)]
    pub set_loglevel: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "LevelVars"
)]
pub struct SetLoglevel {
    pub server: Option<ServerSetLoglevel>,
}

pub fn set_loglevel(level: LogLevel) -> cynic::Operation<SetLoglevel, LevelVars> {
    SetLoglevel::build(LevelVars { level })
}
