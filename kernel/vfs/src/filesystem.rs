//! The trait every mounted file system implements (BlockFS, devfs,
//! procfs), addressed by inode number.

use alloc::vec::Vec;

use crate::dirent::DirEntry;
use crate::errno::{Errno, Result};
use crate::ioctl::IoctlReply;
use crate::stat::{FsStat, Stat, Timespec};

/// Inode number inside one file system.
pub type Ino = u64;

/// Readiness bits (`POLLIN`, `POLLOUT`, `POLLHUP`, ... from [`crate::abi`]).
pub type PollEvents = u16;

/// A mounted file system. Methods take `&self`: implementations lock
/// internally. Defaults describe a read-only tree of plain nodes; the VFS
/// has already checked access modes, types and name validity where it can.
pub trait Filesystem: Send + Sync {
    /// The root directory's inode.
    fn root(&self) -> Ino;
    /// The entry `name` in directory `dir` (`..` of the root is the root).
    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino>;
    /// Metadata; `dev` and `mnt_id` are filled in by the VFS.
    fn stat(&self, ino: Ino) -> Result<Stat>;
    /// The first entry at or after `cookie` (0 = start) and the cookie of
    /// the next one; `None` at the end. `.` and `..` included.
    fn readdir(&self, dir: Ino, cookie: u64) -> Result<Option<(DirEntry, u64)>>;
    /// Free-space figures.
    fn statfs(&self) -> FsStat;
    /// The type name `/proc/mounts` shows.
    fn name(&self) -> &'static str {
        "none"
    }

    /// A symlink's target.
    fn readlink(&self, _ino: Ino) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }
    /// Reads at `off` (ignored by stream devices).
    fn read(&self, _ino: Ino, _off: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    /// Calls `f` with the file system's own cached copy of the page of
    /// `ino` at `off` (page-aligned, wholly inside the file); `Ok(false)`
    /// when it keeps no such copy (then [`Self::read`] it).
    fn with_cached_page(
        &self,
        _ino: Ino,
        _off: u64,
        _f: &mut dyn FnMut(&[u8; crate::PAGE_SIZE]),
    ) -> Result<bool> {
        Ok(false)
    }
    /// Calls `f(i, page)` for each of the `count` pages of `ino` from
    /// `off` that the file system already holds in memory (whole pages
    /// inside the file, as [`Self::with_cached_page`] gives them), without
    /// reading any; returns how many it gave.
    fn with_resident_pages(
        &self,
        _ino: Ino,
        _off: u64,
        _count: usize,
        _f: &mut dyn FnMut(usize, &[u8; crate::PAGE_SIZE]),
    ) -> Result<usize> {
        Ok(0)
    }
    /// Calls `f` with the file system's own cached copy of the page of
    /// `ino` at `off` (page-aligned, below the file's size), lent for
    /// writing: whatever is written into it while it is held outside the
    /// file system becomes the file's and reaches the disk at each sync (a
    /// shared, writable mapping). `Ok(false)` when it cannot lend one.
    fn lend_page(
        &self,
        _ino: Ino,
        _off: u64,
        _f: &mut dyn FnMut(&[u8; crate::PAGE_SIZE]),
    ) -> Result<bool> {
        Ok(false)
    }
    /// Writes at `off` (ignored by stream devices).
    fn write(&self, _ino: Ino, _off: u64, _data: &[u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    /// Sets a regular file's size.
    fn truncate(&self, _ino: Ino, _size: u64) -> Result<()> {
        Err(Errno::EINVAL)
    }
    /// Creates a regular file.
    fn create(&self, _dir: Ino, _name: &[u8], _perm: u32) -> Result<Ino> {
        Err(Errno::EROFS)
    }
    /// Creates a socket node (`bind(2)` of an `AF_UNIX` path).
    fn mksock(&self, _dir: Ino, _name: &[u8], _perm: u32) -> Result<Ino> {
        Err(Errno::EROFS)
    }
    /// Creates a directory.
    fn mkdir(&self, _dir: Ino, _name: &[u8], _perm: u32) -> Result<Ino> {
        Err(Errno::EROFS)
    }
    /// Creates a symlink `name` -> `target`.
    fn symlink(&self, _dir: Ino, _name: &[u8], _target: &[u8]) -> Result<Ino> {
        Err(Errno::EROFS)
    }
    /// Adds a hard link to the non-directory `ino`.
    fn link(&self, _ino: Ino, _dir: Ino, _name: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    /// Removes a non-directory entry.
    fn unlink(&self, _dir: Ino, _name: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    /// Removes an empty directory.
    fn rmdir(&self, _dir: Ino, _name: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    /// POSIX rename inside this file system.
    fn rename(&self, _sdir: Ino, _sname: &[u8], _ddir: Ino, _dname: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    /// chmod.
    fn set_mode(&self, _ino: Ino, _perm: u32) -> Result<()> {
        Err(Errno::EROFS)
    }
    /// chown.
    fn set_owner(&self, _ino: Ino, _uid: u32, _gid: u32) -> Result<()> {
        Err(Errno::EROFS)
    }
    /// utimensat; `None` leaves a time unchanged.
    fn set_times(
        &self,
        _ino: Ino,
        _atime: Option<Timespec>,
        _mtime: Option<Timespec>,
    ) -> Result<()> {
        Err(Errno::EROFS)
    }
    /// Writes everything back.
    fn sync(&self) -> Result<()> {
        Ok(())
    }
    /// Writes everything back and marks the file system cleanly
    /// unmounted (power-off); the default is [`Self::sync`].
    fn sync_for_shutdown(&self) -> Result<()> {
        self.sync()
    }
    /// Whether the whole file system refuses changes.
    fn read_only(&self) -> bool {
        false
    }

    /// Called when an open file starts referring to `ino`.
    fn retain(&self, _ino: Ino) {}
    /// Called when the last reference taken by [`Self::retain`] goes.
    fn release(&self, _ino: Ino) {}
    /// Whether `lseek` applies (false for ttys: `ESPIPE`).
    fn seekable(&self, _ino: Ino) -> bool {
        true
    }
    /// Readiness of the node for `poll` (files: always in and out).
    fn poll(&self, _ino: Ino) -> PollEvents {
        crate::abi::POLLIN | crate::abi::POLLOUT
    }
    /// The wait-queue key for blocking on `ino` (see
    /// [`crate::OpenFile::wait_key`]); `None`: derived from mount and inode.
    fn wait_key(&self, _ino: Ino) -> Option<usize> {
        None
    }
    /// Device-specific ioctl; the generic ones are handled by the VFS.
    fn ioctl(&self, _ino: Ino, _cmd: u32, _arg: &[u8]) -> Result<IoctlReply> {
        Err(Errno::ENOTTY)
    }
}
