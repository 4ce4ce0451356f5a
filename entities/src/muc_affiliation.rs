//! Classic MUC affiliations: one row per (room, bare JID); `none` is never stored.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "muc_affiliations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: i64,
    /// [`crate::key_hash`] of `jid`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub jid_hash: String,
    /// A bare JID.
    pub jid: String,
    /// `owner`, `admin`, `member` or `outcast`.
    pub affiliation: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
