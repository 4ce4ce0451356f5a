//! Prometheus metrics: every metric name, the process-wide recorder (the `metrics` facade with
//! `metrics-exporter-prometheus`, rendered by our own `listen.metrics` listener), and one small
//! function per thing measured, which is all the rest of the code calls. A new feature adds its
//! name here, a function beside the others, a line in [`describe`] and a row in the README.
//!
//! The recorder is global: several servers in one process (tests) share it, so counters add
//! up across them, and the scrape-time gauges (pool, process) describe the last server scraped.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use metrics::{
    Counter, Gauge, Histogram, Unit, counter, describe_counter, describe_gauge, describe_histogram,
};
use metrics::{gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{Filtered, Targets};
use tracing_subscriber::layer::Context;

// GraphQL requests (every transport).
/// Counter; labels `api`, `transport`, `operation`, `category`, `result`.
pub const GRAPHQL_REQUESTS: &str = "mimql_graphql_requests_total";
/// Histogram (seconds); labels `api`, `transport`, `operation`, `category`.
pub const GRAPHQL_DURATION: &str = "mimql_graphql_request_duration_seconds";

/// Counter of prepared-document cache lookups; labels `api`, `result` (`hit`, `miss`).
pub const DOCUMENT_CACHE: &str = "mimql_document_cache_lookups_total";

// Authentication.
/// Counter of requests that carried credentials; labels `api`, `result`.
pub const AUTH_ATTEMPTS: &str = "mimql_auth_attempts_total";
/// Counter of XMPP client streams closed for a bound or a rule; label `reason`.
pub const C2S_REFUSED: &str = "mimql_c2s_refused_total";
/// Counter of credential-cache lookups; label `result` (`hit`, `stale`, `miss`).
pub const CREDENTIAL_CACHE: &str = "mimql_credential_cache_lookups_total";
/// Counter of finished password hashes; label `kind` (`verify`, `hash`).
pub const PASSWORD_HASHES: &str = "mimql_password_hashes_total";
/// Gauge: password hashes being computed.
pub const PASSWORD_HASHES_RUNNING: &str = "mimql_password_hashes_running";
/// Gauge: password hashes waiting for one of the `max_concurrent_hashes` slots.
pub const PASSWORD_HASHES_QUEUED: &str = "mimql_password_hashes_queued";
/// Counter of the failed-login throttle's decisions; label `result` (`failure`: a failed
/// verification counted, `refused`: an attempt refused with `too_many_attempts`).
pub const LOGIN_THROTTLE: &str = "mimql_login_throttle_total";
/// Counter of requests refused for their body's size; label `result` (`answered`: the 413 was
/// sent and the rest of the body discarded, `cut`: the source was over its refused-bytes
/// budget and the connection was cut).
pub const REFUSED_BODIES: &str = "mimql_http_refused_bodies_total";

// Database pool.
/// Gauge; label `state` (`in_use`, `idle`).
pub const DB_POOL_CONNECTIONS: &str = "mimql_db_pool_connections";
/// Gauge: `[database] pool_size`.
pub const DB_POOL_MAX: &str = "mimql_db_pool_max_connections";
/// Histogram (seconds): how long each statement or transaction waited for a connection.
pub const DB_POOL_ACQUIRE: &str = "mimql_db_pool_acquire_seconds";

// Messaging.
/// Counter of stanzas routed; label `kind` (`archived`: a chat/normal message with a body,
/// `live`: everything else).
pub const STANZAS_ROUTED: &str = "mimql_stanzas_routed_total";
/// Counter of archive rows written (one per participant's copy, or per room message).
pub const MESSAGES_ARCHIVED: &str = "mimql_messages_archived_total";
/// Counter of stanzas pushed into live sessions' mailboxes (one per session).
pub const MESSAGES_DELIVERED: &str = "mimql_messages_delivered_total";
/// Histogram (seconds): from routing a message to its subscriber's stream sending it.
pub const DELIVERY_LAG: &str = "mimql_live_delivery_lag_seconds";
/// Histogram: messages written by one group commit (archive, inbox and offline rows of each).
pub const COMMIT_BATCH: &str = "mimql_commit_batch_messages";
/// Gauge: open sessions on this node; label `transport` (`sse`, `ws`).
pub const SESSIONS_OPEN: &str = "mimql_sessions_open";
/// Counter of cluster messages dropped unopened; label `reason` (`signature`, `stale`,
/// `replay`, `undecodable`).
pub const CLUSTER_REJECTED: &str = "mimql_cluster_messages_rejected_total";

// Process (the standard `process_*` gauges come from `metrics-process`).
/// Gauge: seconds since the server started.
pub const UPTIME: &str = "mimql_uptime_seconds";
/// Gauge, always 1; label `version`.
pub const BUILD_INFO: &str = "mimql_build_info";

/// Histogram buckets for latencies, in seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Where sqlx reports how long each pool acquire took (its field `acquired_after_secs`).
pub const SQLX_ACQUIRE_TARGET: &str = "sqlx::pool::acquire";

struct Recorder {
    handle: PrometheusHandle,
    process: metrics_process::Collector,
    started: Instant,
}

static RECORDER: OnceLock<Recorder> = OnceLock::new();

/// Installs the process-wide recorder once (later calls return the same); servers call it at
/// start. Histogram samples are folded in by a small upkeep thread, so memory stays bounded
/// however rarely Prometheus scrapes.
fn recorder() -> &'static Recorder {
    RECORDER.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
            .expect("the latency buckets are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics will stay empty");
        }
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("mimql-metrics".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            })
            .ok();
        let process = metrics_process::Collector::default();
        process.describe();
        describe();
        gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        Recorder {
            handle,
            process,
            started: Instant::now(),
        }
    })
}

