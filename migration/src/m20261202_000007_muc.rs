//! Classic MUC rooms: the room (its service, name and configuration), its occupants (real JIDs
//! with a nick and a role, in join order) and its affiliations (bare JIDs, which need not be
//! accounts of this server). Occupants and affiliations reference the room with ON DELETE
//! CASCADE as a safety net; the service deletes them explicitly. JIDs are keyed by a hash, as a
//! JID can be longer than PostgreSQL can index; queries match the hash and the full value.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum MucRooms {
    Table,
    Id,
    Service,
    Name,
    JidHash,
    Config,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum MucOccupants {
    Table,
    Id,
    RoomId,
    Jid,
    JidHash,
    BareHash,
    Nick,
    Role,
}

#[derive(DeriveIden, Clone)]
enum MucAffiliations {
    Table,
    RoomId,
    Jid,
    JidHash,
    Affiliation,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MucRooms::Table)
                    .col(big_pk_auto(MucRooms::Id))
                    .col(text(MucRooms::Service))
                    .col(text(MucRooms::Name))
                    .col(string_len(MucRooms::JidHash, 64).unique_key())
                    // A JSON object of the configuration (the API's field names).
                    .col(text(MucRooms::Config))
                    .col(big_integer(MucRooms::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // listRooms: the rooms of a service.
        manager
            .create_index(
                Index::create()
                    .name("muc_rooms_service")
                    .table(MucRooms::Table)
                    .col(MucRooms::Service)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MucOccupants::Table)
                    // Join order.
                    .col(big_pk_auto(MucOccupants::Id))
                    .col(big_integer(MucOccupants::RoomId))
                    .col(text(MucOccupants::Jid))
                    .col(string_len(MucOccupants::JidHash, 64))
                    .col(string_len(MucOccupants::BareHash, 64))
                    .col(text(MucOccupants::Nick))
                    .col(string_len(MucOccupants::Role, 16))
                    .foreign_key(
                        ForeignKey::create()
                            .name("muc_occupants_room")
                            .from(MucOccupants::Table, MucOccupants::RoomId)
                            .to(MucRooms::Table, MucRooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("muc_occupants_room_jid")
                    .table(MucOccupants::Table)
                    .col(MucOccupants::RoomId)
                    .col(MucOccupants::JidHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Account removal: the rooms a user is in.
        manager
            .create_index(
                Index::create()
                    .name("muc_occupants_bare")
                    .table(MucOccupants::Table)
                    .col(MucOccupants::BareHash)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MucAffiliations::Table)
                    .col(big_integer(MucAffiliations::RoomId))
                    .col(text(MucAffiliations::Jid))
                    .col(string_len(MucAffiliations::JidHash, 64))
                    .col(string_len(MucAffiliations::Affiliation, 16))
                    .primary_key(
                        Index::create()
                            .col(MucAffiliations::RoomId)
                            .col(MucAffiliations::JidHash),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("muc_affiliations_room")
                            .from(MucAffiliations::Table, MucAffiliations::RoomId)
                            .to(MucRooms::Table, MucRooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Account removal: the rooms a user is affiliated with.
        manager
            .create_index(
                Index::create()
                    .name("muc_affiliations_jid")
                    .table(MucAffiliations::Table)
                    .col(MucAffiliations::JidHash)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Alias::new("muc_affiliations"),
            Alias::new("muc_occupants"),
            Alias::new("muc_rooms"),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
