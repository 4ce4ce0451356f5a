//! Classic MUC (spec: semantics-rooms-roster-vcard §3, rulings 4, 5 and 9): rooms, their
//! configuration, occupants, roles, affiliations, messages and archive, invitations, listing,
//! the permission matrix, persistence across a restart, account removal and concurrent changes
//! of one room.

mod common;

use std::time::Duration;

use common::{TestServer, User, ok, refused, server, unique};
use mimql_client::scalars::{NonNegInt, PosInt};
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::muc::{
    self, MucAffiliation as Aff, MucRole as Role, MucRoomConfig, MucRoomConfigInput, MucRoomDesc,
};
use mimql_client::user::{account, stanza};
use mimql_client::{Client, Response};
use serde_json::json;

const MUC: &str = "muc.localhost";
const WAIT: Duration = Duration::from_secs(10);

fn new_room() -> String {
    format!("{}@{MUC}", unique("room"))
}

fn create(c: &Client, room: &str, nick: &str) -> MucRoomDesc {
    ok(c.run(muc::create_instant_room(room, nick)).unwrap())
        .value()
        .cloned()
        .expect("a room")
}

fn enter(c: &Client, room: &str, nick: &str, resource: &str, password: Option<&str>) {
    let resp = ok(c
        .run(muc::enter_room(room, nick, resource, password))
        .unwrap());
    assert_eq!(
        resp.value().map(String::as_str),
        Some("Entering room message sent successfully")
    );
}

fn exit(c: &Client, room: &str, nick: &str, resource: &str) {
    let resp = ok(c.run(muc::exit_room(room, nick, resource)).unwrap());
    assert_eq!(
        resp.value().map(String::as_str),
        Some("Exiting room message sent successfully")
    );
}

fn users(c: &Client, room: &str) -> Vec<(Option<String>, String, Role)> {
    ok(c.run(muc::list_room_users(room)).unwrap())
        .value()
        .cloned()
        .expect("users")
        .into_iter()
        .map(|u| (u.jid.map(|j| j.0), u.nick, u.role))
        .collect()
}

