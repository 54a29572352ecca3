//! Open file descriptions: what an fd refers to, its offset and status
//! flags, shared by `dup`ed fds and across `fork`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;

use crate::abi::*;
use crate::filesystem::{Filesystem, Ino};
use crate::pipe::PipeEnd;

/// A node in the mounted tree: mount index and inode number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeRef {
    pub mount: usize,
    pub ino: Ino,
}

/// A counted reference to a node: keeps a removed file alive while open.
pub(crate) struct NodeHandle {
    pub fs: Arc<dyn Filesystem>,
    pub node: NodeRef,
}

impl NodeHandle {
    pub fn new(fs: Arc<dyn Filesystem>, node: NodeRef) -> Self {
        fs.retain(node.ino);
        NodeHandle { fs, node }
    }
}

impl Drop for NodeHandle {
    fn drop(&mut self) {
        self.fs.release(self.node.ino);
    }
}

/// The file-system node of a bound `AF_UNIX` socket ([`crate::Vfs::bind_socket`]).
/// Holding it keeps the inode alive after its name is unlinked, as a
/// bound Linux socket holds its inode, so the number is not reused while
/// the socket lives.
pub struct SocketNode(NodeHandle);

impl SocketNode {
    pub(crate) fn new(h: NodeHandle) -> Self {
        SocketNode(h)
    }

    /// The node (the key `connect` finds with [`crate::Vfs::socket_node`]).
    pub fn node(&self) -> NodeRef {
        self.0.node
    }
}

/// What an open file refers to.
pub(crate) enum Target {
    Node(NodeHandle),
    Pipe(PipeEnd),
    /// A socket or other object outside the VFS.
    Special(Arc<dyn crate::special::SpecialFile>),
}

/// An open file description.
pub struct OpenFile {
    pub(crate) target: Target,
    path: Vec<u8>,
    flags: AtomicU32,
    /// File position; for directories the `readdir` cookie.
    pub(crate) offset: Mutex<u64>,
    /// The flock(2) lock this description holds, released with it.
    pub(crate) flock: Mutex<Option<crate::flock::FlockGuard>>,
}

impl OpenFile {
    pub(crate) fn new(target: Target, path: Vec<u8>, flags: u32) -> Self {
        let keep = O_ACCMODE | SETFL_MASK | O_PATH | O_DIRECTORY | O_NOFOLLOW | O_SYNC | O_DSYNC;
        OpenFile {
            target,
            path,
            flags: AtomicU32::new((flags & keep) | O_LARGEFILE),
            offset: Mutex::new(0),
            flock: Mutex::new(None),
        }
    }

    /// Replaces the path `/proc/<pid>/fd` shows.
    pub(crate) fn set_path(&mut self, path: Vec<u8>) {
        self.path = path;
    }

    /// Access mode and status flags, as `F_GETFL` reports them.
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// `F_SETFL`: changes only `O_APPEND`, `O_NONBLOCK`, `O_ASYNC`,
    /// `O_DIRECT`, `O_NOATIME`.
    pub fn set_status_flags(&self, flags: u32) {
        let _ = self
            .flags
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some((old & !SETFL_MASK) | (flags & SETFL_MASK))
            });
    }

    /// Whether `O_NONBLOCK` is set: the kernel returns `EAGAIN` instead of
    /// waiting.
    pub fn is_nonblocking(&self) -> bool {
        self.flags() & O_NONBLOCK != 0
    }

    /// The path it was opened by (`pipe:[N]` for pipes), what
    /// `/proc/<pid>/fd/<n>` shows.
    pub fn path(&self) -> &[u8] {
        &self.path
    }

    /// The current file position.
    pub fn offset(&self) -> u64 {
        *self.offset.lock()
    }

    pub(crate) fn readable(&self) -> bool {
        let f = self.flags();
        f & O_PATH == 0 && matches!(f & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    pub(crate) fn writable(&self) -> bool {
        let f = self.flags();
        f & O_PATH == 0 && matches!(f & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    /// The node it refers to (`None` for pipes).
    pub fn node(&self) -> Option<NodeRef> {
        match &self.target {
            Target::Node(h) => Some(h.node),
            Target::Pipe(_) | Target::Special(_) => None,
        }
    }

    /// For a pipe end: its readiness and the pipe's change counter
    /// ([`crate::Pipe::poll_seq`]); `None` for other files.
    pub fn pipe_poll_seq(&self) -> Option<(crate::PollEvents, u64)> {
        match &self.target {
            Target::Pipe(p) => Some(p.pipe().poll_seq(p.is_write_end())),
            _ => None,
        }
    }

    /// A stable key for the object behind this file, for wait queues:
    /// a pipe's [`PipeEnd::id`] (woken through [`crate::set_wake_hook`]),
    /// a character device's [`crate::device_key`] (the driver wakes it
    /// when input arrives), else a (mount, ino) mix.
    pub fn wait_key(&self) -> usize {
        match &self.target {
            Target::Pipe(p) => p.id(),
            Target::Special(s) => s.wait_key(),
            Target::Node(h) => {
                h.fs.wait_key(h.node.ino)
                    .unwrap_or((h.node.mount << 48) ^ h.node.ino as usize)
            }
        }
    }
}
