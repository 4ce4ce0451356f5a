//! Per-user bounds on sessions, connections and rooms (issue 19 item 3): live sessions per user,
//! operations per WebSocket connection, WebSocket connections per user, MUC rooms created per
//! user, and `listRooms` paged in the database on a service with 10,000 rooms. Each bound is
//! met through the real protocol and refused with its code; what was open before keeps working.

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, eventually, ok, refused, send, server_with, sessions, unique};
use mimql_client::Client;
use mimql_client::scalars::NonNegInt;
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::muc::{self, MucRoomDesc};
use mimql_client::user::stanza;
use mimql_client::ws::{WsConnection, WsEvent, WsProtocol};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

fn next(ws: &mut WsConnection) -> WsEvent {
    ws.next(WAIT)
        .expect("connection open")
        .expect("an event in time")
}

fn open_sse(c: &Client) -> Opened {
    SseSubscription::open(c, &stanza::subscribe_for_messages()).expect("server reachable")
}

fn count(c: &Client) -> Option<i32> {
    sessions(c).count_resources
}

#[test]
fn sessions_per_user_are_bounded_on_every_transport() {
    let s = server_with(|c| c.limits.max_sessions_per_user = 3);
    let (u, other) = (s.new_user("sesmax"), s.new_user("sesother"));
    let c = s.client(&u);
    let mut streams = Vec::new();
    for _ in 0..2 {
        match open_sse(&c) {
            Opened::Stream(st) => streams.push(st),
            Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
        }
    }
    let mut ws = WsConnection::connect(&c, WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.subscribe("1", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(eventually(10, || count(&c) == Some(3)));
    // A fourth over SSE: 429 before the stream starts.
    match open_sse(&c) {
        Opened::Refused { status, body, .. } => {
            assert_eq!(status, 429, "{body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "too_many_sessions");
            assert_eq!(body["errors"][0]["extensions"]["limit"], 3);
            assert_eq!(
                body["errors"][0]["message"],
                "The user has the most live sessions allowed (3)"
            );
        }
        Opened::Stream(_) => panic!("a fourth session opened"),
    }
    // A fourth over WebSocket: the operation's error; the socket and its subscription go on.
    ws.subscribe("2", &stanza::subscribe_for_messages())
        .unwrap();
    match next(&mut ws) {
        WsEvent::Error { id, payload } => {
            assert_eq!(id, "2");
            assert_eq!(payload[0]["extensions"]["code"], "too_many_sessions");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&c), Some(3));
    let sender = s.new_user("sessender");
    let id = send(&s.client(&sender), &u.jid, "still live");
    match next(&mut ws) {
        WsEvent::Next { id: op, payload } => {
            assert_eq!(op, "1");
            assert_eq!(
                payload["data"]["stanza"]["subscribeForMessages"]["stanza_id"],
                id.as_str()
            );
        }
        other => panic!("{other:?}"),
    }
    // Another user is not affected.
    assert!(matches!(open_sse(&s.client(&other)), Opened::Stream(_)));
    // A session that ends frees its place.
    ws.stop("1").unwrap();
    assert!(eventually(10, || count(&c) == Some(2)));
    ws.subscribe("3", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(eventually(10, || count(&c) == Some(3)));
    assert!(ws.ping(WAIT).unwrap(), "the socket is open");
}

#[test]
fn operations_per_websocket_are_bounded_and_the_socket_stays_open() {
    let s = server_with(|c| c.limits.max_subscriptions_per_connection = 3);
    let u = s.new_user("wsopmax");
    let c = s.client(&u);
    let mut ws = WsConnection::connect(&c, WsProtocol::GraphqlTransportWs, None).unwrap();
    for id in ["1", "2", "3"] {
        ws.subscribe(id, &stanza::subscribe_for_messages()).unwrap();
    }
    assert!(eventually(10, || count(&c) == Some(3)));
    ws.subscribe("4", &stanza::subscribe_for_messages())
        .unwrap();
    match next(&mut ws) {
        WsEvent::Error { id, payload } => {
            assert_eq!(id, "4");
            assert_eq!(payload[0]["extensions"]["code"], "too_many_subscriptions");
            assert_eq!(payload[0]["extensions"]["limit"], 3);
            assert_eq!(
                payload[0]["message"],
                "The connection has the most operations open allowed (3); stop one first"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&c), Some(3), "no session for the refused one");
    // The three earlier subscriptions all get the next message.
    let sender = s.new_user("wsopsender");
    send(&s.client(&sender), &u.jid, "to all three");
    let mut ids: Vec<String> = (0..3)
        .map(|_| match next(&mut ws) {
            WsEvent::Next { id, .. } => id,
            other => panic!("{other:?}"),
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["1", "2", "3"]);
    // Stopping one makes room for another.
    ws.stop("2").unwrap();
    assert_eq!(next(&mut ws), WsEvent::Complete { id: "2".into() });
    assert!(eventually(10, || count(&c) == Some(2)));
    ws.start("q", json!({"query": "{ checkAuth { authStatus } }"}))
        .unwrap();
    match next(&mut ws) {
        WsEvent::Next { id, payload } => {
            assert_eq!(id, "q");
            assert_eq!(payload["data"]["checkAuth"]["authStatus"], "AUTHORIZED");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(next(&mut ws), WsEvent::Complete { id: "q".into() });
    ws.subscribe("5", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(eventually(10, || count(&c) == Some(3)));
    // The legacy protocol is bounded alike.
    let mut legacy = WsConnection::connect(&c, WsProtocol::GraphqlWs, None).unwrap();
    for id in ["a", "b", "c"] {
        legacy
            .start(
                id,
                json!({"query": "subscription { stanza { subscribeForMessages { sender } } }"}),
            )
            .unwrap();
    }
    legacy
        .start(
            "d",
            json!({"query": "subscription { stanza { subscribeForMessages { sender } } }"}),
        )
        .unwrap();
    match next(&mut legacy) {
        WsEvent::Error { id, payload } => {
            assert_eq!(id, "d");
            assert_eq!(payload[0]["extensions"]["code"], "too_many_subscriptions");
        }
        other => panic!("{other:?}"),
    }
}

/// The error of a connection that did not open.
fn refusal(r: Result<WsConnection, mimql_client::TransportError>) -> String {
    match r {
        Ok(_) => panic!("the connection opened"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn websocket_connections_per_user_are_bounded() {
    let s = server_with(|c| c.limits.max_ws_connections_per_user = 2);
    let (u, other) = (s.new_user("wsconnmax"), s.new_user("wsconnother"));
    let c = s.client(&u);
    let anon = s.anonymous();
    let init = json!({ "Authorization": u.basic_header() });
    // One with credentials on the upgrade, one with them in connection_init.
    let first = WsConnection::connect(&c, WsProtocol::GraphqlTransportWs, None).unwrap();
    let mut second =
        WsConnection::connect(&anon, WsProtocol::GraphqlTransportWs, Some(init.clone())).unwrap();
    // A third: on the upgrade, 429 before any WebSocket...
    let e = refusal(WsConnection::upgrade(&c, WsProtocol::GraphqlTransportWs));
    assert!(e.contains("429"), "{e}");
    // ... in connection_init, closed with 4429.
    let e = refusal(WsConnection::connect(
        &anon,
        WsProtocol::GraphqlTransportWs,
        Some(init.clone()),
    ));
    assert!(
        e.contains("4429") && e.contains("The user has the most WebSocket connections allowed (2)"),
        "{e}"
    );
    // The legacy protocol: connection_error, then the same close.
    let e = refusal(WsConnection::connect(
        &anon,
        WsProtocol::GraphqlWs,
        Some(init.clone()),
    ));
    assert!(e.contains("most WebSocket connections allowed"), "{e}");
    // The open ones work; other users and anonymous connections are not affected.
    second
        .start("q", json!({"query": "{ checkAuth { authStatus } }"}))
        .unwrap();
    assert!(matches!(next(&mut second), WsEvent::Next { .. }));
    let _others: Vec<WsConnection> = (0..2)
        .map(|_| {
            WsConnection::connect(&s.client(&other), WsProtocol::GraphqlTransportWs, None).unwrap()
        })
        .collect();
    let _anonymous = WsConnection::upgrade(&anon, WsProtocol::GraphqlTransportWs).unwrap();
    // Closing one makes room.
    first.close();
    let mut third = None;
    assert!(eventually(10, || {
        third = WsConnection::connect(&c, WsProtocol::GraphqlTransportWs, None).ok();
        third.is_some()
    }));
}

fn create(c: &Client, room: &str) -> MucRoomDesc {
    ok(c.run(muc::create_instant_room(room, "nick")).unwrap())
        .value()
        .cloned()
        .expect("a room")
}

#[test]
fn muc_rooms_created_per_user_are_bounded() {
    let s = server_with(|c| c.limits.max_muc_rooms_per_user = 2);
    let (alice, bob) = (s.new_user("mucmax"), s.new_user("mucmaxb"));
    let (a, b) = (s.client(&alice), s.client(&bob));
    let room = |n: &str| format!("{}@muc.localhost", unique(n));
    let (r1, r2, r3, r4) = (room("r1"), room("r2"), room("r3"), room("r4"));
    create(&a, &r1);
    create(&a, &r2);
    let ext = refused(
        a.run(muc::create_instant_room(&r3, "nick")).unwrap(),
        "too_many_rooms",
        "Given user has created the most rooms allowed (2)",
    );
    assert_eq!(ext["limit"], 2);
    assert_eq!(ext["room"], r3.as_str());
    // enterRoom creates rooms too.
    refused(
        a.run(muc::enter_room(&r3, "nick", "res", None)).unwrap(),
        "too_many_rooms",
        "Given user has created the most rooms allowed (2)",
    );
    // Nothing was created; someone else may create it, and alice may enter it.
    assert_eq!(create(&b, &r3).users_number, Some(NonNegInt(1)));
    ok(a.run(muc::enter_room(&r3, "alice", "res", None)).unwrap());
    // A deleted room no longer counts.
    ok(a.run(muc::delete_room(&r1, None)).unwrap());
    create(&a, &r4);
    refused(
        a.run(muc::create_instant_room(&r1, "nick")).unwrap(),
        "too_many_rooms",
        "Given user has created the most rooms allowed (2)",
    );
}

/// Inserts `n` rooms named `r00000`... on `service` directly in the database, in one
/// transaction: every tenth (`r…3`) not public. `caller` owns `r00003` and occupies `r00013`;
/// `r00000` has a title and two occupants. Answers the names `caller` and an outsider see.
fn bulk_rooms(s: &TestServer, service: &str, n: usize, caller: &str) -> (Vec<String>, Vec<String>) {
    use mimql::muc::room::RoomConfig;
    use mimql_entities::key_hash;
    use sea_orm::{ConnectionTrait, TransactionTrait};

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let public = serde_json::to_string(&RoomConfig::default()).unwrap();
    let titled = serde_json::to_string(&RoomConfig {
        title: "Zero room".into(),
        ..RoomConfig::default()
    })
    .unwrap();
    let hidden = serde_json::to_string(&RoomConfig {
        public: false,
        ..RoomConfig::default()
    })
    .unwrap();
    let name = |i: usize| format!("r{i:05}");
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    rt.block_on(async {
        let db = mimql::db::connect(&s.db_url, 1).await.unwrap();
        let pg = db.get_database_backend() == sea_orm::DbBackend::Postgres;
        let (t, f) = if pg { ("true", "false") } else { ("1", "0") };
        let txn = db.begin().await.unwrap();
        let indices: Vec<usize> = (0..n).collect();
        for chunk in indices.chunks(500) {
            let values: Vec<String> = chunk
                .iter()
                .map(|&i| {
                    let jid = format!("{}@{service}", name(i));
                    let (config, public_col) = match i {
                        0 => (&titled, t),
                        i if i % 10 == 3 => (&hidden, f),
                        _ => (&public, t),
                    };
                    format!(
                        "({}, {}, {}, {}, 0, {public_col}, NULL)",
                        quote(service),
                        quote(&name(i)),
                        quote(&key_hash(&jid)),
                        quote(config),
                    )
                })
                .collect();
            txn.execute_unprepared(&format!(
                "INSERT INTO muc_rooms (service, name, jid_hash, config, created_at, public, creator_hash) VALUES {}",
                values.join(", ")
            ))
            .await
            .unwrap();
        }
        let id = |room: String| {
            let txn = &txn;
            let service = service.to_string();
            async move {
                let row = txn
                    .query_one_raw(sea_orm::Statement::from_string(
                        txn.get_database_backend(),
                        format!(
                            "SELECT id FROM muc_rooms WHERE service = {} AND name = {}",
                            quote(&service),
                            quote(&room)
                        ),
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get::<i64>("", "id").unwrap()
            }
        };
        let (owned, occupied, titled_id) = (id(name(3)).await, id(name(13)).await, id(name(0)).await);
        let caller_hash = key_hash(caller);
        txn.execute_unprepared(&format!(
            "INSERT INTO muc_affiliations (room_id, jid, jid_hash, affiliation) VALUES ({owned}, {}, {}, 'owner')",
            quote(caller),
            quote(&caller_hash)
        ))
        .await
        .unwrap();
        let occupant = |room: i64, jid: &str, nick: &str| {
            format!(
                "({room}, {}, {}, {}, {}, 'participant')",
                quote(jid),
                quote(&key_hash(jid)),
                quote(&key_hash(jid.split('/').next().unwrap())),
                quote(nick)
            )
        };
        txn.execute_unprepared(&format!(
            "INSERT INTO muc_occupants (room_id, jid, jid_hash, bare_hash, nick, role) VALUES {}, {}, {}",
            occupant(occupied, &format!("{caller}/res"), "me"),
            occupant(titled_id, "x@localhost/a", "x"),
            occupant(titled_id, "y@localhost/b", "y"),
        ))
        .await
        .unwrap();
        txn.commit().await.unwrap();
        // What autovacuum does after a bulk load, so the planner knows the table's size.
        if pg {
            db.execute_unprepared("ANALYZE muc_rooms").await.unwrap();
        }
    });
    let outsider: Vec<String> = (0..n).filter(|i| i % 10 != 3).map(name).collect();
    let mine: Vec<String> = (0..n)
        .filter(|&i| i % 10 != 3 || i == 3 || i == 13)
        .map(name)
        .collect();
    (mine, outsider)
}

#[test]
fn list_rooms_pages_in_the_database_with_ten_thousand_rooms() {
    const ROOMS: usize = 10_000;
    // A host of this test's own, so its service holds exactly these rooms.
    let host = format!("{}.test", unique("bulk").replace('_', "-"));
    let service = format!("muc.{host}");
    let h = host.clone();
    let s = server_with(move |c| c.general.hosts.push(h));
    let (alice, bob) = (s.new_user("bulka"), s.new_user("bulkb"));
    let (mine, outsider) = bulk_rooms(&s, &service, ROOMS, &alice.jid);
    let (a, b) = (s.client(&alice), s.client(&bob));
    let list = |c: &Client, limit: Option<i64>, index: Option<i64>| {
        ok(c.run(muc::list_rooms(&service, limit, index)).unwrap())
            .value()
            .cloned()
            .unwrap()
    };
    let names = |p: &mimql_client::user::muc::MucRoomsPayload| -> Vec<String> {
        p.rooms
            .clone()
            .unwrap()
            .iter()
            .map(|r| r.jid.0.split('@').next().unwrap().to_string())
            .collect()
    };
    for (c, visible) in [(&a, &mine), (&b, &outsider)] {
        for index in [0usize, 1, 9, 4_000, visible.len() - 5] {
            let started = Instant::now();
            let p = list(c, Some(10), Some(index as i64));
            let took = started.elapsed();
            let expected: Vec<String> = visible.iter().skip(index).take(10).cloned().collect();
            assert_eq!(names(&p), expected, "index {index}");
            assert_eq!(p.count, Some(NonNegInt(visible.len() as i64)));
            assert_eq!(p.index, Some(NonNegInt(index as i64)));
            assert_eq!(p.first.as_ref(), expected.first());
            assert_eq!(p.last.as_ref(), expected.last());
            // A figure for bench/README.md, not an assertion.
            eprintln!("listRooms limit 10 index {index} of {ROOMS} rooms: {took:?}");
        }
        // Past the end: an empty page, the count still there.
        let p = list(c, Some(10), Some(ROOMS as i64));
        assert_eq!(p.rooms, Some(vec![]));
        assert_eq!(
            (p.count, p.index, p.first, p.last),
            (Some(NonNegInt(visible.len() as i64)), None, None, None)
        );
    }
    assert_eq!((mine.len(), outsider.len()), (9_002, 9_000));
    // What each sees of a room: the titled one with its occupants, the owned private one whole.
    let p = list(&a, Some(4), None);
    let rooms = p.rooms.unwrap();
    assert_eq!(
        rooms[0],
        MucRoomDesc {
            jid: format!("r00000@{service}").as_str().into(),
            title: "Zero room".into(),
            private: Some(false),
            users_number: Some(NonNegInt(2)),
        }
    );
    assert_eq!(
        rooms[3],
        MucRoomDesc {
            jid: format!("r00003@{service}").as_str().into(),
            title: "r00003".into(),
            private: Some(true),
            users_number: Some(NonNegInt(0)),
        }
    );
    // Without a limit, every visible room (the response bound applies as ever).
    let started = Instant::now();
    let p = list(&b, None, Some(8_990));
    eprintln!(
        "listRooms without limit from index 8990 of {ROOMS} rooms: {:?}",
        started.elapsed()
    );
    assert_eq!(names(&p), outsider[8_990..].to_vec());
}
