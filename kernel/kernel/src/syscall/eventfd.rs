//! eventfd(2) and eventfd2(2): a new `crate::fs::eventfd::EventFd` in the
//! caller's fd table.

use alloc::sync::Arc;
use veridian_vfs::abi::{O_CLOEXEC, O_NONBLOCK};
use veridian_vfs::Errno;
use veridian_vfs::EFD_SEMAPHORE;

use super::KResult;
use crate::fs::eventfd::EventFd;

/// `eventfd2(initval, flags)`: `EFD_SEMAPHORE`, `EFD_NONBLOCK`, `EFD_CLOEXEC`.
pub fn eventfd2(initial: u32, flags: u32) -> KResult {
    if flags & !(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    super::install_anon(
        Arc::new(EventFd::new(initial, flags)),
        b"anon_inode:[eventfd]",
        flags & (O_NONBLOCK | O_CLOEXEC),
    )
}