fn affiliations(c: &Client, room: &str, filter: Option<Aff>) -> Vec<(String, Aff)> {
    let mut v: Vec<(String, Aff)> = ok(c.run(muc::list_room_affiliations(room, filter)).unwrap())
        .value()
        .cloned()
        .expect("affiliations")
        .into_iter()
        .map(|a| (a.jid.0, a.affiliation))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn configure(c: &Client, room: &str, change: MucRoomConfigInput) -> MucRoomConfig {
    ok(c.run(muc::change_room_configuration(room, change)).unwrap())
        .value()
        .cloned()
        .expect("a configuration")
}

fn config(c: &Client, room: &str) -> MucRoomConfig {
    ok(c.run(muc::get_room_config(room)).unwrap())
        .value()
        .cloned()
        .expect("a configuration")
}

fn set_aff(c: &Client, room: &str, who: &str, aff: Aff) {
    let resp = ok(c.run(muc::set_user_affiliation(room, who, aff)).unwrap());
    assert_eq!(
        resp.value().map(String::as_str),
        Some("Affiliation set successfully")
    );
}

fn set_role(c: &Client, room: &str, nick: &str, role: Role) {
    let resp = ok(c.run(muc::set_user_role(room, nick, role)).unwrap());
    assert_eq!(
        resp.value().map(String::as_str),
        Some("Role set successfully")
    );
}

fn say(c: &Client, room: &str, body: &str, resource: Option<&str>) {
    let resp = ok(c
        .run(muc::send_message_to_room(room, body, resource))
        .unwrap());
    assert_eq!(
        resp.value().map(String::as_str),
        Some("Message sent successfully")
    );
}

fn messages(
    c: &Client,
    room: &str,
    size: Option<i64>,
    before: Option<&str>,
) -> (Vec<stanza::StanzaMap>, i32) {
    let p = ok(c.run(muc::get_room_messages(room, size, before)).unwrap())
        .value()
        .cloned()
        .expect("a payload");
    (
        p.stanzas.unwrap().into_iter().map(Option::unwrap).collect(),
        p.limit.unwrap(),
    )
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

fn stanza_of(m: &stanza::StanzaMap) -> String {
    m.stanza.clone().unwrap().0
}

/// The configuration of a new instant room (spec §3.2, `user_get_room_config_story`).
fn defaults() -> MucRoomConfig {
    MucRoomConfig {
        title: String::new(),
        description: String::new(),
        allow_change_subject: true,
        allow_query_users: true,
        allow_private_messages: true,
        allow_visitor_status: true,
        allow_visitor_nickchange: true,
        public: true,
        public_list: true,
        persistent: false,
        moderated: true,
        members_by_default: true,
        members_only: false,
        allow_user_invites: false,
        allow_multiple_session: false,
        password_protected: false,
        password: String::new(),
        anonymous: true,
        may_get_member_list: Vec::new(),
        max_users: Some(PosInt(200)),
        logging: false,
    }
}

#[test]
fn create_read_and_delete_a_room() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let (a, b) = (s.client(&alice), s.client(&bob));
    // Unprepped names resolve to the normalised room.
    let name = unique("Room");
    let room = format!("{}@{MUC}", name.to_lowercase());
    let desc = create(&a, &format!("{name}@MUC.LocalHost"), "Al");
    // The room as it is (ruling 5): the reference answered usersNumber 0.
    assert_eq!(
        desc,
        MucRoomDesc {
            jid: room.as_str().into(),
            title: name.to_lowercase(),
            private: Some(false),
            users_number: Some(NonNegInt(1)),
        }
    );
    assert_eq!(config(&a, &room), defaults());
    // The creator is in the room by its bare JID, a moderator: it sees real JIDs.
    assert_eq!(
        users(&a, &room),
        [(Some(alice.jid.clone()), "Al".to_string(), Role::Moderator)]
    );
    assert_eq!(
        users(&b, &room),
        [(None, "Al".to_string(), Role::Moderator)]
    );
    assert_eq!(
        affiliations(&b, &room, None),
        [(alice.jid.clone(), Aff::Owner)]
    );
    // Creating it again enters it as another occupant, or changes nothing.
    let again = create(&b, &room, "Bob");
    assert_eq!(again.users_number, Some(NonNegInt(2)));
    assert_eq!(create(&a, &room, "Al").users_number, Some(NonNegInt(2)));
    refused(
        b.run(muc::create_instant_room(&room, "Al")).unwrap(),
        "could_not_create_room",
        "The room already exists and cannot be entered: \
         That nickname is already in use by another occupant",
    );
    // Only the owner deletes.
    let ext = refused(
        b.run(muc::delete_room(&room, None)).unwrap(),
        "not_allowed",
        "Given user does not have permission to delete this room",
    );
    assert_eq!(ext["room"], json!(room));
    let resp = ok(a.run(muc::delete_room(&room, Some("bye"))).unwrap());
    assert_eq!(
        resp.value().map(String::as_str),
        Some("Room deleted successfully")
    );
    refused(
        a.run(muc::delete_room(&room, None)).unwrap(),
        "room_not_found",
        "Cannot remove non-existent room",
    );
    refused(
        a.run(muc::get_room_config(&room)).unwrap(),
        "room_not_found",
        "Room not found",
    );
}

/// Unknown rooms, domains that are not MUC services, and callers who are not in the room:
/// each field's own error (`extensions.room` on every one).
#[test]
fn unknown_rooms_services_and_non_occupants() {
    let s = server();
    let alice = s.new_user("alice");
    let a = s.client(&alice);
    let _sse = open_sse(&a);
    let missing = new_room();
    let not_found = |resp: Response<_>| {
        let ext = refused(resp, "room_not_found", "Room not found");
        assert_eq!(ext["room"], json!(missing));
    };
    not_found(a.run(muc::get_room_config(&missing)).unwrap().map_any());
    not_found(a.run(muc::list_room_users(&missing)).unwrap().map_any());
    not_found(
        a.run(muc::list_room_affiliations(&missing, None))
            .unwrap()
            .map_any(),
    );
    not_found(
        a.run(muc::get_room_messages(&missing, None, None))
            .unwrap()
            .map_any(),
    );
    not_found(
        a.run(muc::invite_user(&missing, "x@localhost", None))
            .unwrap()
            .map_any(),
    );
    not_found(
        a.run(muc::kick_user(&missing, "n", None))
            .unwrap()
            .map_any(),
    );
    not_found(
        a.run(muc::set_user_role(&missing, "n", Role::Visitor))
            .unwrap()
            .map_any(),
    );
    not_found(
        a.run(muc::set_user_affiliation(
            &missing,
            "x@localhost",
            Aff::Member,
        ))
        .unwrap()
        .map_any(),
    );
    not_found(
        a.run(muc::change_room_configuration(
            &missing,
            MucRoomConfigInput::default(),
        ))
        .unwrap()
        .map_any(),
    );
    not_found(a.run(muc::exit_room(&missing, "n", "r")).unwrap().map_any());
    not_found(
        a.run(muc::send_message_to_room(&missing, "hi", None))
            .unwrap()
            .map_any(),
    );
    not_found(
        a.run(muc::send_private_message(&missing, "n", "hi", None))
            .unwrap()
            .map_any(),
    );

    // A domain that is not a MUC service: `room_not_found` where the reference finds no
    // room, `muc_server_not_found` where it checks the service.
    let elsewhere = format!("{}@localhost", unique("room"));
    refused(
        a.run(muc::create_instant_room(
            &format!("{}@nowhere.test", unique("r")),
            "n",
        ))
        .unwrap(),
        "room_not_found",
        "Room not found",
    );
    refused(
        a.run(muc::get_room_config(&elsewhere)).unwrap(),
        "room_not_found",
        "Room not found",
    );
    let server_not_found = |resp: Response<_>| {
        let ext = refused(resp, "muc_server_not_found", "MUC server not found");
        assert_eq!(ext["room"], json!(elsewhere));
    };
    server_not_found(
        a.run(muc::get_room_messages(&elsewhere, None, None))
            .unwrap()
            .map_any(),
    );
    server_not_found(
        a.run(muc::enter_room(&elsewhere, "n", "r", None))
            .unwrap()
            .map_any(),
    );
    server_not_found(
        a.run(muc::exit_room(&elsewhere, "n", "r"))
            .unwrap()
            .map_any(),
    );
    server_not_found(
        a.run(muc::send_message_to_room(&elsewhere, "hi", None))
            .unwrap()
            .map_any(),
    );
    server_not_found(
        a.run(muc::send_private_message(&elsewhere, "n", "hi", None))
            .unwrap()
            .map_any(),
    );
    for domain in ["localhost", "nowhere.test"] {
        let ext = refused(
            a.run(muc::list_rooms(domain, None, None)).unwrap(),
            "muc_server_not_found",
            "MUC server not found",
        );
        assert_eq!(ext["mucDomain"], json!(domain));
    }
    // A MUC Light service lists no classic rooms.
    let p = ok(a
        .run(muc::list_rooms("muclight.localhost", None, None))
        .unwrap())
    .value()
    .cloned()
    .unwrap();
    assert_eq!((p.rooms, p.count.map(|c| c.0)), (Some(vec![]), Some(0)));

    // Not in the room: messages, private messages and leaving are refused (the reference
    // answered success and the room dropped them; ruling 4).
    let room = new_room();
    let bob = s.new_user("bob");
    let b = s.client(&bob);
    let _bob_sse = open_sse(&b);
    create(&b, &room, "Bob");
    refused(
        a.run(muc::send_message_to_room(&room, "hi", None)).unwrap(),
        "not_occupant",
        "Given user does not occupy this room",
    );
    refused(
        b.run(muc::send_message_to_room(&room, "hi", Some("elsewhere")))
            .unwrap(),
        "not_occupant",
        "Given user does not occupy this room",
    );
    refused(
        a.run(muc::send_private_message(&room, "Bob", "hi", None))
            .unwrap(),
        "not_occupant",
        "Given user does not occupy this room",
    );
    refused(
        a.run(muc::exit_room(&room, "Bob", "r")).unwrap(),
        "not_occupant",
        "Given resource does not occupy this room under this nick",
    );
    // Without a session and without a resource there is no sender (`no_session`).
    let carol = s.new_user("carol");
    refused(
        s.client(&carol)
            .run(muc::send_message_to_room(&room, "hi", None))
            .unwrap(),
        "no_session",
        "Given user does not have any session",
    );
}

/// Responses of different fields, for helpers that only look at errors.
trait MapAny {
    fn map_any(self) -> Response<()>;
}

impl<T> MapAny for Response<T> {
    fn map_any(self) -> Response<()> {
        Response {
            status: self.status,
            data: self.data.map(drop),
            errors: self.errors,
        }
    }
}

#[test]
fn configuration_changes_only_the_fields_given() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let (a, b) = (s.client(&alice), s.client(&bob));
    let room = new_room();
    create(&a, &room, "Al");
    let changed = configure(
        &a,
        &room,
        MucRoomConfigInput {
            title: Some("Birds of a feather".into()),
            description: Some("About birds".into()),
            public: Some(false),
            max_users: Some(PosInt(30)),
            may_get_member_list: Some(vec!["moderator".into()]),
            ..Default::default()
        },
    );
    let mut want = defaults();
    want.title = "Birds of a feather".into();
    want.description = "About birds".into();
    want.public = false;
    want.max_users = Some(PosInt(30));
    want.may_get_member_list = vec!["moderator".into()];
    assert_eq!(changed, want);
    assert_eq!(config(&a, &room), want);
    // An empty change changes nothing.
    assert_eq!(configure(&a, &room, MucRoomConfigInput::default()), want);
    // Owners only: admins and everyone else are refused.
    set_aff(&a, &room, &bob.jid, Aff::Admin);
    refused(
        b.run(muc::get_room_config(&room)).unwrap(),
        "not_allowed",
        "Given user does not have permission to read config",
    );
    refused(
        b.run(muc::change_room_configuration(
            &room,
            MucRoomConfigInput {
                title: Some("Mine".into()),
                ..Default::default()
            },
        ))
        .unwrap(),
        "not_allowed",
        "Given user does not have permission to change the config",
    );
    assert_eq!(config(&a, &room).title, "Birds of a feather");
    // A character XML cannot carry is refused, nothing stored.
    let resp = a
        .run(muc::change_room_configuration(
            &room,
            MucRoomConfigInput {
                title: Some("a\u{0}b".into()),
                ..Default::default()
            },
        ))
        .unwrap();
    assert_eq!(resp.errors[0].code.as_deref(), Some("invalid_character"));
    assert_eq!(config(&a, &room).title, "Birds of a feather");
}

