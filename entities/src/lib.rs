//! sea-orm entities of mimql's tables, one module per table. Times are stored as BIGINT
//! microseconds since the Unix epoch (seconds where the data has second precision), which SQLite
//! and PostgreSQL treat the same.

pub mod auth_token;
pub mod last_activity;
pub mod private_item;
pub mod roster_group;
pub mod roster_item;
pub mod server_secret;
pub mod token_tombstone;
pub mod user;
pub mod vcard;
