//! Presence of one XMPP session (RFC 6121 §4) and last activity of users (XEP-0012), on the
//! roster service (who is subscribed), the presence service (delivery on the session registry,
//! on every node) and the last-activity store GraphQL `getLast` reads.

use crate::jid::Jid;
use crate::last::LastError;
use crate::presence::{contacts, receives_from, shares_with, unavailable};
use crate::roster::{Item, RosterError};
use crate::state::AppState;
use crate::xml::Element;

use super::data::Refusal;

/// XEP-0012's namespace.
pub const LAST: &str = "jabber:iq:last";

/// Directed-presence targets a session remembers (RFC 6121 §4.6.3) at most; presence directed
/// to more is delivered, but they get no unavailable presence when the session ends.
pub const MAX_DIRECTED: usize = 1000;

/// What a session's presence reached, to tell when it ends.
#[derive(Default)]
pub struct Sent {
    /// The session sent available presence and no unavailable since.
    pub available: bool,
    /// Where directed available presence went and no unavailable since (full or bare JIDs).
    directed: Vec<Jid>,
    /// The last activity was recorded (an unavailable presence) since the session was last
    /// available.
    recorded: bool,
}

/// The client's presence as others get it: `from` the session's full JID, without `to`.
pub fn stamp(e: &Element, me: &Jid) -> Element {
    let mut p = e.clone();
    p.attrs.retain(|(k, _)| k != "to" && k != "from");
    p.set_attr("from", me.to_string());
    p
}

/// The user's roster, read once for everything one presence change needs (the broadcast, the
/// probes, the pending requests: each read is two queries). Empty when it cannot be read: a
/// removed account's contacts were told by the removal; another failure is logged.
pub async fn roster_of(state: &AppState, me: &Jid) -> Vec<Item> {
    match state.roster.list(&me.to_bare()).await {
        Ok(items) => items,
        Err(RosterError::UserNotExist(_)) => Vec::new(),
        Err(err) => {
            tracing::warn!(%err, "cannot read the roster for presence");
            Vec::new()
        }
    }
}

/// An available presence (initial or updated): to the subscribed contacts (`from`/`both` in
/// `roster`) and the user's own other sessions (RFC 6121 §4.2.2, §4.4.2).
pub async fn broadcast(
    state: &AppState,
    me: &Jid,
    sent: &mut Sent,
    stamped: &Element,
    roster: &[Item],
) {
    sent.available = true;
    sent.recorded = false;
    let users = contacts(roster, shares_with);
    state.presence.broadcast(me, &users, stamped).await;
}

/// The presence a newly available session gets (RFC 6121 §4.2.2, §4.4.2): the last available
/// presence of each session of the contacts the user is subscribed to (`to`/`both` in
/// `roster`) and of the user's other sessions, wherever they are.
pub async fn probe(state: &AppState, me: &Jid, roster: &[Item]) -> Vec<Element> {
    let mut users = contacts(roster, receives_from);
    users.push(me.to_bare());
    state.presence.current(&users, me, Some(me)).await
}

/// A probe the client sent to `to`: answered only when `to`'s user shares its presence with
/// the user (`from`/`both`), or is the user; nothing otherwise (RFC 6121 §4.3.2).
pub async fn probed_by(state: &AppState, me: &Jid, to: &Jid) -> Vec<Element> {
    let (own, target) = (me.to_bare(), to.to_bare());
    let allowed = target == own
        || state
            .roster
            .get(&target, &own)
            .await
            .is_ok_and(|item| shares_with(item.state.sub));
    if !allowed {
        return Vec::new();
    }
    let mut got = state.presence.current(&[target], me, Some(me)).await;
    if !to.resource().is_empty() {
        let from = to.to_string();
        got.retain(|p| p.attr("from") == Some(from.as_str()));
    }
    got
}

/// After the user blocked (`blocked`) or unblocked `jids` (XEP-0191 §3.3, §3.4): presence
/// between the user and the roster contacts they concern ([`Presences::after_block`]).
///
/// [`Presences::after_block`]: crate::presence::Presences::after_block
pub async fn after_block(state: &AppState, me: &Jid, jids: Vec<String>, blocked: bool) {
    let items = match state.roster.list(&me.to_bare()).await {
        Ok(items) => items,
        Err(err) => {
            tracing::warn!(%err, "cannot read the roster after a block");
            return;
        }
    };
    let changed = crate::blocking::list::BlockList::new(jids);
    (state.presence)
        .after_block(me, &items, &changed, blocked)
        .await;
}

