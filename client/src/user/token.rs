//! `token`: access and refresh tokens. The access token authenticates requests as
//! `Authorization: Bearer <access>` ([`crate::Client::with_bearer`]).

use cynic::MutationBuilder;

use crate::schema;

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct Token {
    pub access: Option<String>,
    pub refresh: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "TokenUserMutation")]
pub struct TokenRequestToken {
    pub request_token: Option<Token>,
}

/// `mutation { token { requestToken { access refresh } } }`
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "UserMutation")]
pub struct RequestToken {
    pub token: Option<TokenRequestToken>,
}

pub fn request_token() -> cynic::Operation<RequestToken, ()> {
    RequestToken::build(())
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "TokenUserMutation")]
pub struct TokenRevokeToken {
    pub revoke_token: Option<String>,
}

/// `mutation { token { revokeToken } }`
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "UserMutation")]
pub struct RevokeToken {
    pub token: Option<TokenRevokeToken>,
}

pub fn revoke_token() -> cynic::Operation<RevokeToken, ()> {
    RevokeToken::build(())
}
