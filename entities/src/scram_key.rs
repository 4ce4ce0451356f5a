//! SCRAM keys of a user, one row per hash (`SCRAM-SHA-1`, `SCRAM-SHA-256`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scram_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The SASL mechanism name the keys are for.
    #[sea_orm(primary_key, auto_increment = false)]
    pub mechanism: String,
    pub salt: Vec<u8>,
    pub iterations: i32,
    /// H(HMAC(SaltedPassword, "Client Key")).
    pub stored_key: Vec<u8>,
    /// HMAC(SaltedPassword, "Server Key").
    pub server_key: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
