//! `private`: the caller's XEP-0049 private XML storage.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::generated::user::*;

impl PrivateUserMutationResolver for UserApi {
    async fn set_private(
        &self,
        ctx: &Context<'_>,
        element_string: XmlElement,
    ) -> Result<Option<XmlElement>> {
        let user = caller(ctx)?;
        let el = element_string.0;
        self.state
            .private
            .set(user, &el)
            .await
            .map_err(|e| codes::private(e, user, &[("element", el.to_string())]))?;
        Ok(Some(XmlElement(el)))
    }
}

impl PrivateUserQueryResolver for UserApi {
    async fn get_private(
        &self,
        ctx: &Context<'_>,
        element: String,
        name_space: NonEmptyString,
    ) -> Result<Option<XmlElement>> {
        let user = caller(ctx)?;
        let ns = name_space.0;
        let el = self
            .state
            .private
            .get_or_empty(user, &element, &ns)
            .await
            .map_err(|e| codes::private_get(e, user, &element, &ns))?;
        Ok(Some(XmlElement(el)))
    }
}
