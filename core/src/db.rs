//! Database connection and migrations. SQLite (the embedded default) gets WAL and a busy
//! timeout; PostgreSQL runs the same code. Migrations run in one transaction under an advisory
//! lock on PostgreSQL, so nodes (or test processes) starting together do not race.

use std::time::Duration;

use mimql_migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// An arbitrary constant naming mimql's migration lock.
const MIGRATION_LOCK: i64 = 0x6d69_6d71_6c00;

pub async fn connect(url: &str, pool_size: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, pool_size, Duration::from_secs(10)).await
}

/// [`connect`] with the longest wait for a connection (`[database] acquire_timeout_secs`):
/// while the database is unreachable, each request waits this long before it is answered
/// `database_unavailable`.
pub async fn connect_with(
    url: &str,
    pool_size: u32,
    timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(pool_size)
        .min_connections(1)
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        // sqlx times every wait for a pooled connection; `metrics::pool_wait_layer` turns these
        // (TRACE) events into the pool wait histogram.
        .map_sqlx_sqlite_pool_opts(|o| o.acquire_time_level(log::LevelFilter::Trace))
        .map_sqlx_postgres_pool_opts(|o| o.acquire_time_level(log::LevelFilter::Trace));
    Database::connect(opts).await
}

/// A transaction that will write. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so
/// concurrent writers wait on the busy timeout instead of failing when a read turns into a
/// write; PostgreSQL ignores the option (callers lock the rows they change).
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Applies pending migrations; answers the names of those it applied (none when the schema was
/// up to date).
pub async fn migrate(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let txn = begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
    }
    let pending: Vec<String> = Migrator::get_pending_migrations(&txn)
        .await?
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    Migrator::up(&txn, None).await?;
    txn.commit().await?;
    Ok(pending)
}

/// Microseconds since the Unix epoch, the unit every stored time uses.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Whether an error means the database cannot serve now (unreachable, pool exhausted, shutting
/// down, or read-only), as opposed to a fault in what was asked: such requests get
/// `database_unavailable` (503) and may be retried; the pool reconnects by itself once the
/// database is back.
pub fn is_unavailable(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match e {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(r) | DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return matches!(e, DbErr::Conn(_));
    };
    match sqlx.as_ref() {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => true,
        Sqlx::Protocol(_) => true,
        Sqlx::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or_default();
            // PostgreSQL: connection exceptions (class 08), shutting down (57P01-57P03),
            // read-only transaction (25006). SQLite: SQLITE_READONLY (8, with its extended
            // codes), SQLITE_CANTOPEN (14), SQLITE_IOERR (10, with its extended codes).
            code.starts_with("08")
                || matches!(code, "57P01" | "57P02" | "57P03" | "25006")
                || (d
                    .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                    .is_some()
                    && code
                        .parse::<i32>()
                        .is_ok_and(|c| matches!(c & 0xff, 8 | 10 | 14)))
        }
        _ => false,
    }
}

/// The database's health as `/health` reports it, probed at most once per [`Probe::INTERVAL`]
/// whatever the number of callers: anonymous callers cannot drive database load through it.
/// Callers arriving during a probe wait for its answer instead of starting another.
#[derive(Default)]
pub struct Probe {
    last: tokio::sync::Mutex<Option<(std::time::Instant, Result<(), String>)>>,
    probes: std::sync::atomic::AtomicU64,
}

impl Probe {
    pub const INTERVAL: Duration = Duration::from_secs(1);
    /// Longer than a healthy ping ever takes, shorter than a load balancer's usual check
    /// timeout.
    const TIMEOUT: Duration = Duration::from_secs(2);

    /// `Err` with the reason when the database did not answer a ping.
    pub async fn check(&self, db: &DatabaseConnection) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, result)) = &*last
            && at.elapsed() < Self::INTERVAL
        {
            return result.clone();
        }
        self.probes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = match tokio::time::timeout(Self::TIMEOUT, db.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} s", Self::TIMEOUT.as_secs())),
        };
        *last = Some((std::time::Instant::now(), result.clone()));
        result
    }

    /// How many pings were sent.
    pub fn probes(&self) -> u64 {
        self.probes.load(std::sync::atomic::Ordering::Relaxed)
    }
}
