use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl PrivateUserMutationResolver for UserApi {
    async fn set_private(
        &self,
        _ctx: &Context<'_>,
        _element_string: XmlElement,
    ) -> Result<Option<XmlElement>> {
        Err(ApiError::not_implemented("PrivateUserMutation.setPrivate").into())
    }
}

impl PrivateUserQueryResolver for UserApi {
    async fn get_private(
        &self,
        _ctx: &Context<'_>,
        _element: String,
        _name_space: NonEmptyString,
    ) -> Result<Option<XmlElement>> {
        Err(ApiError::not_implemented("PrivateUserQuery.getPrivate").into())
    }
}
