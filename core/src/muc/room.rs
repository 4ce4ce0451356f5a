//! The rules of a classic MUC room (XEP-0045 as the reference's room engine applies them), on a
//! plain value: who may enter, read, speak, configure, kick, change roles and affiliations.
//! Every method decides and, when allowed, changes the value; storing it is the caller's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::DefaultRoom;
use crate::jid::Jid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Affiliation {
    Owner,
    Admin,
    Member,
    Outcast,
    None,
}

impl Affiliation {
    pub fn as_str(self) -> &'static str {
        match self {
            Affiliation::Owner => "owner",
            Affiliation::Admin => "admin",
            Affiliation::Member => "member",
            Affiliation::Outcast => "outcast",
            Affiliation::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Affiliation> {
        [
            Affiliation::Owner,
            Affiliation::Admin,
            Affiliation::Member,
            Affiliation::Outcast,
            Affiliation::None,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// Owners and admins: always moderators, beyond the reach of other moderators.
    fn is_admin(self) -> bool {
        matches!(self, Affiliation::Owner | Affiliation::Admin)
    }

    fn is_member(self) -> bool {
        matches!(
            self,
            Affiliation::Owner | Affiliation::Admin | Affiliation::Member
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Visitor,
    Participant,
    Moderator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Visitor => "visitor",
            Role::Participant => "participant",
            Role::Moderator => "moderator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Visitor, Role::Participant, Role::Moderator]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// A room's configuration, stored as JSON under the API's field names; fields missing from a
/// stored value take the defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RoomConfig {
    pub title: String,
    pub description: String,
    pub allow_change_subject: bool,
    pub allow_query_users: bool,
    pub allow_private_messages: bool,
    pub allow_visitor_status: bool,
    pub allow_visitor_nickchange: bool,
    pub public: bool,
    pub public_list: bool,
    pub persistent: bool,
    pub moderated: bool,
    pub members_by_default: bool,
    pub members_only: bool,
    pub allow_user_invites: bool,
    pub allow_multiple_session: bool,
    pub password_protected: bool,
    pub password: String,
    pub anonymous: bool,
    pub may_get_member_list: Vec<String>,
    pub max_users: i64,
    pub logging: bool,
}

/// A new instant room's configuration without `[modules.mod_muc] default_room`: the
/// reference's defaults (spec §3.2).
impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig::from(&DefaultRoom::default())
    }
}

impl From<&DefaultRoom> for RoomConfig {
    fn from(d: &DefaultRoom) -> Self {
        RoomConfig {
            title: d.title.clone(),
            description: d.description.clone(),
            allow_change_subject: d.allow_change_subj,
            allow_query_users: d.allow_query_users,
            allow_private_messages: d.allow_private_messages,
            allow_visitor_status: d.allow_visitor_status,
            allow_visitor_nickchange: d.allow_visitor_nickchange,
            public: d.public,
            public_list: d.public_list,
            persistent: d.persistent,
            moderated: d.moderated,
            members_by_default: d.members_by_default,
            members_only: d.members_only,
            allow_user_invites: d.allow_user_invites,
            allow_multiple_session: d.allow_multiple_sessions,
            password_protected: d.password_protected,
            password: d.password.clone(),
            anonymous: d.anonymous,
            may_get_member_list: d.maygetmemberlist.clone(),
            max_users: i64::from(d.max_users),
            logging: d.logging,
        }
    }
}

/// A configuration change: the fields given (`Some`) replace the current values.
#[derive(Clone, Debug, Default)]
pub struct ConfigChange {
    pub title: Option<String>,
    pub description: Option<String>,
    pub allow_change_subject: Option<bool>,
    pub allow_query_users: Option<bool>,
    pub allow_private_messages: Option<bool>,
    pub allow_visitor_status: Option<bool>,
    pub allow_visitor_nickchange: Option<bool>,
    pub public: Option<bool>,
    pub public_list: Option<bool>,
    pub persistent: Option<bool>,
    pub moderated: Option<bool>,
    pub members_by_default: Option<bool>,
    pub members_only: Option<bool>,
    pub allow_user_invites: Option<bool>,
    pub allow_multiple_session: Option<bool>,
    pub password_protected: Option<bool>,
    pub password: Option<String>,
    pub anonymous: Option<bool>,
    pub may_get_member_list: Option<Vec<String>>,
    pub max_users: Option<i64>,
    pub logging: Option<bool>,
}

impl ConfigChange {
    /// The strings it sets, named as the API names them (for character checks).
    pub fn strings(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        out.extend(self.title.as_deref().map(|t| ("title", t)));
        out.extend(self.description.as_deref().map(|t| ("description", t)));
        out.extend(self.password.as_deref().map(|t| ("password", t)));
        for m in self.may_get_member_list.iter().flatten() {
            out.push(("mayGetMemberList", m.as_str()));
        }
        out
    }
}

impl RoomConfig {
    fn apply(&mut self, c: ConfigChange) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = c.$f { self.$f = v; } )* };
        }
        set!(
            title,
            description,
            allow_change_subject,
            allow_query_users,
            allow_private_messages,
            allow_visitor_status,
            allow_visitor_nickchange,
            public,
            public_list,
            persistent,
            moderated,
            members_by_default,
            members_only,
            allow_user_invites,
            allow_multiple_session,
            password_protected,
            password,
            anonymous,
            may_get_member_list,
            max_users,
            logging
        );
    }
}

