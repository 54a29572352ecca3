//! Limits the VFS enforces. Linux has the same values, as kernel defaults
//! rather than ABI.

/// Symbolic links followed while resolving one path (Linux's
/// `MAXSYMLINKS`); one more is `ELOOP`.
pub const MAX_SYMLINKS: u32 = 40;
/// Default `RLIMIT_NOFILE` of a new fd table.
pub const DEFAULT_NOFILE: usize = 1024;
/// Ceiling for `RLIMIT_NOFILE` (the table's size is bounded by it).
pub const NR_OPEN: usize = 65536;
/// Pipe capacity in bytes (`F_GETPIPE_SZ`).
pub const PIPE_CAPACITY: usize = 65536;
