//! `[general]`, `[database]` and `[cluster]`.

use std::path::PathBuf;

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
    // NATS authentication: at most one of the four (as the `nats` command-line tool takes them).
    /// A `.creds` file (user JWT and NKey seed, decentralised auth), e.g. from `nsc`.
    pub credentials_file: Option<PathBuf>,
    /// A file holding an NKey seed (`SU...`).
    pub nkey_file: Option<PathBuf>,
    /// A user name; needs `password`.
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    // TLS (rustls): a `tls://` URL or `tls_required`, or the server's own requirement.
    /// Refuse to talk to the server without TLS.
    pub tls_required: bool,
    /// PEM file of the CA(s) to trust instead of the system's (a private CA).
    pub tls_ca_file: Option<PathBuf>,
    /// Client certificate and key (PEM) for servers that verify clients (`verify: true`).
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
}

impl Cluster {
    pub fn validate(&self) -> Result<(), String> {
        if self.heartbeat_secs == 0 || self.session_ttl_secs <= self.heartbeat_secs {
            return Err(
                "[cluster] needs heartbeat_secs > 0 and session_ttl_secs > heartbeat_secs".into(),
            );
        }
        let methods = [
            self.credentials_file.is_some(),
            self.nkey_file.is_some(),
            self.user.is_some() || self.password.is_some(),
            self.token.is_some(),
        ];
        if methods.iter().filter(|m| **m).count() > 1 {
            return Err(
                "[cluster] takes one NATS authentication: credentials_file, nkey_file, user and password, or token"
                    .into(),
            );
        }
        if self.user.is_some() != self.password.is_some() {
            return Err("[cluster] user and password go together".into());
        }
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            return Err("[cluster] tls_cert_file and tls_key_file go together".into());
        }
        Ok(())
    }
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster {
            nats_url: "nats://127.0.0.1:4222".into(),
            node: String::new(),
            heartbeat_secs: 2,
            session_ttl_secs: 10,
            credentials_file: None,
            nkey_file: None,
            user: None,
            password: None,
            token: None,
            tls_required: false,
            tls_ca_file: None,
            tls_cert_file: None,
            tls_key_file: None,
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