/// Directed presence (RFC 6121 §4.6): delivered to `to`; an available one remembered, so that
/// `to` gets the session's unavailable presence when it ends.
pub async fn directed(state: &AppState, me: &Jid, sent: &mut Sent, to: &Jid, e: &Element) {
    let mut stamped = stamp(e, me);
    stamped.set_attr("to", to.to_string());
    state.presence.direct(me, to, &stamped).await;
    if e.attr("type").is_none() {
        if !sent.directed.contains(to) && sent.directed.len() < MAX_DIRECTED {
            sent.directed.push(to.clone());
        }
    } else {
        sent.directed.retain(|j| j != to);
    }
}

/// An unavailable presence (`stamped`, with `status`): the last activity recorded first (so
/// whoever sees the presence reads it), then the presence told ([`tell_gone`]).
pub async fn gone(state: &AppState, me: &Jid, sent: &mut Sent, stamped: &Element, status: &str) {
    let seconds = crate::db::now_micros() / 1_000_000;
    match state.last.set(&me.to_bare(), seconds, status).await {
        Ok(()) | Err(LastError::UserNotFound) => {}
        Err(err) => tracing::warn!(%err, "cannot record the last activity"),
    }
    sent.recorded = true;
    tell_gone(state, me, sent, stamped).await;
}

/// Sends `stamped` (unavailable) to the subscribed contacts and the user's other sessions (if
/// the session was available) and to the directed-presence targets, which are forgotten.
async fn tell_gone(state: &AppState, me: &Jid, sent: &mut Sent, stamped: &Element) {
    let mut users = Vec::new();
    if sent.available {
        sent.available = false;
        users = contacts(&roster_of(state, me).await, shares_with);
        state.presence.broadcast(me, &users, stamped).await;
    }
    for to in std::mem::take(&mut sent.directed) {
        // Subscribers had it with the broadcast.
        if !users.contains(&to.to_bare()) {
            let mut directed = stamped.clone();
            directed.set_attr("to", to.to_string());
            state.presence.direct(me, &to, &directed).await;
        }
    }
}

/// The session ended (the connection ended or dropped, or the session was ended by the
/// account's removal, a password change or a new session of its resource): as an unavailable
/// presence without status, except that the status of an unavailable presence the client sent
/// last is kept as the last activity.
pub async fn ended(state: &AppState, me: &Jid, sent: &mut Sent) {
    let stamped = unavailable(me, None);
    if sent.recorded && !sent.available {
        tell_gone(state, me, sent, &stamped).await;
    } else {
        gone(state, me, sent, &stamped, "").await;
    }
}

/// XEP-0012 last activity of the user `target` (another local user's bare JID): answered to
/// contacts `target` shares its presence with (`from`/`both`), `<forbidden/>` to anyone else
/// (as the reference). Online (a session anywhere): 0 seconds; else the seconds since the last
/// activity recorded and its status.
pub async fn last(state: &AppState, me: &Jid, target: &Jid, set: bool) -> Result<Element, Refusal> {
    if set {
        return Err(("cancel", "not-allowed"));
    }
    let allowed = state
        .roster
        .get(target, &me.to_bare())
        .await
        .is_ok_and(|item| shares_with(item.state.sub));
    if !allowed {
        return Err(("auth", "forbidden"));
    }
    if !state.presence.sessions_of(target).await.is_empty() {
        return Ok(last_query(0, ""));
    }
    match state.last.get(target).await {
        Ok((seconds, status)) => {
            let now = crate::db::now_micros() / 1_000_000;
            Ok(last_query((now - seconds).max(0), &status))
        }
        Err(LastError::NotFound | LastError::UserNotFound) => {
            Err(("cancel", "service-unavailable"))
        }
        Err(err) => {
            tracing::warn!(%err, "cannot read a last activity");
            Err(("wait", "internal-server-error"))
        }
    }
}

/// `<query xmlns='jabber:iq:last' seconds='…'>status</query>`.
pub fn last_query(seconds: i64, status: &str) -> Element {
    let q = Element::new("query")
        .with_attr("xmlns", LAST)
        .with_attr("seconds", seconds.to_string());
    if status.is_empty() {
        q
    } else {
        q.with_text(status)
    }
}
