//! Password guessing and the admin listener (issue 19, items 4 and 5): the failed-login
//! throttle per account and per source address, fair hashing between sources, verifications
//! shared by clients presenting the same credential, the admin API's `Host` check and its
//! per-source backoff. Sources are told apart by binding the client socket to other loopback
//! addresses (Linux routes all of 127.0.0.0/8 to `lo`).

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use base64::Engine;
use common::{TestServer, User, eventually, server_with};
use serde_json::{Value as Json, json};

/// The tests read the process-wide hash counter: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .parse()
        .expect("host:port")
}

fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// POSTs `body` to `/api/graphql` at `to` from the loopback address `from`, with `host` as the
/// `Host` header (default: the address), answering (status, JSON body).
fn post_from(
    from: &str,
    to: SocketAddr,
    host: Option<&str>,
    authorization: Option<&str>,
    body: &Json,
) -> (u16, Json) {
    let from: IpAddr = from.parse().unwrap();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::new(from, 0).into())
        .expect("bind a loopback source address");
    socket
        .connect_timeout(&to.into(), Duration::from_secs(30))
        .expect("connect");
    let mut stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let body = body.to_string();
    let host = host.map_or_else(|| to.to_string(), str::to_string);
    let auth = authorization.map_or_else(String::new, |a| format!("Authorization: {a}\r\n"));
    let request = format!(
        "POST /api/graphql HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("a whole response");
    let response = String::from_utf8_lossy(&response);
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {response}"));
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Json::Null))
}

fn check_auth() -> Json {
    json!({"query": "{ checkAuth { username authStatus } }"})
}

/// A login of `user` with `password` from `from`: (status, code of the first error or "").
fn login(s: &TestServer, from: &str, user: &str, password: &str) -> (u16, String) {
    let (status, body) = post_from(
        from,
        addr(&s.user_url),
        None,
        Some(&basic(user, password)),
        &check_auth(),
    );
    if status == 200 {
        assert_eq!(body["data"]["checkAuth"]["authStatus"], "AUTHORIZED");
    }
    (status, common::code(&body).to_string())
}

