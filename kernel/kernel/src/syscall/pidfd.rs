//! pidfd_open(2) and the pidfd parts of other calls: a new
//! `crate::fs::pidfd::PidFd` in the caller's fd table, and the process
//! behind a pidfd (waitid's `P_PIDFD`, pidfd_send_signal).

use alloc::sync::Arc;
use veridian_syscall::wait::PIDFD_NONBLOCK;
use veridian_vfs::abi::O_CLOEXEC;
use veridian_vfs::Errno;

use super::KResult;
use crate::fs::pidfd::{as_pidfd, PidFd};
use crate::task::{current, PROCS};

/// `pidfd_open(pid, flags)`: `flags` 0 or `PIDFD_NONBLOCK`; the fd is
/// close-on-exec, as on Linux. `EINVAL` for `pid` ≤ 0 or a thread that is
/// not its process's first, `ESRCH` for a process that is gone (a zombie
/// still has one).
pub fn pidfd_open(pid: i32, flags: u32) -> KResult {
    if flags & !PIDFD_NONBLOCK != 0 || pid <= 0 {
        return Err(Errno::EINVAL);
    }
    let pid = pid as u32;
    if !PROCS.lock().contains_key(&pid) {
        let a_thread = crate::task::TASKS.lock().contains_key(&pid);
        return Err(if a_thread {
            Errno::EINVAL
        } else {
            Errno::ESRCH
        });
    }
    open_for(pid, flags & PIDFD_NONBLOCK)
}

/// Installs a pidfd for `pid` (`flags`: `O_NONBLOCK` may be set).
pub fn open_for(pid: u32, flags: u32) -> KResult {
    super::install_anon(
        Arc::new(PidFd::new(pid)),
        b"anon_inode:[pidfd]",
        flags | O_CLOEXEC,
    )
}

/// The process a pidfd refers to: `EBADF` for a closed fd or any other
/// kind of file (Linux's answer for both).
pub fn pid_of(fd: i32) -> Result<u32, Errno> {
    let f = current().files().get(fd)?;
    as_pidfd(&f).map(|p| p.pid()).ok_or(Errno::EBADF)
}
