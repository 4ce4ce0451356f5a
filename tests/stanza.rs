//! `stanza`: sending messages and stanzas and reading the archive (spec: semantics-core 4.4,
//! 4.5), end to end through mimql-client.

mod common;

use common::{User, archive, code, send, server};
use mimql_client::user::stanza::{self, StanzaMap};
use serde_json::json;

fn stanza_of(m: &StanzaMap) -> &str {
    &m.stanza.as_ref().expect("a stanza").0
}

fn pair(prefix: &str) -> (User, User) {
    let s = server();
    (
        s.new_user(&format!("{prefix}a")),
        s.new_user(&format!("{prefix}b")),
    )
}

#[test]
fn a_message_is_archived_for_both_participants() {
    let s = server();
    let (alice, bob) = pair("arch");
    let id = send(&s.client(&alice), &bob.jid, "Hi & bye <3");
    assert_eq!(id.len(), 16);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let expected = format!(
        "<message id='{id}' type='chat' from='{}' to='{}'><body>Hi &amp; bye &lt;3</body></message>",
        alice.jid, bob.jid
    );
    let (mine, limit) = archive(&s.client(&alice), Some(&bob.jid), None, None);
    assert_eq!(limit, 50);
    assert_eq!(mine.len(), 1);
    assert_eq!(stanza_of(&mine[0]), expected);
    assert_eq!(mine[0].sender.as_ref().unwrap().0, alice.jid);
    let theirs = archive(&s.client(&bob), None, None, None).0;
    assert_eq!(theirs.len(), 1);
    assert_eq!(stanza_of(&theirs[0]), expected);
    assert_eq!(theirs[0].sender.as_ref().unwrap().0, alice.jid);
    // Each copy has its own MAM id: 12 base-32 digits (0-9A-V) carrying the archive time.
    for m in [&mine[0], &theirs[0]] {
        let sid = m.stanza_id.as_deref().unwrap();
        assert_eq!(sid.len(), 12, "{sid}");
        assert!(
            sid.chars()
                .all(|c| c.is_ascii_digit() || ('A'..='V').contains(&c))
        );
        let ts = &m.timestamp.as_ref().unwrap().0;
        assert!(ts.ends_with('Z') && ts.len() == 27, "{ts}");
    }
    assert_ne!(mine[0].stanza_id, theirs[0].stanza_id);
}

#[test]
fn the_sender_is_the_login_jid_or_a_resource_of_it() {
    let s = server();
    let (alice, bob) = pair("from");
    let with_resource = s
        .anonymous()
        .with_basic_auth(&format!("{}/laptop", alice.jid), &alice.password);
    send(&with_resource, &bob.jid, "1");
    let c = s.client(&alice);
    let resp = c
        .run(stanza::send_message(
            Some(&format!("{}/phone", alice.jid.to_uppercase())),
            &bob.jid,
            "2",
        ))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let senders: Vec<String> = archive(&s.client(&bob), None, None, None)
        .0
        .iter()
        .map(|m| m.sender.clone().unwrap().0)
        .collect();
    assert_eq!(
        senders,
        [
            format!("{}/laptop", alice.jid),
            format!("{}/phone", alice.jid)
        ]
    );
    // `with` a full JID: only that resource's messages.
    let phone = archive(
        &s.client(&bob),
        Some(&format!("{}/phone", alice.jid)),
        None,
        None,
    )
    .0;
    assert_eq!(phone.len(), 1);
    assert!(stanza_of(&phone[0]).contains("<body>2</body>"));
}

#[test]
fn a_spoofed_sender_is_refused_and_nothing_is_stored() {
    let s = server();
    let (alice, bob) = pair("spoof");
    let c = s.client(&alice);
    for resp in [
        c.run(stanza::send_message(Some(&bob.jid), &bob.jid, "x"))
            .unwrap()
            .errors,
        c.run(stanza::send_message_headline(
            Some(&bob.jid),
            &bob.jid,
            None,
            Some("x"),
        ))
        .unwrap()
        .errors,
        c.run(stanza::send_stanza(Some(&format!(
            "<message from='{}' to='{}'><body>x</body></message>",
            bob.jid, bob.jid
        ))))
        .unwrap()
        .errors,
    ] {
        assert_eq!(resp[0].code.as_deref(), Some("invalid_sender"));
        assert_eq!(
            resp[0].message,
            "Sender's JID is different from the user's JID"
        );
        assert_eq!(resp[0].path, [json!("stanza"), resp[0].path[1].clone()]);
    }
    assert!(archive(&c, None, None, None).0.is_empty());
    assert!(archive(&s.client(&bob), None, None, None).0.is_empty());
}

