//! `muc` on the admin API: any classic MUC room.

use cynic::{MutationBuilder, QueryBuilder};

use crate::admin::stanza::StanzasPayload;
use crate::admin_schema as schema;
use crate::scalars::{
    BareJid, DateTime, DomainName, FullJid, Jid, NonNegInt, PosInt, ResourceName,
};

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin", graphql_type = "MUCRole")]
pub enum MucRole {
    Visitor,
    Participant,
    Moderator,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin", graphql_type = "MUCAffiliation")]
pub enum MucAffiliation {
    Owner,
    Admin,
    Member,
    Outcast,
    None,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin", graphql_type = "MUCRoomDesc")]
pub struct MucRoomDesc {
    pub jid: Jid,
    pub title: String,
    pub private: Option<bool>,
    pub users_number: Option<NonNegInt>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin", graphql_type = "MUCRoomsPayload")]
pub struct MucRoomsPayload {
    pub rooms: Option<Vec<MucRoomDesc>>,
    pub count: Option<NonNegInt>,
    pub index: Option<NonNegInt>,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin", graphql_type = "MUCRoomConfig")]
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
#[cynic(schema = "mimql_admin", graphql_type = "MUCRoomConfigInput")]
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
#[cynic(schema = "mimql_admin", graphql_type = "MUCRoomUser")]
pub struct MucRoomUser {
    pub jid: Option<Jid>,
    pub nick: String,
    pub role: MucRole,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin", graphql_type = "MUCRoomAffiliation")]
pub struct MucRoomAffiliation {
    pub jid: Jid,
    pub affiliation: MucAffiliation,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CreateInstantRoomVars {
    pub room: BareJid,
    pub owner: Jid,
    pub nick: ResourceName,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "CreateInstantRoomVars"
)]
pub struct MucCreateInstantRoom {
    #[arguments(room: $room, owner: $owner, nick: $nick)]
    pub create_instant_room: Option<MucRoomDesc>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `createInstantRoom`: a room owned by `owner`, who enters it as `nick`.
pub fn create_instant_room(
    room: &str,
    owner: &str,
    nick: &str,
) -> cynic::Operation<CreateInstantRoom, CreateInstantRoomVars> {
    CreateInstantRoom::build(CreateInstantRoomVars {
        room: room.into(),
        owner: owner.into(),
        nick: nick.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct InviteUserVars {
    pub room: BareJid,
    pub sender: Jid,
    pub recipient: Jid,
    pub reason: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "InviteUserVars"
)]
pub struct MucInviteUser {
    #[arguments(room: $room, sender: $sender, recipient: $recipient, reason: $reason)]
    pub invite_user: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `inviteUser`: an invitation from `sender`.
#[allow(clippy::too_many_arguments)]
pub fn invite_user(
    room: &str,
    sender: &str,
    recipient: &str,
    reason: Option<&str>,
) -> cynic::Operation<InviteUser, InviteUserVars> {
    InviteUser::build(InviteUserVars {
        room: room.into(),
        sender: sender.into(),
        recipient: recipient.into(),
        reason: reason.map(str::to_string),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct KickUserVars {
    pub room: BareJid,
    pub nick: ResourceName,
    pub reason: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "KickUserVars"
)]
pub struct MucKickUser {
    #[arguments(room: $room, nick: $nick, reason: $reason)]
    pub kick_user: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `kickUser`: removes the occupant `nick`.
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

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendMessageToRoomVars {
    pub room: BareJid,
    pub from: FullJid,
    pub body: String,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "SendMessageToRoomVars"
)]
pub struct MucSendMessageToRoom {
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
    pub muc: Option<MucSendMessageToRoom>,
}

impl SendMessageToRoom {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.muc.as_ref()?.send_message_to_room.as_ref()
    }
}

/// `sendMessageToRoom`: a message from the occupant `from`.
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
pub struct SendPrivateMessageVars {
    pub room: BareJid,
    pub from: FullJid,
    pub to_nick: ResourceName,
    pub body: String,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "SendPrivateMessageVars"
)]
pub struct MucSendPrivateMessage {
    #[arguments(room: $room, from: $from, toNick: $to_nick, body: $body)]
    pub send_private_message: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `sendPrivateMessage`: a private message from the occupant `from`.
#[allow(clippy::too_many_arguments)]
pub fn send_private_message(
    room: &str,
    from: &str,
    to_nick: &str,
    body: &str,
) -> cynic::Operation<SendPrivateMessage, SendPrivateMessageVars> {
    SendPrivateMessage::build(SendPrivateMessageVars {
        room: room.into(),
        from: from.into(),
        to_nick: to_nick.into(),
        body: body.to_string(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct DeleteRoomVars {
    pub room: BareJid,
    pub reason: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "DeleteRoomVars"
)]
pub struct MucDeleteRoom {
    #[arguments(room: $room, reason: $reason)]
    pub delete_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `deleteRoom`: destroys the room.
pub fn delete_room(
    room: &str,
    reason: Option<&str>,
) -> cynic::Operation<DeleteRoom, DeleteRoomVars> {
    DeleteRoom::build(DeleteRoomVars {
        room: room.into(),
        reason: reason.map(str::to_string),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ChangeRoomConfigurationVars {
    pub room: BareJid,
    pub config: MucRoomConfigInput,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "ChangeRoomConfigurationVars"
)]
pub struct MucChangeRoomConfiguration {
    #[arguments(room: $room, config: $config)]
    pub change_room_configuration: Option<MucRoomConfig>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `changeRoomConfiguration`: changes the fields given.
pub fn change_room_configuration(
    room: &str,
    config: MucRoomConfigInput,
) -> cynic::Operation<ChangeRoomConfiguration, ChangeRoomConfigurationVars> {
    ChangeRoomConfiguration::build(ChangeRoomConfigurationVars {
        room: room.into(),
        config,
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetUserRoleVars {
    pub room: BareJid,
    pub nick: ResourceName,
    pub role: MucRole,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "SetUserRoleVars"
)]
pub struct MucSetUserRole {
    #[arguments(room: $room, nick: $nick, role: $role)]
    pub set_user_role: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `setUserRole`: sets an occupant's role.
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

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetUserAffiliationVars {
    pub room: BareJid,
    pub user: Jid,
    pub affiliation: MucAffiliation,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "SetUserAffiliationVars"
)]
pub struct MucSetUserAffiliation {
    #[arguments(room: $room, user: $user, affiliation: $affiliation)]
    pub set_user_affiliation: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `setUserAffiliation`: sets a user's affiliation.
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

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct EnterRoomVars {
    pub room: BareJid,
    pub user: FullJid,
    pub nick: ResourceName,
    pub password: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "EnterRoomVars"
)]
pub struct MucEnterRoom {
    #[arguments(room: $room, user: $user, nick: $nick, password: $password)]
    pub enter_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `enterRoom`: `user` enters as `nick`.
#[allow(clippy::too_many_arguments)]
pub fn enter_room(
    room: &str,
    user: &str,
    nick: &str,
    password: Option<&str>,
) -> cynic::Operation<EnterRoom, EnterRoomVars> {
    EnterRoom::build(EnterRoomVars {
        room: room.into(),
        user: user.into(),
        nick: nick.into(),
        password: password.map(str::to_string),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ExitRoomVars {
    pub room: BareJid,
    pub user: FullJid,
    pub nick: ResourceName,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminMutation",
    variables = "ExitRoomVars"
)]
pub struct MucExitRoom {
    #[arguments(room: $room, user: $user, nick: $nick)]
    pub exit_room: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
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

/// `exitRoom`: `user` leaves.
pub fn exit_room(room: &str, user: &str, nick: &str) -> cynic::Operation<ExitRoom, ExitRoomVars> {
    ExitRoom::build(ExitRoomVars {
        room: room.into(),
        user: user.into(),
        nick: nick.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListRoomsVars {
    pub muc_domain: DomainName,
    pub from: Jid,
    pub limit: Option<PosInt>,
    pub index: Option<NonNegInt>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminQuery",
    variables = "ListRoomsVars"
)]
pub struct MucListRooms {
    #[arguments(mucDomain: $muc_domain, from: $from, limit: $limit, index: $index)]
    pub list_rooms: Option<MucRoomsPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
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

/// `listRooms`: the rooms `from` may see.
#[allow(clippy::too_many_arguments)]
pub fn list_rooms(
    muc_domain: &str,
    from: &str,
    limit: Option<i64>,
    index: Option<i64>,
) -> cynic::Operation<ListRooms, ListRoomsVars> {
    ListRooms::build(ListRoomsVars {
        muc_domain: muc_domain.into(),
        from: from.into(),
        limit: limit.map(PosInt),
        index: index.map(NonNegInt),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetRoomConfigVars {
    pub room: BareJid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminQuery",
    variables = "GetRoomConfigVars"
)]
pub struct MucGetRoomConfig {
    #[arguments(room: $room)]
    pub get_room_config: Option<MucRoomConfig>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
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

/// `getRoomConfig`: the room's configuration.
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
    graphql_type = "MUCAdminQuery",
    variables = "ListRoomUsersVars"
)]
pub struct MucListRoomUsers {
    #[arguments(room: $room)]
    pub list_room_users: Option<Vec<MucRoomUser>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
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

/// `listRoomUsers`: the room's occupants.
pub fn list_room_users(room: &str) -> cynic::Operation<ListRoomUsers, ListRoomUsersVars> {
    ListRoomUsers::build(ListRoomUsersVars { room: room.into() })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListRoomAffiliationsVars {
    pub room: BareJid,
    pub affiliation: Option<MucAffiliation>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "MUCAdminQuery",
    variables = "ListRoomAffiliationsVars"
)]
pub struct MucListRoomAffiliations {
    #[arguments(room: $room, affiliation: $affiliation)]
    pub list_room_affiliations: Option<Vec<MucRoomAffiliation>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
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

/// `listRoomAffiliations`: the room's affiliations.
pub fn list_room_affiliations(
    room: &str,
    affiliation: Option<MucAffiliation>,
) -> cynic::Operation<ListRoomAffiliations, ListRoomAffiliationsVars> {
    ListRoomAffiliations::build(ListRoomAffiliationsVars {
        room: room.into(),
        affiliation,
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
    graphql_type = "MUCAdminQuery",
    variables = "GetRoomMessagesVars"
)]
pub struct MucGetRoomMessages {
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
    pub muc: Option<MucGetRoomMessages>,
}

impl GetRoomMessages {
    /// The field's value.
    pub fn value(&self) -> Option<&StanzasPayload> {
        self.muc.as_ref()?.get_room_messages.as_ref()
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
