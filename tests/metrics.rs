//! `GET /metrics` on the metrics listener: counters move by exactly the requests made.
//!
//! The recorder is process-wide, so every request made by any test of this binary counts:
//! tests here that send API requests take `SERIAL` and compare scrapes taken before and after.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{TestServer, server, server_with};
use mimql_client::user::last;
use serde_json::json;

static SERIAL: Mutex<()> = Mutex::new(());

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn scrape(s: &TestServer) -> Scrape {
    let url = format!(
        "{}/metrics",
        s.metrics_url.as_ref().expect("metrics enabled")
    );
    let mut resp = agent()
        .get(&url)
        .call()
        .expect("metrics listener reachable");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Scrape(resp.body_mut().read_to_string().unwrap())
}

/// One scrape in the Prometheus text format.
struct Scrape(String);

impl Scrape {
    /// The sum of the samples of `name` that carry every label of `labels` (0 when none do).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let mut total = 0.0;
        for line in self
            .0
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (series, value) = line.rsplit_once(' ').expect("sample line");
            let (metric, label_text) = match series.split_once('{') {
                Some((m, rest)) => (m, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            if metric != name {
                continue;
            }
            let present: Vec<(&str, &str)> = label_text
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').expect("label");
                    (k, v.trim_matches('"'))
                })
                .collect();
            if labels.iter().all(|l| present.contains(l)) {
                total += value.parse::<f64>().expect("sample value");
            }
        }
        total
    }

    fn has(&self, name: &str) -> bool {
        self.0
            .lines()
            .any(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
    }
}

const REQUESTS: &str = "mimql_graphql_requests_total";

fn user_http<'a>(
    operation: &'a str,
    category: &'a str,
    result: &'a str,
) -> [(&'a str, &'a str); 5] {
    [
        ("api", "user"),
        ("transport", "http"),
        ("operation", operation),
        ("category", category),
        ("result", result),
    ]
}

