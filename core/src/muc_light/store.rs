//! Persistence of rooms, occupants and blocking lists, inside the caller's transaction. A room
//! about to change is read with its row locked ([`load`] with `lock`), so changes of one room
//! are serialised on every node; SQLite's write transactions are exclusive already.
//!
//! Lock order: rooms (by id) before users. Writing a room's inbox rows and occupants checks
//! foreign keys, which takes a key-share lock on the occupants' user rows while the room is
//! locked; account removal therefore locks the user's rooms before the user
//! ([`lock_rooms_of`]), and the user rows this module locks itself (an invitee's, a creator's,
//! a blocking list owner's) are taken after any room and in the mode that does not conflict
//! with key-share locks ([`lock_user_row`]).

use std::collections::BTreeMap;

use mimql_entities::{key_hash, muc_light_blocking, muc_light_occupant, muc_light_room, user};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::blocking::{Denial, Kind};
use super::config::{RoomConfig, Schema};
use super::room::{Affiliation, Occupant, Room};
use crate::jid::Jid;

/// A room as read: its row, its occupants and their account ids.
pub struct Loaded {
    pub row: muc_light_room::Model,
    pub room: Room,
    ids: Vec<(Jid, i64)>,
}

impl Loaded {
    /// The account id of an occupant.
    pub fn id_of(&self, jid: &Jid) -> Option<i64> {
        let bare = jid.to_bare();
        self.ids.iter().find(|(j, _)| *j == bare).map(|(_, id)| *id)
    }

    /// The occupants with their account ids, sorted by JID.
    pub fn occupants(&self) -> impl Iterator<Item = (&Occupant, i64)> + '_ {
        self.room
            .occupants()
            .iter()
            .filter_map(|o| self.id_of(&o.jid).map(|id| (o, id)))
    }

    /// The stored configuration as the schema sees it (see [`config_of`]).
    pub fn config(&self, schema: &Schema) -> Result<RoomConfig, DbErr> {
        config_of(&self.row, schema)
    }
}

/// A stored configuration over the schema's defaults: keys the schema no longer has are left
/// out, keys it gained since have their defaults.
pub fn config_of(row: &muc_light_room::Model, schema: &Schema) -> Result<RoomConfig, DbErr> {
    let stored: BTreeMap<String, String> = serde_json::from_str(&row.config)
        .map_err(|e| DbErr::Custom(format!("room {}: stored configuration: {e}", row.jid)))?;
    let mut config = schema.defaults();
    for (k, v) in stored {
        if let Some(slot) = config.get_mut(&k) {
            *slot = v;
        }
    }
    Ok(config)
}

fn config_json(config: &RoomConfig) -> String {
    serde_json::to_string(config).unwrap_or_else(|_| "{}".to_string())
}

fn by_jid(room: &Jid) -> Condition {
    let jid = room.bare_string();
    Condition::all()
        .add(muc_light_room::Column::JidHash.eq(key_hash(&jid)))
        .add(muc_light_room::Column::Jid.eq(jid))
}

pub async fn exists<C: ConnectionTrait>(c: &C, room: &Jid) -> Result<bool, DbErr> {
    Ok(muc_light_room::Entity::find()
        .filter(by_jid(room))
        .count(c)
        .await?
        > 0)
}

/// The room with its occupants; with `lock`, the room's row stays locked until the transaction
/// ends.
pub async fn load<C: ConnectionTrait>(
    c: &C,
    room: &Jid,
    lock: bool,
) -> Result<Option<Loaded>, DbErr> {
    let mut q = muc_light_room::Entity::find().filter(by_jid(room));
    if lock {
        q = q.lock_exclusive();
    }
    let Some(row) = q.one(c).await? else {
        return Ok(None);
    };
    let (occupants, ids) = occupants_of(c, row.id).await?;
    Ok(Some(Loaded {
        row,
        room: Room::new(occupants),
        ids,
    }))
}

