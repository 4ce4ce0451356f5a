//! `session` on the admin API: every node's sessions, kicks and presences.

use cynic::{MutationBuilder, QueryBuilder};

use crate::admin_schema as schema;
use crate::scalars::{BareJid, DomainName, FullJid, Jid, NonEmptyString, PosInt, ResourceName};

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum PresenceType {
    Available,
    Error,
    Probe,
    Subscribe,
    Subscribed,
    Unavailable,
    Unsubscribe,
    Unsubscribed,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum PresenceShow {
    Online,
    Away,
    Chat,
    Dnd,
    Xa,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Session {
    pub user: Jid,
    pub connection: Option<String>,
    pub ip: Option<String>,
    pub port: Option<i32>,
    pub priority: Option<i32>,
    pub node: Option<String>,
    pub uptime: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct KickUserResult {
    pub jid: Jid,
    pub kicked: bool,
    pub code: Option<String>,
    pub message: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct SessionPayload {
    pub jid: Jid,
    pub message: String,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct UserStatus {
    pub user: Jid,
    pub priority: Option<i32>,
    pub text: Option<String>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListSessionsVars {
    pub domain: Option<DomainName>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminQuery",
    variables = "ListSessionsVars"
)]
pub struct SessionListSessions {
    #[arguments(domain: $domain)]
    pub list_sessions: Option<Vec<Session>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "ListSessionsVars"
)]
pub struct ListSessions {
    pub session: Option<SessionListSessions>,
}

impl ListSessions {
    /// The field's value.
    pub fn value(&self) -> Option<&Vec<Session>> {
        self.session.as_ref()?.list_sessions.as_ref()
    }
}

/// `listSessions`: every open session, of one domain (`None`: all).
pub fn list_sessions(domain: Option<&str>) -> cynic::Operation<ListSessions, ListSessionsVars> {
    ListSessions::build(ListSessionsVars {
        domain: domain.map(DomainName::from),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CountSessionsVars {
    pub domain: Option<DomainName>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminQuery",
    variables = "CountSessionsVars"
)]
pub struct SessionCountSessions {
    #[arguments(domain: $domain)]
    pub count_sessions: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "CountSessionsVars"
)]
pub struct CountSessions {
    pub session: Option<SessionCountSessions>,
}

impl CountSessions {
    /// The field's value.
    pub fn value(&self) -> Option<&i32> {
        self.session.as_ref()?.count_sessions.as_ref()
    }
}

/// `countSessions`: how many sessions are open.
pub fn count_sessions(domain: Option<&str>) -> cynic::Operation<CountSessions, CountSessionsVars> {
    CountSessions::build(CountSessionsVars {
        domain: domain.map(DomainName::from),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListUserSessionsVars {
    pub user: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminQuery",
    variables = "ListUserSessionsVars"
)]
pub struct SessionListUserSessions {
    #[arguments(user: $user)]
    pub list_user_sessions: Option<Vec<Session>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "ListUserSessionsVars"
)]
pub struct ListUserSessions {
    pub session: Option<SessionListUserSessions>,
}

impl ListUserSessions {
    /// The field's value.
    pub fn value(&self) -> Option<&Vec<Session>> {
        self.session.as_ref()?.list_user_sessions.as_ref()
    }
}

/// `listUserSessions`: the user's sessions.
pub fn list_user_sessions(user: &str) -> cynic::Operation<ListUserSessions, ListUserSessionsVars> {
    ListUserSessions::build(ListUserSessionsVars { user: user.into() })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CountUserResourcesVars {
    pub user: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminQuery",
    variables = "CountUserResourcesVars"
)]
pub struct SessionCountUserResources {
    #[arguments(user: $user)]
    pub count_user_resources: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "CountUserResourcesVars"
)]
pub struct CountUserResources {
    pub session: Option<SessionCountUserResources>,
}

impl CountUserResources {
    /// The field's value.
    pub fn value(&self) -> Option<&i32> {
        self.session.as_ref()?.count_user_resources.as_ref()
    }
}

/// `countUserResources`: how many resources the user has.
pub fn count_user_resources(
    user: &str,
) -> cynic::Operation<CountUserResources, CountUserResourcesVars> {
    CountUserResources::build(CountUserResourcesVars { user: user.into() })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetUserResourceVars {
    pub user: Jid,
    pub number: PosInt,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminQuery",
    variables = "GetUserResourceVars"
)]
pub struct SessionGetUserResource {
    #[arguments(user: $user, number: $number)]
    pub get_user_resource: Option<ResourceName>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "GetUserResourceVars"
)]
pub struct GetUserResource {
    pub session: Option<SessionGetUserResource>,
}

impl GetUserResource {
    /// The field's value.
    pub fn value(&self) -> Option<&ResourceName> {
        self.session.as_ref()?.get_user_resource.as_ref()
    }
}

/// `getUserResource`: the resource of the user's n-th session.
pub fn get_user_resource(
    user: &str,
    number: i64,
) -> cynic::Operation<GetUserResource, GetUserResourceVars> {
    GetUserResource::build(GetUserResourceVars {
        user: user.into(),
        number: PosInt(number),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ListUsersWithStatusVars {
    pub domain: Option<DomainName>,
    pub status: NonEmptyString,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminQuery",
    variables = "ListUsersWithStatusVars"
)]
pub struct SessionListUsersWithStatus {
    #[arguments(domain: $domain, status: $status)]
    pub list_users_with_status: Option<Vec<UserStatus>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "ListUsersWithStatusVars"
)]
pub struct ListUsersWithStatus {
    pub session: Option<SessionListUsersWithStatus>,
}

impl ListUsersWithStatus {
    /// The field's value.
    pub fn value(&self) -> Option<&Vec<UserStatus>> {
        self.session.as_ref()?.list_users_with_status.as_ref()
    }
}

/// `listUsersWithStatus`: XMPP clients showing `status`.
pub fn list_users_with_status(
    domain: Option<&str>,
    status: &str,
) -> cynic::Operation<ListUsersWithStatus, ListUsersWithStatusVars> {
    ListUsersWithStatus::build(ListUsersWithStatusVars {
        domain: domain.map(DomainName::from),
        status: status.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CountUsersWithStatusVars {
    pub domain: Option<DomainName>,
    pub status: NonEmptyString,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminQuery",
    variables = "CountUsersWithStatusVars"
)]
pub struct SessionCountUsersWithStatus {
    #[arguments(domain: $domain, status: $status)]
    pub count_users_with_status: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "CountUsersWithStatusVars"
)]
pub struct CountUsersWithStatus {
    pub session: Option<SessionCountUsersWithStatus>,
}

impl CountUsersWithStatus {
    /// The field's value.
    pub fn value(&self) -> Option<&i32> {
        self.session.as_ref()?.count_users_with_status.as_ref()
    }
}

/// `countUsersWithStatus`: how many XMPP clients show `status`.
pub fn count_users_with_status(
    domain: Option<&str>,
    status: &str,
) -> cynic::Operation<CountUsersWithStatus, CountUsersWithStatusVars> {
    CountUsersWithStatus::build(CountUsersWithStatusVars {
        domain: domain.map(DomainName::from),
        status: status.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct KickUserSessionVars {
    pub user: FullJid,
    pub reason: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminMutation",
    variables = "KickUserSessionVars"
)]
pub struct SessionKickUserSession {
    #[arguments(user: $user, reason: $reason)]
    pub kick_user_session: Option<KickUserResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "KickUserSessionVars"
)]
pub struct KickUserSession {
    pub session: Option<SessionKickUserSession>,
}

impl KickUserSession {
    /// The field's value.
    pub fn value(&self) -> Option<&KickUserResult> {
        self.session.as_ref()?.kick_user_session.as_ref()
    }
}

/// `kickUserSession`: ends one session.
pub fn kick_user_session(
    user: &str,
    reason: Option<&str>,
) -> cynic::Operation<KickUserSession, KickUserSessionVars> {
    KickUserSession::build(KickUserSessionVars {
        user: user.into(),
        reason: reason.map(str::to_string),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct KickUserVars {
    pub user: BareJid,
    pub reason: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminMutation",
    variables = "KickUserVars"
)]
pub struct SessionKickUser {
    #[arguments(user: $user, reason: $reason)]
    pub kick_user: Option<Vec<KickUserResult>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "KickUserVars"
)]
pub struct KickUser {
    pub session: Option<SessionKickUser>,
}

impl KickUser {
    /// The field's value.
    pub fn value(&self) -> Option<&Vec<KickUserResult>> {
        self.session.as_ref()?.kick_user.as_ref()
    }
}

/// `kickUser`: ends every session of the user.
pub fn kick_user(user: &str, reason: Option<&str>) -> cynic::Operation<KickUser, KickUserVars> {
    KickUser::build(KickUserVars {
        user: user.into(),
        reason: reason.map(str::to_string),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetPresenceVars {
    pub user: Jid,
    pub presence_type: PresenceType,
    pub show: Option<PresenceShow>,
    pub status: Option<String>,
    pub priority: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "SessionAdminMutation",
    variables = "SetPresenceVars"
)]
pub struct SessionSetPresence {
    #[arguments(user: $user, type: $presence_type, show: $show, status: $status, priority: $priority)]
    pub set_presence: Option<SessionPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SetPresenceVars"
)]
pub struct SetPresence {
    pub session: Option<SessionSetPresence>,
}

impl SetPresence {
    /// The field's value.
    pub fn value(&self) -> Option<&SessionPayload> {
        self.session.as_ref()?.set_presence.as_ref()
    }
}

/// `setPresence`: an XMPP client's session sends this presence.
#[allow(clippy::too_many_arguments)]
pub fn set_presence(
    user: &str,
    presence_type: PresenceType,
    show: Option<PresenceShow>,
    status: Option<&str>,
    priority: Option<i32>,
) -> cynic::Operation<SetPresence, SetPresenceVars> {
    SetPresence::build(SetPresenceVars {
        user: user.into(),
        presence_type,
        show,
        status: status.map(str::to_string),
        priority,
    })
}
