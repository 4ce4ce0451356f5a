//! `[modules.*]`: which modules are enabled, and the options of those that have some. The
//! modules build their own state from these (and refuse what they cannot use at start-up).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModuleConfig {
    pub enabled: bool,
}

/// `[modules.mod_auth_token]`: how long tokens stay valid, in the reference's syntax
/// (`validity_period.access = {value = 1, unit = "hours"}`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthTokenOptions {
    pub validity_period: ValidityPeriods,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidityPeriods {
    pub access: Period,
    pub refresh: Period,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub value: u64,
    pub unit: TimeUnit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Days,
    Hours,
    Minutes,
    Seconds,
}

impl Period {
    pub fn seconds(self) -> u64 {
        let unit = match self.unit {
            TimeUnit::Days => 86_400,
            TimeUnit::Hours => 3_600,
            TimeUnit::Minutes => 60,
            TimeUnit::Seconds => 1,
        };
        self.value.saturating_mul(unit)
    }
}

impl Default for ValidityPeriods {
    fn default() -> Self {
        ValidityPeriods {
            access: Period {
                value: 1,
                unit: TimeUnit::Hours,
            },
            refresh: Period {
                value: 25,
                unit: TimeUnit::Days,
            },
        }
    }
}

/// `[modules.mod_http_upload]`: where `getUrl` points uploads.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpUploadOptions {
    pub backend: UploadBackend,
    /// Largest declared size `getUrl` accepts, in bytes.
    pub max_file_size: u64,
    /// Random bytes in each upload's path (hex-encoded), which make its URL unguessable.
    pub token_bytes: usize,
    pub local: LocalUpload,
    pub s3: Option<S3Upload>,
    /// Bytes of uploads a user may hold: stored files plus URLs that may still be used.
    pub max_bytes_per_user: u64,
    /// Uploads (stored files and usable URLs) a user may hold.
    pub max_files_per_user: u64,
    /// Longest `timeout` (seconds a PUT URL stays valid) `getUrl` accepts.
    pub max_url_timeout_secs: u64,
    /// Longest a PUT may take to send its body (local backend).
    pub put_timeout_secs: u64,
    /// How often expired unused URLs and removed accounts' files are reclaimed.
    pub reclaim_interval_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadBackend {
    /// mimql stores the files and serves the URLs it signs on the user listener.
    Local,
    /// Presigned URLs of an S3-compatible store.
    S3,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocalUpload {
    /// Where uploaded files are kept (relative paths are relative to the working directory).
    pub directory: std::path::PathBuf,
    /// The URL clients reach the user listener at; empty means `http://<bound address>`.
    pub base_url: String,
}

impl Default for HttpUploadOptions {
    fn default() -> Self {
        HttpUploadOptions {
            backend: UploadBackend::Local,
            max_file_size: 10_485_760,
            token_bytes: 32,
            local: LocalUpload::default(),
            s3: None,
            max_bytes_per_user: 104_857_600,
            max_files_per_user: 10_000,
            max_url_timeout_secs: 86_400,
            put_timeout_secs: 300,
            reclaim_interval_secs: 300,
        }
    }
}

impl Default for LocalUpload {
    fn default() -> Self {
        LocalUpload {
            directory: "uploads".into(),
            base_url: String::new(),
        }
    }
}

/// `[modules.mod_mam_pm]` and `[modules.mod_mam_muc]`: archive retention (beyond the
/// reference, which keeps archives forever).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MamOptions {
    /// Messages older than this many days are deleted in the background; absent: kept forever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// How often the retention pass runs.
    pub retention_interval_secs: u64,
    /// The most messages one XMPP MAM query answers (a larger RSM `max` is cut to it).
    pub max_page_size: u64,
    /// The page size of an XMPP MAM query without an RSM `max` (at most `max_page_size`).
    pub default_page_size: u64,
}

impl Default for MamOptions {
    fn default() -> Self {
        MamOptions {
            retention_days: None,
            retention_interval_secs: 3_600,
            max_page_size: 250,
            default_page_size: 50,
        }
    }
}

/// `[modules.mod_muc]`: the reference's `default_room` (its other options concern its XMPP
/// side or access rules mimql does not have).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MucOptions {
    /// The configuration of new rooms.
    pub default_room: DefaultRoom,
}

/// `[modules.mod_muc.default_room]`, with the reference's key names; the defaults are the
/// reference's (spec §3.2).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DefaultRoom {
    pub title: String,
    pub description: String,
    pub allow_change_subj: bool,
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
    pub allow_multiple_sessions: bool,
    pub password_protected: bool,
    pub password: String,
    pub anonymous: bool,
    pub maygetmemberlist: Vec<String>,
    pub max_users: u32,
    pub logging: bool,
}

