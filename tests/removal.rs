//! Removing an account removes everything it owns, in one transaction (`unregister` and the
//! admin `removeUser`), and cancels its subscriptions on the contacts' side.

mod common;

use common::{TestServer, User, server};
use mimql_client::user::roster::{self, ContactAsk, ContactSub, SubAction};
use mimql_client::user::{account, last, private, stanza, vcard};

/// Gives `u` a roster (subscribed both ways with `friend`, a pending request to `pending`),
/// a vCard, private data and a last activity.
fn populate(s: &TestServer, u: &User, friend: &User, pending: &User) {
    let c = s.client(u);
    c.run(roster::add_contact(
        &friend.jid,
        Some("friend"),
        Some(&["G"]),
    ))
    .unwrap();
    for (from, to, action) in [
        (u, friend, SubAction::Invite),
        (friend, u, SubAction::Accept),
        (friend, u, SubAction::Invite),
        (u, friend, SubAction::Accept),
        (u, pending, SubAction::Invite),
    ] {
        assert!(
            s.client(from)
                .run(roster::subscription(&to.jid, action))
                .unwrap()
                .errors
                .is_empty()
        );
    }
    let card = vcard::VcardInput {
        formatted_name: "Doomed".into(),
        name_components: Default::default(),
        ..Default::default()
    };
    assert!(c.run(vcard::set_vcard(card)).unwrap().errors.is_empty());
    assert!(
        c.run(private::set_private("<d xmlns='doomed:ns'>x</d>"))
            .unwrap()
            .errors
            .is_empty()
    );
    assert!(
        c.run(last::set_last(None, "here"))
            .unwrap()
            .errors
            .is_empty()
    );
}

/// A user with all kinds of personal data and two contacts (see `populate`).
fn doomed_with_contacts(s: &TestServer) -> (User, User, User) {
    let (u, friend, pending) = (
        s.new_user("doomed"),
        s.new_user("friend"),
        s.new_user("pending"),
    );
    populate(s, &u, &friend, &pending);
    (u, friend, pending)
}

/// After removal and re-registration under the same name, nothing of the old account is left,
/// and the contacts' rosters no longer list it (the items went with the subscriptions).
fn assert_gone(s: &TestServer, u: &User, friend: &User, pending: &User) {
    assert_eq!(
        s.subscription_state(friend, &u.jid),
        None,
        "the contact's item goes"
    );
    assert_eq!(
        s.subscription_state(pending, &u.jid),
        None,
        "the pending request is withdrawn"
    );

    s.register_again(&u.jid, "pw2");
    let c = mimql_client::Client::new(&s.user_url).with_basic_auth(&u.jid, "pw2");
    let contacts = common::contacts(&c);
    assert!(contacts.is_empty(), "{contacts:?}");
    assert_eq!(
        c.run(vcard::get_vcard(None)).unwrap().code(),
        Some("vcard_not_found")
    );
    let p = c
        .run(private::get_private("d", "doomed:ns"))
        .unwrap()
        .into_data()
        .unwrap();
    assert_eq!(
        p.private.unwrap().get_private.unwrap().0,
        "<d xmlns='doomed:ns'/>"
    );
    assert_eq!(
        c.run(last::get_last(None)).unwrap().code(),
        Some("last_not_found")
    );
}

#[test]
fn unregister_removes_all_personal_data() {
    let s = server();
    let (u, friend, pending) = doomed_with_contacts(s);
    assert_eq!(
        s.subscription_state(&friend, &u.jid),
        Some((ContactSub::Both, ContactAsk::None))
    );
    assert_eq!(
        s.subscription_state(&pending, &u.jid),
        Some((ContactSub::None, ContactAsk::In))
    );
    let resp = s.client(&u).run(account::unregister()).unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert_gone(s, &u, &friend, &pending);
}

#[test]
fn admin_remove_user_removes_all_personal_data() {
    let s = server();
    let (u, friend, pending) = doomed_with_contacts(s);
    let resp = s
        .admin()
        .run(mimql_client::admin::remove_user(&u.jid))
        .unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert_gone(s, &u, &friend, &pending);
}

