//! `token` on the admin API: any user's tokens, through the same service as the user API.

use async_graphql::{Context, Result};

use super::{AdminApi, local_user_as};
use crate::api::codes;
use crate::errors::ApiError;
use crate::generated::admin::*;

/// A user of a domain not served: the reference's `not_found` `Unknown domain`.
fn unknown_domain(user: &crate::jid::Jid) -> ApiError {
    ApiError::new("not_found", "Unknown domain").with("user", user.to_string())
}

impl TokenAdminMutationResolver for AdminApi {
    async fn request_token(&self, _ctx: &Context<'_>, user: Jid) -> Result<Option<Token>> {
        let user = local_user_as(&self.state, &user.0, unknown_domain)?;
        let issued = self
            .state
            .tokens
            .request(&user)
            .await
            .map_err(|e| codes::token(e, &user))?;
        Ok(Some(Token {
            access: Some(issued.access),
            refresh: Some(issued.refresh),
        }))
    }

    async fn revoke_token(&self, _ctx: &Context<'_>, user: Jid) -> Result<Option<String>> {
        let user = local_user_as(&self.state, &user.0, unknown_domain)?;
        self.state
            .revoke_tokens(&user)
            .await
            .map_err(|e| codes::token(e, &user))?;
        Ok(Some("Revoked".into()))
    }
}
