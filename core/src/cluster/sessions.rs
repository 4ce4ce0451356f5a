//! The cluster-wide session registry: every node's sessions in `cluster_sessions` (filtered by
//! the nodes' heartbeats), mailboxes in the node that holds the session, and pushes to other
//! nodes over the user's NATS subject, to which exactly the nodes holding that user's sessions
//! subscribe.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use mimql_entities::key_hash;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{Cluster, stmt};
use crate::jid::Jid;
use crate::sessions::{
    LocalSessions, Routed, SessionError, SessionId, SessionInfo, SessionRegistry, Status, Transport,
};
use crate::xml::Element;

/// What travels on a user's subject.
#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Wire {
    /// Push `stanza` from `sender` into these sessions (where they live).
    Deliver {
        ids: Vec<String>,
        sender: String,
        stanza: String,
        routed_at: i64,
        /// The recipient's archive copy (a node of an older version sends none).
        #[serde(default)]
        archive_id: Option<i64>,
    },
    /// The account was removed: close every session of the user.
    Close,
    /// Another session bound the resource of these sessions: close them (their transport ends
    /// them as replaced).
    End { ids: Vec<String> },
}

fn subject(user_hash: &str) -> String {
    format!("mimql.user.{}", &user_hash[..32])
}

fn id_text(id: SessionId) -> String {
    format!("{:032x}", id.0)
}

fn transport_text(t: Transport) -> &'static str {
    t.as_str()
}

/// Local sessions of one user, and the task relaying the user's subject into their mailboxes.
struct Interest {
    count: usize,
    relay: tokio::task::JoinHandle<()>,
}

pub struct ClusterSessions {
    cluster: Arc<Cluster>,
    local: Arc<LocalSessions>,
    db: DatabaseConnection,
    /// Interests by user hash; a tokio mutex, held while subscribing, so a second session of a
    /// user never returns before the subscription of the first is in place.
    interests: Arc<tokio::sync::Mutex<HashMap<String, Interest>>>,
    /// The user hash of every local session.
    owners: Mutex<HashMap<SessionId, String>>,
    /// Live sessions one user may have on all nodes together.
    max_per_user: usize,
}

#[derive(FromQueryResult)]
struct Row {
    id: String,
    jid: String,
    priority: i32,
    node: String,
    transport: String,
    opened_at: i64,
    /// `ip:port` of an XMPP client's connection.
    peer: Option<String>,
    /// An XMPP client's last available presence.
    presence: Option<String>,
    /// An XMPP client's presence status.
    status_show: Option<String>,
    status_text: Option<String>,
}

/// The columns [`Row`] reads, of `cluster_sessions s` joined with `cluster_nodes n`.
const ROW_COLUMNS: &str = "s.id, s.jid, s.priority, s.node, s.transport, s.opened_at, s.peer, \
                           s.presence, s.status_show, s.status_text";

impl Row {
    fn info(self) -> Option<SessionInfo> {
        Some(SessionInfo {
            id: SessionId(u128::from_str_radix(&self.id, 16).ok()?),
            jid: Jid::parse_any(&self.jid).ok()?,
            priority: self.priority,
            node: self.node,
            transport: match self.transport.as_str() {
                "ws" => Transport::WebSocket,
                "c2s" => Transport::C2s,
                _ => Transport::Sse,
            },
            opened_at: self.opened_at,
            peer: self.peer.and_then(|p| p.parse().ok()),
            presence: self.presence.and_then(|p| Element::parse(&p).ok()),
            status: self.status_show.map(|show| Status {
                show,
                text: self.status_text.unwrap_or_default(),
            }),
        })
    }
}

impl ClusterSessions {
    /// `max_per_user`: live sessions one user may have on all nodes together.
    pub fn new(
        cluster: Arc<Cluster>,
        local: LocalSessions,
        db: DatabaseConnection,
        max_per_user: usize,
    ) -> ClusterSessions {
        ClusterSessions {
            cluster,
            local: Arc::new(local),
            db,
            interests: Arc::default(),
            owners: Mutex::new(HashMap::new()),
            max_per_user,
        }
    }