/// Makes sure the recorder is installed (idempotent).
pub fn install() {
    recorder();
}

fn describe() {
    describe_counter!(
        GRAPHQL_REQUESTS,
        "GraphQL requests by API, transport, operation type, category (top-level field) and \
         result (ok or the first error code)"
    );
    describe_histogram!(
        GRAPHQL_DURATION,
        Unit::Seconds,
        "Time to answer a GraphQL request"
    );
    describe_counter!(
        DOCUMENT_CACHE,
        "Prepared-document cache lookups by API and result (hit: parse and validation \
         skipped, miss)"
    );
    describe_counter!(
        AUTH_ATTEMPTS,
        "Requests that carried credentials, by API and result (ok, wrong_credentials, \
         request_error, error)"
    );
    describe_counter!(
        C2S_REFUSED,
        "XMPP client streams closed for a bound or a rule, by reason (tls_required, \
         stanza_too_large, too_deep, restricted_xml, too_many_connections)"
    );
    describe_counter!(
        CREDENTIAL_CACHE,
        "Credential cache lookups by result: hit (no database, no hash), stale (revalidated \
         against the stored hash), miss"
    );
    describe_counter!(PASSWORD_HASHES, "Password hashes computed, by kind");
    describe_gauge!(PASSWORD_HASHES_RUNNING, "Password hashes being computed");
    describe_gauge!(
        PASSWORD_HASHES_QUEUED,
        "Password hashes waiting for a slot (auth.max_concurrent_hashes)"
    );
    describe_counter!(
        LOGIN_THROTTLE,
        "Failed-login throttle: failures counted (failure) and attempts refused without a \
         hash (refused)"
    );
    describe_counter!(
        REFUSED_BODIES,
        "Requests refused for their body's size: answered with 413 (answered) or cut for the \
         source's refused-bytes budget (cut)"
    );
    describe_gauge!(DB_POOL_CONNECTIONS, "Database pool connections by state");
    describe_gauge!(DB_POOL_MAX, "Largest number of pooled connections");
    describe_histogram!(
        DB_POOL_ACQUIRE,
        Unit::Seconds,
        "Time a statement or transaction waited for a pooled connection"
    );
    describe_counter!(
        STANZAS_ROUTED,
        "Stanzas routed, by kind (archived or live only)"
    );
    describe_counter!(
        MESSAGES_ARCHIVED,
        "Archive rows written (one per copy kept)"
    );
    describe_counter!(
        MESSAGES_DELIVERED,
        "Stanzas pushed into live sessions (SSE, WebSocket), one per session"
    );
    describe_histogram!(
        COMMIT_BATCH,
        Unit::Count,
        "Messages written by one group commit (its batch size)"
    );
    describe_histogram!(
        DELIVERY_LAG,
        Unit::Seconds,
        "Time from routing a message to its subscriber's stream sending it"
    );
    describe_gauge!(SESSIONS_OPEN, "Open sessions on this node, by transport");
    describe_counter!(
        CLUSTER_REJECTED,
        "Cluster messages dropped: unsigned, badly signed, stale, replayed or undecodable"
    );
    describe_gauge!(UPTIME, Unit::Seconds, "Seconds since the server started");
    describe_gauge!(BUILD_INFO, "Always 1; the version is a label");
}

