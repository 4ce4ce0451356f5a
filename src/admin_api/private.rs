//! `private` on the admin API: any user's XEP-0049 storage, through the same service as the
//! user API.

use async_graphql::{Context, Result};

use super::AdminApi;
use crate::api::codes;
use crate::generated::admin::*;

impl PrivateAdminMutationResolver for AdminApi {
    async fn set_private(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        element_string: XmlElement,
    ) -> Result<Option<XmlElement>> {
        let user = user.0.to_bare();
        let el = element_string.0;
        self.state
            .private
            .set(&user, &el)
            .await
            .map_err(|e| codes::private(e, &user, &[("element", el.to_string())]))?;
        Ok(Some(XmlElement(el)))
    }
}

impl PrivateAdminQueryResolver for AdminApi {
    async fn get_private(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        element: String,
        name_space: NonEmptyString,
    ) -> Result<Option<XmlElement>> {
        let user = user.0.to_bare();
        let ns = name_space.0;
        let el = self
            .state
            .private
            .get_or_empty(&user, &element, &ns)
            .await
            .map_err(|e| codes::private_get(e, &user, &element, &ns))?;
        Ok(Some(XmlElement(el)))
    }
}
