//! SCRAM keys (RFC 5802, RFC 7677): per user and hash, the salt, the iteration count and the
//! StoredKey and ServerKey derived from the password, written whenever the plaintext is at hand
//! (registration, password change, a successful PLAIN or HTTP Basic login of an account that
//! has none). Removed with the account.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum ScramKeys {
    Table,
    UserId,
    Mechanism,
    Salt,
    Iterations,
    StoredKey,
    ServerKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScramKeys::Table)
                    .col(big_integer(ScramKeys::UserId))
                    .col(string_len(ScramKeys::Mechanism, 32))
                    .col(blob(ScramKeys::Salt))
                    .col(integer(ScramKeys::Iterations))
                    .col(blob(ScramKeys::StoredKey))
                    .col(blob(ScramKeys::ServerKey))
                    .primary_key(
                        Index::create()
                            .col(ScramKeys::UserId)
                            .col(ScramKeys::Mechanism),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("scram_keys_user")
                            .from(ScramKeys::Table, ScramKeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScramKeys::Table).to_owned())
            .await
    }
}
