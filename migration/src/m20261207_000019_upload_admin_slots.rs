//! Upload slots the admin API signs (`httpUpload.getUrl(domain:)`) have no owner: `admin` marks
//! them, so that a null `user_id` with `admin` set is a live slot, not an abandoned one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum UploadFiles {
    Table,
    Admin,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(UploadFiles::Table)
                    .add_column(boolean(UploadFiles::Admin).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(UploadFiles::Table)
                    .drop_column(UploadFiles::Admin)
                    .to_owned(),
            )
            .await
    }
}
