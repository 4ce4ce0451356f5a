//! `account`: the caller's own account.

use cynic::{MutationBuilder, QueryBuilder};

use crate::schema;

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "AccountUserQuery")]
pub struct AccountField {
    pub field: Option<bool>,
}

/// `{ account { field } }`
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "UserQuery")]
pub struct Field {
    pub account: Option<AccountField>,
}

pub fn field() -> cynic::Operation<Field, ()> {
    Field::build(())
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "AccountUserMutation")]
pub struct AccountUnregister {
    pub unregister: Option<String>,
}

/// `mutation { account { unregister } }`
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "UserMutation")]
pub struct Unregister {
    pub account: Option<AccountUnregister>,
}

pub fn unregister() -> cynic::Operation<Unregister, ()> {
    Unregister::build(())
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ChangePasswordVars {
    pub new_password: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql",
    graphql_type = "AccountUserMutation",
    variables = "ChangePasswordVars"
)]
pub struct AccountChangePassword {
    #[arguments(newPassword: $new_password)]
    pub change_password: Option<String>,
}

/// `mutation { account { changePassword(newPassword: ...) } }`
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "ChangePasswordVars"
)]
pub struct ChangePassword {
    pub account: Option<AccountChangePassword>,
}

pub fn change_password(new_password: &str) -> cynic::Operation<ChangePassword, ChangePasswordVars> {
    ChangePassword::build(ChangePasswordVars {
        new_password: new_password.to_string(),
    })
}