#[test]
fn send_stanza_keeps_the_element_and_checks_it_in_order() {
    let s = server();
    let (alice, bob) = pair("raw");
    let c = s.client(&alice);
    let send_raw = |xml: Option<&str>| c.run(stanza::send_stanza(xml)).unwrap();
    // No id: a generated one comes first; the element is otherwise kept as given.
    let resp = send_raw(Some(&format!(
        "<message to='{}' type='chat'><body>a</body></message>",
        bob.jid
    )));
    let id = resp
        .data
        .unwrap()
        .stanza
        .unwrap()
        .send_stanza
        .unwrap()
        .id
        .unwrap()
        .into_inner();
    assert_eq!(id.len(), 16);
    // An existing id, even empty, is kept.
    let resp = send_raw(Some(&format!(
        "<message id='' to='{}' type='chat'><body>b</body></message>",
        bob.jid
    )));
    assert_eq!(
        resp.data
            .unwrap()
            .stanza
            .unwrap()
            .send_stanza
            .unwrap()
            .id
            .unwrap()
            .into_inner(),
        ""
    );
    let got = archive(&s.client(&bob), None, None, None).0;
    assert_eq!(
        got.iter().map(stanza_of).collect::<Vec<_>>(),
        [
            format!(
                "<message id='{id}' to='{}' type='chat'><body>a</body></message>",
                bob.jid
            ),
            format!(
                "<message id='' to='{}' type='chat'><body>b</body></message>",
                bob.jid
            ),
        ]
    );
    for (xml, expected_code, message) in [
        (
            Some("<message from='a@' to='b@localhost'/>"),
            "invalid_sender",
            "Invalid sender JID",
        ),
        (
            Some("<message><body>x</body></message>"),
            "no_recipient",
            "Missing recipient JID",
        ),
        (
            Some("<message to='@bad'/>"),
            "invalid_recipient",
            "Invalid recipient JID",
        ),
        (None, "no_stanza", "No stanza was given to send"),
    ] {
        let resp = send_raw(xml);
        assert_eq!(resp.code(), Some(expected_code), "{xml:?}");
        assert_eq!(resp.message(), Some(message));
    }
    // Malformed XML is an input error (400) and nothing is stored.
    let (status, body) = s.post(
        &c,
        json!({"query": "mutation($s: XmlElement) { stanza { sendStanza(stanza: $s) { id } } }", "variables": {"s": "<message to='x@localhost'>"}}),
    );
    assert_eq!(status, 400);
    assert_eq!(code(&body), "input_coercion");
    assert_eq!(archive(&c, None, None, None).0.len(), 2);
}

#[test]
fn characters_xml_cannot_carry_are_refused() {
    let s = server();
    let (alice, bob) = pair("ctl");
    let c = s.client(&alice);
    let resp = c
        .run(stanza::send_message(None, &bob.jid, "a\u{1}b"))
        .unwrap();
    assert_eq!(resp.code(), Some("invalid_character"));
    let resp = c
        .run(stanza::send_message_headline(
            None,
            &bob.jid,
            Some("nul\u{0}"),
            None,
        ))
        .unwrap();
    assert_eq!(resp.code(), Some("invalid_character"));
    assert!(archive(&c, None, None, None).0.is_empty());
    // Every other character round-trips.
    let body = "tab\t lf\n cr\r quote' \"dq\" amp& lt< gt> \u{10FFFF} ż";
    send(&c, &bob.jid, body);
    let got = archive(&s.client(&bob), None, None, None).0;
    let parsed = stanza_of(&got[0]);
    assert!(parsed.contains("\u{10FFFF} ż"), "{parsed}");
}

