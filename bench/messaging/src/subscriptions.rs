//! Many subscriptions on one node (issue 24): `SUBSCRIPTIONS` (100,000) users, each with one
//! `subscribeForMessages` open, half over SSE and half over WebSocket (graphql-transport-ws),
//! every one a session of the registry. The client is one tokio runtime; its connections come
//! from several loopback source addresses (127.0.0.2, .3, ...) to get past the ephemeral port
//! range of one address pair. Reports the time to open them all, the server's memory per
//! subscription, the server's CPU while they sit idle, `listSessions`/`countResources` for a
//! user with `HEAVY_SESSIONS` sessions against a user with one, the delivery latency of
//! messages to random subscribers while all are open, and the time until the last of 10,000
//! headlines (one to each of 10,000 subscribers, 64 senders) arrived.
//!
//! Needs an open-file limit above twice the subscriptions (client and server on one machine):
//! `bench/subscriptions.sh` sets it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::seed;
use crate::server::Server;
use crate::stats::percentile;

const QUERY: &str = "subscription { stanza { subscribeForMessages { stanza } } }";
/// Source addresses the client's connections are spread over.
const SOURCES: u8 = 8;

pub struct Outcome {
    pub subscriptions: usize,
    pub open_secs: f64,
    pub kib_per_subscription: f64,
    pub kib_per_connection: f64,
    pub rss_before_mib: f64,
    pub rss_after_mib: f64,
    pub idle_cpu_secs: f64,
    pub idle_secs: u64,
    pub heavy_sessions: usize,
    pub list_sessions_heavy: Duration,
    pub list_sessions_one: Duration,
    pub count_resources_heavy: Duration,
    pub count_resources_one: Duration,
    pub messages: usize,
    pub deliveries: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub broadcast_users: usize,
    pub broadcast: usize,
    pub broadcast_secs: f64,
}

/// A message received by subscriber `user`: its `seq:<n>` and when it arrived.
type Receipt = (usize, u64, Instant);

/// `seq:<n>` in an event's text.
fn seq_of(text: &str) -> Option<u64> {
    let rest = text.split("seq:").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn basic(jid: &str) -> String {
    use base64::Engine;
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("{jid}:{}", seed::PASSWORD));
    format!("Basic {token}")
}

/// A connection to `server` from source address `127.0.0.<2 + i % SOURCES>`.
async fn connect(server: SocketAddr, i: usize) -> std::io::Result<TcpStream> {
    let source = Ipv4Addr::new(127, 0, 0, 2 + (i % SOURCES as usize) as u8);
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Opens user `i`'s SSE subscription; once open, reports receipts until the stream ends.
async fn sse(
    server: SocketAddr,
    i: usize,
    jid: String,
    opened: Arc<AtomicUsize>,
    tx: mpsc::UnboundedSender<Receipt>,
    permit: Option<OwnedSemaphorePermit>,
) -> Result<(), String> {
    let mut conn = connect(server, i).await.map_err(|e| e.to_string())?;
    let query: String = url_encode(QUERY);
    let request = format!(
        "GET /api/graphql/sse?query={query} HTTP/1.1\r\nHost: {server}\r\nAccept: text/event-stream\r\nAuthorization: {}\r\n\r\n",
        basic(&jid)
    );
    conn.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    // The head, then event frames; small reads, as an idle client's buffer would be.
    let mut buf = vec![0u8; 2048];
    let mut head = Vec::new();
    loop {
        let n = conn.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed before the head".into());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            if !head.starts_with(b"HTTP/1.1 200") {
                return Err(String::from_utf8_lossy(&head[..end]).into_owned());
            }
            break;
        }
    }
    opened.fetch_add(1, Ordering::Relaxed);
    drop(permit);
    loop {
        let n = conn.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        let now = Instant::now();
        // A frame may be split over reads; seq markers are short enough not to matter here
        // (one message in flight per subscriber).
        if let Some(seq) = seq_of(&String::from_utf8_lossy(&buf[..n])) {
            let _ = tx.send((i, seq, now));
        }
    }
}

