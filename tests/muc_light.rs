//! MUC Light (spec: semantics-rooms-roster-vcard §4, rulings 4, 5 and 9): rooms, their
//! configuration, occupants, messages and archive, blocking lists, inbox bins, live delivery,
//! module options, account removal and concurrent changes of one room.

mod common;

use std::time::Duration;

use common::{TestServer, User, ok, refused, server, server_with, server_without_modules};
use mimql::config::{ConfigField, Limit};
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::muc_light::{
    self as ml, Affiliation, BlockedEntityType, BlockingAction, BlockingInput, Room,
};
use mimql_client::user::{account, inbox, roster, stanza};
use mimql_client::{Client, Response};
use serde_json::{Value as Json, json};

const MUCL: &str = "muclight.localhost";
const WAIT: Duration = Duration::from_secs(10);

fn create(c: &Client, name: Option<&str>, id: Option<&str>) -> Room {
    ok(c.run(ml::create_room(MUCL, name, Some("subject"), id, &[]))
        .unwrap())
    .room()
    .cloned()
    .expect("a room")
}

fn config(c: &Client, room: &str) -> Room {
    ok(c.run(ml::get_room_config(room)).unwrap())
        .room()
        .cloned()
        .expect("a room")
}

fn users(c: &Client, room: &str) -> Vec<(String, Affiliation)> {
    ok(c.run(ml::list_room_users(room)).unwrap())
        .muc_light
        .and_then(|m| m.list_room_users)
        .expect("users")
        .into_iter()
        .map(|u| (u.jid.0, u.affiliation))
        .collect()
}

fn rooms(c: &Client) -> Vec<String> {
    ok(c.run(ml::list_rooms()).unwrap())
        .muc_light
        .and_then(|m| m.list_rooms)
        .expect("rooms")
        .into_iter()
        .map(|j| j.0)
        .collect()
}

fn invite(c: &Client, room: &str, who: &User) {
    let resp = ok(c.run(ml::invite_user(room, &who.jid)).unwrap());
    assert_eq!(
        resp.muc_light.unwrap().invite_user.as_deref(),
        Some("User invited successfully")
    );
}

fn kick(c: &Client, room: &str, who: Option<&str>) {
    let resp = ok(c.run(ml::kick_user(room, who)).unwrap());
    assert_eq!(
        resp.muc_light.unwrap().kick_user.as_deref(),
        Some("Affiliation change request sent successfully")
    );
}

fn say(c: &Client, room: &str, body: &str) {
    let resp = ok(c.run(ml::send_message_to_room(room, body)).unwrap());
    assert_eq!(
        resp.muc_light.unwrap().send_message_to_room.as_deref(),
        Some("Message sent successfully")
    );
}

fn messages(
    c: &Client,
    room: &str,
    size: Option<i64>,
    before: Option<&str>,
) -> (Vec<stanza::StanzaMap>, i32) {
    let p = ok(c.run(ml::get_room_messages(room, size, before)).unwrap())
        .muc_light
        .and_then(|m| m.get_room_messages)
        .expect("a payload");
    (
        p.stanzas.unwrap().into_iter().map(Option::unwrap).collect(),
        p.limit.unwrap(),
    )
}

fn flush(c: &Client) -> i32 {
    ok(c.run(inbox::flush_bin(None)).unwrap())
        .inbox
        .and_then(|i| i.flush_bin)
        .unwrap()
}

fn blocking_list(c: &Client) -> Vec<(BlockedEntityType, BlockingAction, String)> {
    ok(c.run(ml::get_blocking_list()).unwrap())
        .muc_light
        .and_then(|m| m.get_blocking_list)
        .expect("a list")
        .into_iter()
        .map(|i| (i.entity_type, i.action, i.entity.0))
        .collect()
}

fn block(c: &Client, items: Vec<BlockingInput>) {
    let resp = ok(c.run(ml::set_blocking_list(items)).unwrap());
    assert_eq!(
        resp.muc_light.unwrap().set_blocking_list.as_deref(),
        Some("User blocking list updated successfully")
    );
}

fn options(room: &Room) -> Vec<(&str, &str)> {
    room.options
        .iter()
        .map(|o| (o.key.as_str(), o.value.as_str()))
        .collect()
}

fn participants(room: &Room) -> Vec<(String, Affiliation)> {
    room.participants
        .iter()
        .map(|p| (p.jid.0.clone(), p.affiliation))
        .collect()
}

/// Expected occupants, sorted as the server sorts them (by local part, then domain).
fn sorted(mut v: Vec<(&User, Affiliation)>) -> Vec<(String, Affiliation)> {
    v.sort_by(|a, b| a.0.jid.cmp(&b.0.jid));
    v.into_iter().map(|(u, a)| (u.jid.clone(), a)).collect()
}

fn open_sse(c: &Client) -> SseSubscription {
    match SseSubscription::open(c, &stanza::subscribe_for_messages()).expect("server reachable") {
        Opened::Stream(s) => s,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    }
}

fn next_message(sub: &mut SseSubscription) -> stanza::StanzaMap {
    let resp = sub
        .next::<stanza::SubscribeForMessages>(WAIT)
        .expect("stream open")
        .expect("an event in time");
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    resp.data.unwrap().message().cloned().expect("a message")
}

/// A server with a custom configuration schema (background, music, roomname, subject and an
/// integer), members allowed to invite and configure, and rooms in rosters.
fn open_server() -> &'static TestServer {
    static S: std::sync::OnceLock<TestServer> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        server_with(|c| {
            let string = |field: &str, v: &str| ConfigField {
                field: field.into(),
                string_value: Some(v.into()),
                integer_value: None,
                float_value: None,
            };
            let o = &mut c.muc_light;
            o.all_can_invite = true;
            o.all_can_configure = true;
            o.rooms_in_rosters = true;
            o.config_schema = vec![
                string("background", ""),
                string("music", ""),
                string("roomname", ""),
                string("subject", "Test"),
                ConfigField {
                    field: "lines".into(),
                    string_value: None,
                    integer_value: Some(30),
                    float_value: None,
                },
            ];
        })
    })
}

/// A server with limits: three occupants per room, two rooms per user, blocking off, no room
/// archive.
fn limited_server() -> &'static TestServer {
    static S: std::sync::OnceLock<TestServer> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        server_with(|c| {
            c.muc_light.max_occupants = Limit::At(3);
            c.muc_light.rooms_per_user = Limit::At(2);
            c.muc_light.blocking = false;
            c.modules.insert(
                "mod_mam_muc".into(),
                mimql::config::ModuleConfig { enabled: false },
            );
        })
    })
}

// ---- createRoom ----

#[test]
fn create_room_makes_the_creator_owner_and_echoes_what_was_given() {
    let s = server();
    let alice = s.new_user("mlcreate");
    let c = s.client(&alice);
    let room = create(&c, Some("first room"), None);
    let (node, domain) = room.jid.0.split_once('@').unwrap();
    assert_eq!(domain, MUCL);
    // A generated id: <megasecs>-<secs>-<microsecs>.
    let parts: Vec<&str> = node.split('-').collect();
    assert_eq!(parts.len(), 3, "{node}");
    assert!(parts.iter().all(|p| p.parse::<u64>().is_ok()), "{node}");
    assert_eq!(room.name.as_deref(), Some("first room"));
    assert_eq!(room.subject.as_deref(), Some("subject"));
    assert_eq!(
        participants(&room),
        [(alice.jid.clone(), Affiliation::Owner)]
    );
    // Only the keys given, as in the reference.
    assert_eq!(
        options(&room),
        [("roomname", "first room"), ("subject", "subject")]
    );
    assert_eq!(rooms(&c), std::slice::from_ref(&room.jid.0));
    // Without a name: no name, and the stored name is the schema's default.
    let r2 = ok(c.run(ml::create_room(MUCL, None, None, None, &[])).unwrap())
        .room()
        .cloned()
        .unwrap();
    assert_eq!((r2.name, r2.subject), (None, None));
    assert!(r2.options.is_empty());
    let stored = config(&c, &r2.jid.0);
    assert_eq!(stored.name.as_deref(), Some("Untitled"));
    assert_eq!(stored.subject.as_deref(), Some(""));
    let mut both = vec![room.jid.0, r2.jid.0];
    both.sort();
    assert_eq!(rooms(&c), both);
}

