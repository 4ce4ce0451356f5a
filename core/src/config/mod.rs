//! The TOML configuration. `[general] hosts`, `[database] url`, `[listen.user] address` and
//! `[listen.admin] address/username/password` are the fixed interface; every other key has a
//! default and is documented in the README.

//!
//! The configuration is a leaf of the crate: plain data, one file per section, validated by
//! itself. Modules read their options from it; nothing here calls into a module.

mod general;
mod limits;
mod listen;
mod modules;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use general::{Cluster, Database, General, LogFormat};
pub use limits::{Auth, Limits, default_concurrency};
pub use listen::{AdminListener, C2sListener, Listen, MetricsListener, UserListener};
pub use modules::{
    AuthTokenOptions, ConfigField, DefaultRoom, HttpUploadOptions, Limit, LocalUpload, MODULES,
    MamOptions, ModuleConfig, MucLightOptions, MucOptions, OfflineOptions, Period, S3Upload,
    TimeUnit, UploadBackend, ValidityPeriods,
};

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
    /// The options of `[modules.mod_mam_pm]` besides `enabled`.
    pub mam_pm: MamOptions,
    /// The options of `[modules.mod_mam_muc]` besides `enabled`.
    pub mam_muc: MamOptions,
    /// The options of `[modules.mod_muc_light]` besides `enabled`.
    pub muc_light: MucLightOptions,
    /// The options of `[modules.mod_offline]` besides `enabled`.
    pub offline: OfflineOptions,
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
                    "mod_mam_pm" => table(toml::Value::try_from(&c.mam_pm)),
                    "mod_mam_muc" => table(toml::Value::try_from(&c.mam_muc)),
                    "mod_muc_light" => table(toml::Value::try_from(&c.muc_light)),
                    "mod_offline" => table(toml::Value::try_from(&c.offline)),
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
                "mod_mam_pm" => config.mam_pm = table.try_into().map_err(options)?,
                "mod_mam_muc" => config.mam_muc = table.try_into().map_err(options)?,
                "mod_muc_light" => config.muc_light = table.try_into().map_err(options)?,
                "mod_offline" => config.offline = table.try_into().map_err(options)?,
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
            c.validate()?;
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
        if self.auth.account_failures > 0 && self.auth.account_refill_secs == 0 {
            return Err("[auth] account_refill_secs must be at least 1".into());
        }
        if self.auth.source_failures > 0 && self.auth.source_refill_secs == 0 {
            return Err("[auth] source_refill_secs must be at least 1".into());
        }
        if !(4096..=10_000_000).contains(&self.auth.scram_iterations) {
            return Err("[auth] scram_iterations must be between 4096 and 10000000".into());
        }
        if self.auth.throttle_entries == 0 {
            return Err("[auth] throttle_entries must be at least 1".into());
        }
        if self.listen.user.ws_init_timeout_secs == 0 {
            return Err("[listen.user] ws_init_timeout_secs must be at least 1".into());
        }
        let c2s = &self.listen.c2s;
        if c2s.tls_cert.is_empty() != c2s.tls_key.is_empty() {
            return Err(
                "[listen.c2s] tls_cert and tls_key go together: set both or neither".into(),
            );
        }
        if c2s.max_stanza_bytes < 4096 {
            return Err("[listen.c2s] max_stanza_bytes must be at least 4096".into());
        }
        for (key, secs) in [
            ("negotiation_timeout_secs", c2s.negotiation_timeout_secs),
            ("idle_timeout_secs", c2s.idle_timeout_secs),
            ("ping_timeout_secs", c2s.ping_timeout_secs),
        ] {
            if secs == 0 {
                return Err(format!("[listen.c2s] {key} must be at least 1"));
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.general.log_level)
            .map_err(|e| format!("[general] log_level {:?}: {e}", self.general.log_level))?;
        for (section, address) in [
            ("listen.user", &self.listen.user.address),
            ("listen.admin", &self.listen.admin.address),
            ("listen.metrics", &self.listen.metrics.address),
            ("listen.c2s", &self.listen.c2s.address),
        ] {
            listen::check_address(address)
                .map_err(|e| format!("[{section}] address {address:?}: {e}"))?;
        }
        if !c2s.direct_tls_address.is_empty() {
            listen::check_address(&c2s.direct_tls_address).map_err(|e| {
                format!(
                    "[listen.c2s] direct_tls_address {:?}: {e}",
                    c2s.direct_tls_address
                )
            })?;
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
        Ok(())
    }

    /// The admin API reachable from other machines needs a password of its own (or a generated
    /// one): the former default, `secret`, is refused there.
    fn validate_admin(&self) -> Result<(), String> {
        let admin = &self.listen.admin;
        if admin.password == WELL_KNOWN_ADMIN_PASSWORD && !listen::is_loopback(&admin.address) {
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
        for (key, value) in [
            ("max_url_timeout_secs", upload.max_url_timeout_secs),
            ("put_timeout_secs", upload.put_timeout_secs),
            ("reclaim_interval_secs", upload.reclaim_interval_secs),
        ] {
            if value == 0 {
                return Err(format!("[modules.mod_http_upload] {key} must be positive"));
            }
        }
        if self.mam_pm.max_page_size == 0
            || self.mam_pm.default_page_size == 0
            || self.mam_pm.default_page_size > self.mam_pm.max_page_size
        {
            return Err(
                "[modules.mod_mam_pm] max_page_size and default_page_size must be \
                 positive, default_page_size at most max_page_size"
                    .into(),
            );
        }
        if self.offline.max_messages == 0 {
            return Err("[modules.mod_offline] max_messages must be positive".into());
        }
        for (module, mam) in [("mod_mam_pm", &self.mam_pm), ("mod_mam_muc", &self.mam_muc)] {
            if mam.retention_days == Some(0) {
                return Err(format!(
                    "[modules.{module}] retention_days must be positive (leave it out to keep \
                     the archive forever)"
                ));
            }
            if mam.retention_interval_secs == 0 {
                return Err(format!(
                    "[modules.{module}] retention_interval_secs must be positive"
                ));
            }
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
            // The bucket URL and credentials are checked by the backend (`options.rs`).
            _ => Ok(()),
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
        if let Some(cluster) = &mut c.cluster {
            for secret in [&mut cluster.password, &mut cluster.token]
                .into_iter()
                .flatten()
            {
                *secret = MASK.into();
            }
            cluster.nats_url = mask_url(&cluster.nats_url);
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
        let e = Config::parse(
            "[database]\nurl = \"postgres://u@h/db\"\n[cluster]\ntoken = \"t\"\nuser = \"u\"\npassword = \"p\"",
        )
        .unwrap_err();
        assert!(e.contains("one NATS authentication"), "{e}");
        let e = Config::parse("[database]\nurl = \"postgres://u@h/db\"\n[cluster]\nuser = \"u\"")
            .unwrap_err();
        assert!(e.contains("user and password"), "{e}");
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
    fn upload_bounds_and_retention() {
        let c = Config::default();
        assert_eq!(c.http_upload.max_bytes_per_user, 104_857_600);
        assert_eq!(c.http_upload.max_files_per_user, 10_000);
        assert_eq!(c.http_upload.max_url_timeout_secs, 86_400);
        assert_eq!(c.http_upload.put_timeout_secs, 300);
        assert_eq!(c.mam_pm.retention_days, None);
        assert_eq!(c.mam_muc.retention_days, None);
        let c = Config::parse(
            "[modules.mod_http_upload]\nmax_bytes_per_user = 5\nput_timeout_secs = 7\n\
             [modules.mod_mam_pm]\nretention_days = 30\n\
             [modules.mod_mam_muc]\nretention_days = 2\nretention_interval_secs = 60",
        )
        .unwrap();
        assert_eq!(c.http_upload.max_bytes_per_user, 5);
        assert_eq!(c.http_upload.put_timeout_secs, 7);
        assert_eq!(c.mam_pm.retention_days, Some(30));
        assert_eq!(c.mam_pm.retention_interval_secs, 3_600);
        assert_eq!(c.mam_muc.retention_days, Some(2));
        assert_eq!(c.mam_muc.retention_interval_secs, 60);
        // What `config check` prints reads back the same.
        let again = Config::parse(&c.to_toml()).unwrap();
        assert_eq!(again.mam_pm.retention_days, Some(30));
        assert_eq!(again.mam_muc.retention_interval_secs, 60);
        assert_eq!(again.http_upload.put_timeout_secs, 7);
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
            "[modules.mod_http_upload]\nput_timeout_secs = 0",
            "[modules.mod_http_upload]\nmax_url_timeout_secs = 0",
            "[modules.mod_http_upload]\nreclaim_interval_secs = 0",
            "[modules.mod_http_upload]\nmax_bytes_per_user = -1",
            "[modules.mod_mam_pm]\nretention_days = 0",
            "[modules.mod_mam_pm]\nretention_days = \"forever\"",
            "[modules.mod_mam_muc]\nretention_interval_secs = 0",
            "[modules.mod_mam_muc]\nretention = 3",
            "[modules.mod_muc_light]\nrooms_per_user = 0",
            "[modules.mod_muc_light]\nmax_occupants = \"lots\"",
            "[modules.mod_muc_light]\nhost = \"group.@HOST@\"",
            // Module checks that build something: options.rs.
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }
}