impl Default for DefaultRoom {
    fn default() -> Self {
        DefaultRoom {
            title: String::new(),
            description: String::new(),
            allow_change_subj: true,
            allow_query_users: true,
            allow_private_messages: true,
            allow_visitor_status: true,
            allow_visitor_nickchange: true,
            public: true,
            public_list: true,
            persistent: false,
            moderated: true,
            members_by_default: true,
            members_only: false,
            allow_user_invites: false,
            allow_multiple_sessions: false,
            password_protected: false,
            password: String::new(),
            anonymous: true,
            maygetmemberlist: Vec::new(),
            max_users: 200,
            logging: false,
        }
    }
}

/// `[modules.mod_muc_light]`: the reference's options that shape rooms (`host`, `backend`,
/// `legacy_mode`, `cache_affs` and `rooms_per_page` concern its XMPP side and are not taken).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MucLightOptions {
    /// Rooms have no owner: creators are members like everyone else.
    pub equal_occupants: bool,
    /// Most rooms a user may occupy.
    pub rooms_per_user: Limit,
    /// Whether blocking lists are applied (and may be changed).
    pub blocking: bool,
    /// Members may change every configuration key (else only the subject).
    pub all_can_configure: bool,
    /// Members may invite.
    pub all_can_invite: bool,
    /// Most occupants a room may have.
    pub max_occupants: Limit,
    /// The rooms a user occupies are listed first in their roster (`listContacts`).
    pub rooms_in_rosters: bool,
    /// The configuration keys rooms have, with their types and defaults.
    pub config_schema: Vec<ConfigField>,
}

/// A positive integer or `"infinity"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Infinity,
    At(u64),
}

impl Limit {
    /// Whether `n` goes over the limit.
    pub fn exceeded_by(self, n: u64) -> bool {
        matches!(self, Limit::At(max) if n > max)
    }
}

impl Serialize for Limit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Limit::Infinity => s.serialize_str("infinity"),
            Limit::At(n) => s.serialize_u64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Limit, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(i64),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) if n > 0 => Ok(Limit::At(n as u64)),
            Raw::Word(w) if w == "infinity" => Ok(Limit::Infinity),
            _ => Err(serde::de::Error::custom(
                "expected a positive integer or \"infinity\"",
            )),
        }
    }
}

impl Default for MucLightOptions {
    fn default() -> Self {
        MucLightOptions {
            equal_occupants: false,
            rooms_per_user: Limit::Infinity,
            blocking: true,
            all_can_configure: false,
            all_can_invite: false,
            max_occupants: Limit::Infinity,
            rooms_in_rosters: false,
            config_schema: vec![
                ConfigField::string("roomname", "Untitled"),
                ConfigField::string("subject", ""),
            ],
        }
    }
}

/// `[modules.mod_offline]`: XEP-0160 offline storage for XMPP clients.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OfflineOptions {
    /// Messages kept per user; one more is refused (a client sender gets
    /// `<service-unavailable/>`).
    pub max_messages: u64,
}

impl Default for OfflineOptions {
    fn default() -> Self {
        OfflineOptions { max_messages: 100 }
    }
}

/// The modules of the reference that the API depends on (`@use` in the schema), and
/// `mod_offline`, which only XMPP clients see.
pub const MODULES: [&str; 11] = [
    "mod_auth_token",
    "mod_http_upload",
    "mod_inbox",
    "mod_last",
    "mod_mam_muc",
    "mod_mam_pm",
    "mod_muc",
    "mod_muc_light",
    "mod_offline",
    "mod_private",
    "mod_vcard",
];

impl Default for ModuleConfig {
    fn default() -> Self {
        ModuleConfig { enabled: true }
    }
}

/// One `[[modules.mod_muc_light.config_schema]]` item: a field and its default, whose type is
/// the type of the field.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigField {
    pub field: String,
    pub string_value: Option<String>,
    pub integer_value: Option<i64>,
    pub float_value: Option<f64>,
}

impl ConfigField {
    pub fn string(field: &str, value: &str) -> ConfigField {
        ConfigField {
            field: field.into(),
            string_value: Some(value.into()),
            integer_value: None,
            float_value: None,
        }
    }
}

/// The reference's `s3.*` options (`[modules.mod_http_upload.s3]`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct S3Upload {
    /// `https://s3.eu-west-1.amazonaws.com/mybucket` (path style) or the bucket's own host.
    pub bucket_url: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Signs `x-amz-acl: public-read`, which the uploader must then send.
    #[serde(default)]
    pub add_acl: bool,
}
