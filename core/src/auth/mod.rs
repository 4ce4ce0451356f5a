//! Authentication: password hashes, the verified-credential cache, verifications in flight,
//! the failed-login throttle and HTTP Basic parsing.

pub mod basic;
pub mod cache;
pub mod flight;
pub mod password;
pub mod throttle;
