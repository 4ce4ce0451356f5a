//! The admin API's `roster` category: the admin acts on users' rosters; the users see the
//! result through the user API.

mod common;

use common::{TestServer, User, ok, refused, server};
use mimql_client::admin::roster::{self, ContactInput, MutualSubAction, SubAction};
use mimql_client::user::roster::{ContactAsk, ContactSub};

const NO_DOMAIN_USER: &str = "nobody@unknown.test";

fn state(s: &TestServer, owner: &User, contact: &User) -> Option<(ContactSub, ContactAsk)> {
    s.subscription_state(owner, &contact.jid)
}

fn add(s: &TestServer, user: &User, contact: &User) {
    let d = ok(s
        .admin()
        .run(roster::add_contact(&user.jid, &contact.jid, None, None))
        .unwrap());
    assert_eq!(
        d.roster.unwrap().add_contact.as_deref(),
        Some("Contact added successfully")
    );
}

fn sub(s: &TestServer, from: &User, to: &User, action: SubAction) -> String {
    ok(s.admin()
        .run(roster::subscription(&from.jid, &to.jid, action))
        .unwrap())
    .roster
    .unwrap()
    .subscription
    .unwrap()
}

/// The JIDs in `user`'s roster as the user API lists them, with their names and groups.
fn seen(s: &TestServer, user: &User) -> Vec<(String, Option<String>, Option<Vec<String>>)> {
    common::contacts(&s.client(user))
        .into_iter()
        .map(|c| (c.jid.0, c.name, c.groups))
        .collect()
}

#[test]
fn add_get_list_and_delete_a_contact_for_a_user() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let d = ok(s
        .admin()
        .run(roster::add_contact(
            &alice.jid,
            &bob.jid.to_uppercase(),
            Some("Bobek"),
            Some(&["Work"]),
        ))
        .unwrap());
    assert_eq!(
        d.roster.unwrap().add_contact.as_deref(),
        Some("Contact added successfully")
    );
    assert_eq!(
        seen(s, &alice),
        vec![(
            bob.jid.clone(),
            Some("Bobek".into()),
            Some(vec!["Work".into()])
        )]
    );
    assert_eq!(
        state(s, &alice, &bob),
        Some((ContactSub::None, ContactAsk::None))
    );
    assert!(seen(s, &bob).is_empty());

    let listed = ok(s.admin().run(roster::list_contacts(&alice.jid)).unwrap())
        .roster
        .unwrap()
        .list_contacts
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].jid.0, bob.jid);
    assert_eq!(listed[0].name.as_deref(), Some("Bobek"));
    assert_eq!(listed[0].subscription, Some(roster::ContactSub::None));
    assert_eq!(listed[0].ask, Some(roster::ContactAsk::None));
    let got = ok(s
        .admin()
        .run(roster::get_contact(&alice.jid, &bob.jid))
        .unwrap())
    .roster
    .unwrap()
    .get_contact
    .unwrap();
    assert_eq!(got, listed[0]);

    let d = ok(s
        .admin()
        .run(roster::delete_contact(&alice.jid, &bob.jid))
        .unwrap());
    assert_eq!(
        d.roster.unwrap().delete_contact,
        Some(format!("Contact {} deleted successfully", bob.jid))
    );
    assert!(seen(s, &alice).is_empty());
    let listed = ok(s.admin().run(roster::list_contacts(&alice.jid)).unwrap())
        .roster
        .unwrap()
        .list_contacts
        .unwrap();
    assert!(listed.is_empty());
}

