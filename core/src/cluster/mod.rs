//! Several nodes serving as one (`[cluster]`): state in the shared PostgreSQL database, live
//! traffic over NATS (core pub/sub; JetStream is not needed).
//!
//! * Each node keeps a heartbeat row in `cluster_nodes`; a node silent for `session_ttl_secs`
//!   counts as gone, and so do its sessions (rows in `cluster_sessions`, filtered by the
//!   heartbeat and later deleted by the surviving nodes).
//! * Live delivery uses interest-based subjects: a node holding sessions of a user subscribes
//!   to that user's subject (`mimql.user.<hash>`), so a publish reaches exactly the nodes that
//!   need it, with no routing table to keep consistent ([`sessions::ClusterSessions`]).
//! * Forgotten credentials (password change, removal) are announced on `mimql.auth`, so every
//!   node's credential cache drops them at once.
//! * Every message is signed with a key from the database and checked before it is acted on
//!   ([`signing`]): NATS access alone does not let anyone speak for a node.
//!
//! `docs/cluster.md` describes the topology and the failure modes.

pub mod sessions;
pub mod signing;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement};

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no [cluster] section")]
    NotConfigured,
    #[error("cannot connect to NATS at {url}: {source}")]
    Connect {
        url: String,
        source: async_nats::ConnectError,
    },
    #[error("cannot read [cluster] {key} {path}: {source}")]
    File {
        key: &'static str,
        path: String,
        source: std::io::Error,
    },
    /// The node's row (or its sessions left from a previous run) could not be written.
    #[error("cannot register the node: {0}")]
    Register(#[from] DbErr),
    #[error("cannot register the node: stored node number out of range")]
    NumberOutOfRange,
    #[error("cannot register the node: 256 nodes are registered already; no node number is free")]
    NoFreeNumber,
}

/// The subject credentials are forgotten on.
const AUTH_SUBJECT: &str = "mimql.auth";

pub struct Cluster {
    pub node: String,
    /// This node's number in MAM ids.
    pub number: u8,
    pub nats: async_nats::Client,
    signer: signing::Signer,
    db: DatabaseConnection,
    heartbeat: Duration,
    ttl: Duration,
}

/// The NATS options of `[cluster]`: authentication and TLS.
async fn options(
    c: &crate::config::Cluster,
    node: &str,
) -> Result<async_nats::ConnectOptions, ClusterError> {
    // rustls needs one crypto provider; select ours rather than rely on which ones the
    // dependency graph happens to enable (none selected: `tls://` panics at connect).
    let _ = async_nats::rustls::crypto::ring::default_provider().install_default();
    let file = |key: &'static str, path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| ClusterError::File { key, path, source }
    };
    let mut o = async_nats::ConnectOptions::new()
        .name(node)
        .connection_timeout(Duration::from_secs(10));
    if let Some(p) = &c.credentials_file {
        o = o
            .credentials_file(p)
            .await
            .map_err(file("credentials_file", p))?;
    }
    if let Some(p) = &c.nkey_file {
        let seed = tokio::fs::read_to_string(p)
            .await
            .map_err(file("nkey_file", p))?;
        o = o.nkey(seed.trim().to_string());
    }
    if let (Some(user), Some(password)) = (&c.user, &c.password) {
        o = o.user_and_password(user.clone(), password.clone());
    }
    if let Some(token) = &c.token {
        o = o.token(token.clone());
    }
    if c.tls_required {
        o = o.require_tls(true);
    }
    if let Some(p) = &c.tls_ca_file {
        o = o.add_root_certificates(p.clone());
    }
    if let (Some(cert), Some(key)) = (&c.tls_cert_file, &c.tls_key_file) {
        o = o.add_client_certificate(cert.clone(), key.clone());
    }
    Ok(o)
}

