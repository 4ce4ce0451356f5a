//! Persistence of rooms, inside the caller's transaction. A room about to change is read with
//! its row locked ([`load`] with `lock`), so changes of one room are serialised on every node
//! (SQLite's write transactions are exclusive already), and written back as the difference
//! between the room as read and the room as changed ([`save`]).
//!
//! Occupants and affiliations hold JIDs, not account ids, so no transaction here locks a user
//! row; account removal locks the rooms it changes first ([`lock_rooms_of`]), as every
//! transaction locks rooms before users.

use std::collections::{BTreeMap, HashMap};

use mimql_entities::{key_hash, muc_affiliation, muc_occupant, muc_room, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use super::room::{Affiliation, Occupant, Role, Room, RoomConfig};
use crate::jid::Jid;

/// A room as read: its row id and its state.
pub struct Loaded {
    pub id: i64,
    pub room: Room,
}

fn corrupt(what: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("stored MUC room: {what}"))
}

fn config_of(row: &muc_room::Model) -> Result<RoomConfig, DbErr> {
    serde_json::from_str(&row.config).map_err(|e| corrupt(format!("{} config: {e}", row.name)))
}

fn config_json(config: &RoomConfig) -> String {
    serde_json::to_string(config).unwrap_or_else(|_| "{}".to_string())
}

fn occupant_of(row: &muc_occupant::Model) -> Result<Occupant, DbErr> {
    Ok(Occupant {
        jid: Jid::parse(&row.jid).map_err(|_| corrupt(format!("occupant {:?}", row.jid)))?,
        nick: row.nick.clone(),
        role: Role::parse(&row.role).ok_or_else(|| corrupt(format!("role {:?}", row.role)))?,
    })
}

fn affiliation_of(row: &muc_affiliation::Model) -> Result<(Jid, Affiliation), DbErr> {
    Ok((
        Jid::parse_bare(&row.jid).map_err(|_| corrupt(format!("affiliation {:?}", row.jid)))?,
        Affiliation::parse(&row.affiliation)
            .ok_or_else(|| corrupt(format!("affiliation {:?}", row.affiliation)))?,
    ))
}

/// The room with its occupants and affiliations; with `lock`, the room's row stays locked until
/// the transaction ends.
pub async fn load<C: ConnectionTrait>(
    c: &C,
    room: &Jid,
    lock: bool,
) -> Result<Option<Loaded>, DbErr> {
    let mut q = muc_room::Entity::find()
        .filter(muc_room::Column::JidHash.eq(key_hash(&room.bare_string())))
        .filter(muc_room::Column::Service.eq(room.domain()))
        .filter(muc_room::Column::Name.eq(room.node()));
    if lock {
        q = q.lock_exclusive();
    }
    let Some(row) = q.one(c).await? else {
        return Ok(None);
    };
    let mut rooms = states(c, vec![row]).await?;
    Ok(rooms.pop().map(|(row, room)| Loaded { id: row.id, room }))
}

/// The states of the given rooms, in the given order.
async fn states<C: ConnectionTrait>(
    c: &C,
    rows: Vec<muc_room::Model>,
) -> Result<Vec<(muc_room::Model, Room)>, DbErr> {
    let mut out = Vec::with_capacity(rows.len());
    // Bounded IN lists.
    for chunk in rows.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|r| r.id).collect();
        let mut occupants: HashMap<i64, Vec<Occupant>> = HashMap::new();
        for row in muc_occupant::Entity::find()
            .filter(muc_occupant::Column::RoomId.is_in(ids.clone()))
            .order_by_asc(muc_occupant::Column::Id)
            .all(c)
            .await?
        {
            occupants
                .entry(row.room_id)
                .or_default()
                .push(occupant_of(&row)?);
        }
        let mut affiliations: HashMap<i64, BTreeMap<Jid, Affiliation>> = HashMap::new();
        for row in muc_affiliation::Entity::find()
            .filter(muc_affiliation::Column::RoomId.is_in(ids))
            .all(c)
            .await?
        {
            let (jid, aff) = affiliation_of(&row)?;
            affiliations
                .entry(row.room_id)
                .or_default()
                .insert(jid, aff);
        }
        for row in chunk {
            let room = Room {
                config: config_of(row)?,
                affiliations: affiliations.remove(&row.id).unwrap_or_default(),
                occupants: occupants.remove(&row.id).unwrap_or_default(),
            };
            out.push((row.clone(), room));
        }
    }
    Ok(out)
}

