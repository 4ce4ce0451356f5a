//! The stanzas the API sends (`sendMessage`, `sendMessageHeadLine`, `sendStanza`), built and
//! checked as the reference does (spec §4.4): the sender rule, the recipient checks, attribute
//! order and generated ids. Pure functions; the router does the sending.

use crate::jid::Jid;
use crate::xml::{self, Element, InvalidChar};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StanzaError {
    /// `from` names another user.
    #[error("sender's JID is different from the user's JID")]
    SpoofedSender,
    /// The stanza's `from` attribute is not a JID.
    #[error("invalid sender JID")]
    InvalidSender,
    #[error("missing recipient JID")]
    NoRecipient,
    #[error("invalid recipient JID")]
    InvalidRecipient,
    /// `sendStanza` without a stanza.
    #[error("no stanza")]
    NoStanza,
    /// A text value holds a character XML cannot carry.
    #[error("{0} holds {1}")]
    InvalidChar(&'static str, InvalidChar),
}

/// A message ready to route.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub sender: Jid,
    pub to: Jid,
    pub id: String,
    pub element: Element,
}

/// A fresh stanza id: 8 random bytes as 16 lowercase hex digits.
pub fn new_id() -> String {
    let bytes: [u8; 8] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sender: `from` when given (same bare JID as the caller, any resource), else the caller
/// as authenticated (with the login's resource, if any).
pub fn sender(user: &Jid, from: Option<&Jid>) -> Result<Jid, StanzaError> {
    match from {
        None => Ok(user.clone()),
        Some(f) if f.to_bare() == user.to_bare() => Ok(f.clone()),
        Some(_) => Err(StanzaError::SpoofedSender),
    }
}

fn check(what: &'static str, s: &str) -> Result<(), StanzaError> {
    xml::check_chars(s).map_err(|c| StanzaError::InvalidChar(what, c))
}

fn message(id: String, ty: &str, sender: &Jid, to: &Jid) -> Element {
    Element::new("message")
        .with_attr("id", id)
        .with_attr("type", ty)
        .with_attr("from", sender.to_string())
        .with_attr("to", to.to_string())
}

fn child(name: &str, text: &str) -> xml::Node {
    let el = if text.is_empty() {
        Element::new(name)
    } else {
        Element::new(name).with_text(text)
    };
    xml::Node::Element(el)
}

/// `sendMessage`: `<message id type='chat' from to><body/></message>`.
pub fn chat(user: &Jid, from: Option<&Jid>, to: &Jid, body: &str) -> Result<Outgoing, StanzaError> {
    let sender = sender(user, from)?;
    check("The body", body)?;
    let id = new_id();
    let mut element = message(id.clone(), "chat", &sender, to);
    element.children.push(child("body", body));
    Ok(Outgoing {
        sender,
        to: to.clone(),
        id,
        element,
    })
}

/// `sendMessageHeadLine`: type `headline`, a subject and a body when given.
pub fn headline(
    user: &Jid,
    from: Option<&Jid>,
    to: &Jid,
    subject: Option<&str>,
    body: Option<&str>,
) -> Result<Outgoing, StanzaError> {
    let sender = sender(user, from)?;
    let id = new_id();
    let mut element = message(id.clone(), "headline", &sender, to);
    if let Some(s) = subject {
        check("The subject", s)?;
        element.children.push(child("subject", s));
    }
    if let Some(b) = body {
        check("The body", b)?;
        element.children.push(child("body", b));
    }
    Ok(Outgoing {
        sender,
        to: to.clone(),
        id,
        element,
    })
}

/// `sendStanza`: any element with a `to`; checked in the reference's order (an unparsable
/// `from`, a missing or unparsable `to`, then the sender rule). The element is kept as given,
/// except that a generated id is put first when it has none; an existing id (even empty) is
/// kept.
pub fn stanza(user: &Jid, element: Option<Element>) -> Result<Outgoing, StanzaError> {
    let mut element = element.ok_or(StanzaError::NoStanza)?;
    let from = match element.attr("from") {
        Some(f) => Some(Jid::parse(f).map_err(|_| StanzaError::InvalidSender)?),
        None => None,
    };
    let to = element.attr("to").ok_or(StanzaError::NoRecipient)?;
    let to = Jid::parse_any(to).map_err(|_| StanzaError::InvalidRecipient)?;
    let sender = sender(user, from.as_ref())?;
    let id = match element.attr("id") {
        Some(id) => id.to_string(),
        None => {
            let id = new_id();
            element.attrs.insert(0, ("id".to_string(), id.clone()));
            id
        }
    };
    Ok(Outgoing {
        sender,
        to,
        id,
        element,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        Jid::parse(s).unwrap()
    }

    #[test]
    fn ids_are_16_hex_digits() {
        let id = new_id();
        assert_eq!(id.len(), 16);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(new_id(), id);
    }

    #[test]
    fn the_sender_is_the_caller_or_one_of_its_resources() {
        let alice = jid("alice@localhost");
        assert_eq!(sender(&alice, None).unwrap(), alice);
        assert_eq!(
            sender(&alice, Some(&jid("Alice@localhost/phone"))).unwrap(),
            jid("alice@localhost/phone")
        );
        assert_eq!(
            sender(&alice, Some(&jid("bob@localhost"))),
            Err(StanzaError::SpoofedSender)
        );
        let with_res = jid("alice@localhost/web");
        assert_eq!(sender(&with_res, None).unwrap(), with_res);
    }

    #[test]
    fn chat_messages_are_built_in_the_reference_order() {
        let m = chat(
            &jid("alice@localhost/r"),
            None,
            &jid("Bob@localhost"),
            "hi & bye",
        )
        .unwrap();
        assert_eq!(
            m.element.to_string(),
            format!(
                "<message id='{}' type='chat' from='alice@localhost/r' to='bob@localhost'><body>hi &amp; bye</body></message>",
                m.id
            )
        );
        let empty = chat(&jid("alice@localhost"), None, &jid("bob@localhost"), "").unwrap();
        assert!(empty.element.to_string().ends_with("<body/></message>"));
        assert!(matches!(
            chat(
                &jid("alice@localhost"),
                None,
                &jid("bob@localhost"),
                "a\u{1}b"
            ),
            Err(StanzaError::InvalidChar(_, _))
        ));
    }

    #[test]
    fn headlines_carry_what_is_given() {
        let a = jid("alice@localhost");
        let b = jid("bob@localhost");
        let none = headline(&a, None, &b, None, None).unwrap();
        assert!(none.element.children.is_empty());
        assert!(none.element.to_string().contains("type='headline'"));
        let both = headline(&a, None, &b, Some("s"), Some("b")).unwrap();
        assert!(
            both.element
                .to_string()
                .ends_with("><subject>s</subject><body>b</body></message>")
        );
    }

    #[test]
    fn stanzas_are_checked_in_order_and_kept() {
        let a = jid("alice@localhost");
        let el = |s: &str| Some(Element::parse(s).unwrap());
        assert_eq!(stanza(&a, None), Err(StanzaError::NoStanza));
        assert_eq!(
            stanza(&a, el("<message from='@x'/>")),
            Err(StanzaError::InvalidSender)
        );
        assert_eq!(stanza(&a, el("<message/>")), Err(StanzaError::NoRecipient));
        assert_eq!(
            stanza(&a, el("<message to='a@'/>")),
            Err(StanzaError::InvalidRecipient)
        );
        assert_eq!(
            stanza(&a, el("<message from='bob@localhost' to='bob@localhost'/>")),
            Err(StanzaError::SpoofedSender)
        );
        let kept = stanza(
            &a,
            el("<message to='bob@localhost' id=''><body>x</body></message>"),
        )
        .unwrap();
        assert_eq!(kept.id, "");
        assert_eq!(
            kept.element.to_string(),
            "<message to='bob@localhost' id=''><body>x</body></message>"
        );
        let generated = stanza(&a, el("<iq to='bob@localhost' type='get'/>")).unwrap();
        assert_eq!(
            generated.element.to_string(),
            format!("<iq id='{}' to='bob@localhost' type='get'/>", generated.id)
        );
        assert_eq!(generated.sender, a);
    }
}
