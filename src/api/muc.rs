//! `muc`: classic MUC rooms (creation, configuration, occupants, roles, affiliations,
//! messages, listing). The rules are in [`crate::muc`]; here arguments become domain values.

use async_graphql::{Context, Result, Value};

use super::codes::{self, MucField};
use super::{UserApi, caller};
use crate::generated::user::*;
use crate::muc::room::{self, ConfigChange, RoomConfig};
use crate::muc::{MucError, UserView};

/// Default reason of an invitation (spec §3.1).
const INVITE_REASON: &str = "User invited through the user GraphQL API";

fn err(field: MucField, room: &BareJid) -> impl FnOnce(MucError) -> async_graphql::Error {
    let ext = vec![("room", Value::from(room.0.to_string()))];
    move |e| codes::muc(e, field, ext).into()
}

fn role_out(r: room::Role) -> MucRole {
    match r {
        room::Role::Visitor => MucRole::Visitor,
        room::Role::Participant => MucRole::Participant,
        room::Role::Moderator => MucRole::Moderator,
    }
}

fn role_in(r: MucRole) -> room::Role {
    match r {
        MucRole::Visitor => room::Role::Visitor,
        MucRole::Participant => room::Role::Participant,
        MucRole::Moderator => room::Role::Moderator,
    }
}

fn aff_out(a: room::Affiliation) -> MucAffiliation {
    match a {
        room::Affiliation::Owner => MucAffiliation::Owner,
        room::Affiliation::Admin => MucAffiliation::Admin,
        room::Affiliation::Member => MucAffiliation::Member,
        room::Affiliation::Outcast => MucAffiliation::Outcast,
        room::Affiliation::None => MucAffiliation::None,
    }
}

fn aff_in(a: MucAffiliation) -> room::Affiliation {
    match a {
        MucAffiliation::Owner => room::Affiliation::Owner,
        MucAffiliation::Admin => room::Affiliation::Admin,
        MucAffiliation::Member => room::Affiliation::Member,
        MucAffiliation::Outcast => room::Affiliation::Outcast,
        MucAffiliation::None => room::Affiliation::None,
    }
}

fn config_out(c: RoomConfig) -> MucRoomConfig {
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

fn config_in(c: MucRoomConfigInput) -> ConfigChange {
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

fn desc_out(jid: crate::jid::Jid, d: room::Desc) -> MucRoomDesc {
    MucRoomDesc {
        jid: Jid(jid),
        title: d.title,
        private: d.private,
        users_number: d.users.map(|n| NonNegInt(n as i64)),
    }
}

fn user_out(u: UserView) -> MucRoomUser {
    MucRoomUser {
        jid: u.jid.map(Jid),
        nick: u.nick,
        role: role_out(u.role),
    }
}

impl MucUserMutationResolver for UserApi {
    async fn create_instant_room(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        nick: ResourceName,
    ) -> Result<Option<MucRoomDesc>> {
        let user = caller(ctx)?;
        let desc = self
            .state
            .muc
            .create_instant(user, &room.0, &nick.0)
            .await
            .map_err(err(MucField::CreateInstantRoom, &room))?;
        Ok(Some(desc_out(room.0, desc)))
    }

    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        recipient: Jid,
        reason: Option<String>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        let reason = reason.unwrap_or_else(|| INVITE_REASON.to_string());
        self.state
            .muc
            .invite(user, &room.0, &recipient.0, &reason)
            .await
            .map_err(err(MucField::InviteUser, &room))?;
        Ok(Some("Invitation sent successfully".into()))
    }

    async fn kick_user(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        nick: ResourceName,
        _reason: Option<String>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc
            .kick(user, &room.0, &nick.0)
            .await
            .map_err(err(MucField::KickUser, &room))?;
        Ok(Some("Kick message sent successfully".into()))
    }

    async fn send_message_to_room(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        body: String,
        resource: Option<ResourceName>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc
            .send(
                user,
                &room.0,
                &body,
                resource.as_ref().map(|r| r.0.as_str()),
            )
            .await
            .map_err(err(MucField::SendMessageToRoom, &room))?;
        Ok(Some("Message sent successfully".into()))
    }

    async fn send_private_message(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        to_nick: ResourceName,
        body: String,
        resource: Option<ResourceName>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc
            .send_private(
                user,
                &room.0,
                &to_nick.0,
                &body,
                resource.as_ref().map(|r| r.0.as_str()),
            )
            .await
            .map_err(err(MucField::SendPrivateMessage, &room))?;
        Ok(Some("Message sent successfully".into()))
    }

    async fn delete_room(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        _reason: Option<String>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc
            .delete(user, &room.0)
            .await
            .map_err(err(MucField::DeleteRoom, &room))?;
        Ok(Some("Room deleted successfully".into()))
    }

    async fn change_room_configuration(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        config: MucRoomConfigInput,
    ) -> Result<Option<MucRoomConfig>> {
        let user = caller(ctx)?;
        let config = self
            .state
            .muc
            .configure(user, &room.0, config_in(config))
            .await
            .map_err(err(MucField::ChangeRoomConfiguration, &room))?;
        Ok(Some(config_out(config)))
    }

    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        nick: ResourceName,
        role: MucRole,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc
            .set_role(user, &room.0, &nick.0, role_in(role))
            .await
            .map_err(err(MucField::SetUserRole, &room))?;
        Ok(Some("Role set successfully".into()))
    }

    async fn set_user_affiliation(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        target: Jid,
        affiliation: MucAffiliation,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc
            .set_affiliation(user, &room.0, &target.0, aff_in(affiliation))
            .await
            .map_err(err(MucField::SetUserAffiliation, &room))?;
        Ok(Some("Affiliation set successfully".into()))
    }

    async fn enter_room(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        nick: ResourceName,
        resource: ResourceName,
        password: Option<String>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc
            .enter(user, &room.0, &nick.0, &resource.0, password.as_deref())
            .await
            .map_err(err(MucField::EnterRoom, &room))?;
        Ok(Some("Entering room message sent successfully".into()))
    }

    async fn exit_room(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        nick: ResourceName,
        resource: ResourceName,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc
            .exit(user, &room.0, &nick.0, &resource.0)
            .await
            .map_err(err(MucField::ExitRoom, &room))?;
        Ok(Some("Exiting room message sent successfully".into()))
    }
}

