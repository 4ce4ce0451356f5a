//! `muc_light` on the admin API: any MUC Light room and users' blocking lists.

use cynic::{MutationBuilder, QueryBuilder};

use crate::admin::stanza::StanzasPayload;
use crate::admin_schema as schema;
use crate::scalars::{BareJid, DateTime, DomainName, Jid, PosInt, RoomName};

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum Affiliation {
    Owner,
    Member,
    None,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum BlockedEntityType {
    User,
    Room,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum BlockingAction {
    Allow,
    Deny,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct RoomUser {
    pub jid: Jid,
    pub affiliation: Affiliation,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct RoomConfigDictEntry {
    pub key: String,
    pub value: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Room {
    pub jid: BareJid,
    pub name: Option<String>,
    pub subject: Option<String>,
    pub participants: Vec<RoomUser>,
    pub options: Vec<RoomConfigDictEntry>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct BlockingItem {
    pub entity_type: BlockedEntityType,
    pub action: BlockingAction,
    pub entity: Jid,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql_admin")]
pub struct RoomConfigDictEntryInput {
    pub key: String,
    pub value: String,
}

impl RoomConfigDictEntryInput {
    pub fn new(key: &str, value: &str) -> RoomConfigDictEntryInput {
        RoomConfigDictEntryInput {
            key: key.to_string(),
            value: value.to_string(),
        }
    }
}

/// One change of the blocking list; `action: None` means the schema's default, `DENY`.
#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql_admin")]
pub struct BlockingInput {
    pub entity_type: BlockedEntityType,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub action: Option<BlockingAction>,
    pub entity: Jid,
}

impl BlockingInput {
    pub fn new(
        entity_type: BlockedEntityType,
        action: Option<BlockingAction>,
        entity: &str,
    ) -> BlockingInput {
        BlockingInput {
            entity_type,
            action,
            entity: entity.into(),
        }
    }
}

/// Options as the API takes them: `None` when empty.
pub fn options(options: &[(&str, &str)]) -> Option<Vec<RoomConfigDictEntryInput>> {
    (!options.is_empty()).then(|| {
        options
            .iter()
            .map(|(k, v)| RoomConfigDictEntryInput::new(k, v))
            .collect()
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CreateRoomVars {
    pub muc_domain: DomainName,
    pub name: Option<String>,
    pub owner: Jid,
    pub subject: Option<String>,
    pub id: Option<RoomName>,
    pub options: Option<Vec<RoomConfigDictEntryInput>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminMutation",
    variables = "CreateRoomVars"
)]
pub struct MucLightCreateRoom {
    #[arguments(mucDomain: $muc_domain, name: $name, owner: $owner, subject: $subject, id: $id, options: $options)]
    pub create_room: Option<Room>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "CreateRoomVars"
)]
pub struct CreateRoom {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightCreateRoom>,
}

impl CreateRoom {
    /// The field's value.
    pub fn value(&self) -> Option<&Room> {
        self.muc_light.as_ref()?.create_room.as_ref()
    }
}

/// `createRoom`: a room created by `owner`.
#[allow(clippy::too_many_arguments)]
pub fn create_room(
    muc_domain: &str,
    name: Option<&str>,
    owner: &str,
    subject: Option<&str>,
    id: Option<&str>,
    options: Option<Vec<RoomConfigDictEntryInput>>,
) -> cynic::Operation<CreateRoom, CreateRoomVars> {
    CreateRoom::build(CreateRoomVars {
        muc_domain: muc_domain.into(),
        name: name.map(str::to_string),
        owner: owner.into(),
        subject: subject.map(str::to_string),
        id: id.map(RoomName::from),
        options,
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ChangeRoomConfigurationVars {
    pub room: BareJid,
    pub owner: Jid,
    pub name: Option<String>,
    pub subject: Option<String>,
    pub options: Option<Vec<RoomConfigDictEntryInput>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminMutation",
    variables = "ChangeRoomConfigurationVars"
)]
pub struct MucLightChangeRoomConfiguration {
    #[arguments(room: $room, owner: $owner, name: $name, subject: $subject, options: $options)]
    pub change_room_configuration: Option<Room>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "ChangeRoomConfigurationVars"
)]
pub struct ChangeRoomConfiguration {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightChangeRoomConfiguration>,
}

impl ChangeRoomConfiguration {
    /// The field's value.
    pub fn value(&self) -> Option<&Room> {
        self.muc_light.as_ref()?.change_room_configuration.as_ref()
    }
}

/// `changeRoomConfiguration`: changes the configuration as `owner`.
#[allow(clippy::too_many_arguments)]
pub fn change_room_configuration(
    room: &str,
    owner: &str,
    name: Option<&str>,
    subject: Option<&str>,
    options: Option<Vec<RoomConfigDictEntryInput>>,
) -> cynic::Operation<ChangeRoomConfiguration, ChangeRoomConfigurationVars> {
    ChangeRoomConfiguration::build(ChangeRoomConfigurationVars {
        room: room.into(),
        owner: owner.into(),
        name: name.map(str::to_string),
        subject: subject.map(str::to_string),
        options,
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct InviteUserVars {
    pub room: BareJid,
    pub sender: Jid,
    pub recipient: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminMutation",
    variables = "InviteUserVars"
)]
pub struct MucLightInviteUser {
    #[arguments(room: $room, sender: $sender, recipient: $recipient)]
    pub invite_user: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "InviteUserVars"
)]
pub struct InviteUser {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightInviteUser>,
}

impl InviteUser {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc_light.as_ref()?.invite_user.as_ref()
    }
}

/// `inviteUser`: adds `recipient` on `sender`'s behalf.
pub fn invite_user(
    room: &str,
    sender: &str,
    recipient: &str,
) -> cynic::Operation<InviteUser, InviteUserVars> {
    InviteUser::build(InviteUserVars {
        room: room.into(),
        sender: sender.into(),
        recipient: recipient.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct DeleteRoomVars {
    pub room: BareJid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminMutation",
    variables = "DeleteRoomVars"
)]
pub struct MucLightDeleteRoom {
    #[arguments(room: $room)]
    pub delete_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "DeleteRoomVars"
)]
pub struct DeleteRoom {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightDeleteRoom>,
}

impl DeleteRoom {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc_light.as_ref()?.delete_room.as_ref()
    }
}

/// `deleteRoom`: destroys the room.
pub fn delete_room(room: &str) -> cynic::Operation<DeleteRoom, DeleteRoomVars> {
    DeleteRoom::build(DeleteRoomVars { room: room.into() })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct KickUserVars {
    pub room: BareJid,
    pub user: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminMutation",
    variables = "KickUserVars"
)]
pub struct MucLightKickUser {
    #[arguments(room: $room, user: $user)]
    pub kick_user: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "KickUserVars"
)]
pub struct KickUser {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightKickUser>,
}

impl KickUser {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc_light.as_ref()?.kick_user.as_ref()
    }
}

/// `kickUser`: `user` leaves the room.
pub fn kick_user(room: &str, user: &str) -> cynic::Operation<KickUser, KickUserVars> {
    KickUser::build(KickUserVars {
        room: room.into(),
        user: user.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendMessageToRoomVars {
    pub room: BareJid,
    pub from: Jid,
    pub body: String,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminMutation",
    variables = "SendMessageToRoomVars"
)]
pub struct MucLightSendMessageToRoom {
    #[arguments(room: $room, from: $from, body: $body)]
    pub send_message_to_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SendMessageToRoomVars"
)]
pub struct SendMessageToRoom {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightSendMessageToRoom>,
}

impl SendMessageToRoom {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc_light.as_ref()?.send_message_to_room.as_ref()
    }
}

/// `sendMessageToRoom`: a message from `from`.
pub fn send_message_to_room(
    room: &str,
    from: &str,
    body: &str,
) -> cynic::Operation<SendMessageToRoom, SendMessageToRoomVars> {
    SendMessageToRoom::build(SendMessageToRoomVars {
        room: room.into(),
        from: from.into(),
        body: body.to_string(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetBlockingListVars {
    pub user: Jid,
    pub items: Vec<BlockingInput>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminMutation",
    variables = "SetBlockingListVars"
)]
pub struct MucLightSetBlockingList {
    #[arguments(user: $user, items: $items)]
    pub set_blocking_list: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SetBlockingListVars"
)]
pub struct SetBlockingList {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightSetBlockingList>,
}

impl SetBlockingList {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc_light.as_ref()?.set_blocking_list.as_ref()
    }
}

/// `setBlockingList`: changes the user's blocking list.
pub fn set_blocking_list(
    user: &str,
    items: Vec<BlockingInput>,
) -> cynic::Operation<SetBlockingList, SetBlockingListVars> {
    SetBlockingList::build(SetBlockingListVars {
        user: user.into(),
        items,
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetRoomMessagesVars {
    pub room: BareJid,
    pub page_size: Option<PosInt>,
    pub before: Option<DateTime>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminQuery",
    variables = "GetRoomMessagesVars"
)]
pub struct MucLightGetRoomMessages {
    #[arguments(room: $room, pageSize: $page_size, before: $before)]
    pub get_room_messages: Option<StanzasPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "GetRoomMessagesVars"
)]
pub struct GetRoomMessages {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightGetRoomMessages>,
}

impl GetRoomMessages {
    /// The field's value.
    pub fn value(&self) -> Option<&StanzasPayload> {
        self.muc_light.as_ref()?.get_room_messages.as_ref()
    }
}

/// `getRoomMessages`: the room's newest archived messages.
pub fn get_room_messages(
    room: &str,
    page_size: Option<i64>,
    before: Option<&str>,
) -> cynic::Operation<GetRoomMessages, GetRoomMessagesVars> {
    GetRoomMessages::build(GetRoomMessagesVars {
        room: room.into(),
        page_size: page_size.map(PosInt),
        before: before.map(DateTime::from),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetRoomConfigVars {
    pub room: BareJid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminQuery",
    variables = "GetRoomConfigVars"
)]
pub struct MucLightGetRoomConfig {
    #[arguments(room: $room)]
    pub get_room_config: Option<Room>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "GetRoomConfigVars"
)]
pub struct GetRoomConfig {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightGetRoomConfig>,
}

impl GetRoomConfig {
    /// The field's value.
    pub fn value(&self) -> Option<&Room> {
        self.muc_light.as_ref()?.get_room_config.as_ref()
    }
}

/// `getRoomConfig`: the room.
pub fn get_room_config(room: &str) -> cynic::Operation<GetRoomConfig, GetRoomConfigVars> {
    GetRoomConfig::build(GetRoomConfigVars { room: room.into() })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListRoomUsersVars {
    pub room: BareJid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminQuery",
    variables = "ListRoomUsersVars"
)]
pub struct MucLightListRoomUsers {
    #[arguments(room: $room)]
    pub list_room_users: Option<Vec<RoomUser>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "ListRoomUsersVars"
)]
pub struct ListRoomUsers {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightListRoomUsers>,
}

impl ListRoomUsers {
    /// The field's value.
    pub fn value(&self) -> Option<&Vec<RoomUser>> {
        self.muc_light.as_ref()?.list_room_users.as_ref()
    }
}

/// `listRoomUsers`: the room's occupants.
pub fn list_room_users(room: &str) -> cynic::Operation<ListRoomUsers, ListRoomUsersVars> {
    ListRoomUsers::build(ListRoomUsersVars { room: room.into() })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListUserRoomsVars {
    pub user: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminQuery",
    variables = "ListUserRoomsVars"
)]
pub struct MucLightListUserRooms {
    #[arguments(user: $user)]
    pub list_user_rooms: Option<Vec<Jid>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "ListUserRoomsVars"
)]
pub struct ListUserRooms {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightListUserRooms>,
}

impl ListUserRooms {
    /// The field's value.
    pub fn value(&self) -> Option<&Vec<Jid>> {
        self.muc_light.as_ref()?.list_user_rooms.as_ref()
    }
}

/// `listUserRooms`: the rooms the user occupies.
pub fn list_user_rooms(user: &str) -> cynic::Operation<ListUserRooms, ListUserRoomsVars> {
    ListUserRooms::build(ListUserRoomsVars { user: user.into() })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetBlockingListVars {
    pub user: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCLightAdminQuery",
    variables = "GetBlockingListVars"
)]
pub struct MucLightGetBlockingList {
    #[arguments(user: $user)]
    pub get_blocking_list: Option<Vec<BlockingItem>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "GetBlockingListVars"
)]
pub struct GetBlockingList {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightGetBlockingList>,
}

impl GetBlockingList {
    /// The field's value.
    pub fn value(&self) -> Option<&Vec<BlockingItem>> {
        self.muc_light.as_ref()?.get_blocking_list.as_ref()
    }
}

/// `getBlockingList`: the user's blocking list.
pub fn get_blocking_list(user: &str) -> cynic::Operation<GetBlockingList, GetBlockingListVars> {
    GetBlockingList::build(GetBlockingListVars { user: user.into() })
}
