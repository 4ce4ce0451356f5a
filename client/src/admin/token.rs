//! `token` on the admin API: any user's tokens.

use cynic::MutationBuilder;

use crate::admin_schema as schema;
use crate::scalars::Jid;

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Token {
    pub access: Option<String>,
    pub refresh: Option<String>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct UserVars {
    pub user: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "TokenAdminMutation",
    variables = "UserVars"
)]
pub struct TokenRequestToken {
    #[arguments(user: $user)]
    pub request_token: Option<Token>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "UserVars"
)]
pub struct RequestToken {
    pub token: Option<TokenRequestToken>,
}

pub fn request_token(user: &str) -> cynic::Operation<RequestToken, UserVars> {
    RequestToken::build(UserVars { user: user.into() })
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "TokenAdminMutation",
    variables = "UserVars"
)]
pub struct TokenRevokeToken {
    #[arguments(user: $user)]
    pub revoke_token: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "UserVars"
)]
pub struct RevokeToken {
    pub token: Option<TokenRevokeToken>,
}

pub fn revoke_token(user: &str) -> cynic::Operation<RevokeToken, UserVars> {
    RevokeToken::build(UserVars { user: user.into() })
}
