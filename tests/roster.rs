//! The `roster` category (spec: semantics-rooms-roster-vcard 1).

mod common;

use common::{TestServer, User, server};
use mimql_client::user::roster::{self, Contact, ContactAsk, ContactInput, ContactSub, SubAction};

use common::{contact as get, contacts as list};

/// (subscription, ask) of `owner`'s item for `contact`, None when there is no item.
fn state(s: &TestServer, owner: &User, contact: &User) -> Option<(ContactSub, ContactAsk)> {
    s.subscription_state(owner, &contact.jid)
}

fn sub(s: &TestServer, from: &User, to: &User, action: SubAction) -> String {
    let resp = s
        .client(from)
        .run(roster::subscription(&to.jid, action))
        .unwrap();
    resp.into_data()
        .unwrap()
        .roster
        .unwrap()
        .subscription
        .unwrap()
}

#[test]
fn add_list_get_and_delete_a_contact() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let c = s.client(&alice);
    let resp = c
        .run(roster::add_contact(
            &bob.jid.to_uppercase(),
            Some("Bobek"),
            Some(&["Family", "Work"]),
        ))
        .unwrap();
    assert_eq!(
        resp.into_data()
            .unwrap()
            .roster
            .unwrap()
            .add_contact
            .as_deref(),
        Some("Contact added successfully")
    );

    let contacts = list(&c);
    assert_eq!(contacts.len(), 1);
    let expected = Contact {
        jid: bob.jid.as_str().into(),
        name: Some("Bobek".into()),
        groups: Some(vec!["Family".into(), "Work".into()]),
        subscription: Some(ContactSub::None),
        ask: Some(ContactAsk::None),
    };
    assert_eq!(contacts[0], expected);
    assert_eq!(get(&c, &bob.jid), Some(expected));
    assert!(
        list(&s.client(&bob)).is_empty(),
        "adding sends no subscription request"
    );

    let resp = c.run(roster::delete_contact(&bob.jid)).unwrap();
    assert_eq!(
        resp.into_data().unwrap().roster.unwrap().delete_contact,
        Some(format!("Contact {} deleted successfully", bob.jid))
    );
    assert!(list(&c).is_empty());
}

#[test]
fn adding_again_replaces_name_and_groups_and_keeps_the_subscription() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    sub(s, &alice, &bob, SubAction::Invite);
    let c = s.client(&alice);
    c.run(roster::add_contact(&bob.jid, Some("B"), Some(&["G1"])))
        .unwrap();
    c.run(roster::add_contact(&bob.jid, None, None)).unwrap();
    let item = get(&c, &bob.jid).unwrap();
    assert_eq!(item.name.as_deref(), Some(""), "a null name clears it");
    assert_eq!(item.groups, Some(vec![]));
    assert_eq!(
        (item.subscription, item.ask),
        (Some(ContactSub::None), Some(ContactAsk::Out))
    );
}

#[test]
fn unknown_and_remote_contacts_are_refused() {
    let s = server();
    let alice = s.new_user("alice");
    for contact in ["nobody_zz@localhost", "abc@abc"] {
        let resp = s
            .client(&alice)
            .run(roster::add_contact(contact, None, None))
            .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.code(), Some("user_not_exist"));
        assert_eq!(
            resp.message(),
            Some(format!("The user {contact} does not exist").as_str())
        );
        assert_eq!(resp.errors[0].extensions["user"], alice.jid);
        assert_eq!(resp.errors[0].extensions["contact"], contact);
        assert_eq!(resp.errors[0].path, vec!["roster", "addContact"]);
    }
    assert!(list(&s.client(&alice)).is_empty());
}

