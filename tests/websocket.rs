//! GraphQL over WebSocket on `/api/graphql` (graphql-transport-ws and graphql-ws): the same
//! pipeline as the other transports, subscriptions as sessions.

mod common;

use std::time::Duration;

use common::{eventually, send, server, sessions};
use mimql_client::user::stanza;
use mimql_client::ws::{WsConnection, WsEvent, WsProtocol};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

fn next(ws: &mut WsConnection) -> WsEvent {
    ws.next(WAIT)
        .expect("connection open")
        .expect("an event in time")
}

#[test]
fn a_subscription_receives_messages_and_is_a_session() {
    let s = server();
    let (alice, bob) = (s.new_user("wsa"), s.new_user("wsb"));
    let c = s.client(&bob);
    let mut ws = WsConnection::connect(&c, WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.subscribe("1", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(eventually(10, || sessions(&c).count_resources == Some(1)));
    let info = sessions(&c);
    let resource = &info.list_resources.unwrap()[0].0;
    assert!(resource.starts_with("ws-"), "{resource}");
    assert_eq!(info.list_sessions.unwrap()[0].priority, Some(1));
    let id = send(&s.client(&alice), &bob.jid, "over ws");
    match next(&mut ws) {
        WsEvent::Next { id: op, payload } => {
            assert_eq!(op, "1");
            let m = &payload["data"]["stanza"]["subscribeForMessages"];
            assert_eq!(m["stanza_id"], id.as_str());
            assert_eq!(m["sender"], alice.jid.as_str());
        }
        other => panic!("{other:?}"),
    }
    // Stopping the operation ends the session; so does closing the connection.
    ws.stop("1").unwrap();
    assert!(eventually(10, || sessions(&c).count_resources == Some(0)));
    ws.subscribe("2", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(eventually(10, || sessions(&c).count_resources == Some(1)));
    ws.close();
    assert!(eventually(10, || sessions(&c).count_resources == Some(0)));
}

#[test]
fn credentials_can_come_with_connection_init() {
    let s = server();
    let bob = s.new_user("wsinit");
    let anon = s.anonymous();
    let basic = bob.basic_header();
    let mut ws = WsConnection::connect(
        &anon,
        WsProtocol::GraphqlTransportWs,
        Some(json!({ "Authorization": basic })),
    )
    .unwrap();
    ws.start(
        "q",
        json!({"query": "{ checkAuth { username authStatus } }"}),
    )
    .unwrap();
    match next(&mut ws) {
        WsEvent::Next { payload, .. } => {
            assert_eq!(payload["data"]["checkAuth"]["authStatus"], "AUTHORIZED");
            assert_eq!(payload["data"]["checkAuth"]["username"], bob.jid.as_str());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(next(&mut ws), WsEvent::Complete { id: "q".into() });
    // Wrong credentials in the payload close the connection.
    let wrong = WsConnection::connect(
        &anon,
        WsProtocol::GraphqlTransportWs,
        Some(json!({ "headers": { "Authorization": "Basic bm9ib2R5QGxvY2FsaG9zdDp4" } })),
    );
    assert!(wrong.is_err());
    // Wrong credentials on the upgrade are a 401 before any WebSocket.
    let wrong_upgrade = s.anonymous().with_basic_auth(&bob.jid, "wrong");
    assert!(WsConnection::upgrade(&wrong_upgrade, WsProtocol::GraphqlTransportWs).is_err());
}

#[test]
fn refused_operations_get_an_error_message() {
    let s = server();
    let anon = s.anonymous();
    let mut ws = WsConnection::connect(&anon, WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.subscribe("s", &stanza::subscribe_for_messages())
        .unwrap();
    match next(&mut ws) {
        WsEvent::Error { id, payload } => {
            assert_eq!(id, "s");
            assert_eq!(payload[0]["extensions"]["code"], "no_permissions");
        }
        other => panic!("{other:?}"),
    }
    // The fragment fan-out is refused here too, quickly.
    let mut doc = String::from("{...F0} ");
    for i in 0..25 {
        let n = i + 1;
        doc.push_str(&format!(
            "fragment F{i} on UserQuery {{...F{n} ...F{n} ...F{n}}} "
        ));
    }
    doc.push_str("fragment F25 on UserQuery { __typename }");
    ws.start("f", json!({ "query": doc })).unwrap();
    match next(&mut ws) {
        WsEvent::Error { id, payload } => {
            assert_eq!(id, "f");
            assert_eq!(payload[0]["extensions"]["code"], "query_too_complex");
        }
        other => panic!("{other:?}"),
    }
    // Validation before authorization, as everywhere.
    ws.start(
        "v",
        json!({"query": "mutation { account { changePassword(newPassword: \"x\", bogus: 1) } }"}),
    )
    .unwrap();
    match next(&mut ws) {
        WsEvent::Error { payload, .. } => {
            assert_eq!(payload[0]["extensions"]["code"], "excess_args")
        }
        other => panic!("{other:?}"),
    }
    // The connection is still usable.
    ws.start("ok", json!({"query": "{ checkAuth { authStatus } }"}))
        .unwrap();
    assert!(matches!(next(&mut ws), WsEvent::Next { .. }));
}

#[test]
fn the_legacy_graphql_ws_protocol_works_too() {
    let s = server();
    let (alice, bob) = (s.new_user("legacya"), s.new_user("legacyb"));
    let c = s.client(&bob);
    let mut ws = WsConnection::connect(&c, WsProtocol::GraphqlWs, None).unwrap();
    ws.subscribe("1", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(eventually(10, || sessions(&c).count_resources == Some(1)));
    send(&s.client(&alice), &bob.jid, "legacy");
    match next(&mut ws) {
        WsEvent::Next { payload, .. } => assert!(
            payload["data"]["stanza"]["subscribeForMessages"]["stanza"]
                .as_str()
                .unwrap()
                .contains("legacy")
        ),
        other => panic!("{other:?}"),
    }
}

/// Large operations (over 16 KiB, document or variables) are prepared on the low-priority
/// thread, here as on POST: they answer as usual, refusals included.
#[test]
fn large_operations_are_served() {
    let s = server();
    let bob = s.new_user("wslarge");
    let c = s.client(&bob);
    let mut ws = WsConnection::connect(&c, WsProtocol::GraphqlTransportWs, None).unwrap();
    let padding = format!("# {}\n", "x".repeat(20_000));
    ws.start(
        "big",
        json!({"query": format!("{padding}{{ checkAuth {{ username authStatus }} }}")}),
    )
    .unwrap();
    match next(&mut ws) {
        WsEvent::Next { payload, .. } => {
            assert_eq!(payload["data"]["checkAuth"]["authStatus"], "AUTHORIZED");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(next(&mut ws), WsEvent::Complete { id: "big".into() });
    let jids: Vec<String> = (0..1500).map(|i| format!("c{i}@localhost")).collect();
    ws.start(
        "long",
        json!({"query": "mutation($c: [JID!]!) { roster { deleteContacts(contacts: $c) } }", "variables": {"c": jids}}),
    )
    .unwrap();
    match next(&mut ws) {
        WsEvent::Error { id, payload } => {
            assert_eq!(id, "long");
            assert_eq!(payload[0]["extensions"]["code"], "list_too_long");
        }
        other => panic!("{other:?}"),
    }
}