/// One GraphQL request, as it ended.
pub struct GraphqlRequest<'a> {
    /// `user` or `admin`.
    pub api: &'static str,
    /// `http`, `sse` or `ws`.
    pub transport: &'static str,
    /// `query`, `mutation`, `subscription`, or `none` when the document did not parse.
    pub operation: &'static str,
    /// The top-level field (`roster`, `checkAuth`), `introspection`, `mixed`, or `none`.
    pub category: &'static str,
    /// `ok` or the first error's code.
    pub result: &'a str,
    pub duration: Duration,
}

pub fn graphql_request(r: &GraphqlRequest<'_>) {
    let make = || {
        let counter = counter!(
            GRAPHQL_REQUESTS,
            "api" => r.api,
            "transport" => r.transport,
            "operation" => r.operation,
            "category" => r.category,
            "result" => r.result.to_string(),
        );
        let histogram = histogram!(
            GRAPHQL_DURATION,
            "api" => r.api,
            "transport" => r.transport,
            "operation" => r.operation,
            "category" => r.category,
        );
        (counter, histogram)
    };
    let record = |(counter, histogram): &(Counter, Histogram)| {
        counter.increment(1);
        histogram.record(r.duration.as_secs_f64());
    };
    if RECORDER.get().is_none() {
        return record(&make());
    }
    let labels = [r.api, r.transport, r.operation, r.category];
    REQUEST_SERIES.with_borrow_mut(|series| {
        if let Some(handles) = series.get(&labels).and_then(|by| by.get(r.result)) {
            return record(handles);
        }
        let handles = make();
        record(&handles);
        if series.len() < MAX_KEPT_HANDLES {
            let by_result = series.entry(labels).or_default();
            if by_result.len() < MAX_KEPT_HANDLES {
                by_result.insert(r.result.into(), handles);
            }
        }
    })
}

// Handles of the series every request touches, kept per thread once the recorder is installed
// (before, the macros hand out no-op handles): `counter!`/`histogram!` build a key and look it
// up in the recorder's registry on every call, 7 % of a cached `checkAuth`'s instructions
// (bench/README.md, "Document cache"). Label values come from fixed sets (fields, codes); the
// bound only guards against a mistake.
const MAX_KEPT_HANDLES: usize = 4096;

