//! XEP-0160 offline storage: messages that reached no available session of their recipient,
//! kept until the recipient's XMPP client sends initial presence. The key is the message's
//! MAM id (the recipient's archive copy when archived), so rows order as the archive does.
//! `user_id` references `users` with ON DELETE CASCADE as a safety net; account removal deletes
//! the rows explicitly as well.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum OfflineMessages {
    Table,
    Id,
    UserId,
    Sender,
    Stanza,
    Archived,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OfflineMessages::Table)
                    .col(big_integer(OfflineMessages::Id).primary_key())
                    .col(big_integer(OfflineMessages::UserId))
                    .col(text(OfflineMessages::Sender))
                    .col(text(OfflineMessages::Stanza))
                    .col(boolean(OfflineMessages::Archived))
                    .foreign_key(
                        ForeignKey::create()
                            .name("offline_messages_user")
                            .from(OfflineMessages::Table, OfflineMessages::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("offline_messages_user_id")
                    .table(OfflineMessages::Table)
                    .col(OfflineMessages::UserId)
                    .col(OfflineMessages::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OfflineMessages::Table).to_owned())
            .await
    }
}
