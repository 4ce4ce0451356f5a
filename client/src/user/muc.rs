//! `muc`: classic MUC rooms (on `muc.<host>`): creation, configuration, occupants, roles,
//! affiliations, messages and listing.
//!
//! ```no_run
//! use mimql_client::{Client, user::muc};
//!
//! let alice = Client::new("http://127.0.0.1:5561").with_basic_auth("alice@localhost", "secret");
//! alice.run(muc::create_instant_room("birds@muc.localhost", "alice")).unwrap();
//! alice
//!     .run(muc::invite_user("birds@muc.localhost", "bob@localhost", None))
//!     .unwrap();
//! alice
//!     .run(muc::send_message_to_room("birds@muc.localhost", "Hello", None))
//!     .unwrap();
//! ```

use cynic::{MutationBuilder, QueryBuilder};

use crate::scalars::{BareJid, DateTime, DomainName, Jid, NonNegInt, PosInt, ResourceName};
use crate::schema;
use crate::user::stanza::StanzasPayload;

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql", graphql_type = "MUCRole")]
pub enum MucRole {
    Visitor,
    Participant,
    Moderator,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql", graphql_type = "MUCAffiliation")]
pub enum MucAffiliation {
    Owner,
    Admin,
    Member,
    Outcast,
    None,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "MUCRoomDesc")]
pub struct MucRoomDesc {
    pub jid: Jid,
    pub title: String,
    pub private: Option<bool>,
    pub users_number: Option<NonNegInt>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "MUCRoomsPayload")]
pub struct MucRoomsPayload {
    pub rooms: Option<Vec<MucRoomDesc>>,
    pub count: Option<NonNegInt>,
    pub index: Option<NonNegInt>,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "MUCRoomConfig")]
pub struct MucRoomConfig {
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
    pub max_users: Option<PosInt>,
    pub logging: bool,
}

/// A configuration change: the fields left `None` are not sent and keep their values.
#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(schema = "mimql", graphql_type = "MUCRoomConfigInput")]
pub struct MucRoomConfigInput {
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub allow_change_subject: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub allow_query_users: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub allow_private_messages: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub allow_visitor_status: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub allow_visitor_nickchange: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub public_list: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub persistent: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub moderated: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub members_by_default: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub members_only: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub allow_user_invites: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub allow_multiple_session: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub password_protected: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub may_get_member_list: Option<Vec<String>>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub max_users: Option<PosInt>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub logging: Option<bool>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "MUCRoomUser")]
pub struct MucRoomUser {
    pub jid: Option<Jid>,
    pub nick: String,
    pub role: MucRole,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "MUCRoomAffiliation")]
pub struct MucRoomAffiliation {
    pub jid: Jid,
    pub affiliation: MucAffiliation,
}

// ---- createInstantRoom ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CreateInstantRoomVars {
    pub room: BareJid,
    pub nick: ResourceName,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "CreateInstantRoomVars"
)]
pub struct MucCreateInstantRoom {
    #[arguments(room: $room, nick: $nick)]
    pub create_instant_room: Option<MucRoomDesc>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "CreateInstantRoomVars"
)]
pub struct CreateInstantRoom {
    pub muc: Option<MucCreateInstantRoom>,
}

impl CreateInstantRoom {
    /// The field's value.
    pub fn value(&self) -> Option<&MucRoomDesc> {
        self.muc.as_ref()?.create_instant_room.as_ref()
    }
}

/// `createInstantRoom`: a room with the default configuration, the caller its owner and occupant (by bare JID) as `nick`.
pub fn create_instant_room(
    room: &str,
    nick: &str,
) -> cynic::Operation<CreateInstantRoom, CreateInstantRoomVars> {
    CreateInstantRoom::build(CreateInstantRoomVars {
        room: room.into(),
        nick: nick.into(),
    })
}

// ---- inviteUser ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct InviteUserVars {
    pub room: BareJid,
    pub recipient: Jid,
    pub reason: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "InviteUserVars"
)]
pub struct MucInviteUser {
    #[arguments(room: $room, recipient: $recipient, reason: $reason)]
    pub invite_user: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "InviteUserVars"
)]
pub struct InviteUser {
    pub muc: Option<MucInviteUser>,
}

impl InviteUser {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.invite_user.as_ref()
    }
}

