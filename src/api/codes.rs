//! Every error code the user and admin APIs return from resolvers, with the reference's exact
//! messages, and the mapping from domain errors. The README's error table mirrors this file.

use async_graphql::Value;

use crate::accounts::AccountError;
use crate::archive::ArchiveError;
use crate::errors::ApiError;
use crate::inbox::InboxError;
use crate::jid::Jid;
use crate::last::LastError;
use crate::modules::MissingModules;
use crate::muc::MucError;
use crate::muc::room::{OwnerAction, RoomError as MucRoomError};
use crate::muc_light::MucLightError;
use crate::muc_light::config::ConfigError;
use crate::muc_light::room::{Action, RoomError};
use crate::private::PrivateError;
use crate::roster::RosterError;
use crate::router::RouteError;
use crate::sessions::SessionError;
use crate::stanza::StanzaError;
use crate::token::TokenError;
use crate::upload::{Declared, UploadError};
use crate::vcard::VcardError;
use crate::xml::InvalidChar;

/// A stored (or looked-up) string holds a character XML cannot carry: C0 controls other than
/// TAB, LF and CR (NUL included), U+FFFE or U+FFFF. Everything mimql stores travels as XML
/// over XMPP, and PostgreSQL cannot hold NUL, so such input is refused alike on every
/// database. `what` names the value (`The name`, `vCard/N/FAMILY`).
pub(crate) fn invalid_character(what: &str, c: InvalidChar) -> ApiError {
    ApiError::new(
        "invalid_character",
        format!("{what} contains {c}, a character XML cannot carry"),
    )
}

pub fn no_permissions() -> ApiError {
    ApiError::new(
        "no_permissions",
        "Cannot execute query ROOT without permissions",
    )
}

pub fn deps_not_loaded(missing: MissingModules<'_>) -> ApiError {
    let modules = missing.0.into_iter().map(Value::from).collect();
    ApiError::new(
        "deps_not_loaded",
        "Some of required modules or services are not loaded",
    )
    .with("not_loaded_modules", Value::List(modules))
    .with("not_loaded_services", Value::List(Vec::new()))
}

/// Account errors on the user API (`changePassword`, `unregister`): no extra extensions.
pub fn account_user(e: AccountError) -> ApiError {
    match e {
        AccountError::EmptyPassword => ApiError::new("empty_password", "Empty password"),
        AccountError::NotFound | AccountError::UnknownDomain | AccountError::AlreadyExists => {
            ApiError::new(
                "not_allowed",
                "User does not exist or you are not authorized properly",
            )
        }
        AccountError::Hash => ApiError::internal("password hashing", e),
        AccountError::Busy => ApiError::busy(),
        AccountError::Throttled(t) => ApiError::new("too_many_attempts", t.to_string()),
        AccountError::Db(e) => e.into(),
    }
}

/// Account errors on the admin API; `extensions.jid` names the account.
pub fn account_admin(e: AccountError, jid: &str) -> ApiError {
    admin(e, jid).with("jid", jid)
}

/// Errors of the admin operations on a whole domain; `extensions.domain` names it.
pub fn domain_admin(e: AccountError, domain: &str) -> ApiError {
    admin(e, domain).with("domain", domain)
}

fn admin(e: AccountError, jid: &str) -> ApiError {
    match e {
        AccountError::AlreadyExists => {
            ApiError::new("exists", format!("User {jid} already registered"))
        }
        AccountError::UnknownDomain => ApiError::new("domain_not_found", "Domain does not exist"),
        AccountError::NotFound => {
            ApiError::new("user_does_not_exist", format!("User {jid} does not exist"))
        }
        AccountError::EmptyPassword => ApiError::new("empty_password", "Empty password"),
        AccountError::Hash => ApiError::internal("password hashing", e),
        AccountError::Busy => ApiError::busy(),
        AccountError::Throttled(t) => ApiError::new("too_many_attempts", t.to_string()),
        AccountError::Db(e) => e.into(),
    }
}

