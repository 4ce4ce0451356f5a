//! Authentication and authorization of the user endpoint (spec: semantics-core 1.4, 1.8, 4.1).

mod common;

use common::{code, message, server};
use mimql_client::user::{self, AuthStatus};
use serde_json::json;

#[test]
fn check_auth_without_credentials_is_unauthorized() {
    let resp = server().anonymous().run(user::check_auth()).unwrap();
    assert_eq!(resp.status, 200);
    let info = resp.into_data().unwrap().check_auth.unwrap();
    assert_eq!(info.username, None);
    assert_eq!(info.auth_status, Some(AuthStatus::Unauthorized));
}

#[test]
fn check_auth_with_credentials_returns_the_normalised_jid() {
    let s = server();
    let u = s.new_user("alice");
    let shouting = u.jid.to_uppercase();
    let client = mimql_client::Client::new(&s.user_url).with_basic_auth(&shouting, &u.password);
    let info = common::check_auth(&client);
    assert_eq!(info.username.unwrap().0, u.jid);
    assert_eq!(info.auth_status, Some(AuthStatus::Authorized));
}

#[test]
fn a_login_resource_is_kept() {
    let s = server();
    let u = s.new_user("res");
    let client = mimql_client::Client::new(&s.user_url)
        .with_basic_auth(&format!("{}/Phone", u.jid), &u.password);
    let info = common::check_auth(&client);
    assert_eq!(info.username.unwrap().0, format!("{}/Phone", u.jid));
}

#[test]
fn wrong_password_unknown_user_and_bad_jids_are_401() {
    let s = server();
    let u = s.new_user("bob");
    for (user, password) in [
        (u.jid.as_str(), "wrong"),
        ("nobody_here@localhost", "x"),
        (u.jid.as_str(), ""),
        ("no-at-sign", "x"),
        ("alice@unknown.domain", "x"),
    ] {
        let client = mimql_client::Client::new(&s.user_url).with_basic_auth(user, password);
        let resp = client.run(user::check_auth()).unwrap();
        assert_eq!(resp.status, 401, "{user}");
        assert_eq!(resp.code(), Some("wrong_credentials"));
        assert_eq!(resp.message(), Some("The provided credentials are wrong"));
        assert!(resp.data.is_none());
    }
}

#[test]
fn malformed_header_is_request_error_and_other_schemes_are_anonymous() {
    let s = server();
    let bad = s.anonymous().with_authorization(Some("Basic not-base64!"));
    let resp = bad.run(user::check_auth()).unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.code(), Some("request_error"));
    assert_eq!(
        resp.message(),
        Some("Malformed authorization header. Please consult the relevant specification")
    );
    let digest = s.anonymous().with_authorization(Some("Digest abc"));
    let info = common::check_auth(&digest);
    assert_eq!(info.auth_status, Some(AuthStatus::Unauthorized));
    // Bearer carries an access token (issue 9, tests/token.rs): a bad one is refused like a
    // wrong password instead of being anonymous as in the reference.
    let bearer = s.anonymous().with_authorization(Some("Bearer abc"));
    let resp = bearer.run(user::check_auth()).unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.code(), Some("wrong_credentials"));
}

#[test]
fn protected_categories_need_credentials() {
    let s = server();
    let resp = s
        .anonymous()
        .run(mimql_client::user::account::field())
        .unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.code(), Some("no_permissions"));
    assert_eq!(
        resp.message(),
        Some("Cannot execute query Field without permissions")
    );
    assert!(resp.data.is_none());
}

/// The reference skipped `@protected` for a named operation sent without `operationName`
/// (ruling 1): every way of selecting, aliasing or spreading a protected field is refused.
#[test]
fn authorization_cannot_be_bypassed() {
    let s = server();
    let anon = s.anonymous();
    let victim = s.new_user("victim");
    let documents = [
        json!({"query": "query Named { account { field } }"}),
        json!({"query": "query Named { account { field } }", "operationName": null}),
        json!({"query": "query Named { account { field } }", "operationName": ""}),
        json!({"query": "{ a: account { f: field } }"}),
        json!({"query": "{ ...F } fragment F on UserQuery { account { field } }"}),
        json!({"query": "{ ... on UserQuery { account { field } } }"}),
        json!({"query": "query A { checkAuth { username } } query B { account { field } }", "operationName": "B"}),
        json!({"query": "{ checkAuth { username } account { __typename } }"}),
        json!({"query": "mutation { __typename }"}),
        json!({"query": "mutation M { account { unregister } }"}),
        json!({"query": "mutation { ...F } fragment F on UserMutation { account { unregister } }"}),
        json!({"query": "query Q($u: JID) { last { getLast(user: $u) { user } } }", "variables": {"u": victim.jid}}),
    ];
    for doc in documents {
        let (status, body) = s.post(&anon, doc.clone());
        assert_eq!(status, 401, "{doc}: {body}");
        assert_eq!(code(&body), "no_permissions", "{doc}");
        assert!(body.get("data").is_none());
    }
    // The victim can still log in: nothing ran.
    let resp = s.client(&victim).run(user::check_auth()).unwrap();
    assert_eq!(resp.status, 200);
}

#[test]
fn several_operations_without_a_name_run_nothing() {
    let s = server();
    let u = s.new_user("multi");
    let (status, body) = s.post(
        &s.client(&u),
        json!({"query": "query A { checkAuth { username } } mutation B { account { unregister } }"}),
    );
    assert_eq!(status, 200);
    assert_eq!(code(&body), "more_than_one_operation");
    assert_eq!(
        message(&body),
        "Error in execution: more_than_one_operation"
    );
    assert!(body.get("data").is_none());
    assert_eq!(s.client(&u).run(user::check_auth()).unwrap().status, 200);
}

#[test]
fn an_unknown_operation_name_is_400() {
    let s = server();
    let (status, body) = s.post(
        &s.anonymous(),
        json!({"query": "query A { checkAuth { username } }", "operationName": "Nope"}),
    );
    assert_eq!(status, 400);
    assert_eq!(code(&body), "operation_not_found");
    assert_eq!(
        message(&body),
        "Expected an operation \"Nope\" but no such operation was found"
    );
}

#[test]
fn introspection_is_open() {
    let s = server();
    let (status, body) = s.post(
        &s.anonymous(),
        json!({"query": "{ __schema { queryType { name } } }"}),
    );
    assert_eq!(status, 200);
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "UserQuery");
}
