//! `account`: the caller's own account.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::generated::user::*;

impl AccountUserQueryResolver for UserApi {
    /// The reference crashes here; its documentation shows `true`, which is what we answer.
    async fn field(&self, _ctx: &Context<'_>) -> Result<Option<bool>> {
        Ok(Some(true))
    }
}

impl AccountUserMutationResolver for UserApi {
    async fn unregister(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .remove_user(user)
            .await
            .map_err(codes::account_user)?;
        Ok(Some(format!("User {user} successfully unregistered")))
    }

    async fn change_password(
        &self,
        ctx: &Context<'_>,
        new_password: String,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .accounts
            .change_password(user, &new_password)
            .await
            .map_err(codes::account_user)?;
        Ok(Some("Password changed".into()))
    }
}
