//! Shared server state, built once at start and handed to both APIs.

use sea_orm::DatabaseConnection;

use crate::accounts::Accounts;
use crate::config::Config;

pub struct AppState {
    pub config: Config,
    pub accounts: Accounts,
}

impl AppState {
    pub fn new(config: Config, db: DatabaseConnection) -> AppState {
        let accounts = Accounts::new(db, config.hosts(), &config.auth);
        AppState { config, accounts }
    }

    pub fn db(&self) -> &DatabaseConnection {
        self.accounts.db()
    }
}
