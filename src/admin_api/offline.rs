//! `offline` on the admin API: deleting a domain's expired or old offline messages, through the
//! offline-storage service the router and XMPP clients use.

use async_graphql::{Context, Result};

use super::AdminApi;
use crate::errors::ApiError;
use crate::generated::admin::*;
use crate::offline::OfflineError;

fn removed(domain: &DomainName, n: Result<u64, OfflineError>) -> Result<Option<String>> {
    match n {
        Ok(n) => Ok(Some(format!("Removed {n} messages"))),
        Err(OfflineError::DomainNotFound) => {
            Err(ApiError::new("domain_not_found", "Unknown domain")
                .with("domain", domain.0.clone())
                .into())
        }
        Err(OfflineError::Db(e)) => Err(ApiError::internal("offline", e).into()),
    }
}

impl OfflineAdminMutationResolver for AdminApi {
    async fn delete_expired_messages(
        &self,
        _ctx: &Context<'_>,
        domain: DomainName,
    ) -> Result<Option<String>> {
        removed(&domain, self.state.offline.delete_expired(&domain.0).await)
    }

    async fn delete_old_messages(
        &self,
        _ctx: &Context<'_>,
        domain: DomainName,
        days: PosInt,
    ) -> Result<Option<String>> {
        let days = u32::try_from(days.0).unwrap_or(u32::MAX);
        removed(
            &domain,
            self.state.offline.delete_old(&domain.0, days).await,
        )
    }
}
