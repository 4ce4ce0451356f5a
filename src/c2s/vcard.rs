//! vcard-temp (XEP-0054): the account's own vCard (get and set) and other users' (get), on
//! the vCard service GraphQL `setVcard`/`getVcard` use, with its size bound.

use crate::jid::Jid;
use crate::state::AppState;
use crate::vcard::VcardError;
use crate::xml::Element;

use super::data::{Refusal, To};

pub use crate::vcard::NS;

pub async fn handle(
    state: &AppState,
    me: &Jid,
    to: To<'_>,
    set: bool,
    vcard: &Element,
) -> Result<Option<Element>, Refusal> {
    let owner = match to {
        To::Own => me.to_bare(),
        // XEP-0054 §3.2: only the user's own vCard can be set.
        To::Other(_) if set => return Err(("auth", "forbidden")),
        To::Other(other) => other.to_bare(),
    };
    if set {
        return match state.vcards.set(&owner, vcard).await {
            Ok(_) => Ok(None),
            Err(e) => Err(refusal(e)),
        };
    }
    match state.vcards.get(&owner).await {
        Ok(mut stored) => {
            if stored.attr("xmlns").is_none() {
                stored.set_attr("xmlns", NS);
            }
            Ok(Some(stored))
        }
        // Nothing stored: an empty vCard (XEP-0054 §3.1).
        Err(VcardError::NotFound) => Ok(Some(Element::new("vCard").with_attr("xmlns", NS))),
        Err(e) => Err(refusal(e)),
    }
}

fn refusal(e: VcardError) -> Refusal {
    match e {
        // RFC 6121 §8.5.1: no such account (nor a served domain) is not told apart.
        VcardError::DomainNotFound | VcardError::UserNotFound => ("cancel", "service-unavailable"),
        VcardError::NotFound => ("cancel", "item-not-found"),
        VcardError::InvalidChar(_) | VcardError::TooLarge(_) => ("modify", "not-acceptable"),
        VcardError::Db(err) => {
            tracing::warn!(%err, "vCard iq failed");
            ("wait", "internal-server-error")
        }
    }
}
