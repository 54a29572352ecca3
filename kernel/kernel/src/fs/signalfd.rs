//! The open-file object of a signalfd: reading it takes the reading
//! thread's pending signals (its own, then its process's) that are in the
//! fd's mask, as `struct signalfd_siginfo` records. Every signal sent wakes
//! the blocked readers of every signalfd (one wait key for all of them).
//! The system call is `syscall::signalfd`.

use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};
use veridian_kcore::signal::sanitize_mask;
use veridian_syscall::signal::SIGNALFD_SIGINFO_SIZE;
use veridian_vfs::abi::POLLIN;
use veridian_vfs::{Errno, OpenFile, PollEvents, SpecialFile, Stat};

use crate::task::{current, signal};

/// The wait key every signalfd sleeps on.
static SIGNALFD_KEY: u8 = 0;

/// The key to wake when a signal is queued.
pub fn wait_key() -> usize {
    &SIGNALFD_KEY as *const u8 as usize
}

/// The open-file object of a signalfd.
pub struct SignalFd {
    mask: AtomicU64,
}

impl SignalFd {
    pub fn new(mask: u64) -> Self {
        SignalFd {
            mask: AtomicU64::new(sanitize_mask(mask)),
        }
    }

    /// Replaces the set of signals it reads (signalfd on an existing fd).
    pub fn set_mask(&self, mask: u64) {
        self.mask.store(sanitize_mask(mask), Ordering::Relaxed);
    }
}

impl SpecialFile for SignalFd {
    fn read(&self, buf: &mut [u8]) -> veridian_vfs::Result<usize> {
        if buf.len() < SIGNALFD_SIGINFO_SIZE {
            return Err(Errno::EINVAL);
        }
        let t = current();
        let mask = self.mask.load(Ordering::Relaxed);
        let mut n = 0;
        for slot in buf.chunks_exact_mut(SIGNALFD_SIGINFO_SIZE) {
            match signal::take(&t, mask) {
                Some(info) => slot.copy_from_slice(&info.to_signalfd()),
                None => break,
            }
            n += SIGNALFD_SIGINFO_SIZE;
        }
        if n == 0 {
            Err(Errno::EAGAIN)
        } else {
            Ok(n)
        }
    }

    fn write(&self, _data: &[u8]) -> veridian_vfs::Result<usize> {
        Err(Errno::EINVAL)
    }

    fn poll(&self) -> PollEvents {
        let t = current();
        let procs = crate::task::PROCS.lock();
        let pending = signal::pending_set(&t, procs.get(&t.pid));
        if pending & self.mask.load(Ordering::Relaxed) != 0 {
            POLLIN
        } else {
            0
        }
    }

    fn stat(&self) -> Stat {
        crate::fs::anon_inode_stat()
    }

    fn wait_key(&self) -> usize {
        wait_key()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The signalfd behind an open file, if it is one.
pub fn as_signalfd(f: &OpenFile) -> Option<&SignalFd> {
    f.special_as::<SignalFd>()
}
