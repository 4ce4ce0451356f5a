//! `stat` on the admin API: the server's figures.

use cynic::QueryBuilder;

use crate::admin_schema as schema;
use crate::scalars::DomainName;

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct GlobalStats {
    pub uptime_seconds: Option<i32>,
    pub registered_users: Option<i32>,
    pub online_users_node: Option<i32>,
    pub online_users: Option<i32>,
    #[cynic(rename = "incomingS2S")]
    pub incoming_s2s: Option<i32>,
    #[cynic(rename = "outgoingS2S")]
    pub outgoing_s2s: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct DomainStats {
    pub registered_users: Option<i32>,
    pub online_users: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin", graphql_type = "StatsAdminQuery")]
pub struct StatGlobalStats {
    pub global_stats: Option<GlobalStats>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin", graphql_type = "AdminQuery")]
pub struct GlobalStatsQuery {
    pub stat: Option<StatGlobalStats>,
}

pub fn global_stats() -> cynic::Operation<GlobalStatsQuery, ()> {
    GlobalStatsQuery::build(())
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct DomainVars {
    pub domain: DomainName,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "StatsAdminQuery",
    variables = "DomainVars"
)]
pub struct StatDomainStats {
    #[arguments(domain: $domain)]
    pub domain_stats: Option<DomainStats>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "DomainVars"
)]
pub struct DomainStatsQuery {
    pub stat: Option<StatDomainStats>,
}

pub fn domain_stats(domain: &str) -> cynic::Operation<DomainStatsQuery, DomainVars> {
    DomainStatsQuery::build(DomainVars {
        domain: domain.into(),
    })
}
