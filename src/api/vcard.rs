use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl VcardUserMutationResolver for UserApi {
    async fn set_vcard(&self, _ctx: &Context<'_>, _vcard: VcardInput) -> Result<Option<Vcard>> {
        Err(ApiError::not_implemented("VcardUserMutation.setVcard").into())
    }
}

impl VcardUserQueryResolver for UserApi {
    async fn get_vcard(&self, _ctx: &Context<'_>, _user: Option<Jid>) -> Result<Option<Vcard>> {
        Err(ApiError::not_implemented("VcardUserQuery.getVcard").into())
    }
}