    /// Registers the session unless the user has `max_per_user` live sessions (on nodes whose
    /// heartbeat is fresh) already: answers whether it was registered. Counting and inserting
    /// run in one transaction under a transaction-scoped advisory lock of the user, so two
    /// nodes opening sessions of one user at once take turns and the bound is exact.
    async fn insert_bounded(
        &self,
        info: &SessionInfo,
        hash: &str,
        bare: &str,
    ) -> Result<bool, sea_orm::DbErr> {
        use sea_orm::TransactionTrait;
        let alive_since = crate::db::now_micros() - self.cluster.ttl().as_micros() as i64;
        // The advisory lock's key: the first 64 bits of the user's hash.
        let key = u64::from_str_radix(&hash[..16], 16).unwrap_or(0) as i64;
        let txn = self.db.begin().await?;
        txn.execute_raw(stmt("SELECT pg_advisory_xact_lock($1)", vec![key.into()]))
            .await?;
        let inserted = txn
            .execute_raw(stmt(
                "INSERT INTO cluster_sessions (id, user_hash, user_bare, jid, priority, node, transport, opened_at, peer, status_show, status_text) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $11, $12, $13 \
                 WHERE (SELECT COUNT(*) FROM cluster_sessions s JOIN cluster_nodes n ON n.name = s.node \
                        WHERE s.user_hash = $2 AND s.user_bare = $3 AND n.heartbeat_at > $9) < $10",
                vec![
                    id_text(info.id).into(),
                    hash.to_string().into(),
                    bare.to_string().into(),
                    info.jid.to_string().into(),
                    info.priority.into(),
                    info.node.clone().into(),
                    transport_text(info.transport).into(),
                    info.opened_at.into(),
                    alive_since.into(),
                    (self.max_per_user as i64).into(),
                    info.peer.map(|p| p.to_string()).into(),
                    info.status.as_ref().map(|s| s.show.clone()).into(),
                    info.status.as_ref().map(|s| s.text.clone()).into(),
                ],
            ))
            .await?
            .rows_affected();
        txn.commit().await?;
        Ok(inserted == 1)
    }

    /// Drops one local session's interest in the user's subject (unsubscribing with the last).
    async fn release(&self, hash: String) {
        Self::release_interest(&self.interests, &hash).await;
    }

    async fn release_interest(
        interests: &tokio::sync::Mutex<HashMap<String, Interest>>,
        hash: &str,
    ) {
        let mut interests = interests.lock().await;
        if let Some(i) = interests.get_mut(hash) {
            i.count -= 1;
            if i.count == 0 {
                // Dropping the subscriber unsubscribes.
                if let Some(i) = interests.remove(hash) {
                    i.relay.abort();
                }
            }
        }
    }

    async fn relay(
        cluster: Arc<Cluster>,
        local: Arc<LocalSessions>,
        mut sub: async_nats::Subscriber,
        user: Jid,
    ) {
        while let Some(msg) = sub.next().await {
            // Unsigned, forged, replayed or unknown messages are dropped (and counted) here.
            let Some(wire) = cluster.open::<Wire>(&msg).await else {
                continue;
            };
            match wire {
                Wire::Deliver {
                    ids,
                    sender,
                    stanza,
                    routed_at,
                    archive_id,
                } => {
                    let (Ok(sender), Ok(element)) =
                        (Jid::parse_any(&sender), Element::parse(&stanza))
                    else {
                        tracing::warn!("undecodable delivery on a user subject");
                        continue;
                    };
                    let ids: Vec<SessionId> = ids
                        .iter()
                        .filter_map(|i| u128::from_str_radix(i, 16).ok().map(SessionId))
                        .collect();
                    let routed = Routed {
                        sender,
                        element,
                        routed_at,
                        archive_id: archive_id.map(crate::archive::MamId),
                    };
                    local.push_ids(&ids, Arc::new(routed));
                }
                Wire::Close => local.close_user(&user).await,
                Wire::End { ids } => {
                    for id in ids {
                        if let Ok(id) = u128::from_str_radix(&id, 16) {
                            local.close(SessionId(id));
                        }
                    }
                }
            }
        }
    }

    async fn publish(&self, user_hash: &str, wire: &Wire) {
        // Delivery is best effort once the archive has the message: a client that misses a
        // live copy (NATS unreachable) catches up from the archive.
        self.cluster.publish(subject(user_hash), wire).await;
    }
}

