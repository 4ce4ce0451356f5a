//! mimql's domain, below the APIs: one service per concern, owned by [`state::AppState`], each
//! owning its transactions and quotas and answering its own error type. Nothing here knows
//! GraphQL or HTTP (this crate depends on neither async-graphql nor actix-web); the `mimql`
//! crate maps these services to the user and admin APIs and serves them.
//!
//! Layers, from the bottom: [`config`], [`jid`], [`xml`], [`db`], [`metrics`] (leaves) →
//! [`accounts`], [`auth`], [`sessions`] → the data modules ([`roster`], [`vcard`], [`private`],
//! [`last`], [`archive`], [`inbox`], [`offline`], [`token`], [`upload`]) → [`connections`] → [`router`] → rooms ([`muc`],
//! [`muc_light`]) → [`removal`], [`gdpr`] (the personal data export), [`import_users`] → [`state`].

pub mod account_ids;
pub mod accounts;
pub mod archive;
pub mod auth;
pub mod blocking;
pub mod cluster;
pub mod config;
pub mod connections;
pub mod db;
pub mod gdpr;
pub mod housekeeping;
pub mod import_users;
pub mod inbox;
pub mod jid;
pub mod last;
pub mod leaky;
pub mod metrics;
pub mod modules;
pub mod muc;
pub mod muc_light;
pub mod offline;
pub mod options;
pub mod presence;
pub mod private;
pub mod removal;
pub mod roster;
pub mod router;
pub mod secrets;
pub mod sessions;
pub mod stanza;
pub mod state;
pub mod striped;
pub mod token;
pub mod upload;
pub mod vcard;
pub mod xml;
