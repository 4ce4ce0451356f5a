//! Roster, vCard, private storage and last activity. Every table references `users` with
//! ON DELETE CASCADE as a safety net; `unregister` deletes the rows explicitly as well.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum RosterItems {
    Table,
    Id,
    UserId,
    Contact,
    Name,
    Subscription,
    Ask,
}

#[derive(DeriveIden, Clone)]
enum RosterGroups {
    Table,
    Id,
    ItemId,
    Position,
    Name,
}

#[derive(DeriveIden, Clone)]
enum Vcards {
    Table,
    UserId,
    Xml,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum PrivateStorage {
    Table,
    Id,
    UserId,
    Namespace,
    Xml,
}

#[derive(DeriveIden, Clone)]
enum LastActivity {
    Table,
    UserId,
    Seconds,
    Status,
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
                    .table(RosterItems::Table)
                    .col(big_pk_auto(RosterItems::Id))
                    .col(big_integer(RosterItems::UserId))
                    .col(text(RosterItems::Contact))
                    .col(text(RosterItems::Name))
                    .col(string_len(RosterItems::Subscription, 8))
                    .col(string_len(RosterItems::Ask, 8))
                    .foreign_key(&mut user_fk(RosterItems::Table, "roster_items_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("roster_items_user_contact")
                    .table(RosterItems::Table)
                    .col(RosterItems::UserId)
                    .col(RosterItems::Contact)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("roster_items_contact")
                    .table(RosterItems::Table)
                    .col(RosterItems::Contact)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RosterGroups::Table)
                    .col(big_pk_auto(RosterGroups::Id))
                    .col(big_integer(RosterGroups::ItemId))
                    .col(integer(RosterGroups::Position))
                    .col(text(RosterGroups::Name))
                    .foreign_key(
                        ForeignKey::create()
                            .name("roster_groups_item")
                            .from(RosterGroups::Table, RosterGroups::ItemId)
                            .to(RosterItems::Table, RosterItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("roster_groups_item_position")
                    .table(RosterGroups::Table)
                    .col(RosterGroups::ItemId)
                    .col(RosterGroups::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Vcards::Table)
                    .col(big_integer(Vcards::UserId).primary_key())
                    .col(text(Vcards::Xml))
                    .col(big_integer(Vcards::UpdatedAt))
                    .foreign_key(&mut user_fk(Vcards::Table, "vcards_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PrivateStorage::Table)
                    .col(big_pk_auto(PrivateStorage::Id))
                    .col(big_integer(PrivateStorage::UserId))
                    .col(text(PrivateStorage::Namespace))
                    .col(text(PrivateStorage::Xml))
                    .foreign_key(&mut user_fk(PrivateStorage::Table, "private_storage_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("private_storage_user_namespace")
                    .table(PrivateStorage::Table)
                    .col(PrivateStorage::UserId)
                    .col(PrivateStorage::Namespace)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LastActivity::Table)
                    .col(big_integer(LastActivity::UserId).primary_key())
                    .col(big_integer(LastActivity::Seconds))
                    .col(text(LastActivity::Status))
                    .foreign_key(&mut user_fk(LastActivity::Table, "last_activity_user"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Alias::new("last_activity"),
            Alias::new("private_storage"),
            Alias::new("vcards"),
            Alias::new("roster_groups"),
            Alias::new("roster_items"),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