#[async_trait::async_trait]
impl SessionRegistry for ClusterSessions {
    async fn open(&self, info: SessionInfo) -> Result<mpsc::Receiver<Arc<Routed>>, SessionError> {
        let bare = info.jid.bare_string();
        let hash = key_hash(&bare);
        let unavailable = |e: &dyn std::fmt::Display| SessionError::Unavailable(e.to_string());
        {
            let mut interests = self.interests.lock().await;
            match interests.get_mut(&hash) {
                Some(i) => i.count += 1,
                None => {
                    let sub = self
                        .cluster
                        .nats
                        .subscribe(subject(&hash))
                        .await
                        .map_err(|e| unavailable(&e))?;
                    // The server has the subscription before anyone can route to the session.
                    self.cluster
                        .nats
                        .flush()
                        .await
                        .map_err(|e| unavailable(&e))?;
                    let relay = tokio::spawn(Self::relay(
                        self.cluster.clone(),
                        self.local.clone(),
                        sub,
                        info.jid.to_bare(),
                    ));
                    interests.insert(hash.clone(), Interest { count: 1, relay });
                }
            }
        }
        match self.insert_bounded(&info, &hash, &bare).await {
            Ok(true) => {}
            Ok(false) => {
                self.release(hash).await;
                return Err(SessionError::TooMany(self.max_per_user));
            }
            Err(e) => {
                self.release(hash).await;
                return Err(unavailable(&e));
            }
        }
        self.owners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(info.id, hash);
        let id = info.id;
        let opened = self.local.open(info).await;
        if opened.is_err() {
            // Refused here after all (this node's own count, e.g. while its heartbeat was
            // stale): forget the row and the interest again.
            self.close(id);
        }
        opened
    }

