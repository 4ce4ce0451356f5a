//! `stat` on the admin API: accounts from the account store, sessions from the session
//! registry (every node's, or this node's).

use async_graphql::{Context, Result};

use super::AdminApi;
use crate::api::codes;
use crate::generated::admin::*;

fn int(n: u64) -> Option<i32> {
    Some(i32::try_from(n).unwrap_or(i32::MAX))
}

impl StatsAdminQueryResolver for AdminApi {
    async fn global_stats(&self, _ctx: &Context<'_>) -> Result<Option<GlobalStats>> {
        let s = self.state.global_stats().await.map_err(codes::stats)?;
        Ok(Some(GlobalStats {
            uptime_seconds: int(s.uptime_secs),
            registered_users: int(s.registered),
            online_users_node: int(s.online_node),
            online_users: int(s.online),
            // mimql has no server-to-server connections.
            incoming_s2_s: Some(0),
            outgoing_s2_s: Some(0),
        }))
    }

    async fn domain_stats(
        &self,
        _ctx: &Context<'_>,
        domain: DomainName,
    ) -> Result<Option<DomainStats>> {
        let s = self
            .state
            .domain_stats(&domain.0)
            .await
            .map_err(codes::stats)?;
        Ok(Some(DomainStats {
            registered_users: int(s.registered),
            online_users: int(s.online),
        }))
    }
}
