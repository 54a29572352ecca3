//! One end of an `AF_UNIX` socket pair (`veridian-net`'s `UnixEnd`) as a
//! VFS special file. Every change wakes the pair's own wait queue (blocked
//! send/recv), `crate::wait`'s readiness queue (ppoll, epoll) and the VFS wait key, so
//! nobody re-checks on a timer. Dropping the last fd closes the end.

use alloc::sync::Arc;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};
use veridian_net::abi::MSG_DONTWAIT;
use veridian_net::unix::UnixEnd;
use veridian_vfs::{FileKind, IoctlReply, OpenFile, PollEvents, SpecialFile, Stat};

use crate::task::sched::WaitQueue;

/// Inode numbers for `fstat` and `/proc/<pid>/fd` (`socket:[N]`).
static NEXT_INO: AtomicU64 = AtomicU64::new(1 << 20);

/// The open-file object of a pair end.
pub struct UnixFile {
    end: UnixEnd,
    /// Shared by both ends: tasks blocked in send/recv on either.
    queue: Arc<WaitQueue>,
    ino: u64,
}

impl UnixFile {
    /// Both ends of a new pair.
    pub fn pair(a: UnixEnd, b: UnixEnd) -> (UnixFile, UnixFile) {
        let queue = Arc::new(WaitQueue::new());
        let ino = NEXT_INO.fetch_add(2, Ordering::Relaxed);
        (
            UnixFile {
                end: a,
                queue: queue.clone(),
                ino,
            },
            UnixFile {
                end: b,
                queue,
                ino: ino + 1,
            },
        )
    }

    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// Read-only access (readiness, options that change nothing).
    pub fn end(&self) -> &UnixEnd {
        &self.end
    }

    /// Runs an operation that may change the pair, then wakes its waiters
    /// if it did.
    pub fn run<T>(&self, op: impl FnOnce(&UnixEnd) -> T) -> T {
        let before = self.end.changes();
        let r = op(&self.end);
        if self.end.changes() != before {
            self.wake();
        }
        r
    }

    /// Sleeps until the pair changes or the deadline (0: none).
    pub fn sleep(&self, deadline_ns: u64) {
        self.queue.wait(deadline_ns);
    }

    fn wake(&self) {
        self.queue.wake_all();
        crate::wait::wake_changed();
        crate::wait::wake_key(self.wait_key());
    }
}

impl SpecialFile for UnixFile {
    fn read(&self, buf: &mut [u8]) -> veridian_vfs::Result<usize> {
        self.run(|e| e.recv(buf, MSG_DONTWAIT)).map(|i| i.len)
    }

    fn write(&self, data: &[u8]) -> veridian_vfs::Result<usize> {
        self.run(|e| e.send(data, MSG_DONTWAIT, None))
    }

    fn poll(&self) -> PollEvents {
        self.end.poll()
    }

    fn ioctl(&self, cmd: u32, _arg: &[u8]) -> veridian_vfs::Result<IoctlReply> {
        let n = self.end.ioctl(cmd)?;
        Ok(IoctlReply::with(n.to_le_bytes().to_vec()))
    }

    fn stat(&self) -> Stat {
        let mut st = Stat::new(FileKind::Socket, 0o777);
        st.ino = self.ino;
        st.blksize = 4096;
        st
    }

    fn wait_key(&self) -> usize {
        self.end.pair_id()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Drop for UnixFile {
    fn drop(&mut self) {
        self.run(|e| e.close());
    }
}

/// The pair end behind an open file, if it is one.
pub fn as_unix(f: &OpenFile) -> Option<&UnixFile> {
    f.special()
        .and_then(|s| s.as_any().downcast_ref::<UnixFile>())
}
