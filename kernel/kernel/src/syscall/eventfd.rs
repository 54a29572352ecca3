//! eventfd(2) and eventfd2(2): a new `crate::fs::eventfd::EventFd` in the
//! caller's fd table.

use alloc::sync::Arc;
use veridian_vfs::abi::{O_CLOEXEC, O_NONBLOCK};
use veridian_vfs::Errno;
use veridian_vfs::{Caller, SpecialFile, EFD_SEMAPHORE};

use super::KResult;
use crate::fs::eventfd::EventFd;
use crate::fs::vfs;
use crate::task::current;

/// `eventfd2(initval, flags)`: `EFD_SEMAPHORE`, `EFD_NONBLOCK`, `EFD_CLOEXEC`.
pub fn eventfd2(initial: u32, flags: u32) -> KResult {
    if flags & !(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let t = current();
    let (fds, fsx) = (t.files(), t.fsctx());
    drop(t);
    let file: Arc<dyn SpecialFile> = Arc::new(EventFd::new(initial, flags));
    vfs()
        .install_special(
            Caller {
                fds: &fds,
                fs: &fsx,
            },
            file,
            b"anon_inode:[eventfd]",
            flags & (O_NONBLOCK | O_CLOEXEC),
        )
        .map(|fd| fd as u64)
}
