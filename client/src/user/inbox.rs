//! `inbox`: the caller's inbox bin.

use cynic::MutationBuilder;

use crate::scalars::PosInt;
use crate::schema;

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct FlushBinVars {
    pub days: Option<PosInt>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "InboxUserMutation",
    variables = "FlushBinVars"
)]
pub struct InboxFlushBin {
    #[arguments(days: $days)]
    pub flush_bin: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "FlushBinVars"
)]
pub struct FlushBin {
    pub inbox: Option<InboxFlushBin>,
}

/// `flushBin`: deletes bin entries older than `days` (all of them when `None`).
pub fn flush_bin(days: Option<i64>) -> cynic::Operation<FlushBin, FlushBinVars> {
    FlushBin::build(FlushBinVars {
        days: days.map(PosInt),
    })
}
