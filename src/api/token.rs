use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl TokenUserMutationResolver for UserApi {
    async fn request_token(&self, _ctx: &Context<'_>) -> Result<Option<Token>> {
        Err(ApiError::not_implemented("TokenUserMutation.requestToken").into())
    }

    async fn revoke_token(&self, _ctx: &Context<'_>) -> Result<Option<String>> {
        Err(ApiError::not_implemented("TokenUserMutation.revokeToken").into())
    }
}
