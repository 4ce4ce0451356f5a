//! `muc` on the admin API: any classic MUC room, through the same service as the user API. The
//! room-wide operations act as the server's administrator ([`Actor::Admin`]: an owner's and a
//! moderator's rights, no rule refuses it); the others act as the user they name.

// The user API's MUC mapping, compiled a second time against the admin's generated types.
#[allow(clippy::duplicate_mod)]
#[path = "../api/muc/mapping.rs"]
mod mapping;

use async_graphql::{Context, Result, Value};

use super::AdminApi;
use crate::api::codes::{self, MucField};
/// The generated types `mapping` converts.
use crate::generated::admin as schema_types;
use crate::generated::admin::*;
use crate::jid::Jid as CoreJid;
use crate::muc::MucError;
use crate::muc::room::Actor;
use mapping::*;

const INVITE_REASON: &str = "User invited through the admin GraphQL API";
const DELETE_REASON: &str = "Room deleted through the admin GraphQL API";

fn err(field: MucField, room: &BareJid) -> impl FnOnce(MucError) -> async_graphql::Error {
    let ext = vec![("room", Value::from(room.0.to_string()))];
    move |e| codes::muc(e, field, ext).into()
}

impl AdminApi {
    /// The user acted for must exist (`user_not_found`, as `createInstantRoom` answers).
    async fn muc_user(&self, user: &CoreJid, field: MucField, room: &BareJid) -> Result<()> {
        if self.account_exists(user).await? {
            Ok(())
        } else {
            Err(err(field, room)(MucError::UserNotFound))
        }
    }
}

impl MucAdminMutationResolver for AdminApi {
    async fn create_instant_room(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        owner: Jid,
        nick: ResourceName,
    ) -> Result<Option<MucRoomDesc>> {
        let f = MucField::CreateInstantRoom;
        self.muc_user(&owner.0, f, &room).await?;
        let desc = self
            .state
            .muc
            .create_instant(&owner.0, &room.0, &nick.0)
            .await
            .map_err(err(f, &room))?;
        Ok(Some(desc_out(room.0, desc)))
    }

    async fn invite_user(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        sender: Jid,
        recipient: Jid,
        reason: Option<String>,
    ) -> Result<Option<String>> {
        let f = MucField::InviteUser;
        self.muc_user(&sender.0, f, &room).await?;
        let reason = reason.unwrap_or_else(|| INVITE_REASON.to_string());
        self.state
            .muc
            .invite(&sender.0, &room.0, &recipient.0, &reason)
            .await
            .map_err(err(f, &room))?;
        Ok(Some("Invitation sent successfully".into()))
    }

    async fn kick_user(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        nick: ResourceName,
        _reason: Option<String>,
    ) -> Result<Option<String>> {
        self.state
            .muc
            .kick(Actor::Admin, &room.0, &nick.0)
            .await
            .map_err(err(MucField::KickUser, &room))?;
        Ok(Some("Kick message sent successfully".into()))
    }

    async fn send_message_to_room(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        from: FullJid,
        body: String,
    ) -> Result<Option<String>> {
        let f = MucField::SendMessageToRoom;
        self.muc_user(&from.0, f, &room).await?;
        self.state
            .muc
            .send(&from.0, &room.0, &body, Some(from.0.resource()))
            .await
            .map_err(err(f, &room))?;
        Ok(Some("Message sent successfully".into()))
    }

    async fn send_private_message(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        from: FullJid,
        to_nick: ResourceName,
        body: String,
    ) -> Result<Option<String>> {
        let f = MucField::SendPrivateMessage;
        self.muc_user(&from.0, f, &room).await?;
        self.state
            .muc
            .send_private(&from.0, &room.0, &to_nick.0, &body, Some(from.0.resource()))
            .await
            .map_err(err(f, &room))?;
        Ok(Some("Message sent successfully".into()))
    }

    async fn delete_room(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        reason: Option<String>,
    ) -> Result<Option<String>> {
        let reason = reason.unwrap_or_else(|| DELETE_REASON.to_string());
        self.state
            .muc
            .delete(Actor::Admin, &room.0, &reason)
            .await
            .map_err(err(MucField::DeleteRoom, &room))?;
        Ok(Some("Room deleted successfully".into()))
    }

