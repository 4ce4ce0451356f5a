//! sea-orm entities of mimql's tables, one module per table. Times are stored as BIGINT
//! microseconds since the Unix epoch, which SQLite and PostgreSQL treat the same.

pub mod user;
