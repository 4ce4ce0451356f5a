//! `token`: access and refresh tokens of the caller.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::generated::user::*;

impl TokenUserMutationResolver for UserApi {
    async fn request_token(&self, ctx: &Context<'_>) -> Result<Option<Token>> {
        let user = caller(ctx)?;
        let issued = self
            .state
            .tokens
            .request(user)
            .await
            .map_err(|e| codes::token(e, user))?;
        Ok(Some(Token {
            access: Some(issued.access),
            refresh: Some(issued.refresh),
        }))
    }

    async fn revoke_token(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .revoke_tokens(user)
            .await
            .map_err(|e| codes::token(e, user))?;
        Ok(Some("Revoked".into()))
    }
}
