//! The admin API's `muc` category: any classic MUC room, read and managed as the server's
//! administrator, and acted in on behalf of users; the effects seen through the user API and
//! by an occupant's XMPP client (a destroyed room).

mod common;
mod xmpp;

use std::time::Duration;

use common::{TestServer, User, ok, refused, server, server_without_modules, unique};
use mimql_client::admin::muc::{self, MucAffiliation as Aff, MucRole as Role, MucRoomConfigInput};
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::muc as umuc;
use mimql_client::user::stanza;
use xmpp::{CLIENT, Endpoint};

const WAIT: Duration = Duration::from_secs(10);
const MUC_USER: &str = "http://jabber.org/protocol/muc#user";

fn new_room() -> String {
    format!("{}@muc.localhost", unique("room"))
}

fn done(resp: mimql_client::Response<impl MucValue>, expected: &str) {
    let d = ok(resp);
    assert_eq!(d.string().as_deref(), Some(expected));
}

/// The string a mutation answers.
trait MucValue: std::fmt::Debug {
    fn string(&self) -> Option<String>;
}

macro_rules! string_value {
    ($($t:ty),*) => {$(
        impl MucValue for $t {
            fn string(&self) -> Option<String> {
                self.value().cloned()
            }
        }
    )*};
}

string_value!(
    muc::InviteUser,
    muc::KickUser,
    muc::SendMessageToRoom,
    muc::SendPrivateMessage,
    muc::DeleteRoom,
    muc::SetUserRole,
    muc::SetUserAffiliation,
    muc::EnterRoom,
    muc::ExitRoom
);

fn create(s: &TestServer, room: &str, owner: &User, nick: &str) {
    let d = ok(s
        .admin()
        .run(muc::create_instant_room(room, &owner.jid, nick))
        .unwrap());
    let desc = d.value().unwrap();
    assert_eq!(desc.jid.0, room);
    assert_eq!(desc.users_number.map(|n| n.0), Some(1));
}

fn enter(s: &TestServer, room: &str, full: &str, nick: &str) {
    done(
        s.admin()
            .run(muc::enter_room(room, full, nick, None))
            .unwrap(),
        "Entering room message sent successfully",
    );
}

fn users(s: &TestServer, room: &str) -> Vec<(Option<String>, String, Role)> {
    ok(s.admin().run(muc::list_room_users(room)).unwrap())
        .value()
        .cloned()
        .unwrap()
        .into_iter()
        .map(|u| (u.jid.map(|j| j.0), u.nick, u.role))
        .collect()
}

fn affiliations(s: &TestServer, room: &str, filter: Option<Aff>) -> Vec<(String, Aff)> {
    ok(s.admin()
        .run(muc::list_room_affiliations(room, filter))
        .unwrap())
    .value()
    .cloned()
    .unwrap()
    .into_iter()
    .map(|a| (a.jid.0, a.affiliation))
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
fn rooms_are_created_entered_and_read_on_behalf_of_users() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let room = new_room();
    create(s, &room, &alice, "Al");
    // Seen through the user API: alice owns it.
    let desc = ok(s
        .client(&alice)
        .run(umuc::list_rooms("muc.localhost", None, None))
        .unwrap());
    assert!(
        desc.value()
            .unwrap()
            .rooms
            .as_ref()
            .unwrap()
            .iter()
            .any(|r| r.jid.0 == room)
    );
    let bob_full = format!("{}/phone", bob.jid);
    enter(s, &room, &bob_full, "Bobby");
    // The admin sees real JIDs even in an anonymous room.
    assert_eq!(
        users(s, &room),
        [
            (Some(alice.jid.clone()), "Al".to_string(), Role::Moderator),
            (
                Some(bob_full.clone()),
                "Bobby".to_string(),
                Role::Participant
            ),
        ]
    );
    assert_eq!(
        affiliations(s, &room, None),
        [(alice.jid.clone(), Aff::Owner)]
    );
    assert!(affiliations(s, &room, Some(Aff::Member)).is_empty());
    let d = ok(s.admin().run(muc::get_room_config(&room)).unwrap());
    assert!(d.value().unwrap().anonymous);
    // listRooms as a user sees it.
    let d = ok(s
        .admin()
        .run(muc::list_rooms("muc.localhost", &bob.jid, None, None))
        .unwrap());
    assert!(
        d.value()
            .unwrap()
            .rooms
            .as_ref()
            .unwrap()
            .iter()
            .any(|r| r.jid.0 == room)
    );
    refused(
        s.admin()
            .run(muc::list_rooms(
                "nonexistent.localhost",
                &bob.jid,
                None,
                None,
            ))
            .unwrap(),
        "muc_server_not_found",
        "MUC server not found",
    );

    done(
        s.admin()
            .run(muc::exit_room(&room, &bob_full, "Bobby"))
            .unwrap(),
        "Exiting room message sent successfully",
    );
    assert_eq!(users(s, &room).len(), 1);
    refused(
        s.admin()
            .run(muc::exit_room(&room, &bob_full, "Bobby"))
            .unwrap(),
        "not_occupant",
        "Given resource does not occupy this room under this nick",
    );

    // Users that do not exist, rooms that do not.
    let e = refused(
        s.admin()
            .run(muc::create_instant_room(
                &new_room(),
                "ghost@localhost",
                "G",
            ))
            .unwrap(),
        "user_not_found",
        "Given user not found",
    );
    assert!(e["room"].as_str().is_some());
    refused(
        s.admin()
            .run(muc::enter_room(&room, "ghost@localhost/r", "G", None))
            .unwrap(),
        "user_not_found",
        "Given user not found",
    );
    let ghost_room = new_room();
    for resp in [
        s.admin()
            .run(muc::get_room_config(&ghost_room))
            .unwrap()
            .errors,
        s.admin()
            .run(muc::list_room_users(&ghost_room))
            .unwrap()
            .errors,
        s.admin()
            .run(muc::list_room_affiliations(&ghost_room, None))
            .unwrap()
            .errors,
    ] {
        assert_eq!(resp[0].code.as_deref(), Some("room_not_found"));
        assert_eq!(resp[0].message, "Room not found");
    }
}