#[test]
fn entering_and_exiting() {
    let s = server();
    let [alice, bob, carol, dave] = ["alice", "bob", "carol", "dave"].map(|n| s.new_user(n));
    let [a, b, c, d] = [&alice, &bob, &carol, &dave].map(|u| s.client(u));
    let room = new_room();
    create(&a, &room, "Al");
    // Resources are resourceprepped (`res₁` → `res1`).
    enter(&b, &room, "Bob", "res\u{2081}", None);
    assert_eq!(
        users(&a, &room),
        [
            (Some(alice.jid.clone()), "Al".to_string(), Role::Moderator),
            (
                Some(format!("{}/res1", bob.jid)),
                "Bob".to_string(),
                Role::Participant
            )
        ]
    );
    // Anonymous room: participants do not see real JIDs; a non-anonymous room shows them.
    assert!(users(&b, &room).iter().all(|u| u.0.is_none()));
    configure(
        &a,
        &room,
        MucRoomConfigInput {
            anonymous: Some(false),
            ..Default::default()
        },
    );
    assert!(users(&b, &room).iter().all(|u| u.0.is_some()));
    // Entering again under another nick changes the nick.
    enter(&b, &room, "Robert", "res1", None);
    assert_eq!(users(&a, &room)[1].1, "Robert");
    refused(
        c.run(muc::enter_room(&room, "Robert", "r", None)).unwrap(),
        "nick_conflict",
        "That nickname is already in use by another occupant",
    );
    // Password-protected.
    configure(
        &a,
        &room,
        MucRoomConfigInput {
            password_protected: Some(true),
            password: Some("secret".into()),
            ..Default::default()
        },
    );
    refused(
        c.run(muc::enter_room(&room, "Carol", "r", None)).unwrap(),
        "password_required",
        "A password is required to enter this room",
    );
    refused(
        c.run(muc::enter_room(&room, "Carol", "r", Some("guess")))
            .unwrap(),
        "wrong_password",
        "Incorrect password",
    );
    enter(&c, &room, "Carol", "r", Some("secret"));
    // Room size: owners and admins still enter a full room.
    configure(
        &a,
        &room,
        MucRoomConfigInput {
            password_protected: Some(false),
            max_users: Some(PosInt(3)),
            ..Default::default()
        },
    );
    refused(
        d.run(muc::enter_room(&room, "Dave", "r", None)).unwrap(),
        "max_users_reached",
        "Too many users in this room",
    );
    enter(&a, &room, "Al2", "phone", None);
    // Members only: the occupants without membership leave, others are refused.
    configure(
        &a,
        &room,
        MucRoomConfigInput {
            max_users: Some(PosInt(200)),
            members_only: Some(true),
            ..Default::default()
        },
    );
    let nicks: Vec<String> = users(&a, &room).into_iter().map(|u| u.1).collect();
    assert_eq!(nicks, ["Al", "Al2"]);
    refused(
        d.run(muc::enter_room(&room, "Dave", "r", None)).unwrap(),
        "members_only",
        "Membership is required to enter this room",
    );
    set_aff(&a, &room, &dave.jid, Aff::Member);
    enter(&d, &room, "Dave", "r", None);
    // Outcasts cannot enter.
    set_aff(&a, &room, &bob.jid, Aff::Outcast);
    refused(
        b.run(muc::enter_room(&room, "Bob", "res1", None)).unwrap(),
        "banned",
        "Given user is banned from this room",
    );
    // Leaving.
    exit(&d, &room, "Dave", "r");
    refused(
        d.run(muc::exit_room(&room, "Dave", "r")).unwrap(),
        "not_occupant",
        "Given resource does not occupy this room under this nick",
    );
    // The last occupant leaving ends a room that is not persistent; the creator leaves from
    // any resource.
    exit(&a, &room, "Al2", "phone");
    exit(&a, &room, "Al", "any");
    refused(
        a.run(muc::get_room_config(&room)).unwrap(),
        "room_not_found",
        "Room not found",
    );
    // A persistent room stays; entering a room that does not exist creates it.
    let other = new_room();
    enter(&a, &other, "Al", "r", None);
    assert_eq!(
        affiliations(&a, &other, None),
        [(alice.jid.clone(), Aff::Owner)]
    );
    configure(
        &a,
        &other,
        MucRoomConfigInput {
            persistent: Some(true),
            ..Default::default()
        },
    );
    exit(&a, &other, "Al", "r");
    assert_eq!(users(&a, &other), []);
    assert!(config(&a, &other).persistent);
}

