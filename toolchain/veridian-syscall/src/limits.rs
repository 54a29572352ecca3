//! Sizes the ABI fixes (`linux/limits.h`, `linux/uio.h`).

constants! {
    /// Longest path, including its terminating NUL.
    PATH_MAX: usize = 4096;
    /// Longest path component.
    NAME_MAX: usize = 255;
    /// Writes to a pipe of up to this many bytes are atomic.
    PIPE_BUF: usize = 4096;
    /// Most `iovec` entries one readv/writev/sendmsg call takes (POSIX's
    /// `IOV_MAX`); more is `EINVAL` (`EMSGSIZE` for sendmsg/recvmsg).
    UIO_MAXIOV: usize = 1024;
}
