//! Migrations keep existing data: a database at the state before the key-hash migration (issue
//! 13), with roster items and private elements in it, is migrated; every key gets its hash, the
//! rows read back through the domain code, and the new unique indexes hold. Runs on a database
//! of its own: a fresh SQLite file, or a new PostgreSQL database next to
//! `MIMQL_TEST_DATABASE_URL`.

use mimql::jid::Jid;
use mimql::private::PrivateStorage;
use mimql::roster::state::Presence;
use mimql::roster::{Quota, Roster};
use mimql_entities::{key_hash, private_item, roster_item};
use mimql_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

/// What a test database leaves behind: a SQLite file in a temporary directory, or a
/// PostgreSQL database to drop through the connection it was created from.
enum Owned {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(DatabaseConnection, String),
}

/// A database of its own.
async fn fresh_database() -> (DatabaseConnection, Owned) {
    match std::env::var("MIMQL_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(url) => {
            let admin = mimql::db::connect(&url, 1).await.unwrap();
            let name = format!("mimql_migration_{:016x}", rand::random::<u64>());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let base = url.rsplit_once('/').unwrap().0;
            let db = mimql::db::connect(&format!("{base}/{name}"), 2)
                .await
                .unwrap();
            (db, Owned::Postgres(admin, name))
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("mimql.db").display()
            );
            (
                mimql::db::connect(&url, 2).await.unwrap(),
                Owned::Sqlite(dir),
            )
        }
    }
}

async fn drop_database(db: DatabaseConnection, owned: Owned) {
    db.close().await.unwrap();
    if let Owned::Postgres(admin, name) = owned {
        admin
            .execute_unprepared(&format!("DROP DATABASE {name}"))
            .await
            .unwrap();
    }
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test]
async fn key_hashes_are_added_to_existing_rows() {
    let (db, owned) = fresh_database().await;
    // The schema as it was before the key-hash migration.
    Migrator::up(&db, Some(2)).await.unwrap();
    exec(
        &db,
        "INSERT INTO users (id, username, server, password_hash, created_at) VALUES \
         (1, 'alice', 'localhost', 'x', 0), (2, 'bob', 'localhost', 'x', 0)",
    )
    .await;
    // A contact as long as the old index allowed on both databases, and an ordinary one.
    let long_contact = format!("{}@localhost/{}", "c".repeat(900), "r".repeat(900));
    exec(
        &db,
        &format!(
            "INSERT INTO roster_items (user_id, contact, name, subscription, ask) VALUES \
             (1, 'bob@localhost', 'Bob', 'from', 'none'), \
             (1, '{long_contact}', '', 'none', 'out'), \
             (2, 'alice@localhost', '', 'to', 'none')"
        ),
    )
    .await;
    let ns = format!("urn:{}", "n".repeat(1500));
    exec(
        &db,
        &format!(
            "INSERT INTO private_storage (user_id, namespace, xml) VALUES \
             (1, '{ns}', '<el xmlns=''{ns}''>v</el>'), (2, 'urn:b', '<b xmlns=''urn:b''/>')"
        ),
    )
    .await;

    mimql::db::migrate(&db).await.unwrap();

    let items = roster_item::Entity::find().all(&db).await.unwrap();
    assert_eq!(items.len(), 3);
    for item in &items {
        assert_eq!(item.contact_hash, key_hash(&item.contact));
    }
    let stored = private_item::Entity::find().all(&db).await.unwrap();
    assert_eq!(stored.len(), 2);
    for row in &stored {
        assert_eq!(row.namespace_hash, key_hash(&row.namespace));
    }

    // The rows are found through the new keys.
    let alice = Jid::parse("alice@localhost").unwrap();
    let roster = Roster::new(db.clone(), Quota::default());
    let bob = roster
        .get(&alice, &Jid::parse("bob@localhost").unwrap())
        .await
        .unwrap();
    assert_eq!(bob.name, "Bob");
    let long = Jid::parse(&long_contact).unwrap();
    assert_eq!(
        roster.get(&alice, &long).await.unwrap().contact,
        long_contact
    );
    let el = PrivateStorage::new(db.clone(), usize::MAX)
        .get(&alice, &ns)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(el.to_string(), format!("<el xmlns='{ns}'>v</el>"));

    // A change to an existing item updates it rather than adding a second one.
    roster
        .subscription(&alice, &long, Presence::Unsubscribe)
        .await
        .unwrap();
    assert_eq!(roster.list(&alice).await.unwrap().len(), 2);
    // The unique index is on the hash now: the same key twice is refused by the database.
    let duplicate = db
        .execute_unprepared(&format!(
            "INSERT INTO roster_items (user_id, contact, contact_hash, name, subscription, ask) \
             VALUES (1, 'bob@localhost', '{}', '', 'none', 'none')",
            key_hash("bob@localhost")
        ))
        .await;
    assert!(duplicate.is_err());

    // And the migration can be rolled back and applied again.
    Migrator::down(&db, Some(1)).await.unwrap();
    mimql::db::migrate(&db).await.unwrap();
    assert_eq!(roster.list(&alice).await.unwrap().len(), 2);
    drop_database(db, owned).await;
}

#[test]
fn the_migration_hashes_keys_as_the_entities_do() {
    for key in ["", "bob@localhost", "urn:ns:\t\r\n", "zaż@łódź.pl/😀"] {
        assert_eq!(mimql_migration::key_hash_v3(key), key_hash(key), "{key:?}");
    }
}