#[test]
fn create_room_with_an_id_normalises_it_and_refuses_duplicates() {
    let s = server();
    let alice = s.new_user("mlid");
    let c = s.client(&alice);
    let id = common::unique("MyRoom");
    let room = ok(c
        .run(ml::create_room(
            "MUCLight.LocalHost",
            Some("n"),
            None,
            Some(&id),
            &[],
        ))
        .unwrap())
    .room()
    .cloned()
    .unwrap();
    let expected = format!("{}@{MUCL}", id.to_lowercase());
    assert_eq!(room.jid.0, expected);
    let ext = refused(
        c.run(ml::create_room(
            MUCL,
            Some("again"),
            None,
            Some(&id.to_lowercase()),
            &[],
        ))
        .unwrap(),
        "already_exists",
        "Room already exists",
    );
    assert_eq!(
        ext,
        json!({"code": "already_exists", "mucDomain": MUCL, "id": id.to_lowercase()})
    );
    // The first room is untouched.
    assert_eq!(config(&c, &expected).name.as_deref(), Some("n"));
    // An empty id is refused before anything runs.
    let (status, body) = s.post(
        &c,
        json!({"query": "mutation { muc_light { createRoom(mucDomain: \"muclight.localhost\", id: \"\") { jid } } }"}),
    );
    assert_eq!(status, 400);
    assert_eq!(common::code(&body), "input_coercion");
    assert!(common::message(&body).contains("empty_room_name"), "{body}");
}

#[test]
fn create_room_refuses_unknown_services_and_bad_options() {
    let s = server();
    let alice = s.new_user("mlcreateerr");
    let c = s.client(&alice);
    // Not a MUC Light service: an unknown domain, a user domain, a classic MUC service.
    for domain in ["muclight.unknown.org", "localhost", "muc.localhost"] {
        let ext = refused(
            c.run(ml::create_room(domain, Some("x"), None, None, &[]))
                .unwrap(),
            "muc_server_not_found",
            "MUC Light server not found",
        );
        assert_eq!(
            ext,
            json!({"code": "muc_server_not_found", "mucDomain": domain, "id": null})
        );
    }
    let ext = refused(
        c.run(ml::create_room(
            MUCL,
            Some("x"),
            None,
            Some("badcfg"),
            &[("badkey", "badvalue")],
        ))
        .unwrap(),
        "validation_error",
        "Validation failed for key: badkey with reason not_found",
    );
    assert_eq!(ext["id"], "badcfg");
    let resp = c
        .run(ml::create_room(MUCL, Some("bad\u{1}name"), None, None, &[]))
        .unwrap();
    assert_eq!(resp.code(), Some("invalid_character"));
    assert!(rooms(&c).is_empty(), "nothing was created");
}

#[test]
fn custom_schemas_type_and_default_their_keys() {
    let s = open_server();
    let alice = s.new_user("mlschema");
    let c = s.client(&alice);
    let room = ok(c
        .run(ml::create_room(
            MUCL,
            Some("room with custom fields"),
            Some("testing_custom"),
            None,
            &[("background", "red")],
        ))
        .unwrap())
    .room()
    .cloned()
    .unwrap();
    assert_eq!(
        options(&room),
        [
            ("background", "red"),
            ("roomname", "room with custom fields"),
            ("subject", "testing_custom")
        ]
    );
    assert_eq!(
        options(&config(&c, &room.jid.0)),
        [
            ("background", "red"),
            ("lines", "30"),
            ("music", ""),
            ("roomname", "room with custom fields"),
            ("subject", "testing_custom")
        ]
    );
    // Later duplicates win; name and subject override options.
    let r2 = ok(c
        .run(ml::create_room(
            MUCL,
            Some("named"),
            None,
            None,
            &[
                ("roomname", "ignored"),
                ("music", "a"),
                ("music", "b"),
                ("lines", "007"),
            ],
        ))
        .unwrap())
    .room()
    .cloned()
    .unwrap();
    assert_eq!(
        options(&r2),
        [("lines", "7"), ("music", "b"), ("roomname", "named")]
    );
    refused(
        c.run(ml::create_room(
            MUCL,
            None,
            None,
            None,
            &[("lines", "many")],
        ))
        .unwrap(),
        "validation_error",
        "Validation failed for key: lines with reason type_error",
    );
}

// ---- getRoomConfig, listRoomUsers, listRooms ----

#[test]
fn occupants_read_the_room_and_outsiders_do_not() {
    let s = server();
    let (alice, bob, eve) = (
        s.new_user("mlreada"),
        s.new_user("mlreadb"),
        s.new_user("mlreade"),
    );
    let (a, b, e) = (s.client(&alice), s.client(&bob), s.client(&eve));
    let room = create(&a, Some("first room"), None);
    let jid = room.jid.0.clone();
    let owner_view = config(&a, &jid);
    assert_eq!(owner_view.jid.0, jid);
    assert_eq!(owner_view.name.as_deref(), Some("first room"));
    assert_eq!(
        options(&owner_view),
        [("roomname", "first room"), ("subject", "subject")]
    );
    assert_eq!(
        participants(&owner_view),
        [(alice.jid.clone(), Affiliation::Owner)]
    );
    for resp in [
        e.run(ml::get_room_config(&jid)).unwrap().errors,
        e.run(ml::list_room_users(&jid)).unwrap().errors,
    ] {
        assert_eq!(resp.len(), 1);
        assert_eq!(resp[0].code.as_deref(), Some("not_room_member"));
        assert_eq!(resp[0].message, "Given user does not occupy this room");
        assert_eq!(
            resp[0].extensions,
            json!({"code": "not_room_member", "room": jid})
        );
    }
    let node = jid.split('@').next().unwrap();
    refused(
        a.run(ml::get_room_config(&format!("{node}@muclight.unknown.org")))
            .unwrap(),
        "muc_server_not_found",
        "MUC Light server not found",
    );
    refused(
        a.run(ml::list_room_users(&format!("nosuchroom@{MUCL}")))
            .unwrap(),
        "room_not_found",
        "Room not found",
    );
    invite(&a, &jid, &bob);
    let expected = sorted(vec![
        (&alice, Affiliation::Owner),
        (&bob, Affiliation::Member),
    ]);
    assert_eq!(users(&b, &jid), expected);
    assert_eq!(participants(&config(&b, &jid)), expected);
    assert_eq!(rooms(&b), std::slice::from_ref(&jid));
    assert!(rooms(&e).is_empty());
}

// ---- changeRoomConfiguration ----

