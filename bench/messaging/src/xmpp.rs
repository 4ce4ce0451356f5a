//! XMPP clients (issue 21), against mimql and, when `EJABBERD` names one (`host:c2s-port`, with
//! its HTTP API at `EJABBERD_API`), against ejabberd on the same machine configured alike
//! (STARTTLS required, PLAIN, MAM on; `bench/xmpp.sh` sets it up):
//!
//! * logins per second: TCP, STARTTLS, SASL PLAIN, bind, initial presence, then close, from
//!   `LOGIN_CLIENTS` (16) clients at once for `DURATION`; with a cached password (the same
//!   accounts again and again) and, on mimql, uncached (each login a first login of a user
//!   whose password hash is the server's own, argon2);
//! * memory per idle connection with `IDLE` (10,000) logged-in clients;
//! * XMPP → XMPP messages per second with the archive on: `PAIRS` (64) sender/recipient
//!   connections, each sender keeping up to `WINDOW` (32) messages unreceived;
//! * on mimql, GraphQL `sendMessage` → XMPP client latency with `LISTENERS` (1,000) clients
//!   connected.
//!
//! The client is a minimal one written for the benchmark (raw stanzas over tokio-rustls, the
//! server's certificate not checked): it must cost less than the servers it drives.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;

use crate::seed;
use crate::server::{Server, rss_kib};
use crate::stats::{median, percentile};

const DOMAIN: &str = "localhost";

fn header() -> String {
    format!(
        "<?xml version='1.0'?><stream:stream to='{DOMAIN}' xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
    )
}

/// Accepts any certificate: the benchmark measures servers, not PKI.
#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

