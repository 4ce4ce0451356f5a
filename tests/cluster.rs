//! Several nodes serving as one: three servers on one PostgreSQL database and a NATS server of
//! this test's own (so stopping it disturbs nobody). Runs on PostgreSQL only — `[cluster]`
//! requires it: the database of `MIMQL_TEST_DATABASE_URL`, or a fresh one on the local
//! PostgreSQL (`postgres://postgres@127.0.0.1:5432`).

mod common;
mod xmpp;

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{TestServer, User, eventually, free_port, ok, send, sessions, start_on, unique};
use mimql::config::Cluster;
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::roster::{self as groster, SubAction};
use mimql_client::user::stanza::{self, SubscribeForMessages};
use mimql_client::ws::{WsConnection, WsEvent, WsProtocol};

const WAIT: Duration = Duration::from_secs(10);
/// Heartbeat and TTL of the test clusters: a dead node's sessions vanish within 3 s.
const HEARTBEAT: u64 = 1;
const TTL: u64 = 3;

/// A `nats-server` of the test's own, stopped when dropped.
pub struct Nats {
    child: Option<Child>,
    pub port: u16,
}

impl Nats {
    fn start(port: u16) -> Nats {
        Nats::start_with(port, &[])
    }

    /// With more `nats-server` arguments (`--auth`, `--tls`...).
    fn start_with(port: u16, extra: &[&str]) -> Nats {
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server is installed (Debian package nats-server)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Nats {
            child: Some(child),
            port,
        }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The shared database: the test database, or a fresh one on the local PostgreSQL.
fn database() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Some(url) = std::env::var("MIMQL_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            return url;
        }
        let base = "postgres://postgres@127.0.0.1:5432";
        let name = format!(
            "mimql_cluster_{}_{:x}",
            std::process::id(),
            rand::random::<u32>()
        );
        // On a thread of its own: the first test to get here may be running on a runtime.
        let create = format!("CREATE DATABASE {name}");
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sea_orm::ConnectionTrait;
                let admin = sea_orm::Database::connect(format!("{base}/postgres"))
                    .await
                    .expect("PostgreSQL on 127.0.0.1:5432 (cluster tests need it)");
                admin.execute_unprepared(&create).await.unwrap();
            });
        })
        .join()
        .expect("the cluster database is created");
        format!("{base}/{name}")
    })
}

fn node(name: &str, nats: &str) -> TestServer {
    node_with(name, nats, Cluster::default())
}

/// A node with more `[cluster]` settings (NATS authentication, TLS).
fn node_with(name: &str, nats: &str, settings: Cluster) -> TestServer {
    let nats = nats.to_string();
    let name = format!("{name}-{}", std::process::id());
    start_on(Some(database()), move |c| {
        c.cluster = Some(Cluster {
            nats_url: nats,
            node: name,
            heartbeat_secs: HEARTBEAT,
            session_ttl_secs: TTL,
            ..settings
        });
    })
}

/// Three nodes on one NATS server of their own.
struct Three {
    _nats: Nats,
    nodes: [TestServer; 3],
}

fn three() -> &'static Three {
    static NODES: OnceLock<Three> = OnceLock::new();
    NODES.get_or_init(|| {
        let nats = Nats::start(free_port());
        let url = nats.url();
        let nodes = [node("a", &url), node("b", &url), node("c", &url)];
        Three { _nats: nats, nodes }
    })
}

fn open_sse(c: &mimql_client::Client) -> SseSubscription {
    match SseSubscription::open(c, &stanza::subscribe_for_messages()).unwrap() {
        Opened::Stream(s) => s,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    }
}

fn body_of(resp: mimql_client::Response<SubscribeForMessages>) -> String {
    resp.data
        .and_then(|d| d.message().cloned())
        .and_then(|m| m.stanza)
        .map(|s| s.0)
        .unwrap_or_default()
}

