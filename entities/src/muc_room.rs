//! Classic MUC rooms: one row per room.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "muc_rooms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The MUC service (`muc.host`).
    pub service: String,
    /// The room's local part.
    pub name: String,
    /// [`crate::key_hash`] of the room's bare JID; unique.
    pub jid_hash: String,
    /// The configuration: a JSON object with the API's field names.
    pub config: String,
    pub created_at: i64,
    /// A copy of the configuration's `public` (listRooms filters on it).
    pub public: bool,
    /// [`crate::key_hash`] of the creator's bare JID (`max_muc_rooms_per_user`); `NULL` for a
    /// room created before it was kept and without an owner then.
    pub creator_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
