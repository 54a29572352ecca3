//! epoll instances as VFS special files: a `veridian-net` `EpollSet`
//! keyed by (fd, open file), level- and edge-triggered. Readiness comes
//! from the socket layer (with its arrival counter, for `EPOLLET`) or the
//! VFS (other files report a fresh counter per check, so edge-triggered
//! watches on them behave as level-triggered).

use alloc::sync::{Arc, Weak};
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;
use veridian_net::{EpollSet, ReadySource};
use veridian_vfs::{Errno, FdTable, IoctlReply, OpenFile, PollEvents, SpecialFile, Stat};

use crate::net::socket_file::SocketFile;
use crate::net::unix_file::as_unix;

/// Most watches per instance (`ENOSPC` beyond, as `max_user_watches`).
const MAX_WATCHES: usize = 1 << 16;

/// A watch key: the fd and the open file it named when added; a watch
/// whose fd was closed or now names another file is dropped (Linux drops
/// it when the file's last fd closes). The file is held weakly: that
/// closes nothing, but keeps its allocation, so a file opened later at the
/// same fd can never sit at the same address and be taken for the closed
/// one (`EEXIST` from `EPOLL_CTL_ADD` for a fresh socket).
#[derive(Clone)]
pub struct Key {
    fd: i32,
    file: Weak<OpenFile>,
}

impl Key {
    fn id(&self) -> (i32, usize) {
        (self.fd, Weak::as_ptr(&self.file) as usize)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.id().cmp(&other.id())
    }
}

pub fn key(fd: i32, f: &Arc<OpenFile>) -> Key {
    Key {
        fd,
        file: Arc::downgrade(f),
    }
}

/// Readiness of watched fds in one process's fd table.
pub struct FdSource {
    pub fds: Arc<FdTable>,
    /// Cleared when a watched file does not announce its readiness changes
    /// (neither socket, unix pair end nor eventfd): the waiter re-checks those periodically.
    pub all_announce: bool,
}

/// The readiness counter of files that announce no changes: a new value
/// at every look, kernel-wide, so an edge-triggered watch reports such a
/// file each time it is found ready (level-triggered behaviour) and never
/// mistakes a later readiness for one it already reported, however many
/// `epoll_wait` calls lie between.
static FRESH: AtomicU64 = AtomicU64::new(1);

impl FdSource {
    pub fn new(fds: Arc<FdTable>) -> Self {
        FdSource {
            fds,
            all_announce: true,
        }
    }
}

impl ReadySource<Key> for FdSource {
    fn ready(&mut self, k: &Key) -> Option<(u16, u64)> {
        let f = self.fds.get(k.fd).ok()?;
        if Arc::as_ptr(&f) != k.file.as_ptr() {
            return None;
        }
        if let Some(s) = f.special_as::<SocketFile>() {
            let id = s.id();
            return Some(crate::net::peek(|n| n.readiness_seq(id)));
        }
        if let Some(e) = crate::fs::eventfd::as_eventfd(&f) {
            return Some(e.poll_seq());
        }
        if let Some(u) = as_unix(&f) {
            return Some(u.end().poll_seq());
        }
        // Pipes count their changes but wake only their own key.
        self.all_announce = false;
        if let Some(p) = f.pipe_poll_seq() {
            return Some(p);
        }
        let seq = FRESH.fetch_add(1, Ordering::Relaxed);
        Some((crate::fs::vfs().poll_file(&f), seq))
    }
}

/// The open-file object of an epoll fd.
pub struct EpollFile {
    pub set: Mutex<EpollSet<Key>>,
}

impl EpollFile {
    pub fn new() -> Self {
        EpollFile {
            set: Mutex::new(EpollSet::new(MAX_WATCHES)),
        }
    }
}

impl SpecialFile for EpollFile {
    fn read(&self, _buf: &mut [u8]) -> veridian_vfs::Result<usize> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _data: &[u8]) -> veridian_vfs::Result<usize> {
        Err(Errno::EINVAL)
    }

    /// Readable when a wait would return events (checked against the
    /// polling process's fd table).
    fn poll(&self) -> PollEvents {
        let mut src = FdSource::new(crate::task::current().files());
        if self.set.lock().any_ready(&mut src) {
            veridian_net::abi::POLLIN
        } else {
            0
        }
    }

    fn ioctl(&self, _cmd: u32, _arg: &[u8]) -> veridian_vfs::Result<IoctlReply> {
        Err(Errno::ENOTTY)
    }

    fn stat(&self) -> Stat {
        crate::fs::anon_inode_stat()
    }

    fn wait_key(&self) -> usize {
        crate::net::WAIT_KEY
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
