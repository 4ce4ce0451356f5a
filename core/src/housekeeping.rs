//! Background work on the database, one task per job, each ending at shutdown: reclaiming
//! uploads that no longer count (`[modules.mod_http_upload] reclaim_interval_secs`) and archive
//! retention (`[modules.mod_mam_pm]`/`[modules.mod_mam_muc] retention_days`). Every node runs
//! them; each job is safe to run on several nodes at once (see the functions it calls).

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbErr;

use crate::archive::RetentionTable;
use crate::state::AppState;

/// Starts the jobs the configuration asks for (on the current Tokio runtime).
pub fn spawn(state: Arc<AppState>) {
    if let Some(uploads) = &state.uploads {
        let every = uploads.reclaim_interval();
        repeat(state.clone(), every, |state| async move {
            let Some(uploads) = &state.uploads else {
                return;
            };
            match uploads.reclaim().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "reclaimed upload slots"),
                Err(err) => tracing::warn!(%err, "reclaiming uploads failed"),
            }
        });
    }
    for table in [RetentionTable::Personal, RetentionTable::Rooms] {
        let Some((_, every)) = retention(&state, table) else {
            continue;
        };
        repeat(state.clone(), every, move |state| async move {
            match retention_pass(&state, table).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, archive = ?table, "archive retention"),
                Err(err) => tracing::warn!(%err, archive = ?table, "archive retention failed"),
            }
        });
    }
}

/// The retention of an archive, when its module is enabled with `retention_days`: (days,
/// interval between passes).
fn retention(state: &AppState, table: RetentionTable) -> Option<(u32, Duration)> {
    let (module, options) = match table {
        RetentionTable::Personal => ("mod_mam_pm", &state.config.mam_pm),
        RetentionTable::Rooms => ("mod_mam_muc", &state.config.mam_muc),
    };
    let days = options.retention_days?;
    state
        .config
        .module_enabled(module)
        .then_some((days, Duration::from_secs(options.retention_interval_secs)))
}

/// One retention pass over an archive (nothing when retention is off): deletes the messages
/// older than `retention_days`, in batches; answers how many.
pub async fn retention_pass(state: &AppState, table: RetentionTable) -> Result<u64, DbErr> {
    let Some((days, _)) = retention(state, table) else {
        return Ok(0);
    };
    let cutoff = crate::db::now_micros() - i64::from(days) * 86_400 * 1_000_000;
    crate::archive::delete_before(state.db(), table, cutoff).await
}

/// Runs `job` every `every` (the first time one interval after start) until shutdown.
fn repeat<F, Fut>(state: Arc<AppState>, every: Duration, job: F)
where
    F: Fn(Arc<AppState>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = state.shutdown.cancelled() => return,
                _ = tick.tick() => job(state.clone()).await,
            }
        }
    });
}
