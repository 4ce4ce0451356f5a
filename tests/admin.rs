//! The admin API used to provision users (foundation issue, section 3).

mod common;

use common::{server, unique};
use mimql_client::Client;
use mimql_client::admin::{self, AuthStatus, AuthType};

fn auth_info(c: &Client) -> admin::AdminAuthInfo {
    c.run(admin::check_auth())
        .unwrap()
        .into_data()
        .unwrap()
        .check_auth
        .unwrap()
}

#[test]
fn check_auth_reports_admin_or_unauthorized() {
    let s = server();
    let info = auth_info(&s.admin());
    assert_eq!(info.auth_status, AuthStatus::Authorized);
    assert_eq!(info.auth_type, Some(AuthType::Admin));
    let anon = Client::new(&s.admin_url);
    let info = auth_info(&anon);
    assert_eq!(info.auth_status, AuthStatus::Unauthorized);
    assert_eq!(info.auth_type, Some(AuthType::Unauthorized));
}

#[test]
fn wrong_admin_credentials_are_401() {
    let s = server();
    for (u, p) in [("admin", "wrong"), ("root", "secret")] {
        let resp = Client::new(&s.admin_url)
            .with_basic_auth(u, p)
            .run(admin::check_auth())
            .unwrap();
        assert_eq!(resp.status, 401);
        assert_eq!(resp.code(), Some("wrong_credentials"));
    }
    let resp = Client::new(&s.admin_url)
        .run(admin::remove_user("a@localhost"))
        .unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.code(), Some("no_permissions"));
}

#[test]
fn register_user_and_its_errors() {
    let s = server();
    let name = unique("Gina");
    let lower = name.to_lowercase();
    let resp = s
        .admin()
        .run(admin::register_user("LocalHost", Some(&name), "pw"))
        .unwrap();
    let payload = resp
        .into_data()
        .unwrap()
        .account
        .unwrap()
        .register_user
        .unwrap();
    assert_eq!(payload.jid.0, format!("{lower}@localhost"));
    assert_eq!(
        payload.message,
        format!("User {lower}@localhost successfully registered")
    );

    let resp = s
        .admin()
        .run(admin::register_user("localhost", Some(&lower), "pw"))
        .unwrap();
    assert_eq!(resp.code(), Some("exists"));
    assert_eq!(
        resp.message(),
        Some(format!("User {lower}@localhost already registered").as_str())
    );
    assert_eq!(
        resp.errors[0].extensions["jid"],
        format!("{lower}@localhost")
    );

    let resp = s
        .admin()
        .run(admin::register_user("nowhere.test", Some(&lower), "pw"))
        .unwrap();
    assert_eq!(resp.code(), Some("domain_not_found"));
    assert_eq!(resp.message(), Some("Domain does not exist"));

    let resp = s
        .admin()
        .run(admin::register_user("localhost", Some(&unique("h")), ""))
        .unwrap();
    assert_eq!(resp.code(), Some("empty_password"));
    assert_eq!(resp.message(), Some("Empty password"));
}

#[test]
fn register_user_without_a_name_picks_one() {
    let s = server();
    let resp = s
        .admin()
        .run(admin::register_user("localhost", None, "pw"))
        .unwrap();
    let payload = resp
        .into_data()
        .unwrap()
        .account
        .unwrap()
        .register_user
        .unwrap();
    assert!(payload.jid.0.ends_with("@localhost"));
    let client = Client::new(&s.user_url).with_basic_auth(&payload.jid.0, "pw");
    assert_eq!(
        client.run(mimql_client::user::check_auth()).unwrap().status,
        200
    );
}

