//! The open-file object of a pidfd: a reference to one process, readable
//! once the process has ended. Process ids are never reused while the
//! kernel runs (`task::alloc_id` only counts up), so the id is the
//! reference. The system calls are `syscall::pidfd`.

use core::any::Any;
use veridian_vfs::abi::{POLLHUP, POLLIN};
use veridian_vfs::{Errno, OpenFile, PollEvents, SpecialFile, Stat};

use crate::task::PROCS;

/// What became of a pidfd's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    Running,
    /// Ended, its parent not yet told (a zombie).
    Ended,
    /// Ended and reaped: nothing is left of it.
    Reaped,
}

/// The open-file object of a pidfd.
pub struct PidFd {
    pid: u32,
}

impl PidFd {
    pub fn new(pid: u32) -> Self {
        PidFd { pid }
    }

    /// The process this refers to.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn life(&self) -> Life {
        match PROCS.lock().get(&self.pid) {
            Some(p) if p.zombie.is_none() => Life::Running,
            Some(_) => Life::Ended,
            None => Life::Reaped,
        }
    }
}

impl SpecialFile for PidFd {
    fn read(&self, _buf: &mut [u8]) -> veridian_vfs::Result<usize> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _data: &[u8]) -> veridian_vfs::Result<usize> {
        Err(Errno::EINVAL)
    }

    /// Linux's answer: readable once the process has ended, and hung up
    /// too once it has been reaped. The file announces nothing, so poll,
    /// select and epoll look again at their re-check period.
    fn poll(&self) -> PollEvents {
        match self.life() {
            Life::Running => 0,
            Life::Ended => POLLIN,
            Life::Reaped => POLLIN | POLLHUP,
        }
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

/// The pidfd behind an open file, if it is one.
pub fn as_pidfd(f: &OpenFile) -> Option<&PidFd> {
    f.special_as::<PidFd>()
}