/// `inviteUser`: a direct invitation to `recipient`.
pub fn invite_user(
    room: &str,
    recipient: &str,
    reason: Option<&str>,
) -> cynic::Operation<InviteUser, InviteUserVars> {
    InviteUser::build(InviteUserVars {
        room: room.into(),
        recipient: recipient.into(),
        reason: reason.map(str::to_string),
    })
}

// ---- kickUser ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct KickUserVars {
    pub room: BareJid,
    pub nick: ResourceName,
    pub reason: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "KickUserVars"
)]
pub struct MucKickUser {
    #[arguments(room: $room, nick: $nick, reason: $reason)]
    pub kick_user: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "KickUserVars"
)]
pub struct KickUser {
    pub muc: Option<MucKickUser>,
}

impl KickUser {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.kick_user.as_ref()
    }
}

/// `kickUser`: removes the occupant `nick` (the caller needs a moderator occupant).
pub fn kick_user(
    room: &str,
    nick: &str,
    reason: Option<&str>,
) -> cynic::Operation<KickUser, KickUserVars> {
    KickUser::build(KickUserVars {
        room: room.into(),
        nick: nick.into(),
        reason: reason.map(str::to_string),
    })
}

// ---- sendMessageToRoom ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendMessageToRoomVars {
    pub room: BareJid,
    pub body: String,
    pub resource: Option<ResourceName>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "SendMessageToRoomVars"
)]
pub struct MucSendMessageToRoom {
    #[arguments(room: $room, body: $body, resource: $resource)]
    pub send_message_to_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SendMessageToRoomVars"
)]
pub struct SendMessageToRoom {
    pub muc: Option<MucSendMessageToRoom>,
}

impl SendMessageToRoom {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.send_message_to_room.as_ref()
    }
}

/// `sendMessageToRoom`: from `caller/resource`, or from the caller's occupant when `resource` is `None`.
pub fn send_message_to_room(
    room: &str,
    body: &str,
    resource: Option<&str>,
) -> cynic::Operation<SendMessageToRoom, SendMessageToRoomVars> {
    SendMessageToRoom::build(SendMessageToRoomVars {
        room: room.into(),
        body: body.to_string(),
        resource: resource.map(ResourceName::from),
    })
}

// ---- sendPrivateMessage ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendPrivateMessageVars {
    pub room: BareJid,
    pub to_nick: ResourceName,
    pub body: String,
    pub resource: Option<ResourceName>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "SendPrivateMessageVars"
)]
pub struct MucSendPrivateMessage {
    #[arguments(room: $room, toNick: $to_nick, body: $body, resource: $resource)]
    pub send_private_message: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SendPrivateMessageVars"
)]
pub struct SendPrivateMessage {
    pub muc: Option<MucSendPrivateMessage>,
}

impl SendPrivateMessage {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.send_private_message.as_ref()
    }
}

/// `sendPrivateMessage` to the occupant `to_nick`.
pub fn send_private_message(
    room: &str,
    to_nick: &str,
    body: &str,
    resource: Option<&str>,
) -> cynic::Operation<SendPrivateMessage, SendPrivateMessageVars> {
    SendPrivateMessage::build(SendPrivateMessageVars {
        room: room.into(),
        to_nick: to_nick.into(),
        body: body.to_string(),
        resource: resource.map(ResourceName::from),
    })
}

// ---- deleteRoom ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct DeleteRoomVars {
    pub room: BareJid,
    pub reason: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "DeleteRoomVars"
)]
pub struct MucDeleteRoom {
    #[arguments(room: $room, reason: $reason)]
    pub delete_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "DeleteRoomVars"
)]
pub struct DeleteRoom {
    pub muc: Option<MucDeleteRoom>,
}

impl DeleteRoom {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.delete_room.as_ref()
    }
}

/// `deleteRoom` (owners only).
pub fn delete_room(
    room: &str,
    reason: Option<&str>,
) -> cynic::Operation<DeleteRoom, DeleteRoomVars> {
    DeleteRoom::build(DeleteRoomVars {
        room: room.into(),
        reason: reason.map(str::to_string),
    })
}

// ---- changeRoomConfiguration ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ChangeRoomConfigurationVars {
    pub room: BareJid,
    pub config: MucRoomConfigInput,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "ChangeRoomConfigurationVars"
)]
pub struct MucChangeRoomConfiguration {
    #[arguments(room: $room, config: $config)]
    pub change_room_configuration: Option<MucRoomConfig>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "ChangeRoomConfigurationVars"
)]
pub struct ChangeRoomConfiguration {
    pub muc: Option<MucChangeRoomConfiguration>,
}

