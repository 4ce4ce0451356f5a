//! `muc_light`: MUC Light rooms (on `muclight.<host>`) and the caller's blocking list.
//!
//! ```no_run
//! use mimql_client::{Client, user::muc_light};
//!
//! let alice = Client::new("http://127.0.0.1:5561").with_basic_auth("alice@localhost", "secret");
//! let room = alice
//!     .run(muc_light::create_room("muclight.localhost", Some("Birds"), None, None, &[]))
//!     .unwrap()
//!     .into_data()
//!     .unwrap()
//!     .room()
//!     .cloned()
//!     .unwrap();
//! alice.run(muc_light::invite_user(&room.jid.0, "bob@localhost")).unwrap();
//! alice.run(muc_light::send_message_to_room(&room.jid.0, "Hello, Bob")).unwrap();
//! ```

use cynic::{MutationBuilder, QueryBuilder};

use crate::scalars::{BareJid, DateTime, DomainName, Jid, PosInt, RoomName};
use crate::schema;
use crate::user::stanza::StanzasPayload;

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql")]
pub enum Affiliation {
    Owner,
    Member,
    None,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql")]
pub enum BlockedEntityType {
    User,
    Room,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql")]
pub enum BlockingAction {
    Allow,
    Deny,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct RoomUser {
    pub jid: Jid,
    pub affiliation: Affiliation,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct RoomConfigDictEntry {
    pub key: String,
    pub value: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct Room {
    pub jid: BareJid,
    pub name: Option<String>,
    pub subject: Option<String>,
    pub participants: Vec<RoomUser>,
    pub options: Vec<RoomConfigDictEntry>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct BlockingItem {
    pub entity_type: BlockedEntityType,
    pub action: BlockingAction,
    pub entity: Jid,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql")]
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
#[cynic(schema = "mimql")]
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
fn options(options: &[(&str, &str)]) -> Option<Vec<RoomConfigDictEntryInput>> {
    (!options.is_empty()).then(|| {
        options
            .iter()
            .map(|(k, v)| RoomConfigDictEntryInput::new(k, v))
            .collect()
    })
}

// ---- createRoom ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CreateRoomVars {
    pub muc_domain: DomainName,
    pub name: Option<String>,
    pub subject: Option<String>,
    pub id: Option<RoomName>,
    pub options: Option<Vec<RoomConfigDictEntryInput>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserMutation",
    variables = "CreateRoomVars"
)]
pub struct MucLightCreateRoom {
    #[arguments(mucDomain: $muc_domain, name: $name, subject: $subject, id: $id, options: $options)]
    pub create_room: Option<Room>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "CreateRoomVars"
)]
pub struct CreateRoom {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightCreateRoom>,
}

impl CreateRoom {
    pub fn room(&self) -> Option<&Room> {
        self.muc_light.as_ref()?.create_room.as_ref()
    }
}

/// `createRoom` on `muc_domain` (`muclight.<host>`); `id: None` lets the server name the room.
pub fn create_room(
    muc_domain: &str,
    name: Option<&str>,
    subject: Option<&str>,
    id: Option<&str>,
    opts: &[(&str, &str)],
) -> cynic::Operation<CreateRoom, CreateRoomVars> {
    CreateRoom::build(CreateRoomVars {
        muc_domain: muc_domain.into(),
        name: name.map(str::to_string),
        subject: subject.map(str::to_string),
        id: id.map(RoomName::from),
        options: options(opts),
    })
}

// ---- changeRoomConfiguration ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ChangeRoomConfigurationVars {
    pub room: BareJid,
    pub name: Option<String>,
    pub subject: Option<String>,
    pub options: Option<Vec<RoomConfigDictEntryInput>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserMutation",
    variables = "ChangeRoomConfigurationVars"
)]
pub struct MucLightChangeRoomConfiguration {
    #[arguments(room: $room, name: $name, subject: $subject, options: $options)]
    pub change_room_configuration: Option<Room>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "ChangeRoomConfigurationVars"
)]
pub struct ChangeRoomConfiguration {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightChangeRoomConfiguration>,
}

impl ChangeRoomConfiguration {
    pub fn room(&self) -> Option<&Room> {
        self.muc_light.as_ref()?.change_room_configuration.as_ref()
    }
}

/// `changeRoomConfiguration`: only the keys given change.
pub fn change_room_configuration(
    room: &str,
    name: Option<&str>,
    subject: Option<&str>,
    opts: &[(&str, &str)],
) -> cynic::Operation<ChangeRoomConfiguration, ChangeRoomConfigurationVars> {
    ChangeRoomConfiguration::build(ChangeRoomConfigurationVars {
        room: room.into(),
        name: name.map(str::to_string),
        subject: subject.map(str::to_string),
        options: options(opts),
    })
}

// ---- inviteUser ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct InviteUserVars {
    pub room: BareJid,
    pub recipient: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserMutation",
    variables = "InviteUserVars"
)]
pub struct MucLightInviteUser {
    #[arguments(room: $room, recipient: $recipient)]
    pub invite_user: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "InviteUserVars"
)]
pub struct InviteUser {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightInviteUser>,
}

/// `inviteUser`: `recipient` joins the room as a member.
pub fn invite_user(room: &str, recipient: &str) -> cynic::Operation<InviteUser, InviteUserVars> {
    InviteUser::build(InviteUserVars {
        room: room.into(),
        recipient: recipient.into(),
    })
}

