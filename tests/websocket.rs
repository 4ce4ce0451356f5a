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

// Connections bound to their credentials, and the connection timeouts.

const CHECK_AUTH: &str = "{ checkAuth { username authStatus } }";

/// Runs `checkAuth` on the socket and answers the username it reports.
fn who(ws: &mut WsConnection, id: &str) -> String {
    ws.start(id, json!({ "query": CHECK_AUTH })).unwrap();
    let got = match next(ws) {
        WsEvent::Next { payload, .. } => payload["data"]["checkAuth"]["username"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(next(ws), WsEvent::Complete { id: id.into() });
    got
}

/// The socket's credentials no longer hold: the next operation is refused (`wrong_credentials`)
/// unless the socket is already closed, and the socket closes with 4403 — no operation runs.
fn assert_refused_and_closed(ws: &mut WsConnection, operation: serde_json::Value) {
    // The socket may already be closed: then sending fails or the close frame comes first.
    let _ = ws.start("late", operation);
    loop {
        match ws.next(WAIT).expect("connection readable") {
            Some(WsEvent::Error { payload, .. }) => {
                assert_eq!(payload[0]["extensions"]["code"], "wrong_credentials");
            }
            Some(WsEvent::Closed { code, .. }) => {
                assert!(code == 4403 || code == 1006, "closed with {code}");
                return;
            }
            Some(other) => panic!("the operation ran: {other:?}"),
            None => panic!("the socket stayed open"),
        }
    }
}

fn access_token(c: &mimql_client::Client) -> String {
    c.run(mimql_client::user::token::request_token())
        .unwrap()
        .into_data()
        .unwrap()
        .token
        .and_then(|t| t.request_token)
        .and_then(|t| t.access)
        .expect("an access token")
}

fn change_password_op(password: &str) -> serde_json::Value {
    json!({
        "query": "mutation($p: String!) { account { changePassword(newPassword: $p) } }",
        "variables": { "p": password },
    })
}

#[test]
fn revoking_the_token_ends_the_sockets_opened_with_it() {
    let s = server();
    let u = s.new_user("wsrevoke");
    let access = access_token(&s.client(&u));
    let bearer = s.anonymous().with_bearer(&access);
    let mut ws = WsConnection::connect(&bearer, WsProtocol::GraphqlTransportWs, None).unwrap();
    assert_eq!(who(&mut ws, "1"), u.jid);
    // A socket opened with the password is not bound to the token.
    let mut basic =
        WsConnection::connect(&s.client(&u), WsProtocol::GraphqlTransportWs, None).unwrap();
    let resp = s
        .client(&u)
        .run(mimql_client::user::token::revoke_token())
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert_refused_and_closed(&mut ws, change_password_op("stolen"));
    // Nothing ran: the password is unchanged.
    assert_eq!(
        common::check_auth(&s.client(&u)).auth_status,
        Some(mimql_client::user::AuthStatus::Authorized)
    );
    assert_eq!(who(&mut basic, "2"), u.jid);
}

#[test]
fn a_password_change_ends_the_sockets_opened_with_the_password() {
    let s = server();
    let u = s.new_user("wspw");
    // One with the upgrade's header, one with connection_init's payload.
    let mut on_upgrade =
        WsConnection::connect(&s.client(&u), WsProtocol::GraphqlTransportWs, None).unwrap();
    let mut on_init = WsConnection::connect(
        &s.anonymous(),
        WsProtocol::GraphqlWs,
        Some(json!({ "Authorization": u.basic_header() })),
    )
    .unwrap();
    assert_eq!(who(&mut on_upgrade, "1"), u.jid);
    let resp = s
        .client(&u)
        .run(mimql_client::user::account::change_password("n3w-pass"))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert_refused_and_closed(&mut on_upgrade, change_password_op("again"));
    assert_refused_and_closed(&mut on_init, json!({ "query": CHECK_AUTH }));
    // The new password opens a new socket.
    let renewed = common::User {
        jid: u.jid.clone(),
        password: "n3w-pass".into(),
    };
    let mut again =
        WsConnection::connect(&s.client(&renewed), WsProtocol::GraphqlTransportWs, None).unwrap();
    assert_eq!(who(&mut again, "1"), u.jid);
}

#[test]
fn a_socket_of_a_removed_account_never_acts_as_a_new_one_of_the_same_name() {
    let s = server();
    let u = s.new_user("wsrereg");
    let mut ws =
        WsConnection::connect(&s.client(&u), WsProtocol::GraphqlTransportWs, None).unwrap();
    let access = access_token(&s.client(&u));
    let mut by_token = WsConnection::connect(
        &s.anonymous().with_bearer(&access),
        WsProtocol::GraphqlTransportWs,
        None,
    )
    .unwrap();
    assert_eq!(who(&mut ws, "1"), u.jid);
    let admin = s.admin();
    let resp = admin.run(mimql_client::admin::remove_user(&u.jid)).unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    // Registered again under the same name, with the same password.
    let (name, domain) = u.jid.split_once('@').unwrap();
    let resp = admin
        .run(mimql_client::admin::register_user(
            domain,
            Some(name),
            &u.password,
        ))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert_refused_and_closed(&mut ws, change_password_op("stolen"));
    assert_refused_and_closed(&mut by_token, change_password_op("stolen"));
    // The new account's password is the one it was registered with.
    assert_eq!(
        common::check_auth(&s.client(&u)).auth_status,
        Some(mimql_client::user::AuthStatus::Authorized)
    );
}

#[test]
fn an_operation_racing_a_change_elsewhere_is_refused() {
    // Two servers on one database with no cluster between them: the other server hears of
    // nothing, so only the check before each operation can refuse it.
    let (first, second) = common::two_nodes();
    let u = first.new_user("wsrace");
    let mut ws =
        WsConnection::connect(&second.client(&u), WsProtocol::GraphqlTransportWs, None).unwrap();
    assert_eq!(who(&mut ws, "1"), u.jid);
    let resp = first
        .client(&u)
        .run(mimql_client::user::account::change_password(
            "changed-elsewhere",
        ))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    ws.start("2", change_password_op("stolen")).unwrap();
    match next(&mut ws) {
        WsEvent::Error { id, payload } => {
            assert_eq!(id, "2");
            assert_eq!(payload[0]["extensions"]["code"], "wrong_credentials");
        }
        other => panic!("{other:?}"),
    }
    match next(&mut ws) {
        WsEvent::Closed { code, .. } => assert_eq!(code, 4403),
        other => panic!("{other:?}"),
    }
    let renewed = common::User {
        jid: u.jid.clone(),
        password: "changed-elsewhere".into(),
    };
    assert_eq!(
        common::check_auth(&first.client(&renewed)).auth_status,
        Some(mimql_client::user::AuthStatus::Authorized)
    );
}

#[test]
fn connection_init_must_come_in_time_and_anonymous_sockets_do_not_stay() {
    let s = common::server_with(|c| c.listen.user.ws_init_timeout_secs = 1);
    let u = s.new_user("wsinitto");
    // No connection_init at all.
    let mut silent = WsConnection::upgrade(&s.client(&u), WsProtocol::GraphqlTransportWs).unwrap();
    match next(&mut silent) {
        WsEvent::Closed { code, .. } => assert_eq!(code, 4408),
        other => panic!("{other:?}"),
    }
    // Initialised without credentials: closed at the same deadline.
    let mut anon =
        WsConnection::connect(&s.anonymous(), WsProtocol::GraphqlTransportWs, None).unwrap();
    match next(&mut anon) {
        WsEvent::Closed { code, .. } => assert_eq!(code, 4401),
        other => panic!("{other:?}"),
    }
    // With credentials, the socket stays past the deadline.
    let mut ws =
        WsConnection::connect(&s.client(&u), WsProtocol::GraphqlTransportWs, None).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(who(&mut ws, "1"), u.jid);
}

#[test]
fn a_socket_with_no_operation_running_is_closed_after_the_idle_timeout() {
    let s = common::server_with(|c| c.listen.user.ws_idle_timeout_secs = 1);
    let u = s.new_user("wsidle");
    let c = s.client(&u);
    let mut idle = WsConnection::connect(&c, WsProtocol::GraphqlTransportWs, None).unwrap();
    // Protocol pings are answered, but do not keep an idle socket open.
    assert!(idle.ping(WAIT).unwrap());
    match next(&mut idle) {
        WsEvent::Closed { code, .. } => assert_eq!(code, 1000),
        other => panic!("{other:?}"),
    }
    // A running subscription keeps it open; once it is stopped, the timeout runs again.
    let mut ws = WsConnection::connect(&c, WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.subscribe("1", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(ws.next(Duration::from_millis(2500)).unwrap().is_none());
    assert!(eventually(10, || sessions(&c).count_resources == Some(1)));
    ws.stop("1").unwrap();
    loop {
        match next(&mut ws) {
            WsEvent::Complete { .. } => continue,
            WsEvent::Closed { code, .. } => {
                assert_eq!(code, 1000);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
}
