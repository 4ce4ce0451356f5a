//! A session as the GraphQL `Session` type shows it. The user and admin APIs generate their
//! own (identical) `Session` types; each includes this file as its `mapping` module beside a
//! `schema_types` alias of its generated module.

use super::schema_types::*;
use crate::sessions::{SessionInfo, Transport};

/// `now`: the time of the request, in microseconds since the epoch (for `uptime`).
pub(super) fn session_out(s: SessionInfo, now: i64) -> Session {
    Session {
        user: Jid(s.jid),
        // No truthful value for SSE and WebSocket sessions (as in the reference).
        connection: (s.transport == Transport::C2s).then(|| "c2s_tls".to_string()),
        ip: s.peer.map(|p| p.ip().to_string()),
        port: s.peer.map(|p| i32::from(p.port())),
        priority: Some(s.priority),
        node: Some(s.node),
        uptime: Some(i32::try_from((now - s.opened_at).max(0) / 1_000_000).unwrap_or(i32::MAX)),
    }
}
