//! The admin API's `session` category: every session (SSE, WebSocket, XMPP clients) listed and
//! counted, per domain and per user; the presence status of XMPP clients; kicks that end the
//! user's streams (and drop them from every list); a presence set on a client's behalf.
//! Each test runs its own server: the counts are of every session it holds.

mod common;
mod xmpp;

use std::time::Duration;

use common::{TestServer, User, eventually, ok, refused, server_with};
use mimql_client::admin::session::{self, PresenceShow, PresenceType};
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::stanza::subscribe_for_messages;
use mimql_client::ws::{WsConnection, WsEvent, WsProtocol};
use xmpp::{CLIENT, Endpoint, Xmpp};

const WAIT: Duration = Duration::from_secs(10);

fn own_server() -> TestServer {
    server_with(|_| {})
}

async fn connect(s: &TestServer, u: &User, resource: &str) -> Xmpp {
    let at = Endpoint::new(s.c2s_addr.expect("c2s enabled"), &s.c2s_cert);
    xmpp::login(&at, &u.jid, &u.password, resource).await
}

fn sse(s: &TestServer, u: &User) -> SseSubscription {
    match SseSubscription::open(&s.client(u), &subscribe_for_messages()).unwrap() {
        Opened::Stream(st) => st,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    }
}

fn user_sessions(s: &TestServer, jid: &str) -> Vec<session::Session> {
    let d = ok(s.admin().run(session::list_user_sessions(jid)).unwrap());
    d.value().cloned().unwrap_or_default()
}

/// Waits until the user has `n` sessions (a subscription registers as it opens).
fn wait_sessions(s: &TestServer, jid: &str, n: usize) {
    assert!(
        eventually(10, || user_sessions(s, jid).len() == n),
        "{jid}: {:?}",
        user_sessions(s, jid)
    );
}

fn count_sessions(s: &TestServer, domain: Option<&str>) -> i32 {
    let d = ok(s.admin().run(session::count_sessions(domain)).unwrap());
    *d.value().unwrap()
}

