use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl InboxUserMutationResolver for UserApi {
    async fn flush_bin(&self, _ctx: &Context<'_>, _days: Option<PosInt>) -> Result<Option<i32>> {
        Err(ApiError::not_implemented("InboxUserMutation.flushBin").into())
    }
}