/// One room of a `listRooms` page: its name, configuration, occupant count and whether the
/// caller is one of its occupants, admins or owners.
pub struct Listed {
    pub name: String,
    pub config: RoomConfig,
    pub users: usize,
    pub privileged: bool,
}

#[derive(sea_orm::FromQueryResult)]
struct ListedRow {
    name: String,
    config: String,
    users: i64,
    privileged: i32,
}

#[derive(sea_orm::FromQueryResult)]
struct Count {
    n: i64,
}

/// `$n` placeholders as the backend writes them.
fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => sql.to_string(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The rooms the user whose bare JID hashes to `$2` occupies, owns or administers (members are
/// not privileged in listings): found from the user's own rows, once per query (uncorrelated).
const PRIVILEGED: &str = "r.id IN (SELECT o.room_id FROM muc_occupants o WHERE o.bare_hash = $2 \
     UNION SELECT a.room_id FROM muc_affiliations a WHERE a.jid_hash = $2 \
         AND a.affiliation IN ('owner', 'admin'))";

/// How many rooms of `service` the caller may see: its public rooms (counted on an index) and
/// the non-public rooms the caller occupies, owns or administers (found from the caller's own
/// occupants and affiliations).
pub async fn count_visible<C: ConnectionTrait>(
    c: &C,
    service: &str,
    caller: &Jid,
) -> Result<usize, DbErr> {
    let backend = c.get_database_backend();
    let hash = key_hash(&caller.bare_string());
    let public = Count::find_by_statement(statement(
        backend,
        "SELECT COUNT(*) AS n FROM muc_rooms r WHERE r.service = $1 AND r.public",
        vec![service.into()],
    ))
    .one(c)
    .await?
    .map_or(0, |r| r.n);
    let private = Count::find_by_statement(statement(
        backend,
        &format!(
            "SELECT COUNT(*) AS n FROM muc_rooms r \
             WHERE {PRIVILEGED} AND r.service = $1 AND NOT r.public"
        ),
        vec![service.into(), hash.into()],
    ))
    .one(c)
    .await?
    .map_or(0, |r| r.n);
    Ok((public + private).max(0) as usize)
}

/// One page of the rooms of `service` the caller may see, in byte order of their names:
/// `limit` rooms (`None`: all) from position `offset`. Reads the page's rows and their
/// occupant counts only, never other rooms' state.
pub async fn page_visible<C: ConnectionTrait>(
    c: &C,
    service: &str,
    caller: &Jid,
    limit: Option<u64>,
    offset: u64,
) -> Result<Vec<Listed>, DbErr> {
    let backend = c.get_database_backend();
    let order = match backend {
        DbBackend::Postgres => "r.name COLLATE \"C\"",
        _ => "r.name",
    };
    // SQLite and PostgreSQL both take -1 / NULL as "no limit" differently; i64::MAX suits both.
    let limit = limit.map_or(i64::MAX, |l| l.min(i64::MAX as u64) as i64);
    let offset = offset.min(i64::MAX as u64) as i64;
    let sql = format!(
        "SELECT r.name, r.config, \
             (SELECT COUNT(*) FROM muc_occupants o WHERE o.room_id = r.id) AS users, \
             CASE WHEN {PRIVILEGED} THEN 1 ELSE 0 END AS privileged \
         FROM muc_rooms r \
         WHERE r.service = $1 AND (r.public OR {PRIVILEGED}) \
         ORDER BY {order} LIMIT $3 OFFSET $4"
    );
    let hash = key_hash(&caller.bare_string());
    let rows = ListedRow::find_by_statement(statement(
        backend,
        &sql,
        vec![service.into(), hash.into(), limit.into(), offset.into()],
    ))
    .all(c)
    .await?;
    rows.into_iter()
        .map(|r| {
            let config = serde_json::from_str(&r.config)
                .map_err(|e| corrupt(format!("{} config: {e}", r.name)))?;
            Ok(Listed {
                name: r.name,
                config,
                users: r.users.max(0) as usize,
                privileged: r.privileged != 0,
            })
        })
        .collect()
}

/// How many rooms the user (by bare JID) created that still exist.
pub async fn created_by<C: ConnectionTrait>(c: &C, user: &Jid) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    muc_room::Entity::find()
        .filter(muc_room::Column::CreatorHash.eq(key_hash(&user.bare_string())))
        .count(c)
        .await
}

/// Inserts a new room with its state, created by `creator`; a unique violation means the JID
/// is taken.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    jid: &Jid,
    room: &Room,
    creator: &Jid,
) -> Result<i64, DbErr> {
    let row = muc_room::ActiveModel {
        service: Set(jid.domain().to_string()),
        name: Set(jid.node().to_string()),
        jid_hash: Set(key_hash(&jid.bare_string())),
        config: Set(config_json(&room.config)),
        created_at: Set(crate::db::now_micros()),
        public: Set(room.config.public),
        creator_hash: Set(Some(key_hash(&creator.bare_string()))),
        ..Default::default()
    }
    .insert(c)
    .await?;
    save_members(c, row.id, &Room::default(), room).await?;
    Ok(row.id)
}

