//! What the admin API's session and offline categories read: the presence status an XMPP
//! client's session shows (`listUsersWithStatus`), kept with every node's sessions, and the
//! time an offline message expires (`deleteExpiredMessages`, XEP-0023 `jabber:x:expire`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum ClusterSessions {
    Table,
    StatusShow,
    StatusText,
}

#[derive(DeriveIden, Clone)]
enum OfflineMessages {
    Table,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for col in [ClusterSessions::StatusShow, ClusterSessions::StatusText] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ClusterSessions::Table)
                        .add_column(text_null(col))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(OfflineMessages::Table)
                    .add_column(big_integer_null(OfflineMessages::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OfflineMessages::Table)
                    .drop_column(OfflineMessages::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        for col in [ClusterSessions::StatusShow, ClusterSessions::StatusText] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ClusterSessions::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
