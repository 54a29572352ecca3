//! The open-file object of an eventfd: a counter (the VFS crate's
//! [`EventCounter`]) whose every change wakes blocked readers and writers
//! and poll/epoll waiters at once. The system call is `syscall::eventfd`.

use core::any::Any;
use veridian_vfs::{EventCounter, OpenFile, PollEvents, SpecialFile, Stat};

/// The open-file object of an eventfd.
pub struct EventFd {
    counter: EventCounter,
}

impl EventFd {
    /// A counter starting at `initial`; `flags` may hold `EFD_SEMAPHORE`.
    pub fn new(initial: u32, flags: u32) -> Self {
        EventFd {
            counter: EventCounter::new(initial, flags),
        }
    }

    /// Readiness and a sequence number that moves with every change.
    pub fn poll_seq(&self) -> (PollEvents, u64) {
        self.counter.poll_seq()
    }

    fn changed(&self) {
        crate::wait::wake_key(self.wait_key());
        crate::wait::wake_changed();
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
        crate::fs::anon_inode_stat()
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
    f.special_as::<EventFd>()
}