impl ChangeRoomConfiguration {
    /// The field's value.
    pub fn value(&self) -> Option<&MucRoomConfig> {
        self.muc.as_ref()?.change_room_configuration.as_ref()
    }
}

/// `changeRoomConfiguration` (owners only): the fields given change.
pub fn change_room_configuration(
    room: &str,
    config: MucRoomConfigInput,
) -> cynic::Operation<ChangeRoomConfiguration, ChangeRoomConfigurationVars> {
    ChangeRoomConfiguration::build(ChangeRoomConfigurationVars {
        room: room.into(),
        config,
    })
}

// ---- setUserRole ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetUserRoleVars {
    pub room: BareJid,
    pub nick: ResourceName,
    pub role: MucRole,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "SetUserRoleVars"
)]
pub struct MucSetUserRole {
    #[arguments(room: $room, nick: $nick, role: $role)]
    pub set_user_role: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SetUserRoleVars"
)]
pub struct SetUserRole {
    pub muc: Option<MucSetUserRole>,
}

impl SetUserRole {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.set_user_role.as_ref()
    }
}

/// `setUserRole` of the occupant `nick`.
pub fn set_user_role(
    room: &str,
    nick: &str,
    role: MucRole,
) -> cynic::Operation<SetUserRole, SetUserRoleVars> {
    SetUserRole::build(SetUserRoleVars {
        room: room.into(),
        nick: nick.into(),
        role,
    })
}

// ---- setUserAffiliation ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetUserAffiliationVars {
    pub room: BareJid,
    pub user: Jid,
    pub affiliation: MucAffiliation,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "SetUserAffiliationVars"
)]
pub struct MucSetUserAffiliation {
    #[arguments(room: $room, user: $user, affiliation: $affiliation)]
    pub set_user_affiliation: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SetUserAffiliationVars"
)]
pub struct SetUserAffiliation {
    pub muc: Option<MucSetUserAffiliation>,
}

impl SetUserAffiliation {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.set_user_affiliation.as_ref()
    }
}

/// `setUserAffiliation` of `user` (by bare JID).
pub fn set_user_affiliation(
    room: &str,
    user: &str,
    affiliation: MucAffiliation,
) -> cynic::Operation<SetUserAffiliation, SetUserAffiliationVars> {
    SetUserAffiliation::build(SetUserAffiliationVars {
        room: room.into(),
        user: user.into(),
        affiliation,
    })
}

// ---- enterRoom ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct EnterRoomVars {
    pub room: BareJid,
    pub nick: ResourceName,
    pub resource: ResourceName,
    pub password: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "EnterRoomVars"
)]
pub struct MucEnterRoom {
    #[arguments(room: $room, nick: $nick, resource: $resource, password: $password)]
    pub enter_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "EnterRoomVars"
)]
pub struct EnterRoom {
    pub muc: Option<MucEnterRoom>,
}

impl EnterRoom {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.enter_room.as_ref()
    }
}

/// `enterRoom`: `caller/resource` enters as `nick`.
pub fn enter_room(
    room: &str,
    nick: &str,
    resource: &str,
    password: Option<&str>,
) -> cynic::Operation<EnterRoom, EnterRoomVars> {
    EnterRoom::build(EnterRoomVars {
        room: room.into(),
        nick: nick.into(),
        resource: resource.into(),
        password: password.map(str::to_string),
    })
}

// ---- exitRoom ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ExitRoomVars {
    pub room: BareJid,
    pub nick: ResourceName,
    pub resource: ResourceName,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserMutation",
    variables = "ExitRoomVars"
)]
pub struct MucExitRoom {
    #[arguments(room: $room, nick: $nick, resource: $resource)]
    pub exit_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "ExitRoomVars"
)]
pub struct ExitRoom {
    pub muc: Option<MucExitRoom>,
}

impl ExitRoom {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.exit_room.as_ref()
    }
}

/// `exitRoom`: `caller/resource` leaves.
pub fn exit_room(
    room: &str,
    nick: &str,
    resource: &str,
) -> cynic::Operation<ExitRoom, ExitRoomVars> {
    ExitRoom::build(ExitRoomVars {
        room: room.into(),
        nick: nick.into(),
        resource: resource.into(),
    })
}