#[test]
fn configuration_changes_only_the_keys_given() {
    let s = server();
    let (alice, bob, eve) = (
        s.new_user("mlcfga"),
        s.new_user("mlcfgb"),
        s.new_user("mlcfge"),
    );
    let (a, b, e) = (s.client(&alice), s.client(&bob), s.client(&eve));
    let jid = create(&a, Some("ornithology"), None).jid.0;
    invite(&a, &jid, &bob);
    // Ruling 5: the subject stays, the whole room comes back.
    let changed = ok(a
        .run(ml::change_room_configuration(
            &jid,
            Some("changed room"),
            None,
            &[],
        ))
        .unwrap())
    .room()
    .cloned()
    .unwrap();
    assert_eq!(changed.name.as_deref(), Some("changed room"));
    assert_eq!(changed.subject.as_deref(), Some("subject"));
    assert_eq!(
        options(&changed),
        [("roomname", "changed room"), ("subject", "subject")]
    );
    assert_eq!(
        participants(&changed),
        sorted(vec![
            (&alice, Affiliation::Owner),
            (&bob, Affiliation::Member)
        ])
    );
    assert_eq!(config(&b, &jid), changed);
    // A member may change the subject alone…
    let by_bob = ok(b
        .run(ml::change_room_configuration(
            &jid,
            None,
            Some("birds"),
            &[],
        ))
        .unwrap())
    .room()
    .cloned()
    .unwrap();
    assert_eq!(
        options(&by_bob),
        [("roomname", "changed room"), ("subject", "birds")]
    );
    let by_option = b
        .run(ml::change_room_configuration(
            &jid,
            None,
            None,
            &[("subject", "bees")],
        ))
        .unwrap();
    assert!(by_option.errors.is_empty(), "{:?}", by_option.errors);
    // …but nothing else.
    for (name, subject) in [
        (Some("mine"), None),
        (Some("mine"), Some("x")),
        (None, None),
    ] {
        let ext = refused(
            b.run(ml::change_room_configuration(&jid, name, subject, &[]))
                .unwrap(),
            "not_allowed",
            "Given user does not have permission to change config",
        );
        assert_eq!(ext, json!({"code": "not_allowed", "room": jid}));
    }
    refused(
        e.run(ml::change_room_configuration(&jid, None, Some("x"), &[]))
            .unwrap(),
        "not_room_member",
        "Given user does not occupy this room",
    );
    refused(
        a.run(ml::change_room_configuration(
            &format!("nosuchroom@{MUCL}"),
            Some("x"),
            None,
            &[],
        ))
        .unwrap(),
        "room_not_found",
        "Room not found",
    );
    refused(
        a.run(ml::change_room_configuration(
            "r@muclight.unknown.org",
            Some("x"),
            None,
            &[],
        ))
        .unwrap(),
        "muc_server_not_found",
        "MUC Light server not found",
    );
    refused(
        a.run(ml::change_room_configuration(
            &jid,
            None,
            None,
            &[("music", "sad")],
        ))
        .unwrap(),
        "validation_error",
        "Validation failed for key: music with reason not_found",
    );
    // Nothing given: nothing changes.
    let same = ok(a
        .run(ml::change_room_configuration(&jid, None, None, &[]))
        .unwrap())
    .room()
    .cloned()
    .unwrap();
    assert_eq!(
        options(&same),
        [("roomname", "changed room"), ("subject", "bees")]
    );
}

#[test]
fn all_can_configure_lets_members_change_everything() {
    let s = open_server();
    let (alice, bob) = (s.new_user("mlallcfga"), s.new_user("mlallcfgb"));
    let (a, b) = (s.client(&alice), s.client(&bob));
    let jid = create(&a, Some("ornithology"), None).jid.0;
    invite(&a, &jid, &bob);
    let changed = ok(b
        .run(ml::change_room_configuration(
            &jid,
            Some("changed room"),
            Some("not testing"),
            &[("music", "sad")],
        ))
        .unwrap())
    .room()
    .cloned()
    .unwrap();
    assert_eq!(
        options(&changed),
        [
            ("background", ""),
            ("lines", "30"),
            ("music", "sad"),
            ("roomname", "changed room"),
            ("subject", "not testing")
        ]
    );
}

// ---- inviteUser ----