/// Someone in the room: the real JID (full, or bare for a room's creator), the nick, the role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occupant {
    pub jid: Jid,
    pub nick: String,
    pub role: Role,
}

/// What only owners may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerAction {
    ReadConfig,
    Configure,
    Delete,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    #[error("only owners may do this")]
    NotOwner(OwnerAction),
    #[error("no read access")]
    NoReadAccess,
    #[error("not an occupant")]
    NotOccupant,
    #[error("no moderator session")]
    ModeratorNotFound,
    #[error("no occupant with nick {0}")]
    NickNotFound(String),
    #[error("may not set the {} role", .0.as_str())]
    RoleNotAllowed(Role),
    #[error("may not kick")]
    KickNotAllowed,
    #[error("may not set the {} affiliation", .0.as_str())]
    AffiliationNotAllowed(Affiliation),
    #[error("the last owner may not leave ownership")]
    LastOwner,
    #[error("banned")]
    Banned,
    #[error("members only")]
    MembersOnly,
    #[error("password required")]
    PasswordRequired,
    #[error("wrong password")]
    WrongPassword,
    #[error("nick in use")]
    NickConflict,
    #[error("room full")]
    MaxUsers,
    #[error("visitors may not change nicks")]
    NickChangeNotAllowed,
    #[error("visitors may not speak")]
    VisitorMayNotSpeak,
    #[error("private messages not allowed")]
    PrivateMessagesNotAllowed,
}

/// How a join went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Joined {
    Entered,
    /// The same JID was in the room already, under this nick.
    AlreadyIn,
    NickChanged,
}

/// What listRooms shows of a room to one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desc {
    pub title: String,
    /// `None` when the room is not on the public list for this user.
    pub private: Option<bool>,
    pub users: Option<usize>,
}

impl Desc {
    /// What `listRooms` shows of the room `name` with `config` and `users` occupants to a
    /// caller who is (`privileged`) or is not one of its occupants, admins or owners; `None`:
    /// the room is not listed for that caller.
    pub fn listed(config: &RoomConfig, name: &str, privileged: bool, users: usize) -> Option<Desc> {
        if !config.public && !privileged {
            return None;
        }
        let title = if config.title.is_empty() {
            name.to_string()
        } else {
            config.title.clone()
        };
        if !config.public_list && !privileged {
            return Some(Desc {
                title,
                private: None,
                users: None,
            });
        }
        Some(Desc {
            title,
            private: Some(!config.public),
            users: Some(users),
        })
    }
}

/// Who acts on a room: a user (by any of its JIDs), or the server's administrator (the admin
/// API), who has every right of an owner and of a moderator without being either, and whom no
/// rule refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor<'a> {
    User(&'a Jid),
    Admin,
}

