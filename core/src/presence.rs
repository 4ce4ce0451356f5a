//! Presence (RFC 6121 §4): who gets a user's presence and whose presence a user gets, on the
//! session registry. A session's last available presence (the stanza, `from` its full JID) is
//! kept in the registry ([`SessionInfo::presence`]), so probes answer it on every node; stanzas
//! go through the registry's delivery, which reaches sessions held by other nodes.
//!
//! The rules on roster items are pure functions here; which roster is read, and when, is the
//! caller's (the c2s session, the roster service after a subscription change).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::jid::Jid;
use crate::roster::Item;
use crate::roster::state::{Presence, Sub};
use crate::sessions::{Routed, SessionInfo, SessionRegistry, Transport};
use crate::xml::Element;

/// Whether the owner of an item with subscription `sub` sends its presence to the contact (the
/// contact is subscribed to the owner: `from` or `both`).
pub fn shares_with(sub: Sub) -> bool {
    matches!(sub, Sub::From | Sub::Both)
}

/// Whether the owner of an item with subscription `sub` gets the contact's presence (the owner
/// is subscribed to the contact: `to` or `both`): probed when the owner becomes available.
pub fn receives_from(sub: Sub) -> bool {
    matches!(sub, Sub::To | Sub::Both)
}

/// The contacts of roster `items` (bare JIDs) for which `rule` holds.
pub fn contacts(items: &[Item], rule: fn(Sub) -> bool) -> Vec<Jid> {
    items
        .iter()
        .filter(|i| rule(i.state.sub))
        .filter_map(|i| Jid::parse(&i.contact).ok().map(|j| j.to_bare()))
        .collect()
}

/// An unavailable presence from `from`, with a `<status/>` when given.
pub fn unavailable(from: &Jid, status: Option<&str>) -> Element {
    let mut e = Element::new("presence")
        .with_attr("type", "unavailable")
        .with_attr("from", from.to_string());
    if let Some(status) = status.filter(|s| !s.is_empty()) {
        e.children.push(crate::xml::Node::Element(
            Element::new("status").with_text(status),
        ));
    }
    e
}

/// A session that gets presence: an XMPP client's that sent available presence.
pub fn receives(s: &SessionInfo) -> bool {
    s.transport == Transport::C2s && s.presence.is_some()
}

/// Presence delivery on the session registry.
pub struct Presences {
    sessions: Arc<dyn SessionRegistry>,
    blocking: Option<Arc<crate::blocking::Blocking>>,
}

impl Presences {
    pub fn new(sessions: Arc<dyn SessionRegistry>) -> Presences {
        Presences {
            sessions,
            blocking: None,
        }
    }

    /// Applies the users' blocklists (XEP-0191) to every presence handed out.
    pub fn with_blocking(mut self, blocking: Arc<crate::blocking::Blocking>) -> Presences {
        self.blocking = Some(blocking);
        self
    }

    /// Whether presence of `from` may reach `to` (full or bare JIDs). Every presence
    /// this service hands out passes here: [`Presences::send`] for stanzas to other sessions,
    /// [`Presences::current`] for probe answers.
    async fn allowed(&self, from: &Jid, to: &Jid) -> bool {
        // XEP-0191: not when `from` blocked `to` (the blocker's presence is not sent to the
        // blocked) or `to` blocked `from`. A blocklist that cannot be read withholds it.
        let Some(blocking) = &self.blocking else {
            return true;
        };
        match blocking.between(from, to).await {
            Ok(blocked) => blocked.is_none(),
            Err(err) => {
                tracing::warn!(%err, "cannot read a blocklist; a presence is not delivered");
                false
            }
        }
    }

    /// Every presence stanza to another session goes through here: `element` from `from` to
    /// `targets`, sessions of one user (the registry delivers per user), wherever they are.
    pub async fn send(&self, from: &Jid, targets: &[SessionInfo], element: &Element) {
        let Some(first) = targets.first() else {
            return;
        };
        if !self.allowed(from, &first.jid).await {
            return;
        }
        self.deliver(from, targets, element).await;
    }

