//! Bringing the server up: database, migrations, state, listeners.

use std::net::TcpListener;
use std::sync::Arc;

use crate::config::Config;
use crate::state::AppState;

/// Connects to the database, applies pending migrations and builds the shared state.
pub async fn prepare(config: Config) -> Result<Arc<AppState>, String> {
    let db = crate::db::connect(&config.database.url, config.database.pool_size)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    crate::db::migrate(&db)
        .await
        .map_err(|e| format!("database migration failed: {e}"))?;
    Ok(Arc::new(AppState::new(config, db).await?))
}

/// Starts both APIs on the given listeners (or the configured addresses).
pub async fn start(
    config: Config,
    user: Option<TcpListener>,
    admin: Option<TcpListener>,
    handle_signals: bool,
) -> Result<crate::http::Running, String> {
    let state = prepare(config).await?;
    crate::cluster::run(state.clone());
    crate::http::start(state, user, admin, handle_signals)
        .map_err(|e| format!("cannot start the HTTP listeners: {e}"))
}