#[test]
fn owners_invite_and_invitations_are_refused_truthfully() {
    let s = server();
    let (alice, bob, carol, eve) = (
        s.new_user("mlinva"),
        s.new_user("mlinvb"),
        s.new_user("mlinvc"),
        s.new_user("mlinve"),
    );
    let (a, b, e) = (s.client(&alice), s.client(&bob), s.client(&eve));
    let jid = create(&a, Some("r"), None).jid.0;
    invite(&a, &jid, &bob);
    assert_eq!(
        users(&a, &jid),
        sorted(vec![
            (&alice, Affiliation::Owner),
            (&bob, Affiliation::Member)
        ])
    );
    let ext = refused(
        b.run(ml::invite_user(&jid, &carol.jid)).unwrap(),
        "not_allowed",
        "Given user does not have permission to invite users",
    );
    assert_eq!(
        ext,
        json!({"code": "not_allowed", "room": jid, "recipient": carol.jid})
    );
    refused(
        a.run(ml::invite_user(&jid, &format!("{}/phone", bob.jid)))
            .unwrap(),
        "already_in_room",
        "Given user already occupies this room",
    );
    refused(
        a.run(ml::invite_user(&jid, &alice.jid)).unwrap(),
        "already_in_room",
        "Given user already occupies this room",
    );
    refused(
        a.run(ml::invite_user(&jid, "nobody_mlinv@localhost"))
            .unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    refused(
        e.run(ml::invite_user(&jid, &eve.jid)).unwrap(),
        "not_room_member",
        "Given user does not occupy this room",
    );
    refused(
        a.run(ml::invite_user(&format!("nosuchroom@{MUCL}"), &carol.jid))
            .unwrap(),
        "room_not_found",
        "Room not found",
    );
    refused(
        a.run(ml::invite_user("r@localhost.unknown", &carol.jid))
            .unwrap(),
        "muc_server_not_found",
        "MUC Light server not found",
    );
    // Nothing changed by the refusals.
    assert_eq!(users(&a, &jid).len(), 2);
    assert!(rooms(&s.client(&carol)).is_empty());
}

#[test]
fn members_invite_when_all_can_invite() {
    let s = open_server();
    let (alice, bob, carol) = (
        s.new_user("mlallinva"),
        s.new_user("mlallinvb"),
        s.new_user("mlallinvc"),
    );
    let (a, b) = (s.client(&alice), s.client(&bob));
    let jid = create(&a, Some("r"), None).jid.0;
    invite(&a, &jid, &bob);
    invite(&b, &jid, &carol);
    assert_eq!(
        users(&a, &jid),
        sorted(vec![
            (&alice, Affiliation::Owner),
            (&bob, Affiliation::Member),
            (&carol, Affiliation::Member)
        ])
    );
}

// ---- kickUser ----

#[test]
fn owners_kick_anyone_members_only_themselves() {
    let s = server();
    let (alice, bob, carol, eve) = (
        s.new_user("mlkicka"),
        s.new_user("mlkickb"),
        s.new_user("mlkickc"),
        s.new_user("mlkicke"),
    );
    let (a, b, c) = (s.client(&alice), s.client(&bob), s.client(&carol));
    let jid = create(&a, Some("r"), None).jid.0;
    invite(&a, &jid, &bob);
    invite(&a, &jid, &carol);
    // A member cannot remove the owner or another member; the errors name only the user.
    for target in [&alice, &carol] {
        let ext = refused(
            b.run(ml::kick_user(&jid, Some(&target.jid))).unwrap(),
            "not_allowed",
            "Given user does not have permission to change affiliations",
        );
        assert_eq!(ext, json!({"code": "not_allowed", "user": target.jid}));
    }
    // Another resource of oneself is not oneself.
    refused(
        b.run(ml::kick_user(&jid, Some(&format!("{}/res", bob.jid))))
            .unwrap(),
        "not_allowed",
        "Given user does not have permission to change affiliations",
    );
    // A member leaves: by naming itself, or with no user.
    kick(&b, &jid, Some(&bob.jid));
    assert_eq!(users(&a, &jid).len(), 2);
    assert!(rooms(&b).is_empty());
    kick(&c, &jid, None);
    assert_eq!(users(&a, &jid), [(alice.jid.clone(), Affiliation::Owner)]);
    // The owner removes members.
    invite(&a, &jid, &bob);
    kick(&a, &jid, Some(&bob.jid));
    assert_eq!(users(&a, &jid).len(), 1);
    // Ruling 4: removing someone who is not in the room is an error.
    let ext = refused(
        a.run(ml::kick_user(&jid, Some(&eve.jid))).unwrap(),
        "not_room_member",
        "The user to remove does not occupy this room",
    );
    assert_eq!(ext, json!({"code": "not_room_member", "user": eve.jid}));
    let ext = refused(
        s.client(&eve).run(ml::kick_user(&jid, None)).unwrap(),
        "not_room_member",
        "Given user does not occupy this room",
    );
    assert_eq!(ext, json!({"code": "not_room_member", "user": eve.jid}));
    refused(
        a.run(ml::kick_user(&format!("nosuchroom@{MUCL}"), None))
            .unwrap(),
        "room_not_found",
        "Room not found",
    );
}

#[test]
fn a_leaving_owner_is_succeeded_and_the_last_one_out_ends_the_room() {
    let s = server();
    let (alice, bob, carol) = (
        s.new_user("mlsucca"),
        s.new_user("mlsuccb"),
        s.new_user("mlsuccc"),
    );
    let (a, b, c) = (s.client(&alice), s.client(&bob), s.client(&carol));
    let jid = create(&a, Some("r"), None).jid.0;
    invite(&a, &jid, &bob);
    invite(&a, &jid, &carol);
    say(&a, &jid, "before");
    kick(&a, &jid, None);
    // The first member by JID becomes owner.
    let (first, second) = if bob.jid < carol.jid {
        (&bob, &carol)
    } else {
        (&carol, &bob)
    };
    assert_eq!(
        users(&b, &jid),
        sorted(vec![
            (first, Affiliation::Owner),
            (second, Affiliation::Member)
        ])
    );
    let (fc, sc) = (s.client(first), s.client(second));
    kick(&fc, &jid, None);
    assert_eq!(users(&sc, &jid), [(second.jid.clone(), Affiliation::Owner)]);
    kick(&sc, &jid, None);
    refused(
        c.run(ml::get_room_config(&jid)).unwrap(),
        "room_not_found",
        "Room not found",
    );
    // The room's name is free again, and its archive went with it.
    let node = jid.split('@').next().unwrap();
    let again = create(&a, Some("again"), Some(node));
    assert_eq!(again.jid.0, jid);
    assert!(messages(&a, &jid, None, None).0.is_empty());
}

// ---- deleteRoom ----

#[test]
fn only_the_owner_deletes_and_deletion_bins_everything() {
    let s = server();
    let (alice, bob, eve) = (
        s.new_user("mldela"),
        s.new_user("mldelb"),
        s.new_user("mldele"),
    );
    let (a, b, e) = (s.client(&alice), s.client(&bob), s.client(&eve));
    let jid = create(&a, Some("r"), None).jid.0;
    invite(&a, &jid, &bob);
    say(&a, &jid, "hello");
    let ext = refused(
        b.run(ml::delete_room(&jid)).unwrap(),
        "not_allowed",
        "Given user cannot delete this room",
    );
    assert_eq!(ext, json!({"code": "not_allowed", "room": jid}));
    refused(
        e.run(ml::delete_room(&jid)).unwrap(),
        "not_room_member",
        "Given user does not occupy this room",
    );
    refused(
        a.run(ml::delete_room(&format!("nosuchroom@{MUCL}")))
            .unwrap(),
        "room_not_found",
        "Room not found",
    );
    refused(
        a.run(ml::delete_room("r@muclight.unknown.org")).unwrap(),
        "muc_server_not_found",
        "MUC Light server not found",
    );
    assert_eq!(flush(&a), 0);
    let resp = ok(a.run(ml::delete_room(&jid)).unwrap());
    assert_eq!(
        resp.muc_light.unwrap().delete_room.as_deref(),
        Some("Room deleted successfully")
    );
    for c in [&a, &b] {
        refused(
            c.run(ml::get_room_config(&jid)).unwrap(),
            "room_not_found",
            "Room not found",
        );
        assert!(rooms(c).is_empty());
        // Ruling 9: every occupant's inbox entry for the room is in the bin.
        assert_eq!(flush(c), 1);
        assert_eq!(flush(c), 0);
    }
    // …and the archive is gone: a new room of the same name starts empty.
    let node = jid.split('@').next().unwrap();
    create(&a, Some("again"), Some(node));
    assert!(messages(&a, &jid, None, None).0.is_empty());
}

// ---- inbox ----

#[test]
fn kicked_and_leaving_users_find_the_room_in_their_bin() {
    let s = server();
    let (alice, bob, carol) = (
        s.new_user("mlbina"),
        s.new_user("mlbinb"),
        s.new_user("mlbinc"),
    );
    let (a, b, c) = (s.client(&alice), s.client(&bob), s.client(&carol));
    let jid = create(&a, Some("r"), None).jid.0;
    invite(&a, &jid, &bob);
    invite(&a, &jid, &carol);
    say(&b, &jid, "hi all");
    for u in [&a, &b, &c] {
        assert_eq!(flush(u), 0, "everyone's entry is in the inbox");
    }
    kick(&a, &jid, Some(&bob.jid));
    assert_eq!(flush(&b), 1);
    assert_eq!(flush(&a), 0);
    assert_eq!(flush(&c), 0);
    // Leaving works the same way (the reference's user_flush_own_bin).
    kick(&c, &jid, None);
    assert_eq!(flush(&c), 1);
    // A message brings nobody back: only occupants get entries.
    say(&a, &jid, "alone");
    assert_eq!(flush(&b), 0);
}

// ---- sendMessageToRoom, getRoomMessages ----

#[test]
fn messages_are_archived_for_the_room_and_read_by_occupants() {
    let s = server();
    let (alice, bob) = (s.new_user("mlmsga"), s.new_user("mlmsgb"));
    let (a, b) = (s.client(&alice), s.client(&bob));
    let jid = create(&a, Some("first room"), None).jid.0;
    say(&a, &jid, "Hello friends");
    let (page, limit) = messages(&a, &jid, Some(40), None);
    assert_eq!(limit, 40);
    assert_eq!(page.len(), 1, "creating a room archives nothing");
    let m = &page[0];
    let sender = format!("{jid}/{}", alice.jid);
    assert_eq!(m.sender.as_ref().unwrap().0, sender);
    let xml = m.stanza.as_ref().unwrap().0.clone();
    let id = xml
        .split("id='")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap()
        .to_string();
    assert_eq!(
        xml,
        format!(
            "<message id='{id}' type='groupchat' from='{sender}'><body>Hello friends</body></message>"
        )
    );
    let mam = m.stanza_id.clone().unwrap();
    assert!(
        mam.chars()
            .all(|c| c.is_ascii_digit() || ('A'..='V').contains(&c)),
        "{mam}"
    );
    assert!(m.timestamp.as_ref().unwrap().0.ends_with('Z'));
    let (page, limit) = messages(&a, &jid, None, Some("2022-02-17T04:54:13+00:00"));
    assert!(page.is_empty());
    assert_eq!(limit, 50);
    assert_eq!(messages(&a, &jid, Some(51), None).1, 50);
    // Room messages never reach personal archives.
    assert!(common::archive(&a, None, None, None).0.is_empty());
    // The invitation is a room event: archived after the message, oldest first.
    invite(&a, &jid, &bob);
    say(&b, &jid, "Hi Alice");
    let (page, _) = messages(&b, &jid, None, None);
    assert_eq!(page.len(), 3);
    let xml: Vec<String> = page.iter().map(|m| m.stanza.clone().unwrap().0).collect();
    assert!(xml[1].contains(&format!("<user affiliation='member'>{}</user>", bob.jid)));
    assert!(xml[1].contains("urn:xmpp:muclight:0#affiliations"));
    assert_eq!(page[1].sender.as_ref().unwrap().0, jid);
    assert!(xml[2].contains("<body>Hi Alice</body>"));
    // Paging: the newest page, oldest first.
    let (last, _) = messages(&b, &jid, Some(1), None);
    assert_eq!(last, page[2..]);
    let before = page[1].timestamp.clone().unwrap().0;
    let (older, _) = messages(&b, &jid, None, Some(&before));
    assert_eq!(older, page[..2]);
}

#[test]
fn outsiders_neither_send_nor_read() {
    let s = server();
    let (alice, eve) = (s.new_user("mlmsgerra"), s.new_user("mlmsgerre"));
    let (a, e) = (s.client(&alice), s.client(&eve));
    let jid = create(&a, Some("r"), None).jid.0;
    let ext = refused(
        e.run(ml::send_message_to_room(&jid, "spam")).unwrap(),
        "not_room_member",
        "Given user does not occupy this room",
    );
    assert_eq!(ext, json!({"code": "not_room_member", "room": jid}));
    refused(
        e.run(ml::get_room_messages(&jid, Some(40), None)).unwrap(),
        "not_room_member",
        "Given user does not occupy this room",
    );
    let node = jid.split('@').next().unwrap();
    refused(
        a.run(ml::get_room_messages(
            &format!("{node}@muclight.unknown.org"),
            None,
            None,
        ))
        .unwrap(),
        "muc_server_not_found",
        "MUC Light server not found",
    );
    refused(
        a.run(ml::send_message_to_room(&format!("nosuchroom@{MUCL}"), "x"))
            .unwrap(),
        "room_not_found",
        "Room not found",
    );
    let resp = a.run(ml::send_message_to_room(&jid, "bad\u{0}")).unwrap();
    assert_eq!(resp.code(), Some("invalid_character"));
    assert!(messages(&a, &jid, None, None).0.is_empty());
}

#[test]
fn occupants_receive_room_traffic_live() {
    let s = server();
    let (alice, bob) = (s.new_user("mlliva"), s.new_user("mllivb"));
    let (a, b) = (s.client(&alice), s.client(&bob));
    let jid = create(&a, Some("live"), None).jid.0;
    let mut bob_sub = open_sse(&b);
    let mut alice_sub = open_sse(&a);
    invite(&a, &jid, &bob);
    // The newcomer learns its affiliation and the room's version.
    let n = next_message(&mut bob_sub);
    assert_eq!(n.sender.as_ref().unwrap().0, jid);
    let xml = n.stanza.unwrap().0;
    assert!(
        xml.starts_with(&format!("<message to='{}' id='", bob.jid)),
        "{xml}"
    );
    assert!(xml.contains("<x xmlns='urn:xmpp:muclight:0#affiliations'><version>"));
    assert!(xml.contains(&format!(
        "<user affiliation='member'>{}</user></x><body/>",
        bob.jid
    )));
    // The occupants learn of the change with the previous version.
    let n = next_message(&mut alice_sub).stanza.unwrap().0;
    assert!(n.contains("<prev-version>"), "{n}");
    say(&a, &jid, "Hello Bob");
    let mut archive_ids = Vec::new();
    for sub in [&mut bob_sub, &mut alice_sub] {
        let m = next_message(sub);
        let sender = format!("{jid}/{}", alice.jid);
        assert_eq!(m.sender.as_ref().unwrap().0, sender);
        let xml = m.stanza.unwrap().0;
        let id = m.stanza_id.unwrap();
        let head = format!(
            " id='{id}' type='groupchat' from='{sender}'><body>Hello Bob</body><stanza-id by='{jid}' id='"
        );
        assert!(xml.contains(&head), "{xml}");
        let rest = xml.split(&head).nth(1).unwrap();
        archive_ids.push(rest.split('\'').next().unwrap().to_string());
    }
    // The archive id occupants saw is the one getRoomMessages shows.
    let archived = messages(&b, &jid, Some(1), None).0.pop().unwrap();
    assert_eq!(archived.stanza_id.as_ref(), Some(&archive_ids[0]));
    assert_eq!(archive_ids[0], archive_ids[1]);
    say(&b, &jid, "ok");
    let m = next_message(&mut alice_sub).stanza.unwrap().0;
    assert!(m.contains("<body>ok</body>"), "{m}");
    // A configuration change is announced.
    ok(a.run(ml::change_room_configuration(
        &jid,
        Some("renamed"),
        None,
        &[],
    ))
    .unwrap());
    let _ = next_message(&mut bob_sub); // "ok"
    let m = next_message(&mut bob_sub).stanza.unwrap().0;
    assert!(
        m.contains("<x xmlns='urn:xmpp:muclight:0#configuration'><prev-version>"),
        "{m}"
    );
    assert!(m.contains("<roomname>renamed</roomname></x><body/>"), "{m}");
    let _ = next_message(&mut alice_sub); // the same for Alice
    // The removed user is told, and hears nothing more.
    kick(&a, &jid, Some(&bob.jid));
    let m = next_message(&mut bob_sub).stanza.unwrap().0;
    assert!(
        m.contains(&format!("<user affiliation='none'>{}</user>", bob.jid)),
        "{m}"
    );
    say(&a, &jid, "gone");
    assert!(
        bob_sub
            .next_event(Duration::from_millis(500))
            .unwrap()
            .is_none()
    );
    // Deleting the room tells every occupant.
    let _ = next_message(&mut alice_sub); // the kick
    let _ = next_message(&mut alice_sub); // "gone"
    ok(a.run(ml::delete_room(&jid)).unwrap());
    let m = next_message(&mut alice_sub).stanza.unwrap().0;
    assert!(
        m.contains("<x xmlns='urn:xmpp:muclight:0#destroy'/>"),
        "{m}"
    );
}

// ---- blocking ----

#[test]
fn blocking_lists_are_kept_as_given() {
    let s = server();
    let (alice, bob) = (s.new_user("mlblka"), s.new_user("mlblkb"));
    let a = s.client(&alice);
    assert!(blocking_list(&a).is_empty());
    // The action defaults to DENY; entities are bare.
    block(
        &a,
        vec![BlockingInput::new(
            BlockedEntityType::User,
            None,
            &format!("{}/res", bob.jid),
        )],
    );
    assert_eq!(
        blocking_list(&a),
        [(
            BlockedEntityType::User,
            BlockingAction::Deny,
            bob.jid.clone()
        )]
    );
    let room = format!("someroom@{MUCL}");
    block(
        &a,
        vec![
            BlockingInput::new(
                BlockedEntityType::User,
                Some(BlockingAction::Allow),
                &bob.jid,
            ),
            BlockingInput::new(BlockedEntityType::Room, Some(BlockingAction::Deny), &room),
        ],
    );
    assert_eq!(
        blocking_list(&a),
        [(BlockedEntityType::Room, BlockingAction::Deny, room.clone())]
    );
    // In order: the last change of an entity wins.
    block(
        &a,
        vec![
            BlockingInput::new(
                BlockedEntityType::User,
                Some(BlockingAction::Deny),
                &bob.jid,
            ),
            BlockingInput::new(
                BlockedEntityType::User,
                Some(BlockingAction::Allow),
                &bob.jid,
            ),
            BlockingInput::new(BlockedEntityType::Room, Some(BlockingAction::Deny), &room),
        ],
    );
    assert_eq!(blocking_list(&a).len(), 1);
    // Another user's list is their own.
    assert!(blocking_list(&s.client(&bob)).is_empty());
}

#[test]
fn blocked_users_cannot_invite_and_blocked_rooms_cannot_add() {
    let s = server();
    let (alice, bob, carol) = (
        s.new_user("mlblkinva"),
        s.new_user("mlblkinvb"),
        s.new_user("mlblkinvc"),
    );
    let (a, b, c) = (s.client(&alice), s.client(&bob), s.client(&carol));
    let room1 = create(&a, Some("one"), None).jid.0;
    let room2 = create(&a, Some("two"), None).jid.0;
    let blocked = "The recipient does not accept invitations from this user or to this room";
    // Bob blocks Alice: she cannot add him anywhere; Carol can.
    block(
        &b,
        vec![BlockingInput::new(
            BlockedEntityType::User,
            None,
            &alice.jid,
        )],
    );
    let ext = refused(try_invite(&a, &room1, &bob), "not_allowed", blocked);
    assert_eq!(
        ext,
        json!({"code": "not_allowed", "room": room1, "recipient": bob.jid})
    );
    let room3 = create(&c, Some("three"), None).jid.0;
    invite(&c, &room3, &bob);
    // Bob allows Alice again but blocks one of her rooms.
    block(
        &b,
        vec![
            BlockingInput::new(
                BlockedEntityType::User,
                Some(BlockingAction::Allow),
                &alice.jid,
            ),
            BlockingInput::new(BlockedEntityType::Room, None, &room1),
        ],
    );
    refused(try_invite(&a, &room1, &bob), "not_allowed", blocked);
    invite(&a, &room2, &bob);
    // The other direction: Alice blocks Bob, who owns a room now.
    block(
        &a,
        vec![BlockingInput::new(BlockedEntityType::User, None, &bob.jid)],
    );
    let bobs = create(&b, Some("bob's"), None).jid.0;
    refused(try_invite(&b, &bobs, &alice), "not_allowed", blocked);
    // Blocking does not undo memberships, nor shield from removal.
    assert_eq!(users(&a, &room2).len(), 2);
    block(
        &b,
        vec![BlockingInput::new(BlockedEntityType::Room, None, &room2)],
    );
    kick(&a, &room2, Some(&bob.jid));
    assert!(!rooms(&b).contains(&room2));
}

fn try_invite(c: &Client, room: &str, who: &User) -> Response<ml::InviteUser> {
    c.run(ml::invite_user(room, &who.jid)).unwrap()
}

// ---- module options ----

#[test]
fn limits_refuse_truthfully_and_blocking_can_be_off() {
    let s = limited_server();
    let (alice, bob, carol, dave) = (
        s.new_user("mllima"),
        s.new_user("mllimb"),
        s.new_user("mllimc"),
        s.new_user("mllimd"),
    );
    let (a, b) = (s.client(&alice), s.client(&bob));
    let jid = create(&a, Some("r"), None).jid.0;
    invite(&a, &jid, &bob);
    invite(&a, &jid, &carol);
    refused(
        try_invite(&a, &jid, &dave),
        "max_occupants_reached",
        "Max occupants number reached",
    );
    // Two rooms per user: Bob may join one more, Alice create one more.
    let other = create(&a, Some("other"), None).jid.0;
    invite(&a, &other, &bob);
    refused(
        a.run(ml::create_room(MUCL, Some("third"), None, None, &[]))
            .unwrap(),
        "too_many_rooms",
        "Given user occupies the most rooms allowed",
    );
    let daves = create(&s.client(&dave), Some("dave's"), None).jid.0;
    refused(
        try_invite(&s.client(&dave), &daves, &bob),
        "too_many_rooms",
        "Given user occupies the most rooms allowed",
    );
    refused(
        b.run(ml::set_blocking_list(vec![BlockingInput::new(
            BlockedEntityType::User,
            None,
            &alice.jid,
        )]))
        .unwrap(),
        "blocking_disabled",
        "Blocking lists are disabled on this server",
    );
    assert!(blocking_list(&b).is_empty());
    // Without mod_mam_muc rooms keep no archive.
    let resp = a.run(ml::get_room_messages(&jid, None, None)).unwrap();
    assert_eq!(resp.code(), Some("deps_not_loaded"));
    assert_eq!(
        resp.errors[0].extensions["not_loaded_modules"],
        json!(["mod_mam_muc"])
    );
    say(&a, &jid, "not kept");
}

#[test]
fn equal_occupants_have_no_owner() {
    let s = server_with(|c| {
        c.muc_light.equal_occupants = true;
        c.muc_light.all_can_invite = true;
    });
    let (alice, bob) = (s.new_user("mleqa"), s.new_user("mleqb"));
    let (a, b) = (s.client(&alice), s.client(&bob));
    let room = create(&a, Some("flat"), None);
    assert_eq!(
        participants(&room),
        [(alice.jid.clone(), Affiliation::Member)]
    );
    invite(&a, &room.jid.0, &bob);
    refused(
        a.run(ml::delete_room(&room.jid.0)).unwrap(),
        "not_allowed",
        "Given user cannot delete this room",
    );
    refused(
        a.run(ml::kick_user(&room.jid.0, Some(&bob.jid))).unwrap(),
        "not_allowed",
        "Given user does not have permission to change affiliations",
    );
    kick(&a, &room.jid.0, None);
    assert_eq!(
        users(&b, &room.jid.0),
        [(bob.jid.clone(), Affiliation::Member)]
    );
}

#[test]
fn rooms_appear_in_rosters_when_configured() {
    let s = open_server();
    let (alice, bob) = (s.new_user("mlrostera"), s.new_user("mlrosterb"));
    let a = s.client(&alice);
    ok(a.run(roster::add_contact(&bob.jid, Some("Bob"), None))
        .unwrap());
    let zoo = create(&a, Some("Zoo"), Some(&common::unique("b_room")))
        .jid
        .0;
    let unnamed = ok(a
        .run(ml::create_room(
            MUCL,
            None,
            None,
            Some(&common::unique("a_room")),
            &[],
        ))
        .unwrap())
    .room()
    .cloned()
    .unwrap()
    .jid
    .0;
    let contacts = common::contacts(&a);
    let got: Vec<(String, Option<String>, Option<Vec<String>>)> = contacts
        .iter()
        .map(|c| (c.jid.0.clone(), c.name.clone(), c.groups.clone()))
        .collect();
    let group = Some(vec!["urn:xmpp:muclight:0".to_string()]);
    assert_eq!(
        got,
        [
            // Rooms first, by JID; the schema's roomname default is "" here.
            (unnamed.clone(), Some(String::new()), group.clone()),
            (zoo.clone(), Some("Zoo".to_string()), group),
            (bob.jid.clone(), Some("Bob".to_string()), Some(vec![])),
        ]
    );
    assert_eq!(contacts[0].subscription, Some(roster::ContactSub::To));
    assert_eq!(contacts[0].ask, Some(roster::ContactAsk::None));
    // They are not roster items.
    assert!(common::contact(&a, &zoo).is_none());
    // The default server does not list rooms.
    let d = server();
    let carol = d.new_user("mlrosterc");
    let c = d.client(&carol);
    create(&c, Some("x"), None);
    assert!(common::contacts(&c).is_empty());
}

#[test]
fn without_the_module_fields_answer_deps_not_loaded() {
    let s = server_without_modules();
    let alice = s.new_user("mlnomod");
    let a = s.client(&alice);
    // A room on a served host resolves, so the module check runs.
    for (query, modules) in [
        (
            "{ muc_light { getRoomConfig(room: \"r@localhost\") { jid } } }",
            json!(["mod_muc_light"]),
        ),
        ("{ muc_light { listRooms } }", json!(["mod_muc_light"])),
        (
            "{ muc_light { getBlockingList { entity } } }",
            json!(["mod_muc_light"]),
        ),
        (
            "{ muc_light { getRoomMessages(room: \"r@localhost\") { limit } } }",
            json!(["mod_muc_light", "mod_mam_muc"]),
        ),
        (
            "mutation { muc_light { setBlockingList(items: []) } }",
            json!(["mod_muc_light"]),
        ),
        (
            "mutation { muc_light { kickUser(room: \"r@localhost\") } }",
            json!(["mod_muc_light"]),
        ),
    ] {
        let (status, body) = s.post(&a, json!({ "query": query }));
        assert_eq!(status, 200, "{query}");
        assert_eq!(common::code(&body), "deps_not_loaded", "{query}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["not_loaded_modules"],
            modules
        );
    }
    // The MUC Light service is not registered: the check is skipped, the resolver answers.
    refused(
        a.run(ml::create_room(MUCL, Some("x"), None, None, &[]))
            .unwrap(),
        "muc_server_not_found",
        "MUC Light server not found",
    );
}

#[test]
fn anonymous_callers_are_refused() {
    let s = server();
    let (status, body) = s.post(
        &s.anonymous(),
        json!({"query": "{ muc_light { listRooms } }"}),
    );
    assert_eq!(status, 401);
    assert_eq!(common::code(&body), "no_permissions");
}

// ---- account removal ----

#[test]
fn removed_accounts_leave_their_rooms() {
    let s = server();
    let (alice, bob) = (s.new_user("mlrema"), s.new_user("mlremb"));
    let (a, b) = (s.client(&alice), s.client(&bob));
    let shared = create(&a, Some("shared"), None).jid.0;
    invite(&a, &shared, &bob);
    let alone = create(&a, Some("alone"), None).jid.0;
    say(&a, &alone, "soon gone");
    block(
        &a,
        vec![BlockingInput::new(BlockedEntityType::User, None, &bob.jid)],
    );
    ok(a.run(account::unregister()).unwrap());
    assert_eq!(users(&b, &shared), [(bob.jid.clone(), Affiliation::Owner)]);
    refused(
        b.run(ml::get_room_config(&alone)).unwrap(),
        "room_not_found",
        "Room not found",
    );
    // The name comes back, without the old archive.
    let node = alone.split('@').next().unwrap();
    create(&b, None, Some(node));
    assert!(messages(&b, &alone, None, None).0.is_empty());
}

// ---- concurrency ----

/// Many invitations, removals and configuration changes of one room at once, half of them
/// through a second node on the same database: every one succeeds, none is lost.
#[test]
fn concurrent_changes_of_one_room_are_serialised() {
    const ROUNDS: usize = 20;
    let (n1, n2) = common::two_nodes();
    let owner = n1.new_user("mlconco");
    let guests: Vec<User> = (0..12)
        .map(|i| n1.new_user(&format!("mlconc{i}")))
        .collect();
    let jid = create(&n1.client(&owner), Some("busy"), None).jid.0;
    let node_of = |i: usize| if i.is_multiple_of(2) { n1 } else { n2 };
    let rounds = std::sync::Barrier::new(2);
    let failures = std::sync::Mutex::new(Vec::<String>::new());
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (i, g) in guests.iter().enumerate() {
            let c = node_of(i).client(&owner);
            let jid = jid.clone();
            handles.push(scope.spawn(move || {
                let resp = c.run(ml::invite_user(&jid, &g.jid)).unwrap();
                assert!(resp.errors.is_empty(), "{:?}", resp.errors);
            }));
        }
        // The two keys change in rounds, both at once: a change that overwrote the other
        // with a stale value would show at the end of its round.
        for (i, key) in [(0, "name"), (1, "subject")] {
            let c = node_of(i).client(&owner);
            let (jid, rounds, failures) = (jid.clone(), &rounds, &failures);
            handles.push(scope.spawn(move || {
                // Failures are collected, not raised, so that neither thread leaves the other
                // waiting at a barrier.
                let fail = |f: String| failures.lock().unwrap().push(f);
                for round in 0..ROUNDS {
                    let value = format!("{key}-{round}");
                    let (name, subject) = if key == "name" {
                        (Some(value.as_str()), None)
                    } else {
                        (None, Some(value.as_str()))
                    };
                    rounds.wait();
                    let resp = c
                        .run(ml::change_room_configuration(&jid, name, subject, &[]))
                        .unwrap();
                    if !resp.errors.is_empty() {
                        fail(format!("{:?}", resp.errors));
                    }
                    rounds.wait();
                    let expected = [
                        ("roomname".to_string(), format!("name-{round}")),
                        ("subject".to_string(), format!("subject-{round}")),
                    ];
                    let got: Vec<(String, String)> = c
                        .run(ml::get_room_config(&jid))
                        .unwrap()
                        .data
                        .and_then(|d| d.room().cloned())
                        .map(|r| r.options.into_iter().map(|o| (o.key, o.value)).collect())
                        .unwrap_or_default();
                    if got != expected {
                        fail(format!("round {round}: {got:?}"));
                    }
                    rounds.wait();
                }
            }));
        }
        for h in handles {
            h.join().unwrap();
        }
    });
    assert_eq!(failures.into_inner().unwrap(), Vec::<String>::new());
    let c = n2.client(&owner);
    assert_eq!(users(&c, &jid).len(), 13, "no invitation lost");
    let room = config(&c, &jid);
    // Each key's last change survived the other key's changes.
    let last = ROUNDS - 1;
    assert_eq!(
        options(&room),
        [
            ("roomname", format!("name-{last}").as_str()),
            ("subject", format!("subject-{last}").as_str())
        ]
    );
    // Now half leave by themselves while the owner removes the other half and talks.
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (i, g) in guests.iter().enumerate() {
            let (c, target) = if i.is_multiple_of(2) {
                (node_of(i).client(g), None)
            } else {
                (node_of(i).client(&owner), Some(g.jid.clone()))
            };
            let jid = jid.clone();
            handles.push(scope.spawn(move || {
                let resp = c.run(ml::kick_user(&jid, target.as_deref())).unwrap();
                assert!(resp.errors.is_empty(), "{:?}", resp.errors);
            }));
        }
        let c = n2.client(&owner);
        let jid2 = jid.clone();
        handles.push(scope.spawn(move || {
            for i in 0..6 {
                let resp = c
                    .run(ml::send_message_to_room(&jid2, &format!("m{i}")))
                    .unwrap();
                assert!(resp.errors.is_empty(), "{:?}", resp.errors);
            }
        }));
        for h in handles {
            h.join().unwrap();
        }
    });
    assert_eq!(
        users(&c, &jid),
        [(owner.jid.clone(), Affiliation::Owner)],
        "every removal applied"
    );
    for g in &guests {
        assert!(rooms(&n1.client(g)).is_empty());
    }
    let bodies: Vec<String> = messages(&c, &jid, None, None)
        .0
        .into_iter()
        .map(|m| m.stanza.unwrap().0)
        .filter(|x| x.contains("<body>m"))
        .collect();
    assert_eq!(bodies.len(), 6);
}

