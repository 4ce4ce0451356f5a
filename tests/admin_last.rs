//! The admin API's `last` category: any user's last activity (seen through the user API too),
//! and the domain-wide queries on inactive users.

mod common;

use common::{TestServer, refused, server, server_without_modules};
use mimql_client::admin::last;
use mimql_client::sse::{Opened, SseSubscription};
use serde_json::json;

const T2020: &str = "2020-01-01T00:00:00Z";
const T2021: &str = "2021-01-01T00:00:00Z";
const T2023: &str = "2023-06-01T10:00:00Z";

/// A server with a domain of its own, so that domain-wide answers are exact.
fn own_domain() -> (TestServer, String) {
    let domain = format!("{}.test", common::unique("old").replace('_', "-"));
    let d = domain.clone();
    (
        common::server_with(move |c| c.general.hosts.push(d)),
        domain,
    )
}

fn set(s: &TestServer, user: &str, ts: Option<&str>, status: &str) -> last::LastActivity {
    common::ok(s.admin().run(last::set_last(user, ts, status)).unwrap())
        .last
        .unwrap()
        .set_last
        .unwrap()
}

fn count(s: &TestServer, domain: &str, ts: Option<&str>) -> i32 {
    common::ok(s.admin().run(last::count_active_users(domain, ts)).unwrap())
        .last
        .unwrap()
        .count_active_users
        .unwrap()
}

fn old(s: &TestServer, domain: Option<&str>, ts: &str) -> Vec<(String, Option<String>)> {
    common::ok(s.admin().run(last::list_old_users(domain, ts)).unwrap())
        .last
        .unwrap()
        .list_old_users
        .unwrap()
        .into_iter()
        .map(|u| (u.jid.0, u.timestamp.map(|t| t.0)))
        .collect()
}

#[test]
fn set_and_get_for_any_user() {
    let s = server();
    let alice = s.new_user("alice");
    let a = set(s, &alice.jid, Some("2022-04-17T12:58:30.123456Z"), "away");
    assert_eq!(a.user.0, alice.jid);
    assert_eq!(a.timestamp.0, "2022-04-17T12:58:30.000000Z");
    assert_eq!(a.status, "away");
    let got = common::ok(s.admin().run(last::get_last(&alice.jid)).unwrap())
        .last
        .unwrap()
        .get_last
        .unwrap();
    assert_eq!(got, a);
    // The user sees it as its own.
    let own = common::ok(
        s.client(&alice)
            .run(mimql_client::user::last::get_last(None))
            .unwrap(),
    )
    .last
    .unwrap()
    .get_last
    .unwrap();
    assert_eq!(
        (own.timestamp.0.as_str(), own.status.as_str()),
        ("2022-04-17T12:58:30.000000Z", "away")
    );
    // What the user sets, the admin reads.
    s.client(&alice)
        .run(mimql_client::user::last::set_last(Some(T2023), "back"))
        .unwrap();
    let got = common::ok(s.admin().run(last::get_last(&alice.jid)).unwrap())
        .last
        .unwrap()
        .get_last
        .unwrap();
    assert_eq!(
        (got.timestamp.0.as_str(), got.status.as_str()),
        ("2023-06-01T10:00:00.000000Z", "back")
    );
}

#[test]
fn get_and_set_errors() {
    let s = server();
    let admin = s.admin();
    let alice = s.new_user("alice");
    let ext = refused(
        admin.run(last::get_last(&alice.jid)).unwrap(),
        "last_not_found",
        "Given user's last info not found",
    );
    assert_eq!(ext["user"], alice.jid.as_str());
    for ghost in [
        format!("{}@localhost", common::unique("ghost")),
        "eddie@otherhost".to_string(),
    ] {
        refused(
            admin.run(last::get_last(&ghost)).unwrap(),
            "user_does_not_exist",
            &format!("User {ghost} does not exist"),
        );
        refused(
            admin.run(last::set_last(&ghost, None, "x")).unwrap(),
            "user_does_not_exist",
            &format!("User {ghost} does not exist"),
        );
    }
    let resp = admin
        .run(last::set_last(&alice.jid, None, "a\u{0}b"))
        .unwrap();
    assert_eq!(resp.code(), Some("invalid_character"));
    let resp = admin
        .run(last::set_last(&alice.jid, Some("yesterday"), "x"))
        .unwrap();
    assert_eq!(resp.status, 400);
    assert_eq!(resp.code(), Some("input_coercion"));
}

