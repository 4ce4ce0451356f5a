//! An XMPP client's last available presence in the cluster's registry (RFC 6121 §4: the stanza,
//! stamped `from` the session's full JID; null while unavailable), so that a probe made on any
//! node answers the presence of a session held by another.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum ClusterSessions {
    Table,
    Presence,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ClusterSessions::Table)
                    .add_column(text_null(ClusterSessions::Presence))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ClusterSessions::Table)
                    .drop_column(ClusterSessions::Presence)
                    .to_owned(),
            )
            .await
    }
}