/// Removal is one transaction: when the last delete fails, nothing of the account is gone and
/// the contacts' rosters are as before. The failure is injected with a database trigger.
#[test]
fn a_failed_removal_changes_nothing() {
    use sea_orm::{ConnectionTrait, DbBackend};

    let s = server();
    let (u, friend, pending) = doomed_with_contacts(s);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(mimql::db::connect(&s.db_url, 1)).unwrap();
    let jid = mimql::jid::Jid::parse(&u.jid).unwrap();
    let id = rt
        .block_on(mimql::accounts::user_id(&db, &jid))
        .unwrap()
        .unwrap();
    let trigger = format!("fail_removal_{id}");
    let statements = match db.get_database_backend() {
        DbBackend::Postgres => vec![
            format!(
                "CREATE FUNCTION {trigger}() RETURNS trigger AS $$ BEGIN \
                 IF OLD.user_id = {id} THEN RAISE EXCEPTION 'injected failure'; END IF; \
                 RETURN OLD; END $$ LANGUAGE plpgsql"
            ),
            format!(
                "CREATE TRIGGER {trigger} BEFORE DELETE ON last_activity FOR EACH ROW EXECUTE FUNCTION {trigger}()"
            ),
        ],
        _ => vec![format!(
            "CREATE TRIGGER {trigger} BEFORE DELETE ON last_activity WHEN OLD.user_id = {id} \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )],
    };
    for sql in &statements {
        rt.block_on(db.execute_unprepared(sql)).unwrap();
    }

    let resp = s.client(&u).run(account::unregister()).unwrap();
    assert_eq!(
        resp.code(),
        Some("internal_server_error"),
        "{:?}",
        resp.errors
    );
    // Everything is still there: login, roster on both sides, vCard, private data.
    let c = s.client(&u);
    let contacts = common::contacts(&c);
    assert_eq!(contacts.len(), 2);
    assert_eq!(
        s.subscription_state(&friend, &u.jid),
        Some((ContactSub::Both, ContactAsk::None))
    );
    assert_eq!(
        s.subscription_state(&pending, &u.jid),
        Some((ContactSub::None, ContactAsk::In))
    );
    assert!(c.run(vcard::get_vcard(None)).unwrap().errors.is_empty());
    let p = c
        .run(private::get_private("d", "doomed:ns"))
        .unwrap()
        .into_data()
        .unwrap();
    assert_eq!(
        p.private.unwrap().get_private.unwrap().0,
        "<d xmlns='doomed:ns'>x</d>"
    );

    let drop_sql = match db.get_database_backend() {
        DbBackend::Postgres => format!("DROP TRIGGER {trigger} ON last_activity"),
        _ => format!("DROP TRIGGER {trigger}"),
    };
    rt.block_on(db.execute_unprepared(&drop_sql)).unwrap();
    assert!(c.run(account::unregister()).unwrap().errors.is_empty());
    assert_gone(s, &u, &friend, &pending);
}

/// Codes a request racing an account removal may get; anything else (an internal error above
/// all) fails the test.
const RACE_CODES: [&str; 6] = [
    "wrong_credentials",
    "user_not_exist",
    "user_does_not_exist",
    "user_not_found",
    "not_found",
    "not_allowed",
];

fn check_race<T>(what: &str, resp: mimql_client::Response<T>) {
    assert!(
        resp.status == 200 || resp.status == 401,
        "{what}: {resp:?}",
        resp = resp.errors
    );
    for e in &resp.errors {
        let code = e.code.as_deref().unwrap_or_default();
        assert!(RACE_CODES.contains(&code), "{what}: {code} {}", e.message);
    }
}

/// A few hundred subscription changes between users while some of them are removed (by
/// `unregister` and by the admin), and the removed users' own writes (private storage, last
/// activity, vCard) racing their removal: no request fails with an internal error (on
/// PostgreSQL the removal and a subscription used to take the same two user rows in opposite
/// orders and deadlock), and the rosters of the remaining users agree with each other.
#[test]
fn removals_racing_subscriptions_stay_consistent() {
    let s = server();
    // The users that stay get the lower ids: a subscription from one of them to a doomed user
    // locks the stayer first, where the old removal locked the doomed user first.
    let users: Vec<User> = (0..36).map(|_| s.new_user("race")).collect();
    let (kept, doomed) = users.split_at(24);
    // Every doomed user has every stayer in its roster, so that its removal locks them all.
    for d in doomed {
        let c = s.client(d);
        for k in kept {
            let resp = c.run(roster::add_contact(&k.jid, None, None)).unwrap();
            assert!(resp.errors.is_empty(), "{:?}", resp.errors);
        }
    }
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let (users, kept, doomed) = (&users, kept, doomed);
            scope.spawn(move || {
                let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ t;
                let mut next = |n: usize| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % n as u64) as usize
                };
                for _ in 0..80 {
                    // Mostly a stayer towards a doomed user, the pairs whose locks crossed.
                    let a = &users[next(kept.len())];
                    let b = if next(10) < 7 {
                        &doomed[next(doomed.len())]
                    } else {
                        &users[next(users.len())]
                    };
                    if a.jid == b.jid {
                        continue;
                    }
                    let action = [
                        SubAction::Invite,
                        SubAction::Accept,
                        SubAction::Invite,
                        SubAction::Accept,
                        SubAction::Cancel,
                        SubAction::Decline,
                    ][next(6)];
                    let resp = s
                        .client(a)
                        .run(roster::subscription(&b.jid, action))
                        .unwrap();
                    check_race("subscription", resp);
                }
            });
        }
        for (i, d) in doomed.iter().enumerate() {
            let writes = scope.spawn(move || {
                let c = s.client(d);
                for n in 0..6 {
                    check_race(
                        "setPrivate",
                        c.run(private::set_private(&format!("<p xmlns='race:{n}'/>")))
                            .unwrap(),
                    );
                    check_race("setLast", c.run(last::set_last(None, "racing")).unwrap());
                    let card = vcard::VcardInput {
                        formatted_name: format!("racer {n}"),
                        name_components: Default::default(),
                        ..Default::default()
                    };
                    check_race("setVcard", c.run(vcard::set_vcard(card)).unwrap());
                }
            });
            std::thread::sleep(std::time::Duration::from_millis(15));
            let resp = if i % 2 == 0 {
                s.client(d).run(account::unregister()).unwrap().errors
            } else {
                s.admin()
                    .run(mimql_client::admin::remove_user(&d.jid))
                    .unwrap()
                    .errors
            };
            assert!(resp.is_empty(), "removal of {}: {resp:?}", d.jid);
            writes.join().unwrap();
        }
    });
    // Every remaining pair agrees: one has `to` exactly when the other has `from`.
    let rosters: Vec<Vec<roster::Contact>> = kept
        .iter()
        .map(|u| common::contacts(&s.client(u)))
        .collect();
    let sub = |owner: usize, jid: &str| {
        rosters[owner]
            .iter()
            .find(|c| c.jid.0 == jid)
            .and_then(|c| c.subscription)
            .unwrap_or(ContactSub::None)
    };
    let has_to = |s: &ContactSub| matches!(s, ContactSub::To | ContactSub::Both);
    let has_from = |s: &ContactSub| matches!(s, ContactSub::From | ContactSub::Both);
    for (i, a) in kept.iter().enumerate() {
        for (j, b) in kept.iter().enumerate() {
            if i != j {
                let (ab, ba) = (sub(i, &b.jid), sub(j, &a.jid));
                assert_eq!(
                    has_to(&ab),
                    has_from(&ba),
                    "{} {ab:?} / {} {ba:?}",
                    a.jid,
                    b.jid
                );
            }
        }
    }
    // The removed users are gone for good.
    for d in doomed {
        let resp = s.client(d).run(mimql_client::user::check_auth()).unwrap();
        assert_eq!(resp.status, 401);
    }
}

