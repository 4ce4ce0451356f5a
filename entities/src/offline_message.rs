//! Offline storage (XEP-0160): messages kept for a recipient with no available session.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offline_messages")]
pub struct Model {
    /// The message's MAM id (the recipient's archive copy's when `archived`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// The recipient.
    pub user_id: i64,
    /// The author as routed (full JID when it had a resource).
    pub sender: String,
    /// The message element, serialised.
    pub stanza: String,
    /// Whether `id` is the recipient's archive copy (its XEP-0359 stanza-id).
    pub archived: bool,
    /// When it expires (XEP-0023 `jabber:x:expire`), in microseconds since the epoch; null:
    /// never.
    pub expires_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