#[test]
fn single_contact_errors() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let ghost = format!("{}@localhost", common::unique("ghost"));
    let admin = s.admin();

    // A contact without an account.
    let ext = refused(
        admin
            .run(roster::add_contact(&alice.jid, &ghost, None, None))
            .unwrap(),
        "user_not_exist",
        &format!("The user {ghost} does not exist"),
    );
    assert_eq!(ext["user"], alice.jid.as_str());
    assert_eq!(ext["contact"], ghost.as_str());
    // A user without an account.
    refused(
        admin
            .run(roster::add_contact(&ghost, &alice.jid, None, None))
            .unwrap(),
        "user_not_exist",
        &format!("The user {ghost} does not exist"),
    );
    // A user of a domain this server does not serve.
    for resp in [
        admin
            .run(roster::add_contact(NO_DOMAIN_USER, &alice.jid, None, None))
            .unwrap()
            .errors,
        admin
            .run(roster::delete_contact(NO_DOMAIN_USER, &alice.jid))
            .unwrap()
            .errors,
        admin
            .run(roster::subscription(
                NO_DOMAIN_USER,
                &alice.jid,
                SubAction::Invite,
            ))
            .unwrap()
            .errors,
        admin
            .run(roster::list_contacts(NO_DOMAIN_USER))
            .unwrap()
            .errors,
        admin
            .run(roster::get_contact(NO_DOMAIN_USER, &alice.jid))
            .unwrap()
            .errors,
    ] {
        assert_eq!(resp.len(), 1);
        assert_eq!(resp[0].code.as_deref(), Some("unknown_domain"));
        assert_eq!(resp[0].message, "Domain not found");
        assert_eq!(resp[0].extensions["user"], NO_DOMAIN_USER);
    }
    // Removing a contact that is not there.
    refused(
        admin
            .run(roster::delete_contact(&alice.jid, &bob.jid))
            .unwrap(),
        "contact_not_found",
        &format!("Cannot remove {} contact that does not exist", bob.jid),
    );
    // Reading one that is not there, and a roster of nobody.
    refused(
        admin
            .run(roster::get_contact(&alice.jid, &bob.jid))
            .unwrap(),
        "contact_not_found",
        "Given contact does not exist",
    );
    refused(
        admin.run(roster::list_contacts(&ghost)).unwrap(),
        "user_not_exist",
        &format!("The user {ghost} does not exist"),
    );
    refused(
        admin.run(roster::get_contact(&ghost, &alice.jid)).unwrap(),
        "user_not_exist",
        &format!("The user {ghost} does not exist"),
    );
    assert!(seen(s, &alice).is_empty());
}

#[test]
fn add_and_delete_several_contacts_with_partial_failure() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let resp = s
        .admin()
        .run(roster::add_contacts(
            &alice.jid,
            vec![
                ContactInput::new(&bob.jid, "B"),
                ContactInput::new(NO_DOMAIN_USER, "N"),
            ],
        ))
        .unwrap();
    assert_eq!(resp.errors.len(), 1);
    assert_eq!(resp.errors[0].code.as_deref(), Some("user_not_exist"));
    assert_eq!(
        resp.errors[0].message,
        format!("The user {NO_DOMAIN_USER} does not exist")
    );
    assert_eq!(
        resp.data.unwrap().roster.unwrap().add_contacts,
        vec![Some("Contact added successfully".to_string()), None]
    );
    assert_eq!(
        seen(s, &alice),
        vec![(bob.jid.clone(), Some("B".into()), Some(vec![]))]
    );

    let resp = s
        .admin()
        .run(roster::delete_contacts(
            &alice.jid,
            &[&bob.jid, NO_DOMAIN_USER],
        ))
        .unwrap();
    assert_eq!(resp.errors.len(), 1);
    assert_eq!(resp.errors[0].code.as_deref(), Some("contact_not_found"));
    assert_eq!(
        resp.errors[0].message,
        format!("Cannot remove {NO_DOMAIN_USER} contact that does not exist")
    );
    assert_eq!(
        resp.data.unwrap().roster.unwrap().delete_contacts,
        vec![
            Some(format!("Contact {} deleted successfully", bob.jid)),
            None
        ]
    );
    assert!(seen(s, &alice).is_empty());
}

#[test]
fn invite_accept_cancel_and_decline_for_users() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    add(s, &alice, &bob);
    add(s, &bob, &alice);
    assert_eq!(
        sub(s, &alice, &bob, SubAction::Invite),
        "Subscription stanza with type subscribe sent successfully"
    );
    assert_eq!(
        state(s, &alice, &bob),
        Some((ContactSub::None, ContactAsk::Out))
    );
    assert_eq!(
        state(s, &bob, &alice),
        Some((ContactSub::None, ContactAsk::In))
    );
    assert_eq!(
        sub(s, &bob, &alice, SubAction::Accept),
        "Subscription stanza with type subscribed sent successfully"
    );
    assert_eq!(
        state(s, &bob, &alice),
        Some((ContactSub::From, ContactAsk::None))
    );
    assert_eq!(
        state(s, &alice, &bob),
        Some((ContactSub::To, ContactAsk::None))
    );
    assert_eq!(
        sub(s, &alice, &bob, SubAction::Cancel),
        "Subscription stanza with type unsubscribe sent successfully"
    );
    assert_eq!(
        state(s, &alice, &bob),
        Some((ContactSub::None, ContactAsk::None))
    );

    // Bob asks again; Alice declines.
    sub(s, &bob, &alice, SubAction::Invite);
    assert_eq!(
        state(s, &bob, &alice),
        Some((ContactSub::None, ContactAsk::Out))
    );
    assert_eq!(
        sub(s, &alice, &bob, SubAction::Decline),
        "Subscription stanza with type unsubscribed sent successfully"
    );
    assert_eq!(
        state(s, &bob, &alice),
        Some((ContactSub::None, ContactAsk::None))
    );

    let ghost = format!("{}@localhost", common::unique("ghost"));
    refused(
        s.admin()
            .run(roster::subscription(&ghost, &alice.jid, SubAction::Invite))
            .unwrap(),
        "user_not_exist",
        &format!("the user {ghost} does not exist"),
    );
}

