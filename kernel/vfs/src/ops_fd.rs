//! fcntl and the dup family.

use crate::abi::*;
use crate::context::Caller;
use crate::errno::{Errno, Result};
use crate::file::Target;
use crate::vfs::Vfs;

impl Vfs {
    /// `fcntl(fd, cmd, arg)`: F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD,
    /// F_GETFL/F_SETFL, F_GETPIPE_SZ/F_SETPIPE_SZ (fixed 64 KiB), and
    /// F_SETLK/F_SETLKW accepted without effect (one root user, advisory
    /// locks only). `F_GETLK` needs the user's `struct flock`: the kernel
    /// handles it (report `F_UNLCK`). Others: `EINVAL`.
    pub fn fcntl(&self, c: Caller<'_>, fd: i32, cmd: u32, arg: u64) -> Result<i64> {
        let f = c.fds.get(fd)?;
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                Ok(c.fds.dup_from(fd, arg as i64, cmd == F_DUPFD_CLOEXEC)? as i64)
            }
            F_GETFD => Ok(if c.fds.cloexec(fd)? {
                FD_CLOEXEC as i64
            } else {
                0
            }),
            F_SETFD => c
                .fds
                .set_cloexec(fd, arg as u32 & FD_CLOEXEC != 0)
                .map(|_| 0),
            F_GETFL => Ok(f.flags() as i64),
            F_SETFL => {
                f.set_status_flags(arg as u32);
                Ok(0)
            }
            F_SETLK | F_SETLKW => Ok(0),
            F_GETPIPE_SZ | F_SETPIPE_SZ => match f.target {
                Target::Pipe(_) => Ok(PIPE_CAPACITY as i64),
                Target::Node(_) | Target::Special(_) => Err(Errno::EBADF),
            },
            _ => Err(Errno::EINVAL),
        }
    }

    /// `dup(fd)`.
    pub fn dup(&self, c: Caller<'_>, fd: i32) -> Result<i32> {
        c.fds.dup(fd)
    }

    /// `dup2(old, new)`.
    pub fn dup2(&self, c: Caller<'_>, old: i32, new: i32) -> Result<i32> {
        c.fds.dup2(old, new)
    }

    /// `dup3(old, new, flags)`.
    pub fn dup3(&self, c: Caller<'_>, old: i32, new: i32, flags: u32) -> Result<i32> {
        c.fds.dup3(old, new, flags)
    }
}