#[test]
fn roles_and_kicks() {
    let s = server();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| s.new_user(n));
    let [a, b, c] = [&alice, &bob, &carol].map(|u| s.client(u));
    let room = new_room();
    create(&a, &room, "Al");
    enter(&b, &room, "Bob", "r", None);
    enter(&c, &room, "Carol", "r", None);
    // Without a moderator occupant there is no kick.
    refused(
        b.run(muc::kick_user(&room, "Carol", None)).unwrap(),
        "moderator_not_found",
        "Resource with moderator role not found",
    );
    refused(
        a.run(muc::kick_user(&room, "Nobody", None)).unwrap(),
        "cannot_modify",
        "Nickname Nobody does not exist in the room",
    );
    let resp = ok(a.run(muc::kick_user(&room, "Carol", Some("spam"))).unwrap());
    assert_eq!(
        resp.value().map(String::as_str),
        Some("Kick message sent successfully")
    );
    let nicks: Vec<String> = users(&a, &room).into_iter().map(|u| u.1).collect();
    assert_eq!(nicks, ["Al", "Bob"]);
    // Visitors of a moderated room do not speak.
    set_role(&a, &room, "Bob", Role::Visitor);
    assert_eq!(users(&a, &room)[1].2, Role::Visitor);
    refused(
        b.run(muc::send_message_to_room(&room, "hi", Some("r")))
            .unwrap(),
        "not_allowed",
        "Visitors are not allowed to send messages to all occupants",
    );
    // A no-op is allowed to anyone who names an occupant (`user_participant_set_user_role`).
    set_role(&b, &room, "Bob", Role::Visitor);
    refused(
        b.run(muc::set_user_role(&room, "Bob", Role::Participant))
            .unwrap(),
        "not_allowed",
        "Given user does not have permission to set the participant role",
    );
    // A moderator without affiliation can neither kick nor demote the owner.
    set_role(&a, &room, "Bob", Role::Moderator);
    refused(
        b.run(muc::kick_user(&room, "Al", None)).unwrap(),
        "not_allowed",
        "Given user does not have permission to kick this occupant",
    );
    refused(
        b.run(muc::set_user_role(&room, "Al", Role::Participant))
            .unwrap(),
        "not_allowed",
        "Given user does not have permission to set the participant role",
    );
    refused(
        a.run(muc::set_user_role(&room, "Nobody", Role::Visitor))
            .unwrap(),
        "cannot_modify",
        "Nickname Nobody does not exist in the room",
    );
    // Owners and admins keep moderator.
    refused(
        a.run(muc::set_user_role(&room, "Al", Role::Visitor))
            .unwrap(),
        "not_allowed",
        "Given user does not have permission to set the visitor role",
    );
}

