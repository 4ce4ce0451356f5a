//! Authentication: password hashes, the verified-credential cache and HTTP Basic parsing.

pub mod basic;
pub mod cache;
pub mod password;