// ---- deleteRoom ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct RoomVars {
    pub room: BareJid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserMutation",
    variables = "RoomVars"
)]
pub struct MucLightDeleteRoom {
    #[arguments(room: $room)]
    pub delete_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "RoomVars"
)]
pub struct DeleteRoom {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightDeleteRoom>,
}

/// `deleteRoom` (owner only).
pub fn delete_room(room: &str) -> cynic::Operation<DeleteRoom, RoomVars> {
    DeleteRoom::build(RoomVars { room: room.into() })
}

// ---- kickUser ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct KickUserVars {
    pub room: BareJid,
    pub user: Option<Jid>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserMutation",
    variables = "KickUserVars"
)]
pub struct MucLightKickUser {
    #[arguments(room: $room, user: $user)]
    pub kick_user: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "KickUserVars"
)]
pub struct KickUser {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightKickUser>,
}

/// `kickUser`: removes `user` from the room; `None` leaves it.
pub fn kick_user(room: &str, user: Option<&str>) -> cynic::Operation<KickUser, KickUserVars> {
    KickUser::build(KickUserVars {
        room: room.into(),
        user: user.map(Jid::from),
    })
}

// ---- sendMessageToRoom ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendMessageToRoomVars {
    pub room: BareJid,
    pub body: String,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserMutation",
    variables = "SendMessageToRoomVars"
)]
pub struct MucLightSendMessageToRoom {
    #[arguments(room: $room, body: $body)]
    pub send_message_to_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SendMessageToRoomVars"
)]
pub struct SendMessageToRoom {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightSendMessageToRoom>,
}

/// `sendMessageToRoom`: a group chat message to every occupant.
pub fn send_message_to_room(
    room: &str,
    body: &str,
) -> cynic::Operation<SendMessageToRoom, SendMessageToRoomVars> {
    SendMessageToRoom::build(SendMessageToRoomVars {
        room: room.into(),
        body: body.to_string(),
    })
}

// ---- setBlockingList ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetBlockingListVars {
    pub items: Vec<BlockingInput>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserMutation",
    variables = "SetBlockingListVars"
)]
pub struct MucLightSetBlockingList {
    #[arguments(items: $items)]
    pub set_blocking_list: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SetBlockingListVars"
)]
pub struct SetBlockingList {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightSetBlockingList>,
}

/// `setBlockingList`: the changes apply in order.
pub fn set_blocking_list(
    items: Vec<BlockingInput>,
) -> cynic::Operation<SetBlockingList, SetBlockingListVars> {
    SetBlockingList::build(SetBlockingListVars { items })
}

// ---- getRoomMessages ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetRoomMessagesVars {
    pub room: BareJid,
    pub page_size: Option<PosInt>,
    pub before: Option<DateTime>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserQuery",
    variables = "GetRoomMessagesVars"
)]
pub struct MucLightGetRoomMessages {
    #[arguments(room: $room, pageSize: $page_size, before: $before)]
    pub get_room_messages: Option<StanzasPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserQuery",
    variables = "GetRoomMessagesVars"
)]
pub struct GetRoomMessages {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightGetRoomMessages>,
}

/// `getRoomMessages`: the newest page of the room's archive, oldest first.
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

// ---- getRoomConfig ----

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserQuery",
    variables = "RoomVars"
)]
pub struct MucLightGetRoomConfig {
    #[arguments(room: $room)]
    pub get_room_config: Option<Room>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(schema = "mimql", graphql_type = "UserQuery", variables = "RoomVars")]
pub struct GetRoomConfig {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightGetRoomConfig>,
}

impl GetRoomConfig {
    pub fn room(&self) -> Option<&Room> {
        self.muc_light.as_ref()?.get_room_config.as_ref()
    }
}

/// `getRoomConfig`: the whole room.
pub fn get_room_config(room: &str) -> cynic::Operation<GetRoomConfig, RoomVars> {
    GetRoomConfig::build(RoomVars { room: room.into() })
}

// ---- listRoomUsers ----

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCLightUserQuery",
    variables = "RoomVars"
)]
pub struct MucLightListRoomUsers {
    #[arguments(room: $room)]
    pub list_room_users: Option<Vec<RoomUser>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(schema = "mimql", graphql_type = "UserQuery", variables = "RoomVars")]
pub struct ListRoomUsers {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightListRoomUsers>,
}

/// `listRoomUsers`: the occupants, by JID.
pub fn list_room_users(room: &str) -> cynic::Operation<ListRoomUsers, RoomVars> {
    ListRoomUsers::build(RoomVars { room: room.into() })
}

// ---- listRooms ----

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(schema = "mimql", graphql_type = "MUCLightUserQuery")]
pub struct MucLightListRooms {
    pub list_rooms: Option<Vec<Jid>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(schema = "mimql", graphql_type = "UserQuery")]
pub struct ListRooms {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightListRooms>,
}

/// `listRooms`: the rooms the caller occupies.
pub fn list_rooms() -> cynic::Operation<ListRooms, ()> {
    ListRooms::build(())
}

// ---- getBlockingList ----

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(schema = "mimql", graphql_type = "MUCLightUserQuery")]
pub struct MucLightGetBlockingList {
    pub get_blocking_list: Option<Vec<BlockingItem>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(schema = "mimql", graphql_type = "UserQuery")]
pub struct GetBlockingList {
    #[cynic(rename = "muc_light")]
    pub muc_light: Option<MucLightGetBlockingList>,
}

/// `getBlockingList`: the caller's denials, in the order they were made.
pub fn get_blocking_list() -> cynic::Operation<GetBlockingList, ()> {
    GetBlockingList::build(())
}
