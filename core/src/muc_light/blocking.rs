//! Blocking lists: a user denies other users the right to add them to rooms (`USER`), or denies
//! every inviter one room (`ROOM`). Only denials are stored; allowing an entity removes its
//! denial. Changes apply in the order given, so the last change of an entity wins (the
//! reference applied them in reverse, an accident of its parser).

use crate::jid::Jid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    User,
    Room,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Room => "room",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "user" => Some(Kind::User),
            "room" => Some(Kind::Room),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Allow,
    Deny,
}

/// A stored denial: the kind and the bare JID denied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub kind: Kind,
    pub entity: Jid,
}

/// One requested change (entities are reduced to bare JIDs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    pub action: Action,
    pub entity: Jid,
}

/// The list after `changes`, in storage order: new denials come last, an entity denied twice is
/// kept once where it was.
pub fn apply(current: &[Denial], changes: &[Change]) -> Vec<Denial> {
    let mut list = current.to_vec();
    for c in changes {
        let denial = Denial {
            kind: c.kind,
            entity: c.entity.to_bare(),
        };
        match c.action {
            Action::Deny => {
                if !list.contains(&denial) {
                    list.push(denial);
                }
            }
            Action::Allow => list.retain(|d| *d != denial),
        }
    }
    list
}

/// Whether a list denies `inviter` adding its owner to `room`.
pub fn denies(list: &[Denial], inviter: &Jid, room: &Jid) -> bool {
    let (inviter, room) = (inviter.to_bare(), room.to_bare());
    list.iter().any(|d| match d.kind {
        Kind::User => d.entity == inviter,
        Kind::Room => d.entity == room,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        Jid::parse(s).unwrap()
    }

    fn change(kind: Kind, action: Action, e: &str) -> Change {
        Change {
            kind,
            action,
            entity: jid(e),
        }
    }

    fn denial(kind: Kind, e: &str) -> Denial {
        Denial {
            kind,
            entity: jid(e),
        }
    }

    #[test]
    fn the_reference_story() {
        // user_blocking_list: deny bob, then allow bob and deny a room.
        let list = apply(
            &[],
            &[change(Kind::User, Action::Deny, "bob@localhost/res")],
        );
        assert_eq!(list, [denial(Kind::User, "bob@localhost")]);
        let list = apply(
            &list,
            &[
                change(Kind::User, Action::Allow, "bob@localhost"),
                change(Kind::Room, Action::Deny, "room@muclight.localhost"),
            ],
        );
        assert_eq!(list, [denial(Kind::Room, "room@muclight.localhost")]);
    }

    #[test]
    fn the_last_change_of_an_entity_wins() {
        let deny = change(Kind::User, Action::Deny, "bob@localhost");
        let allow = change(Kind::User, Action::Allow, "bob@localhost");
        assert!(apply(&[], &[deny.clone(), allow.clone()]).is_empty());
        assert_eq!(apply(&[], &[allow, deny.clone(), deny]).len(), 1);
    }

    #[test]
    fn kinds_are_separate_and_order_is_kept() {
        let list = apply(
            &[denial(Kind::User, "a@localhost")],
            &[
                change(Kind::Room, Action::Deny, "a@localhost"),
                change(Kind::User, Action::Deny, "b@localhost"),
                change(Kind::User, Action::Deny, "a@localhost"),
            ],
        );
        assert_eq!(
            list,
            [
                denial(Kind::User, "a@localhost"),
                denial(Kind::Room, "a@localhost"),
                denial(Kind::User, "b@localhost")
            ]
        );
        // Allowing something never denied changes nothing.
        assert_eq!(
            apply(&list, &[change(Kind::Room, Action::Allow, "z@localhost")]),
            list
        );
    }

    #[test]
    fn denials_match_the_inviter_or_the_room() {
        let room = jid("r@muclight.localhost");
        let list = [
            denial(Kind::User, "bob@localhost"),
            denial(Kind::Room, "other@muclight.localhost"),
        ];
        assert!(denies(&list, &jid("bob@localhost/phone"), &room));
        assert!(!denies(&list, &jid("carol@localhost"), &room));
        assert!(denies(
            &list,
            &jid("carol@localhost"),
            &jid("other@muclight.localhost")
        ));
        // A user entry does not name a room and the other way round.
        assert!(!denies(
            &[denial(Kind::Room, "bob@localhost")],
            &jid("bob@localhost"),
            &room
        ));
    }
}
