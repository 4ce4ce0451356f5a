//! `last`: last activity.

use cynic::{MutationBuilder, QueryBuilder};

use crate::scalars::{DateTime, Jid};
use crate::schema;

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct LastActivity {
    pub user: Jid,
    pub timestamp: DateTime,
    pub status: String,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetLastVars {
    pub timestamp: Option<DateTime>,
    pub status: String,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "LastUserMutation",
    variables = "SetLastVars"
)]
pub struct LastSetLast {
    #[arguments(timestamp: $timestamp, status: $status)]
    pub set_last: Option<LastActivity>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SetLastVars"
)]
pub struct SetLast {
    pub last: Option<LastSetLast>,
}

/// `setLast`; `timestamp: None` means now.
pub fn set_last(timestamp: Option<&str>, status: &str) -> cynic::Operation<SetLast, SetLastVars> {
    SetLast::build(SetLastVars {
        timestamp: timestamp.map(DateTime::from),
        status: status.to_string(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetLastVars {
    pub user: Option<Jid>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "LastUserQuery",
    variables = "GetLastVars"
)]
pub struct LastGetLast {
    #[arguments(user: $user)]
    pub get_last: Option<LastActivity>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserQuery",
    variables = "GetLastVars"
)]
pub struct GetLast {
    pub last: Option<LastGetLast>,
}

/// `getLast`; `user: None` means the caller.
pub fn get_last(user: Option<&str>) -> cynic::Operation<GetLast, GetLastVars> {
    GetLast::build(GetLastVars {
        user: user.map(Jid::from),
    })
}
