//! `account` on the admin API, beyond provisioning: password hashes, bans, CSV imports.

use cynic::{MutationBuilder, QueryBuilder};

use super::{CheckPasswordPayload, UserPayload};
use crate::admin_schema as schema;
use crate::scalars::{Jid, NonEmptyString};

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CheckPasswordHashVars {
    pub user: Jid,
    pub password_hash: String,
    pub hash_method: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AccountAdminQuery",
    variables = "CheckPasswordHashVars"
)]
pub struct AccountCheckPasswordHash {
    #[arguments(user: $user, passwordHash: $password_hash, hashMethod: $hash_method)]
    pub check_password_hash: Option<CheckPasswordPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "CheckPasswordHashVars"
)]
pub struct CheckPasswordHash {
    pub account: Option<AccountCheckPasswordHash>,
}

pub fn check_password_hash(
    user: &str,
    password_hash: &str,
    hash_method: &str,
) -> cynic::Operation<CheckPasswordHash, CheckPasswordHashVars> {
    CheckPasswordHash::build(CheckPasswordHashVars {
        user: user.into(),
        password_hash: password_hash.to_string(),
        hash_method: hash_method.to_string(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct BanUserVars {
    pub user: Jid,
    pub reason: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AccountAdminMutation",
    variables = "BanUserVars"
)]
pub struct AccountBanUser {
    #[arguments(user: $user, reason: $reason)]
    pub ban_user: Option<UserPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "BanUserVars"
)]
pub struct BanUser {
    pub account: Option<AccountBanUser>,
}

pub fn ban_user(user: &str, reason: &str) -> cynic::Operation<BanUser, BanUserVars> {
    BanUser::build(BanUserVars {
        user: user.into(),
        reason: reason.to_string(),
    })
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct ImportPayload {
    pub status: String,
    pub created: Option<Vec<Jid>>,
    pub existing: Option<Vec<Jid>>,
    pub not_allowed: Option<Vec<Jid>>,
    #[cynic(rename = "invalidJID")]
    pub invalid_jid: Option<Vec<String>>,
    pub empty_password: Option<Vec<Jid>>,
    pub invalid_record: Option<Vec<String>>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ImportUsersVars {
    pub filename: NonEmptyString,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AccountAdminMutation",
    variables = "ImportUsersVars"
)]
pub struct AccountImportUsers {
    #[arguments(filename: $filename)]
    pub import_users: Option<ImportPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "ImportUsersVars"
)]
pub struct ImportUsers {
    pub account: Option<AccountImportUsers>,
}

pub fn import_users(filename: &str) -> cynic::Operation<ImportUsers, ImportUsersVars> {
    ImportUsers::build(ImportUsersVars {
        filename: filename.into(),
    })
}