#[test]
fn adding_yourself_and_full_jids_make_separate_items() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let c = s.client(&alice);
    assert!(
        c.run(roster::add_contact(&alice.jid, None, None))
            .unwrap()
            .errors
            .is_empty()
    );
    let full = format!("{}/Phone", bob.jid);
    assert!(
        c.run(roster::add_contact(&full, Some("phone"), None))
            .unwrap()
            .errors
            .is_empty()
    );
    let jids: Vec<String> = list(&c).into_iter().map(|c| c.jid.0).collect();
    assert_eq!(jids, vec![alice.jid.clone(), full.clone()]);
    assert!(get(&c, &bob.jid).is_none(), "the bare JID is another item");
}

#[test]
fn batch_add_and_delete_report_each_element() {
    let s = server();
    let (alice, bob, carol) = (s.new_user("alice"), s.new_user("bob"), s.new_user("carol"));
    let c = s.client(&alice);
    let resp = c
        .run(roster::add_contacts(vec![
            ContactInput {
                jid: bob.jid.as_str().into(),
                name: "Bob".into(),
                groups: Some(vec!["F".into()]),
            },
            ContactInput {
                jid: "ghost_q@localhost".into(),
                name: "G".into(),
                groups: None,
            },
            ContactInput {
                jid: carol.jid.as_str().into(),
                name: "Carol".into(),
                groups: None,
            },
        ]))
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.errors.len(), 1);
    assert_eq!(resp.errors[0].code.as_deref(), Some("user_not_exist"));
    assert!(resp.errors[0].message.contains("does not exist"));
    assert_eq!(
        resp.errors[0].path,
        vec![serde_json::json!("roster"), "addContacts".into(), 1.into()]
    );
    let added = resp.data.unwrap().roster.unwrap().add_contacts;
    assert_eq!(
        added,
        vec![
            Some("Contact added successfully".into()),
            None,
            Some("Contact added successfully".into())
        ]
    );
    assert_eq!(list(&c).len(), 2);

    let resp = c
        .run(roster::delete_contacts(&[&bob.jid, "ghost_q@localhost"]))
        .unwrap();
    assert_eq!(resp.errors.len(), 1);
    assert_eq!(resp.errors[0].code.as_deref(), Some("contact_not_found"));
    assert_eq!(
        resp.errors[0].message,
        "Cannot remove ghost_q@localhost contact that does not exist"
    );
    assert_eq!(
        resp.data.unwrap().roster.unwrap().delete_contacts,
        vec![
            Some(format!("Contact {} deleted successfully", bob.jid)),
            None
        ]
    );
    let left: Vec<String> = list(&c).into_iter().map(|c| c.jid.0).collect();
    assert_eq!(left, vec![carol.jid]);
}

#[test]
fn missing_contacts_are_errors() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let resp = c.run(roster::get_contact("ghost_r@localhost")).unwrap();
    assert_eq!(resp.code(), Some("contact_not_found"));
    assert_eq!(resp.message(), Some("Given contact does not exist"));
    assert_eq!(resp.errors[0].extensions["contact"], "ghost_r@localhost");
    let resp = c.run(roster::delete_contact("ghost_r@localhost")).unwrap();
    assert_eq!(resp.code(), Some("contact_not_found"));
    assert_eq!(
        resp.message(),
        Some("Cannot remove ghost_r@localhost contact that does not exist")
    );
    assert_eq!(resp.errors[0].extensions["user"], alice.jid);
}

#[test]
fn invite_accept_and_cancel() {
    let s = server();
    let (a, b) = (s.new_user("a"), s.new_user("b"));
    assert_eq!(
        sub(s, &a, &b, SubAction::Invite),
        "Subscription stanza with type subscribe sent successfully"
    );
    assert_eq!(state(s, &a, &b), Some((ContactSub::None, ContactAsk::Out)));
    assert_eq!(state(s, &b, &a), Some((ContactSub::None, ContactAsk::In)));
    let pending = get(&s.client(&b), &a.jid).unwrap();
    assert_eq!(
        (pending.name.as_deref(), pending.groups),
        (Some(""), Some(vec![]))
    );

    assert_eq!(
        sub(s, &b, &a, SubAction::Accept),
        "Subscription stanza with type subscribed sent successfully"
    );
    assert_eq!(state(s, &b, &a), Some((ContactSub::From, ContactAsk::None)));
    assert_eq!(state(s, &a, &b), Some((ContactSub::To, ContactAsk::None)));

    assert_eq!(
        sub(s, &a, &b, SubAction::Cancel),
        "Subscription stanza with type unsubscribe sent successfully"
    );
    assert_eq!(state(s, &a, &b), Some((ContactSub::None, ContactAsk::None)));
    assert_eq!(state(s, &b, &a), Some((ContactSub::None, ContactAsk::None)));
}

