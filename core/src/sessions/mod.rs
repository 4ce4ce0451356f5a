//! Sessions: who is online, and the mailboxes live stanzas are pushed into. A session is an
//! open subscription (SSE or WebSocket; its resource `sse-<uuid>`/`ws-<uuid>`) or an XMPP
//! client's stream (c2s; the resource it bound); it has a full JID, a priority and the node it
//! lives on.
//!
//! [`SessionRegistry`] is the seam for several nodes: this module's [`LocalSessions`] keeps
//! everything in this process; a distributed registry keeps the same view cluster-wide and
//! forwards pushes to the node holding the mailbox. No caller may assume a session lives here.

mod local;
pub mod select;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::mpsc;

pub use local::LocalSessions;

use crate::jid::{Jid, JidError};
use crate::xml::Element;

/// How a session is connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Sse,
    WebSocket,
    /// An XMPP client over TLS (`src/c2s/`).
    C2s,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Sse => "sse",
            Transport::WebSocket => "ws",
            Transport::C2s => "c2s",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u128);

impl SessionId {
    pub fn random() -> SessionId {
        SessionId(rand::random())
    }
}

/// What the registry knows about a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: SessionId,
    /// The full JID.
    pub jid: Jid,
    pub priority: i32,
    pub node: String,
    pub transport: Transport,
    /// When it opened, in microseconds since the epoch.
    pub opened_at: i64,
    /// The client's address, when the transport knows it truthfully (c2s).
    pub peer: Option<std::net::SocketAddr>,
    /// An XMPP client's last available presence (RFC 6121 §4), stamped `from` its full JID:
    /// what a probe of the user answers, on every node. `None` while unavailable (and for SSE
    /// and WebSocket sessions, which send no presence).
    pub presence: Option<Element>,
    /// The presence status an XMPP client's session shows (`None` for SSE and WebSocket
    /// sessions, which have no presence): the admin API's `session` category.
    pub status: Option<Status>,
}

/// The presence status of an XMPP client's session, as the reference's `mod_presence` reports
/// it: `show` is `unavailable` before the first available presence (and after an unavailable
/// one), `available` for an available presence without `<show/>`, else the `<show/>` text;
/// `text` is the `<status/>` text (empty without one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub show: String,
    pub text: String,
}

impl Status {
    /// A c2s session's status before its first presence.
    pub fn unavailable() -> Status {
        Status {
            show: "unavailable".into(),
            text: String::new(),
        }
    }

    /// The status a presence without `to` sets (`None`: a type that does not change it).
    pub fn of_presence(presence: &Element) -> Option<Status> {
        let child = |name: &str| {
            presence
                .elements()
                .find(|c| c.name == name)
                .map(|c| c.text().trim().to_string())
                .unwrap_or_default()
        };
        let show = match presence.attr("type") {
            None => match child("show") {
                s if s.is_empty() => "available".to_string(),
                s => s,
            },
            Some("unavailable") => "unavailable".to_string(),
            Some(_) => return None,
        };
        Some(Status {
            show,
            text: child("status"),
        })
    }
}

/// A stanza on its way to a session: the routing sender and the element as routed.
#[derive(Clone, Debug)]
pub struct Routed {
    pub sender: Jid,
    pub element: Element,
    /// When the router took it, in microseconds since the epoch (for the delivery-lag metric).
    pub routed_at: i64,
    /// The id of the recipient's archive copy (what `getLastMessages` reports as its
    /// `stanza_id`), when the message was archived for a local recipient: XMPP clients get it
    /// as a XEP-0359 `<stanza-id/>`.
    pub archive_id: Option<crate::archive::MamId>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the session registry is unavailable: {0}")]
    Unavailable(String),
    /// A generated resource that resourceprep refused (it never should).
    #[error("generated resource refused: {}", .0.as_str())]
    Resource(JidError),
    /// The user has this many live sessions already (`max_sessions_per_user`).
    #[error("the user has {0} live sessions already")]
    TooMany(usize),
}

