//! The rules of a MUC Light room, as pure decisions on its occupants: who may invite, remove,
//! configure and delete, who becomes owner when the owner leaves, when the room ends. The
//! service loads the room under a lock, asks here, and writes what was decided.
//!
//! Where the reference's room engine silently ignored a request (spec ruling 4), the decision
//! here is an error: invitations refused by the configuration, by blocking or by a limit,
//! removals of users who are not in the room.

use crate::config::Limit;
use crate::jid::Jid;
/// Who acts on a room (the same as MUC's: a user, or the server's administrator).
pub use crate::muc::room::Actor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Affiliation {
    Owner,
    Member,
}

impl Affiliation {
    pub fn as_str(self) -> &'static str {
        match self {
            Affiliation::Owner => "owner",
            Affiliation::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Affiliation> {
        match s {
            "owner" => Some(Affiliation::Owner),
            "member" => Some(Affiliation::Member),
            _ => None,
        }
    }
}

/// A user in the room (bare JID).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occupant {
    pub jid: Jid,
    pub affiliation: Affiliation,
}

/// The module options that decide room requests.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub equal_occupants: bool,
    pub all_can_invite: bool,
    pub all_can_configure: bool,
    pub blocking: bool,
    pub max_occupants: Limit,
    pub rooms_per_user: Limit,
}

/// What a refused request was refused for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Configure,
    ChangeAffiliations,
    Invite,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    /// The caller is not in the room.
    #[error("the caller does not occupy the room")]
    NotMember,
    #[error("not allowed: {0:?}")]
    NotAllowed(Action),
    /// The invitation's recipient has no account.
    #[error("the recipient does not exist")]
    UnknownRecipient,
    #[error("the recipient already occupies the room")]
    AlreadyInRoom,
    /// The recipient's blocking list denies the inviter or the room.
    #[error("the recipient blocks the inviter or the room")]
    Blocked,
    #[error("the room is full")]
    MaxOccupants,
    /// The user would occupy more rooms than `rooms_per_user`.
    #[error("the user occupies the most rooms allowed")]
    TooManyRooms,
    /// The user to remove is not in the room.
    #[error("the user does not occupy the room")]
    TargetNotInRoom,
}

/// The recipient of an invitation, as looked up under the room's lock.
#[derive(Clone, Copy, Debug)]
pub struct Recipient<'a> {
    pub jid: &'a Jid,
    /// Whether the recipient's blocking list denies the inviter or the room.
    pub blocks: bool,
    /// How many rooms the recipient occupies.
    pub rooms: u64,
}

/// A removal decided: who goes, who is promoted to owner in their place, and whether the room
/// is left empty (and so destroyed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    pub removed: Occupant,
    pub promoted: Option<Jid>,
    pub destroyed: bool,
}

