//! Index hashes of long keys instead of the keys. A roster contact is a JID of up to about
//! 3 KB and a private-storage namespace is any string, but a PostgreSQL btree row holds at most
//! 2,704 bytes: indexing the text made valid input fail on PostgreSQL while SQLite stored it.
//! Each key gets a SHA-256 column (hex) that the unique indexes use; queries match the hash
//! (through the index) and the full key. Existing rows are hashed here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RosterItems {
    Table,
    UserId,
    Contact,
    ContactHash,
}

#[derive(DeriveIden, Clone, Copy)]
enum PrivateStorage {
    Table,
    UserId,
    Namespace,
    NamespaceHash,
}

/// The hash the key columns hold: SHA-256 of the UTF-8 key, lowercase hex. Frozen with this
/// migration; `mimql_entities::key_hash` must stay equal (a test checks).
pub fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Rows hashed per statement batch while backfilling.
const BATCH: u64 = 1000;

/// Fills the column `hash` from `key` for every row of `table`, in id order, a batch at a time.
async fn backfill(
    manager: &SchemaManager<'_>,
    table: &'static str,
    key: &'static str,
    hash: &'static str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let mut after = i64::MIN;
    let mut total = 0u64;
    loop {
        let select = Query::select()
            .columns(["id", key])
            .from(table)
            .and_where(Expr::col("id").gt(after))
            .order_by("id", Order::Asc)
            .limit(BATCH)
            .to_owned();
        let rows = db.query_all(&select).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let id: i64 = row.try_get("", "id")?;
            let value: String = row.try_get("", key)?;
            let update = Query::update()
                .table(table)
                .value(hash, key_hash(&value))
                .and_where(Expr::col("id").eq(id))
                .to_owned();
            db.execute(&update).await?;
            after = id;
        }
        total += rows.len() as u64;
        tracing::info!("{table}: {total} keys hashed");
    }
    Ok(())
}

fn add_hash_column(table: impl IntoIden, column: impl IntoIden) -> TableAlterStatement {
    Table::alter()
        .table(table)
        .add_column(ColumnDef::new(column).string_len(64).not_null().default(""))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(add_hash_column(
                RosterItems::Table,
                RosterItems::ContactHash,
            ))
            .await?;
        manager
            .alter_table(add_hash_column(
                PrivateStorage::Table,
                PrivateStorage::NamespaceHash,
            ))
            .await?;
        backfill(manager, "roster_items", "contact", "contact_hash").await?;
        backfill(manager, "private_storage", "namespace", "namespace_hash").await?;
        for (name, table) in [
            ("roster_items_user_contact", RosterItems::Table.to_string()),
            ("roster_items_contact", RosterItems::Table.to_string()),
            (
                "private_storage_user_namespace",
                PrivateStorage::Table.to_string(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("roster_items_user_contact_hash")
                    .table(RosterItems::Table)
                    .col(RosterItems::UserId)
                    .col(RosterItems::ContactHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("roster_items_contact_hash")
                    .table(RosterItems::Table)
                    .col(RosterItems::ContactHash)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("private_storage_user_namespace_hash")
                    .table(PrivateStorage::Table)
                    .col(PrivateStorage::UserId)
                    .col(PrivateStorage::NamespaceHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            (
                "roster_items_user_contact_hash",
                RosterItems::Table.to_string(),
            ),
            ("roster_items_contact_hash", RosterItems::Table.to_string()),
            (
                "private_storage_user_namespace_hash",
                PrivateStorage::Table.to_string(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("roster_items_user_contact")
                    .table(RosterItems::Table)
                    .col(RosterItems::UserId)
                    .col(RosterItems::Contact)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("roster_items_contact")
                    .table(RosterItems::Table)
                    .col(RosterItems::Contact)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("private_storage_user_namespace")
                    .table(PrivateStorage::Table)
                    .col(PrivateStorage::UserId)
                    .col(PrivateStorage::Namespace)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (table, column) in [
            (
                RosterItems::Table.to_string(),
                RosterItems::ContactHash.to_string(),
            ),
            (
                PrivateStorage::Table.to_string(),
                PrivateStorage::NamespaceHash.to_string(),
            ),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_hash_is_sha256_hex() {
        assert_eq!(
            super::key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
