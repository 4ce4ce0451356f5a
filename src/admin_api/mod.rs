//! The admin API (`listen.admin`): provisioning of accounts with the configured admin
//! credentials. Generated from `schema/admin/` by the same codegen as the user API.

mod account;

use std::sync::Arc;

use async_graphql::{Context, Value};

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
        _modules: &[&str],
        _arg: Option<Value>,
    ) -> async_graphql::Result<()> {
        Ok(())
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
