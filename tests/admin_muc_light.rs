//! The admin API's `muc_light` category: any MUC Light room read and deleted as the server's
//! administrator; rooms created, configured, joined, left and written to on behalf of users;
//! users' blocking lists. The effects are read back through the user API and its
//! subscriptions (occupants see a deleted room).

mod common;

use std::time::Duration;

use common::{TestServer, User, ok, refused, server, server_without_modules, unique};
use mimql_client::admin::muc_light::{
    self, Affiliation, BlockedEntityType, BlockingAction, BlockingInput,
};
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::muc_light as ulight;
use mimql_client::user::stanza;

const WAIT: Duration = Duration::from_secs(10);
const SERVICE: &str = "muclight.localhost";

fn create(s: &TestServer, owner: &User, name: &str) -> muc_light::Room {
    ok(s.admin()
        .run(muc_light::create_room(
            SERVICE,
            Some(name),
            &owner.jid,
            Some("Topic"),
            None,
            None,
        ))
        .unwrap())
    .value()
    .cloned()
    .unwrap()
}

fn invite(s: &TestServer, room: &str, sender: &User, recipient: &User) {
    let d = ok(s
        .admin()
        .run(muc_light::invite_user(room, &sender.jid, &recipient.jid))
        .unwrap());
    assert_eq!(
        d.value().map(String::as_str),
        Some("User invited successfully")
    );
}

fn users(s: &TestServer, room: &str) -> Vec<(String, Affiliation)> {
    ok(s.admin().run(muc_light::list_room_users(room)).unwrap())
        .value()
        .cloned()
        .unwrap()
        .into_iter()
        .map(|u| (u.jid.0, u.affiliation))
        .collect()
}

fn open_sse(s: &TestServer, u: &User) -> SseSubscription {
    match SseSubscription::open(&s.client(u), &stanza::subscribe_for_messages()).unwrap() {
        Opened::Stream(st) => st,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    }
}

fn next_stanza(sub: &mut SseSubscription) -> String {
    let resp = sub
        .next::<stanza::SubscribeForMessages>(WAIT)
        .expect("stream open")
        .expect("an event in time");
    let m = resp.data.unwrap().message().cloned().expect("a message");
    m.stanza.unwrap().0
}

