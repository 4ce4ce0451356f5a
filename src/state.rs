//! Shared server state, built once at start and handed to both APIs.

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::accounts::Accounts;
use crate::config::Config;

pub struct AppState {
    pub config: Config,
    pub accounts: Accounts,
    /// Cancelled when the server starts shutting down (SIGTERM/SIGINT), before in-flight
    /// requests are waited for. Anything long-lived (an SSE or WebSocket stream, a background
    /// task) selects on `shutdown.cancelled()` and ends cleanly when it fires, so that it does
    /// not hold the shutdown until `[general] shutdown_timeout_secs` cuts it.
    pub shutdown: CancellationToken,
}

impl AppState {
    pub fn new(config: Config, db: DatabaseConnection) -> AppState {
        let accounts = Accounts::new(db, config.hosts(), &config.auth);
        AppState {
            config,
            accounts,
            shutdown: CancellationToken::new(),
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        self.accounts.db()
    }
}
