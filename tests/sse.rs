//! Subscriptions over SSE (spec: semantics-core 4.6) and the sessions they open (4.3).

mod common;

use std::time::Duration;

use common::{User, eventually, send, server, server_with, sessions};
use mimql_client::Client;
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::stanza::{self, SubscribeForMessages};
use serde_json::Value as Json;

const WAIT: Duration = Duration::from_secs(10);

fn open(c: &Client) -> SseSubscription {
    match SseSubscription::open(c, &stanza::subscribe_for_messages()).expect("server reachable") {
        Opened::Stream(s) => s,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    }
}

fn refused(c: &Client, query_string: &str) -> (u16, Vec<(String, String)>, Json) {
    match SseSubscription::open_raw(c, query_string).expect("server reachable") {
        Opened::Refused {
            status,
            headers,
            body,
        } => (status, headers, body),
        Opened::Stream(_) => panic!("the stream opened"),
    }
}

fn next(sub: &mut SseSubscription) -> mimql_client::user::stanza::StanzaMap {
    let resp = sub
        .next::<SubscribeForMessages>(WAIT)
        .expect("stream open")
        .expect("an event in time");
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    resp.data.unwrap().message().cloned().expect("a message")
}

fn user(prefix: &str) -> User {
    server().new_user(prefix)
}

#[test]
fn a_subscriber_receives_messages_live_with_the_reference_fields() {
    let s = server();
    let (alice, bob) = (user("ssea"), user("sseb"));
    let mut sub = open(&s.client(&bob));
    assert_eq!(sub.header("content-type"), Some("text/event-stream"));
    assert_eq!(sub.header("cache-control"), Some("no-cache"));
    let id = send(&s.client(&alice), &bob.jid, "live");
    let event = sub.next_event(WAIT).unwrap().expect("an event");
    assert_eq!(event.id.as_deref(), Some("1"));
    let data: Json = serde_json::from_str(&event.data).unwrap();
    let m = &data["data"]["stanza"]["subscribeForMessages"];
    assert_eq!(m["sender"], alice.jid.as_str());
    assert_eq!(
        m["stanza_id"],
        id.as_str(),
        "the stanza's id attribute, not a MAM id"
    );
    assert_eq!(
        m["stanza"],
        format!(
            "<message id='{id}' type='chat' from='{}' to='{}'><body>live</body></message>",
            alice.jid, bob.jid
        )
    );
    assert!(m["timestamp"].as_str().unwrap().ends_with('Z'));
    // Frames count on.
    send(&s.client(&alice), &bob.jid, "again");
    assert_eq!(
        sub.next_event(WAIT).unwrap().unwrap().id.as_deref(),
        Some("2")
    );
}

#[test]
fn sessions_are_listed_while_open_and_vanish_on_disconnect() {
    let s = server();
    let bob = user("sess");
    let c = s.client(&bob);
    assert_eq!(sessions(&c).count_resources, Some(0));
    let sub = open(&c);
    let info = sessions(&c);
    assert_eq!(info.count_resources, Some(1));
    let resource = &info.list_resources.unwrap()[0].0;
    let uuid = resource.strip_prefix("sse-").expect("sse-<uuid>");
    assert_eq!(uuid.len(), 36);
    let session = &info.list_sessions.unwrap()[0];
    assert_eq!(session.user.0, format!("{}/{resource}", bob.jid));
    assert_eq!(session.priority, Some(1));
    assert_eq!(
        (
            session.connection.as_ref(),
            session.ip.as_ref(),
            session.port
        ),
        (None, None, None)
    );
    assert!(
        session
            .node
            .as_deref()
            .is_some_and(|n| n.starts_with("mimql@"))
    );
    assert!(session.uptime.is_some_and(|u| u >= 0));
    sub.close();
    assert!(
        eventually(10, || sessions(&c).count_resources == Some(0)),
        "the closed stream's session is gone"
    );
}

