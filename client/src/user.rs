//! Typed operations of the user API, one module per category.

pub mod account;
pub mod http_upload;
pub mod inbox;
pub mod last;
pub mod muc;
pub mod muc_light;
pub mod private;
pub mod roster;
pub mod session;
pub mod stanza;
pub mod token;
pub mod vcard;

use cynic::QueryBuilder;

use crate::scalars::UserName;
use crate::schema;

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql")]
pub enum AuthStatus {
    Authorized,
    Unauthorized,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct UserAuthInfo {
    pub username: Option<UserName>,
    pub auth_status: Option<AuthStatus>,
}

/// `{ checkAuth { username authStatus } }`
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "UserQuery")]
pub struct CheckAuth {
    pub check_auth: Option<UserAuthInfo>,
}

pub fn check_auth() -> cynic::Operation<CheckAuth, ()> {
    CheckAuth::build(())
}

#[allow(unused_imports)]
use schema as _;
