//! The admin API's `inbox` category: emptying a user's bin, a domain's users' bins and every
//! bin. Entries reach a bin when their user leaves a MUC Light room (the admin's `kickUser`).
//! `flushGlobalBin` empties every bin of the database, so the tests here take turns.

mod common;

use std::sync::Mutex;

use common::{TestServer, User, code, ok, refused, server, server_without_modules};
use mimql_client::admin::{inbox, muc_light};
use serde_json::json;

/// The tests of this file one at a time (a global flush empties the others' bins).
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// A MUC Light room of `owner` that `leaving` were invited to and left (each has the room's
/// entry in its bin); answers the room.
fn room_left_by(s: &TestServer, owner: &User, leaving: &[&User]) -> String {
    let d = ok(s
        .admin()
        .run(muc_light::create_room(
            "muclight.localhost",
            Some("Bin"),
            &owner.jid,
            None,
            None,
            None,
        ))
        .unwrap());
    let room = d.value().unwrap().jid.0.clone();
    for u in leaving {
        ok(s.admin()
            .run(muc_light::invite_user(&room, &owner.jid, &u.jid))
            .unwrap());
    }
    for u in leaving {
        let d = ok(s.admin().run(muc_light::kick_user(&room, &u.jid)).unwrap());
        assert_eq!(
            d.value().map(String::as_str),
            Some("Affiliation change request sent successfully")
        );
    }
    room
}

fn flush_user(s: &TestServer, user: &str, days: Option<i64>) -> i32 {
    *ok(s.admin().run(inbox::flush_user_bin(user, days)).unwrap())
        .value()
        .unwrap()
}

fn flush_global(s: &TestServer, days: Option<i64>) -> i32 {
    *ok(s
        .admin()
        .run(inbox::flush_global_bin("localhost", days))
        .unwrap())
    .value()
    .unwrap()
}

#[test]
fn flush_user_bin_empties_one_users_bin() {
    let _turn = turn();
    let s = server();
    let (alice, bob, kate) = (s.new_user("alice"), s.new_user("bob"), s.new_user("kate"));
    room_left_by(s, &alice, &[&bob, &kate]);
    // Last active just now: not older than a day.
    assert_eq!(flush_user(s, &bob.jid, Some(1)), 0);
    assert_eq!(flush_user(s, &bob.jid, None), 1);
    assert_eq!(flush_user(s, &bob.jid, None), 0);
    // Kate's stays, and is seen (and emptied) through the user API's flushBin.
    let d = ok(s
        .client(&kate)
        .run(mimql_client::user::inbox::flush_bin(None))
        .unwrap());
    assert_eq!(d.inbox.and_then(|i| i.flush_bin), Some(1));

    let e = refused(
        s.admin()
            .run(inbox::flush_user_bin("nonexistent-user@localhost", None))
            .unwrap(),
        "user_does_not_exist",
        "User nonexistent-user@localhost does not exist",
    );
    assert_eq!(e["user"], "nonexistent-user@localhost");
    refused(
        s.admin()
            .run(inbox::flush_user_bin("user@user.com", None))
            .unwrap(),
        "domain_not_found",
        "Domain not found",
    );
}

#[test]
fn flush_domain_bin_empties_the_bins_of_the_domains_users() {
    let _turn = turn();
    let s = server();
    let (alice, kate) = (s.new_user("alice"), s.new_user("kate"));
    let bis = s.new_user_on("alice_bis", "example.com");
    // Bins other tests left (on a shared database) go first.
    ok(s.admin()
        .run(inbox::flush_domain_bin("localhost", None))
        .unwrap());
    room_left_by(s, &alice, &[&bis, &kate]);
    let d = ok(s
        .admin()
        .run(inbox::flush_domain_bin("LocalHost", None))
        .unwrap());
    assert_eq!(d.value(), Some(&1));
    assert_eq!(flush_user(s, &kate.jid, None), 0);
    assert_eq!(
        flush_user(s, &bis.jid, None),
        1,
        "another domain's bin stays"
    );
    let e = refused(
        s.admin()
            .run(inbox::flush_domain_bin("unknown-domain", None))
            .unwrap(),
        "domain_not_found",
        "Domain not found",
    );
    assert_eq!(e["domain"], "unknown-domain");
}

#[test]
fn flush_global_bin_empties_every_bin() {
    let _turn = turn();
    let s = server();
    flush_global(s, None);
    let (alice, kate) = (s.new_user("alice"), s.new_user("kate"));
    let bis = s.new_user_on("alice_bis", "example.com");
    room_left_by(s, &alice, &[&bis, &kate]);
    assert_eq!(flush_global(s, Some(1)), 0, "nothing older than a day");
    assert_eq!(flush_global(s, None), 2);
    assert_eq!(flush_user(s, &kate.jid, None), 0);
    assert_eq!(flush_user(s, &bis.jid, None), 0);
    let e = refused(
        s.admin()
            .run(inbox::flush_global_bin("nonexistent host type", None))
            .unwrap(),
        "host_type_not_found",
        "Host type not found",
    );
    assert_eq!(e["host_type"], "nonexistent host type");
}

#[test]
fn days_must_be_positive_and_the_module_loaded() {
    let s = server();
    let (status, body) = s.post(
        &s.admin(),
        json!({"query": "mutation { inbox { flushGlobalBin(hostType: \"localhost\", days: 0) } }"}),
    );
    assert_eq!(status, 400);
    assert_eq!(code(&body), "input_coercion");
    let off = server_without_modules();
    for resp in [
        off.admin()
            .run(inbox::flush_user_bin("alice@localhost", None))
            .unwrap()
            .errors,
        off.admin()
            .run(inbox::flush_domain_bin("localhost", None))
            .unwrap()
            .errors,
        off.admin()
            .run(inbox::flush_global_bin("localhost", Some(10)))
            .unwrap()
            .errors,
    ] {
        assert_eq!(resp[0].code.as_deref(), Some("deps_not_loaded"), "{resp:?}");
    }
}
