use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl MucUserMutationResolver for UserApi {
    async fn create_instant_room(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _nick: ResourceName,
    ) -> Result<Option<MucRoomDesc>> {
        Err(ApiError::not_implemented("MUCUserMutation.createInstantRoom").into())
    }

    async fn invite_user(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _recipient: Jid,
        _reason: Option<String>,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCUserMutation.inviteUser").into())
    }

    async fn kick_user(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _nick: ResourceName,
        _reason: Option<String>,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCUserMutation.kickUser").into())
    }

    async fn send_message_to_room(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _body: String,
        _resource: Option<ResourceName>,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCUserMutation.sendMessageToRoom").into())
    }

    async fn send_private_message(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _to_nick: ResourceName,
        _body: String,
        _resource: Option<ResourceName>,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCUserMutation.sendPrivateMessage").into())
    }

    async fn delete_room(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _reason: Option<String>,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCUserMutation.deleteRoom").into())
    }

    async fn change_room_configuration(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _config: MucRoomConfigInput,
    ) -> Result<Option<MucRoomConfig>> {
        Err(ApiError::not_implemented("MUCUserMutation.changeRoomConfiguration").into())
    }

    async fn set_user_role(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _nick: ResourceName,
        _role: MucRole,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCUserMutation.setUserRole").into())
    }

    async fn set_user_affiliation(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _user: Jid,
        _affiliation: MucAffiliation,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCUserMutation.setUserAffiliation").into())
    }

    async fn enter_room(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _nick: ResourceName,
        _resource: ResourceName,
        _password: Option<String>,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCUserMutation.enterRoom").into())
    }

    async fn exit_room(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _nick: ResourceName,
        _resource: ResourceName,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCUserMutation.exitRoom").into())
    }
}

impl MucUserQueryResolver for UserApi {
    async fn list_rooms(
        &self,
        _ctx: &Context<'_>,
        _muc_domain: DomainName,
        _limit: Option<PosInt>,
        _index: Option<NonNegInt>,
    ) -> Result<Option<MucRoomsPayload>> {
        Err(ApiError::not_implemented("MUCUserQuery.listRooms").into())
    }

    async fn get_room_config(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
    ) -> Result<Option<MucRoomConfig>> {
        Err(ApiError::not_implemented("MUCUserQuery.getRoomConfig").into())
    }

    async fn list_room_users(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
    ) -> Result<Option<Vec<MucRoomUser>>> {
        Err(ApiError::not_implemented("MUCUserQuery.listRoomUsers").into())
    }

    async fn list_room_affiliations(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _affiliation: Option<MucAffiliation>,
    ) -> Result<Option<Vec<MucRoomAffiliation>>> {
        Err(ApiError::not_implemented("MUCUserQuery.listRoomAffiliations").into())
    }

    async fn get_room_messages(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _page_size: Option<PosInt>,
        _before: Option<DateTime>,
    ) -> Result<Option<StanzasPayload>> {
        Err(ApiError::not_implemented("MUCUserQuery.getRoomMessages").into())
    }
}
