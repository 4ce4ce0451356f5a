//! sea-orm entities of mimql's tables, one module per table. Times are stored as BIGINT
//! microseconds since the Unix epoch (seconds where the data has second precision), which SQLite
//! and PostgreSQL treat the same.

pub mod auth_token;
pub mod blocking_item;
pub mod inbox_entry;
pub mod last_activity;
pub mod mam_message;
pub mod mam_room_message;
pub mod muc_affiliation;
pub mod muc_light_blocking;
pub mod muc_light_occupant;
pub mod muc_light_room;
pub mod muc_occupant;
pub mod muc_room;
pub mod offline_message;
pub mod private_item;
pub mod roster_group;
pub mod roster_item;
pub mod scram_key;
pub mod server_secret;
pub mod token_tombstone;
pub mod upload_file;
pub mod user;
pub mod vcard;

use sha2::{Digest, Sha256};

/// The value of the `*_hash` key columns (`roster_items.contact_hash`,
/// `private_storage.namespace_hash`): SHA-256 of the UTF-8 key, lowercase hex. Unique indexes
/// are on the hash, because a key may be longer than PostgreSQL can index; lookups match the
/// hash and the full key.
pub fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
