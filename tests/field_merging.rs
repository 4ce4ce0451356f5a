//! Field Selection Merging (spec §5.3.2) and All Variable Usages Are Allowed (§5.8.5) on the
//! real server: documents graphql-js refuses are refused before anything runs.

mod common;

use common::{code, message, server};
use mimql_client::Client;
use serde_json::json;

const CONFLICT: &str = r#"mutation { a: account { changePassword(newPassword: "x1") } a: account { changePassword(newPassword: "x2") } }"#;

#[test]
fn conflicting_nested_arguments_are_refused_and_nothing_runs() {
    let s = server();
    let u = s.new_user("merge");
    let (status, body) = s.post(&s.client(&u), json!({ "query": CONFLICT }));
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "validation_error");
    assert_eq!(
        message(&body),
        r#"Fields "a" conflict because subfields "changePassword" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional."#
    );
    assert!(body.get("data").is_none_or(|d| d.is_null()), "{body}");
    // The old password still works; neither new one does.
    common::check_auth(&s.client(&u));
    for pw in ["x1", "x2"] {
        let other = Client::new(&s.user_url).with_basic_auth(&u.jid, pw);
        let resp = other.run(mimql_client::user::check_auth()).unwrap();
        assert_eq!(resp.status, 401, "password {pw} must not have been set");
    }
}

#[test]
fn identical_fields_merge_and_run_once() {
    let s = server();
    let u = s.new_user("merge_same");
    let q = r#"mutation { a: account { changePassword(newPassword: "s4me-pass") } a: account { changePassword(newPassword: "s4me-pass") } }"#;
    let (status, body) = s.post(&s.client(&u), json!({ "query": q }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!({ "a": { "changePassword": "Password changed" } })
    );
    let new = Client::new(&s.user_url).with_basic_auth(&u.jid, "s4me-pass");
    common::check_auth(&new);
}

#[test]
fn other_conflicts_are_refused() {
    let s = server();
    let u = s.new_user("merge_other");
    let c = s.client(&u);
    let cases = [
        (
            "{ x: checkAuth { username } x: checkAuth { authStatus } }",
            None,
        ),
        (
            "{ checkAuth { u: username u: authStatus } }",
            Some(
                r#"Fields "u" conflict because "username" and "authStatus" are different fields. Use different aliases on the fields to fetch both if this was intentional."#,
            ),
        ),
        (
            "{ checkAuth { ...A ...B } } fragment A on UserAuthInfo { u: username } fragment B on UserAuthInfo { u: authStatus }",
            None,
        ),
        (
            "{ ...Q x: checkAuth { username } } fragment Q on UserQuery { x: account { field } }",
            None,
        ),
        (
            "{ c: checkAuth { ...F } c: checkAuth { ...G } } fragment F on UserAuthInfo { v: username } fragment G on UserAuthInfo { v: authStatus }",
            None,
        ),
    ];
    for (q, msg) in cases {
        let (status, body) = s.post(&c, json!({ "query": q }));
        if q.contains("x: checkAuth { username } x: checkAuth { authStatus }") {
            // Different sub-fields under one name merge: that is valid.
            assert_eq!(status, 200, "{q}: {body}");
            continue;
        }
        assert_eq!(status, 400, "{q}: {body}");
        assert_eq!(code(&body), "validation_error", "{q}: {body}");
        if let Some(m) = msg {
            assert_eq!(message(&body), m);
        }
    }
}

#[test]
fn variables_in_disallowed_positions_are_refused() {
    let s = server();
    let u = s.new_user("varpos");
    for q in [
        "mutation($v0: XmlElement) { private { setPrivate(elementString: $v0) } }",
        "mutation($v: XmlElement) { inbox { flushBin(days: $v) } }",
    ] {
        for client in [s.client(&u), s.anonymous()] {
            let (status, body) = s.post(&client, json!({ "query": q }));
            assert_eq!(status, 400, "{q}: {body}");
            assert_eq!(code(&body), "validation_error", "{q}: {body}");
        }
    }
}

#[test]
fn many_fields_under_one_name_merge_or_conflict() {
    let s = server();
    let u = s.new_user("merge_many");
    let c = s.client(&u);
    // Within the cost bound: repeated leaves merge into one, and distinct ones conflict (that
    // neither makes the check quadratic is measured by bench/attack.sh, not here).
    let same = format!("{{ checkAuth {{ {} }} }}", "a: username ".repeat(1500));
    let distinct = format!(
        "{{ last {{ {} }} }}",
        (0..600)
            .map(|i| format!("g: getLast(user: \"u{i}@localhost\") {{ status }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (status, body) = s.post(&c, json!({ "query": same }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["checkAuth"]["a"], json!(u.jid), "{body}");
    let (status, body) = s.post(&c, json!({ "query": distinct }));
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "validation_error", "{body}");
}
