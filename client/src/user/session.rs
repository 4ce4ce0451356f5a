//! `session`: the caller's open sessions.

use cynic::QueryBuilder;

use crate::scalars::{Jid, ResourceName};
use crate::schema;

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct Session {
    pub user: Jid,
    pub connection: Option<String>,
    pub ip: Option<String>,
    pub port: Option<i32>,
    pub priority: Option<i32>,
    pub node: Option<String>,
    pub uptime: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "SessionUserQuery")]
pub struct SessionInfo {
    pub list_resources: Option<Vec<ResourceName>>,
    pub count_resources: Option<i32>,
    pub list_sessions: Option<Vec<Session>>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "UserQuery")]
pub struct Sessions {
    pub session: Option<SessionInfo>,
}

/// `listResources`, `countResources` and `listSessions` in one query.
pub fn sessions() -> cynic::Operation<Sessions, ()> {
    Sessions::build(())
}
