//! Upload slots (`mod_http_upload`): one row per URL `getUrl` signed, counted towards the
//! owner's upload quota while the URL may still be used or its file exists.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "upload_files")]
pub struct Model {
    /// The random path segment of the URLs (hex).
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    /// The owner; null once the account is removed (the file is then still to be deleted).
    pub user_id: Option<i64>,
    /// The declared file name (the last segment of the URLs, unescaped).
    pub filename: String,
    /// The declared size, in bytes.
    pub size: i64,
    /// When the PUT URL expires (seconds since the epoch).
    pub expires_at: i64,
    /// The file was stored (local backend), or cannot be known not to be (S3).
    pub completed: bool,
    /// Signed by the admin API for a domain: no owner, no quota, and not abandoned for that.
    pub admin: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
