//! A user's token state (`mod_auth_token`): created by the first `requestToken`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The current sequence number: refresh tokens carrying a lower one are revoked.
    pub seq_no: i64,
    /// Access tokens expiring at or before this time (Gregorian seconds) are revoked.
    pub access_cutoff: i64,
    /// Refresh tokens expiring at or before this time (Gregorian seconds) are revoked.
    pub refresh_cutoff: i64,
    /// The latest expiry of an access token issued so far (what a revocation cuts off).
    pub access_issued: i64,
    /// The latest expiry of a refresh token issued so far.
    pub refresh_issued: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