#[test]
fn declining_a_request_deletes_the_pending_item() {
    let s = server();
    let (a, b) = (s.new_user("a"), s.new_user("b"));
    s.client(&b)
        .run(roster::add_contact(&a.jid, Some("named"), Some(&["g"])))
        .unwrap();
    // The named item is NONE/NONE; the invite makes it NONE/IN, the decline removes it.
    sub(s, &a, &b, SubAction::Invite);
    assert_eq!(state(s, &b, &a), Some((ContactSub::None, ContactAsk::In)));
    assert_eq!(
        sub(s, &b, &a, SubAction::Decline),
        "Subscription stanza with type unsubscribed sent successfully"
    );
    assert_eq!(state(s, &b, &a), None);
    assert_eq!(state(s, &a, &b), Some((ContactSub::None, ContactAsk::None)));
}

#[test]
fn cancelling_a_request_deletes_the_pending_item() {
    let s = server();
    let (a, b) = (s.new_user("a"), s.new_user("b"));
    sub(s, &a, &b, SubAction::Invite);
    sub(s, &a, &b, SubAction::Cancel);
    assert_eq!(state(s, &a, &b), Some((ContactSub::None, ContactAsk::None)));
    assert_eq!(state(s, &b, &a), None);
}

#[test]
fn mutual_subscription_and_its_undoing() {
    let s = server();
    let (a, b) = (s.new_user("a"), s.new_user("b"));
    sub(s, &a, &b, SubAction::Invite);
    sub(s, &b, &a, SubAction::Accept);
    sub(s, &b, &a, SubAction::Invite);
    assert_eq!(state(s, &b, &a), Some((ContactSub::From, ContactAsk::Out)));
    assert_eq!(state(s, &a, &b), Some((ContactSub::To, ContactAsk::In)));
    sub(s, &a, &b, SubAction::Accept);
    assert_eq!(state(s, &a, &b), Some((ContactSub::Both, ContactAsk::None)));
    assert_eq!(state(s, &b, &a), Some((ContactSub::Both, ContactAsk::None)));

    sub(s, &a, &b, SubAction::Decline);
    assert_eq!(state(s, &a, &b), Some((ContactSub::To, ContactAsk::None)));
    assert_eq!(state(s, &b, &a), Some((ContactSub::From, ContactAsk::None)));
}

#[test]
fn deleting_a_subscribed_contact_cancels_on_both_sides() {
    let s = server();
    let (a, b) = (s.new_user("a"), s.new_user("b"));
    sub(s, &a, &b, SubAction::Invite);
    sub(s, &b, &a, SubAction::Accept);
    s.client(&a).run(roster::delete_contact(&b.jid)).unwrap();
    assert_eq!(state(s, &a, &b), None);
    assert_eq!(
        state(s, &b, &a),
        Some((ContactSub::None, ContactAsk::None)),
        "downgraded, not deleted"
    );
}