async fn occupants_of<C: ConnectionTrait>(
    c: &C,
    room_id: i64,
) -> Result<(Vec<Occupant>, Vec<(Jid, i64)>), DbErr> {
    let rows: Vec<(i64, String, String, String)> = muc_light_occupant::Entity::find()
        .select_only()
        .column(muc_light_occupant::Column::UserId)
        .column(muc_light_occupant::Column::Affiliation)
        .column(user::Column::Username)
        .column(user::Column::Server)
        .inner_join(user::Entity)
        .filter(muc_light_occupant::Column::RoomId.eq(room_id))
        .into_tuple()
        .all(c)
        .await?;
    let mut occupants = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for (id, aff, username, server) in rows {
        let affiliation = Affiliation::parse(&aff)
            .ok_or_else(|| DbErr::Custom(format!("room {room_id}: affiliation {aff:?}")))?;
        let jid = Jid::from_normalized(&username, &server);
        ids.push((jid.clone(), id));
        occupants.push(Occupant { jid, affiliation });
    }
    Ok((occupants, ids))
}

/// Inserts a room with its creator; a unique violation means the JID is taken.
pub async fn insert_room<C: ConnectionTrait>(
    c: &C,
    room: &Jid,
    config: &RoomConfig,
    version: &str,
    creator: i64,
    affiliation: Affiliation,
) -> Result<i64, DbErr> {
    let jid = room.bare_string();
    let row = muc_light_room::ActiveModel {
        jid_hash: Set(key_hash(&jid)),
        jid: Set(jid),
        config: Set(config_json(config)),
        version: Set(version.to_string()),
        created_at: Set(crate::db::now_micros()),
        ..Default::default()
    }
    .insert(c)
    .await?;
    add_occupant(c, row.id, creator, affiliation).await?;
    Ok(row.id)
}

pub async fn add_occupant<C: ConnectionTrait>(
    c: &C,
    room_id: i64,
    user_id: i64,
    affiliation: Affiliation,
) -> Result<(), DbErr> {
    muc_light_occupant::ActiveModel {
        room_id: Set(room_id),
        user_id: Set(user_id),
        affiliation: Set(affiliation.as_str().to_string()),
    }
    .insert(c)
    .await
    .map(drop)
}

pub async fn set_affiliation<C: ConnectionTrait>(
    c: &C,
    room_id: i64,
    user_id: i64,
    affiliation: Affiliation,
) -> Result<(), DbErr> {
    muc_light_occupant::ActiveModel {
        room_id: Set(room_id),
        user_id: Set(user_id),
        affiliation: Set(affiliation.as_str().to_string()),
    }
    .update(c)
    .await
    .map(drop)
}

pub async fn remove_occupant<C: ConnectionTrait>(
    c: &C,
    room_id: i64,
    user_id: i64,
) -> Result<(), DbErr> {
    muc_light_occupant::Entity::delete_by_id((room_id, user_id))
        .exec(c)
        .await
        .map(drop)
}

/// Stores a new version, and a new configuration when given.
pub async fn update_room<C: ConnectionTrait>(
    c: &C,
    room_id: i64,
    config: Option<&RoomConfig>,
    version: &str,
) -> Result<(), DbErr> {
    let mut row = muc_light_room::ActiveModel {
        id: Set(room_id),
        version: Set(version.to_string()),
        ..Default::default()
    };
    if let Some(config) = config {
        row.config = Set(config_json(config));
    }
    row.update(c).await.map(drop)
}

/// Deletes the room and its occupants (its archive and inbox entries are the caller's).
pub async fn delete_room<C: ConnectionTrait>(c: &C, room_id: i64) -> Result<(), DbErr> {
    muc_light_occupant::Entity::delete_many()
        .filter(muc_light_occupant::Column::RoomId.eq(room_id))
        .exec(c)
        .await?;
    muc_light_room::Entity::delete_by_id(room_id)
        .exec(c)
        .await
        .map(drop)
}

/// How many rooms the user occupies.
pub async fn room_count<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<u64, DbErr> {
    muc_light_occupant::Entity::find()
        .filter(muc_light_occupant::Column::UserId.eq(user_id))
        .count(c)
        .await
}

