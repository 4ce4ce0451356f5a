//! `jabber:iq:roster` (RFC 6121 §2) with versioning (RFC 6121 §2.6, XEP-0237), on the roster
//! service GraphQL uses: its quotas and name bounds, its subscription state machine, and its
//! pushes (the service pushes every committed change, whichever API made it).

use tokio_xmpp::minidom::Element as Xml;

use crate::jid::Jid;
use crate::roster::state::{Ask, Presence};
use crate::roster::{RosterError, item_element};
use crate::state::AppState;
use crate::xml::{Element, Node};

use super::data::{Answer, Refusal};

pub use crate::roster::NS;

/// The stream feature of roster versioning (XEP-0237 §2).
pub const VER_FEATURE: &str = "urn:xmpp:features:rosterver";

pub async fn handle(state: &AppState, me: &Jid, set: bool, query: &Element) -> Answer {
    if set {
        return set_item(state, me, query).await.map(|()| None).into();
    }
    Answer {
        result: get(state, me, query).await,
        roster_requested: true,
        ..Answer::default()
    }
}

/// The roster, or (the client's version is the current one) an empty result.
async fn get(state: &AppState, me: &Jid, query: &Element) -> Result<Option<Element>, Refusal> {
    let (version, items) = state
        .roster
        .list_versioned(&me.to_bare())
        .await
        .map_err(refusal)?;
    let asked = query.attr("ver");
    if asked == Some(version.to_string().as_str()) {
        // RFC 6121 §2.6.3: nothing changed; the pushes that follow bring any change.
        return Ok(None);
    }
    let mut q = Element::new("query").with_attr("xmlns", NS);
    if asked.is_some() {
        q.set_attr("ver", version.to_string());
    }
    q.children
        .extend(items.iter().map(|item| Node::Element(item_element(item))));
    Ok(Some(q))
}

/// A roster set (RFC 6121 §2.3, §2.5): one item, added or updated without touching its
/// subscription, or removed with `subscription='remove'`.
async fn set_item(state: &AppState, me: &Jid, query: &Element) -> Result<(), Refusal> {
    let mut items = query.elements().filter(|e| e.name == "item");
    let (Some(item), None) = (items.next(), items.next()) else {
        return Err(("modify", "bad-request"));
    };
    let contact = item
        .attr("jid")
        .and_then(|j| Jid::parse(j).ok())
        .ok_or(("modify", "jid-malformed"))?;
    let owner = me.to_bare();
    if item.attr("subscription") == Some("remove") {
        return match state.roster.delete(&owner, &contact).await {
            Err(RosterError::ContactNotFound) => Err(("cancel", "item-not-found")),
            other => other.map_err(refusal),
        };
    }
    let mut groups: Vec<String> = Vec::new();
    for g in item.elements().filter(|e| e.name == "group") {
        let name = g.text();
        // RFC 6121 §2.3.3: an empty group is not acceptable, a repeated one a bad request.
        if name.is_empty() {
            return Err(("modify", "not-acceptable"));
        }
        if groups.contains(&name) {
            return Err(("modify", "bad-request"));
        }
        groups.push(name);
    }
    let name = item.attr("name").map(str::to_string);
    state
        .roster
        .add(&owner, &contact, name, Some(groups))
        .await
        .map_err(refusal)
}

/// The stanza error of a roster error (RFC 6121 §2.3.3: bounds on names and groups are
/// `<not-acceptable/>`; a full roster is a `<resource-constraint/>`).
fn refusal(e: RosterError) -> Refusal {
    match e {
        RosterError::UserNotExist(_) => ("cancel", "item-not-found"),
        RosterError::ContactNotFound => ("cancel", "item-not-found"),
        RosterError::InvalidChar(..) | RosterError::TooLong(..) | RosterError::TooManyGroups(_) => {
            ("modify", "not-acceptable")
        }
        RosterError::RosterFull(_)
        | RosterError::ContactRosterFull(_)
        | RosterError::TooManyRosterGroups(_) => ("wait", "resource-constraint"),
        RosterError::Db(err) => {
            tracing::warn!(%err, "roster iq failed");
            ("wait", "internal-server-error")
        }
    }
}

/// A subscription presence from the client (RFC 6121 §3): `subscribe`, `subscribed`,
/// `unsubscribe` or `unsubscribed`, to a bare JID.
pub fn subscription_type(ty: Option<&str>) -> Option<Presence> {
    Some(match ty? {
        "subscribe" => Presence::Subscribe,
        "subscribed" => Presence::Subscribed,
        "unsubscribe" => Presence::Unsubscribe,
        "unsubscribed" => Presence::Unsubscribed,
        _ => return None,
    })
}

/// Applies a client's subscription presence through the roster's state machine, as the
/// GraphQL `subscription(action:)` mutation does: both rosters change in one transaction, the
/// service pushes the items and delivers the presence to the contact's available sessions.
pub async fn subscription(
    state: &AppState,
    me: &Jid,
    to: &Jid,
    p: Presence,
) -> Result<(), Refusal> {
    state
        .roster
        .subscription(&me.to_bare(), &to.to_bare(), p)
        .await
        .map_err(refusal)
}

/// The subscription requests the user has not answered (RFC 6121 §3.1.3: redelivered at each
/// login, at the session's first available presence).
pub async fn pending(state: &AppState, me: &Jid, roster: &[crate::roster::Item]) -> Vec<Xml> {
    let mut requests = Vec::new();
    for i in roster {
        if !matches!(i.state.ask, Ask::In | Ask::Both) {
            continue;
        }
        // Not from a JID a blocklist separates from the user (XEP-0191).
        let blocked = match Jid::parse_any(&i.contact) {
            Ok(from) => state.roster.blocked(&from, me).await.unwrap_or(true),
            Err(_) => true,
        };
        if !blocked {
            requests.push(i);
        }
    }
    requests
        .into_iter()
        .map(|i| {
            Xml::builder("presence", super::CLIENT_NS)
                .attr(name("type"), "subscribe")
                .attr(name("from"), i.contact.clone())
                .attr(name("to"), me.bare_string())
                .build()
        })
        .collect()
}

fn name(n: &'static str) -> tokio_xmpp::minidom::rxml::NcName {
    n.try_into().expect("a valid name")
}
