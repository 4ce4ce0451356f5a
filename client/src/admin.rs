//! Typed operations of the admin API (provisioning accounts).

use cynic::{MutationBuilder, QueryBuilder};

pub mod account;
pub mod gdpr;
pub mod http_upload;
pub mod inbox;
pub mod last;
pub mod muc;
pub mod muc_light;
pub mod offline;
pub mod private;
pub mod roster;
pub mod server;
pub mod session;
pub mod stanza;
pub mod stat;
pub mod token;
pub mod vcard;

use crate::admin_schema as schema;
use crate::scalars::{DomainName, Jid, UserName};

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum AuthStatus {
    Authorized,
    Unauthorized,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum AuthType {
    DomainAdmin,
    Admin,
    Unauthorized,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct AdminAuthInfo {
    pub domain: Option<DomainName>,
    pub auth_status: AuthStatus,
    pub auth_type: Option<AuthType>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin", graphql_type = "AdminQuery")]
pub struct CheckAuth {
    pub check_auth: Option<AdminAuthInfo>,
}

pub fn check_auth() -> cynic::Operation<CheckAuth, ()> {
    CheckAuth::build(())
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct UserPayload {
    pub jid: Jid,
    pub message: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct CheckPasswordPayload {
    pub correct: bool,
    pub message: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct CheckUserPayload {
    pub exist: bool,
    pub message: String,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct RegisterUserVars {
    pub domain: DomainName,
    pub username: Option<UserName>,
    pub password: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AccountAdminMutation",
    variables = "RegisterUserVars"
)]
pub struct AccountRegisterUser {
    #[arguments(domain: $domain, username: $username, password: $password)]
    pub register_user: Option<UserPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "RegisterUserVars"
)]
pub struct RegisterUser {
    pub account: Option<AccountRegisterUser>,
}

/// `registerUser`; `username: None` asks for a random one.
pub fn register_user(
    domain: &str,
    username: Option<&str>,
    password: &str,
) -> cynic::Operation<RegisterUser, RegisterUserVars> {
    RegisterUser::build(RegisterUserVars {
        domain: domain.into(),
        username: username.map(UserName::from),
        password: password.to_string(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct UserVars {
    pub user: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AccountAdminMutation",
    variables = "UserVars"
)]
pub struct AccountRemoveUser {
    #[arguments(user: $user)]
    pub remove_user: Option<UserPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "UserVars"
)]
pub struct RemoveUser {
    pub account: Option<AccountRemoveUser>,
}

pub fn remove_user(user: &str) -> cynic::Operation<RemoveUser, UserVars> {
    RemoveUser::build(UserVars { user: user.into() })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ChangeUserPasswordVars {
    pub user: Jid,
    pub new_password: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AccountAdminMutation",
    variables = "ChangeUserPasswordVars"
)]
pub struct AccountChangeUserPassword {
    #[arguments(user: $user, newPassword: $new_password)]
    pub change_user_password: Option<UserPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "ChangeUserPasswordVars"
)]
pub struct ChangeUserPassword {
    pub account: Option<AccountChangeUserPassword>,
}

pub fn change_user_password(
    user: &str,
    new_password: &str,
) -> cynic::Operation<ChangeUserPassword, ChangeUserPasswordVars> {
    ChangeUserPassword::build(ChangeUserPasswordVars {
        user: user.into(),
        new_password: new_password.to_string(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct DomainVars {
    pub domain: DomainName,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AccountAdminQuery",
    variables = "DomainVars"
)]
pub struct AccountListUsers {
    #[arguments(domain: $domain)]
    pub list_users: Option<Vec<String>>,
    #[arguments(domain: $domain)]
    pub count_users: Option<i32>,
}

/// `listUsers` and `countUsers` of one domain.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "DomainVars"
)]
pub struct ListUsers {
    pub account: Option<AccountListUsers>,
}

pub fn list_users(domain: &str) -> cynic::Operation<ListUsers, DomainVars> {
    ListUsers::build(DomainVars {
        domain: domain.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CheckPasswordVars {
    pub user: Jid,
    pub password: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AccountAdminQuery",
    variables = "CheckPasswordVars"
)]
pub struct AccountCheckPassword {
    #[arguments(user: $user, password: $password)]
    pub check_password: Option<CheckPasswordPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "CheckPasswordVars"
)]
pub struct CheckPassword {
    pub account: Option<AccountCheckPassword>,
}

pub fn check_password(
    user: &str,
    password: &str,
) -> cynic::Operation<CheckPassword, CheckPasswordVars> {
    CheckPassword::build(CheckPasswordVars {
        user: user.into(),
        password: password.to_string(),
    })
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AccountAdminQuery",
    variables = "UserVars"
)]
pub struct AccountCheckUser {
    #[arguments(user: $user)]
    pub check_user: Option<CheckUserPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "UserVars"
)]
pub struct CheckUser {
    pub account: Option<AccountCheckUser>,
}

pub fn check_user(user: &str) -> cynic::Operation<CheckUser, UserVars> {
    CheckUser::build(UserVars { user: user.into() })
}
