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
//!
//! `docs/cluster.md` describes the topology and the failure modes.

pub mod sessions;

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
    db: DatabaseConnection,
    heartbeat: Duration,
    ttl: Duration,
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
        let nats = async_nats::ConnectOptions::new()
            .name(&node)
            .connection_timeout(Duration::from_secs(10))
            .connect(c.nats_url.as_str())
            .await
            .map_err(|source| ClusterError::Connect {
                url: c.nats_url.clone(),
                source,
            })?;
        let number = claim_number(&db, &node).await?;
        let cluster = Cluster {
            node,
            number,
            nats,
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
    mut forgotten: tokio::sync::mpsc::UnboundedReceiver<String>,
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
            sweep_every -= 1;
            if sweep_every == 0 {
                sweep_every = (c.ttl.as_secs() / c.heartbeat.as_secs().max(1)).max(1);
                if let Err(e) = c.sweep().await {
                    tracing::warn!(%e, "cluster sweep failed");
                }
            }
        }
    });
    let c = cluster.clone();
    tokio::spawn(async move {
        while let Some(bare) = forgotten.recv().await {
            if let Err(e) = c.nats.publish(AUTH_SUBJECT, bare.into_bytes().into()).await {
                tracing::warn!(%e, "cannot announce a forgotten credential");
            }
        }
    });
    let c = cluster;
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let mut sub = match c.nats.subscribe(AUTH_SUBJECT).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(%e, "cannot subscribe to credential announcements");
                return;
            }
        };
        while let Some(msg) = sub.next().await {
            if let Ok(bare) = std::str::from_utf8(&msg.payload) {
                forget(bare);
            }
        }
    });
}
