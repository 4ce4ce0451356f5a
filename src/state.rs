//! Shared server state, built once at start and handed to both APIs.

use sea_orm::DatabaseConnection;

use crate::accounts::Accounts;
use crate::config::Config;
use crate::token::Tokens;
use crate::upload::Uploads;

pub struct AppState {
    pub config: Config,
    pub accounts: Accounts,
    pub tokens: Tokens,
    /// `None` when `mod_http_upload` is disabled.
    pub uploads: Option<Uploads>,
}

impl AppState {
    /// Builds the services; loads (or creates) the signing keys kept in the database.
    pub async fn new(config: Config, db: DatabaseConnection) -> Result<AppState, String> {
        let tokens = Tokens::load(db.clone(), &config.auth_token)
            .await
            .map_err(|e| format!("cannot load the token key: {e}"))?;
        let uploads = if config.module_enabled("mod_http_upload") {
            let uploads = Uploads::load(&db, &config.http_upload)
                .await
                .map_err(|e| format!("cannot start mod_http_upload: {e}"))?;
            Some(uploads)
        } else {
            None
        };
        let accounts = Accounts::new(db, config.hosts(), &config.auth);
        Ok(AppState {
            config,
            accounts,
            tokens,
            uploads,
        })
    }

    pub fn db(&self) -> &DatabaseConnection {
        self.accounts.db()
    }
}