#[test]
fn bare_jid_messages_reach_every_sse_session_and_full_jid_ones_only_theirs() {
    let s = server();
    let (alice, bob) = (user("fulla"), user("fullb"));
    let c = s.client(&bob);
    let (mut one, mut two) = (open(&c), open(&c));
    let resources: Vec<String> = sessions(&c)
        .list_resources
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(resources.len(), 2);
    send(&s.client(&alice), &bob.jid, "to both");
    assert!(next(&mut one).stanza.unwrap().0.contains("to both"));
    assert!(next(&mut two).stanza.unwrap().0.contains("to both"));
    // To one session's full JID: only that one. Which one is `one`? Ask the message.
    let target = format!("{}/{}", bob.jid, resources[0]);
    send(&s.client(&alice), &target, "just one");
    let got_one = one
        .next::<SubscribeForMessages>(Duration::from_secs(2))
        .unwrap();
    let got_two = two
        .next::<SubscribeForMessages>(Duration::from_secs(2))
        .unwrap();
    assert_eq!(
        [got_one.is_some(), got_two.is_some()]
            .iter()
            .filter(|x| **x)
            .count(),
        1,
        "exactly one session got the full-JID message"
    );
}

#[test]
fn only_messages_are_events_and_large_ones_arrive_whole() {
    let s = server();
    let (alice, bob) = (user("onlya"), user("onlyb"));
    let mut sub = open(&s.client(&bob));
    let a = s.client(&alice);
    for xml in [
        format!("<presence to='{}'/>", bob.jid),
        format!(
            "<iq to='{}' type='get'><query xmlns='jabber:iq:version'/></iq>",
            bob.jid
        ),
    ] {
        let resp = a.run(stanza::send_stanza(Some(&xml))).unwrap();
        assert!(resp.errors.is_empty());
    }
    let big = "x".repeat(10_000);
    send(&a, &bob.jid, &big);
    let m = next(&mut sub);
    assert!(
        m.stanza.unwrap().0.contains(&big),
        "the first event is the big message"
    );
    let headline = a
        .run(stanza::send_message_headline(
            None,
            &bob.jid,
            Some("news"),
            None,
        ))
        .unwrap();
    assert!(headline.errors.is_empty());
    assert!(next(&mut sub).stanza.unwrap().0.contains("type='headline'"));
}

#[test]
fn errors_before_the_stream_are_json_replies() {
    let s = server();
    let bob = user("sseerr");
    let c = s.client(&bob);
    let sub_q = "query=subscription%20%7B%20stanza%20%7B%20subscribeForMessages%20%7B%20sender%20%7D%20%7D%20%7D";
    // Missing query.
    let (status, headers, body) = refused(&c, "");
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["extensions"]["code"], "no_query_supplied");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-type")
                && v.starts_with("application/json"))
    );
    // A bad query string.
    assert_eq!(refused(&c, "=invalid").0, 400);
    // No or wrong credentials.
    let (status, _, body) = refused(&s.anonymous(), sub_q);
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (401, Some("no_permissions"))
    );
    let wrong = s.anonymous().with_basic_auth(&bob.jid, "wrong");
    assert_eq!(refused(&wrong, sub_q).0, 401);
    // Queries and mutations are not for SSE.
    let (status, _, body) = refused(&c, "query=%7B%20checkAuth%20%7B%20username%20%7D%20%7D");
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "unsupported_operation"
    );
    assert_eq!(
        body["errors"][0]["message"],
        "The sse execution method does not support query operations."
    );
    // The fragment fan-out is refused quickly here too.
    let mut doc = String::from("subscription {...F0} ");
    for i in 0..25 {
        let n = i + 1;
        doc.push_str(&format!(
            "fragment F{i} on UserSubscription {{...F{n} ...F{n} ...F{n}}} "
        ));
    }
    doc.push_str("fragment F25 on UserSubscription { __typename }");
    let qs = serde_urlencoded::to_string([("query", doc.as_str())]).unwrap();
    let (status, _, body) = refused(&c, &qs);
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (400, Some("query_too_complex"))
    );
    assert_eq!(
        sessions(&c).count_resources,
        Some(0),
        "no session was opened"
    );
}

#[test]
fn other_methods_on_the_sse_path_are_405() {
    let s = server();
    let url = format!("{}/sse", s.anonymous().url());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let resp = agent.post(&url).send("x").unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers().get("content-type").unwrap(), "text/html");
}

