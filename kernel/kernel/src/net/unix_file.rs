//! An `AF_UNIX` socket (`veridian-net`'s `UnixSocket`: a `socketpair`
//! end or a `socket(AF_UNIX)`) as a VFS special file. Every change wakes
//! the wait queue of blocked unix socket calls, `crate::wait`'s readiness
//! queue (ppoll, epoll) and the VFS wait key, so nobody re-checks on a
//! timer. Dropping the last fd closes the socket and releases its name.

use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;
use veridian_net::abi::MSG_DONTWAIT;
use veridian_net::unix::{Names, UnixEnd, UnixSocket};
use veridian_vfs::{FileKind, IoctlReply, OpenFile, PollEvents, SocketNode, SpecialFile, Stat};

use crate::task::sched::WaitQueue;

/// Inode numbers for `fstat` and `/proc/<pid>/fd` (`socket:[N]`).
static NEXT_INO: AtomicU64 = AtomicU64::new(1 << 20);

/// Every bound name (abstract names, and paths by their socket node).
pub static NAMES: Mutex<Names> = Mutex::new(Names::new());

/// Tasks blocked in a unix socket call: one queue for all, since a
/// change of one socket (a `connect`) can be what another (an `accept`)
/// waits for.
static QUEUE: WaitQueue = WaitQueue::new();

/// The open-file object of an `AF_UNIX` socket.
pub struct UnixFile {
    end: UnixSocket,
    /// The socket node of a path `bind`: kept while the socket lives.
    node: Mutex<Option<SocketNode>>,
    ino: u64,
}

impl UnixFile {
    /// Both ends of a new pair.
    pub fn pair(a: UnixEnd, b: UnixEnd) -> (UnixFile, UnixFile) {
        let ino = NEXT_INO.fetch_add(2, Ordering::Relaxed);
        (
            UnixFile::with_ino(UnixSocket::connected(a), ino),
            UnixFile::with_ino(UnixSocket::connected(b), ino + 1),
        )
    }

    /// A socket of `socket(AF_UNIX)` or `accept`.
    pub fn new(s: UnixSocket) -> UnixFile {
        UnixFile::with_ino(s, NEXT_INO.fetch_add(1, Ordering::Relaxed))
    }

    fn with_ino(end: UnixSocket, ino: u64) -> UnixFile {
        UnixFile {
            end,
            node: Mutex::new(None),
            ino,
        }
    }

    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// Keeps the socket node of a path `bind`.
    pub fn set_node(&self, n: SocketNode) {
        *self.node.lock() = Some(n);
    }

    /// Read-only access (readiness, options that change nothing).
    pub fn end(&self) -> &UnixSocket {
        &self.end
    }

    /// Runs an operation that may change the socket, then wakes waiters
    /// if it did.
    pub fn run<T>(&self, op: impl FnOnce(&UnixSocket) -> T) -> T {
        let before = self.end.changes();
        let r = op(&self.end);
        if self.end.changes() != before {
            self.wake();
        }
        r
    }

    /// Sleeps until a unix socket changes or the deadline (0: none).
    pub fn sleep(&self, deadline_ns: u64) {
        QUEUE.wait(deadline_ns);
    }

    fn wake(&self) {
        QUEUE.wake_all();
        crate::wait::wake_changed();
        crate::wait::wake_key(self.wait_key());
    }
}

impl SpecialFile for UnixFile {
    fn read(&self, buf: &mut [u8]) -> veridian_vfs::Result<usize> {
        self.run(|e| e.recv(buf, MSG_DONTWAIT)).map(|(i, _)| i.len)
    }

    fn write(&self, data: &[u8]) -> veridian_vfs::Result<usize> {
        self.run(|e| e.send(data, MSG_DONTWAIT, None))
    }

    fn poll(&self) -> PollEvents {
        self.end.poll()
    }

    fn ioctl(&self, cmd: u32, arg: &[u8]) -> veridian_vfs::Result<IoctlReply> {
        if let Some(r) = super::interface_ioctl(cmd, arg) {
            return r;
        }
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
        self.end.wait_id()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Drop for UnixFile {
    fn drop(&mut self) {
        self.run(|e| e.close(&mut NAMES.lock()));
    }
}

/// The pair end behind an open file, if it is one.
pub fn as_unix(f: &OpenFile) -> Option<&UnixFile> {
    f.special_as::<UnixFile>()
}
