//! Private XML storage (XEP-0049), on the store GraphQL `setPrivate`/`getPrivate` use, with its
//! quota and its exact round trip of the element.

use crate::jid::Jid;
use crate::private::PrivateError;
use crate::state::AppState;
use crate::xml::{Element, Node};

use super::data::Refusal;

pub const NS: &str = "jabber:iq:private";

pub async fn handle(
    state: &AppState,
    me: &Jid,
    set: bool,
    query: &Element,
) -> Result<Option<Element>, Refusal> {
    let owner = me.to_bare();
    let children: Vec<&Element> = query.elements().collect();
    // XEP-0049 §2: one child (get); a set may store several namespaces.
    match (set, children.len()) {
        (_, 0) | (false, 2..) => return Err(("modify", "bad-request")),
        _ => {}
    }
    for child in &children {
        let ns = child.attr("xmlns").unwrap_or_default();
        if ns.is_empty() {
            return Err(("modify", "bad-request"));
        }
        // XEP-0049 §3: the protocol's own namespaces.
        if crate::private::is_reserved(ns) {
            return Err(("modify", "not-acceptable"));
        }
    }
    if set {
        for child in children {
            state.private.set(&owner, child).await.map_err(refusal)?;
        }
        return Ok(None);
    }
    let asked = children[0];
    let ns = asked.attr("xmlns").unwrap_or_default();
    let stored = state.private.get(&owner, ns).await.map_err(refusal)?;
    let mut q = Element::new("query").with_attr("xmlns", NS);
    // Nothing stored: the element as asked (XEP-0049 §2.3).
    q.children
        .push(Node::Element(stored.unwrap_or_else(|| asked.clone())));
    Ok(Some(q))
}

fn refusal(e: PrivateError) -> Refusal {
    match e {
        PrivateError::NoNamespace | PrivateError::InvalidElement(_) => ("modify", "bad-request"),
        PrivateError::ReservedNamespace(_)
        | PrivateError::InvalidChar(_)
        | PrivateError::InvalidNamespace(_) => ("modify", "not-acceptable"),
        PrivateError::QuotaExceeded(_) => ("wait", "resource-constraint"),
        PrivateError::UserNotFound => ("cancel", "service-unavailable"),
        PrivateError::Db(err) => {
            tracing::warn!(%err, "private storage iq failed");
            ("wait", "internal-server-error")
        }
    }
}
