//! The client's address of a session in the cluster's registry (`ip:port` of an XMPP client's
//! connection; null for SSE and WebSocket, whose address the server cannot tell truthfully), so
//! that `listSessions` on every node shows a c2s session's ip and port.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum ClusterSessions {
    Table,
    Peer,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ClusterSessions::Table)
                    .add_column(string_len_null(ClusterSessions::Peer, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ClusterSessions::Table)
                    .drop_column(ClusterSessions::Peer)
                    .to_owned(),
            )
            .await
    }
}
