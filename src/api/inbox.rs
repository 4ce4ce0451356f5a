//! `inbox`: emptying the caller's inbox bin.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::generated::user::*;

impl InboxUserMutationResolver for UserApi {
    async fn flush_bin(&self, ctx: &Context<'_>, days: Option<PosInt>) -> Result<Option<i32>> {
        let user = caller(ctx)?;
        let days = days.map_or(0, |d| u32::try_from(d.0).unwrap_or(u32::MAX));
        let n = self
            .state
            .inbox
            .flush_bin(user, days)
            .await
            .map_err(|e| codes::inbox(e, user))?;
        Ok(Some(i32::try_from(n).unwrap_or(i32::MAX)))
    }
}
