//! The `account` category (spec: semantics-core 4.2).

mod common;

use common::server;
use mimql_client::Client;
use mimql_client::user::{self, account};

#[test]
fn field_answers_true() {
    let s = server();
    let u = s.new_user("field");
    let data = s
        .client(&u)
        .run(account::field())
        .unwrap()
        .into_data()
        .unwrap();
    assert_eq!(data.account.unwrap().field, Some(true));
}

#[test]
fn change_password_replaces_the_old_one() {
    let s = server();
    let u = s.new_user("carol");
    let old = s.client(&u);
    // Warm the credential cache with the old password first.
    assert_eq!(old.run(user::check_auth()).unwrap().status, 200);
    let resp = old.run(account::change_password("n3w-pass")).unwrap();
    assert_eq!(
        resp.into_data()
            .unwrap()
            .account
            .unwrap()
            .change_password
            .as_deref(),
        Some("Password changed")
    );

    let resp = old.run(user::check_auth()).unwrap();
    assert_eq!(resp.status, 401, "the old password is refused");
    assert_eq!(resp.code(), Some("wrong_credentials"));
    let new = Client::new(&s.user_url).with_basic_auth(&u.jid, "n3w-pass");
    let info = common::check_auth(&new);
    assert_eq!(info.username.unwrap().0, u.jid);
}

#[test]
fn empty_password_is_refused_and_changes_nothing() {
    let s = server();
    let u = s.new_user("dave");
    let resp = s.client(&u).run(account::change_password("")).unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.code(), Some("empty_password"));
    assert_eq!(resp.message(), Some("Empty password"));
    assert_eq!(resp.errors[0].path, vec!["account", "changePassword"]);
    assert_eq!(resp.data.unwrap().account.unwrap().change_password, None);
    assert_eq!(s.client(&u).run(user::check_auth()).unwrap().status, 200);
}

#[test]
fn unregister_removes_the_login() {
    let s = server();
    let u = s.new_user("erin");
    let client = s.client(&u);
    assert_eq!(client.run(user::check_auth()).unwrap().status, 200);
    let resp = client.run(account::unregister()).unwrap();
    assert_eq!(
        resp.into_data().unwrap().account.unwrap().unregister,
        Some(format!("User {} successfully unregistered", u.jid))
    );
    let resp = client.run(user::check_auth()).unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.code(), Some("wrong_credentials"));
    let check = s
        .admin()
        .run(mimql_client::admin::check_user(&u.jid))
        .unwrap()
        .into_data()
        .unwrap();
    assert!(!check.account.unwrap().check_user.unwrap().exist);
    // The name is free again.
    let name = u.jid.split('@').next().unwrap();
    let again = s
        .admin()
        .run(mimql_client::admin::register_user(
            "localhost",
            Some(name),
            "x",
        ))
        .unwrap();
    assert!(again.errors.is_empty(), "{:?}", again.errors);
}

#[test]
fn unregister_with_a_login_resource_names_the_full_jid() {
    let s = server();
    let u = s.new_user("frank");
    let client =
        Client::new(&s.user_url).with_basic_auth(&format!("{}/laptop", u.jid), &u.password);
    let resp = client.run(account::unregister()).unwrap();
    assert_eq!(
        resp.into_data().unwrap().account.unwrap().unregister,
        Some(format!("User {}/laptop successfully unregistered", u.jid))
    );
}

/// Another node changes the password: this node's cached credential is re-checked against the
/// stored hash once it is older than the TTL (0 here), so the old password stops working.
#[test]
fn a_password_changed_on_another_node_is_seen() {
    let (first, second) = common::two_nodes();
    let u = first.new_user("nodes");
    let on_first = first.client(&u);
    assert_eq!(on_first.run(user::check_auth()).unwrap().status, 200);
    assert_eq!(
        on_first.run(user::check_auth()).unwrap().status,
        200,
        "revalidated, still valid"
    );
    let resp = second
        .client(&u)
        .run(account::change_password("elsewhere"))
        .unwrap();
    assert!(resp.errors.is_empty());
    assert_eq!(on_first.run(user::check_auth()).unwrap().status, 401);
    let new = Client::new(&first.user_url).with_basic_auth(&u.jid, "elsewhere");
    assert_eq!(new.run(user::check_auth()).unwrap().status, 200);
}
