//! Which sessions receive a stanza, by the XMPP rules (RFC 6121 §8.5) the reference follows.

use super::SessionInfo;
use crate::jid::Jid;
use crate::xml::Element;

/// The sessions of `to`'s user (`sessions`, all of that bare JID) that receive `stanza`:
///
/// * to a full JID: that session; a message to a resource that is not online is handled as if
///   sent to the bare JID, other stanzas are dropped;
/// * to a bare JID: messages of type `headline` go to every session of non-negative priority,
///   other messages to the sessions sharing the highest non-negative priority (an SSE session,
///   priority 1, wins over a default client, priority 0, as in the reference); other stanzas
///   are not delivered to sessions.
pub fn targets<'a>(
    sessions: &'a [SessionInfo],
    to: &Jid,
    stanza: &Element,
) -> Vec<&'a SessionInfo> {
    let is_message = stanza.name == "message";
    if !to.resource().is_empty() {
        if let Some(s) = sessions.iter().find(|s| s.jid.resource() == to.resource()) {
            return vec![s];
        }
        if !is_message {
            return Vec::new();
        }
    }
    if !is_message {
        return Vec::new();
    }
    let available = sessions.iter().filter(|s| s.priority >= 0);
    if stanza.attr("type") == Some("headline") {
        return available.collect();
    }
    let Some(top) = sessions
        .iter()
        .filter(|s| s.priority >= 0)
        .map(|s| s.priority)
        .max()
    else {
        return Vec::new();
    };
    available.filter(|s| s.priority == top).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{SessionId, Transport};
    use super::*;

    fn session(resource: &str, priority: i32) -> SessionInfo {
        SessionInfo {
            id: SessionId(u128::from(resource.len() as u32) << 32 | priority as u32 as u128),
            jid: Jid::parse(&format!("alice@localhost/{resource}")).unwrap(),
            priority,
            node: "n".into(),
            transport: Transport::Sse,
            opened_at: 0,
            peer: None,
            presence: None,
            status: None,
        }
    }

    fn names(t: Vec<&SessionInfo>) -> Vec<&str> {
        t.into_iter().map(|s| s.jid.resource()).collect()
    }

    fn msg(ty: &str) -> Element {
        Element::new("message").with_attr("type", ty)
    }

    #[test]
    fn bare_jid_messages_go_to_the_highest_priority() {
        let all = [
            session("a", 0),
            session("sse-1", 1),
            session("sse-2", 1),
            session("neg", -1),
        ];
        let bare = Jid::parse("alice@localhost").unwrap();
        assert_eq!(
            names(targets(&all, &bare, &msg("chat"))),
            ["sse-1", "sse-2"]
        );
        assert_eq!(
            names(targets(&all, &bare, &msg("headline"))),
            ["a", "sse-1", "sse-2"]
        );
        assert!(targets(&[session("neg", -1)], &bare, &msg("chat")).is_empty());
        assert!(targets(&all, &bare, &Element::new("presence")).is_empty());
    }

    #[test]
    fn full_jid_stanzas_go_to_that_session() {
        let all = [session("a", 0), session("sse-1", 1), session("neg", -1)];
        let to = |r: &str| Jid::parse(&format!("alice@localhost/{r}")).unwrap();
        assert_eq!(names(targets(&all, &to("a"), &msg("chat"))), ["a"]);
        assert_eq!(
            names(targets(&all, &to("neg"), &Element::new("iq"))),
            ["neg"]
        );
        // A message to a resource that is not online falls back to the bare JID.
        assert_eq!(names(targets(&all, &to("gone"), &msg("chat"))), ["sse-1"]);
        assert!(targets(&all, &to("gone"), &Element::new("iq")).is_empty());
    }
}