#[test]
fn affiliations_and_their_rules() {
    let s = server();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| s.new_user(n));
    let [a, b, c] = [&alice, &bob, &carol].map(|u| s.client(u));
    let room = new_room();
    create(&a, &room, "Al");
    enter(&b, &room, "Bob", "r", None);
    // Owners change anything: member → admin → owner → none → outcast
    // (`user_owner_set_user_affiliation`). Roles follow.
    set_aff(&a, &room, &bob.jid, Aff::Member);
    assert_eq!(
        affiliations(&a, &room, Some(Aff::Member)),
        [(bob.jid.clone(), Aff::Member)]
    );
    set_aff(&a, &room, &bob.jid, Aff::Admin);
    assert_eq!(users(&a, &room)[1].2, Role::Moderator);
    set_aff(&a, &room, &bob.jid, Aff::Owner);
    let mut owners = vec![
        (alice.jid.clone(), Aff::Owner),
        (bob.jid.clone(), Aff::Owner),
    ];
    owners.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(affiliations(&a, &room, Some(Aff::Owner)), owners);
    set_aff(&a, &room, &bob.jid, Aff::None);
    assert_eq!(users(&a, &room)[1].2, Role::Participant);
    assert_eq!(affiliations(&a, &room, Some(Aff::None)), []);
    // Admins: none/member/outcast among themselves, never owners
    // (`user_admin_set_user_affiliation`); the reference's "role" wording is corrected
    // (ruling 5).
    set_aff(&a, &room, &bob.jid, Aff::Admin);
    set_aff(&b, &room, &carol.jid, Aff::Member);
    set_aff(&b, &room, &carol.jid, Aff::Outcast);
    set_aff(&b, &room, &carol.jid, Aff::None);
    refused(
        b.run(muc::set_user_affiliation(&room, &carol.jid, Aff::Admin))
            .unwrap(),
        "not_allowed",
        "Given user does not have permission to set the admin affiliation",
    );
    refused(
        b.run(muc::set_user_affiliation(&room, &alice.jid, Aff::Outcast))
            .unwrap(),
        "not_allowed",
        "Given user does not have permission to set the outcast affiliation",
    );
    // Members and others change nothing (`user_member_set_user_affiliation`); the same value
    // is a no-op.
    set_aff(&a, &room, &carol.jid, Aff::Member);
    refused(
        c.run(muc::set_user_affiliation(&room, &bob.jid, Aff::None))
            .unwrap(),
        "not_allowed",
        "Given user does not have permission to set the none affiliation",
    );
    set_aff(&c, &room, &bob.jid, Aff::Admin);
    // The last owner keeps ownership.
    refused(
        a.run(muc::set_user_affiliation(&room, &alice.jid, Aff::Admin))
            .unwrap(),
        "not_allowed",
        "The room's last owner cannot give up ownership",
    );
    // Banning removes the user's occupants; an outcast no longer reads the room.
    set_aff(&a, &room, &bob.jid, Aff::Outcast);
    assert_eq!(users(&a, &room).len(), 1);
    refused(
        b.run(muc::list_room_affiliations(&room, None)).unwrap(),
        "not_allowed",
        "Given user does not have permission to read this room",
    );
    let mut all = vec![
        (alice.jid.clone(), Aff::Owner),
        (bob.jid.clone(), Aff::Outcast),
        (carol.jid.clone(), Aff::Member),
    ];
    all.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(affiliations(&a, &room, None), all);
}

/// One field of the permission matrix, called by `c` on room `r` with `v` the victim's JID
/// (the occupant `victim`).
fn matrix_call(field: &str, c: &Client, r: &str, v: &str) -> Response<()> {
    match field {
        "getRoomConfig" => c.run(muc::get_room_config(r)).unwrap().map_any(),
        "changeRoomConfiguration" => {
            let change = MucRoomConfigInput {
                description: Some("d".into()),
                ..Default::default()
            };
            c.run(muc::change_room_configuration(r, change))
                .unwrap()
                .map_any()
        }
        "listRoomUsers" => c.run(muc::list_room_users(r)).unwrap().map_any(),
        "listRoomAffiliations" => c
            .run(muc::list_room_affiliations(r, None))
            .unwrap()
            .map_any(),
        "getRoomMessages" => c
            .run(muc::get_room_messages(r, None, None))
            .unwrap()
            .map_any(),
        "inviteUser" => c.run(muc::invite_user(r, v, None)).unwrap().map_any(),
        "setUserRole" => c
            .run(muc::set_user_role(r, "victim", Role::Visitor))
            .unwrap()
            .map_any(),
        "kickUser" => c.run(muc::kick_user(r, "victim", None)).unwrap().map_any(),
        "setUserAffiliation" => c
            .run(muc::set_user_affiliation(r, v, Aff::Member))
            .unwrap()
            .map_any(),
        "deleteRoom" => c.run(muc::delete_room(r, None)).unwrap().map_any(),
        other => panic!("{other}"),
    }
}

/// Who may do what, end to end: owner, admin, member, occupant without affiliation, outcast
/// and a user who is not in the room, each in a room of its own.
#[test]
fn permission_matrix() {
    let s = server();
    let kinds = ["owner", "admin", "member", "none", "outcast", "outsider"];
    let readers: &[&str] = &["owner", "admin", "member", "none", "outsider"];
    let moderators: &[&str] = &["owner", "admin"];
    let read_refusal = (
        "not_allowed",
        "Given user does not have permission to read this room",
    );
    // Per field (in the order called): the kinds allowed, the refusal of the others.
    let fields: [(&str, &[&str], (&str, &str)); 10] = [
        (
            "getRoomConfig",
            &["owner"],
            (
                "not_allowed",
                "Given user does not have permission to read config",
            ),
        ),
        (
            "changeRoomConfiguration",
            &["owner"],
            (
                "not_allowed",
                "Given user does not have permission to change the config",
            ),
        ),
        ("listRoomUsers", readers, read_refusal),
        ("listRoomAffiliations", readers, read_refusal),
        ("getRoomMessages", readers, read_refusal),
        ("inviteUser", readers, read_refusal),
        (
            "setUserRole",
            moderators,
            (
                "not_allowed",
                "Given user does not have permission to set the visitor role",
            ),
        ),
        (
            "kickUser",
            moderators,
            (
                "moderator_not_found",
                "Resource with moderator role not found",
            ),
        ),
        (
            "setUserAffiliation",
            moderators,
            (
                "not_allowed",
                "Given user does not have permission to set the member affiliation",
            ),
        ),
        (
            "deleteRoom",
            &["owner"],
            (
                "not_allowed",
                "Given user does not have permission to delete this room",
            ),
        ),
    ];
    let users: Vec<User> = kinds.iter().map(|k| s.new_user(k)).collect();
    let user = |k: &str| &users[kinds.iter().position(|x| *x == k).unwrap()];
    for kind in kinds {
        let victim = s.new_user("victim");
        let room = new_room();
        let owner = s.client(user("owner"));
        create(&owner, &room, "owner");
        set_aff(&owner, &room, &user("admin").jid, Aff::Admin);
        set_aff(&owner, &room, &user("member").jid, Aff::Member);
        set_aff(&owner, &room, &user("outcast").jid, Aff::Outcast);
        for k in ["admin", "member", "none"] {
            enter(&s.client(user(k)), &room, k, "r", None);
        }
        enter(&s.client(&victim), &room, "victim", "r", None);
        let caller = s.client(user(kind));
        for (field, allowed, (code, message)) in &fields {
            let resp = matrix_call(field, &caller, &room, &victim.jid);
            if allowed.contains(&kind) {
                assert!(
                    resp.errors.is_empty(),
                    "{field} by {kind}: {:?}",
                    resp.errors
                );
            } else {
                assert_eq!(resp.errors.len(), 1, "{field} by {kind}");
                assert_eq!(
                    resp.errors[0].code.as_deref(),
                    Some(*code),
                    "{field} by {kind}"
                );
                assert_eq!(resp.errors[0].message, *message, "{field} by {kind}");
            }
        }
    }
}

