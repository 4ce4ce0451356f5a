//! MUC fan-out: a big room (500 occupants) and a small one (10), every occupant with an open
//! SSE subscription, in the same run. Latency: from just before a sendMessageToRoom request to
//! the receipt of the message by the room's last occupant, one message at a time, alternating
//! the rooms. Throughput: `SENDERS` threads sending to one room at once, messages per second
//! until the last occupant has the last message.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mimql_client::Client;
use mimql_client::user::muc;

use crate::live::{Subscribers, warm};
use crate::seed;
use crate::server::Server;
use crate::stats::percentile;

pub struct RoomFigures {
    pub occupants: usize,
    pub p50: Duration,
    pub p99: Duration,
    /// Messages per second with concurrent senders.
    pub rate: f64,
}

pub struct Outcome {
    pub big: RoomFigures,
    pub small: RoomFigures,
    pub messages: usize,
}

/// Per message: how many occupants have it, and when the last one got it.
struct Receipts {
    got: HashMap<usize, (usize, Instant)>,
}

impl Receipts {
    /// Reads receipts until `seq` reached `expected` occupants; answers the last receipt.
    fn wait_for(
        &mut self,
        subs: &Subscribers,
        seq: usize,
        expected: usize,
        deadline: Instant,
    ) -> Instant {
        loop {
            if let Some((n, at)) = self.got.get(&seq)
                && *n >= expected
            {
                return *at;
            }
            assert!(
                Instant::now() < deadline,
                "message {seq} reached {} of {expected} occupants",
                self.got.get(&seq).map_or(0, |g| g.0)
            );
            if let Ok((s, at)) = subs.received.recv_timeout(Duration::from_millis(200)) {
                let e = self.got.entry(s).or_insert((0, at));
                e.0 += 1;
                e.1 = e.1.max(at);
            }
        }
    }
}

fn send(c: &Client, room: &str, seq: usize) {
    let resp = c
        .run(muc::send_message_to_room(
            room,
            &format!("seq:{seq}"),
            Some("bench"),
        ))
        .expect("server reachable");
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
}

/// Enters every user into `room` (8 threads).
fn fill(server: &Server, room: &str, jids: &[String]) {
    std::thread::scope(|scope| {
        for (t, chunk) in jids.chunks(jids.len().div_ceil(8).max(1)).enumerate() {
            scope.spawn(move || {
                for (i, j) in chunk.iter().enumerate() {
                    let resp = server
                        .client(j, seed::PASSWORD)
                        .run(muc::enter_room(room, &format!("n{t}_{i}"), "r", None))
                        .expect("server reachable");
                    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
                }
            });
        }
    });
}

pub fn run(
    mimql: &std::path::Path,
    dir: &std::path::Path,
    big: usize,
    small: usize,
    messages: usize,
    senders: usize,
) -> Outcome {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let url = seed::fresh_db(dir, "muc", None, &rt);
    let server = Server::start(mimql, dir, "muc", &url);
    let db = rt
        .block_on(mimql::db::connect(&url, 4))
        .expect("the database");
    let mut names: Vec<String> = (0..big + small).map(|i| format!("o{i}")).collect();
    names.push("owner".into());
    let jids = seed::users(&server, &db, &rt, &names);
    let owner = server.client(&jids[big + small], seed::PASSWORD);
    let rooms = ["big@muc.localhost", "small@muc.localhost"];
    for room in rooms {
        // The owner's occupant speaks from resource `bench`, which has no session.
        let resp = owner
            .run(muc::enter_room(room, "owner", "bench", None))
            .expect("server reachable");
        assert!(resp.errors.is_empty(), "{:?}", resp.errors);
        // Many occupants: above the default of 200.
        let change = muc::MucRoomConfigInput {
            max_users: Some(mimql_client::scalars::PosInt((big + small + 10) as i64)),
            ..Default::default()
        };
        let resp = owner
            .run(muc::change_room_configuration(room, change))
            .expect("server reachable");
        assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    }
    warm(&server, &jids[..big + small]);
    fill(&server, rooms[0], &jids[..big]);
    fill(&server, rooms[1], &jids[big..big + small]);
    let clients = jids[..big + small]
        .iter()
        .map(|j| server.client(j, seed::PASSWORD))
        .collect();
    let subs = Subscribers::open(clients);
    eprintln!("  muc: {big} + {small} occupants in, their subscriptions open");
    let sizes = [big, small];
    let mut receipts = Receipts {
        got: HashMap::new(),
    };
    // Warm-up: one message to each room.
    let mut seq = 0;
    for (r, room) in rooms.iter().enumerate() {
        send(&owner, room, seq);
        receipts.wait_for(
            &subs,
            seq,
            sizes[r],
            Instant::now() + Duration::from_secs(60),
        );
        seq += 1;
    }
    // Latency: one message at a time, alternating the rooms.
    let mut latencies: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for k in 0..messages * 2 {
        let r = k % 2;
        let sent = Instant::now();
        send(&owner, rooms[r], seq);
        let last = receipts.wait_for(
            &subs,
            seq,
            sizes[r],
            Instant::now() + Duration::from_secs(60),
        );
        latencies[r].push(last.duration_since(sent));
        seq += 1;
    }
    // Throughput: `senders` threads at once on one room, then on the other.
    let mut rates = [0.0; 2];
    for (r, room) in rooms.iter().enumerate() {
        let first = seq;
        let per_sender = messages.div_ceil(senders);
        let total = per_sender * senders;
        let began = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..senders {
                let c = server.client(&jids[big + small], seed::PASSWORD);
                scope.spawn(move || {
                    for i in 0..per_sender {
                        send(&c, room, first + t * per_sender + i);
                    }
                });
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let last = (first..first + total)
            .map(|s| receipts.wait_for(&subs, s, sizes[r], deadline))
            .max()
            .unwrap_or(began);
        rates[r] = total as f64 / last.duration_since(began).as_secs_f64();
        seq = first + total;
    }
    subs.close();
    let mut figures = |r: usize| {
        let mut l = std::mem::take(&mut latencies[r]);
        l.sort();
        RoomFigures {
            occupants: sizes[r],
            p50: percentile(&l, 0.5),
            p99: percentile(&l, 0.99),
            rate: rates[r],
        }
    };
    Outcome {
        big: figures(0),
        small: figures(1),
        messages,
    }
}
