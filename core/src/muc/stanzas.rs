//! The messages MUC rooms send: group chat from `room@service/<nick>`, private messages with
//! the MUC user element, and direct invitations (XEP-0249). Attributes come in the order the
//! reference writes them (`to`, `id`, `type`, `from`).

use sea_orm::DbErr;

use crate::jid::Jid;
use crate::xml::{Element, Node};

pub const NS_MUC_USER: &str = "http://jabber.org/protocol/muc#user";
pub const NS_CONFERENCE: &str = "jabber:x:conference";
pub const NS_STANZA_ID: &str = "urn:xmpp:sid:0";

/// `room@service/nick`.
pub fn occupant_jid(room: &Jid, nick: &str) -> Result<Jid, DbErr> {
    room.with_resource(nick)
        .map_err(|e| DbErr::Custom(format!("occupant address {room}/{nick}: {}", e.as_str())))
}

fn body(text: &str) -> Node {
    Node::Element(Element::new("body").with_text(text))
}

/// A group chat message as the room archives it: no `to`.
pub fn groupchat(id: &str, from: &Jid, text: &str) -> Element {
    Element {
        name: "message".to_string(),
        attrs: vec![
            ("id".to_string(), id.to_string()),
            ("type".to_string(), "groupchat".to_string()),
            ("from".to_string(), from.to_string()),
        ],
        children: vec![body(text)],
    }
}

/// The message as delivered to `to`: `to` first, and the room archive's id when it was kept.
pub fn addressed(msg: &Element, to: &Jid, archived: Option<(&Jid, &str)>) -> Element {
    let mut out = msg.clone();
    out.attrs.insert(0, ("to".to_string(), to.to_string()));
    if let Some((room, id)) = archived {
        out.children.push(Node::Element(
            Element::new("stanza-id")
                .with_attr("by", room.bare_string())
                .with_attr("id", id)
                .with_attr("xmlns", NS_STANZA_ID),
        ));
    }
    out
}

/// The presence that tells the occupant `to` (its real JID) the room was destroyed, from its
/// own occupant JID `from` (XEP-0045 §10.9).
pub fn destroyed(from: &Jid, to: &Jid, reason: &str) -> Element {
    let mut destroy = Element::new("destroy");
    if !reason.is_empty() {
        destroy = destroy.with_child(Element::new("reason").with_text(reason));
    }
    Element {
        name: "presence".to_string(),
        attrs: vec![
            ("to".to_string(), to.to_string()),
            ("type".to_string(), "unavailable".to_string()),
            ("from".to_string(), from.to_string()),
        ],
        children: vec![Node::Element(
            Element::new("x")
                .with_attr("xmlns", NS_MUC_USER)
                .with_child(
                    Element::new("item")
                        .with_attr("affiliation", "none")
                        .with_attr("role", "none"),
                )
                .with_child(destroy),
        )],
    }
}

/// A private message from an occupant (`from` = `room/nick`) to another's real JID.
pub fn private(id: &str, from: &Jid, to: &Jid, text: &str) -> Element {
    Element {
        name: "message".to_string(),
        attrs: vec![
            ("to".to_string(), to.to_string()),
            ("id".to_string(), id.to_string()),
            ("type".to_string(), "chat".to_string()),
            ("from".to_string(), from.to_string()),
        ],
        children: vec![
            body(text),
            Node::Element(Element::new("x").with_attr("xmlns", NS_MUC_USER)),
        ],
    }
}

/// A direct invitation to `room`, with the room's password when it has one.
pub fn invitation(
    from: &Jid,
    to: &Jid,
    room: &Jid,
    reason: &str,
    password: Option<&str>,
) -> Element {
    let mut x = Element::new("x")
        .with_attr("xmlns", NS_CONFERENCE)
        .with_attr("jid", room.bare_string())
        .with_attr("reason", reason);
    if let Some(p) = password {
        x = x.with_attr("password", p);
    }
    Element {
        name: "message".to_string(),
        attrs: vec![
            ("to".to_string(), to.to_string()),
            ("id".to_string(), crate::stanza::new_id()),
            ("from".to_string(), from.to_string()),
        ],
        children: vec![Node::Element(x)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        Jid::parse(s).unwrap()
    }

    #[test]
    fn messages() {
        let room = jid("r@muc.localhost");
        let from = occupant_jid(&room, "Al").unwrap();
        let m = groupchat("i", &from, "Hi & bye");
        assert_eq!(
            addressed(&m, &jid("bob@localhost/res"), Some((&room, "ABC"))).to_string(),
            "<message to='bob@localhost/res' id='i' type='groupchat' from='r@muc.localhost/Al'>\
             <body>Hi &amp; bye</body>\
             <stanza-id by='r@muc.localhost' id='ABC' xmlns='urn:xmpp:sid:0'/></message>"
        );
        assert_eq!(
            private("i", &from, &jid("bob@localhost"), "psst").to_string(),
            "<message to='bob@localhost' id='i' type='chat' from='r@muc.localhost/Al'>\
             <body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>"
        );
        let inv = invitation(
            &jid("a@localhost"),
            &jid("b@localhost"),
            &room,
            "r",
            Some("pw"),
        );
        let x = inv.elements().next().unwrap();
        assert_eq!(x.attr("xmlns"), Some(NS_CONFERENCE));
        assert_eq!(x.attr("jid"), Some("r@muc.localhost"));
        assert_eq!(x.attr("password"), Some("pw"));
    }
}
