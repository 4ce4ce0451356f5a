//! `inbox` on the admin API: emptying bins.

use cynic::MutationBuilder;

use crate::admin_schema as schema;
use crate::scalars::{DomainName, Jid, PosInt};

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct FlushUserBinVars {
    pub user: Jid,
    pub days: Option<PosInt>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "InboxAdminMutation",
    variables = "FlushUserBinVars"
)]
pub struct InboxFlushUserBin {
    #[arguments(user: $user, days: $days)]
    pub flush_user_bin: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "FlushUserBinVars"
)]
pub struct FlushUserBin {
    pub inbox: Option<InboxFlushUserBin>,
}

impl FlushUserBin {
    /// The field's value.
    pub fn value(&self) -> Option<&i32> {
        self.inbox.as_ref()?.flush_user_bin.as_ref()
    }
}

/// `flushUserBin`: empties the user's bin.
pub fn flush_user_bin(
    user: &str,
    days: Option<i64>,
) -> cynic::Operation<FlushUserBin, FlushUserBinVars> {
    FlushUserBin::build(FlushUserBinVars {
        user: user.into(),
        days: days.map(PosInt),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct FlushDomainBinVars {
    pub domain: DomainName,
    pub days: Option<PosInt>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "InboxAdminMutation",
    variables = "FlushDomainBinVars"
)]
pub struct InboxFlushDomainBin {
    #[arguments(domain: $domain, days: $days)]
    pub flush_domain_bin: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "FlushDomainBinVars"
)]
pub struct FlushDomainBin {
    pub inbox: Option<InboxFlushDomainBin>,
}

impl FlushDomainBin {
    /// The field's value.
    pub fn value(&self) -> Option<&i32> {
        self.inbox.as_ref()?.flush_domain_bin.as_ref()
    }
}

/// `flushDomainBin`: empties the bins of the domain's users.
pub fn flush_domain_bin(
    domain: &str,
    days: Option<i64>,
) -> cynic::Operation<FlushDomainBin, FlushDomainBinVars> {
    FlushDomainBin::build(FlushDomainBinVars {
        domain: domain.into(),
        days: days.map(PosInt),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct FlushGlobalBinVars {
    pub host_type: String,
    pub days: Option<PosInt>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "InboxAdminMutation",
    variables = "FlushGlobalBinVars"
)]
pub struct InboxFlushGlobalBin {
    #[arguments(hostType: $host_type, days: $days)]
    pub flush_global_bin: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "FlushGlobalBinVars"
)]
pub struct FlushGlobalBin {
    pub inbox: Option<InboxFlushGlobalBin>,
}

impl FlushGlobalBin {
    /// The field's value.
    pub fn value(&self) -> Option<&i32> {
        self.inbox.as_ref()?.flush_global_bin.as_ref()
    }
}

/// `flushGlobalBin`: empties every bin.
pub fn flush_global_bin(
    host_type: &str,
    days: Option<i64>,
) -> cynic::Operation<FlushGlobalBin, FlushGlobalBinVars> {
    FlushGlobalBin::build(FlushGlobalBinVars {
        host_type: host_type.to_string(),
        days: days.map(PosInt),
    })
}
