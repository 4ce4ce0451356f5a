//! Roster items: one row per (owner, contact JID). The contact is the normalised JID, resource
//! included when one was given (a full-JID contact is a separate item).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roster_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub contact: String,
    /// [`crate::key_hash`] of `contact`; unique per user.
    pub contact_hash: String,
    pub name: String,
    /// `none`, `to`, `from` or `both`.
    pub subscription: String,
    /// `none`, `in`, `out` or `both`.
    pub ask: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::roster_group::Entity")]
    Groups,
}

impl Related<super::roster_group::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Groups.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
