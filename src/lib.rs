//! mimql: a server for the MongooseIM GraphQL User API.
//!
//! Layout: `schema/` (SDL) → `codegen/` (build-time generator) → [`generated`] (types, resolver
//! traits, glue) → [`api`] and [`admin_api`] (resolvers) → domain modules ([`accounts`], ...) →
//! `entities/` (tables). [`http`] serves both APIs.

pub mod accounts;
pub mod admin_api;
pub mod admin_password;
pub mod allocator;
pub mod api;
pub mod archive;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod db;
pub mod errors;
#[doc(hidden)]
pub mod fuzzing;
pub mod generated;
pub mod http;
pub mod inbox;
pub mod jid;
pub mod last;
pub mod logging;
pub mod metrics;
pub mod modules;
pub mod muc;
pub mod muc_light;
pub mod pipeline;
pub mod private;
pub mod removal;
pub mod roster;
pub mod router;
pub mod scalars;
pub mod schema_meta;
pub mod secrets;
pub mod server;
pub mod sessions;
pub mod stanza;
pub mod state;
pub mod striped;
pub mod token;
pub mod upload;
pub mod vcard;
pub mod xml;