    /// Delivers without the blocklists' check: only for the presences a block or unblock
    /// itself sends ([`Presences::after_block`]).
    async fn deliver(&self, from: &Jid, targets: &[SessionInfo], element: &Element) {
        if targets.is_empty() {
            return;
        }
        let routed = Routed {
            sender: from.clone(),
            element: element.clone(),
            routed_at: crate::db::now_micros(),
            archive_id: None,
        };
        self.sessions.push(targets, Arc::new(routed)).await;
    }

    /// The sessions of the bare JID `user` (none when the registry cannot be read: presence is
    /// best effort, the next broadcast or probe corrects it).
    pub async fn sessions_of(&self, user: &Jid) -> Vec<SessionInfo> {
        match self.sessions.sessions_of(user).await {
            Ok(s) => s,
            Err(err) => {
                tracing::warn!(%err, "cannot read the sessions of a presence's recipient");
                Vec::new()
            }
        }
    }

    /// The sessions of `user` that get presence.
    async fn receiving(&self, user: &Jid) -> Vec<SessionInfo> {
        let mut s = self.sessions_of(user).await;
        s.retain(receives);
        s
    }

    /// The sessions of each of the bare JIDs `users`, per user (in one read of the registry;
    /// none when it cannot be read, as [`Presences::sessions_of`]).
    async fn sessions_by_user(&self, users: &[Jid]) -> BTreeMap<Jid, Vec<SessionInfo>> {
        let mut by_user: BTreeMap<Jid, Vec<SessionInfo>> = BTreeMap::new();
        let mut users = users.to_vec();
        users.sort_unstable();
        users.dedup();
        match self.sessions.sessions_of_users(&users).await {
            Ok(all) => {
                for s in all {
                    by_user.entry(s.jid.to_bare()).or_default().push(s);
                }
            }
            Err(err) => tracing::warn!(%err, "cannot read the sessions of presence recipients"),
        }
        by_user
    }

    /// A session's presence broadcast (RFC 6121 §4.2.2, §4.4.2, §4.5.2): `element` from the full
    /// JID `from` to the sessions that get presence of each of `users` (bare JIDs) and of
    /// `from`'s own user, except `from`'s own session.
    pub async fn broadcast(&self, from: &Jid, users: &[Jid], element: &Element) {
        let own = from.to_bare();
        let mut all: Vec<Jid> = users.iter().filter(|u| **u != own).cloned().collect();
        all.push(own);
        for (_, mut targets) in self.sessions_by_user(&all).await {
            targets.retain(|s| receives(s) && s.jid != *from);
            self.send(from, &targets, element).await;
        }
    }

    /// Directed presence (RFC 6121 §4.6) from `from` to `to`: a bare JID reaches the user's
    /// sessions that get presence, a full JID that session (if it is one of an XMPP client);
    /// anything else is dropped (§8.5.3.1).
    pub async fn direct(&self, from: &Jid, to: &Jid, element: &Element) {
        let mut targets = self.sessions_of(&to.to_bare()).await;
        if to.resource().is_empty() {
            targets.retain(receives);
        } else {
            targets.retain(|s| s.jid == *to && s.transport == Transport::C2s);
        }
        self.send(from, &targets, element).await;
    }

    /// The last available presence of each session of the bare JIDs `users` but `except`, as
    /// the session `viewer` may see it (a probe's answer).
    pub async fn current(&self, users: &[Jid], viewer: &Jid, except: Option<&Jid>) -> Vec<Element> {
        let mut got = Vec::new();
        for (user, sessions) in self.sessions_by_user(users).await {
            if !self.allowed(&user, viewer).await {
                continue;
            }
            let shown = sessions.into_iter().filter(|s| Some(&s.jid) != except);
            got.extend(shown.filter_map(|s| s.presence));
        }
        got
    }

    /// Sends the current presence of `of`'s sessions to `with`'s sessions that get presence.
    async fn share(&self, of: &Jid, with: &Jid) {
        let targets = self.receiving(with).await;
        if targets.is_empty() {
            return;
        }
        for s in self.sessions_of(of).await {
            if let Some(p) = &s.presence {
                self.send(&s.jid, &targets, p).await;
            }
        }
    }