#[test]
fn set_mutual_subscription_connects_and_disconnects() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let d = ok(s
        .admin()
        .run(roster::set_mutual_subscription(
            &alice.jid,
            &bob.jid,
            MutualSubAction::Connect,
        ))
        .unwrap());
    assert_eq!(
        d.roster.unwrap().set_mutual_subscription,
        Some(format!(
            "Subscription between users {} and {} created successfully",
            alice.jid, bob.jid
        ))
    );
    assert_eq!(
        state(s, &alice, &bob),
        Some((ContactSub::Both, ContactAsk::None))
    );
    assert_eq!(
        state(s, &bob, &alice),
        Some((ContactSub::Both, ContactAsk::None))
    );

    let d = ok(s
        .admin()
        .run(roster::set_mutual_subscription(
            &alice.jid,
            &bob.jid,
            MutualSubAction::Disconnect,
        ))
        .unwrap());
    assert_eq!(
        d.roster.unwrap().set_mutual_subscription.as_deref(),
        Some("Mutual subscription removed successfully")
    );
    assert_eq!(state(s, &alice, &bob), None);
    assert_eq!(state(s, &bob, &alice), None);

    // Nothing to disconnect any more.
    let ext = refused(
        s.admin()
            .run(roster::set_mutual_subscription(
                &alice.jid,
                &bob.jid,
                MutualSubAction::Disconnect,
            ))
            .unwrap(),
        "contact_not_found",
        &format!("Cannot remove {} contact that does not exist", bob.jid),
    );
    assert_eq!(ext["userA"], alice.jid.as_str());
    assert_eq!(ext["userB"], bob.jid.as_str());

    let ghost = format!("{}@localhost", common::unique("ghost"));
    for action in [MutualSubAction::Connect, MutualSubAction::Disconnect] {
        let ext = refused(
            s.admin()
                .run(roster::set_mutual_subscription(
                    NO_DOMAIN_USER,
                    &ghost,
                    action,
                ))
                .unwrap(),
            "unknown_domain",
            "Domain not found",
        );
        assert_eq!(ext["userA"], NO_DOMAIN_USER);
    }
    refused(
        s.admin()
            .run(roster::set_mutual_subscription(
                &alice.jid,
                &ghost,
                MutualSubAction::Connect,
            ))
            .unwrap(),
        "user_not_exist",
        &format!("The user {ghost} does not exist"),
    );
    assert!(seen(s, &alice).is_empty());
}

fn created(a: &User, b: &User) -> Option<String> {
    Some(format!(
        "Subscription between users {} and {} created successfully",
        a.jid, b.jid
    ))
}

#[test]
fn subscribe_to_all_with_names_and_groups() {
    let s = server();
    let (alice, bob, kate) = (s.new_user("alice"), s.new_user("bob"), s.new_user("kate"));
    let with_groups = |u: &User, name: &str| ContactInput {
        jid: u.jid.as_str().into(),
        name: name.into(),
        groups: Some(vec!["g1".into(), "g2".into()]),
    };
    let d = ok(s
        .admin()
        .run(roster::subscribe_to_all(
            with_groups(&alice, "Alice"),
            vec![
                with_groups(&bob, "Bob"),
                ContactInput::new(&kate.jid, "Kate"),
            ],
        ))
        .unwrap());
    assert_eq!(
        d.roster.unwrap().subscribe_to_all,
        vec![created(&alice, &bob), created(&alice, &kate)]
    );
    let g = Some(vec!["g1".to_string(), "g2".to_string()]);
    assert_eq!(
        seen(s, &alice),
        vec![
            (bob.jid.clone(), Some("Bob".into()), g.clone()),
            (kate.jid.clone(), Some("Kate".into()), Some(vec![])),
        ]
    );
    assert_eq!(
        seen(s, &bob),
        vec![(alice.jid.clone(), Some("Alice".into()), g.clone())]
    );
    assert_eq!(
        seen(s, &kate),
        vec![(alice.jid.clone(), Some("Alice".into()), g)]
    );
    for (x, y) in [
        (&alice, &bob),
        (&bob, &alice),
        (&alice, &kate),
        (&kate, &alice),
    ] {
        assert_eq!(state(s, x, y), Some((ContactSub::Both, ContactAsk::None)));
    }
}

