//! The admin API's `offline` category: deleting a domain's offline messages that expired
//! (XEP-0023 `jabber:x:expire`) or were kept at least some days ago; what is left is handed to
//! the recipient's XMPP client as before.

mod common;
mod xmpp;

use common::{TestServer, User, code, ok, refused, server, server_without_modules};
use mimql::jid::Jid;
use mimql_client::admin::offline;
use mimql_client::user::stanza;
use serde_json::json;
use xmpp::{CLIENT, Endpoint};

fn delete_expired(s: &TestServer, domain: &str) -> String {
    ok(s.admin()
        .run(offline::delete_expired_messages(domain))
        .unwrap())
    .value()
    .cloned()
    .unwrap()
}

fn delete_old(s: &TestServer, domain: &str, days: i64) -> String {
    ok(s.admin()
        .run(offline::delete_old_messages(domain, days))
        .unwrap())
    .value()
    .cloned()
    .unwrap()
}

/// A chat message from `from` to `to` (who has no session: it is kept offline), expiring after
/// `expire` seconds when given.
fn send(s: &TestServer, from: &User, to: &User, body: &str, expire: Option<i64>) {
    let x = expire.map_or(String::new(), |secs| {
        format!("<x xmlns='jabber:x:expire' seconds='{secs}'/>")
    });
    let el = format!(
        "<message to='{}' type='chat'><body>{body}</body>{x}</message>",
        to.jid
    );
    ok(s.client(from).run(stanza::send_stanza(Some(&el))).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_messages_are_deleted_and_the_others_delivered() {
    let s = server();
    // What other tests left expiring goes first.
    delete_expired(s, "localhost");
    let (mike, kate) = (s.new_user("mike"), s.new_user("kate"));
    send(s, &mike, &kate, "expires at once", Some(0));
    send(s, &mike, &kate, "expires in an hour", Some(3600));
    send(s, &mike, &kate, "never expires", None);
    assert_eq!(delete_expired(s, "localhost"), "Removed 1 messages");
    assert_eq!(delete_expired(s, "LOCALHOST"), "Removed 0 messages");
    assert_eq!(delete_old(s, "localhost", 1), "Removed 0 messages");

    // The other two reach kate's client when it becomes available.
    let at = Endpoint::new(s.c2s_addr.expect("c2s enabled"), &s.c2s_cert);
    let mut k = xmpp::login(&at, &kate.jid, &kate.password, "phone").await;
    k.presence(Some(0)).await;
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let m = k.message().await;
        assert!(m.is("message", CLIENT));
        bodies.push(xmpp::child_text(&m, "body").unwrap());
    }
    assert_eq!(bodies, ["expires in an hour", "never expires"]);
}

#[test]
fn old_messages_are_deleted_by_the_day_they_were_kept() {
    let s = server();
    let (mike, kate) = (
        s.new_user_on("mike", "example.com"),
        s.new_user_on("kate", "example.com"),
    );
    delete_old(s, "example.com", 3);
    send(s, &mike, &kate, "today", None);
    // Kept 5 and 7 days ago (written as the router writes them, under ids of that time).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(mimql::db::connect(&s.db_url, 1)).unwrap();
    let kate_id = rt
        .block_on(mimql::accounts::user_id(
            &db,
            &Jid::parse(&kate.jid).unwrap(),
        ))
        .unwrap()
        .unwrap();
    let sender = Jid::parse(&mike.jid).unwrap();
    let now = mimql::db::now_micros();
    let old: Vec<mimql::offline::NewOffline> = [5, 7]
        .iter()
        .map(|days| mimql::offline::NewOffline {
            id: mimql::archive::MamId::upper_bound(now - days * 86_400_000_000),
            user_id: kate_id,
            sender: &sender,
            stanza: "<message type='chat'><body>old</body></message>",
            archived: false,
            expires_at: None,
        })
        .collect();
    rt.block_on(mimql::offline::store_many(&db, &old, 100))
        .unwrap();
    assert_eq!(delete_old(s, "example.com", 6), "Removed 1 messages");
    assert_eq!(delete_old(s, "example.com", 3), "Removed 1 messages");
    assert_eq!(delete_old(s, "example.com", 1), "Removed 0 messages");
    assert_eq!(
        delete_old(s, "localhost", 3),
        "Removed 0 messages",
        "per domain"
    );
}

#[test]
fn unknown_domains_bad_days_and_the_module_off() {
    let s = server();
    let e = refused(
        s.admin()
            .run(offline::delete_expired_messages("AAAA"))
            .unwrap(),
        "domain_not_found",
        "Unknown domain",
    );
    assert_eq!(e["domain"], "aaaa");
    refused(
        s.admin()
            .run(offline::delete_old_messages("AAAA", 2))
            .unwrap(),
        "domain_not_found",
        "Unknown domain",
    );
    for days in [0, -1] {
        let (status, body) = s.post(
            &s.admin(),
            json!({"query": format!(
                "mutation {{ offline {{ deleteOldMessages(domain: \"localhost\", days: {days}) }} }}"
            )}),
        );
        assert_eq!(status, 400);
        assert_eq!(code(&body), "input_coercion");
        assert!(
            common::message(&body).contains("Value is not a positive integer"),
            "{body}"
        );
    }
    let off = server_without_modules();
    for errors in [
        off.admin()
            .run(offline::delete_expired_messages("localhost"))
            .unwrap()
            .errors,
        off.admin()
            .run(offline::delete_old_messages("localhost", 2))
            .unwrap()
            .errors,
    ] {
        assert_eq!(errors[0].code.as_deref(), Some("deps_not_loaded"));
    }
}
