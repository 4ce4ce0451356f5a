//! Accounts: one row per registered user.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Nodeprepped local part.
    pub username: String,
    /// Nameprepped domain, one of the served hosts.
    pub server: String,
    /// PHC string of a salted slow hash (argon2id).
    pub password_hash: String,
    pub created_at: i64,
    /// The roster's version (RFC 6121 §2.6): bumped with every change to the user's roster.
    pub roster_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