fn stmt(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// This node's number: the one it had if its row survives, else the first free one (the
/// unique index arbitrates between nodes starting together).
async fn claim_number(db: &DatabaseConnection, node: &str) -> Result<u8, ClusterError> {
    #[derive(sea_orm::FromQueryResult)]
    struct N {
        number: i32,
    }
    let mine = N::find_by_statement(stmt(
        "SELECT number FROM cluster_nodes WHERE name = $1",
        vec![node.into()],
    ))
    .one(db)
    .await?;
    if let Some(n) = mine {
        return u8::try_from(n.number).map_err(|_| ClusterError::NumberOutOfRange);
    }
    for n in 0..=255i32 {
        let inserted = db
            .execute_raw(stmt(
                "INSERT INTO cluster_nodes (name, number, heartbeat_at) VALUES ($1, $2, $3)                  ON CONFLICT DO NOTHING",
                vec![node.into(), n.into(), crate::db::now_micros().into()],
            ))
            .await?;
        if inserted.rows_affected() == 1 {
            return Ok(n as u8);
        }
    }
    Err(ClusterError::NoFreeNumber)
}

impl Cluster {
    /// Connects to NATS and announces this node (a clear error when NATS cannot be reached).
    pub async fn connect(config: &Config, db: DatabaseConnection) -> Result<Cluster, ClusterError> {
        let c = config.cluster.as_ref().ok_or(ClusterError::NotConfigured)?;
        let node = config.node_name();
        let nats = options(c, &node)
            .await?
            .connect(c.nats_url.as_str())
            .await
            .map_err(|source| ClusterError::Connect {
                url: c.nats_url.clone(),
                source,
            })?;
        let signer = signing::Signer::load(&db).await?;
        let number = claim_number(&db, &node).await?;
        let cluster = Cluster {
            node,
            number,
            nats,
            signer,
            db,
            heartbeat: Duration::from_secs(c.heartbeat_secs),
            ttl: Duration::from_secs(c.session_ttl_secs),
        };
        cluster.beat().await?;
        // Sessions a previous run of this node left behind are gone with it.
        cluster
            .db
            .execute_raw(stmt(
                "DELETE FROM cluster_sessions WHERE node = $1",
                vec![cluster.node.clone().into()],
            ))
            .await?;
        tracing::info!(node = %cluster.node, number, "joined the cluster");
        Ok(cluster)
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Publishes `message`, signed, on `subject` (best effort: NATS may be down).
    pub async fn publish<T: serde::Serialize>(&self, subject: String, message: &T) {
        let payload = match self.signer.seal(&subject, message) {
            Ok(p) => p,
            Err(e) => return tracing::error!(%e, "cannot encode a cluster message"),
        };
        if let Err(e) = self.nats.publish(subject, payload.into()).await {
            tracing::warn!(%e, "cannot publish to other nodes");
        }
    }

    /// The message in a received payload, or `None` (counted) when it is not one a node of
    /// this cluster signed just now for this subject.
    pub async fn open<T: serde::de::DeserializeOwned>(
        &self,
        msg: &async_nats::Message,
    ) -> Option<T> {
        match self
            .signer
            .open(&self.db, msg.subject.as_str(), &msg.payload)
            .await
        {
            Ok(m) => Some(m),
            Err(reason) => {
                // Not a warning per message: whoever floods NATS would flood the log too.
                tracing::debug!(subject = %msg.subject, reason = reason.as_str(), "dropped a cluster message");
                crate::metrics::cluster_rejected(reason.as_str());
                None
            }
        }
    }

    /// Refreshes this node's heartbeat.
    async fn beat(&self) -> Result<(), DbErr> {
        self.db
            .execute_raw(stmt(
                "UPDATE cluster_nodes SET heartbeat_at = $2 WHERE name = $1",
                vec![self.node.clone().into(), crate::db::now_micros().into()],
            ))
            .await
            .map(drop)
    }

    /// Deletes the sessions and rows of nodes silent for three times the TTL.
    async fn sweep(&self) -> Result<(), DbErr> {
        let dead_before = crate::db::now_micros() - 3 * self.ttl.as_micros() as i64;
        self.db
            .execute_raw(stmt(
                "DELETE FROM cluster_sessions WHERE node IN \
                 (SELECT name FROM cluster_nodes WHERE heartbeat_at < $1)",
                vec![dead_before.into()],
            ))
            .await?;
        self.db
            .execute_raw(stmt(
                "DELETE FROM cluster_nodes WHERE heartbeat_at < $1",
                vec![dead_before.into()],
            ))
            .await
            .map(drop)
    }
}

/// Runs the node's background work for as long as the process lives: heartbeats, sweeping
/// the sessions of dead nodes, and the credential-cache announcements in both directions: what
/// this node forgets (`forgotten`) is announced to the others, and what they announce is
/// handed to `forget`.
pub fn run(
    cluster: Arc<Cluster>,
    forgotten: tokio::sync::mpsc::UnboundedReceiver<String>,
    forget: impl Fn(&str) + Send + 'static,
) {
    let c = cluster.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(c.heartbeat);
        let mut sweep_every = (c.ttl.as_secs() / c.heartbeat.as_secs().max(1)).max(1);
        loop {
            tick.tick().await;
            if let Err(e) = c.beat().await {
                tracing::warn!(%e, "cluster heartbeat failed");
            }
            if let Err(e) = c.signer.reload(&c.db).await {
                tracing::warn!(%e, "cannot re-read the cluster signing keys");
            }
            sweep_every -= 1;
            if sweep_every == 0 {
                sweep_every = (c.ttl.as_secs() / c.heartbeat.as_secs().max(1)).max(1);
                if let Err(e) = c.sweep().await {
                    tracing::warn!(%e, "cluster sweep failed");
                }
            }
        }
    });
    relay(cluster, AUTH_SUBJECT, forgotten, forget);
}

/// The subject on which nodes announce the owners whose XEP-0191 blocklists changed.
pub const BLOCKING_SUBJECT: &str = "mimql.blocking";

/// Announces each bare JID received on `local` to the other nodes on `subject`, and hands each
/// one they announce there to `forget` (a cache entry to drop).
pub fn relay(
    cluster: Arc<Cluster>,
    subject: &'static str,
    mut local: tokio::sync::mpsc::UnboundedReceiver<String>,
    forget: impl Fn(&str) + Send + 'static,
) {
    let c = cluster.clone();
    tokio::spawn(async move {
        while let Some(bare) = local.recv().await {
            c.publish(subject.into(), &bare).await;
        }
    });
    let c = cluster;
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let mut sub = match c.nats.subscribe(subject).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(%e, subject, "cannot subscribe to cache announcements");
                return;
            }
        };
        while let Some(msg) = sub.next().await {
            if let Some(bare) = c.open::<String>(&msg).await {
                forget(&bare);
            }
        }
    });
}
