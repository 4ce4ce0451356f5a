//! `vcard`: the caller's vCard; any user's is readable.

mod mapping;

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
/// The generated types `mapping` converts (see there).
use crate::generated::user as schema_types;
use crate::generated::user::*;

impl VcardUserMutationResolver for UserApi {
    async fn set_vcard(&self, ctx: &Context<'_>, vcard: VcardInput) -> Result<Option<Vcard>> {
        let user = caller(ctx)?;
        let stored = self
            .state
            .vcards
            .set(user, &mapping::to_xml(&vcard))
            .await
            .map_err(|e| codes::vcard(e, user))?;
        Ok(Some(mapping::from_xml(&stored)))
    }
}

impl VcardUserQueryResolver for UserApi {
    async fn get_vcard(&self, ctx: &Context<'_>, user: Option<Jid>) -> Result<Option<Vcard>> {
        let target = match &user {
            Some(u) => &u.0,
            None => {
                // Without `user` the schema's module check is skipped; the reference reports
                // the missing module itself.
                let me = caller(ctx)?;
                if !self.state.config.module_enabled("mod_vcard") {
                    return Err(codes::vcard_not_configured(me).into());
                }
                me
            }
        };
        let stored = self
            .state
            .vcards
            .get(target)
            .await
            .map_err(|e| codes::vcard(e, target))?;
        Ok(Some(mapping::from_xml(&stored)))
    }
}
