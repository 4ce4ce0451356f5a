//! The admin API's `account` additions: `checkPasswordHash`, `banUser` (seen through the user
//! API: the credentials stop working, the user's streams end) and `importUsers` from a CSV file
//! on the server.

mod common;

use std::time::Duration;

use common::{refused, server};
use mimql_client::admin::account;
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::stanza::{SubscribeForMessages, subscribe_for_messages};

fn authorized(c: &mimql_client::Client) {
    assert_eq!(
        common::check_auth(c).auth_status,
        Some(mimql_client::user::AuthStatus::Authorized)
    );
}

#[test]
fn check_password_hash_has_no_plain_password_to_compare() {
    let s = server();
    let alice = s.new_user("hash");
    // mimql stores no plain password: as the reference for a SCRAM user, whatever the method.
    for (user, method) in [
        (&alice.jid, "md5"),
        (&alice.jid, "sha"),
        (&alice.jid, "sha256"),
    ] {
        let e = refused(
            s.admin()
                .run(account::check_password_hash(user, "0123abcd", method))
                .unwrap(),
            "wrong_user",
            "User does not exist or using SCRAM password",
        );
        assert_eq!(e["jid"], alice.jid.as_str());
    }
    refused(
        s.admin()
            .run(account::check_password_hash(
                "nobody@localhost",
                "00",
                "md5",
            ))
            .unwrap(),
        "wrong_user",
        "User does not exist or using SCRAM password",
    );
}

#[test]
fn ban_user_changes_the_password_and_ends_the_streams() {
    let s = server();
    let alice = s.new_user("banned");
    let c = s.client(&alice);
    authorized(&c);
    let Opened::Stream(mut sub) = SseSubscription::open(&c, &subscribe_for_messages()).unwrap()
    else {
        panic!("refused")
    };
    assert!(common::eventually(10, || {
        common::sessions(&c)
            .list_sessions
            .is_some_and(|l| l.len() == 1)
    }));

    let p = common::ok(
        s.admin()
            .run(account::ban_user(&alice.jid, "spamming"))
            .unwrap(),
    )
    .account
    .unwrap()
    .ban_user
    .unwrap();
    assert_eq!(p.jid.0, alice.jid);
    assert_eq!(
        p.message,
        format!(
            "User {} successfully banned with reason: spamming",
            alice.jid
        )
    );
    // The stream ends, the old password no longer works, the account still exists.
    assert_eq!(
        sub.next::<SubscribeForMessages>(Duration::from_secs(10))
            .expect("the stream ends cleanly")
            .map(|e| e.data),
        None
    );
    let resp = c.run(mimql_client::user::check_auth()).unwrap();
    assert_eq!(resp.status, 401, "the old password is refused");
    assert_eq!(resp.code(), Some("wrong_credentials"));
    let check = common::ok(
        s.admin()
            .run(mimql_client::admin::check_user(&alice.jid))
            .unwrap(),
    );
    assert!(check.account.unwrap().check_user.unwrap().exist);
    let no_sessions = common::ok(
        s.admin()
            .run(mimql_client::admin::check_password(
                &alice.jid,
                &alice.password,
            ))
            .unwrap(),
    );
    assert!(!no_sessions.account.unwrap().check_password.unwrap().correct);
}

#[test]
fn ban_user_of_a_user_that_does_not_exist() {
    let s = server();
    for jid in ["ghost@localhost", "ghost@unknown.example"] {
        let e = refused(
            s.admin().run(account::ban_user(jid, "why")).unwrap(),
            "user_does_not_exist",
            &format!("User {jid} does not exist"),
        );
        assert_eq!(e["jid"], jid);
    }
}

#[test]
fn import_users_sorts_the_records_by_outcome() {
    let s = server();
    let existing = s.new_user("imported");
    let (a, b) = (common::unique("imp"), common::unique("imp"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    let (ename, _) = existing.jid.split_once('@').unwrap();
    std::fs::write(
        &path,
        format!(
            "{a},localhost,pw-a\n\
             {b},LocalHost,\"pw,b\"\n\
             {ename},localhost,whatever\n\
             {a}x,unknown.example,pw\n\
             bad user,localhost,pw\n\
             {a}y,localhost,\n\
             only,two\n\
             one,two,three,four\n"
        ),
    )
    .unwrap();
    let r = common::ok(
        s.admin()
            .run(account::import_users(path.to_str().unwrap()))
            .unwrap(),
    )
    .account
    .unwrap()
    .import_users
    .unwrap();
    let jids = |v: Option<Vec<mimql_client::scalars::Jid>>| -> Vec<String> {
        v.unwrap().into_iter().map(|j| j.0).collect()
    };
    assert_eq!(r.status, "Completed");
    assert_eq!(
        jids(r.created),
        [format!("{a}@localhost"), format!("{b}@localhost")]
    );
    assert_eq!(jids(r.existing), std::slice::from_ref(&existing.jid));
    assert_eq!(jids(r.not_allowed), [format!("{a}x@unknown.example")]);
    assert_eq!(r.invalid_jid.unwrap(), ["bad user,localhost,pw"]);
    assert_eq!(jids(r.empty_password), [format!("{a}y@localhost")]);
    assert_eq!(
        r.invalid_record.unwrap(),
        ["only,two", "one,two,three,four"]
    );
    // The new users log in on the user API with the passwords of the file.
    let user = |jid: String, password: &str| common::User {
        jid,
        password: password.into(),
    };
    for u in [
        user(format!("{a}@localhost"), "pw-a"),
        user(format!("{b}@localhost"), "pw,b"),
    ] {
        authorized(&s.client(&u));
    }
    // The existing user kept its password.
    authorized(&s.client(&existing));
}

#[test]
fn import_users_needs_a_file() {
    let s = server();
    let dir = tempfile::tempdir().unwrap();
    for path in [
        dir.path().join("missing.csv"),
        // A directory is not a file.
        dir.path().to_path_buf(),
    ] {
        let p = path.to_str().unwrap();
        let e = refused(
            s.admin().run(account::import_users(p)).unwrap(),
            "file_not_found",
            "File not found",
        );
        assert_eq!(e["filename"], p);
    }
}
