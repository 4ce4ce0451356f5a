//! Logging: the subscriber `mimql` installs (text or JSON lines on stderr, colours only on a
//! terminal, `RUST_LOG` over the configured filter), and [`Throttle`], which keeps a warning
//! that clients can trigger at will (refused logins) from flooding the log.

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, fmt, reload};

use crate::config::LogFormat;

/// Installs the process-wide subscriber: `RUST_LOG` if set, else `default_filter`. Besides the
/// log it feeds the database pool wait histogram (see [`crate::metrics::pool_wait_layer`]),
/// whatever the log level. Fails if a subscriber is already installed.
pub fn init(default_filter: &str, format: LogFormat) -> Result<(), String> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(default_filter))
        .map_err(|e| format!("invalid log filter {default_filter:?}: {e}"))?;
    let initial = filter.max_level_hint().map_or(Level::All, Level::of);
    let (filter, handle) = reload::Layer::new(filter);
    let log: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(log.with_filter(filter))
        .with(crate::metrics::pool_wait_layer())
        .try_init()
        .map_err(|e| e.to_string())?;
    let _ = RELOAD.set(handle);
    *lock_level() = Some(initial);
    Ok(())
}

/// The reference's log levels (`server.getLoglevel`/`setLoglevel`), mapped onto tracing's:
/// `EMERGENCY`, `ALERT` and `CRITICAL` log what `ERROR` does, `NOTICE` what `INFO` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    None,
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Info,
    Debug,
    All,
}

impl Level {
    fn of(f: LevelFilter) -> Level {
        match f {
            LevelFilter::OFF => Level::None,
            LevelFilter::ERROR => Level::Error,
            LevelFilter::WARN => Level::Warning,
            LevelFilter::INFO => Level::Info,
            LevelFilter::DEBUG => Level::Debug,
            _ => Level::All,
        }
    }

    /// The filter directive this level sets.
    fn directive(self) -> &'static str {
        match self {
            Level::None => "off",
            Level::Emergency | Level::Alert | Level::Critical | Level::Error => "error",
            Level::Warning => "warn",
            Level::Notice | Level::Info => "info",
            Level::Debug => "debug",
            Level::All => "trace",
        }
    }
}

type Handle = reload::Handle<EnvFilter, Registry>;

/// The live filter of the subscriber [`init`] installed.
static RELOAD: OnceLock<Handle> = OnceLock::new();
/// The level last set (or found at [`init`]); `None` before either.
static LEVEL: Mutex<Option<Level>> = Mutex::new(None);

fn lock_level() -> std::sync::MutexGuard<'static, Option<Level>> {
    LEVEL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The log level in force: the one last set, else the configured filter's most verbose level
/// (that of the process's subscriber when `mimql` did not install one, as in tests).
pub fn level() -> Level {
    (*lock_level()).unwrap_or_else(|| Level::of(LevelFilter::current()))
}

/// Replaces the log filter with one level for every target, at once; it holds until the next
/// change or restart (the configured filter and `RUST_LOG` apply again at the next start).
pub fn set_level(level: Level) -> Result<(), String> {
    if let Some(handle) = RELOAD.get() {
        let filter = EnvFilter::try_new(level.directive()).map_err(|e| e.to_string())?;
        handle.reload(filter).map_err(|e| e.to_string())?;
    }
    *lock_level() = Some(level);
    Ok(())
}

/// Lets at most `per_window` events through per `window`; the next one let through after a
/// suppression says how many were dropped, so the log still tells how many there were.
pub struct Throttle {
    per_window: u32,
    window: Duration,
    state: Mutex<Option<Window>>,
}

struct Window {
    start: Instant,
    admitted: u32,
    suppressed: u64,
}

impl Throttle {
    pub const fn new(per_window: u32, window: Duration) -> Throttle {
        Throttle {
            per_window,
            window,
            state: Mutex::new(None),
        }
    }

    /// `Some(n)`: log this event, mentioning the `n` suppressed since the last one logged.
    /// `None`: drop it.
    pub fn admit(&self) -> Option<u64> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match state.as_mut() {
            Some(w) if now.duration_since(w.start) < self.window => {
                if w.admitted < self.per_window {
                    w.admitted += 1;
                    Some(std::mem::take(&mut w.suppressed))
                } else {
                    w.suppressed += 1;
                    None
                }
            }
            _ => {
                let suppressed = state.as_ref().map_or(0, |w| w.suppressed);
                *state = Some(Window {
                    start: now,
                    admitted: 1,
                    suppressed: 0,
                });
                Some(suppressed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_admits_a_few_per_window_and_counts_the_rest() {
        let t = Throttle::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(t.admit_at(t0), Some(0));
        assert_eq!(t.admit_at(t0 + Duration::from_secs(1)), Some(0));
        for i in 0..5 {
            assert_eq!(t.admit_at(t0 + Duration::from_secs(2 + i)), None);
        }
        // A new window: the first event reports the five dropped in the last one.
        assert_eq!(t.admit_at(t0 + Duration::from_secs(60)), Some(5));
        assert_eq!(t.admit_at(t0 + Duration::from_secs(61)), Some(0));
        assert_eq!(t.admit_at(t0 + Duration::from_secs(62)), None);
        assert_eq!(t.admit_at(t0 + Duration::from_secs(200)), Some(1));
    }
}
