//! `vcard` on the admin API: any user's vCard, through the same service as the user API.

// The user API's mapping, compiled a second time against the admin's generated types (the two
// schemas generate distinct, identical vCard types): one mapping, not two to keep in step.
#[allow(clippy::duplicate_mod)]
#[path = "../api/vcard/mapping.rs"]
mod mapping;

use async_graphql::{Context, Result};

use super::AdminApi;
use crate::api::codes;
/// The generated types `mapping` converts.
use crate::generated::admin as schema_types;
use crate::generated::admin::*;

impl VcardAdminMutationResolver for AdminApi {
    async fn set_vcard(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        vcard: VcardInput,
    ) -> Result<Option<Vcard>> {
        let user = user.0.to_bare();
        // The reading side tells an unknown domain from an unknown user; so does the writing.
        if !self.state.accounts.is_host(user.domain()) {
            return Err(codes::vcard(crate::vcard::VcardError::DomainNotFound, &user).into());
        }
        let stored = self
            .state
            .vcards
            .set(&user, &mapping::to_xml(&vcard))
            .await
            .map_err(|e| codes::vcard(e, &user))?;
        Ok(Some(mapping::from_xml(&stored)))
    }
}

impl VcardAdminQueryResolver for AdminApi {
    async fn get_vcard(&self, _ctx: &Context<'_>, user: Jid) -> Result<Option<Vcard>> {
        let user = user.0.to_bare();
        let stored = self
            .state
            .vcards
            .get(&user)
            .await
            .map_err(|e| codes::vcard(e, &user))?;
        Ok(Some(mapping::from_xml(&stored)))
    }
}
