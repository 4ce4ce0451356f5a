use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl LastUserMutationResolver for UserApi {
    async fn set_last(
        &self,
        _ctx: &Context<'_>,
        _timestamp: Option<DateTime>,
        _status: String,
    ) -> Result<Option<LastActivity>> {
        Err(ApiError::not_implemented("LastUserMutation.setLast").into())
    }
}

impl LastUserQueryResolver for UserApi {
    async fn get_last(
        &self,
        _ctx: &Context<'_>,
        _user: Option<Jid>,
    ) -> Result<Option<LastActivity>> {
        Err(ApiError::not_implemented("LastUserQuery.getLast").into())
    }
}
