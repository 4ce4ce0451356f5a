//! getLastMessages latency on a large archive (1,000,000 rows across 10,000 users) against a
//! small one (1,000 rows across 10 users), in the same run, rounds alternating: index-backed
//! reads stay flat in the archive's size.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::seed;
use crate::server::Server;
use crate::stats::{median, percentile};

pub struct Outcome {
    pub big_p50: Duration,
    pub big_p99: Duration,
    pub small_p50: Duration,
    pub small_p99: Duration,
    pub big_rows: usize,
}

const CLIENTS: usize = 8;

struct Archive {
    server: Server,
    /// (user, a peer it talked with)
    readers: Vec<(String, String)>,
}

fn build(
    mimql: &std::path::Path,
    dir: &std::path::Path,
    name: &str,
    users: usize,
    per_user: usize,
    readers: usize,
) -> Archive {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let url = seed::fresh_db(dir, name, None, &rt);
    let server = Server::start(mimql, dir, name, &url);
    let db = rt
        .block_on(mimql::db::connect(&url, 4))
        .expect("the database");
    let names: Vec<String> = (0..users).map(|i| format!("h{i}")).collect();
    let jids = seed::users(&server, &db, &rt, &names);
    let ids = seed::user_ids(&db, &rt, &jids);
    eprintln!("  seeding {name}: {} rows", users * per_user);
    seed::archive(&db, &rt, &jids, &ids, per_user);
    let step = (users / readers).max(1);
    let readers = (0..readers.min(users))
        .map(|i| {
            let u = i * step;
            (jids[u].clone(), jids[(u + 1) % users].clone())
        })
        .collect();
    Archive { server, readers }
}

/// One round: `CLIENTS` threads reading for `duration`; answers the latencies.
fn round(a: &Archive, duration: Duration) -> Vec<Duration> {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + duration;
    let threads: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let readers = a.readers.clone();
            let url = a.server.user_url.clone();
            let samples = samples.clone();
            std::thread::spawn(move || {
                let clients: Vec<_> = readers
                    .iter()
                    .map(|(u, _)| {
                        mimql_client::Client::new(&url).with_basic_auth(u, seed::PASSWORD)
                    })
                    .collect();
                let mut mine = Vec::new();
                let mut i = t;
                while Instant::now() < deadline {
                    let k = i % readers.len();
                    let with = (i % 2 == 0).then(|| readers[k].1.as_str());
                    let start = Instant::now();
                    let resp = clients[k]
                        .run(mimql_client::user::stanza::get_last_messages(
                            with,
                            Some(50),
                            None,
                        ))
                        .expect("server reachable");
                    mine.push(start.elapsed());
                    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
                    i += CLIENTS;
                }
                samples.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a reader");
    }
    let mut s = std::mem::take(&mut *samples.lock().unwrap());
    s.sort();
    s
}

pub fn run(
    mimql: &std::path::Path,
    dir: &std::path::Path,
    rounds: usize,
    duration: Duration,
) -> Outcome {
    let big = build(mimql, dir, "history_big", 10_000, 100, 100);
    let small = build(mimql, dir, "history_small", 10, 100, 10);
    // Warm-up: every reader authenticates once (the slow hash), caches fill.
    round(&big, Duration::from_secs(3));
    round(&small, Duration::from_secs(2));
    let (mut b50, mut b99, mut s50, mut s99) = (vec![], vec![], vec![], vec![]);
    for r in 0..rounds {
        let b = round(&big, duration);
        let s = round(&small, duration);
        let (bp50, bp99, sp50, sp99) = (
            percentile(&b, 0.5),
            percentile(&b, 0.99),
            percentile(&s, 0.5),
            percentile(&s, 0.99),
        );
        eprintln!(
            "  history round {}: 1M rows p50 {:?} p99 {:?} ({} reads); 1k rows p50 {:?} p99 {:?} ({} reads)",
            r + 1,
            bp50,
            bp99,
            b.len(),
            sp50,
            sp99,
            s.len()
        );
        b50.push(bp50.as_secs_f64());
        b99.push(bp99.as_secs_f64());
        s50.push(sp50.as_secs_f64());
        s99.push(sp99.as_secs_f64());
    }
    let d = |v: &mut Vec<f64>| Duration::from_secs_f64(median(v));
    Outcome {
        big_p50: d(&mut b50),
        big_p99: d(&mut b99),
        small_p50: d(&mut s50),
        small_p99: d(&mut s99),
        big_rows: 1_000_000,
    }
}
