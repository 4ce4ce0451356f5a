//! What a body refused for its size may cost. A request whose body is over the bound is answered
//! 413 before the body is read; so that the client reads that answer rather than a reset, actix
//! then reads and discards the rest of the body before closing ("lingering", as nginx's
//! `lingering_close`). A source sending one refused megabyte after another would keep a core
//! copying data only to throw it away. So each source address (IPv6: its /64) has a budget of
//! refused bytes (each request counting for its length, at most `[limits] max_body_bytes`),
//! `[limits] refused_bytes_per_source`, that drain in a minute: within it a
//! refused request is answered and lingered on; beyond it the connection is held for a second
//! (so that the source cannot make the server accept connections as fast as it can reconnect)
//! and then cut (the socket is shut down, its unread data never read: the client sees a reset). An honest client
//! that sends an oversized body now and then always gets its 413.

use std::any::Any;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::dev::Extensions;
use mimql_core::leaky::LeakyBuckets;

/// Sources remembered at once (least recently refused forgotten first).
const SOURCES: usize = 10_000;

/// The refused-bytes budget of every source (see the module documentation).
pub struct RefusedBytes {
    buckets: Option<LeakyBuckets<IpAddr>>,
    /// The most one refused request counts for (`[limits] max_body_bytes`).
    pub max_counted: u64,
}

/// What to do with a connection whose request was refused for its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Answer, and let actix discard the rest of the body.
    Linger,
    /// The source is over its budget: cut the connection.
    Cut,
}

impl RefusedBytes {
    /// Budgets of `per_minute` bytes per source (0: no budget, always linger), one request
    /// counting for at most `max_counted` bytes.
    pub fn new(per_minute: u64, max_counted: u64) -> RefusedBytes {
        // One byte drains every minute / per_minute.
        let unit = match per_minute {
            0 => Duration::ZERO,
            n => Duration::from_secs(60).div_f64(n as f64),
        };
        RefusedBytes {
            buckets: LeakyBuckets::new(per_minute as f64, unit, SOURCES),
            max_counted,
        }
    }

    /// Counts a request of `bytes` (its declared or received length) refused from `source`.
    pub fn refuse(&self, source: Option<IpAddr>, bytes: u64) -> Verdict {
        let (Some(buckets), Some(ip)) = (&self.buckets, source) else {
            return Verdict::Linger;
        };
        let key = mimql_core::auth::throttle::source_key(ip);
        let now = Instant::now();
        // Cut when this request would overflow the budget (a request larger than the whole
        // budget counts as the whole budget).
        let bytes = (bytes as f64).min(buckets.capacity());
        let over = buckets.level(&key, now) + bytes > buckets.capacity();
        buckets.add(key, bytes, now);
        let verdict = if over { Verdict::Cut } else { Verdict::Linger };
        mimql_core::metrics::refused_body(match verdict {
            Verdict::Linger => "answered",
            Verdict::Cut => "cut",
        });
        verdict
    }
}

/// The connection's socket, kept in the connection's data by [`on_connect`].
#[derive(Clone, Copy)]
struct Socket(#[cfg(unix)] std::os::fd::RawFd);

/// `HttpServer::on_connect`: remembers each plain TCP connection's socket so that a request
/// can [`cut`] it.
pub fn on_connect(io: &dyn Any, data: &mut Extensions) {
    #[cfg(unix)]
    if let Some(tcp) = io.downcast_ref::<actix_web::rt::net::TcpStream>() {
        use std::os::fd::AsRawFd;
        data.insert(Socket(tcp.as_raw_fd()));
    }
    #[cfg(not(unix))]
    let _ = (io, data);
}

/// How long a connection over the budget is held before it is cut: a source that reconnects
/// at once after each cut would otherwise make the server accept and set up connections as
/// fast as it can send headers. Held, it costs a sleeping task and the kernel's buffers.
pub const HOLD: Duration = Duration::from_secs(1);

/// Holds the request's connection for [`HOLD`], then shuts it down in both directions: the
/// answer is never written, actix drops the connection, and the kernel resets it instead of
/// reading what the client still sends. Without a known socket (not plain TCP), only the hold:
/// actix lingers after it.
pub async fn cut(req: &HttpRequest) {
    tokio::time::sleep(HOLD).await;
    #[cfg(unix)]
    if let Some(Socket(fd)) = req.conn_data::<Socket>().copied() {
        // SAFETY: the descriptor belongs to the connection this request arrived on, which its
        // dispatcher keeps open while it runs the request's handler (it owns that future).
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let _ = socket2::SockRef::from(&fd).shutdown(std::net::Shutdown::Both);
    }
    #[cfg(not(unix))]
    let _ = req;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_over_its_budget_is_cut_others_are_answered() {
        let r = RefusedBytes::new(3_000_000, u64::MAX);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(r.refuse(Some(a), 1_000_000), Verdict::Linger);
        }
        assert_eq!(r.refuse(Some(a), 1_000_000), Verdict::Cut);
        assert_eq!(r.refuse(Some(b), 1_000_000), Verdict::Linger);
        assert_eq!(r.refuse(None, 1_000_000), Verdict::Linger);
        let off = RefusedBytes::new(0, u64::MAX);
        for _ in 0..10 {
            assert_eq!(off.refuse(Some(a), u64::MAX), Verdict::Linger);
        }
    }
}
