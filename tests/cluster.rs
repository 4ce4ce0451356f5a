//! Several nodes serving as one: three servers on one PostgreSQL database and a NATS server of
//! this test's own (so stopping it disturbs nobody). Runs on PostgreSQL only — `[cluster]`
//! requires it: the database of `MIMQL_TEST_DATABASE_URL`, or a fresh one on the local
//! PostgreSQL (`postgres://postgres@127.0.0.1:5432`).

mod common;

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{TestServer, User, eventually, free_port, send, sessions, start_on, unique};
use mimql::config::Cluster;
use mimql_client::sse::{Opened, SseSubscription};
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
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
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
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use sea_orm::ConnectionTrait;
            let admin = sea_orm::Database::connect(format!("{base}/postgres"))
                .await
                .expect("PostgreSQL on 127.0.0.1:5432 (cluster tests need it)");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
        });
        format!("{base}/{name}")
    })
}

fn node(name: &str, nats: &str) -> TestServer {
    let nats = nats.to_string();
    let name = format!("{name}-{}", std::process::id());
    start_on(Some(database()), move |c| {
        c.cluster = Some(Cluster {
            nats_url: nats,
            node: name,
            heartbeat_secs: HEARTBEAT,
            session_ttl_secs: TTL,
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

/// A node process of its own (to kill with SIGKILL), on `nats`.
fn spawn_node(dir: &std::path::Path, name: &str, nats: &str) -> (Child, String) {
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
             [cluster]\nnats_url = \"{nats}\"\nnode = \"{name}\"\nheartbeat_secs = {HEARTBEAT}\nsession_ttl_secs = {TTL}\n",
            database()
        ),
    )
    .unwrap();
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
    (child, url)
}

#[test]
fn a_killed_node_s_sessions_vanish_and_its_users_still_get_their_messages() {
    let t = three();
    let a = &t.nodes[0];
    let dir = tempfile::tempdir().unwrap();
    let nats = format!("nats://127.0.0.1:{}", t._nats.port);
    let name = unique("doomed");
    let (mut child, url) = spawn_node(dir.path(), &name, &nats);
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