/// The rooms the user occupies, by id (the order locks are taken in).
pub async fn rooms_of<C: ConnectionTrait>(
    c: &C,
    user_id: i64,
) -> Result<Vec<muc_light_room::Model>, DbErr> {
    muc_light_room::Entity::find()
        .inner_join(muc_light_occupant::Entity)
        .filter(muc_light_occupant::Column::UserId.eq(user_id))
        .order_by_asc(muc_light_room::Column::Id)
        .all(c)
        .await
}

/// Locks a user's row against other changes of its rooms and blocking list (`FOR NO KEY
/// UPDATE`, which lets foreign-key checks through); `false` when the account is gone (removed
/// while this transaction waited).
pub async fn lock_user_row<C: ConnectionTrait>(c: &C, id: i64) -> Result<bool, DbErr> {
    let found = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.eq(id))
        .lock(LockType::NoKeyUpdate)
        .into_tuple::<i64>()
        .one(c)
        .await?;
    Ok(found.is_some())
}

/// Locks the rooms the user occupies (account removal, before it locks the user's row).
pub async fn lock_rooms_of<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    let ids: Vec<i64> = rooms_of(c, user_id).await?.iter().map(|r| r.id).collect();
    lock_rooms(c, &ids).await
}

/// Locks rooms' rows in id order (so that two transactions cannot deadlock).
pub async fn lock_rooms<C: ConnectionTrait>(c: &C, ids: &[i64]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    muc_light_room::Entity::find()
        .select_only()
        .column(muc_light_room::Column::Id)
        .filter(muc_light_room::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(muc_light_room::Column::Id)
        .lock_exclusive()
        .into_tuple::<i64>()
        .all(c)
        .await
        .map(drop)
}

fn denial_of(row: muc_light_blocking::Model) -> Option<(i64, Denial)> {
    let kind = Kind::parse(&row.kind)?;
    let entity = Jid::parse_any(&row.entity).ok()?;
    Some((row.id, Denial { kind, entity }))
}

/// The user's blocking list in storage order, with row ids.
pub async fn denials<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<Vec<(i64, Denial)>, DbErr> {
    let rows = muc_light_blocking::Entity::find()
        .filter(muc_light_blocking::Column::UserId.eq(user_id))
        .order_by_asc(muc_light_blocking::Column::Id)
        .all(c)
        .await?;
    Ok(rows.into_iter().filter_map(denial_of).collect())
}

/// The user's denials that could concern `inviter` adding them to `room`.
pub async fn denials_for<C: ConnectionTrait>(
    c: &C,
    user_id: i64,
    inviter: &Jid,
    room: &Jid,
) -> Result<Vec<Denial>, DbErr> {
    let entry = |kind: Kind, jid: &Jid| {
        Condition::all()
            .add(muc_light_blocking::Column::Kind.eq(kind.as_str()))
            .add(muc_light_blocking::Column::EntityHash.eq(key_hash(&jid.bare_string())))
    };
    let rows = muc_light_blocking::Entity::find()
        .filter(muc_light_blocking::Column::UserId.eq(user_id))
        .filter(
            Condition::any()
                .add(entry(Kind::User, inviter))
                .add(entry(Kind::Room, room)),
        )
        .all(c)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(denial_of)
        .map(|(_, d)| d)
        .collect())
}

pub async fn insert_denial<C: ConnectionTrait>(
    c: &C,
    user_id: i64,
    d: &Denial,
) -> Result<(), DbErr> {
    let entity = d.entity.bare_string();
    muc_light_blocking::ActiveModel {
        user_id: Set(user_id),
        kind: Set(d.kind.as_str().to_string()),
        entity_hash: Set(key_hash(&entity)),
        entity: Set(entity),
        ..Default::default()
    }
    .insert(c)
    .await
    .map(drop)
}

pub async fn delete_denials<C: ConnectionTrait>(c: &C, ids: Vec<i64>) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    muc_light_blocking::Entity::delete_many()
        .filter(muc_light_blocking::Column::Id.is_in(ids))
        .exec(c)
        .await
        .map(drop)
}

pub async fn delete_user_denials<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    muc_light_blocking::Entity::delete_many()
        .filter(muc_light_blocking::Column::UserId.eq(user_id))
        .exec(c)
        .await
        .map(drop)
}
