//! Running and stopping: `/health` reports the database; SIGTERM stops accepting, lets in-flight
//! requests finish within `shutdown_timeout_secs`, ends streams and exits 0; the request log.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_addr, server_with, test_config};
use mimql::config::LogFormat;
use serde_json::Value as Json;

fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).call().expect("server reachable");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap())
}

#[test]
fn health_reports_the_database() {
    let s = server_with(|_| {});
    let ok = (200, r#"{"status":"ok","database":"ok"}"#.to_string());
    assert_eq!(get(&format!("{}/health", s.user_url)), ok);
    assert_eq!(get(&format!("{}/health", s.admin_url)), ok);

    // The node loses its database: its pool is closed under it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(s.state.db().close_by_ref()).unwrap();
    let down = (
        503,
        r#"{"status":"unavailable","database":"unreachable"}"#.to_string(),
    );
    // The last answer is kept for up to a second.
    assert!(common::eventually(5, || get(&format!(
        "{}/health",
        s.user_url
    )) == down));
    assert_eq!(get(&format!("{}/health", s.admin_url)), down);
}

/// However many callers ask, the database is pinged at most once a second.
#[test]
fn health_probes_the_database_at_most_once_a_second() {
    let s = server_with(|_| {});
    let url = format!("{}/health", s.user_url);
    let ok = (200, r#"{"status":"ok","database":"ok"}"#.to_string());
    assert_eq!(get(&url), ok);
    let before = s.state.health.probes();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..25 {
                    assert_eq!(get(&url), ok);
                }
            });
        }
    });
    // One probe per started second at most (the first may have been due already).
    let seconds = started.elapsed().as_secs() + 1;
    let probes = s.state.health.probes() - before;
    assert!(
        probes <= seconds,
        "{probes} probes in {seconds} s for 200 requests"
    );
    // Past the interval the next request probes again.
    std::thread::sleep(mimql::db::Probe::INTERVAL);
    let before = s.state.health.probes();
    assert_eq!(get(&url), ok);
    assert_eq!(s.state.health.probes(), before + 1);
}

#[test]
fn shutdown_ends_streams_first_then_stops_the_listeners() {
    let (config, _dir) = test_config(None);
    let user = TcpListener::bind("127.0.0.1:0").unwrap();
    let admin = TcpListener::bind("127.0.0.1:0").unwrap();
    actix_web::rt::System::new().block_on(async move {
        let running = mimql::server::start(config, Some(user), Some(admin))
            .await
            .unwrap();
        let addrs = [
            running.user_addr,
            running.admin_addr,
            running.metrics_addr.unwrap(),
        ];
        // A long-lived stream, as SSE and WebSocket handlers hold them.
        let token = running.state.shutdown.clone();
        let stream = actix_web::rt::spawn(async move {
            tokio::select! {
                _ = token.cancelled() => "ended cleanly",
                _ = tokio::time::sleep(Duration::from_secs(60)) => "still open",
            }
        });
        // An idle keep-alive connection: it has had its answer and waits for more. (Blocking
        // I/O off this thread, which runs the servers.)
        let user_addr = addrs[0];
        let mut idle = tokio::task::spawn_blocking(move || {
            let mut idle = TcpStream::connect(user_addr).unwrap();
            idle.write_all(b"GET /health HTTP/1.1\r\nHost: mimql\r\n\r\n")
                .unwrap();
            let mut answer = Vec::new();
            let mut chunk = [0u8; 1024];
            while !answer.ends_with(br#"{"status":"ok","database":"ok"}"#) {
                let n = idle.read(&mut chunk).unwrap();
                assert!(n > 0, "{}", String::from_utf8_lossy(&answer));
                answer.extend_from_slice(&chunk[..n]);
            }
            idle
        })
        .await
        .unwrap();
        let mut chunk = [0u8; 16];

        assert!(!running.state.shutdown.is_cancelled());
        let began = Instant::now();
        running.shutdown().await.unwrap();
        assert_eq!(stream.await.unwrap(), "ended cleanly");
        assert!(
            began.elapsed() < Duration::from_secs(2),
            "no request was in progress: an idle connection does not hold the stop ({:?})",
            began.elapsed()
        );
        assert_eq!(
            idle.read(&mut chunk).unwrap_or(0),
            0,
            "idle connection closed"
        );
        for addr in addrs {
            assert!(TcpStream::connect(addr).is_err(), "{addr} still accepts");
        }
    });
}

