//! The TOML configuration. `[general] hosts`, `[database] url`, `[listen.user] address` and
//! `[listen.admin] address/username/password` are the fixed interface; every other key has a
//! default and is documented in the README.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct General {
    /// XMPP domains served.
    pub hosts: Vec<String>,
    /// Log filter (tracing `EnvFilter` syntax) used when `RUST_LOG` is unset.
    pub log_level: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    pub url: String,
    /// Largest number of pooled connections.
    pub pool_size: u32,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Listen {
    pub user: UserListener,
    pub admin: AdminListener,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserListener {
    pub address: String,
    /// HTTP worker threads; 0 means one per CPU.
    pub workers: usize,
    /// Seconds an SSE subscription may go without an event before it is closed (0: never).
    pub sse_idle_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminListener {
    pub address: String,
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, Deserialize)]
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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    /// Verified credentials kept in memory so Basic auth skips the slow hash.
    pub cache_size: usize,
    /// Seconds a cached credential stays valid (bounds staleness across nodes).
    pub cache_ttl_secs: u64,
    /// Concurrent password hash computations; more wait (bounds CPU spent on guessing).
    pub max_concurrent_hashes: usize,
}

#[derive(Clone, Debug, Deserialize)]
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
            sse_idle_timeout_secs: 3600,
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
        Ok(())
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
    fn rejects_typos() {
        assert!(Config::parse("[general]\nhost = [\"x\"]").is_err());
        assert!(Config::parse("[modules.mod_lats]\nenabled = false").is_err());
    }
}
