//! Messaging: the personal message archive (MAM) and the inbox. Both reference `users` with
//! ON DELETE CASCADE as a safety net; account removal deletes the rows explicitly as well.
//! Peers are indexed by a hash of the bare JID (`key_hash`), as a JID can be longer than
//! PostgreSQL can index; queries match the hash and the full value.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum MamMessages {
    Table,
    Id,
    UserId,
    Peer,
    PeerHash,
    PeerResource,
    Outgoing,
    Sender,
    OriginId,
    Stanza,
}

#[derive(DeriveIden, Clone)]
enum InboxEntries {
    Table,
    Id,
    UserId,
    Remote,
    RemoteHash,
    Box,
    Content,
    MsgId,
    Unread,
    Timestamp,
}

fn user_fk(table: impl IntoIden + Clone, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, Alias::new("user_id"))
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MamMessages::Table)
                    // The MAM id: microseconds since the epoch << 8 | node number.
                    .col(big_integer(MamMessages::Id).primary_key())
                    .col(big_integer(MamMessages::UserId))
                    .col(text(MamMessages::Peer))
                    .col(string_len(MamMessages::PeerHash, 64))
                    .col(text(MamMessages::PeerResource))
                    .col(boolean(MamMessages::Outgoing))
                    .col(text(MamMessages::Sender))
                    .col(text(MamMessages::OriginId))
                    .col(text(MamMessages::Stanza))
                    .foreign_key(&mut user_fk(MamMessages::Table, "mam_messages_user"))
                    .to_owned(),
            )
            .await?;
        // getLastMessages: newest first within the owner's archive, with or without a peer.
        manager
            .create_index(
                Index::create()
                    .name("mam_messages_user_id")
                    .table(MamMessages::Table)
                    .col(MamMessages::UserId)
                    .col(MamMessages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mam_messages_user_peer_id")
                    .table(MamMessages::Table)
                    .col(MamMessages::UserId)
                    .col(MamMessages::PeerHash)
                    .col(MamMessages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InboxEntries::Table)
                    .col(big_pk_auto(InboxEntries::Id))
                    .col(big_integer(InboxEntries::UserId))
                    .col(text(InboxEntries::Remote))
                    .col(string_len(InboxEntries::RemoteHash, 64))
                    .col(string_len(InboxEntries::Box, 16))
                    .col(text(InboxEntries::Content))
                    .col(text(InboxEntries::MsgId))
                    .col(big_integer(InboxEntries::Unread))
                    .col(big_integer(InboxEntries::Timestamp))
                    .foreign_key(&mut user_fk(InboxEntries::Table, "inbox_entries_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inbox_entries_user_remote")
                    .table(InboxEntries::Table)
                    .col(InboxEntries::UserId)
                    .col(InboxEntries::RemoteHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inbox_entries_user_box_time")
                    .table(InboxEntries::Table)
                    .col(InboxEntries::UserId)
                    .col(InboxEntries::Box)
                    .col(InboxEntries::Timestamp)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InboxEntries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MamMessages::Table).to_owned())
            .await
    }
}