fn with_status(s: &TestServer, domain: Option<&str>, status: &str) -> Vec<session::UserStatus> {
    let d = ok(s
        .admin()
        .run(session::list_users_with_status(domain, status))
        .unwrap());
    d.value().cloned().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_of_every_transport_are_listed_and_counted() {
    let s = own_server();
    let alice = s.new_user("alice");
    let bob = s.new_user_on("bob", "example.com");
    let _phone = connect(&s, &alice, "phone").await;
    wait_sessions(&s, &alice.jid, 1);
    let _alice_sse = sse(&s, &alice);
    wait_sessions(&s, &alice.jid, 2);
    let _bob_sse = sse(&s, &bob);
    wait_sessions(&s, &bob.jid, 1);

    let all = ok(s.admin().run(session::list_sessions(None)).unwrap());
    assert_eq!(all.value().unwrap().len(), 3);
    assert_eq!(count_sessions(&s, None), 3);
    let d = ok(s
        .admin()
        .run(session::list_sessions(Some("example.com")))
        .unwrap());
    let listed = d.value().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].user.0.starts_with(&format!("{}/sse-", bob.jid)));
    assert_eq!(count_sessions(&s, Some("example.com")), 1);
    assert_eq!(count_sessions(&s, Some("localhost")), 2);
    for r in [
        refused(
            s.admin()
                .run(session::list_sessions(Some("nonexisting")))
                .unwrap(),
            "domain_not_found",
            "Domain not found",
        ),
        refused(
            s.admin()
                .run(session::count_sessions(Some("nonexisting")))
                .unwrap(),
            "domain_not_found",
            "Domain not found",
        ),
    ] {
        assert_eq!(r["domain"], "nonexisting");
    }

    // The user's sessions, the oldest first: the XMPP client's shows its connection.
    let mine = user_sessions(&s, &alice.jid);
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].user.0, format!("{}/phone", alice.jid));
    assert_eq!(mine[0].connection.as_deref(), Some("c2s_tls"));
    assert_eq!(mine[0].ip.as_deref(), Some("127.0.0.1"));
    assert!(mine[0].port.is_some_and(|p| p > 0));
    assert_eq!(mine[0].priority, Some(-1), "no presence yet");
    assert!(mine[1].user.0.contains("/sse-"));
    assert_eq!(mine[1].connection, None);
    assert_eq!(mine[1].priority, Some(1));
    assert!(mine.iter().all(|m| m.node.is_some() && m.uptime.is_some()));

    let d = ok(s
        .admin()
        .run(session::count_user_resources(&alice.jid))
        .unwrap());
    assert_eq!(d.value(), Some(&2));
    let d = ok(s
        .admin()
        .run(session::get_user_resource(&alice.jid, 1))
        .unwrap());
    assert_eq!(d.value().unwrap().0, "phone");
    let d = ok(s
        .admin()
        .run(session::get_user_resource(
            &format!("{}/other", alice.jid),
            2,
        ))
        .unwrap());
    assert!(d.value().unwrap().0.starts_with("sse-"));
    let e = refused(
        s.admin()
            .run(session::get_user_resource(&alice.jid, 3))
            .unwrap(),
        "wrong_res_number",
        "Wrong resource number: 3",
    );
    assert_eq!(e["number"], 3);

    // Users that do not exist.
    let ghost = "ghost@localhost";
    refused(
        s.admin().run(session::list_user_sessions(ghost)).unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    refused(
        s.admin().run(session::count_user_resources(ghost)).unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    refused(
        s.admin().run(session::get_user_resource(ghost, 1)).unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    refused(
        s.admin()
            .run(session::list_user_sessions("ghost@nowhere.test"))
            .unwrap(),
        "user_not_found",
        "User's domain does not exist",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_listed_by_the_status_their_presence_shows() {
    let s = own_server();
    let (alice, carol) = (s.new_user("alice"), s.new_user("carol"));
    let bob = s.new_user_on("bob", "example.com");
    let mut phone = connect(&s, &alice, "phone").await;
    let mut desk = connect(&s, &carol, "desk").await;
    let _bob_sse = sse(&s, &bob);
    wait_sessions(&s, &bob.jid, 1);
    // Before any presence: unavailable (subscriptions have no presence: never listed).
    assert!(eventually(10, || with_status(&s, None, "unavailable")
        .len()
        == 2));
    phone
        .send(&format!(
            "<presence xmlns='{CLIENT}'><show>away</show><status>Lunch</status>\
             <priority>5</priority></presence>"
        ))
        .await;
    desk.presence(Some(0)).await;
    assert!(eventually(10, || with_status(&s, None, "away").len() == 1));
    assert!(eventually(10, || with_status(&s, None, "available").len() == 1));
    let away = with_status(&s, Some("localhost"), "away");
    assert_eq!(away[0].user.0, format!("{}/phone", alice.jid));
    assert_eq!(away[0].priority, Some(5));
    assert_eq!(away[0].text.as_deref(), Some("Lunch"));
    let available = with_status(&s, None, "available");
    assert_eq!(available[0].user.0, format!("{}/desk", carol.jid));
    assert_eq!(available[0].text.as_deref(), Some(""));
    assert!(with_status(&s, Some("example.com"), "away").is_empty());
    assert!(with_status(&s, None, "unavailable").is_empty());
    let d = ok(s
        .admin()
        .run(session::count_users_with_status(None, "away"))
        .unwrap());
    assert_eq!(d.value(), Some(&1));
    // Back to unavailable.
    phone.presence(None).await;
    assert!(eventually(10, || with_status(&s, None, "away").is_empty()));
    assert_eq!(with_status(&s, None, "unavailable").len(), 1);
    refused(
        s.admin()
            .run(session::count_users_with_status(Some("nonexisting"), "dnd"))
            .unwrap(),
        "domain_not_found",
        "Domain not found",
    );
    refused(
        s.admin()
            .run(session::list_users_with_status(Some("nonexisting"), "dnd"))
            .unwrap(),
        "domain_not_found",
        "Domain not found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kick_user_ends_every_stream_and_the_lists_drop_them() {
    let s = own_server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let mut phone = connect(&s, &alice, "phone").await;
    wait_sessions(&s, &alice.jid, 1);
    let mut sub = sse(&s, &alice);
    wait_sessions(&s, &alice.jid, 2);
    let mut ws =
        WsConnection::connect(&s.client(&alice), WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.subscribe("1", &subscribe_for_messages()).unwrap();
    wait_sessions(&s, &alice.jid, 3);
    let _bob_sse = sse(&s, &bob);
    wait_sessions(&s, &bob.jid, 1);

    let d = ok(s
        .admin()
        .run(session::kick_user(&alice.jid, Some("Spamming")))
        .unwrap());
    let results = d.value().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r.kicked
        && r.code.is_none()
        && r.message == "Session kicked"
        && r.jid.0.starts_with(&format!("{}/", alice.jid))));
    assert_eq!(results[0].jid.0, format!("{}/phone", alice.jid));

    // Every stream ends: the XMPP client's with the reason.
    assert_eq!(phone.closed().await.as_deref(), Some("policy-violation"));
    assert!(sub.closed_by_server(WAIT));
    let ended = loop {
        match ws.next(WAIT).unwrap() {
            Some(WsEvent::Next { .. }) => continue,
            other => break other,
        }
    };
    assert!(
        matches!(
            ended,
            Some(WsEvent::Complete { .. } | WsEvent::Closed { .. })
        ),
        "{ended:?}"
    );
    assert!(user_sessions(&s, &alice.jid).is_empty());
    assert_eq!(count_sessions(&s, None), 1, "bob's stays");
    let user_side = common::sessions(&s.client(&alice));
    assert_eq!(user_side.list_sessions.map(|l| l.len()), Some(0));

    // Nothing left to kick: an empty list.
    let d = ok(s.admin().run(session::kick_user(&alice.jid, None)).unwrap());
    assert_eq!(d.value().map(Vec::len), Some(0));
    let e = refused(
        s.admin()
            .run(session::kick_user("alien@localhost", None))
            .unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    assert_eq!(e["jid"], "alien@localhost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kick_user_session_ends_one_session() {
    let s = own_server();
    let alice = s.new_user("alice");
    let mut phone = connect(&s, &alice, "phone").await;
    let _desk = connect(&s, &alice, "desk").await;
    wait_sessions(&s, &alice.jid, 2);
    let phone_jid = format!("{}/phone", alice.jid);
    let d = ok(s
        .admin()
        .run(session::kick_user_session(&phone_jid, Some("Test kick")))
        .unwrap());
    let r = d.value().unwrap();
    assert_eq!((r.jid.0.as_str(), r.kicked), (phone_jid.as_str(), true));
    assert_eq!(r.message, "Session kicked");
    assert_eq!(phone.closed().await.as_deref(), Some("policy-violation"));
    let left = user_sessions(&s, &alice.jid);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user.0, format!("{}/desk", alice.jid));

    let e = refused(
        s.admin()
            .run(session::kick_user_session(&phone_jid, None))
            .unwrap(),
        "no_session",
        "No active session",
    );
    assert_eq!(e["jid"], phone_jid);
    refused(
        s.admin()
            .run(session::kick_user_session("alien@localhost/mobile", None))
            .unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    // A JID without a resource is not a FullJID.
    let r = s
        .admin()
        .run(session::kick_user_session(&alice.jid, None))
        .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.errors[0].code.as_deref(), Some("input_coercion"));
    assert!(
        r.errors[0].message.contains("jid_without_resource"),
        "{:?}",
        r.errors
    );
}

/// The next `<presence/>` the client gets.
async fn presence(c: &mut Xmpp) -> tokio_xmpp::minidom::Element {
    loop {
        let el = c.recv().await.expect("stream open");
        if el.is("presence", CLIENT) {
            return el;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_presence_makes_the_session_send_it() {
    let s = own_server();
    let alice = s.new_user("alice");
    let mut phone = connect(&s, &alice, "phone").await;
    wait_sessions(&s, &alice.jid, 1);
    let full = format!("{}/phone", alice.jid);

    let e = refused(
        s.admin()
            .run(session::set_presence(
                &alice.jid,
                PresenceType::Available,
                Some(PresenceShow::Online),
                Some("Be right back"),
                Some(1),
            ))
            .unwrap(),
        "empty_resource",
        "The resource is empty. You need to provide a full JID",
    );
    assert_eq!(e["jid"], alice.jid);
    refused(
        s.admin()
            .run(session::set_presence(
                "alien@localhost/mobile",
                PresenceType::Available,
                None,
                None,
                None,
            ))
            .unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    refused(
        s.admin()
            .run(session::set_presence(
                &format!("{}/nothere", alice.jid),
                PresenceType::Available,
                None,
                None,
                None,
            ))
            .unwrap(),
        "no_session",
        "No active session",
    );

    let d = ok(s
        .admin()
        .run(session::set_presence(
            &full,
            PresenceType::Available,
            Some(PresenceShow::Online),
            Some("Be right back"),
            Some(1),
        ))
        .unwrap());
    let p = d.value().unwrap();
    assert_eq!(
        (p.jid.0.as_str(), p.message.as_str()),
        (full.as_str(), "Presence set successfully")
    );
    let got = presence(&mut phone).await;
    assert_eq!(got.attr("type"), None);
    assert_eq!(
        xmpp::child_text(&got, "status").as_deref(),
        Some("Be right back")
    );
    assert_eq!(xmpp::child_text(&got, "priority").as_deref(), Some("1"));
    assert_eq!(xmpp::child_text(&got, "show"), None, "online is no show");
    // The session took it as its own.
    assert!(eventually(10, || user_sessions(&s, &alice.jid)[0].priority == Some(1)));
    assert_eq!(with_status(&s, None, "available").len(), 1);

    ok(s.admin()
        .run(session::set_presence(
            &full,
            PresenceType::Available,
            Some(PresenceShow::Away),
            None,
            None,
        ))
        .unwrap());
    let got = presence(&mut phone).await;
    assert_eq!(xmpp::child_text(&got, "show").as_deref(), Some("away"));
    assert!(eventually(10, || with_status(&s, None, "away").len() == 1));

    ok(s.admin()
        .run(session::set_presence(
            &full,
            PresenceType::Unavailable,
            None,
            Some("I'm sleeping"),
            None,
        ))
        .unwrap());
    let got = presence(&mut phone).await;
    assert_eq!(got.attr("type"), Some("unavailable"));
    assert!(eventually(10, || with_status(&s, None, "unavailable")
        .len()
        == 1));
    assert_eq!(user_sessions(&s, &alice.jid)[0].priority, Some(-1));

    // A subscription has no presence to set.
    let _sub = sse(&s, &alice);
    wait_sessions(&s, &alice.jid, 2);
    let sse_jid = user_sessions(&s, &alice.jid)[1].user.0.clone();
    refused(
        s.admin()
            .run(session::set_presence(
                &sse_jid,
                PresenceType::Available,
                None,
                None,
                None,
            ))
            .unwrap(),
        "no_session",
        "No active session of an XMPP client (subscriptions have no presence)",
    );
}

/// Every output field of `ty`, nested objects expanded (the admin schema has no cycles below
/// these categories' fields).
fn selection(ty: &str) -> String {
    let meta = &mimql::generated::admin::META;
    match meta.object(ty) {
        None => String::new(),
        Some(o) => {
            let fields: Vec<String> = o
                .fields
                .iter()
                .map(|f| format!("{}{}", f.name, selection(f.ty)))
                .collect();
            format!(" {{ {} }}", fields.join(" "))
        }
    }
}

/// The documents a command line sends select every output field: the cost bound lets each one
/// of these categories' fields through (the request then fails validation for its missing
/// arguments, which comes after the bound).
#[test]
fn full_selection_documents_pass_the_cost_bound() {
    let s = common::server();
    let meta = &mimql::generated::admin::META;
    let mut checked = 0;
    for (op, root) in [("query", "AdminQuery"), ("mutation", "AdminMutation")] {
        for category in ["session", "muc", "muc_light", "inbox", "offline"] {
            let Some(cat) = meta.object(root).unwrap().field(category) else {
                continue;
            };
            for f in meta.object(cat.ty).unwrap().fields {
                let doc = format!("{op} {{ {category} {{ {}{} }} }}", f.name, selection(f.ty));
                let (status, body) = s.post(&s.admin(), serde_json::json!({ "query": doc }));
                let code = common::code(&body);
                assert!(
                    !matches!(code, "query_too_complex" | "query_too_deep"),
                    "{doc}: {status} {body}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 10 + 16 + 12 + 3 + 2);
}