#[test]
fn an_idle_stream_is_closed_after_the_timeout() {
    let s = server_with(|c| c.listen.user.sse_idle_timeout_secs = 1);
    let bob = s.new_user("idle");
    let c = s.client(&bob);
    let mut sub = open(&c);
    assert!(sub.closed_by_server(Duration::from_secs(10)));
    assert!(eventually(5, || sessions(&c).count_resources == Some(0)));
}

#[test]
fn removing_the_account_closes_its_streams() {
    let s = server();
    let bob = user("rmsse");
    let mut sub = open(&s.client(&bob));
    let resp = s
        .client(&bob)
        .run(mimql_client::user::account::unregister())
        .unwrap();
    assert!(resp.errors.is_empty());
    assert!(sub.closed_by_server(Duration::from_secs(10)));
}

#[test]
fn a_password_change_ends_the_streams_opened_with_the_password() {
    let s = server();
    let bob = user("pwsse");
    let mut sub = open(&s.client(&bob));
    let resp = s
        .client(&bob)
        .run(mimql_client::user::account::change_password("n3w-pass"))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert!(sub.closed_by_server(Duration::from_secs(10)));
}

#[test]
fn revoking_the_token_ends_the_streams_opened_with_it() {
    let s = server();
    let bob = user("revsse");
    let access = s
        .client(&bob)
        .run(mimql_client::user::token::request_token())
        .unwrap()
        .into_data()
        .unwrap()
        .token
        .and_then(|t| t.request_token)
        .and_then(|t| t.access)
        .expect("an access token");
    let mut by_token = open(&s.anonymous().with_bearer(&access));
    let mut by_password = open(&s.client(&bob));
    let resp = s
        .client(&bob)
        .run(mimql_client::user::token::revoke_token())
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert!(by_token.closed_by_server(Duration::from_secs(10)));
    // The stream opened with the password goes on.
    let alice = user("revssea");
    send(&s.client(&alice), &bob.jid, "still here");
    let got = next(&mut by_password)
        .stanza
        .map(|x| x.0)
        .unwrap_or_default();
    assert!(got.contains("still here"), "{got}");
}

/// Messages of one conversation sent by concurrent connections share group commits, yet each
/// connection's messages arrive in the order it sent them, and live delivery follows the
/// archive's order exactly (semantics-core 4.6: per-pair order).
#[test]
fn one_conversation_from_many_connections_arrives_in_archive_order() {
    const SENDERS: usize = 6;
    const EACH: usize = 8;
    let s = server();
    let (alice, bob) = (user("orda"), user("ordb"));
    let mut sub = open(&s.client(&bob));
    let senders: Vec<_> = (0..SENDERS)
        .map(|t| {
            let c = s.client(&alice);
            let to = bob.jid.clone();
            std::thread::spawn(move || {
                for n in 0..EACH {
                    send(&c, &to, &format!("m{t}.{n}"));
                }
            })
        })
        .collect();
    let mut delivered = Vec::new();
    while delivered.len() < SENDERS * EACH {
        let m = next(&mut sub);
        let stanza = &m.stanza.as_ref().expect("a stanza").0;
        let body = stanza
            .split("<body>")
            .nth(1)
            .and_then(|b| b.split('<').next())
            .expect("a body")
            .to_string();
        delivered.push(body);
    }
    for t in senders {
        t.join().expect("a sender");
    }
    let mut last = [None; SENDERS];
    for body in &delivered {
        let (t, n) = body[1..].split_once('.').unwrap();
        let (t, n): (usize, usize) = (t.parse().unwrap(), n.parse().unwrap());
        assert!(
            last[t] < Some(n),
            "{body} after {:?} in {delivered:?}",
            last[t]
        );
        last[t] = Some(n);
    }
    let (archived, _) = common::archive(&s.client(&bob), Some(&alice.jid), Some(50), None);
    let archived: Vec<String> = archived
        .iter()
        .map(|m| {
            let stanza = &m.stanza.as_ref().expect("a stanza").0;
            stanza
                .split("<body>")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(archived, delivered, "live order is the archive's order");
}
