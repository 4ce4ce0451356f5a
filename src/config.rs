//! The TOML configuration. `[general] hosts`, `[database] url`, `[listen.user] address` and
//! `[listen.admin] address/username/password` are the fixed interface; every other key has a
//! default and is documented in the README.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub general: General,
    pub database: Database,
    pub listen: Listen,
    pub limits: Limits,
    pub auth: Auth,
    /// `[modules.mod_last] enabled = false` and so on.
    pub modules: BTreeMap<String, ModuleConfig>,
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
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminListener {
    pub address: String,
    pub username: String,
    pub password: String,
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
    /// Deepest accepted selection nesting (GraphQL depth, as async-graphql counts it).
    pub max_query_depth: usize,
    /// Largest accepted query cost: one point per selected field (fragments expanded as
    /// executed), more for `@cost` fields, plus one per item of list arguments.
    pub max_query_complexity: usize,
    /// Longest list accepted in one argument (e.g. `addContacts`).
    pub max_list_items: usize,
    /// Seconds a client may take to send a request body.
    pub body_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    /// Verified credentials kept in memory so Basic auth skips the slow hash.
    pub cache_size: usize,
    /// Seconds a cached credential stays valid (bounds staleness across nodes).
    pub cache_ttl_secs: u64,
    /// Concurrent password hash computations; more wait (bounds CPU spent on guessing).
    pub max_concurrent_hashes: usize,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModuleConfig {
    pub enabled: bool,
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
        }
    }
}

impl Default for UserListener {
    fn default() -> Self {
        UserListener {
            address: "127.0.0.1:5561".into(),
            workers: 0,
        }
    }
}

impl Default for AdminListener {
    fn default() -> Self {
        AdminListener {
            address: "127.0.0.1:5551".into(),
            username: "admin".into(),
            password: "secret".into(),
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
            max_query_depth: 24,
            max_query_complexity: 2000,
            max_list_items: 1000,
            body_timeout_secs: 10,
        }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            cache_size: 10_000,
            cache_ttl_secs: 60,
            max_concurrent_hashes: 4,
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
        Ok(())
    }

    /// The configuration as `mimql config check` prints it: every module listed with its
    /// effective state, and passwords (the admin's, the database URL's) masked.
    pub fn masked(&self) -> Config {
        let mut c = self.clone();
        c.listen.admin.password = MASK.into();
        c.database.url = mask_url(&c.database.url);
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

    pub fn module_enabled(&self, name: &str) -> bool {
        self.modules.get(name).is_none_or(|m| m.enabled)
    }
}

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
        assert_eq!(c.listen.admin.password, "secret");
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
        let c = Config::default().masked();
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
    fn rejects_typos() {
        assert!(Config::parse("[general]\nhost = [\"x\"]").is_err());
        assert!(Config::parse("[modules.mod_lats]\nenabled = false").is_err());
    }
}
