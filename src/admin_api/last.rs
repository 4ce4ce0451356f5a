//! `last` on the admin API: any user's last activity, and the domain-wide queries on inactive
//! users, through the same services as the user API.

use async_graphql::{Context, Result};
use chrono::{DateTime as ChronoTime, Utc};

use super::AdminApi;
use crate::api::codes;
use crate::errors::ApiError;
use crate::generated::admin::*;

fn time(seconds: i64) -> Result<DateTime, ApiError> {
    ChronoTime::<Utc>::from_timestamp(seconds, 0)
        .map(DateTime)
        .ok_or_else(|| ApiError::internal("last activity", format!("time {seconds} out of range")))
}

fn old_users(users: Vec<(crate::jid::Jid, Option<i64>)>) -> Result<Option<Vec<OldUser>>> {
    let mut out = Vec::with_capacity(users.len());
    for (jid, last) in users {
        out.push(OldUser {
            jid: Jid(jid),
            timestamp: last.map(time).transpose()?,
        });
    }
    Ok(Some(out))
}

impl LastAdminQueryResolver for AdminApi {
    async fn get_last(&self, _ctx: &Context<'_>, user: Jid) -> Result<Option<LastActivity>> {
        let user = user.0.to_bare();
        let (seconds, status) = self
            .state
            .last
            .get(&user)
            .await
            .map_err(|e| codes::last(e, &user))?;
        Ok(Some(LastActivity {
            user: Jid(user),
            timestamp: time(seconds)?,
            status,
        }))
    }

    async fn count_active_users(
        &self,
        _ctx: &Context<'_>,
        domain: DomainName,
        timestamp: Option<DateTime>,
    ) -> Result<Option<i32>> {
        let since = timestamp.map(|t| t.0).unwrap_or_else(Utc::now).timestamp();
        let n = self
            .state
            .count_active_users(&domain.0, since)
            .await
            .map_err(|e| codes::last_domain(e, Some(&domain.0)))?;
        Ok(Some(i32::try_from(n).unwrap_or(i32::MAX)))
    }

    async fn list_old_users(
        &self,
        _ctx: &Context<'_>,
        domain: Option<DomainName>,
        timestamp: DateTime,
    ) -> Result<Option<Vec<OldUser>>> {
        let domain = domain.map(|d| d.0);
        let users = self
            .state
            .old_users(domain.as_deref(), timestamp.0.timestamp())
            .await
            .map_err(|e| codes::last_domain(e, domain.as_deref()))?;
        old_users(users)
    }
}

impl LastAdminMutationResolver for AdminApi {
    async fn set_last(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        timestamp: Option<DateTime>,
        status: String,
    ) -> Result<Option<LastActivity>> {
        let user = user.0.to_bare();
        // Second precision, as the user API stores it.
        let seconds = timestamp.map(|t| t.0).unwrap_or_else(Utc::now).timestamp();
        self.state
            .last
            .set(&user, seconds, &status)
            .await
            .map_err(|e| codes::last(e, &user))?;
        Ok(Some(LastActivity {
            user: Jid(user),
            timestamp: time(seconds)?,
            status,
        }))
    }

    async fn remove_old_users(
        &self,
        _ctx: &Context<'_>,
        domain: Option<DomainName>,
        timestamp: DateTime,
    ) -> Result<Option<Vec<OldUser>>> {
        let domain = domain.map(|d| d.0);
        let users = self
            .state
            .remove_old_users(domain.as_deref(), timestamp.0.timestamp())
            .await
            .map_err(|e| codes::last_domain(e, domain.as_deref()))?;
        old_users(users)
    }
}