/// The stanzas of `u`'s archive with `peer`, as XML.
fn archived_with(s: &TestServer, u: &User, peer: &str) -> Vec<String> {
    common::archive(&s.client(u), Some(peer), None, None)
        .0
        .into_iter()
        .map(|m| m.stanza.expect("a stanza").0)
        .collect()
}

/// The router keeps the parties' account ids in memory: once an account is removed, a message
/// to it is answered like one to a name never registered, and the same name registered again
/// is a new account whose archive holds only what was sent to it since.
#[test]
fn a_removed_then_reregistered_account_gets_none_of_the_old_accounts_messages() {
    let s = server();
    let (alice, bob) = (s.new_user("idc-a"), s.new_user("idc-b"));
    let a = s.client(&alice);
    common::send(&a, &bob.jid, "before the removal");
    let before = archived_with(s, &bob, &alice.jid);
    assert_eq!(before.len(), 1, "{before:?}");
    assert!(before[0].contains("before the removal"), "{before:?}");

    let resp = s.client(&bob).run(account::unregister()).unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let to_removed = a
        .run(stanza::send_message(None, &bob.jid, "while removed"))
        .unwrap();
    let never = format!("{}@localhost", common::unique("idc-never"));
    let to_unknown = a
        .run(stanza::send_message(None, &never, "to nobody"))
        .unwrap();
    let codes = |errors: &[mimql_client::Error]| -> Vec<Option<String>> {
        errors.iter().map(|e| e.code.clone()).collect()
    };
    assert_eq!(codes(&to_removed.errors), codes(&to_unknown.errors));
    assert_eq!(to_removed.status, to_unknown.status);
    let accepted = usize::from(to_removed.errors.is_empty());

    s.register_again(&bob.jid, "pw2");
    common::send(&a, &bob.jid, "after the new registration");
    let new_bob = User {
        jid: bob.jid.clone(),
        password: "pw2".into(),
    };
    let after = archived_with(s, &new_bob, &alice.jid);
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(after[0].contains("after the new registration"), "{after:?}");
    // The sender's own archive: every message to that name it accepted, none lost.
    assert_eq!(archived_with(s, &alice, &bob.jid).len(), 2 + accepted);
}