impl MucUserQueryResolver for UserApi {
    async fn list_rooms(
        &self,
        ctx: &Context<'_>,
        muc_domain: DomainName,
        limit: Option<PosInt>,
        index: Option<NonNegInt>,
    ) -> Result<Option<MucRoomsPayload>> {
        let user = caller(ctx)?;
        let ext = vec![("mucDomain", Value::from(muc_domain.0.clone()))];
        let page = self
            .state
            .muc
            .list(
                user,
                &muc_domain.0,
                limit.map(|l| usize::try_from(l.0).unwrap_or(usize::MAX)),
                index.map(|i| usize::try_from(i.0).unwrap_or(usize::MAX)),
            )
            .await
            .map_err(|e| codes::muc(e, MucField::ListRooms, ext))?;
        Ok(Some(MucRoomsPayload {
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
        }))
    }

    async fn get_room_config(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
    ) -> Result<Option<MucRoomConfig>> {
        let user = caller(ctx)?;
        let config = self
            .state
            .muc
            .config(user, &room.0)
            .await
            .map_err(err(MucField::GetRoomConfig, &room))?;
        Ok(Some(config_out(config)))
    }

    async fn list_room_users(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
    ) -> Result<Option<Vec<MucRoomUser>>> {
        let user = caller(ctx)?;
        let users = self
            .state
            .muc
            .users(user, &room.0)
            .await
            .map_err(err(MucField::ListRoomUsers, &room))?;
        Ok(Some(users.into_iter().map(user_out).collect()))
    }

    async fn list_room_affiliations(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        affiliation: Option<MucAffiliation>,
    ) -> Result<Option<Vec<MucRoomAffiliation>>> {
        let user = caller(ctx)?;
        let affs = self
            .state
            .muc
            .affiliations(user, &room.0, affiliation.map(aff_in))
            .await
            .map_err(err(MucField::ListRoomAffiliations, &room))?;
        Ok(Some(
            affs.into_iter()
                .map(|(jid, a)| MucRoomAffiliation {
                    jid: Jid(jid),
                    affiliation: aff_out(a),
                })
                .collect(),
        ))
    }

    async fn get_room_messages(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        page_size: Option<PosInt>,
        before: Option<DateTime>,
    ) -> Result<Option<StanzasPayload>> {
        let user = caller(ctx)?;
        super::stanza::room_messages(
            page_size,
            before,
            |before, limit| self.state.muc.messages(user, &room.0, before, limit),
            err(MucField::GetRoomMessages, &room),
        )
        .await
    }
}