#[test]
fn messages_are_delivered_live_and_archived() {
    let s = server();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| s.new_user(n));
    let [a, b, c] = [&alice, &bob, &carol].map(|u| s.client(u));
    let room = new_room();
    create(&a, &room, "Al");
    enter(&b, &room, "Bob", "res1", None);
    let mut a_sse = open_sse(&a);
    let mut b_sse = open_sse(&b);
    say(&a, &room, "Hello & welcome", None);
    let (archived, limit) = messages(&a, &room, None, None);
    assert_eq!(limit, 50);
    assert_eq!(archived.len(), 1);
    let first = &archived[0];
    assert_eq!(first.sender.as_ref().unwrap().0, format!("{room}/Al"));
    let mam_id = first.stanza_id.clone().unwrap();
    for (sub, to) in [
        (&mut a_sse, alice.jid.clone()),
        (&mut b_sse, format!("{}/res1", bob.jid)),
    ] {
        let m = next_message(sub);
        assert_eq!(m.sender.as_ref().unwrap().0, format!("{room}/Al"));
        let xml = stanza_of(&m);
        assert!(xml.starts_with(&format!("<message to='{to}' ")), "{xml}");
        assert!(
            xml.contains("type='groupchat'") && xml.contains("<body>Hello &amp; welcome</body>"),
            "{xml}"
        );
        assert!(
            xml.contains(&format!("<stanza-id by='{room}' id='{mam_id}'")),
            "{xml}"
        );
    }
    // A character XML cannot carry: refused, nothing archived or sent.
    refused(
        a.run(muc::send_message_to_room(&room, "a\u{0}b", None))
            .unwrap(),
        "invalid_character",
        "The body contains U+0000, a character XML cannot carry",
    );
    // From a given resource.
    say(&b, &room, "Hi", Some("res1"));
    assert_eq!(
        next_message(&mut a_sse).sender.unwrap().0,
        format!("{room}/Bob")
    );
    assert_eq!(
        next_message(&mut b_sse).sender.unwrap().0,
        format!("{room}/Bob")
    );
    // Private messages go to one occupant, from the sender's nick.
    let resp = ok(b
        .run(muc::send_private_message(&room, "Al", "psst", Some("res1")))
        .unwrap());
    assert_eq!(
        resp.value().map(String::as_str),
        Some("Message sent successfully")
    );
    let pm = next_message(&mut a_sse);
    assert_eq!(pm.sender.unwrap().0, format!("{room}/Bob"));
    let xml = pm.stanza.unwrap().0;
    assert!(
        xml.contains("type='chat'") && xml.contains("http://jabber.org/protocol/muc#user"),
        "{xml}"
    );
    refused(
        b.run(muc::send_private_message(&room, "Nobody", "psst", None))
            .unwrap(),
        "nick_not_found",
        "Nickname Nobody does not exist in the room",
    );
    configure(
        &a,
        &room,
        MucRoomConfigInput {
            allow_private_messages: Some(false),
            ..Default::default()
        },
    );
    refused(
        b.run(muc::send_private_message(&room, "Al", "psst", None))
            .unwrap(),
        "not_allowed",
        "Private messages are not allowed in this room",
    );
    // Invitations are direct (XEP-0249), with the default reason.
    let mut c_sse = open_sse(&c);
    let resp = ok(a.run(muc::invite_user(&room, &carol.jid, None)).unwrap());
    assert_eq!(
        resp.value().map(String::as_str),
        Some("Invitation sent successfully")
    );
    let inv = stanza_of(&next_message(&mut c_sse));
    assert!(inv.contains("xmlns='jabber:x:conference'"), "{inv}");
    assert!(inv.contains(&format!("jid='{room}'")), "{inv}");
    assert!(
        inv.contains("reason='User invited through the user GraphQL API'"),
        "{inv}"
    );
    // Paging: pageSize and before.
    let (two, _) = messages(&c, &room, None, None);
    assert_eq!(two.len(), 2);
    let (newest, limit) = messages(&c, &room, Some(1), None);
    assert_eq!((newest.len(), limit), (1, 1));
    assert_eq!(newest[0].sender.as_ref().unwrap().0, format!("{room}/Bob"));
    let t = two[0].timestamp.clone().unwrap().0;
    let (before, _) = messages(&c, &room, None, Some(&t));
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].stanza_id, two[0].stanza_id);
    let (capped, limit) = messages(&c, &room, Some(500), None);
    assert_eq!((capped.len(), limit), (2, 50));
    // Deleting the room deletes its archive (ruling 9).
    ok(a.run(muc::delete_room(&room, None)).unwrap());
    create(&a, &room, "Al");
    assert!(messages(&a, &room, None, None).0.is_empty());
}

