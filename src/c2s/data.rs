//! The user's data over XMPP: iqs about the roster (RFC 6121 §2), the vCard (XEP-0054),
//! private XML storage (XEP-0049), another user's last activity (XEP-0012), the blocklist
//! (XEP-0191) and carbons (XEP-0280), each answered by its module through the same domain
//! service as the GraphQL API. The session only dispatches here and sends the answer.

use crate::jid::Jid;
use crate::state::AppState;
use crate::xml::Element;

use super::{blocking, carbons, presence, private, roster, vcard};

/// What disco#info of the server and of the account advertises for these handlers.
pub const FEATURES: [&str; 5] = [
    roster::NS,
    vcard::NS,
    private::NS,
    blocking::FEATURE,
    carbons::NS,
];

/// A stanza error: its type and its defined condition.
pub type Refusal = (&'static str, &'static str);

/// An iq's answer.
pub struct Answer {
    /// The child of the result (none for an empty result), or the error.
    pub result: Result<Option<Element>, Refusal>,
    /// The session asked for the roster: it is an interested resource from now on (RFC 6121
    /// §2.1.6), and gets roster pushes.
    pub roster_requested: bool,
    /// The session asked for the blocklist: it gets blocklist pushes (XEP-0191 §3.3).
    pub blocklist_requested: bool,
    /// The session enabled (`Some(true)`) or disabled message carbons (XEP-0280 §4).
    pub carbons: Option<bool>,
}

impl Default for Answer {
    /// An empty result that changes nothing in the session.
    fn default() -> Answer {
        Answer {
            result: Ok(None),
            roster_requested: false,
            blocklist_requested: false,
            carbons: None,
        }
    }
}

impl From<Result<Option<Element>, Refusal>> for Answer {
    fn from(result: Result<Option<Element>, Refusal>) -> Answer {
        Answer {
            result,
            ..Answer::default()
        }
    }
}

/// Where an iq is addressed, from the session's point of view.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum To<'a> {
    /// No `to`, or the account's own bare JID.
    Own,
    /// Another bare JID (`None` for any other address, or the server).
    Other(&'a Jid),
}

/// Answers an iq get or set whose payload is `payload`, when one of these handlers serves it;
/// `None` otherwise.
pub async fn handle(
    state: &AppState,
    me: &Jid,
    to: To<'_>,
    set: bool,
    payload: &Element,
) -> Option<Answer> {
    if to == Own {
        if let Some(answer) = blocking::handle(state, me, set, payload).await {
            return Some(answer);
        }
        if let Some(answer) = carbons::handle(set, payload) {
            return Some(answer);
        }
    }
    if payload.name != "query" && payload.name != "vCard" {
        return None;
    }
    let ns = payload.attr("xmlns").unwrap_or_default();
    match (payload.name.as_str(), ns) {
        ("query", roster::NS) => Some(match to {
            Own => roster::handle(state, me, set, payload).await,
            // RFC 6121 §2.1.5: a roster is the user's own.
            Other(_) => Err(("auth", "forbidden")).into(),
        }),
        ("vCard", vcard::NS) => Some(vcard::handle(state, me, to, set, payload).await.into()),
        // XEP-0012 to another user; the account's own and the server's are the session's.
        ("query", presence::LAST) => match to {
            Own => None,
            Other(j) => Some(presence::last(state, me, j, set).await.map(Some).into()),
        },
        ("query", private::NS) => Some(match to {
            Own => private::handle(state, me, set, payload).await.into(),
            // XEP-0049 §3: only the user's own storage.
            Other(_) => Err(("cancel", "forbidden")).into(),
        }),
        _ => None,
    }
}

use To::{Other, Own};
