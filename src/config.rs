//! The TOML configuration. `[general] hosts`, `[database] url`, `[listen.user] address` and
//! `[listen.admin] address/username/password` are the fixed interface; every other key has a
//! default and is documented in the README.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

// Module options that the modules define, so that they need nothing from this file.
pub use crate::muc_light::config::ConfigField;
pub use crate::upload::s3::S3Upload;

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(try_from = "RawConfig", into = "RawConfig")]
pub struct Config {
    pub general: General,
    pub database: Database,
    pub listen: Listen,
    pub limits: Limits,
    pub auth: Auth,
    /// `[modules.mod_last] enabled = false` and so on.
    pub modules: BTreeMap<String, ModuleConfig>,
    /// The options of `[modules.mod_auth_token]` besides `enabled`.
    pub auth_token: AuthTokenOptions,
    /// The options of `[modules.mod_http_upload]` besides `enabled`.
    pub http_upload: HttpUploadOptions,
    /// The options of `[modules.mod_muc]` besides `enabled`.
    pub muc: MucOptions,
    /// The options of `[modules.mod_muc_light]` besides `enabled`.
    pub muc_light: MucLightOptions,
    /// `[cluster]`: several nodes sharing PostgreSQL and NATS; absent for one process.
    pub cluster: Option<Cluster>,
}

/// The file as written: module tables are split into `enabled` and the module's options.
#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    general: General,
    database: Database,
    listen: Listen,
    limits: Limits,
    auth: Auth,
    modules: BTreeMap<String, toml::Table>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<Cluster>,
}

impl From<Config> for RawConfig {
    /// The file a configuration reads from: every module listed with `enabled` and its options.
    fn from(c: Config) -> RawConfig {
        let table = |v: Result<toml::Value, toml::ser::Error>| match v {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        let modules = MODULES
            .iter()
            .map(|name| {
                let mut t = match *name {
                    "mod_auth_token" => table(toml::Value::try_from(&c.auth_token)),
                    "mod_http_upload" => table(toml::Value::try_from(&c.http_upload)),
                    "mod_muc" => table(toml::Value::try_from(&c.muc)),
                    "mod_muc_light" => table(toml::Value::try_from(&c.muc_light)),
                    _ => toml::Table::new(),
                };
                t.insert(
                    "enabled".into(),
                    toml::Value::Boolean(c.module_enabled(name)),
                );
                (name.to_string(), t)
            })
            .collect();
        RawConfig {
            general: c.general,
            database: c.database,
            listen: c.listen,
            limits: c.limits,
            auth: c.auth,
            modules,
            cluster: c.cluster,
        }
    }
}

impl TryFrom<RawConfig> for Config {
    type Error = String;

