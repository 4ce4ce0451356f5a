use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl SessionUserQueryResolver for UserApi {
    async fn list_resources(&self, _ctx: &Context<'_>) -> Result<Option<Vec<ResourceName>>> {
        Err(ApiError::not_implemented("SessionUserQuery.listResources").into())
    }

    async fn count_resources(&self, _ctx: &Context<'_>) -> Result<Option<i32>> {
        Err(ApiError::not_implemented("SessionUserQuery.countResources").into())
    }

    async fn list_sessions(&self, _ctx: &Context<'_>) -> Result<Option<Vec<Session>>> {
        Err(ApiError::not_implemented("SessionUserQuery.listSessions").into())
    }
}