/// Writes what changed from `before` to `after`.
pub async fn save<C: ConnectionTrait>(
    c: &C,
    id: i64,
    before: &Room,
    after: &Room,
) -> Result<(), DbErr> {
    if before.config != after.config {
        muc_room::ActiveModel {
            id: Set(id),
            config: Set(config_json(&after.config)),
            public: Set(after.config.public),
            ..Default::default()
        }
        .update(c)
        .await?;
    }
    save_members(c, id, before, after).await
}

/// Writes what changed of the occupants and affiliations.
async fn save_members<C: ConnectionTrait>(
    c: &C,
    id: i64,
    before: &Room,
    after: &Room,
) -> Result<(), DbErr> {
    let old: HashMap<&Jid, &Occupant> = before.occupants.iter().map(|o| (&o.jid, o)).collect();
    let new: HashMap<&Jid, &Occupant> = after.occupants.iter().map(|o| (&o.jid, o)).collect();
    let gone: Vec<String> = old
        .keys()
        .filter(|j| !new.contains_key(*j))
        .map(|j| key_hash(&j.to_string()))
        .collect();
    if !gone.is_empty() {
        muc_occupant::Entity::delete_many()
            .filter(muc_occupant::Column::RoomId.eq(id))
            .filter(muc_occupant::Column::JidHash.is_in(gone))
            .exec(c)
            .await?;
    }
    // New occupants in join order.
    for o in &after.occupants {
        match old.get(&o.jid) {
            None => {
                let jid = o.jid.to_string();
                muc_occupant::ActiveModel {
                    room_id: Set(id),
                    jid_hash: Set(key_hash(&jid)),
                    bare_hash: Set(key_hash(&o.jid.bare_string())),
                    jid: Set(jid),
                    nick: Set(o.nick.clone()),
                    role: Set(o.role.as_str().to_string()),
                    ..Default::default()
                }
                .insert(c)
                .await?;
            }
            Some(prev) if *prev != o => {
                muc_occupant::Entity::update_many()
                    .col_expr(muc_occupant::Column::Nick, o.nick.clone().into())
                    .col_expr(muc_occupant::Column::Role, o.role.as_str().into())
                    .filter(muc_occupant::Column::RoomId.eq(id))
                    .filter(muc_occupant::Column::JidHash.eq(key_hash(&o.jid.to_string())))
                    .exec(c)
                    .await?;
            }
            Some(_) => {}
        }
    }
    for (jid, aff) in &before.affiliations {
        if !after.affiliations.contains_key(jid) {
            muc_affiliation::Entity::delete_by_id((id, key_hash(&jid.bare_string())))
                .exec(c)
                .await?;
        } else if after.affiliations.get(jid) != Some(aff) {
            muc_affiliation::Entity::update_many()
                .col_expr(
                    muc_affiliation::Column::Affiliation,
                    after.affiliations[jid].as_str().into(),
                )
                .filter(muc_affiliation::Column::RoomId.eq(id))
                .filter(muc_affiliation::Column::JidHash.eq(key_hash(&jid.bare_string())))
                .exec(c)
                .await?;
        }
    }
    for (jid, aff) in &after.affiliations {
        if !before.affiliations.contains_key(jid) {
            let s = jid.bare_string();
            muc_affiliation::ActiveModel {
                room_id: Set(id),
                jid_hash: Set(key_hash(&s)),
                jid: Set(s),
                affiliation: Set(aff.as_str().to_string()),
            }
            .insert(c)
            .await?;
        }
    }
    Ok(())
}

