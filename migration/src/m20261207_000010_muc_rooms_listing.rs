//! Per-user bounds on MUC rooms (issue 19): each room keeps whether it is public (a copy of its
//! configuration's `public`, so that `listRooms` filters and pages in SQL) and who created it
//! (the hash of the creator's bare JID, so that the rooms a user created can be counted).
//! Existing rooms: `public` from their configuration, the creator from their first owner.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum MucRooms {
    Table,
    Public,
    CreatorHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement (SQLite).
        manager
            .alter_table(
                Table::alter()
                    .table(MucRooms::Table)
                    .add_column(
                        ColumnDef::new(MucRooms::Public)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MucRooms::Table)
                    .add_column(ColumnDef::new(MucRooms::CreatorHash).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let public = match backend {
            DbBackend::Postgres => {
                "UPDATE muc_rooms SET public = COALESCE((config::json->>'public')::boolean, true)"
            }
            _ => {
                "UPDATE muc_rooms SET public = \
                 CASE WHEN json_extract(config, '$.public') = 0 THEN 0 ELSE 1 END"
            }
        };
        db.execute_unprepared(public).await?;
        db.execute_unprepared(
            "UPDATE muc_rooms SET creator_hash = (SELECT MIN(a.jid_hash) FROM muc_affiliations a \
             WHERE a.room_id = muc_rooms.id AND a.affiliation = 'owner')",
        )
        .await?;
        // listRooms: a service's rooms in byte order of their names (PostgreSQL's default
        // collation may differ, hence "C"), and the count of its public rooms.
        let listing = match backend {
            DbBackend::Postgres => {
                "CREATE INDEX muc_rooms_listing ON muc_rooms (service, name COLLATE \"C\")"
            }
            _ => "CREATE INDEX muc_rooms_listing ON muc_rooms (service, name)",
        };
        db.execute_unprepared(listing).await?;
        db.execute_unprepared("CREATE INDEX muc_rooms_public ON muc_rooms (service, public)")
            .await?;
        db.execute_unprepared("CREATE INDEX muc_rooms_creator ON muc_rooms (creator_hash)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for index in ["muc_rooms_listing", "muc_rooms_public", "muc_rooms_creator"] {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        for column in [MucRooms::CreatorHash, MucRooms::Public] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MucRooms::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
