//! The admin API's `token` category: any user's tokens, usable on the user API until revoked.

mod common;

use common::{refused, server, server_without_modules};
use mimql_client::admin::token;
use serde_json::json;

fn bearer_status(s: &common::TestServer, access: &str) -> u16 {
    s.post(
        &s.anonymous().with_bearer(access),
        json!({"query": "{ checkAuth { username } }"}),
    )
    .0
}

#[test]
fn a_token_the_admin_requests_authenticates_the_user_until_revoked() {
    let s = server();
    let alice = s.new_user("admtok");
    let t = common::ok(s.admin().run(token::request_token(&alice.jid)).unwrap())
        .token
        .unwrap()
        .request_token
        .unwrap();
    let (access, refresh) = (t.access.unwrap(), t.refresh.unwrap());
    assert_ne!(access, refresh);
    let info = common::check_auth(&s.anonymous().with_bearer(&access));
    assert_eq!(info.username.map(|u| u.0), Some(alice.jid.clone()));
    assert_eq!(bearer_status(s, &access), 200);

    let revoked = common::ok(s.admin().run(token::revoke_token(&alice.jid)).unwrap())
        .token
        .unwrap()
        .revoke_token;
    assert_eq!(revoked.as_deref(), Some("Revoked"));
    assert_eq!(bearer_status(s, &access), 401);
    assert_eq!(bearer_status(s, &refresh), 401);
    // The password still works.
    assert!(common::check_auth(&s.client(&alice)).username.is_some());
}

#[test]
fn revoke_without_a_token_and_unknown_users() {
    let s = server();
    let bob = s.new_user("admtok");
    let e = refused(
        s.admin().run(token::revoke_token(&bob.jid)).unwrap(),
        "not_found",
        "User or token not found",
    );
    assert_eq!(e["user"], bob.jid.as_str());
    refused(
        s.admin()
            .run(token::request_token("nobody@localhost"))
            .unwrap(),
        "not_found",
        "User does not exist",
    );
    let e = refused(
        s.admin()
            .run(token::request_token("eddie@otherhost"))
            .unwrap(),
        "not_found",
        "Unknown domain",
    );
    assert_eq!(e["user"], "eddie@otherhost");
    refused(
        s.admin()
            .run(token::revoke_token("eddie@otherhost"))
            .unwrap(),
        "not_found",
        "Unknown domain",
    );
}

#[test]
fn without_mod_auth_token() {
    let s = server_without_modules();
    let u = s.new_user("admtok");
    let e = refused(
        s.admin().run(token::request_token(&u.jid)).unwrap(),
        "deps_not_loaded",
        "Some of required modules or services are not loaded",
    );
    assert_eq!(e["not_loaded_modules"], json!(["mod_auth_token"]));
    refused(
        s.admin().run(token::revoke_token(&u.jid)).unwrap(),
        "deps_not_loaded",
        "Some of required modules or services are not loaded",
    );
}
