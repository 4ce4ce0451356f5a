//! The admin API (`listen.admin`): provisioning of accounts with the configured admin
//! credentials. Generated from `schema/admin/` by the same codegen as the user API.

mod account;
mod gdpr;
mod http_upload;
mod inbox;
mod last;
mod muc;
mod muc_light;
mod offline;
mod private;
mod roster;
mod server;
mod session;
mod stanza;
mod stat;
mod token;
mod vcard;

use std::sync::Arc;

use async_graphql::{Context, Value};

use crate::errors::ApiError;
use crate::generated::admin::*;
use crate::state::AppState;

/// Whether the request carried the configured admin credentials.
#[derive(Clone, Copy, Debug, Default)]
pub struct AdminCaller(pub bool);

pub struct AdminApi {
    pub state: Arc<AppState>,
}

impl AdminApi {
    pub fn new(state: Arc<AppState>) -> AdminApi {
        AdminApi { state }
    }
}

impl SchemaHooks for AdminApi {
    fn require_auth(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match ctx.data_opt::<AdminCaller>() {
            Some(AdminCaller(true)) => Ok(()),
            _ => Err(crate::api::codes::no_permissions().into()),
        }
    }

    fn require_modules(
        &self,
        _ctx: &Context<'_>,
        modules: &[&str],
        arg: Option<Value>,
    ) -> async_graphql::Result<()> {
        // Every admin field that needs modules names the user (or room) whose host decides
        // (`@use(arg:)`); a null or absent one skips the check, as in the user API.
        let Some(Value::String(s)) = &arg else {
            return Ok(());
        };
        let domain = crate::modules::domain_of(s);
        crate::modules::require(&self.state, &domain, modules)
            .map_err(|missing| crate::api::codes::deps_not_loaded(missing).into())
    }
}

impl AdminQueryResolver for AdminApi {
    async fn check_auth(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AdminAuthInfo>> {
        let admin = matches!(ctx.data_opt::<AdminCaller>(), Some(AdminCaller(true)));
        Ok(Some(AdminAuthInfo {
            domain: None,
            auth_status: if admin {
                AuthStatus::Authorized
            } else {
                AuthStatus::Unauthorized
            },
            auth_type: Some(if admin {
                AuthType::Admin
            } else {
                AuthType::Unauthorized
            }),
        }))
    }
}

impl AdminApi {
    /// Whether the user has an account (false for a domain this server does not serve).
    async fn account_exists(&self, user: &crate::jid::Jid) -> Result<bool, ApiError> {
        let bare = user.to_bare();
        Ok(self.state.accounts.is_host(bare.domain()) && self.state.accounts.exists(&bare).await?)
    }
}

/// The bare JID of a user the admin acts on, when its domain is one this server serves (the
/// reference's `unknown_domain`, `Domain not found`, otherwise; `extensions.user` names it).
fn local_user(state: &AppState, jid: &crate::jid::Jid) -> Result<crate::jid::Jid, ApiError> {
    local_user_as(state, jid, |bare| {
        ApiError::new("unknown_domain", "Domain not found").with("user", bare.to_string())
    })
}

/// As [`local_user`], with the category's own error for a domain not served.
fn local_user_as(
    state: &AppState,
    jid: &crate::jid::Jid,
    unknown: impl FnOnce(&crate::jid::Jid) -> ApiError,
) -> Result<crate::jid::Jid, ApiError> {
    let bare = jid.to_bare();
    if state.accounts.is_host(bare.domain()) {
        Ok(bare)
    } else {
        Err(unknown(&bare))
    }
}
