//! Authentication: password hashes, the verified-credential cache, verifications in flight,
//! the failed-login throttle, HTTP Basic parsing and SCRAM (RFC 5802/7677).

pub mod basic;
pub mod cache;
pub mod flight;
pub mod password;
pub mod scram;
pub mod throttle;