/// A `mimql serve` child process, killed if the test fails before it exits.
struct Serve {
    child: Child,
    user_addr: SocketAddr,
    admin_addr: SocketAddr,
    stderr: Option<std::thread::JoinHandle<String>>,
    _dir: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn serve(shutdown_timeout_secs: u64) -> Serve {
    serve_with(shutdown_timeout_secs, |_| {})
}

fn serve_with(
    shutdown_timeout_secs: u64,
    modify: impl FnOnce(&mut mimql::config::Config),
) -> Serve {
    let (mut config, db_dir) = test_config(None);
    modify(&mut config);
    let dir = db_dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let (user_addr, admin_addr) = (free_addr(), free_addr());
    config.listen.user.address = user_addr.to_string();
    config.listen.admin.address = admin_addr.to_string();
    config.listen.metrics.enabled = false;
    config.general.shutdown_timeout_secs = shutdown_timeout_secs;
    config.general.log_format = LogFormat::Json;
    config.general.log_level = "warn,mimql=debug".into();
    // Slow clients may take their time: only the shutdown timeout cuts them.
    config.limits.body_timeout_secs = 120;
    let path = dir.path().join("mimql.toml");
    std::fs::write(&path, config.to_toml()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimql"))
        .arg("serve")
        .arg("--config")
        .arg(&path)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mimql binary runs");
    let mut pipe = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut log = String::new();
        pipe.read_to_string(&mut log).ok();
        log
    });
    let serve = Serve {
        child,
        user_addr,
        admin_addr,
        stderr: Some(stderr),
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(user_addr).is_err() || TcpStream::connect(admin_addr).is_err() {
        assert!(Instant::now() < deadline, "mimql serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    serve
}

/// Sends the headers and the first `sent` bytes of a POST of `body`, and no more (yet).
fn slow_request(addr: SocketAddr, body: &str, sent: usize) -> TcpStream {
    let mut conn = TcpStream::connect(addr).unwrap();
    write!(
        conn,
        "POST /api/graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..sent]
    )
    .unwrap();
    conn.flush().unwrap();
    conn
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM");
}

#[test]
fn sigterm_lets_requests_finish_within_the_timeout_and_exits_0() {
    let grace = 3;
    let mut s = serve(grace);
    let body = r#"{"query": "{ checkAuth { authStatus } }"}"#;
    // Two clients in the middle of sending their requests: one will finish, one never will.
    let mut finishing = slow_request(s.user_addr, body, 10);
    let mut stuck = slow_request(s.user_addr, body, 10);
    std::thread::sleep(Duration::from_millis(300));

    sigterm(&s.child);
    let signalled = Instant::now();

    finishing.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    finishing.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with(r#"{"data":{"checkAuth":{"authStatus":"UNAUTHORIZED"}}}"#),
        "{answer}"
    );

    // No new connections, while the stuck request still holds the server.
    let deadline = signalled + Duration::from_secs(2);
    while TcpStream::connect(s.user_addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(TcpStream::connect(s.admin_addr).is_err());
    assert!(
        s.child.try_wait().unwrap().is_none(),
        "exited before the timeout"
    );

    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(grace + 10),
            "still running long after the shutdown timeout"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let waited = signalled.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(
        waited >= Duration::from_millis(grace * 1000 - 500),
        "exited after {waited:?}: did not wait for the in-flight request"
    );
    // The stuck request was cut, without an answer.
    let mut rest = Vec::new();
    let _ = stuck.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));

    let log = s.stderr.take().unwrap().join().unwrap();
    assert_eq!(lines_with(&log, "mimql stopped").len(), 1, "{log}");
    assert_eq!(
        lines_with(
            &log,
            "shutdown timeout: cutting the requests still in progress"
        )[0]["requests"],
        1
    );
    assert!(!log.contains("\"level\":\"ERROR\""), "{log}");
}

#[test]
fn a_second_signal_stops_at_once() {
    let mut s = serve(60);
    let body = r#"{"query": "{ checkAuth { authStatus } }"}"#;
    let _stuck = slow_request(s.user_addr, body, 5);
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&s.child);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        s.child.try_wait().unwrap().is_none(),
        "waits for the request"
    );
    let ok = Command::new("kill")
        .args(["-INT", &s.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let second = Instant::now();
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(second.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        status.code(),
        Some(1),
        "requests were cut: not a clean stop"
    );
    let log = s.stderr.take().unwrap().join().unwrap();
    assert_eq!(
        lines_with(&log, "stopping without waiting for requests").len(),
        1
    );
    assert!(
        log.ends_with("mimql: SIGINT: stopped without waiting for in-flight requests\n"),
        "{log}"
    );
}

/// JSON log lines whose `message` is `message` (a failing command's last line, `mimql: ...`,
/// is not a log line).
fn lines_with(log: &str, message: &str) -> Vec<Json> {
    log.lines()
        .filter(|l| !l.starts_with("mimql: "))
        .map(|l| serde_json::from_str::<Json>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v| v["message"] == message)
        .collect()
}

#[test]
fn one_line_per_request_and_refused_logins_do_not_flood_the_log() {
    // 25 wrong passwords in a row, all verified: more than the failed-login throttle allows.
    let mut s = serve_with(5, |c| c.auth.account_failures = 100);
    let admin = mimql_client::Client::new(&format!("http://{}", s.admin_addr))
        .with_basic_auth("admin", "secret");
    let name = common::unique("logged");
    let password = "correct horse battery staple";
    let resp = admin
        .run(mimql_client::admin::register_user(
            "localhost",
            Some(&name),
            password,
        ))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let jid = format!("{name}@localhost");

    let user = mimql_client::Client::new(&format!("http://{}", s.user_addr));
    let (status, _) = user
        .clone()
        .with_basic_auth(&jid, password)
        .post_raw(
            "application/json",
            br#"{"query": "query WhoAmI { checkAuth { username } }"}"#,
        )
        .unwrap();
    assert_eq!(status, 200);
    for _ in 0..25 {
        let (status, _) = user
            .clone()
            .with_basic_auth(&jid, "guess")
            .post_raw(
                "application/json",
                br#"{"query": "{ checkAuth { username } }"}"#,
            )
            .unwrap();
        assert_eq!(status, 401);
    }
    sigterm(&s.child);
    assert!(s.child.wait().unwrap().success());
    let log = s.stderr.take().unwrap().join().unwrap();

    let requests = lines_with(&log, "graphql request");
    assert_eq!(
        requests.len(),
        27,
        "registration, one good request, 25 refused"
    );
    let good = requests
        .iter()
        .find(|r| r["name"] == "WhoAmI")
        .expect("the named request is logged");
    assert_eq!(good["level"], "DEBUG");
    assert_eq!(good["api"], "user");
    assert_eq!(good["method"], "POST");
    assert_eq!(good["operation"], "query");
    assert_eq!(good["category"], "checkAuth");
    assert_eq!(good["status"], 200);
    assert_eq!(good["code"], "ok");
    assert_eq!(good["domain"], "localhost");
    assert!(good["micros"].as_u64().unwrap() > 0);
    let refused = requests
        .iter()
        .filter(|r| r["code"] == "wrong_credentials" && r["status"] == 401)
        .count();
    assert_eq!(refused, 25);

    let warnings = lines_with(&log, "login refused");
    assert_eq!(warnings.len(), 20, "at most 20 a minute");
    assert_eq!(warnings[0]["level"], "WARN");
    assert_eq!(warnings[0]["user"], jid.as_str());
    assert_eq!(warnings[0]["peer"], "127.0.0.1");

    // Never a password or a credential.
    use base64::Engine;
    for secret in [
        password.to_string(),
        "guess".to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("{jid}:{password}")),
    ] {
        assert!(!log.contains(&secret), "{secret} appears in the log");
    }
}

/// SSE and WebSocket subscriptions end when the server shuts down, so that open streams do not
/// hold the stop until `shutdown_timeout_secs` cuts them.
#[test]
fn shutdown_closes_sse_and_websocket_streams() {
    use mimql_client::sse::{Opened, SseSubscription};
    use mimql_client::ws::{WsConnection, WsEvent, WsProtocol};

    let (config, _dir) = test_config(None);
    let user = TcpListener::bind("127.0.0.1:0").unwrap();
    let admin = TcpListener::bind("127.0.0.1:0").unwrap();
    actix_web::rt::System::new().block_on(async move {
        let running = mimql::server::start(config, Some(user), Some(admin))
            .await
            .unwrap();
        let (user_url, admin_url) = (
            format!("http://{}", running.user_addr),
            format!("http://{}", running.admin_addr),
        );
        // Blocking clients on threads of their own: this thread runs the servers.
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        let streams = std::thread::spawn(move || {
            let admin = mimql_client::Client::new(&admin_url).with_basic_auth("admin", "secret");
            let resp = admin
                .run(mimql_client::admin::register_user(
                    "localhost",
                    Some("stopping"),
                    "pw",
                ))
                .unwrap();
            assert!(resp.errors.is_empty(), "{:?}", resp.errors);
            let c =
                mimql_client::Client::new(&user_url).with_basic_auth("stopping@localhost", "pw");
            let Opened::Stream(mut sse) =
                SseSubscription::open(&c, &mimql_client::user::stanza::subscribe_for_messages())
                    .unwrap()
            else {
                panic!("SSE refused");
            };
            let mut ws = WsConnection::connect(&c, WsProtocol::GraphqlTransportWs, None).unwrap();
            ws.subscribe("1", &mimql_client::user::stanza::subscribe_for_messages())
                .unwrap();
            opened_tx.send(()).unwrap();
            let sse_closed = sse.closed_by_server(Duration::from_secs(20));
            let ws_closed = loop {
                match ws.next(Duration::from_secs(20)) {
                    Ok(Some(WsEvent::Closed { code, .. })) => break Some(code),
                    Ok(Some(_)) => continue,
                    Ok(None) | Err(_) => break None,
                }
            };
            (sse_closed, ws_closed)
        });
        let opened =
            tokio::task::spawn_blocking(move || opened_rx.recv_timeout(Duration::from_secs(30)))
                .await
                .unwrap();
        assert!(opened.is_ok(), "both streams opened");
        // Let the WebSocket subscription register its session.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let began = Instant::now();
        running.shutdown().await.unwrap();
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "open streams did not hold the stop ({:?})",
            began.elapsed()
        );
        let (sse_closed, ws_closed) = tokio::task::spawn_blocking(move || streams.join().unwrap())
            .await
            .unwrap();
        assert!(sse_closed, "the SSE stream was closed by the server");
        assert_eq!(
            ws_closed,
            Some(1001),
            "the WebSocket was closed as going away"
        );
    });
}
