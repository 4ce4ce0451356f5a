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
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
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

/// Every room of a service with its state, by name.
pub async fn rooms_of_service<C: ConnectionTrait>(
    c: &C,
    service: &str,
) -> Result<Vec<(String, Room)>, DbErr> {
    let rows = muc_room::Entity::find()
        .filter(muc_room::Column::Service.eq(service))
        .order_by_asc(muc_room::Column::Name)
        .all(c)
        .await?;
    let mut rooms: Vec<(String, Room)> = states(c, rows)
        .await?
        .into_iter()
        .map(|(row, room)| (row.name, room))
        .collect();
    // Byte order on every database (PostgreSQL's collation may differ).
    rooms.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(rooms)
}

/// Inserts a new room with its state; a unique violation means the JID is taken.
pub async fn insert<C: ConnectionTrait>(c: &C, jid: &Jid, room: &Room) -> Result<i64, DbErr> {
    let row = muc_room::ActiveModel {
        service: Set(jid.domain().to_string()),
        name: Set(jid.node().to_string()),
        jid_hash: Set(key_hash(&jid.bare_string())),
        config: Set(config_json(&room.config)),
        created_at: Set(crate::db::now_micros()),
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
pub async fn lock_account<C: ConnectionTrait>(c: &C, user: &Jid) -> Result<bool, DbErr> {
    let found = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Server.eq(user.domain()))
        .filter(user::Column::Username.eq(user.node()))
        .lock_shared()
        .into_tuple::<i64>()
        .one(c)
        .await?;
    Ok(found.is_some())
}

/// The room's JID as stored.
pub fn jid_of(row: &muc_room::Model) -> Jid {
    Jid::from_normalized(&row.name, &row.service)
}