#[test]
fn count_active_users_of_a_domain() {
    let (s, domain) = own_domain();
    assert_eq!(count(&s, &domain, Some(T2020)), 0);
    let (a, b, c) = (
        s.new_user_on("a", &domain),
        s.new_user_on("b", &domain),
        s.new_user_on("c", &domain),
    );
    set(&s, &a.jid, Some(T2020), "");
    set(&s, &b.jid, Some(T2023), "");
    let _ = c;
    assert_eq!(count(&s, &domain, Some(T2021)), 1);
    assert_eq!(count(&s, &domain, Some("2019-12-31T23:59:59Z")), 2);
    // Strictly after the time.
    assert_eq!(count(&s, &domain, Some(T2023)), 0);
    // Without a time: active after now.
    assert_eq!(count(&s, &domain, None), 0);
    let ext = refused(
        s.admin()
            .run(last::count_active_users("nowhere.test", Some(T2021)))
            .unwrap(),
        "domain_not_found",
        "Domain not found",
    );
    assert_eq!(ext["domain"], "nowhere.test");
}

#[test]
fn list_and_remove_old_users() {
    let (s, domain) = own_domain();
    let (a, b, c, d) = (
        s.new_user_on("a", &domain),
        s.new_user_on("b", &domain),
        s.new_user_on("c", &domain),
        s.new_user_on("d", &domain),
    );
    set(&s, &a.jid, Some(T2020), "");
    set(&s, &b.jid, Some(T2023), "");
    // d is online (an SSE session): never old.
    let stream = match SseSubscription::open(
        &s.client(&d),
        &mimql_client::user::stanza::subscribe_for_messages(),
    )
    .unwrap()
    {
        Opened::Stream(st) => st,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    };
    assert!(common::eventually(10, || {
        common::sessions(&s.client(&d))
            .list_sessions
            .is_some_and(|l| !l.is_empty())
    }));
    let expected = vec![
        (
            a.jid.clone(),
            Some("2020-01-01T00:00:00.000000Z".to_string()),
        ),
        (c.jid.clone(), None),
    ];
    assert_eq!(old(&s, Some(&domain), T2021), expected);
    // Every domain: ours are among them.
    let all = old(&s, None, T2021);
    for u in &expected {
        assert!(all.contains(u), "{u:?} in {all:?}");
    }
    assert!(!all.iter().any(|(j, _)| j == &b.jid || j == &d.jid));
    // At or after the time is not old.
    assert_eq!(old(&s, Some(&domain), T2020), vec![(c.jid.clone(), None)]);
    let ext = refused(
        s.admin()
            .run(last::list_old_users(Some("nowhere.test"), T2021))
            .unwrap(),
        "domain_not_found",
        "Domain not found",
    );
    assert_eq!(ext["domain"], "nowhere.test");

    let removed = common::ok(
        s.admin()
            .run(last::remove_old_users(Some(&domain), T2021))
            .unwrap(),
    )
    .last
    .unwrap()
    .remove_old_users
    .unwrap();
    let removed: Vec<_> = removed
        .into_iter()
        .map(|u| (u.jid.0, u.timestamp.map(|t| t.0)))
        .collect();
    assert_eq!(removed, expected);
    let exists = |jid: &str| {
        common::ok(s.admin().run(mimql_client::admin::check_user(jid)).unwrap())
            .account
            .unwrap()
            .check_user
            .unwrap()
            .exist
    };
    assert!(!exists(&a.jid));
    assert!(!exists(&c.jid));
    assert!(exists(&b.jid));
    assert!(exists(&d.jid));
    // The removed cannot log in any more.
    let resp = s.client(&a).run(mimql_client::user::check_auth()).unwrap();
    assert_eq!(resp.status, 401);
    assert!(old(&s, Some(&domain), T2021).is_empty());
    let resp = s
        .admin()
        .run(last::remove_old_users(Some("nowhere.test"), T2021))
        .unwrap();
    assert_eq!(resp.code(), Some("domain_not_found"));
    stream.close();
}

#[test]
fn last_without_its_module() {
    let s = server_without_modules();
    let alice = s.new_user("alice");
    let resp = s.admin().run(last::get_last(&alice.jid)).unwrap();
    assert_eq!(resp.code(), Some("deps_not_loaded"));
    assert_eq!(
        resp.errors[0].extensions["not_loaded_modules"],
        json!(["mod_last"])
    );
    let resp = s
        .admin()
        .run(last::count_active_users("localhost", None))
        .unwrap();
    assert_eq!(resp.code(), Some("deps_not_loaded"));
    let resp = s
        .admin()
        .run(last::remove_old_users(Some("localhost"), T2021))
        .unwrap();
    assert_eq!(resp.code(), Some("deps_not_loaded"));
}