    /// Sends an unavailable presence from each available session of `of` to `with`'s sessions
    /// that get presence.
    async fn withdraw(&self, of: &Jid, with: &Jid) {
        let targets = self.receiving(with).await;
        if targets.is_empty() {
            return;
        }
        for s in self.sessions_of(of).await.into_iter().filter(receives) {
            self.send(&s.jid, &targets, &unavailable(&s.jid, None))
                .await;
        }
    }

    /// What a committed block (`blocked`) or unblock of the JIDs `changed` by `owner` does to
    /// presence between `owner` and the contacts of its roster `items` (XEP-0191 §3.3, §3.4):
    /// a block sends each side's unavailable presence to the other where it used to go (the
    /// contact subscribed to `owner`, or `owner` to the contact), so neither is left shown
    /// online; an unblock sends the current presence where it may go again.
    pub async fn after_block(
        &self,
        owner: &Jid,
        items: &[Item],
        changed: &crate::blocking::list::BlockList,
        blocked: bool,
    ) {
        let owner = owner.to_bare();
        let mut mine: Option<Vec<SessionInfo>> = None;
        for item in items {
            let (shares, gets) = (shares_with(item.state.sub), receives_from(item.state.sub));
            let Ok(contact) = Jid::parse(&item.contact).map(|j| j.to_bare()) else {
                continue;
            };
            if !(shares || gets) || contact == owner || !changed.may_block_user(&contact) {
                continue;
            }
            let theirs: Vec<SessionInfo> = (self.sessions_of(&contact).await.into_iter())
                .filter(|s| changed.blocks(&s.jid))
                .collect();
            if theirs.is_empty() {
                continue;
            }
            if mine.is_none() {
                mine = Some(self.sessions_of(&owner).await);
            }
            let mine = mine.as_deref().unwrap_or_default();
            let pairs = [(shares, mine, &theirs[..]), (gets, &theirs[..], mine)];
            for (_, from, to) in pairs.into_iter().filter(|(rule, _, _)| *rule) {
                let targets: Vec<SessionInfo> =
                    to.iter().filter(|s| receives(s)).cloned().collect();
                for s in from {
                    match (&s.presence, blocked) {
                        (Some(_), true) => {
                            self.deliver(&s.jid, &targets, &unavailable(&s.jid, None))
                                .await
                        }
                        // Checked: another item of either blocklist may still stop it.
                        (Some(p), false) => self.send(&s.jid, &targets, p).await,
                        (None, _) => {}
                    }
                }
            }
        }
    }

    /// What a committed subscription presence `p` from `from` to `to` (bare JIDs) does to
    /// presence: after `subscribed`, `to` gets `from`'s current presence (RFC 6121 §3.1.6);
    /// after `unsubscribed`, `from`'s unavailable presence (§3.2.3); after `unsubscribe`, `from`
    /// gets `to`'s unavailable presence (§3.3.3).
    pub async fn after_subscription(&self, from: &Jid, to: &Jid, p: Presence) {
        match p {
            Presence::Subscribed => self.share(from, to).await,
            Presence::Unsubscribed => self.withdraw(from, to).await,
            Presence::Unsubscribe => self.withdraw(to, from).await,
            Presence::Subscribe => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::state::{Ask, State};

    fn item(contact: &str, sub: Sub) -> Item {
        Item {
            contact: contact.into(),
            name: String::new(),
            groups: Vec::new(),
            state: State {
                sub,
                ask: Ask::None,
            },
        }
    }

    #[test]
    fn subscribers_get_presence_and_subscriptions_are_probed() {
        let items = [
            item("none@localhost", Sub::None),
            item("to@localhost", Sub::To),
            item("from@localhost", Sub::From),
            item("both@localhost", Sub::Both),
        ];
        let names = |rule| {
            contacts(&items, rule)
                .iter()
                .map(|j| j.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(shares_with), ["from@localhost", "both@localhost"]);
        assert_eq!(names(receives_from), ["to@localhost", "both@localhost"]);
    }

    #[test]
    fn unavailable_carries_a_status_when_given() {
        let from = Jid::parse("alice@localhost/a").unwrap();
        assert_eq!(
            unavailable(&from, Some("gone")).to_string(),
            "<presence type='unavailable' from='alice@localhost/a'><status>gone</status></presence>"
        );
        assert!(unavailable(&from, Some("")).children.is_empty());
    }
}
