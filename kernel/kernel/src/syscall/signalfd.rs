//! signalfd(2) and signalfd4(2): a new `crate::fs::signalfd::SignalFd`, or
//! a new mask for an existing one.

use alloc::sync::Arc;
use veridian_syscall::signal::SIGSET_SIZE;
use veridian_vfs::abi::{O_CLOEXEC, O_NONBLOCK};
use veridian_vfs::Errno;

use super::KResult;
use crate::fs::signalfd::{as_signalfd, SignalFd};
use crate::task::current;
use crate::task::user::UserPtr;

/// `signalfd4(fd, mask, sizemask, flags)`: `fd` -1 makes a new one;
/// flags `SFD_NONBLOCK` and `SFD_CLOEXEC` (the `O_` values).
pub fn signalfd4(fd: i32, mask: u64, size: u64, flags: u32) -> KResult {
    if size != SIGSET_SIZE as u64 || flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let set = UserPtr::<u64>::new(mask).read()?;
    if fd != -1 {
        let fds = current().files();
        let f = fds.get(fd)?;
        let s = as_signalfd(&f).ok_or(Errno::EINVAL)?;
        s.set_mask(set);
        return Ok(fd as u64);
    }
    super::install_anon(
        Arc::new(SignalFd::new(set)),
        b"anon_inode:[signalfd]",
        flags,
    )
}