#[test]
fn listing_rooms() {
    // A host and so a MUC service of its own (also on a shared database): counts are exact.
    let host = format!("{}.test", unique("listing").replace('_', "-"));
    let s = common::server_with(|c| c.general.hosts.push(host.clone()));
    let service = format!("muc.{host}");
    let service = service.as_str();
    let [alice, bob] = ["alice", "bob"].map(|n| s.new_user(n));
    let [a, b] = [&alice, &bob].map(|u| s.client(u));
    let prefix = unique("l");
    let jid = |n: &str| format!("{prefix}{n}@{service}");
    for n in ["a", "b", "c", "hidden", "unlisted"] {
        create(&a, &jid(n), "Al");
    }
    configure(
        &a,
        &jid("b"),
        MucRoomConfigInput {
            title: Some("Title with spaces".into()),
            ..Default::default()
        },
    );
    configure(
        &a,
        &jid("hidden"),
        MucRoomConfigInput {
            public: Some(false),
            ..Default::default()
        },
    );
    configure(
        &a,
        &jid("unlisted"),
        MucRoomConfigInput {
            public_list: Some(false),
            ..Default::default()
        },
    );
    let list = |c: &Client, limit: Option<i64>, index: Option<i64>| {
        ok(c.run(muc::list_rooms(service, limit, index)).unwrap())
            .value()
            .cloned()
            .unwrap()
    };
    let name = |n: &str| format!("{prefix}{n}");
    // An outsider: the hidden room is not listed, the unlisted one by JID and title only;
    // titles are whole and the count is what the user may see (ruling 5).
    let p = list(&b, None, None);
    let desc = |n: &str, title: &str, users: Option<i64>| MucRoomDesc {
        jid: jid(n).as_str().into(),
        title: title.into(),
        private: users.map(|_| false),
        users_number: users.map(NonNegInt),
    };
    assert_eq!(
        p.rooms.unwrap(),
        [
            desc("a", &name("a"), Some(1)),
            desc("b", "Title with spaces", Some(1)),
            desc("c", &name("c"), Some(1)),
            desc("unlisted", &name("unlisted"), None),
        ]
    );
    assert_eq!(p.count.map(|c| c.0), Some(4));
    assert_eq!(
        (p.index.map(|i| i.0), p.first, p.last),
        (Some(0), Some(name("a")), Some(name("unlisted")))
    );
    // The owner sees every room whole.
    let p = list(&a, None, None);
    assert_eq!(p.count.map(|c| c.0), Some(5));
    let hidden = p
        .rooms
        .unwrap()
        .into_iter()
        .find(|r| r.jid.0 == jid("hidden"))
        .unwrap();
    assert_eq!(
        (hidden.private, hidden.users_number),
        (Some(true), Some(NonNegInt(1)))
    );
    // Paging by limit and index (`admin_list_rooms`: limit 1 index 1 is the second room).
    let p = list(&b, Some(1), Some(1));
    assert_eq!(p.rooms.unwrap(), [desc("b", "Title with spaces", Some(1))]);
    assert_eq!(
        (p.count.map(|c| c.0), p.index.map(|i| i.0)),
        (Some(4), Some(1))
    );
    assert_eq!((p.first, p.last), (Some(name("b")), Some(name("b"))));
    let p = list(&b, None, Some(10));
    assert_eq!(p.rooms.unwrap(), []);
    assert_eq!(
        (p.count.map(|c| c.0), p.index, p.first, p.last),
        (Some(4), None, None, None)
    );
}

/// Persistent rooms keep their configuration and affiliations across a restart; so does a
/// room with occupants (occupancy is not tied to a session).
#[test]
fn persistent_rooms_survive_a_restart() {
    let (first, stopper) = common::start_stoppable(|_| {});
    let [alice, bob] = ["alice", "bob"].map(|n| first.new_user(n));
    let a = first.client(&alice);
    let room = new_room();
    create(&a, &room, "Al");
    let change = MucRoomConfigInput {
        title: Some("Kept".into()),
        persistent: Some(true),
        members_only: Some(true),
        ..Default::default()
    };
    let want = configure(&a, &room, change);
    set_aff(&a, &room, &bob.jid, Aff::Admin);
    say_with_session(&first, &alice, &room, "before the restart");
    exit(&a, &room, "Al", "any");
    stopper.stop();

    let second = common::start_on(Some(&first.db_url), |_| {});
    let a = second.client(&alice);
    assert_eq!(config(&a, &room), want);
    let mut affs = vec![
        (alice.jid.clone(), Aff::Owner),
        (bob.jid.clone(), Aff::Admin),
    ];
    affs.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(affiliations(&a, &room, None), affs);
    assert_eq!(users(&a, &room), []);
    let (archived, _) = messages(&a, &room, None, None);
    assert_eq!(archived.len(), 1);
    // The room works as before.
    enter(&second.client(&bob), &room, "Bob", "r", None);
    assert_eq!(users(&a, &room).len(), 1);
    drop(first);
}

fn say_with_session(s: &TestServer, user: &User, room: &str, body: &str) {
    let c = s.client(user);
    let _sse = open_sse(&c);
    say(&c, room, body, None);
}

