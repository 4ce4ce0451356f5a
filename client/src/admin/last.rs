//! `last` on the admin API: users' last activity, and inactive users.

use cynic::{MutationBuilder, QueryBuilder};

use crate::admin_schema as schema;
use crate::scalars::{DateTime, DomainName, Jid};

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct LastActivity {
    pub user: Jid,
    pub timestamp: DateTime,
    pub status: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct OldUser {
    pub jid: Jid,
    pub timestamp: Option<DateTime>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetLastVars {
    pub user: Jid,
    pub timestamp: Option<DateTime>,
    pub status: String,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct UserVars {
    pub user: Jid,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CountActiveVars {
    pub domain: DomainName,
    pub timestamp: Option<DateTime>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct OldUsersVars {
    pub domain: Option<DomainName>,
    pub timestamp: DateTime,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "LastAdminMutation",
    variables = "SetLastVars"
)]
pub struct LastSetLast {
    #[arguments(user: $user, timestamp: $timestamp, status: $status)]
    pub set_last: Option<LastActivity>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SetLastVars"
)]
pub struct SetLast {
    pub last: Option<LastSetLast>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "LastAdminMutation",
    variables = "OldUsersVars"
)]
pub struct LastRemoveOldUsers {
    #[arguments(domain: $domain, timestamp: $timestamp)]
    pub remove_old_users: Option<Vec<OldUser>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "OldUsersVars"
)]
pub struct RemoveOldUsers {
    pub last: Option<LastRemoveOldUsers>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "LastAdminQuery",
    variables = "UserVars"
)]
pub struct LastGetLast {
    #[arguments(user: $user)]
    pub get_last: Option<LastActivity>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "UserVars"
)]
pub struct GetLast {
    pub last: Option<LastGetLast>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "LastAdminQuery",
    variables = "CountActiveVars"
)]
pub struct LastCountActiveUsers {
    #[arguments(domain: $domain, timestamp: $timestamp)]
    pub count_active_users: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "CountActiveVars"
)]
pub struct CountActiveUsers {
    pub last: Option<LastCountActiveUsers>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "LastAdminQuery",
    variables = "OldUsersVars"
)]
pub struct LastListOldUsers {
    #[arguments(domain: $domain, timestamp: $timestamp)]
    pub list_old_users: Option<Vec<OldUser>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "OldUsersVars"
)]
pub struct ListOldUsers {
    pub last: Option<LastListOldUsers>,
}

/// `setLast` of `user`; `timestamp: None` means now.
pub fn set_last(
    user: &str,
    timestamp: Option<&str>,
    status: &str,
) -> cynic::Operation<SetLast, SetLastVars> {
    SetLast::build(SetLastVars {
        user: user.into(),
        timestamp: timestamp.map(DateTime::from),
        status: status.to_string(),
    })
}

pub fn get_last(user: &str) -> cynic::Operation<GetLast, UserVars> {
    GetLast::build(UserVars { user: user.into() })
}

/// `countActiveUsers`; `timestamp: None` means now.
pub fn count_active_users(
    domain: &str,
    timestamp: Option<&str>,
) -> cynic::Operation<CountActiveUsers, CountActiveVars> {
    CountActiveUsers::build(CountActiveVars {
        domain: domain.into(),
        timestamp: timestamp.map(DateTime::from),
    })
}

/// `listOldUsers`; `domain: None` means every served domain.
pub fn list_old_users(
    domain: Option<&str>,
    timestamp: &str,
) -> cynic::Operation<ListOldUsers, OldUsersVars> {
    ListOldUsers::build(OldUsersVars {
        domain: domain.map(DomainName::from),
        timestamp: timestamp.into(),
    })
}

/// `removeOldUsers`; `domain: None` means every served domain.
pub fn remove_old_users(
    domain: Option<&str>,
    timestamp: &str,
) -> cynic::Operation<RemoveOldUsers, OldUsersVars> {
    RemoveOldUsers::build(OldUsersVars {
        domain: domain.map(DomainName::from),
        timestamp: timestamp.into(),
    })
}
