//! Allocator settings for a process that hashes passwords. Every argon2 hash allocates one
//! 19 MiB block. glibc serves such blocks with mmap at first, but each munmap raises its
//! *dynamic* mmap threshold (up to 32 MiB), after which the blocks come from the heap arenas and
//! stay there once freed: a burst of logins left the server at ~940 MB RSS for good. A fixed
//! threshold turns the dynamic adjustment off, so large blocks keep being mapped and returned.

/// Blocks at least this large are mapped on their own and unmapped when freed.
const MMAP_THRESHOLD: i32 = 1 << 20;

pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
