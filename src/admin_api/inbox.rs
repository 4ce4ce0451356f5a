//! `inbox` on the admin API: emptying a user's, a domain's or every bin, through the same inbox
//! service as the user API's `flushBin`.

use async_graphql::{Context, Result};

use super::AdminApi;
use crate::api::codes;
use crate::errors::ApiError;
use crate::generated::admin::*;
use crate::inbox::InboxError;

fn days_of(days: Option<PosInt>) -> u32 {
    days.map_or(0, |d| u32::try_from(d.0).unwrap_or(u32::MAX))
}

fn rows(n: u64) -> Option<i32> {
    Some(i32::try_from(n).unwrap_or(i32::MAX))
}

/// An unknown domain or host type: the reference's codes and words.
fn unknown(
    e: InboxError,
    code: &'static str,
    message: &'static str,
    key: &'static str,
    value: &str,
) -> ApiError {
    match e {
        InboxError::DomainNotFound => ApiError::new(code, message).with(key, value),
        InboxError::UserNotFound => ApiError::new("user_does_not_exist", "User does not exist"),
        InboxError::Db(e) => ApiError::internal("inbox", e),
    }
}

impl InboxAdminMutationResolver for AdminApi {
    async fn flush_user_bin(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        days: Option<PosInt>,
    ) -> Result<Option<i32>> {
        let user = user.0.to_bare();
        if !self.state.accounts.is_host(user.domain()) {
            return Err(ApiError::new("domain_not_found", "Domain not found")
                .with("user", user.to_string())
                .into());
        }
        let n = self
            .state
            .inbox
            .flush_bin(&user, days_of(days))
            .await
            .map_err(|e| codes::inbox(e, &user))?;
        Ok(rows(n))
    }

    async fn flush_domain_bin(
        &self,
        _ctx: &Context<'_>,
        domain: DomainName,
        days: Option<PosInt>,
    ) -> Result<Option<i32>> {
        let n = self
            .state
            .inbox
            .flush_domain_bin(&domain.0, days_of(days))
            .await
            .map_err(|e| {
                unknown(
                    e,
                    "domain_not_found",
                    "Domain not found",
                    "domain",
                    &domain.0,
                )
            })?;
        Ok(rows(n))
    }

    async fn flush_global_bin(
        &self,
        _ctx: &Context<'_>,
        host_type: String,
        days: Option<PosInt>,
    ) -> Result<Option<i32>> {
        let n = self
            .state
            .inbox
            .flush_global_bin(&host_type, days_of(days))
            .await
            .map_err(|e| {
                unknown(
                    e,
                    "host_type_not_found",
                    "Host type not found",
                    "host_type",
                    &host_type,
                )
            })?;
        Ok(rows(n))
    }
}
