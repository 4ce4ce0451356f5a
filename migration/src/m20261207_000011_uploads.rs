//! Upload slots: one row per URL `getUrl` signed, kept while it counts towards its owner's
//! upload quota (until its PUT URL has expired unused, or the file is removed with the
//! account). `user_id` is null once the account is gone: the file is still to be deleted.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum UploadFiles {
    Table,
    Token,
    UserId,
    Filename,
    Size,
    ExpiresAt,
    Completed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UploadFiles::Table)
                    .col(string_len(UploadFiles::Token, 128).primary_key())
                    .col(big_integer_null(UploadFiles::UserId))
                    .col(text(UploadFiles::Filename))
                    .col(big_integer(UploadFiles::Size))
                    .col(big_integer(UploadFiles::ExpiresAt))
                    .col(boolean(UploadFiles::Completed))
                    .foreign_key(
                        ForeignKey::create()
                            .name("upload_files_user")
                            .from(UploadFiles::Table, UploadFiles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("upload_files_user")
                    .table(UploadFiles::Table)
                    .col(UploadFiles::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("upload_files_expiry")
                    .table(UploadFiles::Table)
                    .col(UploadFiles::Completed)
                    .col(UploadFiles::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UploadFiles::Table).to_owned())
            .await
    }
}
