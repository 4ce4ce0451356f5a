//! The archive of group chat rooms (MUC and MUC Light): one row per message sent to a room,
//! under the room's JID. Rooms are keyed by a hash of their JID, as a JID can be longer than
//! PostgreSQL can index; queries match the hash and the full value.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum MamRoomMessages {
    Table,
    Id,
    Room,
    RoomHash,
    Sender,
    Author,
    Stanza,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MamRoomMessages::Table)
                    // The MAM id: microseconds since the epoch << 8 | node number.
                    .col(big_integer(MamRoomMessages::Id).primary_key())
                    .col(text(MamRoomMessages::Room))
                    .col(string_len(MamRoomMessages::RoomHash, 64))
                    .col(text(MamRoomMessages::Sender))
                    .col(text(MamRoomMessages::Author))
                    .col(text(MamRoomMessages::Stanza))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mam_room_messages_room_id")
                    .table(MamRoomMessages::Table)
                    .col(MamRoomMessages::RoomHash)
                    .col(MamRoomMessages::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MamRoomMessages::Table).to_owned())
            .await
    }
}
