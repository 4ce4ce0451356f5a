//! `[limits]` and `[auth]`: the bounds on requests and per-user data, and the password
//! hashing budget.

use serde::{Deserialize, Serialize};

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
    /// Bytes of bodies refused for their size (413) one source address may send per minute and
    /// still get the answer; beyond it, such requests have their connection cut (see README,
    /// "Request bounds"). 0: no budget.
    pub refused_bytes_per_source: u64,
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
    /// Per user: JIDs in the XEP-0191 blocklist.
    pub max_blocklist_items: usize,
    /// Prepared documents cached per API (see README, "Document cache"); 0 turns the cache off.
    pub document_cache_entries: usize,
    /// Estimated bytes the document cache of one API may hold.
    pub document_cache_bytes: usize,
    /// Account ids of local users the router keeps in memory (one query per routed message
    /// otherwise); 0 turns the cache off.
    pub account_id_cache_entries: usize,
    // Sessions, connections and rooms (issue 19 item 3).
    /// Per user: live sessions (SSE streams and WebSocket subscriptions), on every node.
    pub max_sessions_per_user: usize,
    /// Per WebSocket connection: operations (subscriptions) open at once.
    pub max_subscriptions_per_connection: usize,
    /// Per user and node: WebSocket connections bound to the user's credentials.
    pub max_ws_connections_per_user: usize,
    /// Per user: MUC rooms the user created that still exist.
    pub max_muc_rooms_per_user: usize,
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
    /// Hashes one source address may have running or waiting for a slot at once (more wait
    /// behind them), so that one source cannot hold every slot; 0: half of
    /// `max_concurrent_hashes`, at least one.
    pub max_hashes_per_source: usize,
    /// Failed logins one account may have in a burst before further attempts are refused
    /// (429 `too_many_attempts`); 0: no limit per account.
    pub account_failures: u32,
    /// Once the burst is spent, one more attempt for the account per this many seconds.
    pub account_refill_secs: u64,
    /// Failed logins one source address (IPv6: its /64) may have in a burst, all accounts and
    /// the admin API together; 0: no limit per source.
    pub source_failures: u32,
    /// Once the burst is spent, one more attempt from the source per this many seconds.
    pub source_refill_secs: u64,
    /// Whether loopback sources are limited on the user API (off: a reverse proxy on the same
    /// host makes every client a loopback one; the admin API limits them always).
    pub throttle_loopback: bool,
    /// Accounts, and source addresses, whose failures are remembered (least recently failed
    /// forgotten first).
    pub throttle_entries: usize,
    /// Offer SCRAM-SHA-256 and SCRAM-SHA-1 to XMPP clients, and keep the SCRAM keys of every
    /// password set or verified while on.
    pub scram: bool,
    /// The PBKDF2 iteration count of new SCRAM keys (at least 4096, RFC 7677).
    pub scram_iterations: u32,
}

impl Auth {
    /// `max_hashes_per_source`, its default applied.
    pub fn hashes_per_source(&self) -> usize {
        match self.max_hashes_per_source {
            0 => (self.max_concurrent_hashes / 2).max(1),
            n => n,
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
            refused_bytes_per_source: 16 * 1024 * 1024,
            body_timeout_secs: 10,
            max_response_bytes: 16 * 1024 * 1024,
            max_private_bytes: 1024 * 1024,
            max_vcard_bytes: 256 * 1024,
            max_roster_size: 10_000,
            max_groups_per_contact: 100,
            max_groups_per_roster: 1000,
            max_roster_name_bytes: 1024,
            max_blocklist_items: 1000,
            document_cache_entries: 1024,
            document_cache_bytes: 32 * 1024 * 1024,
            account_id_cache_entries: 100_000,
            max_sessions_per_user: 100,
            max_subscriptions_per_connection: 100,
            max_ws_connections_per_user: 20,
            max_muc_rooms_per_user: 100,
        }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            cache_size: 10_000,
            cache_ttl_secs: 60,
            max_concurrent_hashes: default_concurrency(),
            max_hash_wait_ms: 5000,
            max_hashes_per_source: 0,
            account_failures: 10,
            account_refill_secs: 60,
            source_failures: 100,
            source_refill_secs: 10,
            throttle_loopback: false,
            throttle_entries: 100_000,
            scram: false,
            scram_iterations: 4096,
        }
    }
}

/// Half the cores, at least one: the other half keeps serving requests that need no hash.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}
