//! Every error code mimql answers with, and the HTTP status of a reply whose first error carries
//! it. Refusals before execution are built from these codes ([`super::Rejection::new`]); resolver
//! errors (`api::codes`) name them too, and in debug builds [`crate::errors::ApiError::new`]
//! checks that they are here. README's "Error codes" table lists exactly this registry (a test
//! checks both ways).

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $status:literal;)*) => {
        /// An error code (`extensions.code`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in the order of the registry.
            pub const ALL: &[Code] = &[$(Code::$variant),*];

            /// The code as sent in `extensions.code`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The HTTP status of a reply whose first error has this code: a refusal's class
            /// before execution; 503 for conditions that pass; 200 for errors of an executed
            /// request (resolvers, the response bound).
            pub const fn status(self) -> u16 {
                match self {
                    $(Code::$variant => $status,)*
                }
            }

            /// The code named `name`, if it is one.
            pub fn parse(name: &str) -> Option<Code> {
                match name {
                    $($name => Some(Code::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    // Authentication.
    WrongCredentials = "wrong_credentials", 401;
    RequestError = "request_error", 401;
    NoPermissions = "no_permissions", 401;
    /// The failed-login throttle: the account or the source failed too often lately.
    TooManyAttempts = "too_many_attempts", 429;
    // Transport: decoding, negotiation, bounds.
    InvalidJsonBody = "invalid_json_body", 400;
    NoQuerySupplied = "no_query_supplied", 400;
    VariablesInvalidJson = "variables_invalid_json", 400;
    InvalidQueryParameters = "invalid_query_parameters", 400;
    UnsupportedMediaType = "unsupported_media_type", 415;
    NotAcceptable = "not_acceptable", 406;
    RequestTimeout = "request_timeout", 408;
    RequestTooLarge = "request_too_large", 413;
    /// The admin listener refuses a `Host` that is not loopback nor configured.
    HostNotAllowed = "host_not_allowed", 421;
    // The document: parsing, selection, limits, validation, input checks.
    ParserError = "parser_error", 400;
    OperationNotFound = "operation_not_found", 400;
    /// Several operations and no name: nothing runs, but the reference answers 200.
    MoreThanOneOperation = "more_than_one_operation", 200;
    UnsupportedOperation = "unsupported_operation", 400;
    QueryTooDeep = "query_too_deep", 400;
    QueryTooComplex = "query_too_complex", 400;
    FragmentCycle = "fragment_cycle", 400;
    UnknownFragment = "unknown_fragment", 400;
    UnknownField = "unknown_field", 400;
    UnknownType = "unknown_type", 400;
    ExcessArgs = "excess_args", 400;
    UnboundVariable = "unbound_variable", 400;
    MissingNonNullParam = "missing_non_null_param", 400;
    NullInput = "null_input", 400;
    InputCoercion = "input_coercion", 400;
    InputCoerceAbort = "input_coerce_abort", 400;
    TypeMismatch = "type_mismatch", 400;
    ListTooLong = "list_too_long", 400;
    /// async-graphql's other validation failures; MUC Light's configuration check in a resolver
    /// (see [`Code::executed_too`]).
    ValidationError = "validation_error", 400;
    /// A panic, or a request that skipped the pipeline; in a resolver, a fault on our side
    /// (see [`Code::executed_too`]).
    InternalServerError = "internal_server_error", 500;
    // Conditions that pass: retry later.
    DatabaseUnavailable = "database_unavailable", 503;
    ServerBusy = "server_busy", 503;
    // Executed requests.
    /// The response would exceed `max_response_bytes`.
    ResponseTooLarge = "response_too_large", 200;
    /// A resolver error that carries no code of its own.
    ResolverError = "resolver_error", 200;
    DepsNotLoaded = "deps_not_loaded", 200;
    InvalidCharacter = "invalid_character", 200;
    Internal = "internal", 200;
    NotAllowed = "not_allowed", 200;
    NotFound = "not_found", 200;
    // Accounts.
    EmptyPassword = "empty_password", 200;
    Exists = "exists", 200;
    DomainNotFound = "domain_not_found", 200;
    UserDoesNotExist = "user_does_not_exist", 200;
    /// Admin API: the user acted on is not of a served domain.
    UnknownDomain = "unknown_domain", 200;
    /// Admin API: the user a message is sent from, or whose archive is read, does not exist.
    UnknownUser = "unknown_user", 200;
    /// Admin `checkPasswordHash`: no plain password to compare with.
    WrongUser = "wrong_user", 200;
    /// Admin `importUsers`: no such file, or not CSV.
    FileNotFound = "file_not_found", 200;
    InvalidFile = "invalid_file", 200;
    // Admin `gdpr`.
    UserDoesNotExistError = "user_does_not_exist_error", 200;
    WrongFilenameError = "wrong_filename_error", 200;
    FileCreationPermissionDeniedError = "file_creation_permission_denied_error", 200;
    LocationIsADirectoryError = "location_is_a_directory_error", 200;
    // Roster.
    UserNotExist = "user_not_exist", 200;
    ContactNotFound = "contact_not_found", 200;
    RosterFull = "roster_full", 200;
    ContactRosterFull = "contact_roster_full", 200;
    TooManyGroups = "too_many_groups", 200;
    TooManyRosterGroups = "too_many_roster_groups", 200;
    RosterNameTooLong = "roster_name_too_long", 200;
    // vCard, private storage, last activity.
    UserNotFound = "user_not_found", 200;
    VcardNotFound = "vcard_not_found", 200;
    VcardNotConfiguredError = "vcard_not_configured_error", 200;
    VcardTooLarge = "vcard_too_large", 200;
    PrivateQuotaExceeded = "private_quota_exceeded", 200;
    MissingNamespace = "missing_namespace", 200;
    ReservedNamespace = "reserved_namespace", 200;
    InvalidElement = "invalid_element", 200;
    LastNotFound = "last_not_found", 200;
    // Upload.
    FileTooLargeError = "file_too_large_error", 200;
    InvalidFilename = "invalid_filename", 200;
    UploadQuotaExceeded = "upload_quota_exceeded", 200;
    UploadTimeoutTooLong = "upload_timeout_too_long", 200;
    // Stanzas.
    InvalidSender = "invalid_sender", 200;
    NoRecipient = "no_recipient", 200;
    InvalidRecipient = "invalid_recipient", 200;
    NoStanza = "no_stanza", 200;
    // MUC Light and MUC.
    MucServerNotFound = "muc_server_not_found", 200;
    RoomNotFound = "room_not_found", 200;
    NotRoomMember = "not_room_member", 200;
    AlreadyExists = "already_exists", 200;
    MaxOccupantsReached = "max_occupants_reached", 200;
    AlreadyInRoom = "already_in_room", 200;
    TooManyRooms = "too_many_rooms", 200;
    BlockingDisabled = "blocking_disabled", 200;
    CannotModify = "cannot_modify", 200;
    ModeratorNotFound = "moderator_not_found", 200;
    Banned = "banned", 200;
    MembersOnly = "members_only", 200;
    PasswordRequired = "password_required", 200;
    WrongPassword = "wrong_password", 200;
    NickConflict = "nick_conflict", 200;
    MaxUsersReached = "max_users_reached", 200;
    CouldNotCreateRoom = "could_not_create_room", 200;
    NotOccupant = "not_occupant", 200;
    NickNotFound = "nick_not_found", 200;
    NoSession = "no_session", 200;
    // Admin sessions and inbox bins.
    WrongResNumber = "wrong_res_number", 200;
    EmptyResource = "empty_resource", 200;
    HostTypeNotFound = "host_type_not_found", 200;
    // Per-user bounds on sessions and connections: refusals, retry once one ends.
    TooManySessions = "too_many_sessions", 429;
    TooManySubscriptions = "too_many_subscriptions", 429;
    TooManyConnections = "too_many_connections", 429;
}

impl Code {
    /// Codes raised before execution (with [`Code::status`]) that resolvers raise too, in an
    /// executed reply (200).
    pub const fn executed_too(self) -> bool {
        matches!(self, Code::ValidationError | Code::InternalServerError)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Code;
    use std::collections::BTreeSet;

    /// `(code, status)` pairs of README's "### Error codes" table. A row may name several codes
    /// and one status, or as many statuses as codes (`a` / `b` | `415 / 406`).
    fn readme_pairs() -> BTreeSet<(String, u16)> {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("### Error codes")
            .nth(1)
            .expect("README has an error code table");
        let mut pairs = BTreeSet::new();
        for line in table.lines().skip_while(|l| !l.starts_with('|')) {
            if !line.starts_with('|') {
                break;
            }
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let codes: Vec<&str> = cells[0]
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|c| !c.is_empty())
                .collect();
            let statuses: Vec<u16> = cells
                .get(1)
                .into_iter()
                .flat_map(|c| c.split('/'))
                .filter_map(|s| s.trim().parse().ok())
                .collect();
            if codes.is_empty() || statuses.is_empty() {
                continue; // the header and its rule
            }
            for (i, code) in codes.iter().enumerate() {
                let status = match statuses.len() {
                    1 => statuses[0],
                    _ => statuses[i.min(statuses.len() - 1)],
                };
                pairs.insert((code.to_string(), status));
            }
        }
        pairs
    }

    #[test]
    fn readme_table_matches_the_registry() {
        let readme = readme_pairs();
        assert!(readme.len() > 50, "the table was found and read");
        for (code, status) in &readme {
            let c = Code::parse(code)
                .unwrap_or_else(|| panic!("README lists `{code}`, which is not in the registry"));
            assert!(
                *status == c.status() || (*status == 200 && c.executed_too()),
                "README gives `{code}` HTTP {status}, the registry {}",
                c.status()
            );
        }
        for c in Code::ALL {
            let name = c.as_str().to_string();
            assert!(
                readme.contains(&(name.clone(), c.status())),
                "`{name}` (HTTP {}) is missing from README's table",
                c.status()
            );
            if c.executed_too() {
                assert!(
                    readme.contains(&(name.clone(), 200)),
                    "`{name}` in resolvers (HTTP 200) is missing from README's table"
                );
            }
        }
    }

    #[test]
    fn names_are_unique_and_parse_back() {
        let names: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
        for c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(*c));
        }
    }
}