/// A database fault inside a field whose spec names a code and message prefix for it: the
/// details go to the log.
fn internal(code: &'static str, prefix: &str, e: impl std::fmt::Display + 'static) -> ApiError {
    if let Some(e) = ApiError::unavailable(&e) {
        return e;
    }
    tracing::error!(%e, "{prefix}");
    ApiError::new(code, format!("{prefix}database error"))
}

/// Roster errors; `action` is `create`, `delete` or `get` (the reference's wording).
pub fn roster(e: RosterError, action: &str, user: &Jid, contact: &Jid) -> ApiError {
    let contact_s = contact.to_string();
    let err = match e {
        RosterError::UserNotExist(jid) => {
            ApiError::new("user_not_exist", format!("The user {jid} does not exist"))
        }
        RosterError::ContactNotFound if action == "delete" => ApiError::new(
            "contact_not_found",
            format!("Cannot remove {contact_s} contact that does not exist"),
        ),
        RosterError::ContactNotFound => {
            return ApiError::new("contact_not_found", "Given contact does not exist")
                .with("contact", contact_s);
        }
        RosterError::InvalidChar(what, c) => invalid_character(&format!("The {what}"), c),
        RosterError::RosterFull(_)
        | RosterError::ContactRosterFull(_)
        | RosterError::TooManyGroups(_)
        | RosterError::TooManyRosterGroups(_)
        | RosterError::TooLong(..) => roster_quota(e),
        RosterError::Db(e) => internal(
            "internal",
            &format!("Cannot {action} a contact because: "),
            e,
        ),
    };
    err.with("user", user.to_string())
        .with("contact", contact_s)
}

/// A roster quota (`[limits] max_roster_size`, `max_groups_per_contact`,
/// `max_groups_per_roster`, `max_roster_name_bytes`) was reached, the caller's or, for a
/// subscription request, the contact's.
fn roster_quota(e: RosterError) -> ApiError {
    match e {
        RosterError::RosterFull(limit) => ApiError::new(
            "roster_full",
            format!("A roster is limited to {limit} contacts"),
        )
        .with("limit", limit as u64),
        RosterError::ContactRosterFull(limit) => ApiError::new(
            "contact_roster_full",
            format!("The contact's roster is full ({limit} contacts)"),
        )
        .with("limit", limit as u64),
        RosterError::TooManyGroups(limit) => ApiError::new(
            "too_many_groups",
            format!("A contact is limited to {limit} groups"),
        )
        .with("limit", limit as u64),
        RosterError::TooManyRosterGroups(limit) => ApiError::new(
            "too_many_roster_groups",
            format!("A roster is limited to {limit} groups"),
        )
        .with("limit", limit as u64),
        RosterError::TooLong(what, limit) => ApiError::new(
            "roster_name_too_long",
            format!("The {what} is longer than {limit} bytes"),
        )
        .with("limit", limit as u64),
        other => ApiError::internal("roster quota", other),
    }
}

pub fn roster_list(e: RosterError, user: &Jid) -> ApiError {
    match e {
        RosterError::Db(e) => internal("internal", "Cannot get contacts because: ", e),
        _ => ApiError::new(
            "user_not_exist",
            format!("The user {} does not exist", user.to_bare()),
        )
        .with("user", user.to_string()),
    }
}

/// Errors of `listContacts` (both APIs): the roster's, or those of the MUC Light rooms in it.
pub fn contacts(e: crate::state::ContactsError, user: &Jid) -> ApiError {
    match e {
        crate::state::ContactsError::Roster(e) => roster_list(e, user),
        crate::state::ContactsError::MucLight(e) => {
            muc_light(e, vec![("user", user.to_string().into())])
        }
    }
}

pub fn vcard_not_configured(user: &Jid) -> ApiError {
    ApiError::new(
        "vcard_not_configured_error",
        "Mod_vcard is not loaded for this host",
    )
    .with("user", user.to_string())
}

