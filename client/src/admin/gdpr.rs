//! `gdpr` on the admin API: a user's personal data, zipped into a file on the server.

use cynic::QueryBuilder;

use crate::admin_schema as schema;
use crate::scalars::{DomainName, UserName};

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct RetrieveVars {
    pub username: UserName,
    pub domain: DomainName,
    pub result_filepath: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "GdprAdminQuery",
    variables = "RetrieveVars"
)]
pub struct GdprRetrievePersonalData {
    #[arguments(username: $username, domain: $domain, resultFilepath: $result_filepath)]
    pub retrieve_personal_data: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "RetrieveVars"
)]
pub struct RetrievePersonalData {
    pub gdpr: Option<GdprRetrievePersonalData>,
}

pub fn retrieve_personal_data(
    username: &str,
    domain: &str,
    result_filepath: &str,
) -> cynic::Operation<RetrievePersonalData, RetrieveVars> {
    RetrievePersonalData::build(RetrieveVars {
        username: username.into(),
        domain: domain.into(),
        result_filepath: result_filepath.to_string(),
    })
}
