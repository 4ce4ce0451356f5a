use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl MucLightUserMutationResolver for UserApi {
    async fn create_room(
        &self,
        _ctx: &Context<'_>,
        _muc_domain: DomainName,
        _name: Option<String>,
        _subject: Option<String>,
        _id: Option<RoomName>,
        _options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> Result<Option<Room>> {
        Err(ApiError::not_implemented("MUCLightUserMutation.createRoom").into())
    }

    async fn change_room_configuration(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _name: Option<String>,
        _subject: Option<String>,
        _options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> Result<Option<Room>> {
        Err(ApiError::not_implemented("MUCLightUserMutation.changeRoomConfiguration").into())
    }

    async fn invite_user(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _recipient: Jid,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCLightUserMutation.inviteUser").into())
    }

    async fn delete_room(&self, _ctx: &Context<'_>, _room: BareJid) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCLightUserMutation.deleteRoom").into())
    }

    async fn kick_user(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _user: Option<Jid>,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCLightUserMutation.kickUser").into())
    }

    async fn send_message_to_room(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _body: String,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCLightUserMutation.sendMessageToRoom").into())
    }

    async fn set_blocking_list(
        &self,
        _ctx: &Context<'_>,
        _items: Vec<BlockingInput>,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("MUCLightUserMutation.setBlockingList").into())
    }
}

impl MucLightUserQueryResolver for UserApi {
    async fn get_room_messages(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
        _page_size: Option<PosInt>,
        _before: Option<DateTime>,
    ) -> Result<Option<StanzasPayload>> {
        Err(ApiError::not_implemented("MUCLightUserQuery.getRoomMessages").into())
    }

    async fn get_room_config(&self, _ctx: &Context<'_>, _room: BareJid) -> Result<Option<Room>> {
        Err(ApiError::not_implemented("MUCLightUserQuery.getRoomConfig").into())
    }

    async fn list_room_users(
        &self,
        _ctx: &Context<'_>,
        _room: BareJid,
    ) -> Result<Option<Vec<RoomUser>>> {
        Err(ApiError::not_implemented("MUCLightUserQuery.listRoomUsers").into())
    }

    async fn list_rooms(&self, _ctx: &Context<'_>) -> Result<Option<Vec<Jid>>> {
        Err(ApiError::not_implemented("MUCLightUserQuery.listRooms").into())
    }

    async fn get_blocking_list(&self, _ctx: &Context<'_>) -> Result<Option<Vec<BlockingItem>>> {
        Err(ApiError::not_implemented("MUCLightUserQuery.getBlockingList").into())
    }
}
