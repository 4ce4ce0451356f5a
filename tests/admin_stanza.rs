//! The admin API's `stanza` category: messages and stanzas sent on behalf of users (received on
//! the recipient's user-API subscription), and any user's archive.

mod common;

use std::time::Duration;

use common::{TestServer, User, refused, server, server_without_modules};
use mimql_client::admin::stanza;
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::stanza::{SubscribeForMessages, subscribe_for_messages};

const WAIT: Duration = Duration::from_secs(10);

fn open(s: &TestServer, user: &User) -> SseSubscription {
    let sub = match SseSubscription::open(&s.client(user), &subscribe_for_messages()).unwrap() {
        Opened::Stream(st) => st,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    };
    // Live once the session is listed.
    assert!(common::eventually(10, || {
        common::sessions(&s.client(user))
            .list_sessions
            .is_some_and(|l| !l.is_empty())
    }));
    sub
}

fn next(sub: &mut SseSubscription) -> mimql_client::user::stanza::StanzaMap {
    let resp = sub
        .next::<SubscribeForMessages>(WAIT)
        .expect("stream open")
        .expect("an event in time");
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    resp.data.unwrap().message().cloned().expect("a message")
}

fn sent_id(p: Option<stanza::SendStanzaPayload>) -> String {
    p.unwrap().id.unwrap().into_inner()
}

#[test]
fn messages_sent_for_a_user_reach_the_recipient_and_the_archives() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let mut sub = open(s, &bob);

    let d = common::ok(
        s.admin()
            .run(stanza::send_message(&alice.jid, &bob.jid, "Hi Bob"))
            .unwrap(),
    );
    let id = sent_id(d.stanza.unwrap().send_message);
    let got = next(&mut sub);
    assert_eq!(got.sender.unwrap().0, alice.jid);
    let xml = got.stanza.unwrap().0;
    assert!(xml.contains(&format!("id='{id}'")), "{xml}");
    assert!(xml.contains("type='chat'"), "{xml}");
    assert!(xml.contains("<body>Hi Bob</body>"), "{xml}");

    // A full JID sender is kept as given.
    let full = format!("{}/desk", alice.jid);
    common::ok(
        s.admin()
            .run(stanza::send_message_head_line(
                &full,
                &bob.jid,
                Some("News"),
                Some("Read me"),
            ))
            .unwrap(),
    );
    let got = next(&mut sub);
    assert_eq!(got.sender.unwrap().0, full);
    let xml = got.stanza.unwrap().0;
    assert!(xml.contains("type='headline'"), "{xml}");
    assert!(xml.contains("<subject>News</subject>"), "{xml}");
    assert!(xml.contains("<body>Read me</body>"), "{xml}");

    let d = common::ok(
        s.admin()
            .run(stanza::send_stanza(Some(&format!(
                "<message from='{}' to='{}' id='my-id' type='chat'><body>raw</body></message>",
                alice.jid, bob.jid
            ))))
            .unwrap(),
    );
    assert_eq!(sent_id(d.stanza.unwrap().send_stanza), "my-id");
    let got = next(&mut sub);
    assert!(got.stanza.unwrap().0.contains("<body>raw</body>"));
    sub.close();

    // The chat messages are in both archives: the admin reads what the user reads.
    let (mine, limit) = common::archive(&s.client(&bob), None, None, None);
    assert_eq!(limit, 50);
    let admin_page = common::ok(
        s.admin()
            .run(stanza::get_last_messages(&bob.jid, None, None, None))
            .unwrap(),
    )
    .stanza
    .unwrap()
    .get_last_messages
    .unwrap();
    assert_eq!(admin_page.limit, Some(50));
    let theirs: Vec<_> = admin_page
        .stanzas
        .unwrap()
        .into_iter()
        .map(|m| m.unwrap())
        .collect();
    assert_eq!(theirs.len(), mine.len());
    assert!(theirs.len() >= 2);
    for (a, u) in theirs.iter().zip(&mine) {
        assert_eq!(a.stanza_id, u.stanza_id);
        assert_eq!(a.stanza.as_ref().unwrap().0, u.stanza.as_ref().unwrap().0);
        assert_eq!(a.sender.as_ref().unwrap().0, u.sender.as_ref().unwrap().0);
    }
    assert!(theirs[0].stanza.as_ref().unwrap().0.contains("Hi Bob"));
    // Alice's side, only with Bob, one per page, and the cap.
    let page = common::ok(
        s.admin()
            .run(stanza::get_last_messages(
                &alice.jid,
                Some(&bob.jid),
                Some(1),
                None,
            ))
            .unwrap(),
    )
    .stanza
    .unwrap()
    .get_last_messages
    .unwrap();
    assert_eq!(page.limit, Some(1));
    let only: Vec<_> = page.stanzas.unwrap();
    assert_eq!(only.len(), 1);
    assert!(
        only[0]
            .as_ref()
            .unwrap()
            .stanza
            .as_ref()
            .unwrap()
            .0
            .contains("raw")
    );
    let page = common::ok(
        s.admin()
            .run(stanza::get_last_messages(&alice.jid, None, Some(500), None))
            .unwrap(),
    )
    .stanza
    .unwrap()
    .get_last_messages
    .unwrap();
    assert_eq!(page.limit, Some(50));
    let page = common::ok(
        s.admin()
            .run(stanza::get_last_messages(
                &alice.jid,
                None,
                None,
                Some("2000-01-01T00:00:00Z"),
            ))
            .unwrap(),
    )
    .stanza
    .unwrap()
    .get_last_messages
    .unwrap();
    assert!(page.stanzas.unwrap().is_empty());
}