#[test]
fn rooms_are_created_configured_and_joined_on_behalf_of_users() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let room = create(s, &alice, "Birds");
    assert_eq!(room.name.as_deref(), Some("Birds"));
    assert_eq!(room.subject.as_deref(), Some("Topic"));
    assert_eq!(room.participants.len(), 1);
    let r = room.jid.0.clone();
    invite(s, &r, &alice, &bob);
    assert_eq!(
        users(s, &r),
        [
            (alice.jid.clone(), Affiliation::Owner),
            (bob.jid.clone(), Affiliation::Member)
        ]
    );
    // Bob sees the room through the user API.
    let d = ok(s.client(&bob).run(ulight::list_rooms()).unwrap());
    assert!(
        d.muc_light
            .unwrap()
            .list_rooms
            .unwrap()
            .iter()
            .any(|j| j.0 == r)
    );
    let d = ok(s.admin().run(muc_light::list_user_rooms(&bob.jid)).unwrap());
    assert_eq!(d.value().unwrap().iter().filter(|j| j.0 == r).count(), 1);

    // The configuration, as the owner; a member may not rename it.
    let d = ok(s
        .admin()
        .run(muc_light::change_room_configuration(
            &r,
            &alice.jid,
            Some("Renamed"),
            None,
            None,
        ))
        .unwrap());
    let changed = d.value().unwrap();
    assert_eq!(changed.name.as_deref(), Some("Renamed"));
    assert_eq!(changed.subject.as_deref(), Some("Topic"), "kept");
    refused(
        s.admin()
            .run(muc_light::change_room_configuration(
                &r,
                &bob.jid,
                Some("Mine"),
                None,
                None,
            ))
            .unwrap(),
        "not_allowed",
        "Given user does not have permission to change config",
    );
    let d = ok(s.admin().run(muc_light::get_room_config(&r)).unwrap());
    assert_eq!(d.value().unwrap().name.as_deref(), Some("Renamed"));

    // kickUser: the user leaves.
    let d = ok(s.admin().run(muc_light::kick_user(&r, &bob.jid)).unwrap());
    assert_eq!(
        d.value().map(String::as_str),
        Some("Affiliation change request sent successfully")
    );
    assert_eq!(users(s, &r), [(alice.jid.clone(), Affiliation::Owner)]);
    let e = refused(
        s.admin().run(muc_light::kick_user(&r, &bob.jid)).unwrap(),
        "not_room_member",
        "Given user does not occupy this room",
    );
    assert_eq!(e["user"], bob.jid.as_str());

    // Errors: users and services that do not exist, a taken id.
    refused(
        s.admin()
            .run(muc_light::create_room(
                SERVICE,
                None,
                "ghost@localhost",
                None,
                None,
                None,
            ))
            .unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    refused(
        s.admin()
            .run(muc_light::create_room(
                "muclight.nowhere.test",
                None,
                &alice.jid,
                None,
                None,
                None,
            ))
            .unwrap(),
        "muc_server_not_found",
        "MUC Light server not found",
    );
    let id = unique("id");
    ok(s.admin()
        .run(muc_light::create_room(
            SERVICE,
            None,
            &alice.jid,
            None,
            Some(&id),
            None,
        ))
        .unwrap());
    refused(
        s.admin()
            .run(muc_light::create_room(
                SERVICE,
                None,
                &alice.jid,
                None,
                Some(&id),
                None,
            ))
            .unwrap(),
        "already_exists",
        "Room already exists",
    );
    refused(
        s.admin()
            .run(muc_light::invite_user(&r, "ghost@localhost", &bob.jid))
            .unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    refused(
        s.admin()
            .run(muc_light::invite_user(&r, &bob.jid, &alice.jid))
            .unwrap(),
        "not_room_member",
        "Given user does not occupy this room",
    );
    refused(
        s.admin()
            .run(muc_light::list_user_rooms("ghost@localhost"))
            .unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    let gone = format!("{}@{SERVICE}", unique("none"));
    refused(
        s.admin().run(muc_light::get_room_config(&gone)).unwrap(),
        "room_not_found",
        "Room not found",
    );
    refused(
        s.admin().run(muc_light::list_room_users(&gone)).unwrap(),
        "room_not_found",
        "Room not found",
    );
}

#[test]
fn messages_reach_the_occupants_and_a_deleted_room_is_seen_by_them() {
    let s = server();
    let (alice, bob, carol) = (s.new_user("alice"), s.new_user("bob"), s.new_user("carol"));
    let r = create(s, &alice, "Talk").jid.0;
    invite(s, &r, &alice, &bob);
    let mut b_sse = open_sse(s, &bob);
    let d = ok(s
        .admin()
        .run(muc_light::send_message_to_room(&r, &alice.jid, "Hello Bob"))
        .unwrap());
    assert_eq!(
        d.value().map(String::as_str),
        Some("Message sent successfully")
    );
    let xml = next_stanza(&mut b_sse);
    assert!(xml.contains(&format!("from='{r}/{}'", alice.jid)), "{xml}");
    assert!(xml.contains("<body>Hello Bob</body>"), "{xml}");
    let d = ok(s
        .admin()
        .run(muc_light::get_room_messages(&r, Some(10), None))
        .unwrap());
    let page = d.value().unwrap();
    assert_eq!(page.limit, Some(10));
    let stanzas: Vec<String> = page
        .stanzas
        .clone()
        .unwrap()
        .into_iter()
        .map(|m| m.unwrap().stanza.unwrap().0)
        .collect();
    assert!(
        stanzas.iter().any(|x| x.contains("Hello Bob")),
        "{stanzas:?}"
    );
    refused(
        s.admin()
            .run(muc_light::send_message_to_room(&r, &carol.jid, "Hi?"))
            .unwrap(),
        "not_room_member",
        "Given user does not occupy this room",
    );

    let d = ok(s.admin().run(muc_light::delete_room(&r)).unwrap());
    assert_eq!(
        d.value().map(String::as_str),
        Some("Room deleted successfully")
    );
    let xml = next_stanza(&mut b_sse);
    assert!(xml.contains("urn:xmpp:muclight:0#destroy"), "{xml}");
    refused(
        s.client(&bob).run(ulight::get_room_config(&r)).unwrap(),
        "room_not_found",
        "Room not found",
    );
    refused(
        s.admin().run(muc_light::delete_room(&r)).unwrap(),
        "room_not_found",
        "Room not found",
    );
}

#[test]
fn blocking_lists_of_any_user() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let room = format!("{}@{SERVICE}", unique("blocked"));
    let d = ok(s
        .admin()
        .run(muc_light::set_blocking_list(
            &alice.jid,
            vec![
                BlockingInput::new(BlockedEntityType::User, None, &bob.jid),
                BlockingInput::new(BlockedEntityType::Room, Some(BlockingAction::Deny), &room),
            ],
        ))
        .unwrap());
    assert_eq!(
        d.value().map(String::as_str),
        Some("User blocking list updated successfully")
    );
    let d = ok(s
        .admin()
        .run(muc_light::get_blocking_list(&alice.jid))
        .unwrap());
    let listed: Vec<(BlockedEntityType, String)> = d
        .value()
        .unwrap()
        .iter()
        .map(|i| (i.entity_type, i.entity.0.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (BlockedEntityType::User, bob.jid.clone()),
            (BlockedEntityType::Room, room.clone())
        ]
    );
    // The same list on the user API.
    let d = ok(s.client(&alice).run(ulight::get_blocking_list()).unwrap());
    assert_eq!(d.muc_light.unwrap().get_blocking_list.unwrap().len(), 2);
    // Bob cannot add alice to a room of his now.
    let r = create(s, &bob, "Nope").jid.0;
    refused(
        s.admin()
            .run(muc_light::invite_user(&r, &bob.jid, &alice.jid))
            .unwrap(),
        "not_allowed",
        "The recipient does not accept invitations from this user or to this room",
    );
    ok(s.admin()
        .run(muc_light::set_blocking_list(
            &alice.jid,
            vec![BlockingInput::new(
                BlockedEntityType::User,
                Some(BlockingAction::Allow),
                &bob.jid,
            )],
        ))
        .unwrap());
    let d = ok(s
        .admin()
        .run(muc_light::get_blocking_list(&alice.jid))
        .unwrap());
    assert_eq!(d.value().unwrap().len(), 1);
    for errors in [
        s.admin()
            .run(muc_light::get_blocking_list("ghost@localhost"))
            .unwrap()
            .errors,
        s.admin()
            .run(muc_light::set_blocking_list("ghost@localhost", vec![]))
            .unwrap()
            .errors,
    ] {
        assert_eq!(errors[0].code.as_deref(), Some("user_not_found"));
        assert_eq!(errors[0].message, "Given user does not exist");
    }
}

#[test]
fn module_checks() {
    let off = server_without_modules();
    for errors in [
        off.admin()
            .run(muc_light::get_blocking_list("alice@localhost"))
            .unwrap()
            .errors,
        off.admin()
            .run(muc_light::list_user_rooms("alice@localhost"))
            .unwrap()
            .errors,
    ] {
        assert_eq!(
            errors[0].code.as_deref(),
            Some("deps_not_loaded"),
            "{errors:?}"
        );
    }
}
