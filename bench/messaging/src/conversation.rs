//! One conversation as fast as many: sendMessage with 64 sender connections all in one
//! conversation (one sender account, one recipient) against 64 connections in 64 conversations,
//! rounds alternating, in the same run. Every recipient has an open SSE subscription; each
//! connection numbers its messages and the benchmark checks that every connection's numbers
//! arrive strictly increasing (the per-pair order rule), counting any message that does not.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::live::Subscribers;
use crate::seed;
use crate::server::Server;
use crate::stats::median;

const SENDERS: usize = 64;
/// Sequence numbers carry the sending connection: `connection * SPAN + n`.
const SPAN: usize = 1_000_000_000;

pub struct Outcome {
    pub many: f64,
    pub one: f64,
    pub delivered: usize,
}

/// Messages per second with one thread per `(from, to)` connection for `duration`; every
/// message carries its connection's next sequence number.
fn round(server: &Server, connections: &[(String, String)], duration: Duration) -> (f64, u64) {
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = connections
        .iter()
        .enumerate()
        .map(|(t, (from, to))| {
            let c = server.client(from, seed::PASSWORD);
            let (sent, stop, to) = (sent.clone(), stop.clone(), to.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let body = format!("seq:{}", t * SPAN + n);
                    let resp = c
                        .run(mimql_client::user::stanza::send_message(None, &to, &body))
                        .expect("server reachable");
                    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
                    sent.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
            })
        })
        .collect();
    let start = Instant::now();
    std::thread::sleep(duration);
    let n = sent.load(Ordering::Relaxed);
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("a sender");
    }
    let total = sent.load(Ordering::Relaxed);
    (n as f64 / elapsed.as_secs_f64(), total)
}

/// Takes `expected` deliveries from the subscribers and checks each connection's order;
/// answers how many arrived.
fn check_order(subs: &Subscribers, expected: u64, last: &mut HashMap<usize, usize>) -> usize {
    let mut got = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while (got as u64) < expected && Instant::now() < deadline {
        let Ok((seq, _)) = subs.received.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        let (t, n) = (seq / SPAN, seq % SPAN);
        if let Some(prev) = last.insert(t, n) {
            assert!(n > prev, "connection {t}: message {n} arrived after {prev}");
        }
        got += 1;
    }
    assert_eq!(got as u64, expected, "every message was delivered live");
    got
}

pub fn run(
    mimql: &std::path::Path,
    dir: &std::path::Path,
    pg: Option<&str>,
    rounds: usize,
    duration: Duration,
) -> Outcome {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let name = if pg.is_some() {
        "conv_pg"
    } else {
        "conv_sqlite"
    };
    let url = seed::fresh_db(dir, name, pg, &rt);
    let server = Server::start(mimql, dir, name, &url);
    let db = rt
        .block_on(mimql::db::connect(&url, 4))
        .expect("the database");
    let names: Vec<String> = (0..SENDERS * 2).map(|i| format!("c{i}")).collect();
    let jids = seed::users(&server, &db, &rt, &names);
    let many: Vec<(String, String)> = (0..SENDERS)
        .map(|i| (jids[2 * i].clone(), jids[2 * i + 1].clone()))
        .collect();
    // One conversation: the first pair's accounts, 64 connections.
    let one: Vec<(String, String)> = (0..SENDERS).map(|_| many[0].clone()).collect();
    crate::live::warm(&server, &jids);
    let recipients: Vec<_> = many
        .iter()
        .map(|(_, to)| server.client(to, seed::PASSWORD))
        .collect();
    let subs = Subscribers::open(recipients);
    // Sequence numbers restart every round: a fresh order per round and mode.
    let (mut m, mut o, mut delivered) = (Vec::new(), Vec::new(), 0);
    let warm = round(&server, &many, Duration::from_secs(2));
    delivered += check_order(&subs, warm.1, &mut HashMap::new());
    for r in 0..rounds {
        let (rate, sent) = round(&server, &many, duration);
        delivered += check_order(&subs, sent, &mut HashMap::new());
        m.push(rate);
        let (rate, sent) = round(&server, &one, duration);
        delivered += check_order(&subs, sent, &mut HashMap::new());
        o.push(rate);
        eprintln!(
            "  {name} round {}: 64 conversations {:.0} msgs/s, one conversation {:.0} msgs/s",
            r + 1,
            m[r],
            o[r]
        );
    }
    subs.close();
    Outcome {
        many: median(&mut m),
        one: median(&mut o),
        delivered,
    }
}