#[test]
fn headlines_are_sent_but_not_archived() {
    let s = server();
    let (alice, bob) = pair("head");
    let c = s.client(&alice);
    let resp = c
        .run(stanza::send_message_headline(
            None,
            &bob.jid,
            Some("S"),
            Some("B"),
        ))
        .unwrap();
    assert!(resp.errors.is_empty());
    let resp = c
        .run(stanza::send_message_headline(None, &bob.jid, None, None))
        .unwrap();
    assert!(
        resp.errors.is_empty(),
        "a headline without children is accepted"
    );
    assert!(archive(&c, None, None, None).0.is_empty());
}

#[test]
fn get_last_messages_pages_limits_and_bounds() {
    let s = server();
    let (alice, bob) = pair("page");
    let (a, b) = (s.client(&alice), s.client(&bob));
    for i in 1..=3 {
        send(&a, &bob.jid, &format!("m{i}"));
    }
    send(&b, &alice.jid, "reply");
    let bodies = |v: &[StanzaMap]| {
        v.iter()
            .map(|m| {
                let s = stanza_of(m);
                let start = s.find("<body>").unwrap() + 6;
                s[start..s.find("</body>").unwrap()].to_string()
            })
            .collect::<Vec<_>>()
    };
    let (all, _) = archive(&a, None, None, None);
    assert_eq!(bodies(&all), ["m1", "m2", "m3", "reply"]);
    // The newest page, oldest first.
    let (two, limit) = archive(&a, None, Some(2), None);
    assert_eq!(
        (bodies(&two), limit),
        (vec!["m3".to_string(), "reply".to_string()], 2)
    );
    // The limit is capped at 50 and reported.
    assert_eq!(archive(&a, None, Some(1000), None).1, 50);
    // `before` is inclusive: message 2's time gives messages 1 and 2.
    let t2 = all[1].timestamp.clone().unwrap().0;
    assert_eq!(bodies(&archive(&a, None, None, Some(&t2)).0), ["m1", "m2"]);
    // `with` another party: nothing.
    assert!(
        archive(&a, Some("nobody@localhost"), None, None)
            .0
            .is_empty()
    );
    // A null limit means the default (a null variable is "absent").
    let (status, body) = s.post(
        &a,
        json!({"query": "query($l: PosInt) { stanza { getLastMessages(limit: $l) { limit } } }", "variables": {"l": null}}),
    );
    assert_eq!(status, 200);
    assert_eq!(body["data"]["stanza"]["getLastMessages"]["limit"], 50);
    // limit 0 is not a PosInt.
    let (status, body) = s.post(
        &a,
        json!({"query": "{ stanza { getLastMessages(limit: 0) { limit } } }"}),
    );
    assert_eq!(status, 400);
    assert_eq!(code(&body), "input_coercion");
}

#[test]
fn messages_to_unknown_or_remote_users_keep_the_senders_copy() {
    let s = server();
    let alice = s.new_user("lonely");
    let c = s.client(&alice);
    send(&c, "ghost@localhost", "anyone?");
    send(&c, "someone@remote.example", "hello");
    let got = archive(&c, None, None, None).0;
    assert_eq!(got.len(), 2);
}

#[test]
fn unregistering_deletes_the_archive() {
    let s = server();
    let (alice, bob) = pair("gone");
    send(&s.client(&alice), &bob.jid, "x");
    let resp = s
        .client(&bob)
        .run(mimql_client::user::account::unregister())
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    // Re-registered under the same name, the account starts with an empty archive.
    let name = bob.jid.split('@').next().unwrap();
    let resp = s
        .admin()
        .run(mimql_client::admin::register_user(
            "localhost",
            Some(name),
            &bob.password,
        ))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert!(archive(&s.client(&bob), None, None, None).0.is_empty());
    // The sender keeps their copy.
    assert_eq!(archive(&s.client(&alice), None, None, None).0.len(), 1);
}

#[test]
fn a_message_to_oneself_is_kept_once_per_direction() {
    let s = server();
    let alice = s.new_user("self");
    let c = s.client(&alice);
    send(&c, &alice.jid, "note to self");
    send(&c, &alice.jid, "another");
    assert_eq!(archive(&c, None, None, None).0.len(), 4);
}