/// Who is online and how to reach them, wherever they are.
#[async_trait::async_trait]
pub trait SessionRegistry: Send + Sync {
    /// Registers a session and opens its mailbox; refused with [`SessionError::TooMany`] when
    /// the user has the most live sessions allowed already.
    async fn open(&self, info: SessionInfo) -> Result<mpsc::Receiver<Arc<Routed>>, SessionError>;
    /// Forgets a session (its stream ended). Must not block: it runs from `Drop`.
    fn close(&self, id: SessionId);
    /// Every session of the bare JID `user`, on every node.
    async fn sessions_of(&self, user: &Jid) -> Result<Vec<SessionInfo>, SessionError>;
    /// Every session of each of the bare JIDs `users`, on every node, in one read where the
    /// registry can (a presence broadcast to a whole roster).
    async fn sessions_of_users(&self, users: &[Jid]) -> Result<Vec<SessionInfo>, SessionError> {
        let mut all = Vec::new();
        for user in users {
            all.extend(self.sessions_of(user).await?);
        }
        Ok(all)
    }
    /// Pushes a stanza into the sessions' mailboxes. A mailbox that is full (its client does
    /// not read) is closed: the client reconnects and catches up from the archive.
    async fn push(&self, targets: &[SessionInfo], stanza: Arc<Routed>);
    /// Closes every session of the bare JID `user` (the account was removed).
    async fn close_user(&self, user: &Jid);
    /// How many sessions are open, of the users of `domain` or of everyone, on every node or
    /// (`this_node`) on this one (`stat`).
    async fn count(&self, domain: Option<&str>, this_node: bool) -> Result<u64, SessionError>;
    /// Changes the priority, the last available presence (`None`: unavailable) and the status
    /// of an open session of this node (an XMPP client's presence).
    async fn set_presence(
        &self,
        id: SessionId,
        priority: i32,
        presence: Option<Element>,
        status: Status,
    ) -> Result<(), SessionError>;
    /// Every session of the users of `domain` (of every domain when `None`), on every node.
    async fn all_sessions(&self, domain: Option<&str>) -> Result<Vec<SessionInfo>, SessionError>;
    /// Ends the session `old` on whichever node holds it (a new session bound its resource):
    /// its mailbox is closed there, so its transport ends it as replaced, and the registry
    /// stops listing and counting it before this returns.
    async fn end(&self, old: &SessionInfo);
}

/// Pushes `element`, from `sender`, to the XMPP client (c2s) sessions of the bare JID `user`
/// that `keep` accepts, wherever they are: what the server itself tells a user's clients
/// (roster and blocklist pushes, subscription presences). A registry that cannot be reached is
/// logged with `what` and the stanza is lost.
pub async fn push_to_clients(
    registry: &dyn SessionRegistry,
    user: &Jid,
    sender: &Jid,
    element: Element,
    keep: impl Fn(&SessionInfo) -> bool,
    what: &str,
) {
    let targets: Vec<SessionInfo> = match registry.sessions_of(user).await {
        Ok(all) => all
            .into_iter()
            .filter(|s| s.transport == Transport::C2s && keep(s))
            .collect(),
        Err(err) => {
            tracing::warn!(%err, "cannot deliver {what}");
            return;
        }
    };
    if targets.is_empty() {
        return;
    }
    let routed = Routed {
        sender: sender.clone(),
        element,
        routed_at: crate::db::now_micros(),
        archive_id: None,
    };
    registry.push(&targets, Arc::new(routed)).await;
}

/// An open session's stream of stanzas; closes the session when dropped.
pub struct LiveSession {
    pub info: SessionInfo,
    rx: mpsc::Receiver<Arc<Routed>>,
    registry: Arc<dyn SessionRegistry>,
    _open: crate::metrics::Raised,
}

impl LiveSession {
    /// Opens a session of the user `user` on the node `node`, arriving over `transport`: a
    /// fresh resource ([`resource`]) and priority 1.
    pub async fn open(
        registry: Arc<dyn SessionRegistry>,
        user: &Jid,
        node: String,
        transport: Transport,
    ) -> Result<LiveSession, SessionError> {
        let info = SessionInfo {
            id: SessionId::random(),
            jid: user
                .with_resource(&resource(transport))
                .map_err(SessionError::Resource)?,
            priority: 1,
            node,
            transport,
            opened_at: crate::db::now_micros(),
            peer: None,
            presence: None,
            status: None,
        };
        LiveSession::open_as(registry, info).await
    }

