//! The `last` category (spec: semantics-core 4.10).

mod common;

use common::{server, server_without_modules};
use mimql_client::user::last;

#[test]
fn set_and_get_with_a_timestamp() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let set = c
        .run(last::set_last(Some("2022-04-17T12:58:30.000000Z"), "Busy"))
        .unwrap();
    let set = set.into_data().unwrap().last.unwrap().set_last.unwrap();
    assert_eq!(set.user.0, alice.jid);
    assert_eq!(set.timestamp.0, "2022-04-17T12:58:30.000000Z");
    assert_eq!(set.status, "Busy");
    let got = c
        .run(last::get_last(None))
        .unwrap()
        .into_data()
        .unwrap()
        .last
        .unwrap()
        .get_last
        .unwrap();
    assert_eq!(got, set);
}

#[test]
fn timestamps_keep_seconds_and_convert_to_utc() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let set = c
        .run(last::set_last(Some("2022-04-17T14:58:30.987654+02:00"), ""))
        .unwrap();
    let set = set.into_data().unwrap().last.unwrap().set_last.unwrap();
    assert_eq!(set.timestamp.0, "2022-04-17T12:58:30.000000Z");
    assert_eq!(set.status, "", "an empty status is fine");
}

#[test]
fn without_a_timestamp_now_is_used() {
    let s = server();
    let alice = s.new_user("alice");
    let before = chrono::Utc::now().timestamp();
    let set = s.client(&alice).run(last::set_last(None, "away")).unwrap();
    let set = set.into_data().unwrap().last.unwrap().set_last.unwrap();
    let t = chrono::DateTime::parse_from_rfc3339(&set.timestamp.0)
        .unwrap()
        .timestamp();
    assert!(
        t >= before - 1 && t <= chrono::Utc::now().timestamp() + 1,
        "{}",
        set.timestamp.0
    );
    assert!(set.timestamp.0.ends_with(".000000Z"));
}

#[test]
fn anyone_can_read_another_users_last_activity() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    s.client(&bob)
        .run(last::set_last(Some("2023-01-01T00:00:00Z"), "gone fishing"))
        .unwrap();
    let full = format!("{}/desk", bob.jid);
    let got = s.client(&alice).run(last::get_last(Some(&full))).unwrap();
    let got = got.into_data().unwrap().last.unwrap().get_last.unwrap();
    assert_eq!(got.user.0, full, "the resource is echoed");
    assert_eq!(got.status, "gone fishing");
    assert_eq!(got.timestamp.0, "2023-01-01T00:00:00.000000Z");
}

#[test]
fn missing_users_and_records() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let resp = c.run(last::get_last(None)).unwrap();
    assert_eq!(resp.code(), Some("last_not_found"));
    assert_eq!(resp.message(), Some("Given user's last info not found"));
    assert_eq!(resp.errors[0].extensions["user"], alice.jid);
    for who in ["ghost_l@localhost", "ghost@elsewhere.example"] {
        let resp = c.run(last::get_last(Some(who))).unwrap();
        assert_eq!(resp.code(), Some("user_does_not_exist"));
        assert_eq!(
            resp.message(),
            Some(format!("User {who} does not exist").as_str())
        );
        assert_eq!(resp.errors[0].extensions["user"], who);
    }
}

#[test]
fn invalid_timestamps_are_400() {
    let s = server();
    let alice = s.new_user("alice");
    for ts in ["2022-04-17 12:58:30Z", "2022-04-17T25:00:00Z", "yesterday"] {
        let resp = s.client(&alice).run(last::set_last(Some(ts), "x")).unwrap();
        assert_eq!(resp.status, 400, "{ts}");
        assert_eq!(resp.code(), Some("input_coercion"));
        assert!(
            resp.message()
                .unwrap()
                .ends_with("The reason it failed is: failed_to_parse_datetime")
        );
    }
}

#[test]
fn last_without_its_module() {
    let s = server_without_modules();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let set = c.run(last::set_last(None, "x")).unwrap();
    let get = c.run(last::get_last(Some(&alice.jid))).unwrap();
    for (code, errors) in [(set.code(), &set.errors), (get.code(), &get.errors)] {
        assert_eq!(code, Some("deps_not_loaded"));
        assert_eq!(
            errors[0].extensions["not_loaded_modules"],
            serde_json::json!(["mod_last"])
        );
        assert_eq!(
            errors[0].extensions["not_loaded_services"],
            serde_json::json!([])
        );
    }
}
