//! Every error code the user and admin APIs return from resolvers, with the reference's exact
//! messages, and the mapping from domain errors. The README's error table mirrors this file.

use async_graphql::Value;

use crate::accounts::AccountError;
use crate::errors::ApiError;

pub fn no_permissions() -> ApiError {
    ApiError::new(
        "no_permissions",
        "Cannot execute query ROOT without permissions",
    )
}

pub fn deps_not_loaded(modules: Vec<Value>) -> ApiError {
    ApiError::new(
        "deps_not_loaded",
        "Some of required modules or services are not loaded",
    )
    .with("not_loaded_modules", Value::List(modules))
    .with("not_loaded_services", Value::List(Vec::new()))
}

/// Account errors on the user API (`changePassword`, `unregister`): no extra extensions.
pub fn account_user(e: AccountError) -> ApiError {
    match e {
        AccountError::EmptyPassword => ApiError::new("empty_password", "Empty password"),
        AccountError::NotFound | AccountError::UnknownDomain | AccountError::AlreadyExists => {
            ApiError::new(
                "not_allowed",
                "User does not exist or you are not authorized properly",
            )
        }
        AccountError::Hash => ApiError::internal("password hashing", e),
        AccountError::Db(e) => e.into(),
    }
}

/// Account errors on the admin API; `extensions.jid` names the account.
pub fn account_admin(e: AccountError, jid: &str) -> ApiError {
    let err = match e {
        AccountError::AlreadyExists => {
            ApiError::new("exists", format!("User {jid} already registered"))
        }
        AccountError::UnknownDomain => ApiError::new("domain_not_found", "Domain does not exist"),
        AccountError::NotFound => {
            ApiError::new("user_does_not_exist", format!("User {jid} does not exist"))
        }
        AccountError::EmptyPassword => ApiError::new("empty_password", "Empty password"),
        AccountError::Hash => ApiError::internal("password hashing", e),
        AccountError::Db(e) => e.into(),
    };
    err.with("jid", jid)
}
