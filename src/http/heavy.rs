//! Large requests (document and variables over [`THRESHOLD`]) are parsed and checked
//! on one thread of their own at a low CPU priority (nice 10), one at a time, instead of on the
//! HTTP workers. Preparing a large document costs milliseconds of CPU that would otherwise
//! stall every connection of a worker; on the lane it gets about a tenth of what a worker gets
//! when the CPU is contended (all it wants when it is not), so a client sending large documents
//! back to back (an attacker's 65,000-attribute or 2,000-alias documents) cannot take the CPU
//! from ordinary requests. Large legitimate requests wait longer under load. At
//! most [`MAX_QUEUED`] large requests wait for the lane (their bodies are in memory); more are
//! answered 503 `server_busy` at once.

use std::panic::AssertUnwindSafe;
use std::sync::LazyLock;
use std::sync::mpsc;

use tokio::sync::{Semaphore, oneshot};

/// Requests larger than this (bytes of document, variable names and values) take the lane.
pub const THRESHOLD: usize = 16 * 1024;

/// Large requests waiting for, or on, the lane.
pub const MAX_QUEUED: usize = 64;

type Job = Box<dyn FnOnce() + Send>;

struct Lane {
    jobs: mpsc::Sender<Job>,
    queued: Semaphore,
}

static LANE: LazyLock<Lane> = LazyLock::new(|| {
    let (jobs, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("mimql-heavy".into())
        .spawn(move || {
            lower_priority();
            for job in rx {
                job();
            }
        })
        .expect("the heavy-request thread starts");
    Lane {
        jobs,
        queued: Semaphore::new(MAX_QUEUED),
    }
});

/// Nice 10 for this thread alone (Linux applies `setpriority` to the calling thread): a weight
/// of about a tenth of a normal thread's; 19 would starve large requests on a busy machine.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread's id.
    unsafe {
        let tid = libc::gettid();
        if libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10) != 0 {
            tracing::debug!("the heavy-request thread keeps its priority");
        }
    }
}

/// Whether a decoded request counts as large: its document, variable names and string values
/// together (the one measure, whatever the transport).
pub fn is_large(input: &crate::pipeline::Input) -> bool {
    input.exceeds(THRESHOLD)
}

/// The reply to a request the lane did not run.
pub fn rejection(refused: Refused) -> crate::pipeline::Rejection {
    match refused {
        Refused::Busy => crate::pipeline::Rejection::new(
            crate::pipeline::Code::ServerBusy,
            "The server is busy; try again later",
            None,
        ),
        Refused::Panicked => {
            tracing::error!("preparing a large request panicked");
            crate::pipeline::internal_error()
        }
    }
}

/// Why a job did not run to completion.
#[derive(Debug)]
pub enum Refused {
    /// [`MAX_QUEUED`] large requests are waiting already.
    Busy,
    /// The job panicked.
    Panicked,
}

/// Runs `f` on the lane and answers its result.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Refused> {
    let lane = &*LANE;
    let Ok(_queued) = lane.queued.try_acquire() else {
        return Err(Refused::Busy);
    };
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::new(move || {
        tx.send(std::panic::catch_unwind(AssertUnwindSafe(f))).ok();
    });
    if lane.jobs.send(job).is_err() {
        return Err(Refused::Panicked);
    }
    match rx.await {
        Ok(Ok(value)) => Ok(value),
        _ => Err(Refused::Panicked),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn large_counts_the_document_and_the_variables() {
        let input = |query: String, variables: serde_json::Value| crate::pipeline::Input {
            query,
            variables: async_graphql::Variables::from_json(variables),
            operation_name: None,
        };
        let small = input("{ a }".into(), serde_json::json!({"x": "y"}));
        assert!(!super::is_large(&small));
        assert!(super::is_large(&input(
            "a".repeat(20_000),
            serde_json::json!({})
        )));
        let many = serde_json::json!({"x": vec!["abc"; 10_000]});
        assert!(super::is_large(&input("{ a }".into(), many)));
    }

    #[tokio::test]
    async fn runs_jobs_and_survives_panics() {
        assert_eq!(super::run(|| 6 * 7).await.unwrap(), 42);
        assert!(super::run(|| panic!("boom")).await.is_err());
        assert_eq!(super::run(|| "still there").await.unwrap(), "still there");
    }
}
