//! `last`: last activity of the caller, readable for any user.

use async_graphql::{Context, Result};
use chrono::{DateTime as Utc, Utc as UtcZone};

use super::{UserApi, caller, codes};
use crate::errors::ApiError;
use crate::generated::user::*;

fn activity(user: &crate::jid::Jid, seconds: i64, status: String) -> Result<Option<LastActivity>> {
    let ts: Utc<UtcZone> = Utc::from_timestamp(seconds, 0).ok_or_else(|| {
        ApiError::internal("last activity", format!("time {seconds} out of range"))
    })?;
    Ok(Some(LastActivity {
        user: Jid(user.clone()),
        timestamp: DateTime(ts),
        status,
    }))
}

impl LastUserMutationResolver for UserApi {
    async fn set_last(
        &self,
        ctx: &Context<'_>,
        timestamp: Option<DateTime>,
        status: String,
    ) -> Result<Option<LastActivity>> {
        let user = caller(ctx)?;
        // Second precision, sub-second part truncated, as the reference stores it.
        let seconds = timestamp
            .map(|t| t.0)
            .unwrap_or_else(chrono::Utc::now)
            .timestamp();
        self.state
            .last
            .set(user, seconds, &status)
            .await
            .map_err(|e| codes::last(e, user))?;
        activity(user, seconds, status)
    }
}

impl LastUserQueryResolver for UserApi {
    async fn get_last(&self, ctx: &Context<'_>, user: Option<Jid>) -> Result<Option<LastActivity>> {
        let target = match &user {
            Some(u) => &u.0,
            None => caller(ctx)?,
        };
        let (seconds, status) = self
            .state
            .last
            .get(target)
            .await
            .map_err(|e| codes::last(e, target))?;
        activity(target, seconds, status)
    }
}
