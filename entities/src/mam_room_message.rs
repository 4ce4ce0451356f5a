//! The archive of group chat rooms (MUC and MUC Light): one row per message sent to a room.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mam_room_messages")]
pub struct Model {
    /// The MAM id: microseconds since the epoch << 8 | the node's number.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// The room's bare JID.
    pub room: String,
    /// `key_hash(room)`, for the index.
    pub room_hash: String,
    /// The message's source as the room sends it (`room@service/nick`, or the room itself).
    pub sender: String,
    /// The real bare JID of the author (for account removal; never shown to readers).
    pub author: String,
    /// The message element, serialised.
    pub stanza: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