/// Occupants removing their accounts while the room is busy: every request succeeds (no
/// transaction waits on another in a cycle), and the room keeps whoever stayed.
#[test]
fn accounts_removed_while_their_room_is_busy() {
    let (n1, n2) = common::two_nodes();
    let owner = n1.new_user("mlbusyo");
    let leavers: Vec<User> = (0..8).map(|i| n1.new_user(&format!("mlbusy{i}"))).collect();
    let jid = create(&n1.client(&owner), Some("busy"), None).jid.0;
    for u in &leavers {
        invite(&n1.client(&owner), &jid, u);
    }
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (i, u) in leavers.iter().enumerate() {
            let c = if i.is_multiple_of(2) { n1 } else { n2 }.client(u);
            handles.push(scope.spawn(move || {
                let resp = c.run(account::unregister()).unwrap();
                assert!(resp.errors.is_empty(), "{:?}", resp.errors);
            }));
        }
        for n in [n1, n2] {
            let c = n.client(&owner);
            let jid = jid.clone();
            handles.push(scope.spawn(move || {
                for i in 0..10 {
                    let resp = c
                        .run(ml::send_message_to_room(&jid, &format!("m{i}")))
                        .unwrap();
                    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
                }
            }));
        }
        for h in handles {
            h.join().unwrap();
        }
    });
    assert_eq!(
        users(&n1.client(&owner), &jid),
        [(owner.jid.clone(), Affiliation::Owner)]
    );
}

