//! Inbox: one entry per conversation of a user, with its last message and unread count, in a
//! box (`inbox`, or `bin` for conversations the user left).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbox_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The conversation's other party (a user or a room), bare.
    pub remote: String,
    /// `key_hash(remote)`, unique per user.
    pub remote_hash: String,
    pub r#box: String,
    /// The last message, serialised.
    pub content: String,
    /// The last message's `id` attribute.
    pub msg_id: String,
    pub unread: i64,
    /// When the last message was routed, in microseconds since the epoch.
    pub timestamp: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