#[test]
fn senders_and_archives_of_users_that_do_not_exist() {
    let s = server();
    let admin = s.admin();
    let bob = s.new_user("bob");
    let ghost = format!("{}@localhost", common::unique("ghost"));
    for (user, message) in [
        (ghost.as_str(), "User does not exist"),
        ("eddie@otherhost", "User's domain does not exist"),
    ] {
        let ext = refused(
            admin
                .run(stanza::send_message(user, &bob.jid, "x"))
                .unwrap(),
            "unknown_user",
            message,
        );
        assert_eq!(ext["user"], user);
        refused(
            admin
                .run(stanza::send_message_head_line(
                    user,
                    &bob.jid,
                    None,
                    Some("x"),
                ))
                .unwrap(),
            "unknown_user",
            message,
        );
        refused(
            admin
                .run(stanza::send_stanza(Some(&format!(
                    "<message from='{user}' to='{}'><body>x</body></message>",
                    bob.jid
                ))))
                .unwrap(),
            "unknown_user",
            message,
        );
        refused(
            admin
                .run(stanza::get_last_messages(user, None, None, None))
                .unwrap(),
            "unknown_user",
            message,
        );
    }
}

#[test]
fn stanza_errors() {
    let s = server();
    let admin = s.admin();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    refused(
        admin
            .run(stanza::send_stanza(Some(&format!(
                "<message to='{}'><body>x</body></message>",
                bob.jid
            ))))
            .unwrap(),
        "invalid_sender",
        "Missing sender JID",
    );
    refused(
        admin
            .run(stanza::send_stanza(Some(&format!(
                "<message from='{}'><body>x</body></message>",
                alice.jid
            ))))
            .unwrap(),
        "no_recipient",
        "Missing recipient JID",
    );
    refused(
        admin.run(stanza::send_stanza(None)).unwrap(),
        "no_stanza",
        "No stanza was given to send",
    );
    let resp = admin
        .run(stanza::send_message(&alice.jid, &bob.jid, "nul\u{0}"))
        .unwrap();
    assert_eq!(resp.code(), Some("invalid_character"));
    let resp = admin
        .run(stanza::send_message(&alice.jid, "@bad@", "x"))
        .unwrap();
    assert_eq!(resp.status, 400);
    assert_eq!(resp.code(), Some("input_coercion"));
    // Nothing was sent.
    assert!(
        common::archive(&s.client(&bob), None, None, None)
            .0
            .is_empty()
    );
}

#[test]
fn the_archive_needs_its_module() {
    let s = server_without_modules();
    let alice = s.new_user("alice");
    let resp = s
        .admin()
        .run(stanza::get_last_messages(&alice.jid, None, None, None))
        .unwrap();
    assert_eq!(resp.code(), Some("deps_not_loaded"));
    assert_eq!(
        resp.errors[0].extensions["not_loaded_modules"],
        serde_json::json!(["mod_mam_pm"])
    );
}

