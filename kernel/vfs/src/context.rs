//! Per-process file-system state: working directory and umask, and the
//! [`Caller`] bundle the `*at` operations take.

use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;

use alloc::vec::Vec;

use crate::fdtable::FdTable;
use crate::file::NodeRef;
use crate::vfs::Loc;

/// Working directory and umask. Share one `Arc<FsContext>` between
/// threads created with `CLONE_FS`; give a forked child [`FsContext::fork`].
pub struct FsContext {
    /// The working directory, its path as of the last `chdir` or
    /// `getcwd`, and the [`crate::Vfs`] directory-move count the path is
    /// known to be right for (`u64::MAX`: not known).
    pub(crate) cwd: Mutex<(NodeRef, Vec<u8>, u64)>,
    umask: AtomicU32,
}

impl FsContext {
    /// A context whose working directory is the root `root`
    /// ([`crate::Vfs::root`]; move it with [`crate::Vfs::chdir`]), umask 022.
    pub fn new(root: NodeRef) -> Self {
        FsContext {
            cwd: Mutex::new((root, alloc::vec![b'/'], u64::MAX)),
            umask: AtomicU32::new(0o022),
        }
    }

    /// An independent copy (fork without `CLONE_FS`).
    pub fn fork(&self) -> Self {
        FsContext {
            cwd: Mutex::new(self.cwd.lock().clone()),
            umask: AtomicU32::new(self.umask()),
        }
    }

    /// The current umask.
    pub fn umask(&self) -> u32 {
        self.umask.load(Ordering::Relaxed)
    }

    /// `umask(2)`: sets the mask (`& 0o777`) and returns the old one.
    pub fn set_umask(&self, mask: u32) -> u32 {
        self.umask.swap(mask & 0o777, Ordering::Relaxed)
    }

    /// The working directory node.
    pub fn cwd(&self) -> NodeRef {
        self.cwd.lock().0
    }

    pub(crate) fn cwd_loc(&self) -> Loc {
        let g = self.cwd.lock();
        Loc {
            node: g.0,
            path: g.1.clone(),
        }
    }
}

/// The calling process's tables, passed to every path operation.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    pub fds: &'a FdTable,
    pub fs: &'a FsContext,
}
