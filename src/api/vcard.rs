//! `vcard`: the caller's vCard; any user's is readable.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::accounts::{lock_user, user_id};
use crate::generated::user::*;
use crate::vcard::{load, mapping, store};

impl VcardUserMutationResolver for UserApi {
    async fn set_vcard(&self, ctx: &Context<'_>, vcard: VcardInput) -> Result<Option<Vcard>> {
        let user = caller(ctx)?;
        let internal = |e| codes::vcard_internal(e, user);
        let el = mapping::to_xml(&vcard);
        let txn = crate::db::begin_write(self.state.db())
            .await
            .map_err(internal)?;
        // Locked: a removal of the account waits, or has happened (no foreign-key failure).
        let id = lock_user(&txn, user)
            .await
            .map_err(internal)?
            .ok_or_else(|| codes::vcard_user_not_found(user))?;
        store(&txn, id, &el, self.state.config.limits.max_vcard_bytes)
            .await
            .map_err(|e| codes::vcard_store(e, user))?;
        // Read back what was stored, as the reference does, in the same transaction.
        let stored = load(&txn, id)
            .await
            .map_err(internal)?
            .ok_or_else(|| codes::vcard_not_found(user))?;
        txn.commit().await.map_err(internal)?;
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