/// Owners removing their accounts while a member sends the room's first message (whose inbox
/// entry for the owner is new): both succeed.
#[test]
fn owners_removed_while_their_rooms_start_talking() {
    let (n1, n2) = common::two_nodes();
    let pairs: Vec<(User, User, String)> = (0..8)
        .map(|i| {
            let (o, m) = (
                n1.new_user(&format!("mlfirsto{i}")),
                n1.new_user(&format!("mlfirstm{i}")),
            );
            let jid = create(&n1.client(&o), Some("first"), None).jid.0;
            invite(&n1.client(&o), &jid, &m);
            (o, m, jid)
        })
        .collect();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (i, (o, m, jid)) in pairs.iter().enumerate() {
            let (co, cm) = (
                n1.client(o),
                if i.is_multiple_of(2) { n2 } else { n1 }.client(m),
            );
            handles.push(scope.spawn(move || {
                let resp = co.run(account::unregister()).unwrap();
                assert!(resp.errors.is_empty(), "{:?}", resp.errors);
            }));
            handles.push(scope.spawn(move || {
                let resp = cm.run(ml::send_message_to_room(jid, "first")).unwrap();
                assert!(resp.errors.is_empty(), "{:?}", resp.errors);
            }));
        }
        for h in handles {
            h.join().unwrap();
        }
    });
    for (_, m, jid) in &pairs {
        assert_eq!(
            users(&n1.client(m), jid),
            [(m.jid.clone(), Affiliation::Owner)]
        );
    }
}

