//! XEP-0191 blocking lists: one row per JID a user blocks (bare, full, domain, or
//! domain/resource), kept apart from the MUC Light blocking lists.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "blocking_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The blocked JID, normalised.
    pub jid: String,
    /// [`crate::key_hash`] of `jid`; unique per user.
    pub jid_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
