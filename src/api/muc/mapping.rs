//! The GraphQL MUC types ↔ the domain's rooms, roles, affiliations and configurations. The
//! user and admin APIs generate their own (identical) MUC types; each includes this file as
//! its `mapping` module beside a `schema_types` alias of its generated module.

use super::schema_types::*;
use crate::muc::room::{self, ConfigChange, RoomConfig};
use crate::muc::{RoomsPage, UserView};

pub(super) fn role_out(r: room::Role) -> MucRole {
    match r {
        room::Role::Visitor => MucRole::Visitor,
        room::Role::Participant => MucRole::Participant,
        room::Role::Moderator => MucRole::Moderator,
    }
}

pub(super) fn role_in(r: MucRole) -> room::Role {
    match r {
        MucRole::Visitor => room::Role::Visitor,
        MucRole::Participant => room::Role::Participant,
        MucRole::Moderator => room::Role::Moderator,
    }
}

pub(super) fn aff_out(a: room::Affiliation) -> MucAffiliation {
    match a {
        room::Affiliation::Owner => MucAffiliation::Owner,
        room::Affiliation::Admin => MucAffiliation::Admin,
        room::Affiliation::Member => MucAffiliation::Member,
        room::Affiliation::Outcast => MucAffiliation::Outcast,
        room::Affiliation::None => MucAffiliation::None,
    }
}

pub(super) fn aff_in(a: MucAffiliation) -> room::Affiliation {
    match a {
        MucAffiliation::Owner => room::Affiliation::Owner,
        MucAffiliation::Admin => room::Affiliation::Admin,
        MucAffiliation::Member => room::Affiliation::Member,
        MucAffiliation::Outcast => room::Affiliation::Outcast,
        MucAffiliation::None => room::Affiliation::None,
    }
}

pub(super) fn config_out(c: RoomConfig) -> MucRoomConfig {
    MucRoomConfig {
        title: c.title,
        description: c.description,
        allow_change_subject: c.allow_change_subject,
        allow_query_users: c.allow_query_users,
        allow_private_messages: c.allow_private_messages,
        allow_visitor_status: c.allow_visitor_status,
        allow_visitor_nickchange: c.allow_visitor_nickchange,
        public: c.public,
        public_list: c.public_list,
        persistent: c.persistent,
        moderated: c.moderated,
        members_by_default: c.members_by_default,
        members_only: c.members_only,
        allow_user_invites: c.allow_user_invites,
        allow_multiple_session: c.allow_multiple_session,
        password_protected: c.password_protected,
        password: c.password,
        anonymous: c.anonymous,
        may_get_member_list: c.may_get_member_list,
        max_users: Some(PosInt(c.max_users)),
        logging: c.logging,
    }
}

pub(super) fn config_in(c: MucRoomConfigInput) -> ConfigChange {
    ConfigChange {
        title: c.title,
        description: c.description,
        allow_change_subject: c.allow_change_subject,
        allow_query_users: c.allow_query_users,
        allow_private_messages: c.allow_private_messages,
        allow_visitor_status: c.allow_visitor_status,
        allow_visitor_nickchange: c.allow_visitor_nickchange,
        public: c.public,
        public_list: c.public_list,
        persistent: c.persistent,
        moderated: c.moderated,
        members_by_default: c.members_by_default,
        members_only: c.members_only,
        allow_user_invites: c.allow_user_invites,
        allow_multiple_session: c.allow_multiple_session,
        password_protected: c.password_protected,
        password: c.password,
        anonymous: c.anonymous,
        may_get_member_list: c.may_get_member_list,
        max_users: c.max_users.map(|m| m.0),
        logging: c.logging,
    }
}

pub(super) fn desc_out(jid: crate::jid::Jid, d: room::Desc) -> MucRoomDesc {
    MucRoomDesc {
        jid: Jid(jid),
        title: d.title,
        private: d.private,
        users_number: d.users.map(|n| NonNegInt(n as i64)),
    }
}

pub(super) fn user_out(u: UserView) -> MucRoomUser {
    MucRoomUser {
        jid: u.jid.map(Jid),
        nick: u.nick,
        role: role_out(u.role),
    }
}

pub(super) fn affiliation_out(
    (jid, a): (crate::jid::Jid, room::Affiliation),
) -> MucRoomAffiliation {
    MucRoomAffiliation {
        jid: Jid(jid),
        affiliation: aff_out(a),
    }
}

pub(super) fn rooms_page_out(page: RoomsPage) -> MucRoomsPayload {
    MucRoomsPayload {
        rooms: Some(
            page.rooms
                .into_iter()
                .map(|(jid, d)| desc_out(jid, d))
                .collect(),
        ),
        count: Some(NonNegInt(page.count as i64)),
        index: page.index.map(|i| NonNegInt(i as i64)),
        first: page.first,
        last: page.last,
    }
}
