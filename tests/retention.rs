//! Archive retention (issue 19, item 3): with `[modules.mod_mam_pm]` / `[modules.mod_mam_muc]
//! retention_days`, a background pass deletes older messages in bounded batches, from users'
//! archives and from room archives; several passes at once delete each row once.

mod common;

use std::sync::OnceLock;

use common::{TestServer, archive, eventually, ok, send, unique};
use mimql::archive::RetentionTable;
use mimql_client::Client;
use mimql_client::user::muc_light as ml;
use mimql_entities::mam_message;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

const DAY_MICROS: i64 = 86_400 * 1_000_000;

/// A server keeping 30 days of both archives, with a pass every second.
fn retaining() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        common::start(|c| {
            c.mam_pm.retention_days = Some(30);
            c.mam_pm.retention_interval_secs = 1;
            c.mam_muc.retention_days = Some(30);
            c.mam_muc.retention_interval_secs = 1;
        })
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Moves the messages of `table` whose stanza contains `marker` `days` into the past (a MAM id
/// starts with its archive time).
fn backdate(s: &TestServer, table: &str, marker: &str, days: i64) -> u64 {
    let delta = days * DAY_MICROS * 256;
    runtime().block_on(async {
        let db = mimql::db::connect(&s.db_url, 1).await.unwrap();
        db.execute_unprepared(&format!(
            "UPDATE {table} SET id = id - {delta} WHERE stanza LIKE '%{marker}%'"
        ))
        .await
        .unwrap()
        .rows_affected()
    })
}

fn bodies(stanzas: &[mimql_client::user::stanza::StanzaMap], marker: &str) -> Vec<String> {
    stanzas
        .iter()
        .map(|m| m.stanza.as_ref().expect("a stanza").0.clone())
        .filter(|x| x.contains(marker))
        .map(|x| {
            let start = x.find("<body>").unwrap() + 6;
            let end = x.find("</body>").unwrap();
            x[start..end].to_string()
        })
        .collect()
}

#[test]
fn old_personal_messages_are_deleted_in_the_background() {
    let s = retaining();
    let (alice, bob) = (s.new_user("keep"), s.new_user("keep"));
    let (a, b) = (s.client(&alice), s.client(&bob));
    let marker = unique("m");
    send(&a, &bob.jid, &format!("old{marker}"));
    send(&a, &bob.jid, &format!("recent{marker}"));
    // The sender's copy and the recipient's.
    assert_eq!(backdate(s, "mam_messages", &format!("old{marker}"), 31), 2);
    for c in [&a, &b] {
        assert!(
            eventually(30, || bodies(&archive(c, None, None, None).0, &marker)
                == [format!("recent{marker}")]),
            "{:?}",
            bodies(&archive(c, None, None, None).0, &marker)
        );
    }
}

fn room_bodies(c: &Client, room: &str, marker: &str) -> Vec<String> {
    let p = ok(c.run(ml::get_room_messages(room, None, None)).unwrap())
        .muc_light
        .and_then(|m| m.get_room_messages)
        .expect("a payload");
    let stanzas: Vec<_> = p.stanzas.unwrap().into_iter().map(Option::unwrap).collect();
    bodies(&stanzas, marker)
}

#[test]
fn old_room_messages_are_deleted_in_the_background() {
    let s = retaining();
    let alice = s.new_user("room");
    let a = s.client(&alice);
    let room = ok(a
        .run(ml::create_room("muclight.localhost", None, None, None, &[]))
        .unwrap())
    .room()
    .cloned()
    .expect("a room")
    .jid
    .0;
    let marker = unique("r");
    for body in [format!("old{marker}"), format!("recent{marker}")] {
        ok(a.run(ml::send_message_to_room(&room, &body)).unwrap());
    }
    assert_eq!(room_bodies(&a, &room, &marker).len(), 2);
    assert_eq!(
        backdate(s, "mam_room_messages", &format!("old{marker}"), 45),
        1
    );
    assert!(
        eventually(30, || room_bodies(&a, &room, &marker)
            == [format!("recent{marker}")]),
        "{:?}",
        room_bodies(&a, &room, &marker)
    );
}

#[test]
fn without_retention_nothing_is_deleted() {
    let s = common::server();
    assert_eq!(s.state.config.mam_pm.retention_days, None);
    let (alice, bob) = (s.new_user("forever"), s.new_user("forever"));
    let a = s.client(&alice);
    let marker = unique("f");
    send(&a, &bob.jid, &format!("ancient{marker}"));
    assert_eq!(
        backdate(s, "mam_messages", &format!("ancient{marker}"), 3650),
        2
    );
    for table in [RetentionTable::Personal, RetentionTable::Rooms] {
        let n = runtime()
            .block_on(mimql::housekeeping::retention_pass(&s.state, table))
            .unwrap();
        assert_eq!(n, 0);
    }
    assert_eq!(
        bodies(&archive(&a, None, None, None).0, &marker),
        [format!("ancient{marker}")]
    );
}

/// Rows deleted by batches, and by two passes at once: every old row goes exactly once, newer
/// rows stay.
#[test]
fn passes_delete_in_batches_and_may_run_concurrently() {
    let s = retaining();
    let alice = s.new_user("bulk");
    let jid = mimql::jid::Jid::parse(&alice.jid).unwrap();
    let rt = runtime();
    let db = rt.block_on(mimql::db::connect(&s.db_url, 2)).unwrap();
    let other = rt.block_on(mimql::db::connect(&s.db_url, 2)).unwrap();
    let user_id = rt
        .block_on(mimql::accounts::user_id(&db, &jid))
        .unwrap()
        .unwrap();
    let now = mimql::db::now_micros();
    // Ten days old: the background pass (30 days) leaves them to this test's cutoff (5 days).
    let insert = |count: i64, first: i64| {
        let rows = (0..count).map(|i| mam_message::ActiveModel {
            id: Set(((now - 10 * DAY_MICROS + first + i) << 8) | 7),
            user_id: Set(user_id),
            peer: Set("peer@localhost".into()),
            peer_hash: Set(mimql_entities::key_hash("peer@localhost")),
            peer_resource: Set(String::new()),
            outgoing: Set(true),
            sender: Set(alice.jid.clone()),
            origin_id: Set(String::new()),
            stanza: Set("<message><body>bulk</body></message>".into()),
        });
        rt.block_on(mam_message::Entity::insert_many(rows).exec_without_returning(&db))
            .unwrap();
    };
    let count = |db: &sea_orm::DatabaseConnection| {
        rt.block_on(
            mam_message::Entity::find()
                .filter(mam_message::Column::UserId.eq(user_id))
                .count(db),
        )
        .unwrap()
    };
    let cutoff = now - 5 * DAY_MICROS;
    insert(2_500, 0);
    let a = s.client(&alice);
    send(&a, &alice.jid, "kept");
    let recent = count(&db) - 2_500;
    assert!(recent >= 1);
    let n = rt
        .block_on(mimql::archive::delete_before(
            &db,
            RetentionTable::Personal,
            cutoff,
        ))
        .unwrap();
    assert!(n >= 2_500, "{n}");
    assert_eq!(count(&db), recent);
    // Two passes at once.
    insert(2_500, 10_000);
    let (x, y) = rt.block_on(async {
        tokio::join!(
            mimql::archive::delete_before(&db, RetentionTable::Personal, cutoff),
            mimql::archive::delete_before(&other, RetentionTable::Personal, cutoff),
        )
    });
    // Each row is deleted once (the other pass finds it gone); rows other tests backdated may
    // be among them.
    let (x, y) = (x.unwrap(), y.unwrap());
    assert!(x + y >= 2_500, "{x} + {y}");
    assert_eq!(count(&db), recent);
}
