//! Classic MUC occupants: one row per (room, real JID), in join order (`id`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "muc_occupants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub room_id: i64,
    /// The occupant's real JID (full, or bare for a room's creator).
    pub jid: String,
    /// [`crate::key_hash`] of `jid`; unique per room.
    pub jid_hash: String,
    /// [`crate::key_hash`] of the bare JID.
    pub bare_hash: String,
    pub nick: String,
    /// `visitor`, `participant` or `moderator`.
    pub role: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