#[test]
fn messages_and_invitations_reach_the_users_subscriptions() {
    let s = server();
    let (alice, bob, carol) = (s.new_user("alice"), s.new_user("bob"), s.new_user("carol"));
    let room = new_room();
    create(s, &room, &alice, "Al");
    let bob_full = format!("{}/res1", bob.jid);
    enter(s, &room, &bob_full, "Bob");
    let mut a_sse = open_sse(s, &alice);
    let mut b_sse = open_sse(s, &bob);
    let mut c_sse = open_sse(s, &carol);

    done(
        s.admin()
            .run(muc::send_message_to_room(&room, &bob_full, "Hi all"))
            .unwrap(),
        "Message sent successfully",
    );
    for sub in [&mut a_sse, &mut b_sse] {
        let xml = next_stanza(sub);
        assert!(xml.contains(&format!("from='{room}/Bob'")), "{xml}");
        assert!(xml.contains("<body>Hi all</body>"), "{xml}");
    }
    let d = ok(s
        .admin()
        .run(muc::get_room_messages(&room, None, None))
        .unwrap());
    let page = d.value().unwrap();
    assert_eq!(page.limit, Some(50));
    assert_eq!(page.stanzas.as_ref().unwrap().len(), 1);

    done(
        s.admin()
            .run(muc::send_private_message(
                &room, &bob_full, "Al", "Just you",
            ))
            .unwrap(),
        "Message sent successfully",
    );
    let xml = next_stanza(&mut a_sse);
    assert!(
        xml.contains("type='chat'") && xml.contains("<body>Just you</body>"),
        "{xml}"
    );

    done(
        s.admin()
            .run(muc::invite_user(&room, &alice.jid, &carol.jid, None))
            .unwrap(),
        "Invitation sent successfully",
    );
    let xml = next_stanza(&mut c_sse);
    assert!(xml.contains(&format!("jid='{room}'")), "{xml}");
    assert!(
        xml.contains("reason='User invited through the admin GraphQL API'"),
        "{xml}"
    );

    // Not in the room: refused, as on the user API.
    refused(
        s.admin()
            .run(muc::send_message_to_room(
                &room,
                &format!("{}/x", carol.jid),
                "Hello?",
            ))
            .unwrap(),
        "not_occupant",
        "Given user does not occupy this room",
    );
    refused(
        s.admin()
            .run(muc::send_message_to_room(&room, "ghost@localhost/x", "Boo"))
            .unwrap(),
        "user_not_found",
        "Given user not found",
    );
    refused(
        s.admin()
            .run(muc::send_private_message(
                &room, &bob_full, "Nobody", "Psst",
            ))
            .unwrap(),
        "nick_not_found",
        "Nickname Nobody does not exist in the room",
    );
}