#[test]
fn counters_move_by_the_requests_made() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = server();
    let alice = s.new_user("metrics");
    let before = scrape(s);

    let registered = s.new_user("metrics_other");
    let c = s.client(&alice);
    for _ in 0..3 {
        assert_eq!(
            common::check_auth(&c).auth_status,
            Some(mimql_client::user::AuthStatus::Authorized)
        );
    }
    let resp = c.run(last::get_last(None)).unwrap();
    assert_eq!(resp.code(), Some("last_not_found"));
    for _ in 0..2 {
        let wrong = s
            .anonymous()
            .with_basic_auth(&alice.jid, "not the password");
        let (status, _) = s.post(&wrong, json!({"query": "{ checkAuth { authStatus } }"}));
        assert_eq!(status, 401);
    }
    assert_eq!(
        common::check_auth(&s.anonymous()).auth_status,
        Some(mimql_client::user::AuthStatus::Unauthorized)
    );
    let (status, _) = s.post(&s.anonymous(), json!({"query": "{ checkAuth {"}));
    assert_eq!(status, 400);
    let (status, _) = s.post(
        &s.anonymous(),
        json!({"query": "mutation { roster { addContact(contact: \"x@localhost\") } }"}),
    );
    assert_eq!(status, 401);
    drop(registered);

    let after = scrape(s);
    let delta = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    assert_eq!(delta(REQUESTS, &user_http("query", "checkAuth", "ok")), 4.0);
    assert_eq!(
        delta(REQUESTS, &user_http("query", "last", "last_not_found")),
        1.0
    );
    assert_eq!(
        delta(REQUESTS, &user_http("none", "none", "wrong_credentials")),
        2.0
    );
    assert_eq!(
        delta(REQUESTS, &user_http("none", "none", "parser_error")),
        1.0
    );
    assert_eq!(
        delta(REQUESTS, &user_http("mutation", "roster", "no_permissions")),
        1.0
    );
    assert_eq!(delta(REQUESTS, &[("api", "user")]), 9.0);
    assert_eq!(
        delta(
            REQUESTS,
            &[
                ("api", "admin"),
                ("operation", "mutation"),
                ("category", "account"),
                ("result", "ok")
            ]
        ),
        1.0
    );
    let latency = [
        ("api", "user"),
        ("transport", "http"),
        ("operation", "query"),
        ("category", "checkAuth"),
    ];
    assert_eq!(
        delta("mimql_graphql_request_duration_seconds_count", &latency),
        4.0
    );
    assert_eq!(
        delta(
            "mimql_graphql_request_duration_seconds_bucket",
            &[latency.as_slice(), &[("le", "+Inf")]].concat()
        ),
        4.0
    );
    assert!(delta("mimql_graphql_request_duration_seconds_sum", &latency) > 0.0);

    // Alice authenticated 4 times (a slow hash, then the cache), failed twice; the admin's
    // credentials are not users' and never reach the cache.
    let auth = "mimql_auth_attempts_total";
    assert_eq!(delta(auth, &[("api", "user"), ("result", "ok")]), 4.0);
    assert_eq!(
        delta(auth, &[("api", "user"), ("result", "wrong_credentials")]),
        2.0
    );
    assert_eq!(delta(auth, &[("api", "admin"), ("result", "ok")]), 1.0);
    let cache = "mimql_credential_cache_lookups_total";
    assert_eq!(delta(cache, &[("result", "hit")]), 3.0);
    assert_eq!(delta(cache, &[("result", "miss")]), 3.0);
    assert_eq!(delta(cache, &[("result", "stale")]), 0.0);
    let hashes = "mimql_password_hashes_total";
    assert_eq!(delta(hashes, &[("kind", "verify")]), 3.0);
    assert_eq!(delta(hashes, &[("kind", "hash")]), 1.0, "the registration");
    assert_eq!(after.value("mimql_password_hashes_running", &[]), 0.0);
    assert_eq!(after.value("mimql_password_hashes_queued", &[]), 0.0);

    // The pool: its size, its connections, and sqlx's timing of every wait for one.
    let pool_size = f64::from(s.state.config.database.pool_size);
    assert_eq!(after.value("mimql_db_pool_max_connections", &[]), pool_size);
    let open = after.value("mimql_db_pool_connections", &[]);
    assert!((1.0..=pool_size).contains(&open), "{open} connections");
    assert!(after.has("mimql_db_pool_connections{state=\"in_use\"}"));
    assert!(
        delta("mimql_db_pool_acquire_seconds_count", &[]) >= 4.0,
        "every request that read the database waited for a connection"
    );

    // The process.
    assert!(after.value("process_resident_memory_bytes", &[]) > 1e6);
    assert!(after.value("process_start_time_seconds", &[]) > 1.7e9);
    assert!(after.value("mimql_uptime_seconds", &[]) > 0.0);
    assert_eq!(
        after.value(
            "mimql_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert!(after.0.contains("# HELP mimql_graphql_requests_total "));
    assert!(
        after
            .0
            .contains("# TYPE mimql_graphql_request_duration_seconds histogram")
    );
}

#[test]
fn hashes_waiting_for_a_slot_are_queued() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // One slot, no cache: every Basic request pays a slow hash, one at a time.
    let s = server_with(|c| {
        c.auth.max_concurrent_hashes = 1;
        c.auth.cache_size = 0;
    });
    let alice = s.new_user("queue");
    let stop = AtomicBool::new(false);
    let mut peak = (0.0f64, 0.0f64);
    std::thread::scope(|scope| {
        // Set however this scope ends, or the clients would keep it open forever.
        let _stop = StopOnDrop(&stop);
        for _ in 0..4 {
            scope.spawn(|| {
                let c = s.client(&alice);
                while !stop.load(Ordering::Relaxed) {
                    common::check_auth(&c);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && (peak.0 < 1.0 || peak.1 < 1.0) {
            let m = scrape(&s);
            let running = m.value("mimql_password_hashes_running", &[]);
            let queued = m.value("mimql_password_hashes_queued", &[]);
            peak = (peak.0.max(running), peak.1.max(queued));
        }
    });
    assert_eq!(
        peak.0, 1.0,
        "one hash at a time (max_concurrent_hashes = 1)"
    );
    assert!(peak.1 >= 1.0, "the other clients' hashes were seen waiting");
    let idle = scrape(&s);
    assert_eq!(idle.value("mimql_password_hashes_running", &[]), 0.0);
    assert_eq!(idle.value("mimql_password_hashes_queued", &[]), 0.0);
}

#[test]
fn the_listener_is_separate_and_can_be_disabled() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = server();
    let metrics = s.metrics_url.as_ref().unwrap();
    assert_ne!(metrics, &s.user_url);
    let status = |url: String| agent().get(&url).call().unwrap().status().as_u16();
    assert_eq!(status(format!("{}/metrics", s.user_url)), 404);
    assert_eq!(status(format!("{}/metrics", s.admin_url)), 404);
    assert_eq!(status(format!("{metrics}/api/graphql")), 404);

    let off = server_with(|c| c.listen.metrics.enabled = false);
    assert!(off.metrics_url.is_none());
    common::check_auth(&off.anonymous());
}

#[test]
fn messaging_counters_and_open_sessions() {
    use mimql_client::sse::{Opened, SseSubscription};
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = server();
    let (alice, bob) = (s.new_user("metrics_a"), s.new_user("metrics_b"));
    let before = scrape(s);
    let Opened::Stream(mut sub) = SseSubscription::open(
        &s.client(&bob),
        &mimql_client::user::stanza::subscribe_for_messages(),
    )
    .unwrap() else {
        panic!("refused")
    };
    let during = scrape(s);
    assert_eq!(
        during.value("mimql_sessions_open", &[("transport", "sse")])
            - before.value("mimql_sessions_open", &[("transport", "sse")]),
        1.0
    );
    common::send(&s.client(&alice), &bob.jid, "counted");
    let event = sub.next_event(Duration::from_secs(10)).unwrap();
    assert!(event.is_some());
    let resp = s
        .client(&alice)
        .run(mimql_client::user::stanza::send_message_headline(
            None,
            "nobody@localhost",
            Some("s"),
            None,
        ))
        .unwrap();
    assert!(resp.errors.is_empty());
    sub.close();
    assert!(common::eventually(10, || {
        scrape(s).value("mimql_sessions_open", &[("transport", "sse")])
            == before.value("mimql_sessions_open", &[("transport", "sse")])
    }));
    let after = scrape(s);
    let delta = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    assert_eq!(
        delta("mimql_stanzas_routed_total", &[("kind", "archived")]),
        1.0
    );
    assert_eq!(
        delta("mimql_stanzas_routed_total", &[("kind", "live")]),
        1.0
    );
    assert_eq!(
        delta("mimql_messages_archived_total", &[]),
        2.0,
        "both copies"
    );
    assert_eq!(delta("mimql_messages_delivered_total", &[]), 1.0);
    assert_eq!(delta("mimql_live_delivery_lag_seconds_count", &[]), 1.0);
    assert_eq!(
        delta(
            REQUESTS,
            &[
                ("transport", "sse"),
                ("operation", "subscription"),
                ("category", "stanza"),
                ("result", "ok")
            ]
        ),
        1.0
    );
}
