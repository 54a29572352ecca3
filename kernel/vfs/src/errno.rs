//! The error type: a Linux errno value.

use core::fmt;

use veridian_syscall::errno as e;

/// A positive Linux errno value; the syscall layer returns it negated.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

/// Result alias used by every VFS operation.
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
    EPERM,
    ENOENT,
    EIO,
    ENXIO,
    EBADF,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    EBUSY,
    EEXIST,
    EXDEV,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    EFBIG,
    ENOSPC,
    ESPIPE,
    EROFS,
    EMLINK,
    EPIPE,
    ERANGE,
    ENAMETOOLONG,
    ENOSYS,
    ENOTEMPTY,
    ELOOP,
    EOPNOTSUPP,
);

impl Errno {
    /// The value for `rax`: `-errno`.
    pub fn to_ret(self) -> isize {
        -(self.0 as isize)
    }

    /// Whether the operation would block; the kernel waits for readiness
    /// (see [`crate::Vfs::poll`]) and retries unless the file is
    /// `O_NONBLOCK`.
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

impl From<blockfs::Error> for Errno {
    fn from(err: blockfs::Error) -> Self {
        Errno(err.errno())
    }
}