/// Who may do what: every room field as the owner, a member and an outsider (each on a fresh
/// room whose owner is Alice and whose members are Bob and Carol).
#[test]
fn the_owner_member_outsider_matrix() {
    let s = server();
    let (alice, bob, carol, eve) = (
        s.new_user("mlmatrixa"),
        s.new_user("mlmatrixb"),
        s.new_user("mlmatrixc"),
        s.new_user("mlmatrixe"),
    );
    type Op<'a> = Box<dyn Fn(&Client, &str) -> Vec<mimql_client::Error> + 'a>;
    let ops: Vec<(&str, Op, [Option<&str>; 3])> = vec![
        (
            "getRoomConfig",
            Box::new(|c, r| c.run(ml::get_room_config(r)).unwrap().errors),
            [None, None, Some("not_room_member")],
        ),
        (
            "listRoomUsers",
            Box::new(|c, r| c.run(ml::list_room_users(r)).unwrap().errors),
            [None, None, Some("not_room_member")],
        ),
        (
            "getRoomMessages",
            Box::new(|c, r| c.run(ml::get_room_messages(r, None, None)).unwrap().errors),
            [None, None, Some("not_room_member")],
        ),
        (
            "sendMessageToRoom",
            Box::new(|c, r| c.run(ml::send_message_to_room(r, "hi")).unwrap().errors),
            [None, None, Some("not_room_member")],
        ),
        (
            "changeRoomConfiguration (subject)",
            Box::new(|c, r| {
                c.run(ml::change_room_configuration(r, None, Some("s"), &[]))
                    .unwrap()
                    .errors
            }),
            [None, None, Some("not_room_member")],
        ),
        (
            "changeRoomConfiguration (name)",
            Box::new(|c, r| {
                c.run(ml::change_room_configuration(r, Some("n"), None, &[]))
                    .unwrap()
                    .errors
            }),
            [None, Some("not_allowed"), Some("not_room_member")],
        ),
        (
            "inviteUser",
            Box::new(|c, r| c.run(ml::invite_user(r, &eve.jid)).unwrap().errors),
            [None, Some("not_allowed"), Some("not_room_member")],
        ),
        (
            "kickUser (another member)",
            Box::new(|c, r| c.run(ml::kick_user(r, Some(&carol.jid))).unwrap().errors),
            [None, Some("not_allowed"), Some("not_room_member")],
        ),
        (
            "kickUser (oneself)",
            Box::new(|c, r| c.run(ml::kick_user(r, None)).unwrap().errors),
            [None, None, Some("not_room_member")],
        ),
        (
            "deleteRoom",
            Box::new(|c, r| c.run(ml::delete_room(r)).unwrap().errors),
            [None, Some("not_allowed"), Some("not_room_member")],
        ),
    ];
    let a = s.client(&alice);
    for (name, op, expected) in &ops {
        for (who, want) in [&alice, &bob, &eve].into_iter().zip(expected) {
            let room = create(&a, Some("matrix"), None).jid.0;
            invite(&a, &room, &bob);
            invite(&a, &room, &carol);
            let errors = op(&s.client(who), &room);
            let got = errors.first().and_then(|e| e.code.as_deref());
            assert_eq!(got, *want, "{name} as {}: {errors:?}", who.jid);
        }
    }
}

