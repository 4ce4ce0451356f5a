//! `[general]`, `[database]` and `[cluster]`.

use serde::{Deserialize, Serialize};

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
