//! `session`: the caller's open sessions (SSE and WebSocket subscriptions, XMPP clients), on
//! every node.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::generated::user::*;
use crate::sessions::{SessionInfo, Transport};

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
                .map(|s| Session {
                    user: Jid(s.jid),
                    // No truthful value for SSE and WebSocket sessions (as in the reference).
                    connection: (s.transport == Transport::C2s).then(|| "c2s_tls".to_string()),
                    ip: s.peer.map(|p| p.ip().to_string()),
                    port: s.peer.map(|p| i32::from(p.port())),
                    priority: Some(s.priority),
                    node: Some(s.node),
                    uptime: Some(
                        i32::try_from((now - s.opened_at).max(0) / 1_000_000).unwrap_or(i32::MAX),
                    ),
                })
                .collect(),
        ))
    }
}