/// The affiliation of a new room's creator; `rooms` is how many rooms the creator occupies.
pub fn create(rooms: u64, p: &Policy) -> Result<Affiliation, RoomError> {
    if p.rooms_per_user.exceeded_by(rooms + 1) {
        return Err(RoomError::TooManyRooms);
    }
    Ok(if p.equal_occupants {
        Affiliation::Member
    } else {
        Affiliation::Owner
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Room {
    /// Sorted by JID.
    occupants: Vec<Occupant>,
}

impl Room {
    pub fn new(mut occupants: Vec<Occupant>) -> Room {
        occupants.sort_by(|a, b| a.jid.cmp(&b.jid));
        Room { occupants }
    }

    /// Sorted by JID.
    pub fn occupants(&self) -> &[Occupant] {
        &self.occupants
    }

    /// The affiliation of `user`'s bare JID, if it is in the room.
    pub fn affiliation(&self, user: &Jid) -> Option<Affiliation> {
        let bare = user.to_bare();
        self.occupants
            .iter()
            .find(|o| o.jid == bare)
            .map(|o| o.affiliation)
    }

    /// The caller's affiliation; reading the room and sending to it need one.
    pub fn member(&self, caller: &Jid) -> Result<Affiliation, RoomError> {
        self.affiliation(caller).ok_or(RoomError::NotMember)
    }

    /// Read access: the occupants, and the administrator.
    pub fn readable_by<'a>(&self, actor: impl Into<Actor<'a>>) -> Result<(), RoomError> {
        match actor.into() {
            Actor::User(user) => self.member(user).map(drop),
            Actor::Admin => Ok(()),
        }
    }

    /// Adds `recipient` as a member: the owner may invite, members when `all_can_invite`.
    pub fn invite(
        &self,
        inviter: &Jid,
        recipient: Option<Recipient<'_>>,
        p: &Policy,
    ) -> Result<Occupant, RoomError> {
        let aff = self.member(inviter)?;
        if aff != Affiliation::Owner && !p.all_can_invite {
            return Err(RoomError::NotAllowed(Action::Invite));
        }
        let r = recipient.ok_or(RoomError::UnknownRecipient)?;
        if self.affiliation(r.jid).is_some() {
            return Err(RoomError::AlreadyInRoom);
        }
        if p.blocking && r.blocks {
            return Err(RoomError::Blocked);
        }
        if p.max_occupants.exceeded_by(self.occupants.len() as u64 + 1) {
            return Err(RoomError::MaxOccupants);
        }
        if p.rooms_per_user.exceeded_by(r.rooms + 1) {
            return Err(RoomError::TooManyRooms);
        }
        Ok(Occupant {
            jid: r.jid.to_bare(),
            affiliation: Affiliation::Member,
        })
    }

    /// Removes `target` (as given; the caller leaves when it is the caller): the owner may
    /// remove anyone, a member only itself (the very JID it authenticated as). When the owner
    /// goes, the first remaining member by JID becomes owner; when the last occupant goes, the
    /// room ends. Blocking lists do not protect from removal.
    pub fn remove(&self, caller: &Jid, target: &Jid) -> Result<Removal, RoomError> {
        let aff = self.member(caller)?;
        if aff != Affiliation::Owner && target != caller {
            return Err(RoomError::NotAllowed(Action::ChangeAffiliations));
        }
        self.without(target)
    }

    /// The room without `user` (account removal needs no permission).
    pub fn without(&self, user: &Jid) -> Result<Removal, RoomError> {
        let bare = user.to_bare();
        let removed = self
            .occupants
            .iter()
            .find(|o| o.jid == bare)
            .cloned()
            .ok_or(RoomError::TargetNotInRoom)?;
        let rest: Vec<&Occupant> = self.occupants.iter().filter(|o| o.jid != bare).collect();
        let promoted = if removed.affiliation == Affiliation::Owner
            && !rest.iter().any(|o| o.affiliation == Affiliation::Owner)
        {
            rest.iter()
                .find(|o| o.affiliation == Affiliation::Member)
                .map(|o| o.jid.clone())
        } else {
            None
        };
        Ok(Removal {
            removed,
            promoted,
            destroyed: rest.is_empty(),
        })
    }

    /// Whether the caller may change the configuration keys `keys`: the owner may, members when
    /// `all_can_configure`, and anyone in the room may change the subject alone.
    pub fn configure<'k>(
        &self,
        caller: &Jid,
        mut keys: impl Iterator<Item = &'k str>,
        p: &Policy,
    ) -> Result<(), RoomError> {
        let aff = self.member(caller)?;
        if aff == Affiliation::Owner || p.all_can_configure {
            return Ok(());
        }
        let subject_only = keys.next() == Some("subject") && keys.next().is_none();
        if subject_only {
            Ok(())
        } else {
            Err(RoomError::NotAllowed(Action::Configure))
        }
    }

    /// Only the owner deletes a room.
    pub fn delete<'a>(&self, caller: impl Into<Actor<'a>>) -> Result<(), RoomError> {
        let Actor::User(caller) = caller.into() else {
            return Ok(());
        };
        match self.member(caller)? {
            Affiliation::Owner => Ok(()),
            Affiliation::Member => Err(RoomError::NotAllowed(Action::Delete)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        Jid::parse(s).unwrap()
    }

    fn occ(s: &str, a: Affiliation) -> Occupant {
        Occupant {
            jid: jid(s),
            affiliation: a,
        }
    }

    fn policy() -> Policy {
        Policy {
            equal_occupants: false,
            all_can_invite: false,
            all_can_configure: false,
            blocking: true,
            max_occupants: Limit::Infinity,
            rooms_per_user: Limit::Infinity,
        }
    }

    /// alice owns the room, bob and carol are members.
    fn room() -> Room {
        Room::new(vec![
            occ("carol@localhost", Affiliation::Member),
            occ("alice@localhost", Affiliation::Owner),
            occ("bob@localhost", Affiliation::Member),
        ])
    }

    fn recipient(j: &Jid) -> Recipient<'_> {
        Recipient {
            jid: j,
            blocks: false,
            rooms: 0,
        }
    }

    #[test]
    fn occupants_are_sorted_and_found_by_bare_jid() {
        let r = room();
        let names: Vec<String> = r.occupants().iter().map(|o| o.jid.to_string()).collect();
        assert_eq!(
            names,
            ["alice@localhost", "bob@localhost", "carol@localhost"]
        );
        assert_eq!(
            r.affiliation(&jid("alice@localhost/phone")),
            Some(Affiliation::Owner)
        );
        assert_eq!(r.member(&jid("dave@localhost")), Err(RoomError::NotMember));
    }

    #[test]
    fn the_owner_invites_members_only_when_allowed() {
        let r = room();
        let dave = jid("dave@localhost/res");
        let p = policy();
        assert_eq!(
            r.invite(&jid("alice@localhost"), Some(recipient(&dave)), &p),
            Ok(occ("dave@localhost", Affiliation::Member))
        );
        assert_eq!(
            r.invite(&jid("bob@localhost"), Some(recipient(&dave)), &p),
            Err(RoomError::NotAllowed(Action::Invite))
        );
        let open = Policy {
            all_can_invite: true,
            ..p
        };
        assert!(
            r.invite(&jid("bob@localhost"), Some(recipient(&dave)), &open)
                .is_ok()
        );
        assert_eq!(
            r.invite(&jid("dave@localhost"), Some(recipient(&dave)), &open),
            Err(RoomError::NotMember)
        );
    }

    #[test]
    fn invitations_are_refused_truthfully() {
        let r = room();
        let p = policy();
        let alice = jid("alice@localhost");
        let dave = jid("dave@localhost");
        assert_eq!(r.invite(&alice, None, &p), Err(RoomError::UnknownRecipient));
        let bob = jid("bob@localhost");
        assert_eq!(
            r.invite(&alice, Some(recipient(&bob)), &p),
            Err(RoomError::AlreadyInRoom)
        );
        // The owner inviting itself changes nothing either.
        assert_eq!(
            r.invite(&alice, Some(recipient(&alice)), &p),
            Err(RoomError::AlreadyInRoom)
        );
        let blocking = Recipient {
            blocks: true,
            ..recipient(&dave)
        };
        assert_eq!(
            r.invite(&alice, Some(blocking), &p),
            Err(RoomError::Blocked)
        );
        let no_blocking = Policy {
            blocking: false,
            ..p
        };
        assert!(r.invite(&alice, Some(blocking), &no_blocking).is_ok());
        // Blocking applies to members' invitations too.
        let open = Policy {
            all_can_invite: true,
            ..p
        };
        assert_eq!(
            r.invite(&bob, Some(blocking), &open),
            Err(RoomError::Blocked)
        );
        let full = Policy {
            max_occupants: Limit::At(3),
            ..p
        };
        assert_eq!(
            r.invite(&alice, Some(recipient(&dave)), &full),
            Err(RoomError::MaxOccupants)
        );
        let roomy = Policy {
            max_occupants: Limit::At(4),
            rooms_per_user: Limit::At(2),
            ..p
        };
        let busy = Recipient {
            rooms: 2,
            ..recipient(&dave)
        };
        assert_eq!(
            r.invite(&alice, Some(busy), &roomy),
            Err(RoomError::TooManyRooms)
        );
        let ok = Recipient {
            rooms: 1,
            ..recipient(&dave)
        };
        assert!(r.invite(&alice, Some(ok), &roomy).is_ok());
    }

    #[test]
    fn owners_remove_anyone_members_only_themselves() {
        let r = room();
        let alice = jid("alice@localhost");
        let bob = jid("bob@localhost");
        let carol = jid("carol@localhost");
        assert_eq!(
            r.remove(&alice, &bob),
            Ok(Removal {
                removed: occ("bob@localhost", Affiliation::Member),
                promoted: None,
                destroyed: false
            })
        );
        assert_eq!(
            r.remove(&bob, &carol),
            Err(RoomError::NotAllowed(Action::ChangeAffiliations))
        );
        assert_eq!(
            r.remove(&bob, &alice),
            Err(RoomError::NotAllowed(Action::ChangeAffiliations))
        );
        assert!(r.remove(&bob, &bob).is_ok());
        // A member names itself exactly: another resource is someone else.
        assert_eq!(
            r.remove(&bob, &jid("bob@localhost/other")),
            Err(RoomError::NotAllowed(Action::ChangeAffiliations))
        );
        let bob_res = jid("bob@localhost/res");
        assert!(r.remove(&bob_res, &bob_res).is_ok());
        assert_eq!(
            r.remove(&alice, &jid("dave@localhost")),
            Err(RoomError::TargetNotInRoom)
        );
        assert_eq!(
            r.remove(&jid("dave@localhost"), &bob),
            Err(RoomError::NotMember)
        );
    }

    #[test]
    fn the_first_member_succeeds_a_leaving_owner() {
        let r = room();
        let alice = jid("alice@localhost");
        let removal = r.remove(&alice, &alice).unwrap();
        assert_eq!(removal.promoted, Some(jid("bob@localhost")));
        assert!(!removal.destroyed);
        // An owner removing a member keeps the room.
        assert_eq!(
            r.remove(&alice, &jid("carol@localhost")).unwrap().promoted,
            None
        );
    }

    #[test]
    fn the_last_occupant_leaving_ends_the_room() {
        let r = Room::new(vec![occ("alice@localhost", Affiliation::Owner)]);
        let alice = jid("alice@localhost");
        assert_eq!(
            r.remove(&alice, &alice),
            Ok(Removal {
                removed: occ("alice@localhost", Affiliation::Owner),
                promoted: None,
                destroyed: true
            })
        );
        // Rooms of equal occupants have no owner and get none.
        let r = Room::new(vec![
            occ("alice@localhost", Affiliation::Member),
            occ("bob@localhost", Affiliation::Member),
        ]);
        assert_eq!(r.remove(&alice, &alice).unwrap().promoted, None);
    }

    #[test]
    fn members_change_only_the_subject_unless_all_can_configure() {
        let r = room();
        let p = policy();
        let (alice, bob) = (jid("alice@localhost"), jid("bob@localhost"));
        assert!(r.configure(&alice, ["roomname"].into_iter(), &p).is_ok());
        assert!(r.configure(&alice, [].into_iter(), &p).is_ok());
        assert!(r.configure(&bob, ["subject"].into_iter(), &p).is_ok());
        for keys in [&["roomname"][..], &["roomname", "subject"], &[]] {
            assert_eq!(
                r.configure(&bob, keys.iter().copied(), &p),
                Err(RoomError::NotAllowed(Action::Configure)),
                "{keys:?}"
            );
        }
        let open = Policy {
            all_can_configure: true,
            ..p
        };
        assert!(r.configure(&bob, ["roomname"].into_iter(), &open).is_ok());
        assert_eq!(
            r.configure(&jid("dave@localhost"), ["subject"].into_iter(), &open),
            Err(RoomError::NotMember)
        );
    }

    #[test]
    fn only_the_owner_deletes() {
        let r = room();
        assert!(r.delete(&jid("alice@localhost")).is_ok());
        assert_eq!(
            r.delete(&jid("bob@localhost")),
            Err(RoomError::NotAllowed(Action::Delete))
        );
        assert_eq!(r.delete(&jid("dave@localhost")), Err(RoomError::NotMember));
    }

    #[test]
    fn creators_own_their_rooms_unless_occupants_are_equal() {
        let p = policy();
        assert_eq!(create(0, &p), Ok(Affiliation::Owner));
        let equal = Policy {
            equal_occupants: true,
            ..p
        };
        assert_eq!(create(0, &equal), Ok(Affiliation::Member));
        let capped = Policy {
            rooms_per_user: Limit::At(1),
            ..p
        };
        assert_eq!(create(0, &capped), Ok(Affiliation::Owner));
        assert_eq!(create(1, &capped), Err(RoomError::TooManyRooms));
    }
}