/// The admin's subscription to `user`'s messages over SSE, live once the user's session is
/// listed.
fn admin_sse(s: &TestServer, user: &User) -> SseSubscription {
    let sub = match SseSubscription::open(&s.admin(), &stanza::subscribe_for_messages(&user.jid))
        .unwrap()
    {
        Opened::Stream(st) => st,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    };
    assert!(common::eventually(10, || {
        common::sessions(&s.client(user))
            .list_sessions
            .is_some_and(|l| l.len() == 1)
    }));
    sub
}

#[test]
fn the_admin_subscribes_to_a_users_messages_over_sse() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let mut sub = admin_sse(s, &bob);
    let id = common::send(&s.client(&alice), &bob.jid, "for bob");
    let resp = sub
        .next::<stanza::SubscribeForMessages>(WAIT)
        .expect("stream open")
        .expect("an event in time");
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let m = resp.data.unwrap().message().cloned().unwrap();
    assert_eq!(m.sender.unwrap().0, alice.jid);
    assert_eq!(m.stanza_id.as_deref(), Some(id.as_str()));
    assert!(m.stanza.unwrap().0.contains("for bob"));
    // The subscription is a session of the user: banning the user ends it.
    let banned = s
        .admin()
        .run(mimql_client::admin::account::ban_user(&bob.jid, "test"))
        .unwrap();
    assert!(banned.errors.is_empty());
    assert!(
        sub.next::<stanza::SubscribeForMessages>(WAIT)
            .expect("the stream ends cleanly")
            .is_none()
    );
}

#[test]
fn the_admin_subscribes_to_a_users_messages_over_websocket() {
    use mimql_client::ws::{WsConnection, WsEvent, WsProtocol};
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let mut ws = WsConnection::connect(&s.admin(), WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.subscribe("1", &stanza::subscribe_for_messages(&bob.jid))
        .unwrap();
    assert!(common::eventually(10, || {
        common::sessions(&s.client(&bob)).count_resources == Some(1)
    }));
    let id = common::send(&s.client(&alice), &bob.jid, "over ws");
    match ws.next(WAIT).unwrap().expect("an event in time") {
        WsEvent::Next { id: op, payload } => {
            assert_eq!(op, "1");
            let m = &payload["data"]["stanza"]["subscribeForMessages"];
            assert_eq!(m["stanza_id"], id.as_str());
            assert_eq!(m["sender"], alice.jid.as_str());
        }
        other => panic!("{other:?}"),
    }
    ws.stop("1").unwrap();
    assert!(common::eventually(10, || {
        common::sessions(&s.client(&bob)).count_resources == Some(0)
    }));
    ws.close();
}

/// A subscription refused before its stream (with status 200, as a resolver's error): the
/// error's code and message.
fn refused_event(opened: Opened) -> (String, String) {
    let Opened::Refused { status, body, .. } = opened else {
        panic!("the stream opened")
    };
    assert_eq!(status, 200, "{body}");
    assert!(body["data"].is_null(), "{body}");
    (
        common::code(&body).to_string(),
        common::message(&body).to_string(),
    )
}

#[test]
fn admin_subscription_errors() {
    let s = server();
    let bob = s.new_user("bob");
    // A user that does not exist, or of a domain not served.
    for (jid, message) in [
        ("nobody@localhost", "User does not exist"),
        ("nobody@unknown.example", "User's domain does not exist"),
    ] {
        let opened =
            SseSubscription::open(&s.admin(), &stanza::subscribe_for_messages(jid)).unwrap();
        assert_eq!(
            refused_event(opened),
            ("unknown_user".to_string(), message.to_string())
        );
    }
    // Without the admin credentials.
    let not_admin = s.admin().with_basic_auth(&bob.jid, &bob.password);
    match SseSubscription::open(&not_admin, &stanza::subscribe_for_messages(&bob.jid)).unwrap() {
        Opened::Refused { status, body, .. } => assert_eq!(status, 401, "{body}"),
        Opened::Stream(_) => panic!("the stream opened"),
    }
    // One subscription follows one user.
    let q = format!(
        "subscription {{ stanza {{ a: subscribeForMessages(caller: \"{0}\") {{ sender }} b: subscribeForMessages(caller: \"other@localhost\") {{ sender }} }} }}",
        bob.jid
    );
    let qs = serde_urlencoded::to_string([("query", q.as_str())]).unwrap();
    let (code, _) = refused_event(SseSubscription::open_raw(&s.admin(), &qs).unwrap());
    assert_eq!(code, "not_allowed");
}
