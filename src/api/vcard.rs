//! `vcard`: the caller's vCard; any user's is readable.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::accounts::user_id;
use crate::generated::user::*;
use crate::vcard::{load, mapping, store};

impl VcardUserMutationResolver for UserApi {
    async fn set_vcard(&self, ctx: &Context<'_>, vcard: VcardInput) -> Result<Option<Vcard>> {
        let user = caller(ctx)?;
        let db = self.state.db();
        let id = user_id(db, user)
            .await
            .map_err(|e| codes::vcard_internal(e, user))?
            .ok_or_else(|| codes::vcard_user_not_found(user))?;
        store(db, id, &mapping::to_xml(&vcard))
            .await
            .map_err(|e| codes::vcard_internal(e, user))?;
        // Read back what was stored, as the reference does.
        let stored = load(db, id)
            .await
            .map_err(|e| codes::vcard_internal(e, user))?
            .ok_or_else(|| codes::vcard_not_found(user))?;
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
                if !self.state.config.module_enabled("mod_vcard") {
                    return Err(codes::vcard_not_configured().into());
                }
                caller(ctx)?
            }
        };
        if !self.state.accounts.is_host(target.domain()) {
            return Err(codes::vcard_domain_not_found(target).into());
        }
        let db = self.state.db();
        let id = user_id(db, target)
            .await
            .map_err(|e| codes::vcard_internal(e, target))?
            .ok_or_else(|| codes::vcard_user_not_found(target))?;
        let stored = load(db, id)
            .await
            .map_err(|e| codes::vcard_internal(e, target))?
            .ok_or_else(|| codes::vcard_not_found(target))?;
        Ok(Some(mapping::from_xml(&stored)))
    }
}