/// Opens user `i`'s WebSocket subscription; once open, reports receipts until it ends.
#[allow(clippy::too_many_arguments)]
async fn ws(
    server: SocketAddr,
    i: usize,
    jid: String,
    subscriptions: usize,
    opened: Arc<AtomicUsize>,
    tx: mpsc::UnboundedSender<Receipt>,
    permit: Option<OwnedSemaphorePermit>,
) -> Result<(), String> {
    let conn = connect(server, i).await.map_err(|e| e.to_string())?;
    let mut request = format!("ws://{server}/api/graphql")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    let headers = request.headers_mut();
    headers.insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    headers.insert(
        "Authorization",
        basic(&jid).parse().expect("a header value"),
    );
    let (mut socket, _) = tokio_tungstenite::client_async(request, conn)
        .await
        .map_err(|e| e.to_string())?;
    socket
        .send(Message::text(r#"{"type":"connection_init"}"#))
        .await
        .map_err(|e| e.to_string())?;
    match socket.next().await {
        Some(Ok(Message::Text(t))) if t.contains("connection_ack") => {}
        other => return Err(format!("no ack: {other:?}")),
    }
    for id in 0..subscriptions {
        let subscribe = serde_json::json!({"type": "subscribe", "id": id.to_string(), "payload": {"query": QUERY}});
        socket
            .send(Message::text(subscribe.to_string()))
            .await
            .map_err(|e| e.to_string())?;
    }
    // The subscription is registered once the server has read it; a ping round trip after it
    // proves that (messages are handled in order).
    socket
        .send(Message::text(r#"{"type":"ping"}"#))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(t))) if t.contains("\"pong\"") => break,
            Some(Ok(Message::Text(t))) if t.contains("\"error\"") => return Err(t.to_string()),
            Some(Ok(_)) => {}
            other => return Err(format!("closed while subscribing: {other:?}")),
        }
    }
    opened.fetch_add(subscriptions, Ordering::Relaxed);
    drop(permit);
    while let Some(msg) = socket.next().await {
        let now = Instant::now();
        match msg {
            Ok(Message::Text(t)) => {
                if let Some(seq) = seq_of(&t) {
                    let _ = tx.send((i, seq, now));
                }
            }
            Ok(Message::Close(_)) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
    Ok(())
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The server's CPU time so far (user + system), in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY-free: the clock tick is 100 on Linux for every architecture we run on.
    (ticks(11) + ticks(12)) / 100.0
}

/// Median latency of `f` over `n` calls.
fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut d: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    d.sort();
    d[d.len() / 2]
}

/// How the subscriptions are laid out over connections.
#[derive(Clone, Copy)]
pub struct Layout {
    /// SSE connections, one subscription each.
    pub sse: usize,
    /// WebSocket connections.
    pub ws: usize,
    /// Subscriptions on each WebSocket connection (the user's sessions).
    pub per_ws: usize,
}

impl Layout {
    fn connections(&self) -> usize {
        self.sse + self.ws
    }

    /// Subscriptions of connection (user) `i`.
    fn subscriptions_of(&self, i: usize) -> usize {
        if i < self.sse { 1 } else { self.per_ws }
    }

    fn subscriptions(&self) -> usize {
        self.sse + self.ws * self.per_ws
    }
}

/// Waits up to `secs` for receipts; `keep` answers whether one counts.
fn collect(
    rt: &tokio::runtime::Runtime,
    rx: &mut mpsc::UnboundedReceiver<Receipt>,
    want: usize,
    secs: u64,
    mut keep: impl FnMut(Receipt) -> bool,
) -> usize {
    let mut got = 0;
    let until = Instant::now() + Duration::from_secs(secs);
    while got < want && Instant::now() < until {
        if let Ok(Some(r)) =
            rt.block_on(async { tokio::time::timeout(Duration::from_secs(1), rx.recv()).await })
            && keep(r)
        {
            got += 1;
        }
    }
    got
}

pub fn run(mimql: &Path, dir: &Path, layout: Layout, heavy: usize, messages: usize) -> Outcome {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let users = layout.connections();
    let total = layout.subscriptions();
    let db_url = seed::fresh_db(dir, "subscriptions", None, &rt);
    let extra = format!(
        "[limits]\nmax_sessions_per_user = {}\n\
         [auth]\ncache_size = {}\n",
        (heavy + 10).max(layout.per_ws),
        users + 1000
    );
    let server = Server::start_with(mimql, dir, "subscriptions", &db_url, &extra);
    let db = rt
        .block_on(sea_orm::Database::connect(&db_url))
        .expect("the database");
    let names: Vec<String> = (0..users).map(|i| format!("s{i:06}")).collect();
    let mut all = names.clone();
    all.extend([
        "heavy".to_string(),
        "single".to_string(),
        "sender".to_string(),
    ]);
    eprintln!("  seeding {} users", all.len());
    seed::users_with_cheap_hash(&db, &rt, &all);
    let jids: Vec<String> = names.iter().map(|n| format!("{n}@localhost")).collect();
    let addr: SocketAddr = server
        .user_url
        .trim_start_matches("http://")
        .parse()
        .expect("the user API's address");

    let rss_before = server.rss_kib();
    let (tx, mut rx) = mpsc::unbounded_channel::<Receipt>();
    let opened = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    // Opening handshakes in flight at once.
    let gate = Arc::new(Semaphore::new(256));
    let started = Instant::now();
    rt.block_on(async {
        for (i, jid) in jids.iter().enumerate() {
            let permit = gate.clone().acquire_owned().await.expect("the gate");
            let (tx, opened_by, failed, jid) =
                (tx.clone(), opened.clone(), failed.clone(), jid.clone());
            tokio::spawn(async move {
                let r = if i < layout.sse {
                    sse(addr, i, jid, opened_by, tx, Some(permit)).await
                } else {
                    ws(addr, i, jid, layout.per_ws, opened_by, tx, Some(permit)).await
                };
                if let Err(e) = r
                    && failed.fetch_add(1, Ordering::Relaxed) < 5
                {
                    eprintln!("  connection {i} failed: {e}");
                }
            });
            if i > 0 && i % 10_000 == 0 {
                eprintln!(
                    "  {i} connections started, {} subscriptions open, {:.1} s",
                    opened.load(Ordering::Relaxed),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        let deadline = Instant::now() + Duration::from_secs(1800);
        while opened.load(Ordering::Relaxed) < total && failed.load(Ordering::Relaxed) == 0 {
            assert!(Instant::now() < deadline, "subscriptions did not open");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let open_secs = started.elapsed().as_secs_f64();
    let failed = failed.load(Ordering::Relaxed);
    assert_eq!(failed, 0, "{failed} connections failed");
    eprintln!("  {total} subscriptions on {users} connections open in {open_secs:.1} s");
    std::thread::sleep(Duration::from_secs(2));
    let rss_after = server.rss_kib();

    // Idle: nothing happens; the server should use no CPU.
    let idle_secs = 10;
    let cpu0 = cpu_secs(server.pid());
    std::thread::sleep(Duration::from_secs(idle_secs));
    let idle_cpu_secs = cpu_secs(server.pid()) - cpu0;

    // A user with `heavy` sessions (SSE) against a user with one.
    let heavy_jid = "heavy@localhost".to_string();
    let single_jid = "single@localhost".to_string();
    let extra_opened = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        for k in 0..=heavy {
            let (tx, o) = (tx.clone(), extra_opened.clone());
            let jid = if k < heavy {
                heavy_jid.clone()
            } else {
                single_jid.clone()
            };
            tokio::spawn(async move {
                if let Err(e) = sse(addr, users + k, jid, o, tx, None).await {
                    eprintln!("  extra session {k}: {e}");
                }
            });
        }
        while extra_opened.load(Ordering::Relaxed) < heavy + 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let heavy_client = server.client(&heavy_jid, seed::PASSWORD);
    let single_client = server.client(&single_jid, seed::PASSWORD);
    let query = |c: &mimql_client::Client, q: &str| {
        let body = serde_json::json!({ "query": q }).to_string();
        let (status, json) = c
            .post_raw("application/json", body.as_bytes())
            .expect("reachable");
        assert_eq!(status, 200, "{json}");
        json
    };
    let list = |c: &mimql_client::Client, expect: usize| {
        let json = query(
            c,
            "{ session { listSessions { user connection priority uptime } } }",
        );
        let sessions = json["data"]["session"]["listSessions"]
            .as_array()
            .map(Vec::len);
        assert_eq!(sessions, Some(expect), "{json}");
    };
    let count = |c: &mimql_client::Client, expect: usize| {
        let json = query(c, "{ session { countResources } }");
        assert_eq!(json["data"]["session"]["countResources"], expect, "{json}");
    };
    let list_sessions_heavy = median(51, || list(&heavy_client, heavy));
    let list_sessions_one = median(51, || list(&single_client, 1));
    let count_resources_heavy = median(51, || count(&heavy_client, heavy));
    let count_resources_one = median(51, || count(&single_client, 1));

    // Delivery to random subscribers while all are open, one message at a time; every
    // subscription of the target user receives it.
    while rx.try_recv().is_ok() {}
    let sender = server.client("sender@localhost", seed::PASSWORD);
    let mut rng_state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    let mut sent_at = HashMap::with_capacity(messages);
    let mut latencies = Vec::with_capacity(messages);
    let mut deliveries = 0;
    let record = |(who, s, at): Receipt,
                  sent_at: &HashMap<u64, (usize, Instant)>,
                  latencies: &mut Vec<Duration>| {
        if let Some((t, sent)) = sent_at.get(&s)
            && *t == who
        {
            latencies.push(at.duration_since(*sent));
            return true;
        }
        false
    };
    for seq in 0..messages as u64 {
        let target = (next() % users as u64) as usize;
        deliveries += layout.subscriptions_of(target);
        sent_at.insert(seq, (target, Instant::now()));
        let resp = sender
            .run(mimql_client::user::stanza::send_message(
                None,
                &jids[target],
                &format!("seq:{seq}"),
            ))
            .expect("reachable");
        assert!(resp.errors.is_empty(), "{:?}", resp.errors);
        while let Ok(r) = rx.try_recv() {
            record(r, &sent_at, &mut latencies);
        }
    }
    let have = latencies.len();
    collect(&rt, &mut rx, deliveries - have, 30, |r| {
        record(r, &sent_at, &mut latencies)
    });
    assert_eq!(latencies.len(), deliveries, "every message delivered");
    latencies.sort();

    // Broadcast: a headline to each of 10,000 users' subscriptions, 64 senders; until the
    // last delivery.
    let targets = users.min(10_000);
    let broadcast: usize = (0..targets).map(|k| layout.subscriptions_of(k)).sum();
    let base = 1_000_000u64;
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..64 {
            let sender = server.client("sender@localhost", seed::PASSWORD);
            let jids = &jids;
            scope.spawn(move || {
                for k in (t..targets).step_by(64) {
                    let body = serde_json::json!({
                        "query": "mutation($to: JID!, $body: String) { stanza { sendMessageHeadLine(to: $to, body: $body) { id } } }",
                        "variables": { "to": jids[k], "body": format!("seq:{}", base + k as u64) },
                    })
                    .to_string();
                    let (status, json) = sender
                        .post_raw("application/json", body.as_bytes())
                        .expect("reachable");
                    assert!(status == 200 && json["errors"].is_null(), "{json}");
                }
            });
        }
    });
    let mut last = start;
    let received = collect(&rt, &mut rx, broadcast, 120, |(who, s, at)| {
        let ok = s >= base && (s - base) as usize == who;
        if ok {
            last = last.max(at);
        }
        ok
    });
    assert_eq!(received, broadcast, "every headline delivered");
    let broadcast_secs = last.duration_since(start).as_secs_f64();

    let outcome = Outcome {
        subscriptions: total,
        open_secs,
        kib_per_subscription: rss_after.saturating_sub(rss_before) as f64 / total as f64,
        kib_per_connection: rss_after.saturating_sub(rss_before) as f64 / users as f64,
        rss_before_mib: rss_before as f64 / 1024.0,
        rss_after_mib: rss_after as f64 / 1024.0,
        idle_cpu_secs,
        idle_secs,
        heavy_sessions: heavy,
        list_sessions_heavy,
        list_sessions_one,
        count_resources_heavy,
        count_resources_one,
        deliveries,
        messages,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        broadcast_users: targets,
        broadcast,
        broadcast_secs,
    };
    drop(server);
    rt.shutdown_timeout(Duration::from_secs(1));
    outcome
}