/// Deletes the room with its occupants and affiliations (its archive is the caller's).
pub async fn delete<C: ConnectionTrait>(c: &C, id: i64) -> Result<(), DbErr> {
    muc_occupant::Entity::delete_many()
        .filter(muc_occupant::Column::RoomId.eq(id))
        .exec(c)
        .await?;
    muc_affiliation::Entity::delete_many()
        .filter(muc_affiliation::Column::RoomId.eq(id))
        .exec(c)
        .await?;
    muc_room::Entity::delete_by_id(id).exec(c).await.map(drop)
}

/// The rooms where the user is an occupant or has an affiliation, by id.
async fn room_ids_of<C: ConnectionTrait>(c: &C, user: &Jid) -> Result<Vec<i64>, DbErr> {
    let hash = key_hash(&user.bare_string());
    let mut ids: Vec<i64> = muc_occupant::Entity::find()
        .select_only()
        .column(muc_occupant::Column::RoomId)
        .filter(muc_occupant::Column::BareHash.eq(hash.clone()))
        .into_tuple()
        .all(c)
        .await?;
    ids.extend(
        muc_affiliation::Entity::find()
            .select_only()
            .column(muc_affiliation::Column::RoomId)
            .filter(muc_affiliation::Column::JidHash.eq(hash))
            .into_tuple::<i64>()
            .all(c)
            .await?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Locks, in id order, the rooms where the user is an occupant or has an affiliation; answers
/// them (account removal, before it locks the user's row).
pub async fn lock_rooms_of<C: ConnectionTrait>(
    c: &C,
    user: &Jid,
) -> Result<Vec<muc_room::Model>, DbErr> {
    let ids = room_ids_of(c, user).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    muc_room::Entity::find()
        .filter(muc_room::Column::Id.is_in(ids))
        .order_by_asc(muc_room::Column::Id)
        .lock_exclusive()
        .all(c)
        .await
}

/// Whether the user's account exists, its row locked against removal until the transaction
/// ends (a shared lock: the user's other joins go on). Taken after the room's lock, as every
/// transaction locks rooms before users; account removal, which locks the user's row for
/// update, therefore either finishes first (the account is gone) or waits for this join and
/// then removes its occupant too.
///
/// With `exclusive` (a room is being created) the row is locked for update instead, so that
/// the user's concurrent creations take turns and the count of the rooms it created
/// ([`created_by`]) stays exact.
pub async fn lock_account<C: ConnectionTrait>(
    c: &C,
    user: &Jid,
    exclusive: bool,
) -> Result<bool, DbErr> {
    let q = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Server.eq(user.domain()))
        .filter(user::Column::Username.eq(user.node()));
    let q = if exclusive {
        q.lock_exclusive()
    } else {
        q.lock_shared()
    };
    let found = q.into_tuple::<i64>().one(c).await?;
    Ok(found.is_some())
}

/// The room's JID as stored.
pub fn jid_of(row: &muc_room::Model) -> Jid {
    Jid::from_normalized(&row.name, &row.service)
}
