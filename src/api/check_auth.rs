//! `checkAuth`: the only field an unauthenticated caller may use.

use async_graphql::{Context, Result};

use super::{Caller, UserApi};
use crate::generated::user::*;

impl UserQueryResolver for UserApi {
    async fn check_auth(&self, ctx: &Context<'_>) -> Result<Option<UserAuthInfo>> {
        let jid = ctx.data_opt::<Caller>().and_then(|c| c.0.as_ref());
        Ok(Some(UserAuthInfo {
            // The whole normalised JID, as the reference returns it.
            username: jid.map(|j| UserName(j.to_string())),
            auth_status: Some(if jid.is_some() {
                AuthStatus::Authorized
            } else {
                AuthStatus::Unauthorized
            }),
        }))
    }
}
