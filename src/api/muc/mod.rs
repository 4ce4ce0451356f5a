//! `muc`: classic MUC rooms (creation, configuration, occupants, roles, affiliations,
//! messages, listing). The rules are in [`crate::muc`]; here arguments become domain values.

mod mapping;

use async_graphql::{Context, Result, Value};

use super::codes::{self, MucField};
use super::{UserApi, caller};
/// The generated types `mapping` converts (see there).
use crate::generated::user as schema_types;
use crate::generated::user::*;
use crate::muc::MucError;
use mapping::*;

/// Default reason of an invitation (spec §3.1).
const INVITE_REASON: &str = "User invited through the user GraphQL API";

fn err(field: MucField, room: &BareJid) -> impl FnOnce(MucError) -> async_graphql::Error {
    let ext = vec![("room", Value::from(room.0.to_string()))];
    move |e| codes::muc(e, field, ext).into()
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
        reason: Option<String>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        let reason = reason.unwrap_or_else(|| "Room deleted through the user GraphQL API".into());
        self.state
            .muc
            .delete(user, &room.0, &reason)
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
        Ok(Some(rooms_page_out(page)))
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
        Ok(Some(affs.into_iter().map(affiliation_out).collect()))
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