/// Password hashes this process computed so far (`mimql_password_hashes_total`, every kind).
fn hashes(s: &TestServer) -> u64 {
    let url = format!(
        "{}/metrics",
        s.metrics_url.as_ref().expect("metrics listener")
    );
    let text = ureq::get(&url)
        .call()
        .expect("metrics")
        .into_body()
        .read_to_string()
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("mimql_password_hashes_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// `n` concurrent logins of `user` from `from`, each with its own wrong password; answers
/// their statuses once all have ended. `started` is passed once every one has been sent off.
fn flood(
    s: &TestServer,
    from: &'static str,
    user: &str,
    n: usize,
) -> (Arc<Barrier>, std::thread::JoinHandle<Vec<u16>>) {
    let started = Arc::new(Barrier::new(n + 1));
    let to = addr(&s.user_url);
    let user = user.to_string();
    let gate = started.clone();
    let handle = std::thread::spawn(move || {
        let threads: Vec<_> = (0..n)
            .map(|i| {
                let (gate, user) = (gate.clone(), user.clone());
                std::thread::spawn(move || {
                    gate.wait();
                    let auth = basic(&user, &format!("guess {i}"));
                    post_from(from, to, None, Some(&auth), &check_auth()).0
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    (started, handle)
}

/// While 200 wrong passwords for alice arrive at once from one address, bob's first login
/// from another succeeds; the account is then throttled, the right password included and
/// without a hash, until one refill interval has passed.
#[test]
fn a_guessing_flood_is_throttled_without_locking_out_others() {
    let _serial = serial();
    let s = server_with(|c| {
        c.auth.account_failures = 10;
        c.auth.account_refill_secs = 3;
    });
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");

    let (started, attack) = flood(&s, "127.0.0.1", &alice.jid, 200);
    started.wait();
    assert_eq!(
        login(&s, "127.0.0.2", &bob.jid, &bob.password),
        (200, String::new()),
        "bob's uncached login from elsewhere"
    );
    let statuses = attack.join().unwrap();
    let wrong = statuses.iter().filter(|&&s| s == 401).count();
    let throttled = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(wrong + throttled, 200, "{statuses:?}");
    assert!(wrong >= 10, "the burst is verified: {wrong}");
    assert!(throttled >= 150, "the rest is refused: {throttled}");

    // From a third address: the account is what is throttled. No hash for a refused attempt.
    let before = hashes(&s);
    let (status, code) = login(&s, "127.0.0.3", &alice.jid, &alice.password);
    assert_eq!((status, code.as_str()), (429, "too_many_attempts"));
    assert_eq!(hashes(&s), before, "a throttled attempt computes no hash");

    // After one refill interval (3 s) the right password works again.
    assert!(
        eventually(30, || login(&s, "127.0.0.3", &alice.jid, &alice.password).0
            == 200),
        "alice logs in again"
    );
    // A success forgets the account's failures: a wrong password is verified again.
    assert_eq!(
        login(&s, "127.0.0.3", &alice.jid, "wrong"),
        (401, "wrong_credentials".to_string())
    );
}

/// Hashing is fair between sources: with one hash slot and the throttle off, 200 wrong
/// passwords from one address would keep every other login waiting past `max_hash_wait_ms`
/// (503 `server_busy`) if the slot were served first come, first served.
#[test]
fn one_source_cannot_hold_every_hash_slot() {
    let _serial = serial();
    let s = server_with(|c| {
        c.auth.account_failures = 0;
        c.auth.source_failures = 0;
        c.auth.max_concurrent_hashes = 1;
        c.auth.max_hashes_per_source = 1;
    });
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let (started, attack) = flood(&s, "127.0.0.1", &alice.jid, 200);
    started.wait();
    // Wait until the flood holds the slot and queues behind it.
    assert!(eventually(30, || {
        let url = format!("{}/metrics", s.metrics_url.as_ref().unwrap());
        let text = ureq::get(&url)
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap();
        text.lines()
            .any(|l| l.starts_with("mimql_password_hashes_running ") && !l.ends_with(" 0"))
    }));
    assert_eq!(
        login(&s, "127.0.0.2", &bob.jid, &bob.password),
        (200, String::new()),
        "bob's uncached login queues behind one of the flood's hashes, not all of them"
    );
    let statuses = attack.join().unwrap();
    assert!(
        statuses.iter().all(|&s| s == 401 || s == 503),
        "{statuses:?}"
    );
}

/// Several clients logging in at once with the right, uncached password are never refused,
/// and share one verification.
#[test]
fn concurrent_first_logins_share_one_verification() {
    let _serial = serial();
    let s = server_with(|c| c.auth.account_failures = 1);
    let carol = s.new_user("carol");
    let before = hashes(&s);
    let gate = Arc::new(Barrier::new(20));
    let to = addr(&s.user_url);
    let threads: Vec<_> = (0..20)
        .map(|_| {
            let (gate, carol) = (gate.clone(), carol.clone());
            std::thread::spawn(move || {
                gate.wait();
                let auth = basic(&carol.jid, &carol.password);
                post_from("127.0.0.1", to, None, Some(&auth), &check_auth()).0
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
    assert_eq!(hashes(&s) - before, 1, "one hash for twenty logins");
}

fn register(name: &str) -> Json {
    json!({
        "query": "mutation($n: UserName) { account { registerUser(domain: \"localhost\", username: $n, password: \"pw\") { jid } } }",
        "variables": {"n": name},
    })
}

fn exists(s: &TestServer, name: &str) -> bool {
    let resp = s
        .admin()
        .run(mimql_client::admin::check_user(&format!(
            "{name}@localhost"
        )))
        .unwrap();
    resp.data
        .unwrap()
        .account
        .unwrap()
        .check_user
        .unwrap()
        .exist
}

/// DNS rebinding: a request that names another host gets 421 and changes nothing; loopback
/// addresses, `localhost` and configured names are served. The user API does not check.
#[test]
fn the_admin_api_answers_only_its_own_hosts() {
    let _serial = serial();
    let s = server_with(|c| c.listen.admin.allowed_hosts = vec!["admin.internal".into()]);
    let to = addr(&s.admin_url);
    let port = to.port();
    let admin = basic("admin", "secret");

    for host in ["evil.example", &format!("evil.example:{port}"), "10.1.2.3"] {
        let name = common::unique("rebound");
        let (status, body) = post_from("127.0.0.1", to, Some(host), Some(&admin), &register(&name));
        assert_eq!(status, 421, "{host}: {body}");
        assert_eq!(common::code(&body), "host_not_allowed");
        assert!(!exists(&s, &name), "nothing registered through {host}");
    }
    for host in [
        format!("127.0.0.1:{port}"),
        "localhost".to_string(),
        format!("LOCALHOST:{port}"),
        format!("[::1]:{port}"),
        format!("admin.internal:{port}"),
    ] {
        let name = common::unique("served");
        let (status, body) =
            post_from("127.0.0.1", to, Some(&host), Some(&admin), &register(&name));
        assert_eq!(status, 200, "{host}: {body}");
        assert!(exists(&s, &name), "registered through {host}");
    }

    let user = s.new_user("public");
    let (status, body) = post_from(
        "127.0.0.1",
        addr(&s.user_url),
        Some("chat.example.com"),
        Some(&basic(&user.jid, &user.password)),
        &check_auth(),
    );
    assert_eq!(status, 200, "the user API serves any name: {body}");
}

/// The admin API's failures are counted per source: a guesser at one address is refused
/// (429) after its burst while the admin at another is served at once.
#[test]
fn admin_guessing_elsewhere_does_not_delay_the_admin() {
    let _serial = serial();
    let s = server_with(|c| {
        c.auth.source_failures = 3;
        c.auth.source_refill_secs = 600;
        c.auth.throttle_loopback = true;
    });
    let to = addr(&s.admin_url);
    let query = json!({"query": "{ checkAuth { authStatus } }"});
    let guesses: Vec<(u16, String)> = (0..6)
        .map(|i| {
            let (status, body) = post_from(
                "127.0.0.2",
                to,
                None,
                Some(&basic("admin", &format!("guess {i}"))),
                &query,
            );
            (status, common::code(&body).to_string())
        })
        .collect();
    let expected: Vec<(u16, String)> = [401, 401, 401, 429, 429, 429]
        .into_iter()
        .map(|st| {
            let code = if st == 401 {
                "wrong_credentials"
            } else {
                "too_many_attempts"
            };
            (st, code.to_string())
        })
        .collect();
    assert_eq!(guesses, expected);
    // The guesser's address stays throttled, the right password included.
    let (status, _) = post_from(
        "127.0.0.2",
        to,
        None,
        Some(&basic("admin", "secret")),
        &query,
    );
    assert_eq!(status, 429);
    // The admin elsewhere is not.
    let (status, body) = post_from(
        "127.0.0.1",
        to,
        None,
        Some(&basic("admin", "secret")),
        &query,
    );
    assert_eq!(
        (status, &body["data"]["checkAuth"]["authStatus"]),
        (200, &json!("AUTHORIZED"))
    );
    // Users at the guesser's address are throttled too (the address's bucket is shared);
    // elsewhere they are not.
    let user: User = s.new_user("neighbour");
    assert_eq!(login(&s, "127.0.0.2", &user.jid, &user.password).0, 429);
    assert_eq!(login(&s, "127.0.0.1", &user.jid, &user.password).0, 200);
}
