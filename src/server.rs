//! Bringing the server up: database, migrations, state, listeners.

use std::net::TcpListener;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::state::AppState;

/// Connects to the database and applies pending migrations; answers the connection and the
/// names of the migrations applied.
pub async fn open_database(config: &Config) -> Result<(DatabaseConnection, Vec<String>), String> {
    let db = crate::db::connect_with(
        &config.database.url,
        config.database.pool_size,
        std::time::Duration::from_secs(config.database.acquire_timeout_secs),
    )
    .await
    .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let applied = crate::db::migrate(&db)
        .await
        .map_err(|e| format!("database migration failed: {e}"))?;
    Ok((db, applied))
}

/// Connects to the database, applies pending migrations and builds the shared state.
pub async fn prepare(config: Config) -> Result<Arc<AppState>, String> {
    let db = open_and_log(&config).await?;
    Ok(Arc::new(AppState::new(config, db).await?))
}

async fn open_and_log(config: &Config) -> Result<DatabaseConnection, String> {
    let (db, applied) = open_database(config).await?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "database migrations applied");
    }
    Ok(db)
}

/// Starts the APIs (and the metrics listener) on the given listeners, or on the configured
/// addresses. Signals are not handled here: `mimql serve` waits for them and calls
/// [`crate::http::Running::shutdown`]. Without an admin password in the config, the generated
/// one is read or created (after the database, so that the SQLite file's directory exists).
pub async fn start(
    mut config: Config,
    user: Option<TcpListener>,
    admin: Option<TcpListener>,
) -> Result<crate::http::Running, String> {
    let db = open_and_log(&config).await?;
    crate::admin_password::resolve(&mut config.listen.admin, &config.database.url)?;
    let state = Arc::new(AppState::new(config, db).await?);
    if let Some(cluster) = state.cluster.clone() {
        let (announce, forgotten) = tokio::sync::mpsc::unbounded_channel();
        state.accounts.announce_to(announce);
        let (changed, blocklists) = tokio::sync::mpsc::unbounded_channel();
        state.blocking.announce_to(changed);
        let blocking = state.blocking.clone();
        crate::cluster::relay(
            cluster.clone(),
            crate::cluster::BLOCKING_SUBJECT,
            blocklists,
            move |bare| blocking.forget(bare),
        );
        let state = state.clone();
        crate::cluster::run(cluster, forgotten, move |bare| state.accounts.forget(bare));
    }
    crate::housekeeping::spawn(state.clone());
    let c2s = crate::c2s::start(state.clone())?;
    let mut running = crate::http::start(state, user, admin)
        .map_err(|e| format!("cannot start the HTTP listeners: {e}"))?;
    running.c2s_addr = c2s.starttls;
    running.c2s_direct_tls_addr = c2s.direct_tls;
    Ok(running)
}

/// Waits for SIGTERM or SIGINT (Ctrl-C); answers which one came.
pub async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                tracing::warn!("cannot handle SIGTERM/SIGINT; stop the server with SIGKILL");
                std::future::pending().await
            }
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok();
        "Ctrl-C"
    }
}