/// Every room field: a domain that is not a MUC Light service, then a room that does not
/// exist; with the reference's context in `extensions`.
#[test]
fn every_room_field_reports_unknown_services_and_rooms() {
    let s = server();
    let alice = s.new_user("mlunknown");
    let c = s.client(&alice);
    for room in ["r@muclight.unknown.org", "nosuchroom@muclight.localhost"] {
        let (code, message) = if room.ends_with("unknown.org") {
            ("muc_server_not_found", "MUC Light server not found")
        } else {
            ("room_not_found", "Room not found")
        };
        let room_ext = json!({"code": code, "room": room});
        let cases: Vec<(&str, Vec<mimql_client::Error>, Json)> = vec![
            (
                "getRoomConfig",
                c.run(ml::get_room_config(room)).unwrap().errors,
                room_ext.clone(),
            ),
            (
                "listRoomUsers",
                c.run(ml::list_room_users(room)).unwrap().errors,
                room_ext.clone(),
            ),
            (
                "getRoomMessages",
                c.run(ml::get_room_messages(room, None, None))
                    .unwrap()
                    .errors,
                room_ext.clone(),
            ),
            (
                "sendMessageToRoom",
                c.run(ml::send_message_to_room(room, "x")).unwrap().errors,
                room_ext.clone(),
            ),
            (
                "changeRoomConfiguration",
                c.run(ml::change_room_configuration(room, Some("x"), None, &[]))
                    .unwrap()
                    .errors,
                room_ext.clone(),
            ),
            (
                "inviteUser",
                c.run(ml::invite_user(room, &alice.jid)).unwrap().errors,
                json!({"code": code, "room": room, "recipient": alice.jid}),
            ),
            (
                "kickUser",
                c.run(ml::kick_user(room, None)).unwrap().errors,
                json!({"code": code, "user": alice.jid}),
            ),
            (
                "deleteRoom",
                c.run(ml::delete_room(room)).unwrap().errors,
                room_ext.clone(),
            ),
        ];
        for (field, errors, ext) in cases {
            assert_eq!(errors.len(), 1, "{field} {room}: {errors:?}");
            assert_eq!(errors[0].message, message, "{field} {room}");
            assert_eq!(errors[0].extensions, ext, "{field} {room}");
            assert_eq!(
                errors[0].path,
                [json!("muc_light"), json!(field)],
                "{field} {room}"
            );
        }
    }
}
