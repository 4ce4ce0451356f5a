//! XEP-0191 blocking command: each user's own list of blocked JIDs (bare, full, domain or
//! domain/resource), apart from the MUC Light blocking lists. The unique key is on the hash of
//! the JID (a JID may be longer than PostgreSQL can index). `user_id` references `users` with
//! ON DELETE CASCADE as a safety net; account removal deletes the rows explicitly as well.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum BlockingItems {
    Table,
    Id,
    UserId,
    Jid,
    JidHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BlockingItems::Table)
                    .col(big_pk_auto(BlockingItems::Id))
                    .col(big_integer(BlockingItems::UserId))
                    .col(text(BlockingItems::Jid))
                    .col(string_len(BlockingItems::JidHash, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .name("blocking_items_user")
                            .from(BlockingItems::Table, BlockingItems::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("blocking_items_user_jid")
                    .table(BlockingItems::Table)
                    .col(BlockingItems::UserId)
                    .col(BlockingItems::JidHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BlockingItems::Table).to_owned())
            .await
    }
}
