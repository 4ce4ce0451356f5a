//! Filling a database directly (users and archive rows), much faster than through the API.
//! Every seeded user has the same password; its hash is computed once by the server.

use mimql_entities::{key_hash, mam_message, user};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};

use crate::server::Server;

pub const PASSWORD: &str = "bench-password";

/// The database URL of a fresh database: a SQLite file in `dir`, or a new PostgreSQL
/// database next to `pg_base` (`postgres://user@host:port`).
pub fn fresh_db(
    dir: &std::path::Path,
    name: &str,
    pg_base: Option<&str>,
    rt: &tokio::runtime::Runtime,
) -> String {
    match pg_base {
        None => format!(
            "sqlite://{}?mode=rwc",
            dir.join(format!("{name}.db")).display()
        ),
        Some(base) => {
            let db_name = format!("mimql_bench_{name}_{}", std::process::id());
            rt.block_on(async {
                let admin = sea_orm::Database::connect(format!("{base}/postgres")).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db_name}"))
                    .await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {db_name}"))
                    .await
            })
            .expect("a fresh PostgreSQL database");
            format!("{base}/{db_name}")
        }
    }
}

/// Registers `seed@localhost` through the admin API (so the server hashes the password), then
/// inserts `names` with the same hash. Answers the JIDs.
pub fn users(
    server: &Server,
    db: &DatabaseConnection,
    rt: &tokio::runtime::Runtime,
    names: &[String],
) -> Vec<String> {
    let admin = mimql_client::Client::new(&server.admin_url).with_basic_auth("admin", "secret");
    let resp = admin
        .run(mimql_client::admin::register_user(
            "localhost",
            Some("seed"),
            PASSWORD,
        ))
        .expect("admin API reachable");
    assert!(
        resp.errors.is_empty() || resp.code() == Some("exists"),
        "{:?}",
        resp.errors
    );
    let hash = rt.block_on(async {
        user::Entity::find()
            .all(db)
            .await
            .expect("users readable")
            .into_iter()
            .find(|u| u.username == "seed")
            .expect("the seed user")
            .password_hash
    });
    insert(db, rt, names, &hash);
    names.iter().map(|n| format!("{n}@localhost")).collect()
}

/// Seeds `names` with a cheap argon2 hash of [`PASSWORD`] (the benchmark measures
/// subscriptions, not password hashing; the server verifies whatever parameters a hash names).
pub fn users_with_cheap_hash(
    db: &DatabaseConnection,
    rt: &tokio::runtime::Runtime,
    names: &[String],
) {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).expect("argon2 parameters");
    let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"mimql-bench-salt").expect("a salt");
    let hash = hasher
        .hash_password(PASSWORD.as_bytes(), &salt)
        .expect("a hash")
        .to_string();
    insert(db, rt, names, &hash);
}

/// Inserts `names` on localhost with password hash `hash`, a thousand rows a statement.
fn insert(db: &DatabaseConnection, rt: &tokio::runtime::Runtime, names: &[String], hash: &str) {
    rt.block_on(async {
        for chunk in names.chunks(1000) {
            let rows = chunk.iter().map(|n| user::ActiveModel {
                username: Set(n.clone()),
                server: Set("localhost".into()),
                password_hash: Set(hash.to_string()),
                created_at: Set(mimql::db::now_micros()),
                ..Default::default()
            });
            user::Entity::insert_many(rows)
                .exec(db)
                .await
                .expect("users inserted");
        }
    });
}

/// The account id of every seeded user, in order.
pub fn user_ids(
    db: &DatabaseConnection,
    rt: &tokio::runtime::Runtime,
    jids: &[String],
) -> Vec<i64> {
    rt.block_on(async {
        let mut ids = Vec::with_capacity(jids.len());
        for j in jids {
            let jid = mimql::jid::Jid::parse(j).expect("a JID");
            ids.push(
                mimql::accounts::user_id(db, &jid)
                    .await
                    .expect("readable")
                    .expect("seeded"),
            );
        }
        ids
    })
}

/// Writes `per_user` archive rows for each user (conversations with random other users),
/// in batches; a progress line every 100,000 rows.
pub fn archive(
    db: &DatabaseConnection,
    rt: &tokio::runtime::Runtime,
    jids: &[String],
    ids: &[i64],
    per_user: usize,
) {
    let ids_gen = mimql::archive::IdGenerator::new(0);
    let total = jids.len() * per_user;
    let mut done = 0usize;
    rt.block_on(async {
        let mut batch = Vec::with_capacity(1000);
        for (i, owner) in ids.iter().enumerate() {
            for k in 0..per_user {
                let peer = &jids[(i + 1 + k % 7) % jids.len()];
                let id = ids_gen.next();
                batch.push(mam_message::ActiveModel {
                    id: Set(id.0),
                    user_id: Set(*owner),
                    peer: Set(peer.clone()),
                    peer_hash: Set(key_hash(peer)),
                    peer_resource: Set(String::new()),
                    outgoing: Set(k % 2 == 0),
                    sender: Set(if k % 2 == 0 { jids[i].clone() } else { peer.clone() }),
                    origin_id: Set(format!("{:016x}", id.0)),
                    stanza: Set(format!(
                        "<message id='{:016x}' type='chat' from='{}' to='{peer}'><body>message {k} of a seeded archive</body></message>",
                        id.0, jids[i]
                    )),
                });
                if batch.len() == 1000 {
                    mam_message::Entity::insert_many(std::mem::take(&mut batch))
                        .exec(db)
                        .await
                        .expect("archive rows inserted");
                    done += 1000;
                    if done.is_multiple_of(100_000) {
                        eprintln!("  seeded {done} of {total} archive rows");
                    }
                }
            }
        }
        if !batch.is_empty() {
            mam_message::Entity::insert_many(batch).exec(db).await.expect("archive rows inserted");
        }
    });
}
