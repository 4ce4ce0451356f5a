//! Schema migrations, applied at start and by `mimql migrate`. One module per change; never
//! edit a migration that has landed, add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_users;
mod m20261125_000002_personal_data;
mod m20261202_000003_key_hashes;

pub use m20261202_000003_key_hashes::key_hash as key_hash_v3;
mod m20261202_000004_messaging;
mod m20261202_000005_tokens;
mod m20261202_000006_room_archive;
mod m20261202_000007_muc;
mod m20261202_000008_muc_light;
mod m20261202_000009_cluster;
mod m20261207_000010_muc_rooms_listing;
mod m20261207_000011_uploads;
mod m20261207_000012_scram_keys;
mod m20261207_000013_offline;
mod m20261207_000014_cluster_session_peer;
mod m20261207_000015_roster_version;
mod m20261207_000016_cluster_session_presence;
mod m20261207_000017_blocking;
mod m20261207_000018_presence_status_offline_expiry;
mod m20261207_000019_upload_admin_slots;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_users::Migration),
            Box::new(m20261125_000002_personal_data::Migration),
            Box::new(m20261202_000003_key_hashes::Migration),
            Box::new(m20261202_000004_messaging::Migration),
            Box::new(m20261202_000005_tokens::Migration),
            Box::new(m20261202_000006_room_archive::Migration),
            Box::new(m20261202_000007_muc::Migration),
            Box::new(m20261202_000008_muc_light::Migration),
            Box::new(m20261202_000009_cluster::Migration),
            Box::new(m20261207_000010_muc_rooms_listing::Migration),
            Box::new(m20261207_000011_uploads::Migration),
            Box::new(m20261207_000012_scram_keys::Migration),
            Box::new(m20261207_000013_offline::Migration),
            Box::new(m20261207_000014_cluster_session_peer::Migration),
            Box::new(m20261207_000015_roster_version::Migration),
            Box::new(m20261207_000016_cluster_session_presence::Migration),
            Box::new(m20261207_000017_blocking::Migration),
            Box::new(m20261207_000018_presence_status_offline_expiry::Migration),
            Box::new(m20261207_000019_upload_admin_slots::Migration),
        ]
    }
}
