//! MUC Light rooms: the room (its JID, configuration and version), its occupants (local
//! accounts with an affiliation) and the users' blocking lists. Occupants and blocking entries
//! reference `users` and rooms with ON DELETE CASCADE as a safety net; the service deletes
//! them explicitly. Rooms and blocked entities are keyed by a hash of their JID, as a JID can be
//! longer than PostgreSQL can index; queries match the hash and the full value.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum MucLightRooms {
    Table,
    Id,
    Jid,
    JidHash,
    Config,
    Version,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum MucLightOccupants {
    Table,
    RoomId,
    UserId,
    Affiliation,
}

#[derive(DeriveIden, Clone)]
enum MucLightBlocking {
    Table,
    Id,
    UserId,
    Kind,
    Entity,
    EntityHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MucLightRooms::Table)
                    .col(big_pk_auto(MucLightRooms::Id))
                    .col(text(MucLightRooms::Jid))
                    .col(string_len(MucLightRooms::JidHash, 64).unique_key())
                    // A JSON object of the configuration's keys and values (strings).
                    .col(text(MucLightRooms::Config))
                    .col(text(MucLightRooms::Version))
                    .col(big_integer(MucLightRooms::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MucLightOccupants::Table)
                    .col(big_integer(MucLightOccupants::RoomId))
                    .col(big_integer(MucLightOccupants::UserId))
                    .col(string_len(MucLightOccupants::Affiliation, 8))
                    .primary_key(
                        Index::create()
                            .col(MucLightOccupants::RoomId)
                            .col(MucLightOccupants::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("muc_light_occupants_room")
                            .from(MucLightOccupants::Table, MucLightOccupants::RoomId)
                            .to(MucLightRooms::Table, MucLightRooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("muc_light_occupants_user")
                            .from(MucLightOccupants::Table, MucLightOccupants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // listRooms, rooms_in_rosters, account removal: the rooms of a user.
        manager
            .create_index(
                Index::create()
                    .name("muc_light_occupants_user")
                    .table(MucLightOccupants::Table)
                    .col(MucLightOccupants::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MucLightBlocking::Table)
                    .col(big_pk_auto(MucLightBlocking::Id))
                    .col(big_integer(MucLightBlocking::UserId))
                    // `user` or `room`.
                    .col(string_len(MucLightBlocking::Kind, 8))
                    .col(text(MucLightBlocking::Entity))
                    .col(string_len(MucLightBlocking::EntityHash, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .name("muc_light_blocking_user")
                            .from(MucLightBlocking::Table, MucLightBlocking::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("muc_light_blocking_user_entity")
                    .table(MucLightBlocking::Table)
                    .col(MucLightBlocking::UserId)
                    .col(MucLightBlocking::Kind)
                    .col(MucLightBlocking::EntityHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Alias::new("muc_light_blocking"),
            Alias::new("muc_light_occupants"),
            Alias::new("muc_light_rooms"),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