    async fn change_room_configuration(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        config: MucRoomConfigInput,
    ) -> Result<Option<MucRoomConfig>> {
        let config = self
            .state
            .muc
            .configure(Actor::Admin, &room.0, config_in(config))
            .await
            .map_err(err(MucField::ChangeRoomConfiguration, &room))?;
        Ok(Some(config_out(config)))
    }

    async fn set_user_role(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        nick: ResourceName,
        role: MucRole,
    ) -> Result<Option<String>> {
        self.state
            .muc
            .set_role(Actor::Admin, &room.0, &nick.0, role_in(role))
            .await
            .map_err(err(MucField::SetUserRole, &room))?;
        Ok(Some("Role set successfully".into()))
    }

    async fn set_user_affiliation(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        user: Jid,
        affiliation: MucAffiliation,
    ) -> Result<Option<String>> {
        self.state
            .muc
            .set_affiliation(Actor::Admin, &room.0, &user.0, aff_in(affiliation))
            .await
            .map_err(err(MucField::SetUserAffiliation, &room))?;
        Ok(Some("Affiliation set successfully".into()))
    }

    async fn enter_room(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        user: FullJid,
        nick: ResourceName,
        password: Option<String>,
    ) -> Result<Option<String>> {
        let f = MucField::EnterRoom;
        self.muc_user(&user.0, f, &room).await?;
        self.state
            .muc
            .enter(
                &user.0,
                &room.0,
                &nick.0,
                user.0.resource(),
                password.as_deref(),
            )
            .await
            .map_err(err(f, &room))?;
        Ok(Some("Entering room message sent successfully".into()))
    }

    async fn exit_room(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        user: FullJid,
        nick: ResourceName,
    ) -> Result<Option<String>> {
        let f = MucField::ExitRoom;
        self.muc_user(&user.0, f, &room).await?;
        self.state
            .muc
            .exit(&user.0, &room.0, &nick.0, user.0.resource())
            .await
            .map_err(err(f, &room))?;
        Ok(Some("Exiting room message sent successfully".into()))
    }
}

impl MucAdminQueryResolver for AdminApi {
    async fn list_rooms(
        &self,
        _ctx: &Context<'_>,
        muc_domain: DomainName,
        from: Jid,
        limit: Option<PosInt>,
        index: Option<NonNegInt>,
    ) -> Result<Option<MucRoomsPayload>> {
        let ext = vec![("mucDomain", Value::from(muc_domain.0.clone()))];
        let page = self
            .state
            .muc
            .list(
                &from.0,
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
        _ctx: &Context<'_>,
        room: BareJid,
    ) -> Result<Option<MucRoomConfig>> {
        let config = self
            .state
            .muc
            .config(Actor::Admin, &room.0)
            .await
            .map_err(err(MucField::GetRoomConfig, &room))?;
        Ok(Some(config_out(config)))
    }

    async fn list_room_users(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
    ) -> Result<Option<Vec<MucRoomUser>>> {
        let users = self
            .state
            .muc
            .users(Actor::Admin, &room.0)
            .await
            .map_err(err(MucField::ListRoomUsers, &room))?;
        Ok(Some(users.into_iter().map(user_out).collect()))
    }

    async fn list_room_affiliations(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        affiliation: Option<MucAffiliation>,
    ) -> Result<Option<Vec<MucRoomAffiliation>>> {
        let affs = self
            .state
            .muc
            .affiliations(Actor::Admin, &room.0, affiliation.map(aff_in))
            .await
            .map_err(err(MucField::ListRoomAffiliations, &room))?;
        Ok(Some(affs.into_iter().map(affiliation_out).collect()))
    }

    async fn get_room_messages(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        page_size: Option<PosInt>,
        before: Option<DateTime>,
    ) -> Result<Option<StanzasPayload>> {
        super::stanza::room_messages(
            page_size,
            before,
            |before, limit| {
                self.state
                    .muc
                    .messages(Actor::Admin, &room.0, before, limit)
            },
            err(MucField::GetRoomMessages, &room),
        )
        .await
    }
}
