//! The revocation cutoffs of a removed user's tokens, kept (under a hash of the JID) until the
//! last of them has expired, so that an account registered again under the same name does
//! not accept them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "token_tombstones")]
pub struct Model {
    /// Hex SHA-256 of the bare JID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub owner_hash: String,
    pub access_cutoff: i64,
    pub refresh_cutoff: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