#[test]
fn remove_user_and_its_errors() {
    let s = server();
    let u = s.new_user("ivan");
    let resp = s.admin().run(admin::remove_user(&u.jid)).unwrap();
    let payload = resp
        .into_data()
        .unwrap()
        .account
        .unwrap()
        .remove_user
        .unwrap();
    assert_eq!(
        payload.message,
        format!("User {} successfully unregistered", u.jid)
    );
    assert_eq!(
        s.client(&u)
            .run(mimql_client::user::check_auth())
            .unwrap()
            .status,
        401
    );

    let resp = s.admin().run(admin::remove_user(&u.jid)).unwrap();
    assert_eq!(resp.code(), Some("user_does_not_exist"));
    assert_eq!(
        resp.message(),
        Some(format!("User {} does not exist", u.jid).as_str())
    );
    assert_eq!(resp.errors[0].extensions["jid"], u.jid);
}

#[test]
fn change_user_password_and_check_password() {
    let s = server();
    let u = s.new_user("judy");
    assert_eq!(
        s.client(&u)
            .run(mimql_client::user::check_auth())
            .unwrap()
            .status,
        200
    );
    let resp = s
        .admin()
        .run(admin::change_user_password(&u.jid, "other"))
        .unwrap();
    let payload = resp
        .into_data()
        .unwrap()
        .account
        .unwrap()
        .change_user_password
        .unwrap();
    assert_eq!(payload.message, "Password changed");
    assert_eq!(
        s.client(&u)
            .run(mimql_client::user::check_auth())
            .unwrap()
            .status,
        401
    );

    let check = |pw: &str| {
        s.admin()
            .run(admin::check_password(&u.jid, pw))
            .unwrap()
            .into_data()
            .unwrap()
            .account
            .unwrap()
            .check_password
            .unwrap()
    };
    let ok = check("other");
    assert!(ok.correct);
    assert_eq!(
        ok.message,
        format!("Password for user {} is correct", u.jid)
    );
    let bad = check(&u.password);
    assert!(!bad.correct);
    assert_eq!(
        bad.message,
        format!("Password for user {} is incorrect", u.jid)
    );

    let resp = s
        .admin()
        .run(admin::change_user_password("ghost_x@localhost", "p"))
        .unwrap();
    assert_eq!(resp.code(), Some("user_does_not_exist"));
    let resp = s
        .admin()
        .run(admin::change_user_password(&u.jid, ""))
        .unwrap();
    assert_eq!(resp.code(), Some("empty_password"));
    let resp = s
        .admin()
        .run(admin::check_password("ghost_x@localhost", "p"))
        .unwrap();
    assert_eq!(resp.code(), Some("user_does_not_exist"));
    assert_eq!(
        resp.message(),
        Some("User ghost_x@localhost does not exist")
    );
}

#[test]
fn check_user_says_whether_it_exists() {
    let s = server();
    let u = s.new_user("kim");
    let found = s
        .admin()
        .run(admin::check_user(&u.jid))
        .unwrap()
        .into_data()
        .unwrap()
        .account
        .unwrap()
        .check_user
        .unwrap();
    assert!(found.exist);
    assert_eq!(found.message, format!("User {} exists", u.jid));
    let missing = s
        .admin()
        .run(admin::check_user("ghost_y@localhost"))
        .unwrap()
        .into_data()
        .unwrap()
        .account
        .unwrap()
        .check_user
        .unwrap();
    assert!(!missing.exist);
    assert_eq!(missing.message, "User ghost_y@localhost does not exist");
}

#[test]
fn list_and_count_users_of_a_domain() {
    let s = server();
    // `listing.test` is used by this test only.
    let mut expected: Vec<String> = (0..3)
        .map(|i| s.new_user_on(&format!("l{i}"), "listing.test").jid)
        .collect();
    expected.sort();
    let data = s
        .admin()
        .run(admin::list_users("listing.test"))
        .unwrap()
        .into_data()
        .unwrap()
        .account
        .unwrap();
    assert_eq!(data.list_users.unwrap(), expected);
    assert_eq!(data.count_users, Some(3));
    let resp = s.admin().run(admin::list_users("nowhere.test")).unwrap();
    assert_eq!(resp.code(), Some("domain_not_found"));
    assert_eq!(resp.errors[0].extensions["domain"], "nowhere.test");
}
