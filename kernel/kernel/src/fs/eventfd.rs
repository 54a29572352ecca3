//! eventfd(2): a counter fd (the VFS crate's [`EventCounter`]) whose every
//! change wakes blocked readers and writers and poll/epoll waiters at once.

use alloc::sync::Arc;
use core::any::Any;
use veridian_syscall::errno::EINVAL;
use veridian_vfs::abi::{O_CLOEXEC, O_NONBLOCK};
use veridian_vfs::{
    Caller, EventCounter, FileKind, OpenFile, PollEvents, SpecialFile, Stat, EFD_SEMAPHORE,
};

use super::{vfs, wait};
use crate::syscall::KResult;
use crate::task::current;

/// The open-file object of an eventfd.
pub struct EventFd {
    counter: EventCounter,
}

impl EventFd {
    /// Readiness and a sequence number that moves with every change.
    pub fn poll_seq(&self) -> (PollEvents, u64) {
        self.counter.poll_seq()
    }

    fn changed(&self) {
        wait::wake(self.wait_key());
        crate::net::WAITERS.wake_all();
    }
}

impl SpecialFile for EventFd {
    fn read(&self, buf: &mut [u8]) -> veridian_vfs::Result<usize> {
        let n = self.counter.read(buf)?;
        self.changed();
        Ok(n)
    }

    fn write(&self, data: &[u8]) -> veridian_vfs::Result<usize> {
        let n = self.counter.write(data)?;
        self.changed();
        Ok(n)
    }

    fn poll(&self) -> PollEvents {
        self.counter.poll()
    }

    fn stat(&self) -> Stat {
        // anon_inode: mode 0600 and no type bits on Linux; Regular is the
        // closest kind (as for epoll).
        let mut st = Stat::new(FileKind::Regular, 0o600);
        st.blksize = 4096;
        st
    }

    fn wait_key(&self) -> usize {
        self as *const Self as usize
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The eventfd behind an open file, if it is one.
pub fn as_eventfd(f: &OpenFile) -> Option<&EventFd> {
    f.special()
        .and_then(|s| s.as_any().downcast_ref::<EventFd>())
}

/// `eventfd2(initval, flags)`: `EFD_SEMAPHORE`, `EFD_NONBLOCK`, `EFD_CLOEXEC`.
pub fn eventfd2(initial: u32, flags: u32) -> KResult {
    if flags & !(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(EINVAL);
    }
    let t = current();
    let (fds, fsx) = (t.files(), t.fsctx());
    drop(t);
    let file: Arc<dyn SpecialFile> = Arc::new(EventFd {
        counter: EventCounter::new(initial, flags),
    });
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
        .map_err(|e| e.0)
}