    fn close(&self, id: SessionId) {
        self.local.close(id);
        let Some(hash) = self
            .owners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id)
        else {
            return;
        };
        let db = self.db.clone();
        let interests = self.interests.clone();
        tokio::spawn(async move {
            if let Err(e) = db
                .execute_raw(stmt(
                    "DELETE FROM cluster_sessions WHERE id = $1",
                    vec![id_text(id).into()],
                ))
                .await
            {
                tracing::warn!(%e, "cannot unregister a closed session");
            }
            Self::release_interest(&interests, &hash).await;
        });
    }

    async fn sessions_of(&self, user: &Jid) -> Result<Vec<SessionInfo>, SessionError> {
        let bare = user.bare_string();
        let alive_since = crate::db::now_micros() - self.cluster.ttl().as_micros() as i64;
        let rows = Row::find_by_statement(stmt(
            &format!(
                "SELECT {ROW_COLUMNS} \
                 FROM cluster_sessions s JOIN cluster_nodes n ON n.name = s.node \
                 WHERE s.user_hash = $1 AND s.user_bare = $2 AND n.heartbeat_at > $3"
            ),
            vec![key_hash(&bare).into(), bare.into(), alive_since.into()],
        ))
        .all(&self.db)
        .await
        .map_err(|e| SessionError::Unavailable(e.to_string()))?;
        Ok(rows.into_iter().filter_map(Row::info).collect())
    }

    async fn sessions_of_users(&self, users: &[Jid]) -> Result<Vec<SessionInfo>, SessionError> {
        let alive_since = crate::db::now_micros() - self.cluster.ttl().as_micros() as i64;
        let mut bares: Vec<String> = users.iter().map(Jid::bare_string).collect();
        bares.sort_unstable();
        bares.dedup();
        let mut out = Vec::new();
        // By the indexed hash, a few hundred users per query (within every database's
        // parameter limit); the bare JIDs compared exactly afterwards.
        for chunk in bares.chunks(200) {
            let params = (0..chunk.len())
                .map(|i| format!("${}", i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            let mut values: Vec<sea_orm::Value> = vec![alive_since.into()];
            values.extend(chunk.iter().map(|b| key_hash(b).into()));
            let rows = Row::find_by_statement(stmt(
                &format!(
                    "SELECT {ROW_COLUMNS} \
                     FROM cluster_sessions s JOIN cluster_nodes n ON n.name = s.node \
                     WHERE n.heartbeat_at > $1 AND s.user_hash IN ({params})"
                ),
                values,
            ))
            .all(&self.db)
            .await
            .map_err(|e| SessionError::Unavailable(e.to_string()))?;
            out.extend(
                (rows.into_iter().filter_map(Row::info))
                    .filter(|s| chunk.binary_search(&s.jid.bare_string()).is_ok()),
            );
        }
        Ok(out)
    }

    async fn all_sessions(&self, domain: Option<&str>) -> Result<Vec<SessionInfo>, SessionError> {
        let alive_since = crate::db::now_micros() - self.cluster.ttl().as_micros() as i64;
        // The domain's sessions by the end of their bare JIDs (LIKE's wildcards in a domain
        // name only widen the match; the filter below is exact).
        let pattern = domain.map_or_else(|| "%".to_string(), |d| format!("%@{d}"));
        let rows = Row::find_by_statement(stmt(
            &format!(
                "SELECT {ROW_COLUMNS} \
                 FROM cluster_sessions s JOIN cluster_nodes n ON n.name = s.node \
                 WHERE s.user_bare LIKE $1 AND n.heartbeat_at > $2"
            ),
            vec![pattern.into(), alive_since.into()],
        ))
        .all(&self.db)
        .await
        .map_err(|e| SessionError::Unavailable(e.to_string()))?;
        Ok(rows
            .into_iter()
            .filter_map(Row::info)
            .filter(|s| domain.is_none_or(|d| s.jid.domain() == d))
            .collect())
    }

    async fn push(&self, targets: &[SessionInfo], stanza: Arc<Routed>) {
        let (here, there): (Vec<&SessionInfo>, Vec<&SessionInfo>) =
            targets.iter().partition(|t| t.node == self.cluster.node);
        if !here.is_empty() {
            let ids: Vec<SessionId> = here.iter().map(|t| t.id).collect();
            self.local.push_ids(&ids, stanza.clone());
        }
        if let Some(first) = there.first() {
            let wire = Wire::Deliver {
                ids: there.iter().map(|t| id_text(t.id)).collect(),
                sender: stanza.sender.to_string(),
                stanza: stanza.element.to_string(),
                routed_at: stanza.routed_at,
                archive_id: stanza.archive_id.map(|id| id.0),
            };
            self.publish(&key_hash(&first.jid.bare_string()), &wire)
                .await;
        }
    }

    async fn set_presence(
        &self,
        id: SessionId,
        priority: i32,
        presence: Option<Element>,
        status: Status,
    ) -> Result<(), SessionError> {
        let text = presence.as_ref().map(Element::to_string);
        self.local
            .set_presence(id, priority, presence, status.clone())
            .await?;
        self.db
            .execute_raw(stmt(
                "UPDATE cluster_sessions SET priority = $1, presence = $3, status_show = $4, \
                 status_text = $5 WHERE id = $2",
                vec![
                    priority.into(),
                    id_text(id).into(),
                    text.into(),
                    status.show.into(),
                    status.text.into(),
                ],
            ))
            .await
            .map_err(|e| SessionError::Unavailable(e.to_string()))?;
        Ok(())
    }

    async fn end(&self, old: &SessionInfo) {
        if old.node == self.cluster.node {
            self.local.close(old.id);
        } else {
            // The node holding it listens on the user's subject.
            let wire = Wire::End {
                ids: vec![id_text(old.id)],
            };
            self.publish(&key_hash(&old.jid.bare_string()), &wire).await;
        }
        // Forgotten here at once (the holding node deletes the row again when its session
        // ends): the new session is counted without it, and no node lists or routes to it.
        if let Err(e) = self
            .db
            .execute_raw(stmt(
                "DELETE FROM cluster_sessions WHERE id = $1",
                vec![id_text(old.id).into()],
            ))
            .await
        {
            tracing::warn!(%e, "cannot unregister a replaced session");
        }
    }

    async fn count(&self, domain: Option<&str>, this_node: bool) -> Result<u64, SessionError> {
        if this_node {
            return Ok(self.local.count_of(domain));
        }
        let alive_since = crate::db::now_micros() - self.cluster.ttl().as_micros() as i64;
        let mut sql = "SELECT COUNT(*) AS n FROM cluster_sessions s \
                       JOIN cluster_nodes n ON n.name = s.node WHERE n.heartbeat_at > $1"
            .to_string();
        let mut values: Vec<sea_orm::Value> = vec![alive_since.into()];
        if let Some(d) = domain {
            // `user_bare` is `user@domain`; the domain's own wildcard characters are escaped.
            let escaped = d
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            sql.push_str(" AND s.user_bare LIKE $2 ESCAPE '\\'");
            values.push(format!("%@{escaped}").into());
        }
        let row = self
            .db
            .query_one_raw(stmt(&sql, values))
            .await
            .map_err(|e| SessionError::Unavailable(e.to_string()))?;
        let n: i64 = match row {
            Some(r) => r
                .try_get("", "n")
                .map_err(|e| SessionError::Unavailable(e.to_string()))?,
            None => 0,
        };
        Ok(n.unsigned_abs())
    }

    async fn close_user(&self, user: &Jid) {
        let bare = user.bare_string();
        let hash = key_hash(&bare);
        self.local.close_user(user).await;
        self.publish(&hash, &Wire::Close).await;
        if let Err(e) = self
            .db
            .execute_raw(stmt(
                "DELETE FROM cluster_sessions WHERE user_hash = $1 AND user_bare = $2",
                vec![hash.into(), bare.into()],
            ))
            .await
        {
            tracing::warn!(%e, "cannot unregister a removed user's sessions");
        }
    }
}