/// vCard errors; `extensions.user` names the vCard's owner.
pub fn vcard(e: VcardError, user: &Jid) -> ApiError {
    let err = match e {
        VcardError::DomainNotFound => {
            ApiError::new("user_not_found", "User's domain does not exist")
        }
        VcardError::UserNotFound => ApiError::new("user_not_found", "Given user does not exist"),
        VcardError::NotFound => ApiError::new("vcard_not_found", "Vcard for user not found"),
        VcardError::InvalidChar(at) => {
            // The path below the root `vCard`: `N/FAMILY`.
            let field = at.path.split_once('/').map_or(at.path.as_str(), |(_, p)| p);
            invalid_character(&format!("The vCard's {field}"), at.ch)
        }
        VcardError::TooLarge(limit) => {
            return ApiError::new(
                "vcard_too_large",
                format!("A vCard is limited to {limit} bytes (as XML)"),
            )
            .with("user", user.to_string())
            .with("limit", limit as u64);
        }
        VcardError::Db(e) => {
            if let Some(e) = ApiError::unavailable(&e) {
                e
            } else {
                tracing::error!(%e, "vCard storage");
                ApiError::new("internal", "Internal server error")
            }
        }
    };
    err.with("user", user.to_string())
}

/// Private storage errors; `extra` are the field's context keys (`element`, `subElement`).
pub fn private(e: PrivateError, user: &Jid, extra: &[(&'static str, String)]) -> ApiError {
    let err = match e {
        PrivateError::UserNotFound => ApiError::new(
            "not_found",
            format!("User {} does not exist", user.to_bare()),
        ),
        PrivateError::NoNamespace => ApiError::new(
            "missing_namespace",
            "The element has no xmlns attribute; private storage is keyed by namespace",
        ),
        PrivateError::ReservedNamespace(ns) => ApiError::new(
            "reserved_namespace",
            format!("The namespace {ns} is reserved and cannot be used for private storage"),
        ),
        PrivateError::InvalidChar(at) => {
            invalid_character(&format!("The element's {}", at.path), at.ch)
        }
        PrivateError::InvalidNamespace(c) => invalid_character("The namespace", c),
        PrivateError::QuotaExceeded(limit) => ApiError::new(
            "private_quota_exceeded",
            format!("Private storage is limited to {limit} bytes per user"),
        )
        .with("limit", limit as u64),
        PrivateError::InvalidElement(name) => ApiError::new(
            "invalid_element",
            format!("{name:?} is not a valid XML element name"),
        ),
        PrivateError::Db(e) => ApiError::internal("private storage", e),
    };
    extra
        .iter()
        .fold(err.with("user", user.to_string()), |err, (k, v)| {
            err.with(k, v.clone())
        })
}

/// Errors of `getPrivate` (both APIs): `extensions` name the element and the namespace.
pub fn private_get(e: PrivateError, user: &Jid, element: &str, ns: &str) -> ApiError {
    private(
        e,
        user,
        &[
            ("element", element.to_string()),
            ("subElement", ns.to_string()),
        ],
    )
}

/// Errors of `roster.subscription`, which the spec reduces to `unknown_domain`; mimql reports
/// a vanished caller and database faults plainly.
pub fn roster_subscription(e: RosterError, contact: &Jid) -> ApiError {
    let err = match e {
        RosterError::Db(e) => internal("internal", "Cannot send the subscription because: ", e),
        e @ (RosterError::RosterFull(_) | RosterError::ContactRosterFull(_)) => roster_quota(e),
        other => ApiError::new("user_not_exist", other.to_string()),
    };
    err.with("contact", contact.to_string())
}

pub fn last(e: LastError, user: &Jid) -> ApiError {
    let err = match e {
        LastError::UserNotFound => ApiError::new(
            "user_does_not_exist",
            format!("User {} does not exist", user.to_bare()),
        ),
        e => last_common(e),
    };
    err.with("user", user.to_string())
}

/// Errors of the admin's domain-wide `last` queries; `extensions.domain` names the domain, when
/// one was given.
pub fn last_domain(e: LastError, domain: Option<&str>) -> ApiError {
    let err = last_common(e);
    match domain {
        Some(d) => err.with("domain", d),
        None => err,
    }
}

fn last_common(e: LastError) -> ApiError {
    match e {
        LastError::UserNotFound => ApiError::new("user_does_not_exist", "User does not exist"),
        LastError::NotFound => ApiError::new("last_not_found", "Given user's last info not found"),
        LastError::DomainNotFound => ApiError::new("domain_not_found", "Domain not found"),
        LastError::InvalidChar(c) => invalid_character("The status", c),
        LastError::Sessions(e) => ApiError::internal("session registry", e),
        LastError::Db(e) => ApiError::internal("last activity", e),
    }
}

/// Errors of the `stanza` mutations (no extra extensions, as in the reference).
pub fn stanza(e: StanzaError) -> ApiError {
    match e {
        StanzaError::SpoofedSender => ApiError::new(
            "invalid_sender",
            "Sender's JID is different from the user's JID",
        ),
        StanzaError::InvalidSender => ApiError::new("invalid_sender", "Invalid sender JID"),
        StanzaError::NoRecipient => ApiError::new("no_recipient", "Missing recipient JID"),
        StanzaError::InvalidRecipient => {
            ApiError::new("invalid_recipient", "Invalid recipient JID")
        }
        // The reference crashes here; mimql says what is missing.
        StanzaError::NoStanza => ApiError::new("no_stanza", "No stanza was given to send"),
        StanzaError::InvalidChar(what, c) => invalid_character(what, c),
    }
}

/// A routing fault (the database or the session registry): nothing was acknowledged.
pub fn route(e: RouteError) -> ApiError {
    ApiError::internal("routing", e)
}

pub fn archive(e: ArchiveError, user: &Jid) -> ApiError {
    ApiError::internal("archive", e).with("user", user.to_string())
}

pub fn sessions(e: SessionError) -> ApiError {
    match e {
        SessionError::TooMany(limit) => ApiError::new(
            "too_many_sessions",
            format!("The user has the most live sessions allowed ({limit})"),
        )
        .with("limit", limit as u64),
        e => ApiError::internal("sessions", e),
    }
}

pub fn inbox(e: InboxError, user: &Jid) -> ApiError {
    let err = match e {
        InboxError::UserNotFound => ApiError::new(
            "user_does_not_exist",
            format!("User {} does not exist", user.to_bare()),
        ),
        InboxError::DomainNotFound => ApiError::new("domain_not_found", "Domain not found"),
        InboxError::Db(e) => ApiError::internal("inbox", e),
    };
    err.with("user", user.to_string())
}

/// Token errors; `extensions.user` is the caller's JID (the reference printed an Erlang
/// record there, ruling 3).
pub fn token(e: TokenError, user: &Jid) -> ApiError {
    let err = match e {
        TokenError::UserNotFound => ApiError::new("not_found", "User does not exist"),
        TokenError::NoToken => ApiError::new("not_found", "User or token not found"),
        TokenError::Db(e) => ApiError::internal("auth tokens", e),
    };
    err.with("user", user.to_string())
}

/// `getUrl` errors carry the arguments: `filename`, `size`, `contentType` (null when absent)
/// and `timeout`.
pub fn upload(e: UploadError, d: &Declared<'_>) -> ApiError {
    let err = match e {
        UploadError::TooLarge(_) => ApiError::new(
            "file_too_large_error",
            "Declared file size exceeds the host's maximum file size.",
        ),
        UploadError::InvalidFilename => ApiError::new(
            "invalid_filename",
            "The file name cannot be \".\" or \"..\"",
        ),
        UploadError::TimeoutTooLong(limit) => ApiError::new(
            "upload_timeout_too_long",
            format!("The URL timeout is limited to {limit} seconds"),
        )
        .with("limit", limit),
        UploadError::BytesQuota(limit) => ApiError::new(
            "upload_quota_exceeded",
            format!("Uploads are limited to {limit} bytes per user"),
        )
        .with("limit", limit),
        UploadError::FilesQuota(limit) => ApiError::new(
            "upload_quota_exceeded",
            format!("Uploads are limited to {limit} files per user"),
        )
        .with("limit", limit),
        UploadError::UserNotFound => ApiError::new("not_allowed", "The account was removed"),
        UploadError::Db(e) => ApiError::internal("uploads", e),
    };
    let size = i64::try_from(d.size).unwrap_or(i64::MAX);
    let timeout = i64::try_from(d.timeout).unwrap_or(i64::MAX);
    err.with("filename", d.filename)
        .with("size", size)
        .with(
            "contentType",
            d.content_type.map_or(Value::Null, Value::from),
        )
        .with("timeout", timeout)
}

/// MUC Light errors; `extensions` are the field's context (`room`, `recipient`, `user`,
/// `mucDomain`, `id`). A database fault is `internal_server_error`, except for
/// `getRoomMessages`, whose spec names `internal` ([`muc_light_messages`]).
pub fn muc_light(e: MucLightError, extensions: Vec<(&'static str, Value)>) -> ApiError {
    let err = match e {
        MucLightError::ServerNotFound => {
            ApiError::new("muc_server_not_found", "MUC Light server not found")
        }
        MucLightError::RoomNotFound => ApiError::new("room_not_found", "Room not found"),
        MucLightError::AlreadyExists => ApiError::new("already_exists", "Room already exists"),
        MucLightError::UserNotFound | MucLightError::Room(RoomError::UnknownRecipient) => {
            ApiError::new("user_not_found", "Given user does not exist")
        }
        MucLightError::Config(ConfigError::Invalid { key, reason }) => ApiError::new(
            "validation_error",
            format!(
                "Validation failed for key: {key} with reason {}",
                reason.as_str()
            ),
        ),
        MucLightError::Config(ConfigError::InvalidChar { key, ch }) => {
            invalid_character(&format!("The value of {key}"), ch)
        }
        MucLightError::Room(e) => room(e),
        MucLightError::BlockingDisabled => ApiError::new(
            "blocking_disabled",
            "Blocking lists are disabled on this server",
        ),
        MucLightError::InvalidBody(c) => invalid_character("The body", c),
        MucLightError::Db(e) => ApiError::internal("MUC Light", e),
    };
    extensions
        .into_iter()
        .fold(err, |err, (k, v)| err.with(k, v))
}

/// The refusals of a room's rules. Where the reference reported success for a request its room
/// engine ignored, mimql says why (ruling 4).
fn room(e: RoomError) -> ApiError {
    match e {
        RoomError::NotMember => {
            ApiError::new("not_room_member", "Given user does not occupy this room")
        }
        RoomError::NotAllowed(Action::Configure) => ApiError::new(
            "not_allowed",
            "Given user does not have permission to change config",
        ),
        RoomError::NotAllowed(Action::ChangeAffiliations) => ApiError::new(
            "not_allowed",
            "Given user does not have permission to change affiliations",
        ),
        RoomError::NotAllowed(Action::Invite) => ApiError::new(
            "not_allowed",
            "Given user does not have permission to invite users",
        ),
        RoomError::NotAllowed(Action::Delete) => {
            ApiError::new("not_allowed", "Given user cannot delete this room")
        }
        RoomError::Blocked => ApiError::new(
            "not_allowed",
            "The recipient does not accept invitations from this user or to this room",
        ),
        RoomError::UnknownRecipient => ApiError::new("user_not_found", "Given user does not exist"),
        RoomError::AlreadyInRoom => {
            ApiError::new("already_in_room", "Given user already occupies this room")
        }
        RoomError::MaxOccupants => {
            ApiError::new("max_occupants_reached", "Max occupants number reached")
        }
        RoomError::TooManyRooms => ApiError::new(
            "too_many_rooms",
            "Given user occupies the most rooms allowed",
        ),
        RoomError::TargetNotInRoom => ApiError::new(
            "not_room_member",
            "The user to remove does not occupy this room",
        ),
    }
}

/// `getRoomMessages` errors: as [`muc_light`], with a database fault reported as `internal`
/// (the reference's `"Internal error occured <term>"`, sic, with the term in the log).
pub fn muc_light_messages(e: MucLightError, room: &Jid) -> ApiError {
    let ext = vec![("room", Value::from(room.to_string()))];
    match e {
        MucLightError::Db(e) => {
            internal("internal", "Internal error occured ", e).with("room", room.to_string())
        }
        e => muc_light(e, ext),
    }
}

/// Which MUC field failed: the reference words some refusals per field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MucField {
    CreateInstantRoom,
    DeleteRoom,
    GetRoomConfig,
    ChangeRoomConfiguration,
    ListRoomUsers,
    ListRoomAffiliations,
    GetRoomMessages,
    InviteUser,
    KickUser,
    SetUserRole,
    SetUserAffiliation,
    EnterRoom,
    ExitRoom,
    SendMessageToRoom,
    SendPrivateMessage,
    ListRooms,
}

/// MUC errors; `extensions` are the field's context (`room`, or `mucDomain` for listRooms).
/// A domain that is not a MUC service is `room_not_found` where the reference finds no room
/// (every room field it tests that way), `muc_server_not_found` where it checks the service
/// (getRoomMessages, listRooms) and for the fields it never checked (enter, exit, messages).
pub fn muc(e: MucError, field: MucField, extensions: Vec<(&'static str, Value)>) -> ApiError {
    use MucField as F;
    let not_found = || match field {
        F::DeleteRoom => ApiError::new("room_not_found", "Cannot remove non-existent room"),
        _ => ApiError::new("room_not_found", "Room not found"),
    };
    let err = match e {
        MucError::ServerNotFound => match field {
            F::GetRoomMessages
            | F::ListRooms
            | F::EnterRoom
            | F::ExitRoom
            | F::SendMessageToRoom
            | F::SendPrivateMessage => {
                ApiError::new("muc_server_not_found", "MUC server not found")
            }
            _ => not_found(),
        },
        MucError::RoomNotFound => not_found(),
        MucError::NoSession => ApiError::new("no_session", "Given user does not have any session"),
        MucError::UserNotFound => ApiError::new("user_not_found", "Given user not found"),
        // The reference answered `internal` "Room is locked" (or its fixed success value);
        // mimql says what happened (rulings 4 and 5).
        MucError::Exists(e) => ApiError::new(
            "could_not_create_room",
            format!(
                "The room already exists and cannot be entered: {}",
                muc_room(e, F::EnterRoom).message
            ),
        ),
        MucError::Room(e) => muc_room(e, field),
        MucError::InvalidChar(what, c) => invalid_character(what, c),
        MucError::Db(e) if field == F::GetRoomMessages => {
            internal("internal", "Internal error occured ", e)
        }
        MucError::Db(e) => ApiError::internal("MUC", e),
        MucError::Sessions(e) => ApiError::internal("sessions", e),
        MucError::TooManyRooms(limit) => ApiError::new(
            "too_many_rooms",
            format!("Given user has created the most rooms allowed ({limit})"),
        )
        .with("limit", limit as u64),
    };
    extensions
        .into_iter()
        .fold(err, |err, (k, v)| err.with(k, v))
}

/// The refusals of a MUC room's rules. The reference reported success for the refusals of its
/// room engine (joins, kicks, messages); mimql reports them (ruling 4).
fn muc_room(e: MucRoomError, field: MucField) -> ApiError {
    use MucRoomError as E;
    let not_allowed = |m: String| ApiError::new("not_allowed", m);
    match e {
        E::NotOwner(OwnerAction::ReadConfig) => {
            not_allowed("Given user does not have permission to read config".into())
        }
        E::NotOwner(OwnerAction::Configure) => {
            not_allowed("Given user does not have permission to change the config".into())
        }
        E::NotOwner(OwnerAction::Delete) => {
            not_allowed("Given user does not have permission to delete this room".into())
        }
        E::NoReadAccess => {
            not_allowed("Given user does not have permission to read this room".into())
        }
        E::NotOccupant if field == MucField::ExitRoom => ApiError::new(
            "not_occupant",
            "Given resource does not occupy this room under this nick",
        ),
        E::NotOccupant => ApiError::new("not_occupant", "Given user does not occupy this room"),
        E::ModeratorNotFound => ApiError::new(
            "moderator_not_found",
            "Resource with moderator role not found",
        ),
        E::NickNotFound(nick) => {
            let code = if field == MucField::SendPrivateMessage {
                "nick_not_found"
            } else {
                "cannot_modify"
            };
            ApiError::new(code, format!("Nickname {nick} does not exist in the room"))
        }
        E::RoleNotAllowed(r) => not_allowed(format!(
            "Given user does not have permission to set the {} role",
            r.as_str()
        )),
        E::KickNotAllowed => {
            not_allowed("Given user does not have permission to kick this occupant".into())
        }
        // The reference said "role" for some of these (ruling 5).
        E::AffiliationNotAllowed(a) => not_allowed(format!(
            "Given user does not have permission to set the {} affiliation",
            a.as_str()
        )),
        E::LastOwner => not_allowed("The room's last owner cannot give up ownership".into()),
        E::Banned => ApiError::new("banned", "Given user is banned from this room"),
        E::MembersOnly => {
            ApiError::new("members_only", "Membership is required to enter this room")
        }
        E::PasswordRequired => ApiError::new(
            "password_required",
            "A password is required to enter this room",
        ),
        E::WrongPassword => ApiError::new("wrong_password", "Incorrect password"),
        E::NickConflict => ApiError::new(
            "nick_conflict",
            "That nickname is already in use by another occupant",
        ),
        E::MaxUsers => ApiError::new("max_users_reached", "Too many users in this room"),
        E::NickChangeNotAllowed => {
            not_allowed("Visitors are not allowed to change their nicknames in this room".into())
        }
        E::VisitorMayNotSpeak => {
            not_allowed("Visitors are not allowed to send messages to all occupants".into())
        }
        E::PrivateMessagesNotAllowed => {
            not_allowed("Private messages are not allowed in this room".into())
        }
    }
}

/// `checkPasswordHash`: mimql stores no plain password, so every user is one the reference
/// answers this for (a user that does not exist or has a SCRAM password).
pub fn password_hash(jid: &str) -> ApiError {
    ApiError::new("wrong_user", "User does not exist or using SCRAM password").with("jid", jid)
}

/// `importUsers`; `extensions.filename` names the file.
pub fn import_users(e: crate::import_users::ImportError, filename: &str) -> ApiError {
    use crate::import_users::ImportError;
    let err = match e {
        ImportError::FileNotFound => ApiError::new("file_not_found", "File not found"),
        ImportError::Csv(m) => ApiError::new("invalid_file", format!("The file is not CSV: {m}")),
        ImportError::Account(e) => admin(e, filename),
    };
    err.with("filename", filename)
}

/// `retrievePersonalData`, with the reference's codes; `extensions.user` and `domain` name
/// the user.
pub fn gdpr(e: crate::gdpr::GdprError, user: &str, domain: &str) -> ApiError {
    use crate::gdpr::GdprError;
    let err = match e {
        GdprError::UserNotFound => {
            ApiError::new("user_does_not_exist_error", "User does not exist")
        }
        GdprError::WrongFilename(p) => ApiError::new(
            "wrong_filename_error",
            format!("It is impossible to create file named '{}'", p.display()),
        ),
        GdprError::PermissionDenied(p) => ApiError::new(
            "file_creation_permission_denied_error",
            format!(
                "Permission to create file in location '{}' denied",
                p.display()
            ),
        ),
        GdprError::IsDirectory(p) => ApiError::new(
            "location_is_a_directory_error",
            format!("Given location '{}' is a directory", p.display()),
        ),
        GdprError::Io(e) => ApiError::internal("GDPR export", e),
        GdprError::Db(e) => e.into(),
    };
    err.with("user", user).with("domain", domain)
}

/// `stat`: the account store or the session registry failed.
pub fn stats(e: crate::state::StatsError) -> ApiError {
    match e {
        crate::state::StatsError::Accounts(e) => admin(e, ""),
        crate::state::StatsError::Sessions(e) => sessions(e),
    }
}
