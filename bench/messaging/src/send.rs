//! sendMessage throughput with 64 concurrent senders, against the storage ceiling: the same two
//! archive rows per message written straight to the same database, at the same durability
//! (mimql's own connection settings), with the same concurrency. Rounds alternate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mimql::archive::{self, IdGenerator, NewEntry};
use mimql::jid::Jid;

use crate::seed;
use crate::server::Server;
use crate::stats::median;

pub struct Outcome {
    pub mimql: f64,
    pub ceiling: f64,
}

const SENDERS: usize = 64;

fn body() -> String {
    "a benchmark message of a typical length, about sixty characters".into()
}

fn mimql_round(server: &Server, pairs: &[(String, String)], duration: Duration) -> f64 {
    rate(&[(server, pairs)], duration)
}

/// Messages per second that one sender thread per pair achieves for `duration`, each pair
/// sending through the server it is listed with.
pub fn rate(groups: &[(&Server, &[(String, String)])], duration: Duration) -> f64 {
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = groups
        .iter()
        .flat_map(|(server, pairs)| pairs.iter().map(move |p| (*server, p.clone())))
        .map(|(server, (from, to))| {
            let c = server.client(&from, seed::PASSWORD);
            let (sent, stop) = (sent.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let resp = c
                        .run(mimql_client::user::stanza::send_message(None, &to, &body()))
                        .expect("server reachable");
                    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
                    sent.fetch_add(1, Ordering::Relaxed);
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
    n as f64 / elapsed.as_secs_f64()
}

fn ceiling_round(
    rt: &tokio::runtime::Runtime,
    db: &sea_orm::DatabaseConnection,
    pairs: &[(String, String)],
    owners: &[(i64, i64)],
    duration: Duration,
) -> f64 {
    let ids = Arc::new(IdGenerator::new(1));
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    rt.block_on(async {
        let mut tasks = Vec::new();
        let tasks_n: usize = std::env::var("CEILING_TASKS").ok().and_then(|v| v.parse().ok()).unwrap_or(pairs.len());
        for ((from, to), (from_id, to_id)) in pairs.iter().zip(owners).take(tasks_n) {
            let (db, ids, done) = (db.clone(), ids.clone(), done.clone());
            let (from, to, from_id, to_id) = (
                Jid::parse(from).unwrap(),
                Jid::parse(to).unwrap(),
                *from_id,
                *to_id,
            );
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    let stanza = format!(
                        "<message id='{:016x}' type='chat' from='{from}' to='{to}'><body>{}</body></message>",
                        rand::random::<u64>(),
                        body()
                    );
                    let txn = mimql::db::begin_write(&db).await.expect("a transaction");
                    for (owner, peer, outgoing) in [(from_id, &to, true), (to_id, &from, false)] {
                        let entry = NewEntry {
                            owner_id: owner,
                            peer,
                            outgoing,
                            sender: &from,
                            origin_id: "0123456789abcdef",
                            stanza: &stanza,
                        };
                        archive::append(&txn, ids.next(), entry).await.expect("a row");
                    }
                    txn.commit().await.expect("committed");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.expect("a writer");
        }
    });
    done.load(Ordering::Relaxed) as f64 / duration.as_secs_f64()
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
        "send_pg"
    } else {
        "send_sqlite"
    };
    let url = seed::fresh_db(dir, name, pg, &rt);
    let server = Server::start(mimql, dir, name, &url);
    let db = rt
        .block_on(mimql::db::connect(&url, 16))
        .expect("the database");
    let names: Vec<String> = (0..SENDERS * 2).map(|i| format!("u{i}")).collect();
    let jids = seed::users(&server, &db, &rt, &names);
    let ids = seed::user_ids(&db, &rt, &jids);
    let pairs: Vec<(String, String)> = (0..SENDERS)
        .map(|i| (jids[2 * i].clone(), jids[2 * i + 1].clone()))
        .collect();
    let owners: Vec<(i64, i64)> = (0..SENDERS).map(|i| (ids[2 * i], ids[2 * i + 1])).collect();
    // Warm-up: every sender authenticates once (the slow hash), the caches fill.
    mimql_round(&server, &pairs, Duration::from_secs(2));
    let (mut m, mut c) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        m.push(mimql_round(&server, &pairs, duration));
        c.push(ceiling_round(&rt, &db, &pairs, &owners, duration));
        eprintln!(
            "  {name} round {}: mimql {:.0} msgs/s, ceiling {:.0} msgs/s",
            r + 1,
            m[r],
            c[r]
        );
    }
    Outcome {
        mimql: median(&mut m),
        ceiling: median(&mut c),
    }
}