#[test]
fn the_admin_sets_roles_and_affiliations_kicks_and_configures() {
    let s = server();
    let (alice, bob, carol) = (s.new_user("alice"), s.new_user("bob"), s.new_user("carol"));
    let room = new_room();
    create(s, &room, &alice, "Al");
    enter(s, &room, &format!("{}/r", bob.jid), "Bob");
    enter(s, &room, &format!("{}/r", carol.jid), "Carol");

    done(
        s.admin()
            .run(muc::set_user_role(&room, "Bob", Role::Moderator))
            .unwrap(),
        "Role set successfully",
    );
    done(
        s.admin()
            .run(muc::set_user_affiliation(&room, &carol.jid, Aff::Admin))
            .unwrap(),
        "Affiliation set successfully",
    );
    assert_eq!(
        affiliations(s, &room, Some(Aff::Admin)),
        [(carol.jid.clone(), Aff::Admin)]
    );
    // Even the room's only owner can be changed by the admin.
    done(
        s.admin()
            .run(muc::set_user_affiliation(&room, &alice.jid, Aff::Member))
            .unwrap(),
        "Affiliation set successfully",
    );
    // An admin of the room is kicked too (a moderator could not).
    done(
        s.admin()
            .run(muc::kick_user(&room, "Carol", Some("Bye")))
            .unwrap(),
        "Kick message sent successfully",
    );
    let nicks: Vec<String> = users(s, &room).into_iter().map(|u| u.1).collect();
    assert_eq!(nicks, ["Al", "Bob"]);
    refused(
        s.admin()
            .run(muc::kick_user(&room, "Nobody", None))
            .unwrap(),
        "cannot_modify",
        "Nickname Nobody does not exist in the room",
    );
    refused(
        s.admin()
            .run(muc::set_user_role(&room, "Nobody", Role::Visitor))
            .unwrap(),
        "cannot_modify",
        "Nickname Nobody does not exist in the room",
    );

    let d = ok(s
        .admin()
        .run(muc::change_room_configuration(
            &room,
            MucRoomConfigInput {
                title: Some("Renamed".into()),
                anonymous: Some(false),
                ..Default::default()
            },
        ))
        .unwrap());
    let config = d.value().unwrap();
    assert_eq!(config.title, "Renamed");
    assert!(
        !config.anonymous && config.moderated,
        "the others unchanged"
    );
    // Bob (a moderator now) reads it through the user API: the room is not anonymous.
    let seen = ok(s.client(&bob).run(umuc::list_room_users(&room)).unwrap());
    assert!(seen.value().unwrap().iter().all(|u| u.jid.is_some()));
    refused(
        s.admin()
            .run(muc::change_room_configuration(
                &new_room(),
                MucRoomConfigInput::default(),
            ))
            .unwrap(),
        "room_not_found",
        "Room not found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn occupants_see_the_room_destroyed() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let room = new_room();
    create(s, &room, &alice, "Al");
    let at = Endpoint::new(s.c2s_addr.expect("c2s enabled"), &s.c2s_cert);
    let mut phone = xmpp::login(&at, &bob.jid, &bob.password, "phone").await;
    phone.presence(Some(0)).await;
    enter(s, &room, &format!("{}/phone", bob.jid), "Bob");

    done(
        s.admin()
            .run(muc::delete_room(&room, Some("Abuse")))
            .unwrap(),
        "Room deleted successfully",
    );
    // The room's presence (not the echo of the client's own, RFC 6121 §4.2.2).
    let got = loop {
        let el = phone.recv().await.expect("stream open");
        if el.is("presence", CLIENT) && el.attr("from").is_some_and(|f| f.starts_with(&room)) {
            break el;
        }
    };
    assert_eq!(got.attr("from"), Some(format!("{room}/Bob").as_str()));
    assert_eq!(got.attr("type"), Some("unavailable"));
    let x = got.get_child("x", MUC_USER).expect("muc#user");
    let destroy = x.get_child("destroy", MUC_USER).expect("destroy");
    assert_eq!(
        destroy.get_child("reason", MUC_USER).map(|r| r.text()),
        Some("Abuse".to_string())
    );
    // Gone for the user API too.
    refused(
        s.client(&alice).run(umuc::get_room_config(&room)).unwrap(),
        "room_not_found",
        "Room not found",
    );
    refused(
        s.admin().run(muc::delete_room(&room, None)).unwrap(),
        "room_not_found",
        "Cannot remove non-existent room",
    );
}

/// Without `mod_muc` there is no MUC service (as on the user API); without `mod_mam_muc` no
/// room archive.
#[test]
fn module_checks() {
    let off = server_without_modules();
    refused(
        off.admin()
            .run(muc::get_room_config("r@muc.localhost"))
            .unwrap(),
        "room_not_found",
        "Room not found",
    );
    refused(
        off.admin()
            .run(muc::list_rooms(
                "muc.localhost",
                "alice@localhost",
                None,
                None,
            ))
            .unwrap(),
        "muc_server_not_found",
        "MUC server not found",
    );
    let s = common::server_with(|c| {
        c.modules.insert(
            "mod_mam_muc".into(),
            mimql::config::ModuleConfig { enabled: false },
        );
    });
    let alice = s.new_user("alice");
    let room = new_room();
    create(&s, &room, &alice, "Al");
    refused(
        s.admin()
            .run(muc::get_room_messages(&room, None, None))
            .unwrap(),
        "deps_not_loaded",
        "Some of required modules or services are not loaded",
    );
}
