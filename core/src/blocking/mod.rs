//! XEP-0191 blocking command: each user's own list of blocked JIDs, kept apart from the MUC
//! Light blocking lists (`crate::muc_light::blocking`, which only says who may add the user to
//! rooms). The service owns the list's transactions and its bound, pushes every change to the
//! user's XMPP sessions, and answers [`Blocking::is_blocked`] for the router (one-to-one
//! stanzas, whichever API sent them) and for presence.
//!
//! `is_blocked` is asked for every routed stanza, so each owner's list is cached (least
//! recently used out first, the empty lists of the many users who block nobody included). A
//! change made here drops the owner's entry at once, here and — announced over the cluster —
//! on the other nodes; an entry is also re-read once it is [`CACHE_TTL`] old, which bounds how
//! long a lost announcement can leave another node behind.

pub mod list;

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use lru::LruCache;
use mimql_entities::{blocking_item, key_hash};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::accounts::{lock_user, user_id};
use crate::jid::Jid;
use crate::sessions::{SessionRegistry, push_to_clients};
use crate::xml::{Element, Node};

pub use list::BlockList;

/// The protocol's namespace.
pub const NS: &str = "urn:xmpp:blocking";
/// The namespace of the `<blocked/>` error condition (XEP-0191 §3.5).
pub const ERRORS_NS: &str = "urn:xmpp:blocking:errors";

