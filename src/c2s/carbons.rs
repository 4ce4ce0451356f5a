//! XEP-0280 message carbons, the session's side: `<enable/>` and `<disable/>` (per session, off
//! at the start of every session), and whether a copy the router handed to the session goes
//! to its client. The router makes the copies ([`crate::router::carbons`]); GraphQL SSE and
//! WebSocket sessions are not devices for carbons: they get no copies.

use crate::jid::Jid;
use crate::sessions::Routed;
use crate::xml::Element;

use super::data::Answer;

pub use crate::router::carbons::NS;

/// Answers `<enable/>` or `<disable/>` (an iq set); `None` for any other payload.
pub fn handle(set: bool, payload: &Element) -> Option<Answer> {
    if payload.attr("xmlns") != Some(NS) {
        return None;
    }
    let enable = match payload.name.as_str() {
        "enable" => true,
        "disable" => false,
        _ => return None,
    };
    if !set {
        return Some(Err(("modify", "bad-request")).into());
    }
    Some(Answer {
        carbons: Some(enable),
        ..Answer::default()
    })
}

/// Whether a routed stanza goes to the client of the session `me`: anything but a carbon copy,
/// and copies only when the client enabled carbons.
pub fn wanted(routed: &Routed, me: &Jid, enabled: bool) -> bool {
    enabled || !crate::router::carbons::is_copy(&routed.sender, me, &routed.element)
}
