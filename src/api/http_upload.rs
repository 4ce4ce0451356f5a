use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl HttpUploadUserMutationResolver for UserApi {
    async fn get_url(
        &self,
        _ctx: &Context<'_>,
        _filename: NonEmptyString,
        _size: PosInt,
        _content_type: Option<String>,
        _timeout: PosInt,
    ) -> Result<Option<FileUrls>> {
        Err(ApiError::not_implemented("HttpUploadUserMutation.getUrl").into())
    }
}
