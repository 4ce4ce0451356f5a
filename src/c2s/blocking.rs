//! XEP-0191 blocking command over XMPP: the blocklist get, block, unblock and unblock-all,
//! answered by the blocking service (`crate::blocking`), which pushes every change to the
//! user's sessions and which the router asks about every stanza.

use tokio_xmpp::minidom::Element as Xml;

use crate::blocking::{BlockingError, NS, list};
use crate::jid::Jid;
use crate::state::AppState;
use crate::xml::Element;

use super::data::{Answer, Refusal};

pub use crate::blocking::{ERRORS_NS, NS as FEATURE};

/// Answers an iq whose payload is `<blocklist/>` (get), `<block/>` or `<unblock/>` (set);
/// `None` for any other payload.
pub async fn handle(state: &AppState, me: &Jid, set: bool, payload: &Element) -> Option<Answer> {
    if payload.attr("xmlns") != Some(NS) {
        return None;
    }
    let owner = me.to_bare();
    match (payload.name.as_str(), set) {
        ("blocklist", false) => Some(Answer {
            result: state
                .blocking
                .list(&owner)
                .await
                .map(|jids| Some(crate::blocking::items_element("blocklist", &jids)))
                .map_err(refusal),
            blocklist_requested: true,
            ..Answer::default()
        }),
        ("block" | "unblock", true) => {
            let items = payload.elements().filter(|e| e.name == "item");
            let Ok(jids) = list::parse_items(items.map(|e| e.attr("jid"))) else {
                return Some(Err(("modify", "jid-malformed")).into());
            };
            let block = payload.name == "block";
            // XEP-0191 §3.3: a block names at least one JID.
            if block && jids.is_empty() {
                return Some(Err(("modify", "bad-request")).into());
            }
            // No item: unblock every JID (XEP-0191 §3.4), those blocked until now.
            let changed = match jids.is_empty() {
                true => state.blocking.list(&owner).await.unwrap_or_default(),
                false => jids.clone(),
            };
            let done = match block {
                true => state.blocking.block(&owner, &jids).await,
                false => state.blocking.unblock(&owner, &jids).await,
            };
            if done.is_ok() {
                super::presence::after_block(state, me, changed, block).await;
            }
            Some(done.map(|()| None).map_err(refusal).into())
        }
        ("blocklist" | "block" | "unblock", _) => Some(Err(("modify", "bad-request")).into()),
        _ => None,
    }
}

fn refusal(e: BlockingError) -> Refusal {
    match e {
        BlockingError::UserNotFound => ("cancel", "item-not-found"),
        // The bound (`[limits] max_blocklist_items`).
        BlockingError::TooMany(_) => ("wait", "resource-constraint"),
        BlockingError::Db(err) => {
            tracing::warn!(%err, "blocking iq failed");
            ("wait", "internal-server-error")
        }
    }
}

/// The error a client gets for a message or iq to a JID it blocks (XEP-0191 §3.7):
/// `<not-acceptable/>` with `<blocked xmlns='urn:xmpp:blocking:errors'/>`.
pub fn blocked_error(original: &Element, me: &Jid) -> Xml {
    let mut reply = Xml::builder(original.name.clone(), super::CLIENT_NS)
        .attr(name("type"), "error")
        .attr(name("to"), me.to_string());
    if let Some(id) = original.attr("id") {
        reply = reply.attr(name("id"), id.to_string());
    }
    if let Some(to) = original.attr("to") {
        reply = reply.attr(name("from"), to.to_string());
    }
    reply
        .append(
            Xml::builder("error", super::CLIENT_NS)
                .attr(name("type"), "cancel")
                .append(Xml::builder("not-acceptable", STANZAS).build())
                .append(Xml::builder("blocked", ERRORS_NS).build())
                .build(),
        )
        .build()
}

const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

fn name(n: &'static str) -> tokio_xmpp::minidom::rxml::NcName {
    n.try_into().expect("a valid name")
}
