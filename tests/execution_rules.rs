//! GraphQL execution rules (spec §6 "Execution", §3.13 `@skip`/`@include`): a skipped selection
//! is absent, never `null`; an object whose selections are all skipped is `{}`; a skipped
//! mutation field does not run. (Issue 13, item 6; the fix is in async-graphql, see
//! `vendor/README.md`.)

mod common;

use common::{TestServer, User, server};
use mimql_client::user::roster;
use serde_json::{Value, json};

/// Runs `query` (with `variables`) as `user`; the reply must be a 200 without errors.
fn data(s: &TestServer, user: &User, query: &str, variables: Value) -> Value {
    let (status, body) = s.post(
        &s.client(user),
        json!({"query": query, "variables": variables}),
    );
    assert_eq!(status, 200, "{query}: {body}");
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

#[test]
fn a_skipped_root_field_leaves_an_empty_data_object() {
    let s = server();
    let alice = s.new_user("alice");
    for query in [
        "{ checkAuth @skip(if: true) { username } }",
        "{ checkAuth @include(if: false) { username } }",
        "{ ... @skip(if: true) { checkAuth { username } } }",
        "{ ...F @include(if: false) } fragment F on UserQuery { checkAuth { username } }",
    ] {
        assert_eq!(data(s, &alice, query, json!({})), json!({}), "{query}");
    }
    // The exact body, as the issue has it.
    let (status, body) = s.post(
        &s.client(&alice),
        json!({"query": "{ checkAuth @skip(if: true) { username } }"}),
    );
    assert_eq!(
        (status, body.to_string()),
        (200, r#"{"data":{}}"#.to_string())
    );

    let query = "query($s: Boolean!) { checkAuth @skip(if: $s) { username } }";
    assert_eq!(data(s, &alice, query, json!({"s": true})), json!({}));
    assert_eq!(
        data(s, &alice, query, json!({"s": false})),
        json!({"checkAuth": {"username": alice.jid}})
    );
    // Siblings of a skipped field stay.
    assert_eq!(
        data(
            s,
            &alice,
            "{ checkAuth { username } roster @skip(if: true) { listContacts { jid } } }",
            json!({})
        ),
        json!({"checkAuth": {"username": alice.jid}})
    );
}

#[test]
fn an_object_whose_fields_are_all_skipped_is_empty_not_null() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let added = s
        .client(&alice)
        .run(roster::add_contact(&bob.jid, None, None))
        .unwrap();
    assert_eq!(added.code(), None);

    // The issue's document: `[Contact!]` must not hold a null.
    assert_eq!(
        data(
            s,
            &alice,
            "{ roster { listContacts { jid @skip(if: true) } } }",
            json!({})
        ),
        json!({"roster": {"listContacts": [{}]}})
    );
    assert_eq!(
        data(
            s,
            &alice,
            "{ roster { listContacts { jid @skip(if: true) name } } }",
            json!({})
        ),
        json!({"roster": {"listContacts": [{"name": ""}]}})
    );
    let get = |directives: &str| {
        format!("query($c: JID!) {{ roster {{ getContact(contact: $c) {{ jid {directives} }} }} }}")
    };
    for (query, expected) in [
        (
            "{ checkAuth { username @skip(if: true) } }".to_string(),
            json!({"checkAuth": {}}),
        ),
        (
            "{ roster { listContacts @include(if: false) { jid } } }".to_string(),
            json!({"roster": {}}),
        ),
        (
            "{ roster { ... on RosterUserQuery @skip(if: true) { listContacts { jid } } } }"
                .to_string(),
            json!({"roster": {}}),
        ),
        (
            "{ roster { ...C @skip(if: true) } } \
             fragment C on RosterUserQuery { listContacts { jid } }"
                .to_string(),
            json!({"roster": {}}),
        ),
        (
            get("@skip(if: true) @include(if: true)"),
            json!({"roster": {"getContact": {}}}),
        ),
        (
            get("@skip(if: false) @include(if: true)"),
            json!({"roster": {"getContact": {"jid": bob.jid}}}),
        ),
    ] {
        let vars = if query.contains("$c") {
            json!({"c": bob.jid})
        } else {
            json!({})
        };
        assert_eq!(data(s, &alice, &query, vars), expected, "{query}");
    }
}

#[test]
fn a_skipped_mutation_does_not_run() {
    let s = server();
    let alice = s.new_user("alice");
    assert_eq!(
        data(
            s,
            &alice,
            r#"mutation { last @skip(if: true) { setLast(status: "skipped") { status } } }"#,
            json!({})
        ),
        json!({})
    );
    assert_eq!(
        data(
            s,
            &alice,
            r#"mutation { last { setLast(status: "skipped") @include(if: false) { status } } }"#,
            json!({})
        ),
        json!({"last": {}})
    );
    let resp = s
        .client(&alice)
        .run(mimql_client::user::last::get_last(None))
        .unwrap();
    assert_eq!(resp.code(), Some("last_not_found"));
}