pub fn connector() -> TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// Reads until `needle` has arrived (searching what was read since `from`); answers the text.
async fn read_until<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
    needles: &[&str],
) -> Result<String, String> {
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(buf);
        if needles.iter().any(|n| text.contains(n)) {
            let out = text.into_owned();
            buf.clear();
            return Ok(out);
        }
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk))
            .await
            .map_err(|_| format!("timed out waiting for {needles:?}: {text}"))?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("closed while waiting for {needles:?}: {text}"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

pub type Stream = tokio_rustls::client::TlsStream<TcpStream>;

/// A logged-in client: TCP, STARTTLS, PLAIN, bind, initial presence.
pub async fn login(
    tls: &TlsConnector,
    addr: SocketAddr,
    user: &str,
    password: &str,
    resource: &str,
) -> Result<Stream, String> {
    let mut s = bind(tls, addr, user, password, resource).await?;
    s.write_all(b"<presence/>")
        .await
        .map_err(|e| e.to_string())?;
    Ok(s)
}

/// A client with its resource bound and no presence sent yet: TCP, STARTTLS, PLAIN, bind.
pub async fn bind(
    tls: &TlsConnector,
    addr: SocketAddr,
    user: &str,
    password: &str,
    resource: &str,
) -> Result<Stream, String> {
    let mut tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).ok();
    let mut buf = Vec::new();
    tcp.write_all(header().as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    read_until(&mut tcp, &mut buf, &["</stream:features>"]).await?;
    tcp.write_all(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        .await
        .map_err(|e| e.to_string())?;
    read_until(&mut tcp, &mut buf, &["<proceed"]).await?;
    let name = rustls::pki_types::ServerName::try_from(DOMAIN).expect("a name");
    let mut s = tls.connect(name, tcp).await.map_err(|e| e.to_string())?;
    s.write_all(header().as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    read_until(&mut s, &mut buf, &["</stream:features>"]).await?;
    let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
    s.write_all(
        format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}</auth>")
            .as_bytes(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let r = read_until(&mut s, &mut buf, &["<success", "<failure"]).await?;
    if r.contains("<failure") {
        return Err(format!("login refused: {r}"));
    }
    s.write_all(header().as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    read_until(&mut s, &mut buf, &["</stream:features>"]).await?;
    s.write_all(
        format!(
            "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
             <resource>{resource}</resource></bind></iq>"
        )
        .as_bytes(),
    )
    .await
    .map_err(|e| e.to_string())?;
    read_until(&mut s, &mut buf, &["</iq>", "/>"]).await?;
    Ok(s)
}

/// Closes the stream politely.
pub async fn close(mut s: Stream) {
    let _ = s.write_all(b"</stream:stream>").await;
    let _ = s.shutdown().await;
}

/// A server under test: where its c2s listener is and who may log in.
pub struct Target {
    pub name: String,
    pub addr: SocketAddr,
    /// Users `f000000`... never logged in yet (first logins), if the target has them.
    pub fresh: usize,
    /// The server process, for its memory.
    pub pid: u32,
}

pub fn bench_user(i: usize) -> String {
    format!("b{i:06}")
}

/// Logins per second from `clients` clients at once for `duration`, over `users(i)`.
fn logins(
    rt: &tokio::runtime::Runtime,
    t: &Target,
    clients: usize,
    duration: Duration,
    user: impl Fn(usize) -> String + Send + Sync + 'static,
    limit: usize,
) -> f64 {
    let tls = connector();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let user = Arc::new(user);
    let addr = t.addr;
    let start = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let (tls, next, done, failed, user) = (
                    tls.clone(),
                    next.clone(),
                    done.clone(),
                    failed.clone(),
                    user.clone(),
                );
                tokio::spawn(async move {
                    while start.elapsed() < duration {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= limit {
                            break;
                        }
                        match login(&tls, addr, &user(i), seed::PASSWORD, "bench").await {
                            Ok(s) => {
                                close(s).await;
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => {
                                if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                                    eprintln!("  login failed: {e}");
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    });
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(failed.load(Ordering::Relaxed), 0, "logins failed");
    done.load(Ordering::Relaxed) as f64 / secs
}

/// Opens `n` idle logged-in clients; answers the server's memory per client (KiB) and keeps
/// them open until the answer is computed.
fn idle_memory(rt: &tokio::runtime::Runtime, t: &Target, n: usize) -> f64 {
    let tls = connector();
    let before = rss_kib(t.pid);
    let addr = t.addr;
    let streams = rt.block_on(async {
        let gate = Arc::new(tokio::sync::Semaphore::new(64));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (tls, gate) = (tls.clone(), gate.clone());
                tokio::spawn(async move {
                    let _p = gate.acquire().await;
                    login(&tls, addr, &bench_user(i), seed::PASSWORD, "idle").await
                })
            })
            .collect();
        let mut streams = Vec::with_capacity(n);
        let mut failed = 0;
        for task in tasks {
            match task.await.expect("a task") {
                Ok(s) => streams.push(s),
                Err(e) => {
                    failed += 1;
                    if failed <= 3 {
                        eprintln!("  idle login failed: {e}");
                    }
                }
            }
        }
        if failed > 0 {
            eprintln!("  {failed} of {n} idle logins failed; memory is per open connection");
        }
        streams
    });
    std::thread::sleep(Duration::from_secs(3));
    let after = rss_kib(t.pid);
    let open = streams.len().max(1);
    rt.block_on(async {
        for s in streams {
            close(s).await;
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    after.saturating_sub(before) as f64 / open as f64
}

/// XMPP → XMPP messages per second: `pairs` senders each sending to its own recipient, up to
/// `window` unreceived at a time, for `duration`.
fn messages(
    rt: &tokio::runtime::Runtime,
    t: &Target,
    pairs: usize,
    window: u64,
    duration: Duration,
) -> (f64, Vec<Duration>) {
    let tls = connector();
    let addr = t.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    // Each message carries its sending time (µs since `epoch`); the recipients note how long
    // it took (under load: the window's queueing included).
    let epoch = Instant::now();
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let (start, received) = rt.block_on(async {
        let mut conns = Vec::new();
        for p in 0..pairs {
            let from = login(&tls, addr, &bench_user(2 * p), seed::PASSWORD, "send")
                .await
                .expect("sender");
            let to = login(&tls, addr, &bench_user(2 * p + 1), seed::PASSWORD, "recv")
                .await
                .expect("recipient");
            conns.push((from, to, bench_user(2 * p + 1)));
        }
        // Let the servers settle the presences (and ejabberd its own presence echoes).
        tokio::time::sleep(Duration::from_secs(1)).await;
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (from, to, to_user) in conns {
            let received = Arc::new(AtomicU64::new(0));
            let (stop1, stop2, total) = (stop.clone(), stop.clone(), total.clone());
            let got = received.clone();
            let (mut to_read, _to_write) = tokio::io::split(to);
            let all_latencies = latencies.clone();
            tasks.push(tokio::spawn(async move {
                let mut chunk = vec![0u8; 16384];
                let mut carry = String::new();
                let mut mine = Vec::new();
                while !stop1.load(Ordering::Relaxed) {
                    let n = match tokio::time::timeout(
                        Duration::from_millis(200),
                        to_read.read(&mut chunk),
                    )
                    .await
                    {
                        Ok(Ok(0)) | Ok(Err(_)) => break,
                        Ok(Ok(n)) => n,
                        Err(_) => continue,
                    };
                    carry.push_str(&String::from_utf8_lossy(&chunk[..n]));
                    let count = carry.matches("</message>").count() as u64;
                    if count > 0 {
                        got.fetch_add(count, Ordering::Relaxed);
                        total.fetch_add(count, Ordering::Relaxed);
                        let last = carry.rfind("</message>").expect("found") + "</message>".len();
                        let now = epoch.elapsed().as_micros() as u64;
                        for sent in carry[..last].split("<body>t:").skip(1) {
                            let digits = sent.split('<').next().unwrap_or_default();
                            if let Ok(at) = digits.parse::<u64>() {
                                mine.push(Duration::from_micros(now.saturating_sub(at)));
                            }
                        }
                        carry.drain(..last);
                    }
                }
                all_latencies.lock().expect("latencies").extend(mine);
            }));
            let (_from_read, mut from_write) = tokio::io::split(from);
            tasks.push(tokio::spawn(async move {
                let mut sent = 0u64;
                while !stop2.load(Ordering::Relaxed) {
                    if sent >= received.load(Ordering::Relaxed) + window {
                        tokio::time::sleep(Duration::from_micros(200)).await;
                        continue;
                    }
                    let stanza = format!(
                        "<message to='{to_user}@{DOMAIN}' type='chat' id='m{sent}'><body>t:{}</body></message>",
                        epoch.elapsed().as_micros()
                    );
                    if from_write.write_all(stanza.as_bytes()).await.is_err() {
                        break;
                    }
                    sent += 1;
                }
            }));
        }
        tokio::time::sleep(duration).await;
        let received = total.load(Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            let _ = task.await;
        }
        (start, received)
    });
    let _ = start;
    let latencies = std::mem::take(&mut *latencies.lock().expect("latencies"));
    (received as f64 / duration.as_secs_f64(), latencies)
}

/// GraphQL `sendMessage` → XMPP receipt latency with `listeners` clients connected.
fn graphql_to_xmpp(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    addr: SocketAddr,
    listeners: usize,
    messages: usize,
) -> (Duration, Duration) {
    let tls = connector();
    let (tx, rx) = std::sync::mpsc::channel::<(usize, u64, Instant)>();
    rt.block_on(async {
        let gate = Arc::new(tokio::sync::Semaphore::new(64));
        let opened = Arc::new(AtomicUsize::new(0));
        for i in 0..listeners {
            let (tls, gate, tx, opened) = (tls.clone(), gate.clone(), tx.clone(), opened.clone());
            tokio::spawn(async move {
                let s = {
                    let _p = gate.acquire().await;
                    login(&tls, addr, &bench_user(i), seed::PASSWORD, "listen")
                        .await
                        .expect("a listener")
                };
                opened.fetch_add(1, Ordering::Relaxed);
                let (mut r, _w) = tokio::io::split(s);
                let mut chunk = vec![0u8; 8192];
                loop {
                    let n = match r.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let now = Instant::now();
                    let text = String::from_utf8_lossy(&chunk[..n]);
                    for part in text.split("seq:").skip(1) {
                        let digits: String =
                            part.chars().take_while(char::is_ascii_digit).collect();
                        if let Ok(seq) = digits.parse() {
                            let _ = tx.send((i, seq, now));
                        }
                    }
                }
            });
        }
        while opened.load(Ordering::Relaxed) < listeners {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    std::thread::sleep(Duration::from_secs(1));
    let sender = server.client("sender@localhost", seed::PASSWORD);
    let mut latencies = Vec::with_capacity(messages);
    for seq in 0..messages as u64 {
        let target = (seq as usize * 7919) % listeners;
        let sent = Instant::now();
        let resp = sender
            .run(mimql_client::user::stanza::send_message(
                None,
                &format!("{}@{DOMAIN}", bench_user(target)),
                &format!("seq:{seq}"),
            ))
            .expect("reachable");
        assert!(resp.errors.is_empty(), "{:?}", resp.errors);
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let (who, s, at) = rx
                .recv_timeout(until.saturating_duration_since(Instant::now()))
                .expect("the message arrives");
            if who == target && s == seq {
                latencies.push(at.duration_since(sent));
                break;
            }
        }
    }
    latencies.sort();
    (percentile(&latencies, 0.5), percentile(&latencies, 0.99))
}

pub struct Figures {
    pub name: String,
    pub logins_cached: f64,
    pub logins_uncached: Option<f64>,
    pub kib_per_idle: f64,
    pub idle: usize,
    pub messages: f64,
    /// XMPP → XMPP: send to receipt under that load, p50 and p99 over every round.
    pub message_latency: Option<(Duration, Duration)>,
    /// The server's RSS after the login phases (first logins hash with argon2), KiB.
    pub rss_after_first_logins: u64,
    pub latency: Option<(Duration, Duration)>,
}

pub struct Settings {
    pub rounds: usize,
    pub duration: Duration,
    pub login_clients: usize,
    pub idle: usize,
    pub pairs: usize,
    pub window: u64,
    pub listeners: usize,
    pub latency_messages: usize,
}

fn measure(
    rt: &tokio::runtime::Runtime,
    t: &Target,
    s: &Settings,
    server: Option<&Server>,
) -> Figures {
    eprintln!("  {}: logins", t.name);
    let mut cached: Vec<f64> = (0..s.rounds)
        .map(|_| {
            logins(
                rt,
                t,
                s.login_clients,
                s.duration,
                |i| bench_user(i % 64),
                usize::MAX,
            )
        })
        .collect();
    let uncached = (t.fresh > 0).then(|| {
        logins(
            rt,
            t,
            s.login_clients,
            s.duration,
            |i| format!("f{i:06}"),
            t.fresh,
        )
    });
    // What the argon2 hashes of the first logins (19 MiB each) left behind.
    let rss_after_first_logins = rss_kib(t.pid);
    eprintln!("  {}: {} idle clients", t.name, s.idle);
    let kib_per_idle = idle_memory(rt, t, s.idle);
    eprintln!("  {}: messages", t.name);
    let mut rates = Vec::new();
    let mut delays = Vec::new();
    for _ in 0..s.rounds {
        let (rate, mut latencies) = messages(rt, t, s.pairs, s.window, s.duration);
        rates.push(rate);
        delays.append(&mut latencies);
    }
    delays.sort_unstable();
    let message_latency =
        (!delays.is_empty()).then(|| (percentile(&delays, 0.5), percentile(&delays, 0.99)));
    let latency = server.map(|server| {
        eprintln!("  {}: GraphQL -> XMPP latency", t.name);
        graphql_to_xmpp(rt, server, t.addr, s.listeners, s.latency_messages)
    });
    Figures {
        name: t.name.to_string(),
        logins_cached: median(&mut cached),
        logins_uncached: uncached,
        kib_per_idle,
        idle: s.idle,
        messages: median(&mut rates),
        message_latency,
        rss_after_first_logins,
        latency,
    }
}

/// A mimql to measure: `VARIANTS` lists several, separated by `;`, each `name|TOML|preload`
/// (TOML appended to the config, `\n` for a new line; a library for `LD_PRELOAD`), e.g.
/// `VARIANTS='uncached|[limits]\naccount_id_cache_entries = 0;cached'`. Default: one, `mimql`.
struct Variant {
    name: String,
    config: String,
    env: Vec<(String, String)>,
}

fn variants() -> Vec<Variant> {
    let spec = std::env::var("VARIANTS").unwrap_or_default();
    let list: Vec<Variant> = spec
        .split(';')
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            let mut parts = v.splitn(3, '|');
            let name = format!("mimql {}", parts.next().unwrap_or_default().trim());
            let config = parts.next().unwrap_or_default().replace("\\n", "\n");
            let env = match parts.next().map(str::trim) {
                Some(lib) if !lib.is_empty() => vec![("LD_PRELOAD".to_string(), lib.to_string())],
                _ => Vec::new(),
            };
            Variant { name, config, env }
        })
        .collect();
    if list.is_empty() {
        return vec![Variant {
            name: "mimql".into(),
            config: String::new(),
            env: Vec::new(),
        }];
    }
    list
}

/// Folds SQLite's write-ahead log into the database file, so that copying the file copies
/// every row.
fn checkpoint(rt: &tokio::runtime::Runtime, url: &str) {
    use sea_orm::ConnectionTrait;
    rt.block_on(async {
        let db = sea_orm::Database::connect(url).await?;
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
        db.close().await
    })
    .expect("the seeded database checkpointed");
}

/// Registers `b000000`.. in ejabberd through its HTTP API (`mod_http_api` `register`).
fn register_ejabberd(api: &str, n: usize) {
    let names: Vec<String> = (0..n).map(bench_user).collect();
    register_ejabberd_users(api, &names);
}

/// Registers `names` (user parts, on `localhost`) in ejabberd through its HTTP API.
pub fn register_ejabberd_users(api: &str, names: &[String]) {
    let agent = ureq::Agent::new_with_defaults();
    for name in names {
        let body = serde_json::json!({"user": name, "host": DOMAIN, "password": seed::PASSWORD});
        let r = agent
            .post(&format!("{api}/register"))
            .header("content-type", "application/json")
            .send(body.to_string());
        match r {
            Ok(_) => {}
            Err(ureq::Error::StatusCode(409)) => {}
            Err(e) => panic!("ejabberd register: {e}"),
        }
    }
}

pub fn run(mimql: &Path, dir: &Path, s: Settings) -> Vec<Figures> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let users = s.idle.max(2 * s.pairs).max(s.listeners).max(64);
    let fresh = std::env::var("FRESH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let db_url = seed::fresh_db(dir, "xmpp", None, &rt);
    let variants = variants();
    let c2s_port = crate::server::free_port();
    let config = |extra: &str| format!("[auth]\ncache_size = {}\n{extra}\n", users + fresh + 100);
    let server = Server::start_env(
        mimql,
        dir,
        "xmpp",
        &db_url,
        &config(&variants[0].config),
        Some(c2s_port),
        &variants[0].env,
    );
    let db = rt
        .block_on(sea_orm::Database::connect(&db_url))
        .expect("the database");
    // The benchmark's users with a cheap hash (logins are cached after the first anyway); the
    // first-login users with the server's own argon2 hash, registered once and copied.
    let mut names: Vec<String> = (0..users).map(bench_user).collect();
    names.push("sender".into());
    seed::users_with_cheap_hash(&db, &rt, &names);
    let fresh_names: Vec<String> = (0..fresh).map(|i| format!("f{i:06}")).collect();
    seed::users(&server, &db, &rt, &fresh_names);
    rt.block_on(db.close()).ok();
    // Each further variant starts from a copy of the seeded database as it was here.
    let seeded = dir.join("xmpp-seeded.db");
    drop(server);
    if variants.len() > 1 {
        checkpoint(&rt, &db_url);
        std::fs::copy(dir.join("xmpp.db"), &seeded).expect("the seeded database copied");
    }
    let mut out = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let name = format!("xmpp-{i}");
        let file = dir.join(format!("{name}.db"));
        let url = match i {
            0 if variants.len() == 1 => db_url.clone(),
            _ => {
                std::fs::copy(&seeded, &file).expect("a copy of the seeded database");
                format!("sqlite://{}?mode=rwc", file.display())
            }
        };
        let port = crate::server::free_port();
        let server = Server::start_env(
            mimql,
            dir,
            &name,
            &url,
            &config(&v.config),
            Some(port),
            &v.env,
        );
        let target = Target {
            name: v.name.clone(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            fresh,
            pid: server.pid(),
        };
        let figures = measure(&rt, &target, &s, Some(&server));
        eprintln!("  {}", crate::xmpp_line(&figures));
        out.push(figures);
        drop(server);
    }
    if let (Ok(addr), Ok(api), Ok(pid)) = (
        std::env::var("EJABBERD"),
        std::env::var("EJABBERD_API"),
        std::env::var("EJABBERD_PID"),
    ) {
        eprintln!("  ejabberd: registering {users} users");
        register_ejabberd(&api, users);
        let target = Target {
            name: "ejabberd".into(),
            addr: addr.parse().expect("EJABBERD is host:port"),
            fresh: 0,
            pid: pid.parse().expect("EJABBERD_PID"),
        };
        out.push(measure(&rt, &target, &s, None));
    }
    out
}
