//! mimql: a server for the MongooseIM GraphQL User API.
//!
//! Layout: `schema/` (SDL) → `codegen/` (build-time generator) → [`generated`] (types, resolver
//! traits, glue) → [`api`] and [`admin_api`] (resolvers) → the domain (crate `mimql-core`,
//! re-exported here module by module: [`accounts`], ...) → `entities/` (tables). [`pipeline`]
//! checks every GraphQL request; [`http`] serves both APIs.

/// The domain modules, at the paths they had before they became a crate of their own.
pub use mimql_core::{
    accounts, archive, auth, blocking, cluster, config, connections, db, gdpr, housekeeping,
    import_users, inbox, jid, last, metrics, modules, muc, muc_light, offline, options, presence,
    private, removal, roster, router, secrets, sessions, stanza, state, striped, token, upload,
    vcard, xml,
};

pub mod admin_api;
pub mod admin_cli;
pub mod admin_password;
pub mod allocator;
pub mod api;
pub mod c2s;
pub mod errors;
#[doc(hidden)]
pub mod fuzzing;
pub mod generated;
pub mod http;
pub mod logging;
pub mod open_files;
pub mod pipeline;
pub mod scalars;
pub mod schema_meta;
pub mod server;
