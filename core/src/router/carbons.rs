//! XEP-0280 message carbons, the router's side: which messages are copied, and the copies
//! (`<received/>` or `<sent/>` around a XEP-0297 `<forwarded/>`) the router hands to the
//! user's other XMPP sessions. Whether a session wants them (it enabled carbons) is the
//! session's own state: it drops the copies it did not ask for.

use crate::archive::MamId;
use crate::jid::Jid;
use crate::xml::{Element, Node};

/// The protocol's namespace (version 2).
pub const NS: &str = "urn:xmpp:carbons:2";
/// Version 1, whose markers are honoured too.
const NS_1: &str = "urn:xmpp:carbons:1";
const FORWARD: &str = "urn:xmpp:forward:0";
const HINTS: &str = "urn:xmpp:hints";
const SID: &str = "urn:xmpp:sid:0";

/// Which way a copied message went, for the user whose sessions get the copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Received,
    Sent,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Received => "received",
            Direction::Sent => "sent",
        }
    }
}

fn has(e: &Element, name: &str, namespaces: &[&str]) -> bool {
    e.elements()
        .any(|c| c.name == name && c.attr("xmlns").is_some_and(|ns| namespaces.contains(&ns)))
}

/// Whether a message is copied (XEP-0280 §6): of type `chat`, or `normal` with a body; not
/// marked `<private/>` (§7) or `<no-copy/>` (XEP-0334), and not a carbon itself.
pub fn eligible(e: &Element) -> bool {
    if e.name != "message"
        || has(e, "private", &[NS, NS_1])
        || has(e, "no-copy", &[HINTS])
        || has(e, "received", &[NS, NS_1])
        || has(e, "sent", &[NS, NS_1])
    {
        return false;
    }
    match e.attr("type").unwrap_or("normal") {
        "chat" => true,
        "normal" => e.elements().any(|c| c.name == "body"),
        _ => false,
    }
}

/// Whether a routed element is a carbon copy from the user's own server (its routing sender
/// is the user's bare JID), which a session forwards only when its client enabled carbons.
pub fn is_copy(sender: &Jid, me: &Jid, e: &Element) -> bool {
    e.name == "message"
        && sender == &me.to_bare()
        && (has(e, "received", &[NS]) || has(e, "sent", &[NS]))
}

/// The copy of `original` (routed from `from`) for the session `to` of `owner`: the original
/// with its `from` (and, when archived, the owner's XEP-0359 `<stanza-id/>`) inside
/// `<forwarded/>` inside `<received/>` or `<sent/>`, from the owner's bare JID (XEP-0280 §5).
pub fn copy(
    direction: Direction,
    owner: &Jid,
    to: &Jid,
    original: &Element,
    from: &Jid,
    archive_id: Option<MamId>,
) -> Element {
    let mut inner = original.clone();
    if inner.attr("from").is_none() {
        inner.set_attr("from", from.to_string());
    }
    if inner.attr("xmlns").is_none() {
        inner
            .attrs
            .insert(0, ("xmlns".to_string(), "jabber:client".to_string()));
    }
    if let Some(id) = archive_id {
        let by = owner.bare_string();
        inner.children.retain(|c| {
            !matches!(c, Node::Element(s) if s.name == "stanza-id" && s.attr("by") == Some(by.as_str()))
        });
        inner.children.push(Node::Element(
            Element::new("stanza-id")
                .with_attr("xmlns", SID)
                .with_attr("by", by)
                .with_attr("id", id.to_base32()),
        ));
    }
    let mut forwarded = Element::new("forwarded").with_attr("xmlns", FORWARD);
    forwarded.children.push(Node::Element(inner));
    let mut marker = Element::new(direction.as_str()).with_attr("xmlns", NS);
    marker.children.push(Node::Element(forwarded));
    let mut wrapper = Element::new("message")
        .with_attr("from", owner.bare_string())
        .with_attr("to", to.to_string())
        .with_attr("type", original.attr("type").unwrap_or("normal"));
    wrapper.children.push(Node::Element(marker));
    wrapper
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Element {
        Element::parse(s).unwrap()
    }

    #[test]
    fn chat_and_normal_with_a_body_are_copied() {
        assert!(eligible(&parse("<message type='chat'/>")));
        assert!(eligible(&parse("<message><body>x</body></message>")));
        assert!(eligible(&parse(
            "<message type='normal'><body>x</body></message>"
        )));
        assert!(!eligible(&parse("<message type='normal'/>")));
        assert!(!eligible(&parse(
            "<message type='headline'><body>x</body></message>"
        )));
        assert!(!eligible(&parse(
            "<message type='groupchat'><body>x</body></message>"
        )));
        assert!(!eligible(&parse(
            "<message type='error'><body>x</body></message>"
        )));
        assert!(!eligible(&parse("<iq type='set'/>")));
    }

    #[test]
    fn private_no_copy_and_carbons_are_not_copied() {
        for m in [
            "<message type='chat'><private xmlns='urn:xmpp:carbons:2'/><body>x</body></message>",
            "<message type='chat'><private xmlns='urn:xmpp:carbons:1'/></message>",
            "<message type='chat'><no-copy xmlns='urn:xmpp:hints'/><body>x</body></message>",
            "<message type='chat'><received xmlns='urn:xmpp:carbons:2'/></message>",
            "<message type='chat'><sent xmlns='urn:xmpp:carbons:2'/></message>",
        ] {
            assert!(!eligible(&parse(m)), "{m}");
        }
        // Another namespace's <private/> is not the marker.
        assert!(eligible(&parse(
            "<message type='chat'><private xmlns='urn:example'/></message>"
        )));
    }

    #[test]
    fn the_copy_forwards_the_original() {
        let owner = Jid::parse("alice@localhost").unwrap();
        let to = Jid::parse("alice@localhost/laptop").unwrap();
        let from = Jid::parse("bob@localhost/phone").unwrap();
        let original =
            parse("<message type='chat' to='alice@localhost' id='m1'><body>hi</body></message>");
        let c = copy(Direction::Received, &owner, &to, &original, &from, None);
        assert_eq!(
            c.to_string(),
            "<message from='alice@localhost' to='alice@localhost/laptop' type='chat'>\
             <received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             <message xmlns='jabber:client' type='chat' to='alice@localhost' id='m1' \
             from='bob@localhost/phone'><body>hi</body></message></forwarded></received></message>"
        );
        assert!(is_copy(&owner, &to, &c));
        assert!(!is_copy(&from, &to, &c));
        assert!(!is_copy(&owner, &to, &original));
    }
}