/// Module checks (spec §0.5): `getRoomMessages` needs `mod_mam_muc` too; with `mod_muc` off,
/// `muc.<host>` is no service, so the check is skipped and the room or service is not found.
#[test]
fn module_checks() {
    let s = common::server_with(|c| {
        c.modules.insert(
            "mod_mam_muc".into(),
            mimql::config::ModuleConfig { enabled: false },
        );
    });
    let alice = s.new_user("alice");
    let a = s.client(&alice);
    let room = new_room();
    create(&a, &room, "Al");
    let ext = refused(
        a.run(muc::get_room_messages(&room, None, None)).unwrap(),
        "deps_not_loaded",
        "Some of required modules or services are not loaded",
    );
    assert_eq!(ext["not_loaded_modules"], json!(["mod_mam_muc"]));

    let off = common::server_without_modules();
    let alice = off.new_user("alice");
    let a = off.client(&alice);
    refused(
        a.run(muc::create_instant_room(&new_room(), "Al")).unwrap(),
        "room_not_found",
        "Room not found",
    );
    refused(
        a.run(muc::list_rooms(MUC, None, None)).unwrap(),
        "muc_server_not_found",
        "MUC server not found",
    );
}

/// `[modules.mod_muc] default_room` configures new rooms.
#[test]
fn default_room_option() {
    let s = common::server_with(|c| {
        c.muc.default_room.persistent = true;
        c.muc.default_room.max_users = 50;
        c.muc.default_room.title = "Lobby".into();
    });
    let alice = s.new_user("alice");
    let a = s.client(&alice);
    let room = new_room();
    let desc = create(&a, &room, "Al");
    assert_eq!(desc.title, "Lobby");
    let mut want = defaults();
    want.persistent = true;
    want.max_users = Some(PosInt(50));
    want.title = "Lobby".into();
    assert_eq!(config(&a, &room), want);
    // Persistent: the room stays when its last occupant leaves.
    exit(&a, &room, "Al", "r");
    assert_eq!(config(&a, &room), want);
}

/// Removing an account removes its occupants and affiliations; a room left without an owner
/// ends.
#[test]
fn account_removal() {
    let s = server();
    let [alice, bob] = ["alice", "bob"].map(|n| s.new_user(n));
    let [a, b] = [&alice, &bob].map(|u| s.client(u));
    let (kept, ended) = (new_room(), new_room());
    create(&a, &kept, "Al");
    create(&b, &ended, "Bob");
    configure(
        &b,
        &ended,
        MucRoomConfigInput {
            persistent: Some(true),
            ..Default::default()
        },
    );
    enter(&b, &kept, "Bob", "r", None);
    set_aff(&a, &kept, &bob.jid, Aff::Member);
    enter(&a, &ended, "Al", "r", None);
    ok(b.run(account::unregister()).unwrap());
    assert_eq!(users(&a, &kept).len(), 1);
    assert_eq!(
        affiliations(&a, &kept, None),
        [(alice.jid.clone(), Aff::Owner)]
    );
    refused(
        a.run(muc::list_room_users(&ended)).unwrap(),
        "room_not_found",
        "Room not found",
    );
}

/// Accounts removed while they enter rooms: no occupant outlives its account, and no request
/// fails with anything but the removal's own errors (authentication, `user_not_found`).
#[test]
fn removal_during_joins() {
    let s = server();
    let owner = s.new_user("owner");
    let o = s.client(&owner);
    let rooms: Vec<String> = (0..6).map(|_| new_room()).collect();
    for r in &rooms {
        create(&o, r, "owner");
    }
    let victims: Vec<User> = (0..4).map(|_| s.new_user("leaving")).collect();
    std::thread::scope(|scope| {
        for (v, victim) in victims.iter().enumerate() {
            let rooms = &rooms;
            let c = s.client(victim);
            scope.spawn(move || {
                for round in 0..5 {
                    for r in rooms {
                        let resp = c
                            .run(muc::enter_room(r, &format!("v{v}_{round}"), "r", None))
                            .unwrap();
                        match resp.errors.first() {
                            None => {}
                            Some(_) if resp.status == 401 => return,
                            Some(e) => {
                                assert_eq!(e.code.as_deref(), Some("user_not_found"), "{e:?}");
                                return;
                            }
                        }
                    }
                }
            });
            let c = s.client(victim);
            scope.spawn(move || {
                std::thread::sleep(Duration::from_millis(20 * v as u64));
                ok(c.run(account::unregister()).unwrap());
            });
        }
    });
    for r in &rooms {
        assert_eq!(users(&o, r).len(), 1, "only the owner is left in {r}");
    }
}

/// Many joins and configuration changes of one room at once, on two nodes (two servers on one
/// database, so only the database serialises them): every join is kept, every change is
/// applied, no request fails (PostgreSQL: the room's row lock; SQLite: exclusive write
/// transactions).
#[test]
fn concurrent_changes_of_one_room() {
    let (n1, n2) = common::two_nodes();
    let node = |i: usize| if i.is_multiple_of(2) { n1 } else { n2 };
    let owner = n1.new_user("owner");
    let room = new_room();
    create(&n1.client(&owner), &room, "owner");
    let joiners: Vec<User> = (0..16).map(|i| n1.new_user(&format!("j{i}"))).collect();
    std::thread::scope(|scope| {
        for (i, u) in joiners.iter().enumerate() {
            let c = node(i).client(u);
            let room = room.clone();
            scope.spawn(move || {
                for r in 0..3 {
                    enter(&c, &room, &format!("n{i}_{r}"), &format!("r{r}"), None);
                }
            });
        }
        for t in 0..4 {
            let o = node(t).client(&owner);
            let room = room.clone();
            scope.spawn(move || {
                for k in 0..5 {
                    let change = MucRoomConfigInput {
                        description: Some(format!("{t}-{k}")),
                        ..Default::default()
                    };
                    configure(&o, &room, change);
                }
            });
        }
    });
    let o = n2.client(&owner);
    assert_eq!(users(&o, &room).len(), 1 + 16 * 3);
    let description = config(&o, &room).description;
    assert!(description.ends_with("-4"), "{description}");
}