type RequestSeries = HashMap<[&'static str; 4], HashMap<Box<str>, (Counter, Histogram)>>;

thread_local! {
    static REQUEST_SERIES: RefCell<RequestSeries> = RefCell::default();
    static STATIC_COUNTERS: RefCell<HashMap<[&'static str; 3], Counter>> = RefCell::default();
}

/// Increments a counter whose label values are all static, through a kept handle.
fn increment_static(key: [&'static str; 3], make: impl FnOnce() -> Counter) {
    if RECORDER.get().is_none() {
        return make().increment(1);
    }
    STATIC_COUNTERS.with_borrow_mut(|counters| {
        if let Some(counter) = counters.get(&key) {
            return counter.increment(1);
        }
        let counter = make();
        counter.increment(1);
        if counters.len() < MAX_KEPT_HANDLES {
            counters.insert(key, counter);
        }
    })
}

/// A request with credentials was authenticated (`ok`) or refused (its code, or `error`).
pub fn auth_attempt(api: &'static str, result: &'static str) {
    increment_static(
        [AUTH_ATTEMPTS, api, result],
        || counter!(AUTH_ATTEMPTS, "api" => api, "result" => result),
    );
}

/// A prepared-document cache lookup: `hit` or `miss`.
pub fn document_cache(api: &'static str, result: &'static str) {
    increment_static(
        [DOCUMENT_CACHE, api, result],
        || counter!(DOCUMENT_CACHE, "api" => api, "result" => result),
    );
}

/// A credential-cache lookup: `hit`, `stale` or `miss`.
pub fn credential_cache(result: &'static str) {
    increment_static(
        [CREDENTIAL_CACHE, result, ""],
        || counter!(CREDENTIAL_CACHE, "result" => result),
    );
}

/// The failed-login throttle counted a failure (`failure`) or refused an attempt (`refused`).
pub fn login_throttle(result: &'static str) {
    counter!(LOGIN_THROTTLE, "result" => result).increment(1);
}

/// A request was refused for its body's size: answered (`answered`) or its connection cut
/// (`cut`).
pub fn refused_body(result: &'static str) {
    counter!(REFUSED_BODIES, "result" => result).increment(1);
}

/// A gauge raised by one while the guard lives (work in progress, open sessions).
#[must_use = "the gauge goes down again when the guard is dropped"]
pub struct Raised(Gauge);

impl Raised {
    pub fn new(gauge: Gauge) -> Raised {
        gauge.increment(1.0);
        Raised(gauge)
    }
}

impl Drop for Raised {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// A stanza was routed (`archived` or `live`).
/// An XMPP client stream closed for a bound or a rule.
pub fn c2s_refused(reason: &'static str) {
    counter!(C2S_REFUSED, "reason" => reason).increment(1);
}

pub fn stanza_routed(kind: &'static str) {
    counter!(STANZAS_ROUTED, "kind" => kind).increment(1);
}

/// `n` archive rows were committed.
pub fn messages_archived(n: u64) {
    counter!(MESSAGES_ARCHIVED).increment(n);
}

/// `n` stanzas were pushed into live mailboxes.
pub fn messages_delivered(n: u64) {
    counter!(MESSAGES_DELIVERED).increment(n);
}

/// A group commit wrote `messages` messages in one transaction.
pub fn commit_batch(messages: usize) {
    histogram!(COMMIT_BATCH).record(messages as f64);
}

/// A subscriber's stream sent a message `lag` after it was routed.
pub fn delivery_lag(lag: Duration) {
    histogram!(DELIVERY_LAG).record(lag.as_secs_f64());
}

/// A cluster message was dropped for `reason`.
pub fn cluster_rejected(reason: &'static str) {
    counter!(CLUSTER_REJECTED, "reason" => reason).increment(1);
}

/// Held while a session is open here; `transport` is `sse` or `ws`.
pub fn session_open(transport: &'static str) -> Raised {
    Raised::new(gauge!(SESSIONS_OPEN, "transport" => transport))
}

/// Held while a password hash waits for a slot.
pub fn password_hash_queued() -> Raised {
    Raised::new(gauge!(PASSWORD_HASHES_QUEUED))
}

/// Held while a password hash runs; `kind` is `verify` or `hash`, counted when it ends.
pub fn password_hash_running(kind: &'static str) -> (Raised, PasswordHashDone) {
    (
        Raised::new(gauge!(PASSWORD_HASHES_RUNNING)),
        PasswordHashDone(kind),
    )
}

/// Counts a finished password hash when dropped.
pub struct PasswordHashDone(&'static str);

impl Drop for PasswordHashDone {
    fn drop(&mut self) {
        counter!(PASSWORD_HASHES, "kind" => self.0).increment(1);
    }
}

/// The Prometheus text for a scrape: scrape-time gauges (pool, process, uptime) are read first.
pub fn render(db: &DatabaseConnection) -> String {
    let r = recorder();
    pool_gauges(db);
    r.process.collect();
    gauge!(UPTIME).set(r.started.elapsed().as_secs_f64());
    r.handle.render()
}

fn pool_gauges(db: &DatabaseConnection) {
    let (size, idle, max) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        _ => return,
    };
    let idle = idle as f64;
    gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(idle);
    gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set((f64::from(size) - idle).max(0.0));
    gauge!(DB_POOL_MAX).set(f64::from(max));
}

/// Turns sqlx's per-acquire timing events into [`DB_POOL_ACQUIRE`]: sqlx measures every wait
/// for a pooled connection (the pool is configured to report them, at TRACE, in `db::connect`);
/// this layer, with its own filter, records them whatever the log level.
pub fn pool_wait_layer<S>() -> Filtered<PoolWaitLayer, Targets, S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    PoolWaitLayer
        .with_filter(Targets::new().with_target(SQLX_ACQUIRE_TARGET, tracing::Level::TRACE))
}

pub struct PoolWaitLayer;

struct AcquiredAfter(Option<f64>);

impl Visit for AcquiredAfter {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "acquired_after_secs" {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S: Subscriber> Layer<S> for PoolWaitLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != SQLX_ACQUIRE_TARGET {
            return;
        }
        let mut v = AcquiredAfter(None);
        event.record(&mut v);
        if let Some(secs) = v.0 {
            histogram!(DB_POOL_ACQUIRE).record(secs);
        }
    }
}
