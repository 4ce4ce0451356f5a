//! MUC Light blocking lists: one row per entity a user denies (users who may not add them to
//! rooms, rooms they may not be added to). `ALLOW` entries are never stored.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "muc_light_blocking")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// `user` or `room`.
    pub kind: String,
    /// The blocked bare JID.
    pub entity: String,
    /// [`crate::key_hash`] of `entity`; unique per (user, kind).
    pub entity_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
