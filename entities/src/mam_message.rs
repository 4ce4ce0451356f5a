//! The personal message archive (MAM): one row per message per participant that keeps an
//! archive, the sender's copy and the recipient's.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mam_messages")]
pub struct Model {
    /// The MAM id: microseconds since the epoch << 8 | the node's number.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// The archive's owner.
    pub user_id: i64,
    /// The other party, bare.
    pub peer: String,
    /// `key_hash(peer)`, for the index.
    pub peer_hash: String,
    /// The other party's resource, empty when it had none.
    pub peer_resource: String,
    /// Sent by the owner (`true`) or received.
    pub outgoing: bool,
    /// The author as routed (full JID when it had a resource).
    pub sender: String,
    /// The stanza's `id` attribute.
    pub origin_id: String,
    /// The message element, serialised.
    pub stanza: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