#[test]
fn accepting_nothing_changes_nothing_and_unknown_users_touch_only_the_caller() {
    let s = server();
    let (a, b) = (s.new_user("a"), s.new_user("b"));
    assert_eq!(
        sub(s, &a, &b, SubAction::Accept),
        "Subscription stanza with type subscribed sent successfully"
    );
    assert_eq!(state(s, &a, &b), None);
    assert_eq!(state(s, &b, &a), None);

    let resp = s
        .client(&a)
        .run(roster::subscription(
            "stranger_x@remote.example",
            SubAction::Invite,
        ))
        .unwrap();
    assert!(resp.errors.is_empty());
    let item = get(&s.client(&a), "stranger_x@remote.example").unwrap();
    assert_eq!(
        (item.subscription, item.ask),
        (Some(ContactSub::None), Some(ContactAsk::Out))
    );
}

#[test]
fn rosters_are_private() {
    let s = server();
    let (a, b) = (s.new_user("a"), s.new_user("b"));
    s.client(&a)
        .run(roster::add_contact(&b.jid, Some("secret"), None))
        .unwrap();
    assert!(list(&s.client(&b)).is_empty());
    assert!(get(&s.client(&b), &b.jid).is_none());
    let anon = s.anonymous().run(roster::list_contacts()).unwrap();
    assert_eq!(anon.status, 401);
    assert_eq!(anon.code(), Some("no_permissions"));
}

#[test]
fn revoking_an_accepted_subscription_and_cancelling_from_both() {
    let s = server();
    let (a, b) = (s.new_user("a"), s.new_user("b"));
    sub(s, &a, &b, SubAction::Invite);
    sub(s, &b, &a, SubAction::Accept);
    // Spec scenario 6: B revokes A's subscription.
    sub(s, &b, &a, SubAction::Decline);
    assert_eq!(state(s, &a, &b), Some((ContactSub::None, ContactAsk::None)));
    assert_eq!(state(s, &b, &a), Some((ContactSub::None, ContactAsk::None)));

    // Mutual again, then A cancels its subscription: B still sees A, A no longer sees B.
    sub(s, &a, &b, SubAction::Invite);
    sub(s, &b, &a, SubAction::Accept);
    sub(s, &b, &a, SubAction::Invite);
    sub(s, &a, &b, SubAction::Accept);
    assert_eq!(state(s, &a, &b), Some((ContactSub::Both, ContactAsk::None)));
    sub(s, &a, &b, SubAction::Cancel);
    assert_eq!(state(s, &a, &b), Some((ContactSub::From, ContactAsk::None)));
    assert_eq!(state(s, &b, &a), Some((ContactSub::To, ContactAsk::None)));
}

/// The contact's server answers a request from someone it already lets see it with an
/// automatic `subscribed`, which completes the requester's item.
#[test]
fn an_automatic_reply_completes_a_known_subscription() {
    let s = server();
    let (a, b) = (s.new_user("a"), s.new_user("b"));
    // A asks through a full-JID item; B's acceptance reaches A's bare JID, where A has no item.
    let full = format!("{}/laptop", b.jid);
    s.client(&a)
        .run(roster::subscription(&full, SubAction::Invite))
        .unwrap();
    sub(s, &b, &a, SubAction::Accept);
    assert_eq!(state(s, &b, &a), Some((ContactSub::From, ContactAsk::None)));
    assert_eq!(state(s, &a, &b), None);
    // Asking again on the bare JID: B's side auto-replies `subscribed`.
    sub(s, &a, &b, SubAction::Invite);
    assert_eq!(state(s, &a, &b), Some((ContactSub::To, ContactAsk::None)));
    assert_eq!(state(s, &b, &a), Some((ContactSub::From, ContactAsk::None)));
}

#[test]
fn error_extensions_name_the_user_and_the_contact() {
    let s = server();
    let alice = s.new_user("alice");
    let resp = s
        .client(&alice)
        .run(roster::delete_contact("ghost_s@localhost"))
        .unwrap();
    assert_eq!(resp.errors[0].extensions["user"], alice.jid);
    assert_eq!(resp.errors[0].extensions["contact"], "ghost_s@localhost");
    assert_eq!(resp.errors[0].path, vec!["roster", "deleteContact"]);
}
