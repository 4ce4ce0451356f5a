//! The messages a MUC Light room sends, in the reference's modern syntax: group chat messages
//! from `room@service/<author's bare JID>`, and notifications from the room itself for changes
//! of affiliations and configuration and for the room's end. Every one is a `groupchat`
//! message with an empty `<body/>`, so archives and inboxes keep notifications too. Attributes
//! come in the reference's order (`to`, `id`, `type`, `from`).

use super::config::RoomConfig;
use crate::jid::Jid;
use crate::xml::{Element, Node};

pub const NS_MUC_LIGHT: &str = "urn:xmpp:muclight:0";
pub const NS_AFFILIATIONS: &str = "urn:xmpp:muclight:0#affiliations";
pub const NS_CONFIGURATION: &str = "urn:xmpp:muclight:0#configuration";
pub const NS_DESTROY: &str = "urn:xmpp:muclight:0#destroy";
pub const NS_STANZA_ID: &str = "urn:xmpp:sid:0";

fn el(name: &str, children: Vec<Node>) -> Node {
    Node::Element(Element {
        name: name.to_string(),
        attrs: Vec::new(),
        children,
    })
}

/// `<name>text</name>` (`<name/>` when empty).
fn text_el(name: &str, text: &str) -> Node {
    let children = if text.is_empty() {
        Vec::new()
    } else {
        vec![Node::Text(text.to_string())]
    };
    el(name, children)
}

fn x(ns: &str, children: Vec<Node>) -> Node {
    Node::Element(Element {
        name: "x".to_string(),
        attrs: vec![("xmlns".to_string(), ns.to_string())],
        children,
    })
}

/// A message as the room archives it: no `to`.
pub fn message(id: &str, from: &Jid, children: Vec<Node>) -> Element {
    Element {
        name: "message".to_string(),
        attrs: vec![
            ("id".to_string(), id.to_string()),
            ("type".to_string(), "groupchat".to_string()),
            ("from".to_string(), from.to_string()),
        ],
        children,
    }
}

/// A user's message to the room: its body.
pub fn body(text: &str) -> Vec<Node> {
    vec![text_el("body", text)]
}

/// A change of affiliations (`None` = left the room). `version`/`prev_version` are included
/// when given, as the reference does for each kind of recipient.
pub fn affiliations(
    prev_version: Option<&str>,
    version: Option<&str>,
    users: &[(Jid, Option<&str>)],
) -> Vec<Node> {
    let mut items = Vec::new();
    if let Some(p) = prev_version {
        items.push(text_el("prev-version", p));
    }
    if let Some(v) = version {
        items.push(text_el("version", v));
    }
    for (jid, aff) in users {
        items.push(Node::Element(Element {
            name: "user".to_string(),
            attrs: vec![("affiliation".to_string(), aff.unwrap_or("none").to_string())],
            children: vec![Node::Text(jid.bare_string())],
        }));
    }
    vec![x(NS_AFFILIATIONS, items), text_el("body", "")]
}

/// A change of configuration: the keys given, with their new values.
pub fn configuration(prev_version: &str, version: &str, changed: &RoomConfig) -> Vec<Node> {
    let mut items = vec![
        text_el("prev-version", prev_version),
        text_el("version", version),
    ];
    items.extend(changed.iter().map(|(k, v)| text_el(k, v)));
    vec![x(NS_CONFIGURATION, items), text_el("body", "")]
}

/// The room's end, as each occupant is told: the room is destroyed and they are out.
pub fn destroyed(user: &Jid) -> Vec<Node> {
    let mut children = vec![x(NS_DESTROY, Vec::new())];
    children.extend(affiliations(None, None, &[(user.clone(), None)]));
    children
}

/// The message as delivered to `to`: `to` first, and the room archive's id when it was kept.
pub fn addressed(msg: &Element, to: &Jid, archived: Option<(&Jid, &str)>) -> Element {
    let mut out = msg.clone();
    out.attrs.insert(0, ("to".to_string(), to.bare_string()));
    if let Some((room, id)) = archived {
        out.children.push(Node::Element(Element {
            name: "stanza-id".to_string(),
            attrs: vec![
                ("by".to_string(), room.bare_string()),
                ("id".to_string(), id.to_string()),
                ("xmlns".to_string(), NS_STANZA_ID.to_string()),
            ],
            children: Vec::new(),
        }));
    }
    out
}

/// A room version: the time as the reference writes it (`<megasecs>-<secs>-<microsecs>`); room
/// ids generated for createRoom without an id have the same form.
pub fn time_id(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    format!(
        "{}-{}-{}",
        secs / 1_000_000,
        secs % 1_000_000,
        micros.rem_euclid(1_000_000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        Jid::parse(s).unwrap()
    }

    #[test]
    fn a_message_as_sent_and_as_archived() {
        let from = jid("r@muclight.localhost/alice@localhost");
        let m = message("id1", &from, body("Hi & bye"));
        assert_eq!(
            m.to_string(),
            "<message id='id1' type='groupchat' from='r@muclight.localhost/alice@localhost'>\
             <body>Hi &amp; bye</body></message>"
        );
        let room = jid("r@muclight.localhost");
        assert_eq!(
            addressed(&m, &jid("bob@localhost"), Some((&room, "ABC"))).to_string(),
            "<message to='bob@localhost' id='id1' type='groupchat' \
             from='r@muclight.localhost/alice@localhost'><body>Hi &amp; bye</body>\
             <stanza-id by='r@muclight.localhost' id='ABC' xmlns='urn:xmpp:sid:0'/></message>"
        );
    }

    #[test]
    fn notifications() {
        let room = jid("r@muclight.localhost");
        let m = message(
            "i",
            &room,
            affiliations(
                Some("1-2-3"),
                Some("1-2-4"),
                &[(jid("bob@localhost"), Some("member"))],
            ),
        );
        assert_eq!(
            m.to_string(),
            "<message id='i' type='groupchat' from='r@muclight.localhost'>\
             <x xmlns='urn:xmpp:muclight:0#affiliations'><prev-version>1-2-3</prev-version>\
             <version>1-2-4</version><user affiliation='member'>bob@localhost</user></x>\
             <body/></message>"
        );
        let changed: RoomConfig = [("roomname".to_string(), "New".to_string())].into();
        assert_eq!(
            message("i", &room, configuration("1", "2", &changed)).to_string(),
            "<message id='i' type='groupchat' from='r@muclight.localhost'>\
             <x xmlns='urn:xmpp:muclight:0#configuration'><prev-version>1</prev-version>\
             <version>2</version><roomname>New</roomname></x><body/></message>"
        );
        assert_eq!(
            message("i", &room, destroyed(&jid("bob@localhost"))).to_string(),
            "<message id='i' type='groupchat' from='r@muclight.localhost'>\
             <x xmlns='urn:xmpp:muclight:0#destroy'/>\
             <x xmlns='urn:xmpp:muclight:0#affiliations'>\
             <user affiliation='none'>bob@localhost</user></x><body/></message>"
        );
    }

    #[test]
    fn time_ids() {
        assert_eq!(time_id(1_675_123_456_789_012), "1675-123456-789012");
        assert_eq!(time_id(1_000_000_000_000_007), "1000-0-7");
    }
}