impl<'a> From<&'a Jid> for Actor<'a> {
    fn from(user: &'a Jid) -> Actor<'a> {
        Actor::User(user)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Room {
    pub config: RoomConfig,
    /// By bare JID; `none` is never kept.
    pub affiliations: BTreeMap<Jid, Affiliation>,
    /// In join order.
    pub occupants: Vec<Occupant>,
}

impl Room {
    /// A new instant room: the creator (a real JID, full or bare) is its first occupant, and
    /// its user the owner.
    pub fn instant(creator: &Jid, nick: &str, config: RoomConfig) -> Room {
        Room {
            config,
            affiliations: [(creator.to_bare(), Affiliation::Owner)].into(),
            occupants: vec![Occupant {
                jid: creator.clone(),
                nick: nick.to_string(),
                role: Role::Moderator,
            }],
        }
    }

    pub fn affiliation(&self, user: &Jid) -> Affiliation {
        self.affiliations
            .get(&user.to_bare())
            .copied()
            .unwrap_or(Affiliation::None)
    }

    /// The affiliation an actor acts with (the administrator's is an owner's).
    fn affiliation_of(&self, actor: Actor<'_>) -> Affiliation {
        match actor {
            Actor::User(user) => self.affiliation(user),
            Actor::Admin => Affiliation::Owner,
        }
    }

    /// Whether an actor acts as a moderator (the administrator always does).
    fn moderates_as(&self, actor: Actor<'_>) -> bool {
        match actor {
            Actor::User(user) => self.moderates(user),
            Actor::Admin => true,
        }
    }

    /// Whether one of the user's JIDs is in the room.
    pub fn occupies(&self, user: &Jid) -> bool {
        let bare = user.to_bare();
        self.occupants.iter().any(|o| o.jid.to_bare() == bare)
    }

    /// Whether one of the user's occupants is a moderator.
    pub fn moderates(&self, user: &Jid) -> bool {
        let bare = user.to_bare();
        self.occupants
            .iter()
            .any(|o| o.role == Role::Moderator && o.jid.to_bare() == bare)
    }

    /// Read access (spec §3.1): a password-protected room for its members and occupants, a
    /// members-only room for its members, any other room for everyone but outcasts.
    pub fn can_read(&self, user: &Jid) -> bool {
        let aff = self.affiliation(user);
        if aff == Affiliation::Outcast {
            false
        } else if self.config.password_protected {
            aff.is_member() || self.occupies(user)
        } else if self.config.members_only {
            aff.is_member()
        } else {
            true
        }
    }

    pub fn require_read<'a>(&self, actor: impl Into<Actor<'a>>) -> Result<(), RoomError> {
        let allowed = match actor.into() {
            Actor::User(user) => self.can_read(user),
            Actor::Admin => true,
        };
        if allowed {
            Ok(())
        } else {
            Err(RoomError::NoReadAccess)
        }
    }

    /// Owners only (room admins are refused).
    pub fn require_owner<'a>(
        &self,
        actor: impl Into<Actor<'a>>,
        action: OwnerAction,
    ) -> Result<(), RoomError> {
        if self.affiliation_of(actor.into()) == Affiliation::Owner {
            Ok(())
        } else {
            Err(RoomError::NotOwner(action))
        }
    }

    /// The role an affiliation gives on entering; `None`: may not be in the room.
    fn default_role(&self, aff: Affiliation) -> Option<Role> {
        match aff {
            Affiliation::Owner | Affiliation::Admin => Some(Role::Moderator),
            Affiliation::Member => Some(Role::Participant),
            Affiliation::Outcast => None,
            Affiliation::None if self.config.members_only => None,
            Affiliation::None if self.config.members_by_default => Some(Role::Participant),
            Affiliation::None => Some(Role::Visitor),
        }
    }

    fn by_nick(&self, nick: &str) -> Result<usize, RoomError> {
        self.occupants
            .iter()
            .position(|o| o.nick == nick)
            .ok_or_else(|| RoomError::NickNotFound(nick.to_string()))
    }

    /// `jid` (a real JID) enters as `nick`, or changes its nick when in already. Checks in the
    /// reference's order: ban, membership, room size, nick, password.
    pub fn join(
        &mut self,
        jid: &Jid,
        nick: &str,
        password: Option<&str>,
    ) -> Result<Joined, RoomError> {
        let bare = jid.to_bare();
        let taken_by_other = |o: &Occupant| {
            o.nick == nick
                && o.jid != *jid
                && (o.jid.to_bare() != bare || !self.config.allow_multiple_session)
        };
        if let Some(i) = self.occupants.iter().position(|o| o.jid == *jid) {
            if self.occupants[i].nick == nick {
                return Ok(Joined::AlreadyIn);
            }
            if self.occupants.iter().any(taken_by_other) {
                return Err(RoomError::NickConflict);
            }
            if self.occupants[i].role == Role::Visitor && !self.config.allow_visitor_nickchange {
                return Err(RoomError::NickChangeNotAllowed);
            }
            self.occupants[i].nick = nick.to_string();
            return Ok(Joined::NickChanged);
        }
        let aff = self.affiliation(&bare);
        if aff == Affiliation::Outcast {
            return Err(RoomError::Banned);
        }
        let role = self.default_role(aff).ok_or(RoomError::MembersOnly)?;
        if !aff.is_admin() && self.occupants.len() as i64 >= self.config.max_users {
            return Err(RoomError::MaxUsers);
        }
        if self.occupants.iter().any(taken_by_other) {
            return Err(RoomError::NickConflict);
        }
        if self.config.password_protected {
            match password {
                None => return Err(RoomError::PasswordRequired),
                Some(p) if p != self.config.password => return Err(RoomError::WrongPassword),
                Some(_) => {}
            }
        }
        self.occupants.push(Occupant {
            jid: jid.clone(),
            nick: nick.to_string(),
            role,
        });
        Ok(Joined::Entered)
    }

    /// `jid` (a full JID) leaves; it must be in the room as `nick`. A creator, in the room by
    /// its bare JID, leaves from any of its resources.
    pub fn leave(&mut self, jid: &Jid, nick: &str) -> Result<Occupant, RoomError> {
        let bare = jid.to_bare();
        let i = self
            .occupants
            .iter()
            .position(|o| o.nick == nick && (o.jid == *jid || o.jid == bare))
            .ok_or(RoomError::NotOccupant)?;
        Ok(self.occupants.remove(i))
    }

    /// Whether the room ends now: not persistent and nobody in it.
    pub fn ends(&self) -> bool {
        !self.config.persistent && self.occupants.is_empty()
    }

    /// Whether the room has an owner (a room without one could never be configured or deleted).
    pub fn has_owner(&self) -> bool {
        self.affiliations.values().any(|a| *a == Affiliation::Owner)
    }

    /// `setUserRole`: the caller acts as its moderator occupant if it has one, else with role
    /// none. Setting the role an occupant has is a no-op anyone may do.
    pub fn set_role<'a>(
        &mut self,
        caller: impl Into<Actor<'a>>,
        nick: &str,
        role: Role,
    ) -> Result<(), RoomError> {
        let caller = caller.into();
        let i = self.by_nick(nick)?;
        let target = &self.occupants[i];
        if target.role == role {
            return Ok(());
        }
        let caller_aff = self.affiliation_of(caller);
        let target_aff = self.affiliation(&target.jid);
        let allowed = match (target.role, role) {
            _ if caller == Actor::Admin => true,
            (Role::Visitor, Role::Participant) | (Role::Participant, Role::Visitor) => {
                self.moderates_as(caller)
            }
            (_, Role::Moderator) => caller_aff.is_admin(),
            (Role::Moderator, _) => caller_aff.is_admin() && !target_aff.is_admin(),
            _ => false,
        };
        if !allowed {
            return Err(RoomError::RoleNotAllowed(role));
        }
        self.occupants[i].role = role;
        Ok(())
    }

    /// `kickUser`: a moderator removes an occupant; moderators only by owners and admins, and
    /// owners and admins never.
    /// The administrator kicks anyone.
    pub fn kick<'a>(
        &mut self,
        caller: impl Into<Actor<'a>>,
        nick: &str,
    ) -> Result<Occupant, RoomError> {
        let caller = caller.into();
        if !self.moderates_as(caller) {
            return Err(RoomError::ModeratorNotFound);
        }
        let i = self.by_nick(nick)?;
        let target = &self.occupants[i];
        let target_aff = self.affiliation(&target.jid);
        let allowed = caller == Actor::Admin
            || !target_aff.is_admin()
                && (target.role != Role::Moderator || self.affiliation_of(caller).is_admin());
        if !allowed {
            return Err(RoomError::KickNotAllowed);
        }
        Ok(self.occupants.remove(i))
    }

    /// `setUserAffiliation` (spec §3.4 table); answers the occupants it removed (outcasts, and
    /// users left without membership in a members-only room). The new affiliation sets the
    /// role of the user's occupants.
    /// The administrator sets any affiliation, the last owner's included.
    pub fn set_affiliation<'a>(
        &mut self,
        caller: impl Into<Actor<'a>>,
        target: &Jid,
        aff: Affiliation,
    ) -> Result<Vec<Occupant>, RoomError> {
        let caller = caller.into();
        let target = target.to_bare();
        let current = self.affiliation(&target);
        if current == aff {
            return Ok(Vec::new());
        }
        use Affiliation as A;
        let allowed = match (caller, self.affiliation_of(caller)) {
            (Actor::Admin, _) => true,
            (Actor::User(caller), A::Owner) => {
                let owners = self
                    .affiliations
                    .values()
                    .filter(|a| **a == A::Owner)
                    .count();
                if current == A::Owner && target == caller.to_bare() && owners == 1 {
                    return Err(RoomError::LastOwner);
                }
                true
            }
            (_, A::Admin) => matches!(
                (current, aff),
                (A::None, A::Member)
                    | (A::Member, A::None)
                    | (A::None, A::Outcast)
                    | (A::Outcast, A::None)
                    | (A::Outcast, A::Member)
                    | (A::Member, A::Outcast)
            ),
            _ => false,
        };
        if !allowed {
            return Err(RoomError::AffiliationNotAllowed(aff));
        }
        if aff == A::None {
            self.affiliations.remove(&target);
        } else {
            self.affiliations.insert(target.clone(), aff);
        }
        let role = self.default_role(aff);
        let mut removed = Vec::new();
        let mut kept = Vec::with_capacity(self.occupants.len());
        for mut o in std::mem::take(&mut self.occupants) {
            if o.jid.to_bare() != target {
                kept.push(o);
                continue;
            }
            match role {
                Some(r) => {
                    o.role = r;
                    kept.push(o);
                }
                None => removed.push(o),
            }
        }
        self.occupants = kept;
        Ok(removed)
    }

    /// `changeRoomConfiguration` (owners only): the fields given change. Becoming members-only
    /// removes the occupants without membership; answers them.
    pub fn configure<'a>(
        &mut self,
        caller: impl Into<Actor<'a>>,
        change: ConfigChange,
    ) -> Result<Vec<Occupant>, RoomError> {
        self.require_owner(caller, OwnerAction::Configure)?;
        let was_members_only = self.config.members_only;
        self.config.apply(change);
        if was_members_only || !self.config.members_only {
            return Ok(Vec::new());
        }
        let (removed, kept) = std::mem::take(&mut self.occupants)
            .into_iter()
            .partition(|o| !self.affiliation(&o.jid).is_member());
        self.occupants = kept;
        Ok(removed)
    }

    /// Which of the user's occupants speaks: `jid` (a full JID) when given, else the user's
    /// first occupant.
    pub fn speaker(&self, user: &Jid, jid: Option<&Jid>) -> Result<&Occupant, RoomError> {
        let bare = user.to_bare();
        match jid {
            Some(j) => self.occupants.iter().find(|o| o.jid == *j),
            None => self.occupants.iter().find(|o| o.jid.to_bare() == bare),
        }
        .ok_or(RoomError::NotOccupant)
    }

    /// A message to everyone: visitors of a moderated room may not send one.
    pub fn may_broadcast(&self, speaker: &Occupant) -> Result<(), RoomError> {
        if self.config.moderated && speaker.role == Role::Visitor {
            Err(RoomError::VisitorMayNotSpeak)
        } else {
            Ok(())
        }
    }

    /// The recipient of a private message to `nick`.
    pub fn private_to(&self, nick: &str) -> Result<&Occupant, RoomError> {
        if !self.config.allow_private_messages {
            return Err(RoomError::PrivateMessagesNotAllowed);
        }
        Ok(&self.occupants[self.by_nick(nick)?])
    }

    /// Whether the user sees occupants' real JIDs: in non-anonymous rooms, or as a moderator.
    pub fn shows_jids_to<'a>(&self, actor: impl Into<Actor<'a>>) -> bool {
        !self.config.anonymous || self.moderates_as(actor.into())
    }

    /// What listRooms shows `user` of the room named `name`; `None`: nothing (a hidden room).
    /// Occupants, owners and admins see every room whole; members are not privileged here.
    pub fn desc_for(&self, user: &Jid, name: &str) -> Option<Desc> {
        let privileged = self.occupies(user) || self.affiliation(user).is_admin();
        Desc::listed(&self.config, name, privileged, self.occupants.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        Jid::parse(s).unwrap()
    }

    const OWNER: &str = "owner@h";
    const ADMIN: &str = "admin@h";
    const MEMBER: &str = "member@h";
    const NONE: &str = "none@h";
    const OUTCAST: &str = "outcast@h";
    const OUTSIDER: &str = "outsider@h";

    /// A room with an occupant of every affiliation (but the outcast), each under its name.
    fn room() -> Room {
        let mut r = Room::instant(&jid(OWNER), "owner", RoomConfig::default());
        for (who, aff) in [
            (ADMIN, Affiliation::Admin),
            (MEMBER, Affiliation::Member),
            (OUTCAST, Affiliation::Outcast),
        ] {
            r.affiliations.insert(jid(who), aff);
        }
        for who in [ADMIN, MEMBER, NONE] {
            let nick = who.split('@').next().unwrap();
            assert_eq!(
                r.join(&jid(&format!("{who}/res")), nick, None),
                Ok(Joined::Entered)
            );
        }
        r
    }

    #[test]
    fn defaults_are_the_spec_s() {
        let c = RoomConfig::default();
        assert_eq!(
            (c.title.as_str(), c.max_users, c.anonymous),
            ("", 200, true)
        );
        assert!(c.public && c.public_list && !c.persistent && c.moderated);
        assert!(c.members_by_default && !c.members_only && !c.allow_user_invites);
        let stored: RoomConfig = serde_json::from_str(r#"{"title":"T"}"#).unwrap();
        assert_eq!(stored.title, "T");
        assert_eq!(stored.max_users, 200);
    }

    #[test]
    fn roles_on_entering() {
        let r = room();
        let roles: Vec<(&str, Role)> = r
            .occupants
            .iter()
            .map(|o| (o.nick.as_str(), o.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("owner", Role::Moderator),
                ("admin", Role::Moderator),
                ("member", Role::Participant),
                ("none", Role::Participant)
            ]
        );
        let mut r = Room::instant(&jid(OWNER), "o", RoomConfig::default());
        r.config.members_by_default = false;
        r.join(&jid("v@h/r"), "v", None).unwrap();
        assert_eq!(r.occupants[1].role, Role::Visitor);
    }

    /// The permission matrix: every caller against every rule that depends on who asks.
    #[test]
    fn permission_matrix() {
        type Check = fn(&mut Room, &Jid) -> bool;
        let checks: [(&str, Check); 11] = [
            ("read", |r, c| r.can_read(c)),
            ("read config", |r, c| {
                r.require_owner(c, OwnerAction::ReadConfig).is_ok()
            }),
            ("configure", |r, c| {
                r.configure(c, ConfigChange::default()).is_ok()
            }),
            ("delete", |r, c| {
                r.require_owner(c, OwnerAction::Delete).is_ok()
            }),
            ("kick participant", |r, c| r.kick(c, "none").is_ok()),
            ("kick moderator", |r, c| {
                r.set_role(&jid(OWNER), "none", Role::Moderator).unwrap();
                r.kick(c, "none").is_ok()
            }),
            ("participant to visitor", |r, c| {
                r.set_role(c, "none", Role::Visitor).is_ok()
            }),
            ("grant moderator", |r, c| {
                r.set_role(c, "none", Role::Moderator).is_ok()
            }),
            ("make member", |r, c| {
                r.set_affiliation(c, &jid("new@h"), Affiliation::Member)
                    .is_ok()
            }),
            ("make admin", |r, c| {
                r.set_affiliation(c, &jid("new@h"), Affiliation::Admin)
                    .is_ok()
            }),
            ("demote owner", |r, c| {
                r.affiliations.insert(jid("owner2@h"), Affiliation::Owner);
                r.set_affiliation(c, &jid("owner2@h"), Affiliation::Member)
                    .is_ok()
            }),
        ];
        // Expected, per check, for: owner, admin, member, none, outcast, outsider.
        let expected: [[bool; 6]; 11] = [
            [true, true, true, true, false, true],
            [true, false, false, false, false, false],
            [true, false, false, false, false, false],
            [true, false, false, false, false, false],
            [true, true, false, false, false, false],
            [true, true, false, false, false, false],
            [true, true, false, false, false, false],
            [true, true, false, false, false, false],
            [true, true, false, false, false, false],
            [true, false, false, false, false, false],
            [true, false, false, false, false, false],
        ];
        let callers = [OWNER, ADMIN, MEMBER, NONE, OUTCAST, OUTSIDER];
        for ((name, check), row) in checks.iter().zip(expected) {
            for (caller, want) in callers.iter().zip(row) {
                let mut r = room();
                assert_eq!(check(&mut r, &jid(caller)), want, "{name} by {caller}");
            }
        }
    }

    #[test]
    fn read_access_follows_the_room_kind() {
        let mut r = room();
        r.config.members_only = true;
        assert!(r.can_read(&jid(MEMBER)) && !r.can_read(&jid(NONE)));
        r.config.members_only = false;
        r.config.password_protected = true;
        // An occupant without affiliation reads a password-protected room; an outsider not.
        assert!(r.can_read(&jid(NONE)) && !r.can_read(&jid(OUTSIDER)));
    }

    #[test]
    fn entering() {
        let mut r = room();
        assert_eq!(
            r.join(&jid("outcast@h/r"), "x", None),
            Err(RoomError::Banned)
        );
        assert_eq!(
            r.join(&jid("other@h/r"), "member", None),
            Err(RoomError::NickConflict)
        );
        // The same JID again: a no-op, or a nick change.
        assert_eq!(
            r.join(&jid("none@h/res"), "none", None),
            Ok(Joined::AlreadyIn)
        );
        assert_eq!(
            r.join(&jid("none@h/res"), "renamed", None),
            Ok(Joined::NickChanged)
        );
        // Another session of the same user takes its nick only with allowMultipleSession.
        assert_eq!(
            r.join(&jid("none@h/two"), "renamed", None),
            Err(RoomError::NickConflict)
        );
        r.config.allow_multiple_session = true;
        assert_eq!(
            r.join(&jid("none@h/two"), "renamed", None),
            Ok(Joined::Entered)
        );
        r.config.password_protected = true;
        r.config.password = "pw".into();
        assert_eq!(
            r.join(&jid("p@h/r"), "p", None),
            Err(RoomError::PasswordRequired)
        );
        assert_eq!(
            r.join(&jid("p@h/r"), "p", Some("no")),
            Err(RoomError::WrongPassword)
        );
        assert_eq!(r.join(&jid("p@h/r"), "p", Some("pw")), Ok(Joined::Entered));
        r.config.members_only = true;
        assert_eq!(
            r.join(&jid("q@h/r"), "q", Some("pw")),
            Err(RoomError::MembersOnly)
        );
        r.config.members_only = false;
        r.config.max_users = r.occupants.len() as i64;
        assert_eq!(
            r.join(&jid("q@h/r"), "q", Some("pw")),
            Err(RoomError::MaxUsers)
        );
        // Admins enter a full room.
        assert_eq!(
            r.join(&jid("admin@h/2"), "admin2", Some("pw")),
            Ok(Joined::Entered)
        );
    }

    #[test]
    fn leaving_and_the_end_of_a_room() {
        let mut r = Room::instant(&jid(OWNER), "o", RoomConfig::default());
        assert_eq!(r.leave(&jid("other@h/r"), "o"), Err(RoomError::NotOccupant));
        assert_eq!(r.leave(&jid("owner@h/r"), "x"), Err(RoomError::NotOccupant));
        r.leave(&jid("owner@h/r"), "o").unwrap();
        assert!(r.ends());
        r.config.persistent = true;
        assert!(!r.ends());
    }

    #[test]
    fn affiliations() {
        let mut r = room();
        let owner = jid(OWNER);
        // The sole owner cannot give up ownership; with a second owner, it can.
        assert_eq!(
            r.set_affiliation(&owner, &owner, Affiliation::Admin),
            Err(RoomError::LastOwner)
        );
        r.set_affiliation(&owner, &jid(ADMIN), Affiliation::Owner)
            .unwrap();
        r.set_affiliation(&owner, &owner, Affiliation::Admin)
            .unwrap();
        // Admins cannot touch owners.
        assert_eq!(
            r.set_affiliation(&owner, &jid(ADMIN), Affiliation::Outcast),
            Err(RoomError::AffiliationNotAllowed(Affiliation::Outcast))
        );
        // Banning removes the user's occupants; membership in a members-only room too.
        let admin = jid(ADMIN);
        let gone = r
            .set_affiliation(&admin, &jid(MEMBER), Affiliation::Outcast)
            .unwrap();
        assert_eq!(gone.len(), 1);
        assert!(!r.occupies(&jid(MEMBER)));
        assert_eq!(
            r.set_affiliation(&admin, &jid(NONE), Affiliation::None),
            Ok(vec![])
        );
        // Same value: a no-op for anyone.
        assert_eq!(
            r.set_affiliation(&jid(OUTSIDER), &jid(NONE), Affiliation::None),
            Ok(vec![])
        );
        // Roles follow affiliations.
        r.set_affiliation(&admin, &jid(NONE), Affiliation::Member)
            .unwrap();
        r.config.members_by_default = false;
        r.set_affiliation(&admin, &jid(NONE), Affiliation::None)
            .unwrap();
        let none = r.occupants.iter().find(|o| o.nick == "none").unwrap();
        assert_eq!(none.role, Role::Visitor);
    }

    #[test]
    fn roles() {
        let mut r = room();
        let (owner, member) = (jid(OWNER), jid(MEMBER));
        assert_eq!(
            r.set_role(&owner, "ghost", Role::Visitor),
            Err(RoomError::NickNotFound("ghost".into()))
        );
        // A no-op is allowed to anyone who names an occupant.
        assert_eq!(r.set_role(&member, "none", Role::Participant), Ok(()));
        // Owners and admins never lose moderator.
        assert_eq!(
            r.set_role(&owner, "admin", Role::Participant),
            Err(RoomError::RoleNotAllowed(Role::Participant))
        );
        assert_eq!(r.kick(&owner, "admin"), Err(RoomError::KickNotAllowed));
        assert_eq!(r.kick(&member, "none"), Err(RoomError::ModeratorNotFound));
        assert_eq!(
            r.kick(&owner, "ghost"),
            Err(RoomError::NickNotFound("ghost".into()))
        );
    }

    #[test]
    fn configuring() {
        let mut r = room();
        let change = ConfigChange {
            title: Some("T".into()),
            members_only: Some(true),
            ..Default::default()
        };
        let gone = r.configure(&jid(OWNER), change).unwrap();
        assert_eq!(
            gone.iter().map(|o| o.nick.as_str()).collect::<Vec<_>>(),
            ["none"]
        );
        assert_eq!(r.config.title, "T");
        assert!(r.config.public, "fields not given keep their values");
    }

    #[test]
    fn speaking() {
        let mut r = room();
        r.config.members_by_default = false;
        r.join(&jid("v@h/r"), "v", None).unwrap();
        let v = r.speaker(&jid("v@h"), None).unwrap().clone();
        assert_eq!(r.may_broadcast(&v), Err(RoomError::VisitorMayNotSpeak));
        assert_eq!(
            r.speaker(&jid("v@h"), Some(&jid("v@h/other"))),
            Err(RoomError::NotOccupant)
        );
        assert_eq!(r.speaker(&jid(OUTSIDER), None), Err(RoomError::NotOccupant));
        r.config.allow_private_messages = false;
        assert_eq!(r.private_to("v"), Err(RoomError::PrivateMessagesNotAllowed));
    }

    #[test]
    fn descriptions() {
        let mut r = room();
        let full = Desc {
            title: "r".into(),
            private: Some(false),
            users: Some(4),
        };
        assert_eq!(r.desc_for(&jid(OUTSIDER), "r"), Some(full.clone()));
        r.config.public_list = false;
        assert_eq!(
            r.desc_for(&jid(OUTSIDER), "r").unwrap().private,
            None,
            "only jid and title"
        );
        assert_eq!(r.desc_for(&jid(NONE), "r"), Some(full));
        r.config.public = false;
        r.config.title = "Title with spaces".into();
        assert_eq!(r.desc_for(&jid(OUTSIDER), "r"), None);
        assert_eq!(
            r.desc_for(&jid(MEMBER), "r").unwrap().title,
            "Title with spaces"
        );
        assert!(r.shows_jids_to(&jid(OWNER)) && !r.shows_jids_to(&jid(MEMBER)));
    }

    #[test]
    fn the_administrator_has_every_right_and_no_rule_refuses_it() {
        let mut r = room();
        assert_eq!(r.require_owner(Actor::Admin, OwnerAction::Delete), Ok(()));
        assert_eq!(r.require_read(Actor::Admin), Ok(()));
        assert!(r.shows_jids_to(Actor::Admin));
        assert_eq!(r.set_role(Actor::Admin, "admin", Role::Visitor), Ok(()));
        assert!(r.kick(Actor::Admin, "owner").is_ok(), "owners too");
        assert_eq!(
            r.set_affiliation(Actor::Admin, &jid(OWNER), Affiliation::None),
            Ok(Vec::new()),
            "the last owner too"
        );
        assert!(!r.has_owner());
        assert!(r.configure(Actor::Admin, ConfigChange::default()).is_ok());
    }
}
