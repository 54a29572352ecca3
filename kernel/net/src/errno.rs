//! The error type: a Linux errno value (same shape as the VFS's `Errno`).

use core::fmt;

use veridian_syscall::errno as e;

/// A positive Linux errno value; the syscall layer returns it negated.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

/// Result alias used by every socket operation.
pub type Result<T> = core::result::Result<T, Errno>;

macro_rules! consts {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: Errno = Errno(e::$name);
            )*
        }
    };
}

consts!(
    ENOENT,
    EEXIST,
    ENOSPC,
    EBADF,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    EPIPE,
    EDOM,
    ENOSYS,
    ENOTSOCK,
    EDESTADDRREQ,
    EMSGSIZE,
    EPROTOTYPE,
    ENOPROTOOPT,
    EPROTONOSUPPORT,
    EOPNOTSUPP,
    EAFNOSUPPORT,
    EADDRINUSE,
    EADDRNOTAVAIL,
    ENETDOWN,
    ENETUNREACH,
    ECONNABORTED,
    ECONNRESET,
    ENOBUFS,
    EISCONN,
    ENOTCONN,
    ETIMEDOUT,
    ECONNREFUSED,
    EHOSTUNREACH,
    EALREADY,
    EINPROGRESS,
);

/// `ESOCKTNOSUPPORT` (not in the ABI crate's table).
pub const ESOCKTNOSUPPORT: Errno = Errno(94);

impl Errno {
    /// The value for `rax`: `-errno`.
    pub fn to_ret(self) -> isize {
        -(self.0 as isize)
    }

    /// Whether the operation would block: the kernel waits for readiness
    /// and retries unless the socket is non-blocking (or `MSG_DONTWAIT`).
    pub fn is_would_block(self) -> bool {
        self == Errno::EAGAIN
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Errno({})", self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errno {}", self.0)
    }
}
