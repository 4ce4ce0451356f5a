//! `session`: the caller's open sessions (SSE and WebSocket subscriptions, XMPP clients), on
//! every node.

use async_graphql::{Context, Result};

mod mapping;

use super::{UserApi, caller, codes};
/// The generated types `mapping` converts (see there).
use crate::generated::user as schema_types;
use crate::generated::user::*;
use crate::sessions::SessionInfo;

impl UserApi {
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<SessionInfo>> {
        let user = caller(ctx)?;
        Ok(self
            .state
            .sessions
            .sessions_of(&user.to_bare())
            .await
            .map_err(codes::sessions)?)
    }
}

impl SessionUserQueryResolver for UserApi {
    async fn list_resources(&self, ctx: &Context<'_>) -> Result<Option<Vec<ResourceName>>> {
        let sessions = self.sessions(ctx).await?;
        Ok(Some(
            sessions
                .into_iter()
                .map(|s| ResourceName(s.jid.resource().to_string()))
                .collect(),
        ))
    }

    async fn count_resources(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let n = self.sessions(ctx).await?.len();
        Ok(Some(i32::try_from(n).unwrap_or(i32::MAX)))
    }

    async fn list_sessions(&self, ctx: &Context<'_>) -> Result<Option<Vec<Session>>> {
        let now = crate::db::now_micros();
        let sessions = self.sessions(ctx).await?;
        Ok(Some(
            sessions
                .into_iter()
                .map(|s| mapping::session_out(s, now))
                .collect(),
        ))
    }
}