    /// Opens the session `info` describes (a transport that chooses its resource, priority
    /// and address itself: c2s).
    pub async fn open_as(
        registry: Arc<dyn SessionRegistry>,
        info: SessionInfo,
    ) -> Result<LiveSession, SessionError> {
        let rx = registry.open(info.clone()).await?;
        let _open = crate::metrics::session_open(info.transport.as_str());
        Ok(LiveSession {
            info,
            rx,
            registry,
            _open,
        })
    }
}

impl Stream for LiveSession {
    type Item = Arc<Routed>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for LiveSession {
    fn drop(&mut self) {
        self.registry.close(self.info.id);
    }
}

/// The namespace of the notice a kicked session gets before its mailbox closes.
const KICK_NS: &str = "urn:mimql:session:kick";

/// The reason a kick gives when the admin gives none (the reference's words).
pub const DEFAULT_KICK_REASON: &str = "Kicked by administrator";

/// Ends `session` wherever it lives (the admin's `kickUser`): its transport first gets a notice
/// with the reason (an XMPP client's stream ends with it; SSE and WebSocket subscriptions just
/// end), then its mailbox closes and no node lists or routes to it any more.
pub async fn kick(registry: &dyn SessionRegistry, session: &SessionInfo, reason: &str) {
    let notice = Routed {
        sender: Jid::from_normalized("", session.jid.domain()),
        element: Element::new("kicked")
            .with_attr("xmlns", KICK_NS)
            .with_attr("reason", reason),
        routed_at: crate::db::now_micros(),
        archive_id: None,
    };
    registry
        .push(std::slice::from_ref(session), Arc::new(notice))
        .await;
    registry.end(session).await;
}

/// Pushes `element` into `session`'s mailbox as sent by the session itself (the admin's
/// `setPresence`: an XMPP client's session takes a presence from its own full JID to its bare
/// JID as its own, then its client sees it).
pub async fn push_on_behalf(
    registry: &dyn SessionRegistry,
    session: &SessionInfo,
    element: Element,
) {
    let routed = Routed {
        sender: session.jid.clone(),
        element,
        routed_at: crate::db::now_micros(),
        archive_id: None,
    };
    registry
        .push(std::slice::from_ref(session), Arc::new(routed))
        .await;
}

/// The reason of a kick notice ([`kick`]); `None` for any other stanza (only the server
/// routes from a bare domain).
pub fn kick_reason(routed: &Routed) -> Option<&str> {
    let e = &routed.element;
    (e.name == "kicked" && e.attr("xmlns") == Some(KICK_NS) && routed.sender.node().is_empty())
        .then(|| e.attr("reason").unwrap_or(DEFAULT_KICK_REASON))
}

/// A new session's resource: `sse-<uuid>` as in the reference (`ws-<uuid>` for WebSocket).
pub fn resource(transport: Transport) -> String {
    let bytes: [u8; 16] = rand::random();
    let mut b = bytes;
    // UUID version 4, RFC 4122 variant.
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}-{}",
        transport.as_str(),
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presence_sets_the_status_the_reference_reports() {
        let status = |xml: &str| Status::of_presence(&Element::parse(xml).unwrap());
        let st = |show: &str, text: &str| {
            Some(Status {
                show: show.into(),
                text: text.into(),
            })
        };
        assert_eq!(status("<presence/>"), st("available", ""));
        assert_eq!(
            status("<presence><show>dnd</show><status>Busy</status></presence>"),
            st("dnd", "Busy")
        );
        assert_eq!(
            status("<presence type='unavailable'><status>Off</status></presence>"),
            st("unavailable", "Off")
        );
        assert_eq!(status("<presence type='subscribe'/>"), None);
    }

    #[test]
    fn resources_are_uuid_v4() {
        let r = resource(Transport::Sse);
        let uuid = r.strip_prefix("sse-").unwrap();
        let parts: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
        assert!(
            uuid.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert!(resource(Transport::WebSocket).starts_with("ws-"));
    }
}