#[test]
fn a_message_sent_on_one_node_arrives_live_on_the_others() {
    let t = three();
    let [a, b, c] = &t.nodes;
    let alice = a.new_user("cla");
    let bob = a.new_user("clb");
    let mut sse = open_sse(&b.client(&bob));
    let mut ws =
        WsConnection::connect(&c.client(&bob), WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.subscribe("1", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(eventually(10, || sessions(&a.client(&bob)).count_resources == Some(2)));
    for i in 0..5 {
        send(&a.client(&alice), &bob.jid, &format!("cross {i}"));
    }
    // In order, on both nodes.
    for i in 0..5 {
        let got = body_of(
            sse.next::<SubscribeForMessages>(WAIT)
                .unwrap()
                .expect("SSE event"),
        );
        assert!(got.contains(&format!("cross {i}")), "{got}");
        match ws.next(WAIT).unwrap().expect("WebSocket event") {
            WsEvent::Next { payload, .. } => {
                let s = payload["data"]["stanza"]["subscribeForMessages"]["stanza"]
                    .as_str()
                    .unwrap();
                assert!(s.contains(&format!("cross {i}")), "{s}");
            }
            other => panic!("{other:?}"),
        }
    }
    // Both copies are archived, whichever node reads them.
    assert_eq!(
        common::archive(&c.client(&bob), None, None, None).0.len(),
        5
    );
}

#[test]
fn every_node_lists_every_node_s_sessions() {
    let t = three();
    let [a, b, c] = &t.nodes;
    let bob = a.new_user("clsess");
    let _s1 = open_sse(&b.client(&bob));
    let _s2 = open_sse(&c.client(&bob));
    assert!(eventually(10, || sessions(&a.client(&bob)).count_resources == Some(2)));
    let lists: Vec<Vec<(String, String)>> = t
        .nodes
        .iter()
        .map(|n| {
            let mut v: Vec<(String, String)> = sessions(&n.client(&bob))
                .list_sessions
                .unwrap()
                .into_iter()
                .map(|s| (s.user.0, s.node.unwrap()))
                .collect();
            v.sort();
            v
        })
        .collect();
    assert_eq!(lists[0], lists[1]);
    assert_eq!(lists[1], lists[2]);
    let nodes: Vec<&str> = lists[0].iter().map(|(_, n)| n.as_str()).collect();
    assert!(
        nodes[0].starts_with('b') || nodes[1].starts_with('b'),
        "{nodes:?}"
    );
    assert!(nodes.iter().any(|n| n.starts_with('c')), "{nodes:?}");
}

#[test]
fn a_bare_jid_message_goes_to_the_best_sessions_cluster_wide() {
    let t = three();
    let [a, b, c] = &t.nodes;
    let (alice, bob) = (a.new_user("clprio"), a.new_user("clprio2"));
    let mut on_b = open_sse(&b.client(&bob));
    let mut on_c = open_sse(&c.client(&bob));
    assert!(eventually(10, || sessions(&a.client(&bob)).count_resources == Some(2)));
    send(&a.client(&alice), &bob.jid, "to all");
    assert!(on_b.next::<SubscribeForMessages>(WAIT).unwrap().is_some());
    assert!(on_c.next::<SubscribeForMessages>(WAIT).unwrap().is_some());
    // To one session's full JID: only that node's stream.
    let resource = sessions(&a.client(&bob))
        .list_sessions
        .unwrap()
        .into_iter()
        .find(|s| s.node.as_deref().is_some_and(|n| n.starts_with('c')))
        .unwrap()
        .user
        .0;
    send(&a.client(&alice), &resource, "only c");
    assert!(body_of(on_c.next::<SubscribeForMessages>(WAIT).unwrap().unwrap()).contains("only c"));
    assert!(
        on_b.next::<SubscribeForMessages>(Duration::from_secs(1))
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_password_change_on_one_node_refuses_the_old_password_on_the_others() {
    let t = three();
    let [a, b, _] = &t.nodes;
    let alice = a.new_user("clpw");
    // Cached on b.
    assert_eq!(
        common::check_auth(&b.client(&alice)).auth_status,
        Some(mimql_client::user::AuthStatus::Authorized)
    );
    let resp = a
        .client(&alice)
        .run(mimql_client::user::account::change_password("n3w-password"))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert!(
        eventually(2, || {
            b.client(&alice)
                .run(mimql_client::user::check_auth())
                .map(|r| r.status == 401)
                .unwrap_or(false)
        }),
        "the old password still works on the other node"
    );
    let renewed = User {
        jid: alice.jid.clone(),
        password: "n3w-password".into(),
    };
    assert_eq!(
        common::check_auth(&b.client(&renewed)).auth_status,
        Some(mimql_client::user::AuthStatus::Authorized)
    );
}

#[test]
fn removing_an_account_on_one_node_closes_its_streams_on_the_others() {
    let t = three();
    let [a, b, _] = &t.nodes;
    let bob = a.new_user("clrm");
    let mut sse = open_sse(&b.client(&bob));
    let resp = a
        .client(&bob)
        .run(mimql_client::user::account::unregister())
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert!(sse.closed_by_server(WAIT));
}

/// Node b keeps bob's account id once it has routed a message to him; the removal of bob's
/// account on node a and its registration again make b forget it (announced with the
/// forgotten credentials), so b's messages to bob go to the new account, never the old one's
/// id.
#[test]
fn messages_to_an_account_removed_and_registered_again_on_another_node_reach_the_new_one() {
    let t = three();
    let [a, b, _] = &t.nodes;
    let (alice, bob) = (a.new_user("clid-a"), a.new_user("clid-b"));
    let from_b = b.client(&alice);
    common::send(&from_b, &bob.jid, "to the old account");
    let resp = a
        .client(&bob)
        .run(mimql_client::user::account::unregister())
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    a.register_again(&bob.jid, "pw2");
    // Until b hears of the removal a message may fail (never lands under the old id).
    assert!(
        eventually(5, || {
            from_b
                .run(stanza::send_message(None, &bob.jid, "to the new account"))
                .map(|r| r.errors.is_empty())
                .unwrap_or(false)
        }),
        "node b never routed to the new account"
    );
    let new_bob = User {
        jid: bob.jid.clone(),
        password: "pw2".into(),
    };
    let archived: Vec<String> = common::archive(&a.client(&new_bob), Some(&alice.jid), None, None)
        .0
        .into_iter()
        .map(|m| m.stanza.expect("a stanza").0)
        .collect();
    assert!(!archived.is_empty());
    assert!(
        archived.iter().all(|m| m.contains("to the new account")),
        "{archived:?}"
    );
}

#[test]
fn muc_light_messages_reach_occupants_on_every_node() {
    use mimql_client::user::muc_light;
    let t = three();
    let [a, b, c] = &t.nodes;
    let (alice, bob) = (a.new_user("clroom"), a.new_user("clroom2"));
    let created = a
        .client(&alice)
        .run(muc_light::create_room(
            "muclight.localhost",
            Some("cross"),
            None,
            None,
            &[],
        ))
        .unwrap()
        .into_data()
        .expect("createRoom");
    let room = created.room().unwrap().jid.0.clone();
    let resp = b
        .client(&alice)
        .run(muc_light::invite_user(&room, &bob.jid))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let mut on_c = open_sse(&c.client(&bob));
    let mut on_a = open_sse(&a.client(&alice));
    let resp = b
        .client(&alice)
        .run(muc_light::send_message_to_room(&room, "hello room"))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    for sub in [&mut on_c, &mut on_a] {
        let mut found = false;
        let deadline = Instant::now() + WAIT;
        while !found && Instant::now() < deadline {
            if let Some(r) = sub
                .next::<SubscribeForMessages>(Duration::from_secs(1))
                .unwrap()
            {
                found = body_of(r).contains("hello room");
            }
        }
        assert!(found, "the room message reached the occupant");
    }
}

#[test]
fn muc_rooms_work_from_every_node() {
    use mimql_client::user::muc;
    let t = three();
    let [a, b, c] = &t.nodes;
    let (alice, bob) = (a.new_user("clmuc"), a.new_user("clmuc2"));
    let room = format!("{}@muc.localhost", unique("clroom"));
    // Created on one node, entered on another, the message sent from the third.
    let resp = a
        .client(&alice)
        .run(muc::create_instant_room(&room, "Al"))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let resp = c
        .client(&bob)
        .run(muc::enter_room(&room, "Bob", "desk", None))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let mut on_c = open_sse(&c.client(&bob));
    let mut on_a = open_sse(&a.client(&alice));
    let resp = b
        .client(&alice)
        .run(muc::send_message_to_room(&room, "hello muc", None))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    for sub in [&mut on_c, &mut on_a] {
        let mut found = false;
        let deadline = Instant::now() + WAIT;
        while !found && Instant::now() < deadline {
            if let Some(r) = sub
                .next::<SubscribeForMessages>(Duration::from_secs(1))
                .unwrap()
            {
                found = body_of(r).contains("hello muc");
            }
        }
        assert!(found, "the room message reached the occupant");
    }
}

/// A node process of its own (to kill with SIGKILL, or with metrics of its own), on `nats`;
/// its user API URL and its metrics URL.
fn spawn_node(dir: &std::path::Path, name: &str, nats: &str) -> (Child, String, String) {
    let (config, user_port, metrics_port) = node_config(dir, name, nats, "");
    let child = Command::new(env!("CARGO_BIN_EXE_mimql"))
        .args(["serve", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{user_port}");
    let probe = mimql_client::Client::new(&url).with_timeout(Duration::from_secs(2));
    let deadline = Instant::now() + Duration::from_secs(60);
    while probe.run(mimql_client::user::check_auth()).is_err() {
        assert!(Instant::now() < deadline, "node {name} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (
        child,
        url,
        format!("http://127.0.0.1:{metrics_port}/metrics"),
    )
}

/// A node's config file (`extra`: more `[cluster]` lines); its path, user and metrics ports.
/// XMPP clients are off.
fn node_config(
    dir: &std::path::Path,
    name: &str,
    nats: &str,
    extra: &str,
) -> (std::path::PathBuf, u16, u16) {
    node_config_with(dir, name, nats, extra, "[listen.c2s]\nenabled = false\n")
}

/// A node's config file with its own `[listen.c2s]` section.
fn node_config_with(
    dir: &std::path::Path,
    name: &str,
    nats: &str,
    extra: &str,
    c2s: &str,
) -> (std::path::PathBuf, u16, u16) {
    let (user_port, admin_port, metrics_port) = (free_port(), free_port(), free_port());
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(
        &config,
        format!(
            "[general]\nhosts = [\"localhost\", \"example.com\", \"listing.test\"]\nlog_level = \"error\"\n\
             [database]\nurl = \"{}\"\npool_size = 4\n\
             [listen.user]\naddress = \"127.0.0.1:{user_port}\"\n\
             [listen.admin]\naddress = \"127.0.0.1:{admin_port}\"\npassword = \"secret\"\n\
             [listen.metrics]\naddress = \"127.0.0.1:{metrics_port}\"\n\
             {c2s}\
             [modules.mod_http_upload]\nlocal.directory = \"{}\"\n\
             [cluster]\nnats_url = \"{nats}\"\nnode = \"{name}\"\nheartbeat_secs = {HEARTBEAT}\nsession_ttl_secs = {TTL}\n{extra}",
            database(),
            dir.join(format!("{name}-uploads")).display()
        ),
    )
    .unwrap();
    (config, user_port, metrics_port)
}

#[test]
fn a_killed_node_s_sessions_vanish_and_its_users_still_get_their_messages() {
    let t = three();
    let a = &t.nodes[0];
    let dir = tempfile::tempdir().unwrap();
    let nats = format!("nats://127.0.0.1:{}", t._nats.port);
    let name = unique("doomed");
    let (mut child, url, _) = spawn_node(dir.path(), &name, &nats);
    let (alice, bob) = (a.new_user("clkill"), a.new_user("clkill2"));
    let bob_there = mimql_client::Client::new(&url).with_basic_auth(&bob.jid, &bob.password);
    let _sub = open_sse(&bob_there);
    assert!(eventually(10, || sessions(&a.client(&bob)).count_resources == Some(1)));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        eventually(TTL + 5, || sessions(&a.client(&bob)).count_resources
            == Some(0)),
        "the dead node's session is gone within the TTL"
    );
    let id = send(&a.client(&alice), &bob.jid, "while you were dead");
    assert_eq!(id.len(), 16);
    let got = common::archive(&a.client(&bob), None, None, None).0;
    assert!(
        got.iter()
            .any(|m| m.stanza.as_ref().unwrap().0.contains(&id))
    );
}

#[test]
fn nodes_reconnect_when_nats_restarts_and_nothing_acknowledged_is_lost() {
    // A cluster of its own, so that stopping NATS disturbs no other test.
    let port = free_port();
    let mut nats = Nats::start(port);
    let url = nats.url();
    let (a, b) = (node("ra", &url), node("rb", &url));
    let (alice, bob) = (a.new_user("clnats"), a.new_user("clnats2"));
    let mut acked = Vec::new();
    let mut sse = open_sse(&b.client(&bob));
    acked.push(send(&a.client(&alice), &bob.jid, "before"));
    assert!(sse.next::<SubscribeForMessages>(WAIT).unwrap().is_some());
    nats.stop();
    // NATS is down: messages are still acknowledged and archived.
    for i in 0..5 {
        acked.push(send(&a.client(&alice), &bob.jid, &format!("during {i}")));
    }
    let _nats = Nats::start(port);
    // Delivery resumes by itself once the nodes have reconnected.
    let resumed = eventually(30, || {
        let id = send(&a.client(&alice), &bob.jid, "after");
        acked.push(id.clone());
        let mut seen = false;
        while let Ok(Some(r)) = sse.next::<SubscribeForMessages>(Duration::from_millis(500)) {
            seen |= body_of(r).contains(&id);
        }
        seen
    });
    assert!(resumed, "live delivery resumed after NATS came back");
    let archived: Vec<String> = common::archive(&b.client(&bob), None, Some(50), None)
        .0
        .into_iter()
        .map(|m| m.stanza.unwrap().0)
        .collect();
    for id in &acked {
        assert!(
            archived.iter().any(|s| s.contains(id.as_str())),
            "{id} missing"
        );
    }
}

/// A spawned node, killed when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// A message sent on `a` arrives live at a stream on `b`.
fn assert_cross_delivery(a: &TestServer, b: &TestServer, prefix: &str) {
    let alice = a.new_user(prefix);
    let bob = a.new_user(&format!("{prefix}2"));
    let mut sse = open_sse(&b.client(&bob));
    assert!(eventually(10, || sessions(&a.client(&bob)).count_resources == Some(1)));
    let id = send(&a.client(&alice), &bob.jid, "across");
    let got = body_of(
        sse.next::<SubscribeForMessages>(WAIT)
            .unwrap()
            .expect("SSE event"),
    );
    assert!(got.contains(&id), "{got}");
}

/// Starts `mimql serve` with `extra` `[cluster]` lines, expecting it to stop; its stderr.
fn failed_start(dir: &std::path::Path, nats: &str, extra: &str) -> String {
    let (config, ..) = node_config(dir, &unique("refused"), nats, extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimql"))
        .args(["serve", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("the node started");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_nats_server_that_requires_a_token_admits_only_nodes_with_it() {
    let nats = Nats::start_with(free_port(), &["--auth", "the-cluster-token"]);
    let url = nats.url();
    let with_token = || Cluster {
        token: Some("the-cluster-token".into()),
        ..Cluster::default()
    };
    let (a, b) = (
        node_with("tka", &url, with_token()),
        node_with("tkb", &url, with_token()),
    );
    assert_cross_delivery(&a, &b, "cltok");
    let dir = tempfile::tempdir().unwrap();
    for extra in ["", "token = \"not-the-token\"\n"] {
        let err = failed_start(dir.path(), &url, extra);
        assert!(
            err.contains("cannot connect to NATS") && err.contains("authorization violation"),
            "{err}"
        );
    }
}

/// A CA and a certificate for 127.0.0.1 signed by it, in `dir`: (ca.pem, server.pem, server.key).
fn test_pki(dir: &std::path::Path) -> [std::path::PathBuf; 3] {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl is installed");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    openssl(
        &[
            &[
                "req",
                "-x509",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=mimql test CA",
            ][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.pem"],
            &["-addext", "basicConstraints=critical,CA:TRUE"],
            &["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req", "-new", "-nodes", "-subj", "/CN=127.0.0.1"][..],
            &ec,
            &["-keyout", "server.key", "-out", "server.csr"],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-days",
        "1",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
    ["ca.pem", "server.pem", "server.key"].map(|f| dir.join(f))
}

#[test]
fn nodes_reach_nats_over_tls_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let [ca, cert, key] = test_pki(dir.path());
    let port = free_port();
    let _nats = Nats::start_with(
        port,
        &[
            "--tls",
            "--tlscert",
            cert.to_str().unwrap(),
            "--tlskey",
            key.to_str().unwrap(),
        ],
    );
    let url = format!("tls://127.0.0.1:{port}");
    let with_ca = || Cluster {
        tls_ca_file: Some(ca.clone()),
        tls_required: true,
        ..Cluster::default()
    };
    let (a, b) = (
        node_with("tlsa", &url, with_ca()),
        node_with("tlsb", &url, with_ca()),
    );
    assert_cross_delivery(&a, &b, "cltls");
    // Without the CA the server's certificate is not trusted: a clear error, no panic.
    let err = failed_start(dir.path(), &url, "");
    assert!(err.contains("cannot connect to NATS"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The value of one sample (`name{labels}` exactly as rendered) at a metrics URL; 0 if absent.
fn sample(metrics_url: &str, series: &str) -> f64 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let text = agent
        .get(metrics_url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn forged_and_replayed_cluster_messages_are_dropped_and_counted() {
    use futures_util::StreamExt;
    let t = three();
    let a = &t.nodes[0];
    let nats = t._nats.url();
    // The target node is a process of its own, so its metrics count only what this test does.
    let dir = tempfile::tempdir().unwrap();
    let (child, url, metrics) = spawn_node(dir.path(), &unique("target"), &nats);
    let _node = KillOnDrop(child);
    let (alice, bob) = (a.new_user("clforge"), a.new_user("clforge2"));
    let bob_there = mimql_client::Client::new(&url).with_basic_auth(&bob.jid, &bob.password);
    let mut sse = open_sse(&bob_there);
    assert!(eventually(10, || sessions(&a.client(&bob)).count_resources == Some(1)));

    // The attacker: anyone who can connect to NATS, listening on Bob's subject.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let attacker = rt.block_on(async_nats::connect(nats.as_str())).unwrap();
    let subject = format!("mimql.user.{}", &mimql_entities::key_hash(&bob.jid)[..32]);
    let mut sniffed = rt.block_on(attacker.subscribe(subject.clone())).unwrap();
    rt.block_on(attacker.flush()).unwrap();
    let id = send(&a.client(&alice), &bob.jid, "genuine");
    let got = body_of(sse.next::<SubscribeForMessages>(WAIT).unwrap().unwrap());
    assert!(got.contains(&id), "{got}");
    let captured = rt
        .block_on(async { tokio::time::timeout(WAIT, sniffed.next()).await })
        .unwrap()
        .unwrap()
        .payload;
    let captured = String::from_utf8(captured.to_vec()).unwrap();
    // Signed, not encrypted: whoever reads NATS reads the stanza (TLS is what hides it).
    assert!(captured.contains("genuine"), "{captured}");
    // `<key id>.<signature>.<body>`
    let body = captured.splitn(3, '.').nth(2).expect("a signed message");
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    let mut unsigned = body["m"].clone();
    unsigned["sender"] = "admin@localhost".into();
    unsigned["stanza"] = unsigned["stanza"]
        .as_str()
        .unwrap()
        .replace("genuine", "forged")
        .into();

    // Warm Bob's cached credentials on the target, then count cache misses from here on.
    bob_there.run(mimql_client::user::check_auth()).unwrap();
    let cache_misses = || {
        sample(
            &metrics,
            r#"mimql_credential_cache_lookups_total{result="miss"}"#,
        ) + sample(
            &metrics,
            r#"mimql_credential_cache_lookups_total{result="stale"}"#,
        )
    };
    let misses = cache_misses();

    let forged: Vec<(String, String)> = vec![
        // Replayed verbatim.
        (subject.clone(), captured.clone()),
        // Tampered under the captured signature.
        (subject.clone(), captured.replace("genuine", "tampered")),
        // The old unsigned format: a delivery to Bob's live session, and closing his sessions.
        (subject.clone(), unsigned.to_string()),
        (subject.clone(), r#"{"t":"close"}"#.to_string()),
        // Forgetting Bob's credentials, unsigned and with a made-up key.
        ("mimql.auth".into(), bob.jid.clone()),
        (
            "mimql.auth".into(),
            format!(
                "0123456789abcdef.{}.{{\"ts\":{},\"n\":1,\"m\":\"{}\"}}",
                "0".repeat(64),
                jiff::Timestamp::now().as_microsecond(),
                bob.jid
            ),
        ),
    ];
    rt.block_on(async {
        for (subject, payload) in forged {
            attacker
                .publish(subject, payload.into_bytes().into())
                .await
                .unwrap();
        }
        attacker.flush().await.unwrap();
    });
    let rejected = |reason: &str| {
        sample(
            &metrics,
            &format!(r#"mimql_cluster_messages_rejected_total{{reason="{reason}"}}"#),
        )
    };
    assert!(
        eventually(10, || rejected("signature") == 5.0
            && rejected("replay") == 1.0),
        "signature {}, replay {}",
        rejected("signature"),
        rejected("replay")
    );
    // Nothing forged was delivered, the stream is still open, the credentials still cached.
    let id = send(&a.client(&alice), &bob.jid, "after");
    let got = body_of(sse.next::<SubscribeForMessages>(WAIT).unwrap().unwrap());
    assert!(
        got.contains(&id),
        "the next event is the genuine one: {got}"
    );
    bob_there.run(mimql_client::user::check_auth()).unwrap();
    assert_eq!(
        cache_misses(),
        misses,
        "Bob's credentials were not forgotten"
    );
}

#[test]
fn rotating_the_signing_key_keeps_the_nodes_talking() {
    let t = three();
    let [a, b, _] = &t.nodes;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rotate.toml");
    std::fs::write(&config, format!("[database]\nurl = \"{}\"\n", database())).unwrap();
    let (alice, bob) = (a.new_user("clrot"), a.new_user("clrot2"));
    let mut sse = open_sse(&b.client(&bob));
    assert!(eventually(10, || sessions(&a.client(&bob)).count_resources == Some(1)));
    let out = Command::new(env!("CARGO_BIN_EXE_mimql"))
        .args(["cluster", "rotate-key", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("rotated"));
    // Across the nodes' re-reads of the keys (one heartbeat), nothing is dropped.
    let until = Instant::now() + Duration::from_secs(3 * HEARTBEAT);
    let mut i = 0;
    while Instant::now() < until {
        let id = send(&a.client(&alice), &bob.jid, &format!("rotation {i}"));
        let got = body_of(
            sse.next::<SubscribeForMessages>(WAIT)
                .unwrap()
                .expect("delivered"),
        );
        assert!(got.contains(&id), "{got}");
        i += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn credential_changes_on_one_node_end_connections_on_the_others() {
    let t = three();
    let [a, b, c] = &t.nodes;
    let alice = a.new_user("clend");
    let access = a
        .client(&alice)
        .run(mimql_client::user::token::request_token())
        .unwrap()
        .into_data()
        .unwrap()
        .token
        .and_then(|t| t.request_token)
        .and_then(|t| t.access)
        .expect("an access token");
    let mut by_password =
        WsConnection::connect(&b.client(&alice), WsProtocol::GraphqlTransportWs, None).unwrap();
    let mut sse = open_sse(&c.client(&alice));
    let mut by_token = WsConnection::connect(
        &b.anonymous().with_bearer(&access),
        WsProtocol::GraphqlTransportWs,
        None,
    )
    .unwrap();
    let closed = |ws: &mut WsConnection| match ws.next(WAIT).unwrap() {
        Some(WsEvent::Closed { code, .. }) => code,
        other => panic!("{other:?}"),
    };
    // A revocation on a ends the token's socket on b, without any operation on it.
    let resp = a
        .client(&alice)
        .run(mimql_client::user::token::revoke_token())
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert_eq!(closed(&mut by_token), 4403);
    // A password change on a ends the password's socket on b and the stream on c.
    let resp = a
        .client(&alice)
        .run(mimql_client::user::account::change_password("n3w-cluster"))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert_eq!(closed(&mut by_password), 4403);
    assert!(sse.closed_by_server(WAIT));
}

#[test]
fn removing_an_account_on_one_node_ends_its_sockets_on_the_others() {
    let t = three();
    let [a, b, _] = &t.nodes;
    let bob = a.new_user("clrmws");
    let mut ws =
        WsConnection::connect(&b.client(&bob), WsProtocol::GraphqlTransportWs, None).unwrap();
    let resp = a
        .admin()
        .run(mimql_client::admin::remove_user(&bob.jid))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    match ws.next(WAIT).unwrap() {
        Some(WsEvent::Closed { code, .. }) => assert_eq!(code, 4403),
        other => panic!("{other:?}"),
    }
}

/// `max_sessions_per_user` holds across nodes: sessions are counted in the database, under a
/// per-user lock, so nodes opening sessions of one user at the same moment take turns.
#[test]
fn sessions_per_user_are_bounded_across_nodes() {
    const MAX: usize = 4;
    let nats = Nats::start(free_port());
    let bounded = |name: &str| {
        let (url, name) = (nats.url(), format!("{name}-{}", std::process::id()));
        start_on(Some(database()), move |c| {
            c.limits.max_sessions_per_user = MAX;
            c.cluster = Some(Cluster {
                nats_url: url,
                node: name,
                heartbeat_secs: HEARTBEAT,
                session_ttl_secs: TTL,
                ..Cluster::default()
            });
        })
    };
    let (a, b) = (bounded("bound-a"), bounded("bound-b"));
    let u = a.new_user("clbound");
    let refused_429 = |c: &mimql_client::Client| match SseSubscription::open(
        c,
        &stanza::subscribe_for_messages(),
    )
    .unwrap()
    {
        Opened::Refused { status, body, .. } => {
            assert_eq!(status, 429, "{body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "too_many_sessions");
        }
        Opened::Stream(_) => panic!("a session over the bound opened"),
    };
    // Two on each node: a fifth is refused on either.
    let streams = [
        open_sse(&a.client(&u)),
        open_sse(&b.client(&u)),
        open_sse(&a.client(&u)),
    ];
    let mut ws =
        WsConnection::connect(&b.client(&u), WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.subscribe("1", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(eventually(10, || sessions(&a.client(&u)).count_resources
        == Some(MAX as i32)));
    refused_429(&a.client(&u));
    refused_429(&b.client(&u));
    ws.subscribe("2", &stanza::subscribe_for_messages())
        .unwrap();
    match ws.next(WAIT).unwrap() {
        Some(WsEvent::Error { id, payload }) => {
            assert_eq!(id, "2");
            assert_eq!(payload[0]["extensions"]["code"], "too_many_sessions");
        }
        other => panic!("{other:?}"),
    }
    // One ending on b makes room on a.
    ws.stop("1").unwrap();
    assert!(eventually(10, || sessions(&a.client(&u)).count_resources
        == Some(MAX as i32 - 1)));
    let again = open_sse(&a.client(&u));
    drop((streams, again));
    // Ten opened at once from both nodes by another user: exactly MAX get a session.
    let v = a.new_user("clrace");
    let opened: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let node = if i % 2 == 0 { &a } else { &b };
                let c = node.client(&v);
                scope.spawn(move || {
                    match SseSubscription::open(&c, &stanza::subscribe_for_messages()).unwrap() {
                        Opened::Stream(s) => Some(s),
                        Opened::Refused { status, body, .. } => {
                            assert_eq!(status, 429, "{body}");
                            None
                        }
                    }
                })
            })
            .collect();
        let streams: Vec<Option<SseSubscription>> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        let opened = streams.iter().map(Option::is_some).collect();
        // Still open while counted.
        assert_eq!(sessions(&b.client(&v)).count_resources, Some(MAX as i32));
        opened
    });
    assert_eq!(opened.iter().filter(|o| **o).count(), MAX);
}

// XMPP clients (c2s) on several nodes.

fn endpoint(s: &TestServer) -> xmpp::Endpoint {
    xmpp::Endpoint::new(s.c2s_addr.expect("c2s enabled"), &s.c2s_cert)
}

/// Blocking client calls from an async test.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// `user`'s session `full` as `listSessions` on `on` shows it, once its priority is `priority`.
fn listed(
    on: &TestServer,
    user: &User,
    full: &str,
    priority: i32,
) -> mimql_client::user::session::Session {
    let c = on.client(user);
    let found = |c: &mimql_client::Client| {
        sessions(c)
            .list_sessions
            .unwrap_or_default()
            .into_iter()
            .find(|s| s.user.0 == full && s.priority == Some(priority))
    };
    assert!(
        blocking(|| eventually(10, || found(&c).is_some())),
        "{full} with priority {priority} is listed"
    );
    blocking(|| found(&c)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c2s_sessions_are_reached_and_listed_from_every_node() {
    let t = three();
    let [a, b, c] = &t.nodes;
    let (alice, bob) = (a.new_user("clxa"), a.new_user("clxb"));
    let mut x = xmpp::login(&endpoint(a), &bob.jid, &bob.password, "desk").await;
    assert_eq!(x.jid, format!("{}/desk", bob.jid));
    x.presence(Some(5)).await;
    // On another node: the session with its transport, address, priority and uptime.
    let s = listed(b, &bob, &x.jid, 5);
    assert_eq!(s.connection.as_deref(), Some("c2s_tls"));
    assert_eq!(s.ip.as_deref(), Some("127.0.0.1"));
    assert!(s.port.is_some_and(|p| p > 0), "{:?}", s.port);
    assert!(s.uptime.is_some_and(|u| u >= 0), "{:?}", s.uptime);
    assert!(
        s.node.as_deref().is_some_and(|n| n.starts_with("a-")),
        "{:?}",
        s.node
    );
    let info = blocking(|| sessions(&b.client(&bob)));
    assert_eq!(info.count_resources, Some(1));
    assert_eq!(
        info.list_resources
            .unwrap()
            .into_iter()
            .map(|r| r.0)
            .collect::<Vec<_>>(),
        ["desk"]
    );
    // GraphQL sendMessage on b reaches the stream on a, with the archive id.
    let id = blocking(|| send(&b.client(&alice), &bob.jid, "from GraphQL on b"));
    let m = x.message().await;
    assert_eq!(m.attr("id"), Some(id.as_str()));
    assert_eq!(m.attr("from"), Some(alice.jid.as_str()));
    assert_eq!(
        xmpp::child_text(&m, "body").as_deref(),
        Some("from GraphQL on b")
    );
    let archived = blocking(|| common::archive(&c.client(&bob), Some(&alice.jid), None, None).0);
    assert_eq!(
        xmpp::stanza_id(&m),
        Some((
            bob.jid.clone(),
            archived.last().unwrap().stanza_id.clone().unwrap()
        ))
    );
    // Another XMPP client on b: its message reaches the stream on a, with the archive id.
    let mut y = xmpp::login(&endpoint(b), &alice.jid, &alice.password, "phone").await;
    y.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='chat' id='x1'><body>from XMPP on b</body></message>",
        bob.jid
    ))
    .await;
    let m = x.message().await;
    assert_eq!(m.attr("from"), Some(y.jid.as_str()));
    assert_eq!(m.attr("id"), Some("x1"));
    assert_eq!(
        xmpp::child_text(&m, "body").as_deref(),
        Some("from XMPP on b")
    );
    let archived = blocking(|| common::archive(&a.client(&bob), Some(&alice.jid), None, None).0);
    assert_eq!(archived.len(), 2);
    assert_eq!(
        xmpp::stanza_id(&m),
        Some((
            bob.jid.clone(),
            archived.last().unwrap().stanza_id.clone().unwrap()
        ))
    );
}

/// RFC 6121 §8.5 across nodes: a c2s session's presence priority on one node decides what an
/// SSE session of the same user on another node gets (the SSE session has priority 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c2s_presence_drives_routing_across_nodes() {
    let t = three();
    let [a, b, c] = &t.nodes;
    let (alice, bob) = (a.new_user("clxpa"), a.new_user("clxpb"));
    let mut sse = blocking(|| open_sse(&b.client(&bob)));
    let mut x = xmpp::login(&endpoint(a), &bob.jid, &bob.password, "desk").await;
    x.presence(Some(5)).await;
    listed(c, &bob, &x.jid, 5);
    // Priority 5 beats the SSE session's 1: the bare-JID message goes to the stream only.
    blocking(|| send(&c.client(&alice), &bob.jid, "first"));
    assert_eq!(
        xmpp::child_text(&x.message().await, "body").as_deref(),
        Some("first")
    );
    // A negative priority: bare-JID messages go to the SSE session (its first event is the
    // second message: the first never reached it), the stream gets only full-JID ones.
    x.presence(Some(-1)).await;
    listed(c, &bob, &x.jid, -1);
    blocking(|| send(&c.client(&alice), &bob.jid, "second"));
    let got = blocking(|| body_of(sse.next::<SubscribeForMessages>(WAIT).unwrap().unwrap()));
    assert!(got.contains("second"), "{got}");
    blocking(|| send(&c.client(&alice), &x.jid, "third"));
    assert_eq!(
        xmpp::child_text(&x.message().await, "body").as_deref(),
        Some("third")
    );
    // Available again with priority 1: both share the top priority.
    x.presence(Some(1)).await;
    listed(c, &bob, &x.jid, 1);
    blocking(|| send(&c.client(&alice), &bob.jid, "fourth"));
    assert_eq!(
        xmpp::child_text(&x.message().await, "body").as_deref(),
        Some("fourth")
    );
    let got = blocking(|| body_of(sse.next::<SubscribeForMessages>(WAIT).unwrap().unwrap()));
    assert!(got.contains("fourth"), "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_a_resource_held_on_another_node_replaces_it_there() {
    let t = three();
    let [a, b, c] = &t.nodes;
    let (alice, bob) = (a.new_user("clxca"), a.new_user("clxcb"));
    let mut old = xmpp::login(&endpoint(a), &bob.jid, &bob.password, "desk").await;
    old.presence(Some(0)).await;
    listed(c, &bob, &old.jid, 0);
    let mut new = xmpp::login(&endpoint(b), &bob.jid, &bob.password, "desk").await;
    assert_eq!(new.jid, old.jid);
    assert_eq!(old.closed().await.as_deref(), Some("conflict"));
    // Only the new session is listed, on its node.
    new.presence(Some(0)).await;
    let s = listed(c, &bob, &new.jid, 0);
    assert!(
        s.node.as_deref().is_some_and(|n| n.starts_with("b-")),
        "{:?}",
        s.node
    );
    assert_eq!(
        blocking(|| sessions(&c.client(&bob))).count_resources,
        Some(1)
    );
    // Messages to the resource reach the new session.
    blocking(|| send(&c.client(&alice), &new.jid, "to the new desk"));
    assert_eq!(
        xmpp::child_text(&new.message().await, "body").as_deref(),
        Some("to the new desk")
    );
}

/// RFC 6121 §4 across nodes: a broadcast reaches a contact's session on another node, a probe
/// answers a session held by another node (the registry keeps its last available presence),
/// unavailable presence follows; and a subscription approved through GraphQL on a third node
/// brings the contact's presence from the node that holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c2s_presence_reaches_contacts_on_other_nodes() {
    let t = three();
    let [a, b, c] = &t.nodes;
    let (alice, bob, carol) = (
        a.new_user("clpra"),
        a.new_user("clprb"),
        a.new_user("clprc"),
    );
    blocking(|| {
        for (x, y) in [(&alice, &bob), (&bob, &alice)] {
            ok(c.client(x)
                .run(groster::subscription(&y.jid, SubAction::Invite))
                .unwrap());
            ok(c.client(y)
                .run(groster::subscription(&x.jid, SubAction::Accept))
                .unwrap());
        }
    });
    let mut y = xmpp::login(&endpoint(b), &bob.jid, &bob.password, "b").await;
    y.send("<presence xmlns='jabber:client'><status>on b</status></presence>")
        .await;
    y.presences_until_pong("y0").await;
    let mut x = xmpp::login(&endpoint(a), &alice.jid, &alice.password, "a").await;
    x.send("<presence xmlns='jabber:client'><status>on a</status></presence>")
        .await;
    let got = x.presences_until_pong("x0").await;
    let probed = got
        .iter()
        .find(|p| p.attr("from") == Some(y.jid.as_str()))
        .expect("bob's presence, probed on another node");
    assert_eq!(xmpp::child_text(probed, "status").as_deref(), Some("on b"));
    let p = y.next_presence(None).await;
    assert_eq!(p.attr("from"), Some(x.jid.as_str()));
    assert_eq!(xmpp::child_text(&p, "status").as_deref(), Some("on a"));

    // Carol, on node c, approves alice's request through GraphQL on node b: alice (node a)
    // gets the approval and carol's presence.
    let mut z = xmpp::login(&endpoint(c), &carol.jid, &carol.password, "c").await;
    z.send("<presence xmlns='jabber:client'><status>on c</status></presence>")
        .await;
    z.presences_until_pong("z0").await;
    blocking(|| {
        ok(b.client(&alice)
            .run(groster::subscription(&carol.jid, SubAction::Invite))
            .unwrap());
        ok(b.client(&carol)
            .run(groster::subscription(&alice.jid, SubAction::Accept))
            .unwrap());
    });
    let p = x.next_presence(None).await;
    assert_eq!(p.attr("from"), Some(z.jid.as_str()));
    assert_eq!(xmpp::child_text(&p, "status").as_deref(), Some("on c"));

    // Unavailable with a status, across nodes.
    x.send("<presence xmlns='jabber:client' type='unavailable'><status>bye</status></presence>")
        .await;
    let p = y.next_presence(Some("unavailable")).await;
    assert_eq!(p.attr("from"), Some(x.jid.as_str()));
    assert_eq!(xmpp::child_text(&p, "status").as_deref(), Some("bye"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_an_account_or_changing_its_password_ends_c2s_streams_on_other_nodes() {
    let t = three();
    let [a, b, _] = &t.nodes;
    let bob = a.new_user("clxr");
    let mut x = xmpp::login(&endpoint(a), &bob.jid, &bob.password, "r").await;
    let removed = blocking(|| b.admin().run(mimql_client::admin::remove_user(&bob.jid))).unwrap();
    assert!(removed.errors.is_empty(), "{:?}", removed.errors);
    assert_eq!(x.closed().await.as_deref(), Some("not-authorized"));
    let carol = a.new_user("clxpw");
    let mut y = xmpp::login(&endpoint(a), &carol.jid, &carol.password, "r").await;
    let changed = blocking(|| {
        b.client(&carol)
            .run(mimql_client::user::account::change_password("n3w-c2s"))
    })
    .unwrap();
    assert!(changed.errors.is_empty(), "{:?}", changed.errors);
    assert_eq!(y.closed().await.as_deref(), Some("not-authorized"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_s_c2s_sessions_vanish() {
    let t = three();
    let a = &t.nodes[0];
    let dir = tempfile::tempdir().unwrap();
    let nats = format!("nats://127.0.0.1:{}", t._nats.port);
    let name = unique("doomedx");
    let c2s = free_port();
    let (config, user_port, _) = node_config_with(
        dir.path(),
        &name,
        &nats,
        "",
        &format!(
            "[listen.c2s]\naddress = \"127.0.0.1:{c2s}\"\ncertificate_dir = \"{}\"\n",
            dir.path().display()
        ),
    );
    let child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_mimql"))
            .args(["serve", "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let probe = mimql_client::Client::new(&format!("http://127.0.0.1:{user_port}"))
        .with_timeout(Duration::from_secs(2));
    assert!(
        blocking(|| eventually(60, || probe.run(mimql_client::user::check_auth()).is_ok())),
        "node {name} did not start"
    );
    let (alice, bob) = (a.new_user("clxk"), a.new_user("clxk2"));
    let there = xmpp::Endpoint::new(
        format!("127.0.0.1:{c2s}").parse().unwrap(),
        &dir.path().join("c2s-cert.pem"),
    );
    let mut x = xmpp::login(&there, &bob.jid, &bob.password, "doomed").await;
    x.presence(Some(0)).await;
    listed(a, &bob, &x.jid, 0);
    drop(child);
    // The stream ends with the process, and the session vanishes within the TTL.
    assert_eq!(x.closed().await, None);
    assert!(
        blocking(
            || eventually(TTL + 5, || sessions(&a.client(&bob)).count_resources
                == Some(0))
        ),
        "the dead node's c2s session is gone within the TTL"
    );
    // Messages to the user are still accepted and archived.
    let id = blocking(|| send(&a.client(&alice), &bob.jid, "after the crash"));
    let got = blocking(|| common::archive(&a.client(&bob), None, None, None).0);
    assert!(
        got.iter()
            .any(|m| m.stanza.as_ref().unwrap().0.contains(&id))
    );
}

/// The next roster push a client gets (RFC 6121 §2.1.6): its item.
async fn roster_push(x: &mut xmpp::Xmpp) -> tokio_xmpp::minidom::Element {
    loop {
        let el = x.recv().await.expect("stream open");
        if el.attr("type") == Some("set")
            && let Some(q) = el.get_child("query", "jabber:iq:roster")
        {
            return q.children().next().expect("an item").clone();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_changes_are_pushed_to_sessions_on_other_nodes() {
    // Started off the runtime: starting creates the database with a runtime of its own.
    let t = blocking(three);
    let [a, b, c] = &t.nodes;
    let (alice, bob) = (a.new_user("clxra"), a.new_user("clxrb"));
    let mut x = xmpp::login(&endpoint(a), &bob.jid, &bob.password, "desk").await;
    x.send(&format!(
        "<iq xmlns='{}' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
        xmpp::CLIENT
    ))
    .await;
    let r = x.recv().await.unwrap();
    assert_eq!(r.attr("id"), Some("r1"));
    listed(b, &bob, &x.jid, -1);
    listed(c, &bob, &x.jid, -1);
    // A GraphQL change on node b.
    blocking(|| {
        b.client(&bob)
            .run(mimql_client::user::roster::add_contact(
                &alice.jid,
                Some("Al"),
                None,
            ))
            .unwrap()
    });
    let item = roster_push(&mut x).await;
    assert_eq!(item.attr("jid"), Some(alice.jid.as_str()));
    assert_eq!(item.attr("name"), Some("Al"));
    // An XMPP change by another session of the same user, on node c.
    let mut y = xmpp::login(&endpoint(c), &bob.jid, &bob.password, "phone").await;
    let set = format!(
        "<iq xmlns='{}' type='set' id='s1'><query xmlns='jabber:iq:roster'>\
         <item jid='{}' subscription='remove'/></query></iq>",
        xmpp::CLIENT,
        alice.jid
    );
    let r = y.iq(&set).await;
    assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));
    let item = roster_push(&mut x).await;
    assert_eq!(item.attr("jid"), Some(alice.jid.as_str()));
    assert_eq!(item.attr("subscription"), Some("remove"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_requests_reach_available_sessions_on_other_nodes() {
    // Started off the runtime: starting creates the database with a runtime of its own.
    let t = blocking(three);
    let [a, b, _] = &t.nodes;
    let (alice, bob) = (a.new_user("clxsa"), a.new_user("clxsb"));
    let mut x = xmpp::login(&endpoint(a), &bob.jid, &bob.password, "desk").await;
    x.presence(Some(0)).await;
    listed(b, &bob, &x.jid, 0);
    blocking(|| {
        b.client(&alice)
            .run(mimql_client::user::roster::subscription(
                &bob.jid,
                mimql_client::user::roster::SubAction::Invite,
            ))
            .unwrap()
    });
    let p = loop {
        let el = x.recv().await.expect("stream open");
        if el.name() == "presence" && el.attr("type") == Some("subscribe") {
            break el;
        }
    };
    assert_eq!(p.attr("from"), Some(alice.jid.as_str()));
}

/// The admin API's `stat` on a cluster: a domain's sessions on every node, and this node's.
#[test]
fn stats_count_the_sessions_of_every_node_and_of_this_one() {
    let domain = format!("{}.test", unique("clstat").replace('_', "-"));
    let nats = Nats::start(free_port());
    let node_on_domain = |name: &str| {
        let (nats, domain) = (nats.url(), domain.clone());
        let name = format!("{name}-{}", std::process::id());
        start_on(Some(database()), move |c| {
            c.general.hosts.push(domain);
            c.cluster = Some(Cluster {
                nats_url: nats,
                node: name,
                heartbeat_secs: HEARTBEAT,
                session_ttl_secs: TTL,
                ..Cluster::default()
            });
        })
    };
    let (a, b) = (node_on_domain("stat-a"), node_on_domain("stat-b"));
    let stats = |n: &TestServer| {
        let d = common::ok(
            n.admin()
                .run(mimql_client::admin::stat::domain_stats(&domain))
                .unwrap(),
        )
        .stat
        .unwrap()
        .domain_stats
        .unwrap();
        (d.registered_users, d.online_users)
    };
    let node_sessions = |n: &TestServer| {
        common::ok(
            n.admin()
                .run(mimql_client::admin::stat::global_stats())
                .unwrap(),
        )
        .stat
        .unwrap()
        .global_stats
        .unwrap()
        .online_users_node
    };
    let alice = a.new_user_on("alice", &domain);
    assert_eq!(stats(&a), (Some(1), Some(0)));
    let sse = open_sse(&b.client(&alice));
    assert!(eventually(10, || stats(&a) == (Some(1), Some(1))));
    assert_eq!(stats(&b), (Some(1), Some(1)));
    // The session is b's: only these two nodes' own tests open sessions on them.
    assert_eq!(node_sessions(&a), Some(0));
    assert_eq!(node_sessions(&b), Some(1));
    drop(sse);
    assert!(eventually(10, || stats(&a) == (Some(1), Some(0))));
}

/// The admin's session fields see every node's sessions: the status an XMPP client's presence
/// shows on one node is listed on another, and a kick from a third ends the streams wherever
/// they live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_lists_and_kicks_sessions_on_every_node() {
    use mimql_client::admin::session as admin;
    let t = three();
    let [a, b, c] = &t.nodes;
    let bob = a.new_user("clkick");
    let mut x = xmpp::login(&endpoint(a), &bob.jid, &bob.password, "desk").await;
    x.send("<presence xmlns='jabber:client'><show>dnd</show><status>Busy</status></presence>")
        .await;
    let mut sub = blocking(|| open_sse(&c.client(&bob)));
    let away = |on: &TestServer| {
        common::ok(
            on.admin()
                .run(admin::list_users_with_status(Some("localhost"), "dnd"))
                .unwrap(),
        )
        .value()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.user.0.starts_with(&bob.jid))
        .collect::<Vec<_>>()
    };
    assert!(blocking(|| eventually(10, || away(b).len() == 1)));
    assert_eq!(blocking(|| away(b))[0].text.as_deref(), Some("Busy"));
    let user_sessions = |on: &TestServer| {
        common::ok(on.admin().run(admin::list_user_sessions(&bob.jid)).unwrap())
            .value()
            .cloned()
            .unwrap_or_default()
    };
    assert!(blocking(|| eventually(10, || user_sessions(b).len() == 2)));

    let d = blocking(|| common::ok(b.admin().run(admin::kick_user(&bob.jid, None)).unwrap()));
    assert_eq!(d.value().map(Vec::len), Some(2));
    assert_eq!(x.closed().await.as_deref(), Some("policy-violation"));
    assert!(blocking(|| sub.closed_by_server(WAIT)));
    assert!(blocking(
        || user_sessions(a).is_empty() && user_sessions(c).is_empty()
    ));
}