/// Owners whose lists are cached.
const CACHE_ENTRIES: usize = 10_000;
/// How long a cached list is trusted before it is read again.
pub const CACHE_TTL: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum BlockingError {
    #[error("user does not exist")]
    UserNotFound,
    /// The list would hold more than `[limits] max_blocklist_items` JIDs.
    #[error("a blocklist is limited to {0} items")]
    TooMany(usize),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

struct Cached {
    list: Arc<BlockList>,
    loaded: Instant,
}

pub struct Blocking {
    db: DatabaseConnection,
    hosts: Arc<[String]>,
    max_items: usize,
    cache: Mutex<LruCache<String, Cached>>,
    /// Bumped by every invalidation: a read that started before one is not cached.
    epoch: AtomicU64,
    sessions: Option<Arc<dyn SessionRegistry>>,
    /// Where the owners whose lists changed here are announced to the other nodes.
    peers: OnceLock<tokio::sync::mpsc::UnboundedSender<String>>,
}

impl Blocking {
    pub fn new(db: DatabaseConnection, hosts: Vec<String>, max_items: usize) -> Blocking {
        Blocking {
            db,
            hosts: hosts.into(),
            max_items,
            cache: Mutex::new(LruCache::new(
                NonZeroUsize::new(CACHE_ENTRIES).expect("non-zero"),
            )),
            epoch: AtomicU64::new(0),
            sessions: None,
            peers: OnceLock::new(),
        }
    }

    /// Pushes every change to the owner's XMPP sessions through `sessions`.
    pub fn with_pushes(mut self, sessions: Arc<dyn SessionRegistry>) -> Blocking {
        self.sessions = Some(sessions);
        self
    }

    /// Announces on `tx` the bare JID of every owner whose list changes here.
    pub fn announce_to(&self, tx: tokio::sync::mpsc::UnboundedSender<String>) {
        self.peers.set(tx).ok();
    }

    /// Drops the cached list of an owner another node changed.
    pub fn forget(&self, bare: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.cache.lock().expect("cache lock").pop(bare);
    }

    /// Drops the owner's cached list here and on the other nodes (its list changed, or the
    /// account was removed).
    pub fn changed(&self, owner: &Jid) {
        let bare = owner.bare_string();
        self.forget(&bare);
        if let Some(tx) = self.peers.get() {
            tx.send(bare).ok();
        }
    }

    fn is_local(&self, jid: &Jid) -> bool {
        !jid.node().is_empty() && self.hosts.iter().any(|h| h == jid.domain())
    }

    /// The user's blocklist, in the order the JIDs were blocked.
    pub async fn list(&self, owner: &Jid) -> Result<Vec<String>, BlockingError> {
        let id = user_id(&self.db, &owner.to_bare())
            .await?
            .ok_or(BlockingError::UserNotFound)?;
        Ok(read(&self.db, id).await?)
    }

    /// Whether `owner` (a local user; anyone else blocks nobody) blocks `other`.
    pub async fn is_blocked(&self, owner: &Jid, other: &Jid) -> Result<bool, DbErr> {
        if !self.is_local(owner) {
            return Ok(false);
        }
        Ok(self.cached(owner).await?.blocks(other))
    }

    /// Whether a stanza from `from` to `to` is stopped: `Some(Blocked::ByRecipient)` when `to`
    /// blocks `from`, `Some(Blocked::BySender)` when `from` blocks `to`.
    pub async fn between(&self, from: &Jid, to: &Jid) -> Result<Option<Blocked>, DbErr> {
        if from.to_bare() == to.to_bare() {
            return Ok(None);
        }
        if self.is_blocked(to, from).await? {
            return Ok(Some(Blocked::ByRecipient));
        }
        if self.is_blocked(from, to).await? {
            return Ok(Some(Blocked::BySender));
        }
        Ok(None)
    }

    async fn cached(&self, owner: &Jid) -> Result<Arc<BlockList>, DbErr> {
        let bare = owner.bare_string();
        if let Some(c) = self.cache.lock().expect("cache lock").get(&bare)
            && c.loaded.elapsed() < CACHE_TTL
        {
            return Ok(c.list.clone());
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let items = match user_id(&self.db, &owner.to_bare()).await? {
            Some(id) => read(&self.db, id).await?,
            None => Vec::new(),
        };
        let list = Arc::new(BlockList::new(items));
        let mut cache = self.cache.lock().expect("cache lock");
        if self.epoch.load(Ordering::SeqCst) == epoch {
            cache.put(
                bare,
                Cached {
                    list: list.clone(),
                    loaded: Instant::now(),
                },
            );
        }
        Ok(list)
    }

    /// Blocks `jids` (normalised, see [`list::parse_items`]); those blocked already stay as
    /// they were. Refused whole when the list would go over the bound.
    pub async fn block(&self, owner: &Jid, jids: &[String]) -> Result<(), BlockingError> {
        let bare = owner.to_bare();
        let txn = crate::db::begin_write(&self.db).await?;
        let id = lock_user(&txn, &bare)
            .await?
            .ok_or(BlockingError::UserNotFound)?;
        let current = read(&txn, id).await?;
        let new: Vec<&String> = jids.iter().filter(|j| !current.contains(j)).collect();
        if current.len() + new.len() > self.max_items {
            return Err(BlockingError::TooMany(self.max_items));
        }
        if !new.is_empty() {
            let rows = new.iter().map(|j| blocking_item::ActiveModel {
                user_id: Set(id),
                jid: Set(j.to_string()),
                jid_hash: Set(key_hash(j)),
                ..Default::default()
            });
            blocking_item::Entity::insert_many(rows).exec(&txn).await?;
        }
        txn.commit().await?;
        self.changed(&bare);
        self.push(&bare, "block", jids).await;
        Ok(())
    }

    /// Unblocks `jids`; every JID when `jids` is empty (XEP-0191 §3.4).
    pub async fn unblock(&self, owner: &Jid, jids: &[String]) -> Result<(), BlockingError> {
        let bare = owner.to_bare();
        let txn = crate::db::begin_write(&self.db).await?;
        let id = lock_user(&txn, &bare)
            .await?
            .ok_or(BlockingError::UserNotFound)?;
        let mut delete =
            blocking_item::Entity::delete_many().filter(blocking_item::Column::UserId.eq(id));
        if !jids.is_empty() {
            let hashes: Vec<String> = jids.iter().map(|j| key_hash(j)).collect();
            delete = delete.filter(blocking_item::Column::JidHash.is_in(hashes));
        }
        delete.exec(&txn).await?;
        txn.commit().await?;
        self.changed(&bare);
        self.push(&bare, "unblock", jids).await;
        Ok(())
    }

    /// Pushes a change (XEP-0191 §3.3, §3.4) to every XMPP session of the owner, on every node;
    /// each session forwards it once its client has asked for the blocklist.
    async fn push(&self, owner: &Jid, verb: &str, jids: &[String]) {
        let Some(sessions) = &self.sessions else {
            return;
        };
        let element = push_element(verb, jids);
        push_to_clients(
            &**sessions,
            owner,
            owner,
            element,
            |_| true,
            "a blocklist push",
        )
        .await;
    }
}

/// Which side of a stanza blocks the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// The recipient blocks the sender (XEP-0191 §3.6: a message or iq gets
    /// `<service-unavailable/>`).
    ByRecipient,
    /// The sender blocks the recipient (XEP-0191 §3.7: `<not-acceptable/>` with `<blocked/>`).
    BySender,
}

async fn read<C: sea_orm::ConnectionTrait>(c: &C, user_id: i64) -> Result<Vec<String>, DbErr> {
    blocking_item::Entity::find()
        .select_only()
        .column(blocking_item::Column::Jid)
        .filter(blocking_item::Column::UserId.eq(user_id))
        .order_by_asc(blocking_item::Column::Id)
        .into_tuple()
        .all(c)
        .await
}

/// `<blocklist/>`, `<block/>` or `<unblock/>` with an `<item jid/>` per JID.
pub fn items_element(name: &str, jids: &[String]) -> Element {
    let mut e = Element::new(name).with_attr("xmlns", NS);
    e.children.extend(
        jids.iter()
            .map(|j| Node::Element(Element::new("item").with_attr("jid", j.clone()))),
    );
    e
}

/// A push of a change as the router carries it to a session: an iq set from the owner's bare
/// JID.
pub fn push_element(verb: &str, jids: &[String]) -> Element {
    let mut iq = Element::new("iq")
        .with_attr("type", "set")
        .with_attr("id", format!("push-{}", crate::stanza::new_id()));
    iq.children.push(Node::Element(items_element(verb, jids)));
    iq
}

/// Whether a routed element is a blocklist push.
pub fn is_push(e: &Element) -> bool {
    e.name == "iq"
        && e.attr("type") == Some("set")
        && e.elements().next().is_some_and(|c| {
            (c.name == "block" || c.name == "unblock") && c.attr("xmlns") == Some(NS)
        })
}

/// Deletes the user's blocklist (account removal).
pub async fn remove_user<C: sea_orm::ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    blocking_item::Entity::delete_many()
        .filter(blocking_item::Column::UserId.eq(user_id))
        .exec(c)
        .await?;
    Ok(())
}