#[test]
fn subscribe_to_all_with_a_wrong_user() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let resp = s
        .admin()
        .run(roster::subscribe_to_all(
            ContactInput::new(&alice.jid, "A"),
            vec![
                ContactInput::new(&bob.jid, "B"),
                ContactInput::new(NO_DOMAIN_USER, "N"),
            ],
        ))
        .unwrap();
    assert_eq!(resp.errors.len(), 1);
    assert_eq!(resp.errors[0].code.as_deref(), Some("user_not_exist"));
    assert_eq!(
        resp.errors[0].message,
        format!("The user {NO_DOMAIN_USER} does not exist")
    );
    assert_eq!(resp.errors[0].extensions["contact"], NO_DOMAIN_USER);
    assert_eq!(
        resp.data.unwrap().roster.unwrap().subscribe_to_all,
        vec![created(&alice, &bob), None]
    );
    assert_eq!(
        seen(s, &alice),
        vec![(bob.jid.clone(), Some("B".into()), Some(vec![]))]
    );
    assert_eq!(
        seen(s, &bob),
        vec![(alice.jid.clone(), Some("A".into()), Some(vec![]))]
    );

    // The acting user of an unknown domain fails every pair.
    let resp = s
        .admin()
        .run(roster::subscribe_to_all(
            ContactInput::new(NO_DOMAIN_USER, "N"),
            vec![ContactInput::new(&bob.jid, "B")],
        ))
        .unwrap();
    assert_eq!(resp.errors.len(), 1);
    assert_eq!(resp.errors[0].code.as_deref(), Some("unknown_domain"));
    assert_eq!(
        resp.data.unwrap().roster.unwrap().subscribe_to_all,
        vec![None]
    );
}

#[test]
fn subscribe_all_to_all() {
    let s = server();
    let (alice, bob, kate) = (s.new_user("alice"), s.new_user("bob"), s.new_user("kate"));
    let d = ok(s
        .admin()
        .run(roster::subscribe_all_to_all(vec![
            ContactInput::new(&alice.jid, "A"),
            ContactInput::new(&bob.jid, "B"),
            ContactInput::new(&kate.jid, "K"),
        ]))
        .unwrap());
    assert_eq!(
        d.roster.unwrap().subscribe_all_to_all,
        vec![
            created(&alice, &bob),
            created(&alice, &kate),
            created(&bob, &kate)
        ]
    );
    let jids = |u: &User| -> Vec<String> { seen(s, u).into_iter().map(|c| c.0).collect() };
    assert_eq!(jids(&alice), vec![bob.jid.clone(), kate.jid.clone()]);
    assert_eq!(jids(&bob), vec![alice.jid.clone(), kate.jid.clone()]);
    assert_eq!(jids(&kate), vec![alice.jid.clone(), bob.jid.clone()]);
    for (x, y) in [(&alice, &bob), (&bob, &kate), (&kate, &alice)] {
        assert_eq!(state(s, x, y), Some((ContactSub::Both, ContactAsk::None)));
        assert_eq!(state(s, y, x), Some((ContactSub::Both, ContactAsk::None)));
    }

    // A wrong user: its two pairs fail, the rest is made.
    let (carol, dave) = (s.new_user("carol"), s.new_user("dave"));
    let resp = s
        .admin()
        .run(roster::subscribe_all_to_all(vec![
            ContactInput::new(&carol.jid, "C"),
            ContactInput::new(&dave.jid, "D"),
            ContactInput::new(NO_DOMAIN_USER, "N"),
        ]))
        .unwrap();
    assert_eq!(resp.errors.len(), 2);
    for e in &resp.errors {
        assert_eq!(e.code.as_deref(), Some("user_not_exist"));
        assert_eq!(
            e.message,
            format!("The user {NO_DOMAIN_USER} does not exist")
        );
    }
    assert_eq!(
        resp.data.unwrap().roster.unwrap().subscribe_all_to_all,
        vec![created(&carol, &dave), None, None]
    );
    assert_eq!(
        state(s, &carol, &dave),
        Some((ContactSub::Both, ContactAsk::None))
    );

    // Fewer than two users: nothing to do.
    for list in [vec![], vec![ContactInput::new(&carol.jid, "C")]] {
        let d = ok(s.admin().run(roster::subscribe_all_to_all(list)).unwrap());
        assert!(d.roster.unwrap().subscribe_all_to_all.is_empty());
    }
}

#[test]
fn roster_fields_need_the_admin() {
    let s = server();
    let alice = s.new_user("alice");
    let resp = mimql_client::Client::new(&s.admin_url)
        .run(roster::list_contacts(&alice.jid))
        .unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.code(), Some("no_permissions"));
    // A user's credentials are not the admin's.
    let resp = mimql_client::Client::new(&s.admin_url)
        .with_basic_auth(&alice.jid, &alice.password)
        .run(roster::add_contact(&alice.jid, &alice.jid, None, None))
        .unwrap();
    assert_eq!(resp.status, 401);
}
