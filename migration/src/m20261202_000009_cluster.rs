//! Several nodes: the live nodes (each refreshes its heartbeat) and every node's open sessions.
//! Used only with `[cluster]` (PostgreSQL); harmless elsewhere.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum ClusterNodes {
    Table,
    Name,
    Number,
    HeartbeatAt,
}

#[derive(DeriveIden, Clone)]
enum ClusterSessions {
    Table,
    Id,
    UserHash,
    UserBare,
    Jid,
    Priority,
    Node,
    Transport,
    OpenedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClusterNodes::Table)
                    .col(string_len(ClusterNodes::Name, 255).primary_key())
                    // The node's number in its MAM ids (0-255), unique among live nodes.
                    .col(integer(ClusterNodes::Number).unique_key())
                    .col(big_integer(ClusterNodes::HeartbeatAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClusterSessions::Table)
                    .col(string_len(ClusterSessions::Id, 32).primary_key())
                    .col(string_len(ClusterSessions::UserHash, 64))
                    .col(text(ClusterSessions::UserBare))
                    .col(text(ClusterSessions::Jid))
                    .col(integer(ClusterSessions::Priority))
                    .col(string_len(ClusterSessions::Node, 255))
                    .col(string_len(ClusterSessions::Transport, 8))
                    .col(big_integer(ClusterSessions::OpenedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("cluster_sessions_user", ClusterSessions::UserHash),
            ("cluster_sessions_node", ClusterSessions::Node),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ClusterSessions::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClusterSessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ClusterNodes::Table).to_owned())
            .await
    }
}
