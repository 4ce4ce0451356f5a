//! Room archives (MUC and MUC Light, the reference's `mod_mam_muc`): every message a room
//! broadcasts is kept once under the room's JID. The room services write rows inside their own
//! transactions ([`append`]) with ids from the shared [`super::IdGenerator`]; readers page them
//! with [`RoomArchive::messages`]. Deleting a room deletes its archive ([`remove_room`]).

use mimql_entities::{key_hash, mam_room_message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{ArchiveError, Archived, MamId};
use crate::jid::Jid;

/// One message to keep.
pub struct RoomEntry<'a> {
    /// The room (bare).
    pub room: &'a Jid,
    /// The source as the room sends it (`room/nick`).
    pub sender: &'a Jid,
    /// The author's real JID (bare).
    pub author: &'a Jid,
    pub stanza: &'a str,
}

pub async fn append<C: ConnectionTrait>(c: &C, id: MamId, e: RoomEntry<'_>) -> Result<(), DbErr> {
    let room = e.room.bare_string();
    mam_room_message::ActiveModel {
        id: Set(id.0),
        room_hash: Set(key_hash(&room)),
        room: Set(room),
        sender: Set(e.sender.to_string()),
        author: Set(e.author.bare_string()),
        stanza: Set(e.stanza.to_string()),
    }
    .insert(c)
    .await?;
    crate::metrics::messages_archived(1);
    Ok(())
}

/// Deletes a room's archive (the room was destroyed), in the caller's transaction.
pub async fn remove_room<C: ConnectionTrait>(c: &C, room: &Jid) -> Result<(), DbErr> {
    let room = room.bare_string();
    mam_room_message::Entity::delete_many()
        .filter(mam_room_message::Column::RoomHash.eq(key_hash(&room)))
        .filter(mam_room_message::Column::Room.eq(room))
        .exec(c)
        .await
        .map(drop)
}

pub struct RoomArchive {
    db: DatabaseConnection,
}

impl RoomArchive {
    pub fn new(db: DatabaseConnection) -> RoomArchive {
        RoomArchive { db }
    }

    /// The newest `limit` messages of the room archived at or before `before_micros` (when
    /// given), oldest first.
    pub async fn messages(
        &self,
        room: &Jid,
        before_micros: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Archived>, ArchiveError> {
        let room = room.bare_string();
        let mut q = mam_room_message::Entity::find()
            .select_only()
            .columns([
                mam_room_message::Column::Id,
                mam_room_message::Column::Sender,
                mam_room_message::Column::Stanza,
            ])
            .filter(mam_room_message::Column::RoomHash.eq(key_hash(&room)))
            .filter(mam_room_message::Column::Room.eq(room));
        if let Some(before) = before_micros {
            q = q.filter(mam_room_message::Column::Id.lte(MamId::upper_bound(before).0));
        }
        let rows = q
            .order_by_desc(mam_room_message::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(super::oldest_first(rows))
    }
}