    fn try_from(raw: RawConfig) -> Result<Config, String> {
        let mut config = Config {
            general: raw.general,
            database: raw.database,
            listen: raw.listen,
            limits: raw.limits,
            auth: raw.auth,
            cluster: raw.cluster,
            ..Config::default()
        };
        for (name, mut table) in raw.modules {
            let enabled = match table.remove("enabled") {
                None => true,
                Some(toml::Value::Boolean(b)) => b,
                Some(_) => return Err(format!("[modules.{name}] enabled must be a boolean")),
            };
            let options = |e: toml::de::Error| format!("[modules.{name}]: {e}");
            match name.as_str() {
                "mod_auth_token" => config.auth_token = table.try_into().map_err(options)?,
                "mod_http_upload" => config.http_upload = table.try_into().map_err(options)?,
                "mod_muc" => config.muc = table.try_into().map_err(options)?,
                "mod_muc_light" => config.muc_light = table.try_into().map_err(options)?,
                _ => {
                    if let Some(key) = table.keys().next() {
                        return Err(format!("[modules.{name}] has no option {key:?}"));
                    }
                }
            }
            config.modules.insert(name, ModuleConfig { enabled });
        }
        Ok(config)
    }
}

/// `[cluster]`: this process is one node of several.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cluster {
    /// The NATS server (JetStream not required), e.g. `nats://127.0.0.1:4222`.
    pub nats_url: String,
    /// This node's name; empty: `mimql@<host name>:<user listener port>`.
    pub node: String,
    /// How often the node announces that it is alive.
    pub heartbeat_secs: u64,
    /// A node silent for this long counts as gone, and its sessions with it.
    pub session_ttl_secs: u64,
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster {
            nats_url: "nats://127.0.0.1:4222".into(),
            node: String::new(),
            heartbeat_secs: 2,
            session_ttl_secs: 10,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct General {
    /// XMPP domains served.
    pub hosts: Vec<String>,
    /// Log filter (tracing `EnvFilter` syntax) used when `RUST_LOG` is unset.
    pub log_level: String,
    /// `text` (human-readable, coloured on a terminal) or `json` (one object per line).
    pub log_format: LogFormat,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT before they are cut.
    pub shutdown_timeout_secs: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    pub url: String,
    /// Largest number of pooled connections.
    pub pool_size: u32,
    /// Seconds a request waits for a database connection (and a new connection for the
    /// database's answer) before it is answered 503 `database_unavailable`.
    pub acquire_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Listen {
    pub user: UserListener,
    pub admin: AdminListener,
    pub metrics: MetricsListener,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserListener {
    pub address: String,
    /// HTTP worker threads; 0 means one per CPU.
    pub workers: usize,
    /// Seconds an SSE subscription may go without an event before it is closed (0: never).
    pub sse_idle_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminListener {
    pub address: String,
    pub username: String,
    /// Empty: `mimql serve` uses the password kept in `password_file`, generated at first start.
    pub password: String,
    /// Where the generated password is kept; empty: `admin-password` beside the SQLite
    /// database file, or in the working directory for other databases.
    pub password_file: String,
}

/// `GET /metrics` (Prometheus text format) on a listener of its own, so that it can stay on a
/// private interface while the APIs are public.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsListener {
    pub enabled: bool,
    pub address: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest request without credentials, in bytes (body, or document and variables).
    pub max_anonymous_request_bytes: usize,
    /// Deepest accepted selection nesting (GraphQL depth, as async-graphql counts it).
    pub max_query_depth: usize,
    /// Largest accepted query cost: one point per selected field (fragments expanded as
    /// executed), more for `@cost` fields, plus one per item of list arguments.
    pub max_query_complexity: usize,
    /// Longest list accepted in one argument (e.g. `addContacts`).
    pub max_list_items: usize,
    /// Seconds a client may take to send a request body.
    pub body_timeout_secs: u64,
    /// Largest response, in bytes (JSON as sent, approximately); a larger one is replaced by a
    /// `response_too_large` error.
    pub max_response_bytes: usize,
    /// Per user: bytes of XML kept in private storage, all namespaces together.
    pub max_private_bytes: usize,
    /// Per user: bytes of the stored vCard (as XML).
    pub max_vcard_bytes: usize,
    /// Per user: contacts in the roster.
    pub max_roster_size: usize,
    /// Per contact: groups it is in.
    pub max_groups_per_contact: usize,
    /// Per user: distinct group names over the roster.
    pub max_groups_per_roster: usize,
    /// Bytes of a roster item's name, and of each group name.
    pub max_roster_name_bytes: usize,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    /// Verified credentials kept in memory so Basic auth skips the slow hash.
    pub cache_size: usize,
    /// Seconds a cached credential stays valid (bounds staleness across nodes).
    pub cache_ttl_secs: u64,
    /// Concurrent password hash computations; more wait (bounds CPU spent on guessing).
    /// Default: half the cores, at least one.
    pub max_concurrent_hashes: usize,
    /// Milliseconds a request waits for a hash slot before it is refused (503 `server_busy`).
    pub max_hash_wait_ms: u64,
}

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

/// The modules of the reference that the API depends on (`@use` in the schema).
pub const MODULES: [&str; 10] = [
    "mod_auth_token",
    "mod_http_upload",
    "mod_inbox",
    "mod_last",
    "mod_mam_muc",
    "mod_mam_pm",
    "mod_muc",
    "mod_muc_light",
    "mod_private",
    "mod_vcard",
];

impl Default for General {
    fn default() -> Self {
        General {
            hosts: vec!["localhost".into()],
            log_level: "info".into(),
            log_format: LogFormat::Text,
            shutdown_timeout_secs: 30,
        }
    }
}

impl Default for Database {
    fn default() -> Self {
        Database {
            url: "sqlite://mimql.db?mode=rwc".into(),
            pool_size: 16,
            acquire_timeout_secs: 10,
        }
    }
}

impl Default for UserListener {
    fn default() -> Self {
        UserListener {
            address: "127.0.0.1:5561".into(),
            workers: 0,
            sse_idle_timeout_secs: 3600,
        }
    }
}

impl Default for AdminListener {
    fn default() -> Self {
        AdminListener {
            address: "127.0.0.1:5551".into(),
            username: "admin".into(),
            password: String::new(),
            password_file: String::new(),
        }
    }
}

impl Default for MetricsListener {
    fn default() -> Self {
        MetricsListener {
            enabled: true,
            address: "127.0.0.1:9091".into(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_anonymous_request_bytes: 64 * 1024,
            max_query_depth: 24,
            max_query_complexity: 2000,
            max_list_items: 1000,
            body_timeout_secs: 10,
            max_response_bytes: 16 * 1024 * 1024,
            max_private_bytes: 1024 * 1024,
            max_vcard_bytes: 256 * 1024,
            max_roster_size: 10_000,
            max_groups_per_contact: 100,
            max_groups_per_roster: 1000,
            max_roster_name_bytes: 1024,
        }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            cache_size: 10_000,
            cache_ttl_secs: 60,
            max_concurrent_hashes: crate::auth::password::default_concurrency(),
            max_hash_wait_ms: 5000,
        }
    }
}

impl Default for ModuleConfig {
    fn default() -> Self {
        ModuleConfig { enabled: true }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), String> {
        if let Some(c) = &self.cluster {
            if !self.database.url.starts_with("postgres") {
                return Err(
                    "[cluster] needs PostgreSQL: several nodes share one database ([database] url = \"postgres://...\")"
                        .into(),
                );
            }
            if c.heartbeat_secs == 0 || c.session_ttl_secs <= c.heartbeat_secs {
                return Err(
                    "[cluster] needs heartbeat_secs > 0 and session_ttl_secs > heartbeat_secs"
                        .into(),
                );
            }
        }
        if self.general.hosts.is_empty() {
            return Err("[general] hosts must list at least one domain".into());
        }
        for h in &self.general.hosts {
            crate::jid::prep_domain(h).map_err(|_| format!("invalid host {h:?}"))?;
        }
        for name in self.modules.keys() {
            if !MODULES.contains(&name.as_str()) {
                return Err(format!(
                    "unknown module [modules.{name}]; known modules: {}",
                    MODULES.join(", ")
                ));
            }
        }
        if self.database.pool_size == 0 {
            return Err("[database] pool_size must be at least 1".into());
        }
        if self.database.acquire_timeout_secs == 0 {
            return Err("[database] acquire_timeout_secs must be at least 1".into());
        }
        if self.auth.max_concurrent_hashes == 0 {
            return Err("[auth] max_concurrent_hashes must be at least 1".into());
        }
        tracing_subscriber::EnvFilter::try_new(&self.general.log_level)
            .map_err(|e| format!("[general] log_level {:?}: {e}", self.general.log_level))?;
        for (section, address) in [
            ("listen.user", &self.listen.user.address),
            ("listen.admin", &self.listen.admin.address),
            ("listen.metrics", &self.listen.metrics.address),
        ] {
            check_address(address).map_err(|e| format!("[{section}] address {address:?}: {e}"))?;
        }
        self.validate_admin()?;
        let validity = &self.auth_token.validity_period;
        if validity.access.seconds() == 0 || validity.refresh.seconds() == 0 {
            return Err("[modules.mod_auth_token] validity periods must be positive".into());
        }
        self.validate_upload()?;
        let room = &self.muc.default_room;
        if room.max_users == 0 {
            return Err("[modules.mod_muc] default_room.max_users must be positive".into());
        }
        for (key, value) in [
            ("title", &room.title),
            ("description", &room.description),
            ("password", &room.password),
        ] {
            crate::xml::check_chars(value)
                .map_err(|c| format!("[modules.mod_muc] default_room.{key} contains {c}"))?;
        }
        crate::muc_light::config::Schema::from_options(&self.muc_light.config_schema)
            .map(drop)
            .map_err(|e| format!("[modules.mod_muc_light] config_schema: {e}"))
    }

    /// The admin API reachable from other machines needs a password of its own (or a generated
    /// one): the former default, `secret`, is refused there.
    fn validate_admin(&self) -> Result<(), String> {
        let admin = &self.listen.admin;
        if admin.password == WELL_KNOWN_ADMIN_PASSWORD && !is_loopback(&admin.address) {
            return Err(format!(
                "[listen.admin] address {:?} is not a loopback address: set a password of your own \
                 or none to have one generated (the admin API refuses to listen there with the \
                 well-known password {WELL_KNOWN_ADMIN_PASSWORD:?})",
                admin.address
            ));
        }
        Ok(())
    }

    fn validate_upload(&self) -> Result<(), String> {
        let upload = &self.http_upload;
        if !(16..=64).contains(&upload.token_bytes) {
            return Err("[modules.mod_http_upload] token_bytes must be between 16 and 64".into());
        }
        if !upload.local.base_url.is_empty() {
            let scheme_ok = ["http://", "https://"]
                .iter()
                .any(|s| upload.local.base_url.starts_with(s));
            if !scheme_ok {
                return Err(
                    "[modules.mod_http_upload] local.base_url must be an http(s) URL".into(),
                );
            }
        }
        match (&upload.backend, &upload.s3) {
            (UploadBackend::S3, None) => {
                Err("[modules.mod_http_upload] backend = \"s3\" needs the s3.* options".into())
            }
            (UploadBackend::S3, Some(s3)) => crate::upload::s3::Presigner::new(s3)
                .map(drop)
                .map_err(|e| format!("[modules.mod_http_upload] {e}")),
            (UploadBackend::Local, _) => Ok(()),
        }
    }

    /// The configuration as `mimql config check` prints it: every module listed with its
    /// effective state, and passwords (the admin's, the database URL's) masked.
    pub fn masked(&self) -> Config {
        let mut c = self.clone();
        if !c.listen.admin.password.is_empty() {
            c.listen.admin.password = MASK.into();
        }
        c.database.url = mask_url(&c.database.url);
        if let Some(s3) = &mut c.http_upload.s3 {
            s3.secret_access_key = MASK.into();
        }
        c.modules = MODULES
            .iter()
            .map(|m| {
                let enabled = self.module_enabled(m);
                (m.to_string(), ModuleConfig { enabled })
            })
            .collect();
        c
    }

    /// The configuration as TOML, every key included.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# not representable as TOML: {e}\n"))
    }

    /// Hosts after nameprep, in configuration order.
    pub fn hosts(&self) -> Vec<String> {
        self.general
            .hosts
            .iter()
            .filter_map(|h| crate::jid::prep_domain(h).ok())
            .collect()
    }

    /// This node's name: `[cluster] node`, else `mimql@<host name>:<user listener port>`.
    pub fn node_name(&self) -> String {
        if let Some(c) = &self.cluster
            && !c.node.is_empty()
        {
            return c.node.clone();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "localhost".into());
        let port = self
            .listen
            .user
            .address
            .rsplit_once(':')
            .map_or("5561", |(_, p)| p);
        format!("mimql@{host}:{port}")
    }

    pub fn module_enabled(&self, name: &str) -> bool {
        self.modules.get(name).is_none_or(|m| m.enabled)
    }
}

/// The admin password that used to be the default, in old configs and examples.
const WELL_KNOWN_ADMIN_PASSWORD: &str = "secret";

/// What replaces a secret in printed configurations.
pub const MASK: &str = "********";

/// `host:port` with a numeric port (the host is resolved when the listener binds).
fn check_address(address: &str) -> Result<(), String> {
    let (host, port) = address.rsplit_once(':').ok_or("expected host:port")?;
    if host.is_empty() {
        return Err("expected host:port".into());
    }
    port.parse::<u16>()
        .map(drop)
        .map_err(|_| format!("invalid port {port:?}"))
}

/// Whether `host:port` names a loopback host (`127.0.0.0/8`, `::1`, `localhost`).
fn is_loopback(address: &str) -> bool {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// A database URL with its password (`user:password@` or a `password=` parameter) masked.
pub fn mask_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let start = scheme_end + 3;
        let authority_end = out[start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..authority_end].rfind('@')
            && let Some(colon) = out[start..start + at].find(':')
        {
            out.replace_range(start + colon + 1..start + at, MASK);
        }
    }
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={MASK}"),
                _ => p.to_string(),
            })
            .collect();
        out = format!("{base}{}", params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_interface_contract() {
        let c = Config::default();
        assert_eq!(c.general.hosts, vec!["localhost"]);
        assert_eq!(c.listen.user.address, "127.0.0.1:5561");
        assert_eq!(c.listen.admin.address, "127.0.0.1:5551");
        assert_eq!(c.listen.admin.username, "admin");
        assert_eq!(c.listen.admin.password, "");
        assert_eq!(c.listen.admin.password_file, "");
        assert!(c.module_enabled("mod_last"));
    }

    #[test]
    fn parses_the_documented_keys() {
        let c = Config::parse(
            r#"
            [general]
            hosts = ["localhost", "Example.COM"]
            [database]
            url = "postgres://u@127.0.0.1/db"
            [listen.user]
            address = "127.0.0.1:1"
            [listen.admin]
            address = "127.0.0.1:2"
            username = "a"
            password = "b"
            [modules.mod_last]
            enabled = false
            "#,
        )
        .unwrap();
        assert_eq!(c.hosts(), vec!["localhost", "example.com"]);
        assert!(!c.module_enabled("mod_last"));
        assert!(c.module_enabled("mod_vcard"));
    }

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_url("postgres://u:p%40ss@db.example:5432/mimql?sslmode=require"),
            "postgres://u:********@db.example:5432/mimql?sslmode=require"
        );
        assert_eq!(
            mask_url("postgres://u@h/db?password=x&user=u"),
            "postgres://u@h/db?password=********&user=u"
        );
        assert_eq!(mask_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            mask_url("sqlite://mimql.db?mode=rwc"),
            "sqlite://mimql.db?mode=rwc"
        );
        // No password (a generated one) stays empty: there is nothing to hide.
        assert_eq!(Config::default().masked().listen.admin.password, "");
        let mut c = Config::default();
        c.listen.admin.password = "secret".into();
        let c = c.masked();
        assert_eq!(c.listen.admin.password, MASK);
        assert_eq!(c.modules.len(), MODULES.len());
        let printed = c.to_toml();
        assert!(!printed.contains("secret"), "{printed}");
        let reparsed = Config::parse(&printed).unwrap();
        assert_eq!(reparsed.general.shutdown_timeout_secs, 30);
        assert_eq!(reparsed.general.log_format, LogFormat::Text);
        assert_eq!(reparsed.listen.metrics.address, "127.0.0.1:9091");
    }

    #[test]
    fn rejects_bad_values() {
        assert!(Config::parse("[general]\nlog_format = \"xml\"").is_err());
        assert!(Config::parse("[general]\nlog_level = \"mimql=loud\"").is_err());
        assert!(Config::parse("[listen.metrics]\naddress = \"127.0.0.1\"").is_err());
        assert!(Config::parse("[listen.user]\naddress = \"127.0.0.1:99999\"").is_err());
        let c = Config::parse(
            "[general]\nlog_format = \"json\"\nshutdown_timeout_secs = 5\n\
             [listen.metrics]\nenabled = false",
        )
        .unwrap();
        assert_eq!(c.general.log_format, LogFormat::Json);
        assert_eq!(c.general.shutdown_timeout_secs, 5);
        assert!(!c.listen.metrics.enabled);
    }

    #[test]
    fn a_cluster_needs_postgresql() {
        let e = Config::parse("[cluster]\nnats_url = \"nats://127.0.0.1:4222\"").unwrap_err();
        assert!(e.contains("needs PostgreSQL"), "{e}");
        let c = Config::parse("[database]\nurl = \"postgres://u@h/db\"\n[cluster]\nnode = \"n1\"")
            .unwrap();
        assert_eq!(c.node_name(), "n1");
        assert_eq!(c.cluster.unwrap().session_ttl_secs, 10);
        assert!(Config::parse(
            "[database]\nurl = \"postgres://u@h/db\"\n[cluster]\nheartbeat_secs = 5\nsession_ttl_secs = 5"
        )
        .is_err());
    }

    #[test]
    fn admin_needs_a_password_off_loopback() {
        for address in [
            "0.0.0.0:5551",
            "[::]:5551",
            "192.0.2.1:5551",
            "example.com:5551",
        ] {
            let e = Config::parse(&format!(
                "[listen.admin]\naddress = \"{address}\"\npassword = \"secret\""
            ))
            .unwrap_err();
            assert!(e.contains("[listen.admin]"), "{e}");
            // Mine, or none: a generated one.
            for password in ["long and mine", ""] {
                Config::parse(&format!(
                    "[listen.admin]\naddress = \"{address}\"\npassword = \"{password}\""
                ))
                .unwrap();
            }
        }
        for address in [
            "127.0.0.1:5551",
            "127.1.2.3:1",
            "[::1]:5551",
            "localhost:5551",
        ] {
            Config::parse(&format!(
                "[listen.admin]\naddress = \"{address}\"\npassword = \"secret\""
            ))
            .unwrap();
        }
    }

    #[test]
    fn rejects_typos() {
        assert!(Config::parse("[general]\nhost = [\"x\"]").is_err());
        assert!(Config::parse("[modules.mod_lats]\nenabled = false").is_err());
    }

    #[test]
    fn module_options() {
        let c = Config::default();
        assert_eq!(c.auth_token.validity_period.access.seconds(), 3600);
        assert_eq!(c.auth_token.validity_period.refresh.seconds(), 25 * 86_400);
        assert_eq!(c.http_upload.backend, UploadBackend::Local);
        assert_eq!(c.http_upload.max_file_size, 10_485_760);
        let c = Config::parse(
            r#"
            [modules.mod_auth_token]
            validity_period.access = {value = 13, unit = "minutes"}
            validity_period.refresh = {value = 2, unit = "days"}
            [modules.mod_http_upload]
            enabled = true
            backend = "s3"
            max_file_size = 100
            s3.bucket_url = "https://s3.eu-west-1.amazonaws.com/mybucket"
            s3.region = "eu-west-1"
            s3.access_key_id = "AKIAIOSFODNN7EXAMPLE"
            s3.secret_access_key = "secret"
            s3.add_acl = true
            "#,
        )
        .unwrap();
        assert!(c.module_enabled("mod_auth_token"));
        assert_eq!(c.auth_token.validity_period.access.seconds(), 13 * 60);
        assert_eq!(c.auth_token.validity_period.refresh.seconds(), 2 * 86_400);
        assert_eq!(c.http_upload.backend, UploadBackend::S3);
        assert_eq!(c.http_upload.max_file_size, 100);
        assert!(c.http_upload.s3.as_ref().unwrap().add_acl);
        let c = Config::parse(
            "[modules.mod_http_upload]\nenabled = false\nlocal.directory = \"/srv/up\"",
        )
        .unwrap();
        assert!(!c.module_enabled("mod_http_upload"));
        assert_eq!(
            c.http_upload.local.directory,
            std::path::Path::new("/srv/up")
        );
    }

    #[test]
    fn muc_options() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.muc.default_room, DefaultRoom::default());
        assert!(c.muc.default_room.public && c.muc.default_room.max_users == 200);
        let c = Config::parse(
            "[modules.mod_muc.default_room]\npersistent = true\nmax_users = 50\n\
             maygetmemberlist = [\"moderator\"]",
        )
        .unwrap();
        let room = &c.muc.default_room;
        assert!(room.persistent && room.anonymous);
        assert_eq!((room.max_users, room.maygetmemberlist.len()), (50, 1));
        // Printed and read back alike.
        assert_eq!(Config::parse(&c.to_toml()).unwrap().muc.default_room, *room);
        for bad in [
            "[modules.mod_muc.default_room]\nmax_users = 0",
            "[modules.mod_muc.default_room]\nmembers = true",
            "[modules.mod_muc]\nhost = \"conference.@HOST@\"",
            "[modules.mod_muc.default_room]\ntitle = \"a\\u0000b\"",
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn muc_light_options() {
        let c = Config::default();
        assert_eq!(c.muc_light.rooms_per_user, Limit::Infinity);
        assert!(c.muc_light.blocking && !c.muc_light.rooms_in_rosters);
        assert_eq!(c.muc_light.config_schema.len(), 2);
        let c = Config::parse(
            r#"
            [modules.mod_muc_light]
            equal_occupants = true
            rooms_per_user = 10
            max_occupants = "infinity"
            blocking = false
            all_can_configure = true
            all_can_invite = true
            rooms_in_rosters = true
            [[modules.mod_muc_light.config_schema]]
            field = "roomname"
            string_value = "The Room"
            [[modules.mod_muc_light.config_schema]]
            field = "display-lines"
            integer_value = 30
            [[modules.mod_muc_light.config_schema]]
            field = "ratio"
            float_value = 0.5
            "#,
        )
        .unwrap();
        let o = &c.muc_light;
        assert!(o.equal_occupants && !o.blocking && o.all_can_configure && o.all_can_invite);
        assert!(o.rooms_in_rosters);
        assert_eq!(o.rooms_per_user, Limit::At(10));
        assert_eq!(o.max_occupants, Limit::Infinity);
        assert_eq!(o.config_schema.len(), 3);
        assert_eq!(o.config_schema[1].integer_value, Some(30));
        assert!(!Limit::At(2).exceeded_by(2) && Limit::At(2).exceeded_by(3));
        assert!(!Limit::Infinity.exceeded_by(u64::MAX));
    }

    #[test]
    fn rejects_bad_module_options() {
        for bad in [
            "[modules.mod_last]\nenabled = false\nfoo = 1",
            "[modules.mod_last]\nenabled = \"no\"",
            "[modules.mod_auth_token]\nvalidity = 1",
            "[modules.mod_auth_token]\nvalidity_period.access = {value = 1, unit = \"weeks\"}",
            "[modules.mod_auth_token]\nvalidity_period.access = {value = 0, unit = \"hours\"}",
            "[modules.mod_http_upload]\nbackend = \"s3\"",
            "[modules.mod_http_upload]\nbackend = \"ftp\"",
            "[modules.mod_http_upload]\ntoken_bytes = 4",
            "[modules.mod_http_upload]\nlocal.base_url = \"example.com\"",
            "[modules.mod_muc_light]\nrooms_per_user = 0",
            "[modules.mod_muc_light]\nmax_occupants = \"lots\"",
            "[modules.mod_muc_light]\nhost = \"group.@HOST@\"",
            "[[modules.mod_muc_light.config_schema]]\nfield = \"a\"",
            "[[modules.mod_muc_light.config_schema]]\nfield = \"a\"\nstring_value = \"\"\n\
             integer_value = 1",
            "[[modules.mod_muc_light.config_schema]]\nfield = \"a b\"\nstring_value = \"\"",
            "[modules.mod_http_upload]\nbackend = \"s3\"\ns3.bucket_url = \"ftp://x/b\"\n\
             s3.region = \"r\"\ns3.access_key_id = \"k\"\ns3.secret_access_key = \"s\"",
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }
}
