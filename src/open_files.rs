//! The process's open-file limit. Every connection (HTTP, SSE, WebSocket, XMPP) holds a file
//! descriptor, and the usual soft limit (1,024, or what the shell set) is far below what one
//! node can serve; the hard limit is what the operator allows (systemd's `LimitNOFILE`,
//! `ulimit -Hn`). `mimql serve` raises the soft limit to the hard one at start and logs both.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; answers `(soft, hard)` as they are now.
pub fn raise() -> Option<(u64, u64)> {
    #[cfg(target_os = "linux")]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return None;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: lim.rlim_max,
                    rlim_max: lim.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim = raised;
                }
            }
        }
        Some((lim.rlim_cur, lim.rlim_max))
    }
    #[cfg(not(target_os = "linux"))]
    None
}
