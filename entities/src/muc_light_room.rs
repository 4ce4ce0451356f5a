//! MUC Light rooms: one row per room.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "muc_light_rooms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The room's bare JID (`room@muclight.host`).
    pub jid: String,
    /// [`crate::key_hash`] of `jid`; unique.
    pub jid_hash: String,
    /// The configuration: a JSON object of keys and values, every value a string.
    pub config: String,
    /// Changes with every change of the configuration or the occupants (MUC Light's
    /// `<version/>`).
    pub version: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::muc_light_occupant::Entity")]
    Occupants,
}

impl Related<super::muc_light_occupant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Occupants.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
