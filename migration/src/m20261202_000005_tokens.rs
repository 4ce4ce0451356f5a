//! Auth tokens (one row per user who requested one: sequence number, revocation cutoffs and
//! the latest expiries issued; tombstones of removed users' cutoffs until their tokens expire)
//! and server-wide secrets (the token and upload signing keys), shared by every node that uses
//! the database.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum AuthTokens {
    Table,
    UserId,
    SeqNo,
    AccessCutoff,
    RefreshCutoff,
    AccessIssued,
    RefreshIssued,
}

#[derive(DeriveIden, Clone)]
enum TokenTombstones {
    Table,
    OwnerHash,
    AccessCutoff,
    RefreshCutoff,
}

#[derive(DeriveIden, Clone)]
enum ServerSecrets {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuthTokens::Table)
                    .col(big_integer(AuthTokens::UserId).primary_key())
                    .col(big_integer(AuthTokens::SeqNo))
                    .col(big_integer(AuthTokens::AccessCutoff))
                    .col(big_integer(AuthTokens::RefreshCutoff))
                    .col(big_integer(AuthTokens::AccessIssued))
                    .col(big_integer(AuthTokens::RefreshIssued))
                    .foreign_key(
                        ForeignKey::create()
                            .name("auth_tokens_user")
                            .from(AuthTokens::Table, AuthTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TokenTombstones::Table)
                    .col(string(TokenTombstones::OwnerHash).primary_key())
                    .col(big_integer(TokenTombstones::AccessCutoff))
                    .col(big_integer(TokenTombstones::RefreshCutoff))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServerSecrets::Table)
                    .col(string(ServerSecrets::Name).primary_key())
                    .col(text(ServerSecrets::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Alias::new("server_secrets"),
            Alias::new("token_tombstones"),
            Alias::new("auth_tokens"),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