// ---- listRooms ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListRoomsVars {
    pub muc_domain: DomainName,
    pub limit: Option<PosInt>,
    pub index: Option<NonNegInt>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserQuery",
    variables = "ListRoomsVars"
)]
pub struct MucListRooms {
    #[arguments(mucDomain: $muc_domain, limit: $limit, index: $index)]
    pub list_rooms: Option<MucRoomsPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserQuery",
    variables = "ListRoomsVars"
)]
pub struct ListRooms {
    pub muc: Option<MucListRooms>,
}

impl ListRooms {
    /// The field's value.
    pub fn value(&self) -> Option<&MucRoomsPayload> {
        self.muc.as_ref()?.list_rooms.as_ref()
    }
}

/// `listRooms` of a MUC service, paged.
pub fn list_rooms(
    muc_domain: &str,
    limit: Option<i64>,
    index: Option<i64>,
) -> cynic::Operation<ListRooms, ListRoomsVars> {
    ListRooms::build(ListRoomsVars {
        muc_domain: muc_domain.into(),
        limit: limit.map(PosInt),
        index: index.map(NonNegInt),
    })
}

// ---- getRoomConfig ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetRoomConfigVars {
    pub room: BareJid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserQuery",
    variables = "GetRoomConfigVars"
)]
pub struct MucGetRoomConfig {
    #[arguments(room: $room)]
    pub get_room_config: Option<MucRoomConfig>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserQuery",
    variables = "GetRoomConfigVars"
)]
pub struct GetRoomConfig {
    pub muc: Option<MucGetRoomConfig>,
}

impl GetRoomConfig {
    /// The field's value.
    pub fn value(&self) -> Option<&MucRoomConfig> {
        self.muc.as_ref()?.get_room_config.as_ref()
    }
}

/// `getRoomConfig` (owners only).
pub fn get_room_config(room: &str) -> cynic::Operation<GetRoomConfig, GetRoomConfigVars> {
    GetRoomConfig::build(GetRoomConfigVars { room: room.into() })
}

// ---- listRoomUsers ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListRoomUsersVars {
    pub room: BareJid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserQuery",
    variables = "ListRoomUsersVars"
)]
pub struct MucListRoomUsers {
    #[arguments(room: $room)]
    pub list_room_users: Option<Vec<MucRoomUser>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserQuery",
    variables = "ListRoomUsersVars"
)]
pub struct ListRoomUsers {
    pub muc: Option<MucListRoomUsers>,
}

impl ListRoomUsers {
    /// The field's value.
    pub fn value(&self) -> Option<&Vec<MucRoomUser>> {
        self.muc.as_ref()?.list_room_users.as_ref()
    }
}

/// `listRoomUsers`: the occupants in join order.
pub fn list_room_users(room: &str) -> cynic::Operation<ListRoomUsers, ListRoomUsersVars> {
    ListRoomUsers::build(ListRoomUsersVars { room: room.into() })
}

// ---- listRoomAffiliations ----

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListRoomAffiliationsVars {
    pub room: BareJid,
    pub affiliation: Option<MucAffiliation>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "MUCUserQuery",
    variables = "ListRoomAffiliationsVars"
)]
pub struct MucListRoomAffiliations {
    #[arguments(room: $room, affiliation: $affiliation)]
    pub list_room_affiliations: Option<Vec<MucRoomAffiliation>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserQuery",
    variables = "ListRoomAffiliationsVars"
)]
pub struct ListRoomAffiliations {
    pub muc: Option<MucListRoomAffiliations>,
}

impl ListRoomAffiliations {
    /// The field's value.
    pub fn value(&self) -> Option<&Vec<MucRoomAffiliation>> {
        self.muc.as_ref()?.list_room_affiliations.as_ref()
    }
}

/// `listRoomAffiliations`, optionally of one affiliation.
pub fn list_room_affiliations(
    room: &str,
    affiliation: Option<MucAffiliation>,
) -> cynic::Operation<ListRoomAffiliations, ListRoomAffiliationsVars> {
    ListRoomAffiliations::build(ListRoomAffiliationsVars {
        room: room.into(),
        affiliation,
    })
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
    graphql_type = "MUCUserQuery",
    variables = "GetRoomMessagesVars"
)]
pub struct MucGetRoomMessages {
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
    pub muc: Option<MucGetRoomMessages>,
}

impl GetRoomMessages {
    /// The field's value.
    pub fn value(&self) -> Option<&StanzasPayload> {
        self.muc.as_ref()?.get_room_messages.as_ref()
    }
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
