//! Live delivery: 1,000 open SSE subscribers and one sender sending to them in turn; the
//! latency from just before the sendMessage request to the subscriber's receipt of the event,
//! and the server's resident memory per open subscription.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use mimql_client::Client;
use mimql_client::sse::{Opened, SseSubscription};

use crate::seed;
use crate::server::Server;
use crate::stats::percentile;

pub struct Outcome {
    pub subscribers: usize,
    pub messages: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub kib_per_subscription: f64,
}

/// Open SSE subscriptions, one thread each, reporting `(sequence number, receipt time)` of
/// every `seq:<n>` message they receive.
pub struct Subscribers {
    threads: Vec<std::thread::JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    pub received: mpsc::Receiver<(usize, Instant)>,
}

impl Subscribers {
    /// Authenticates every client once (so the slow hash is not counted later), then opens
    /// their subscriptions; answers when all are open.
    pub fn open(clients: Vec<Client>) -> Subscribers {
        let n = clients.len();
        let (tx, received) = mpsc::channel::<(usize, Instant)>();
        let open = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let threads = clients
            .into_iter()
            .map(|c| {
                let (tx, open, stop) = (tx.clone(), open.clone(), stop.clone());
                std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn(move || {
                        let Ok(Opened::Stream(mut sub)) = SseSubscription::open(
                            &c,
                            &mimql_client::user::stanza::subscribe_for_messages(),
                        ) else {
                            panic!("subscription refused");
                        };
                        open.fetch_add(1, Ordering::SeqCst);
                        while !stop.load(Ordering::Relaxed) {
                            match sub.next_event(Duration::from_millis(500)) {
                                Ok(Some(e)) => {
                                    let now = Instant::now();
                                    if let Some(seq) = e
                                        .data
                                        .split("seq:")
                                        .nth(1)
                                        .and_then(|r| r.split('<').next())
                                        .and_then(|n| n.parse().ok())
                                    {
                                        tx.send((seq, now)).ok();
                                    }
                                }
                                Ok(None) => {}
                                Err(_) => break,
                            }
                        }
                        sub.close();
                    })
                    .expect("a subscriber thread")
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(600);
        while open.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "subscriptions did not open");
            std::thread::sleep(Duration::from_millis(100));
        }
        Subscribers {
            threads,
            stop,
            received,
        }
    }

    /// Sends `seq:<i>` to `targets[i % len]` one after the other through `sender`; answers
    /// the latency of each message, by target index.
    pub fn measure(
        &self,
        sender: &Client,
        targets: &[String],
        messages: usize,
    ) -> Vec<(usize, Duration)> {
        let mut sent_at = HashMap::with_capacity(messages);
        for seq in 0..messages {
            let to = &targets[seq % targets.len()];
            sent_at.insert(seq, Instant::now());
            let resp = sender
                .run(mimql_client::user::stanza::send_message(
                    None,
                    to,
                    &format!("seq:{seq}"),
                ))
                .expect("server reachable");
            assert!(resp.errors.is_empty(), "{:?}", resp.errors);
        }
        let mut latencies = Vec::with_capacity(messages);
        let wait_until = Instant::now() + Duration::from_secs(60);
        while latencies.len() < messages && Instant::now() < wait_until {
            if let Ok((seq, at)) = self.received.recv_timeout(Duration::from_secs(1))
                && let Some(sent) = sent_at.get(&seq)
            {
                latencies.push((seq % targets.len(), at.duration_since(*sent)));
            }
        }
        assert_eq!(
            latencies.len(),
            messages,
            "every message was delivered live"
        );
        latencies
    }

    pub fn close(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Authenticates each user once on `server` (warming the credential cache).
pub fn warm(server: &Server, jids: &[String]) {
    std::thread::scope(|scope| {
        for chunk in jids.chunks(jids.len().div_ceil(8).max(1)) {
            scope.spawn(move || {
                for j in chunk {
                    let _ = server
                        .client(j, seed::PASSWORD)
                        .run(mimql_client::user::check_auth());
                }
            });
        }
    });
}

pub fn run(
    mimql: &std::path::Path,
    dir: &std::path::Path,
    subscribers: usize,
    messages: usize,
) -> Outcome {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let url = seed::fresh_db(dir, "live", None, &rt);
    let server = Server::start(mimql, dir, "live", &url);
    let db = rt
        .block_on(mimql::db::connect(&url, 4))
        .expect("the database");
    let mut names: Vec<String> = (0..subscribers).map(|i| format!("s{i}")).collect();
    names.push("sender".into());
    let jids = seed::users(&server, &db, &rt, &names);
    let sender = server.client(&jids[subscribers], seed::PASSWORD);
    // Warm the sender's credentials and the server's code paths.
    for j in jids.iter().take(10) {
        let _ = sender.run(mimql_client::user::stanza::send_message(None, j, "warm-up"));
    }
    // Every subscriber authenticates once before the baseline, so the slow hash's memory (and
    // the allocator's arenas it warms) is not counted as the subscriptions'.
    warm(&server, &jids[..subscribers]);
    std::thread::sleep(Duration::from_millis(500));
    let rss_before = server.rss_kib();
    let clients = jids[..subscribers]
        .iter()
        .map(|j| server.client(j, seed::PASSWORD))
        .collect();
    let subs = Subscribers::open(clients);
    std::thread::sleep(Duration::from_millis(500));
    let rss_after = server.rss_kib();
    eprintln!(
        "  live: {subscribers} subscriptions open; server RSS {rss_before} KiB -> {rss_after} KiB"
    );
    let mut latencies: Vec<Duration> = subs
        .measure(&sender, &jids[..subscribers], messages)
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    subs.close();
    latencies.sort();
    Outcome {
        subscribers,
        messages,
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
        kib_per_subscription: (rss_after.saturating_sub(rss_before)) as f64 / subscribers as f64,
    }
}
