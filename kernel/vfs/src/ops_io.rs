//! read/write and friends, lseek, getdents64, ftruncate, fsync, poll, ioctl.

use alloc::sync::Arc;

use crate::abi::*;
use crate::context::Caller;
use crate::dirent;
use crate::errno::{Errno, Result};
use crate::file::{OpenFile, Target};
use crate::filesystem::PollEvents;
use crate::ioctl::{int_arg, IoctlReply};
use crate::stat::FileKind;
use crate::vfs::Vfs;

impl Vfs {
    /// `read(fd, buf)`. `EAGAIN` means "would block" (see [`Vfs::poll`]).
    pub fn read(&self, c: Caller<'_>, fd: i32, buf: &mut [u8]) -> Result<usize> {
        let f = c.fds.get(fd)?;
        self.read_file(&f, buf)
    }

    /// `read` on an open file description.
    pub fn read_file(&self, f: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        if !f.readable() {
            return Err(Errno::EBADF);
        }
        match &f.target {
            Target::Pipe(p) => p.pipe().read(buf),
            Target::Special(s) => s.read(buf),
            Target::Node(h) => {
                if !h.fs.seekable(h.node.ino) {
                    return h.fs.read(h.node.ino, 0, buf);
                }
                let mut off = f.offset.lock();
                let n = h.fs.read(h.node.ino, *off, buf)?;
                *off += n as u64;
                Ok(n)
            }
        }
    }

    /// `write(fd, data)`. `O_APPEND` writes at the end. `EPIPE` on a pipe
    /// without readers: the kernel also raises `SIGPIPE`.
    pub fn write(&self, c: Caller<'_>, fd: i32, data: &[u8]) -> Result<usize> {
        let f = c.fds.get(fd)?;
        self.write_file(&f, data)
    }

    /// `write` on an open file description.
    pub fn write_file(&self, f: &OpenFile, data: &[u8]) -> Result<usize> {
        if !f.writable() {
            return Err(Errno::EBADF);
        }
        match &f.target {
            Target::Pipe(p) => p.pipe().write(data),
            Target::Special(s) => s.write(data),
            Target::Node(h) => {
                if !h.fs.seekable(h.node.ino) {
                    return h.fs.write(h.node.ino, 0, data);
                }
                let mut off = f.offset.lock();
                if f.flags() & O_APPEND != 0 {
                    *off = h.fs.stat(h.node.ino)?.size;
                }
                let n = h.fs.write(h.node.ino, *off, data)?;
                *off += n as u64;
                sync_if_asked(f, h)?;
                Ok(n)
            }
        }
    }

    /// `pread64(fd, buf, off)`: `ESPIPE` on pipes and ttys, `EINVAL` for a
    /// negative offset; the file position does not move.
    pub fn pread(&self, c: Caller<'_>, fd: i32, buf: &mut [u8], off: i64) -> Result<usize> {
        let f = c.fds.get(fd)?;
        if !f.readable() {
            return Err(Errno::EBADF);
        }
        let h = seekable_node(&f)?;
        let off = u64::try_from(off).map_err(|_| Errno::EINVAL)?;
        h.fs.read(h.node.ino, off, buf)
    }

    /// Positional read on an open file description (the kernel's ELF
    /// loader and file-backed mappings); `ESPIPE` if not seekable.
    pub fn pread_file(&self, f: &OpenFile, buf: &mut [u8], off: u64) -> Result<usize> {
        if !f.readable() {
            return Err(Errno::EBADF);
        }
        match &f.target {
            Target::Node(h) if h.fs.seekable(h.node.ino) => h.fs.read(h.node.ino, off, buf),
            _ => Err(Errno::ESPIPE),
        }
    }

    /// Calls `f` with the file system's cached copy of the page of `f` at
    /// `off` (see [`crate::Filesystem::with_cached_page`]); `Ok(false)` when
    /// there is none.
    pub fn with_cached_page(
        &self,
        file: &OpenFile,
        off: u64,
        f: &mut dyn FnMut(&[u8; crate::PAGE_SIZE]),
    ) -> Result<bool> {
        if !file.readable() {
            return Err(Errno::EBADF);
        }
        match &file.target {
            Target::Node(h) if h.fs.seekable(h.node.ino) => {
                h.fs.with_cached_page(h.node.ino, off, f)
            }
            _ => Ok(false),
        }
    }

    /// Calls `f(i, page)` for the pages of `file` from `off` (up to
    /// `count`) that its file system holds in memory, reading none (see
    /// [`crate::Filesystem::with_resident_pages`]); returns how many.
    pub fn with_resident_pages(
        &self,
        file: &OpenFile,
        off: u64,
        count: usize,
        f: &mut dyn FnMut(usize, &[u8; crate::PAGE_SIZE]),
    ) -> Result<usize> {
        if !file.readable() {
            return Err(Errno::EBADF);
        }
        match &file.target {
            Target::Node(h) if h.fs.seekable(h.node.ino) => {
                h.fs.with_resident_pages(h.node.ino, off, count, f)
            }
            _ => Ok(0),
        }
    }

    /// Calls `f` with the file system's cached page of `f` at `off`, lent
    /// for writing (see [`crate::Filesystem::lend_page`]); `Ok(false)` when
    /// there is none to lend. `EACCES` unless `f` is open for reading and
    /// writing.
    pub fn lend_page(
        &self,
        file: &OpenFile,
        off: u64,
        f: &mut dyn FnMut(&[u8; crate::PAGE_SIZE]),
    ) -> Result<bool> {
        if !file.readable() || !file.writable() {
            return Err(Errno::EACCES);
        }
        match &file.target {
            Target::Node(h) if h.fs.seekable(h.node.ino) => h.fs.lend_page(h.node.ino, off, f),
            _ => Ok(false),
        }
    }

    /// `pwrite64(fd, data, off)`; like Linux, `O_APPEND` files append.
    pub fn pwrite(&self, c: Caller<'_>, fd: i32, data: &[u8], off: i64) -> Result<usize> {
        let f = c.fds.get(fd)?;
        if !f.writable() {
            return Err(Errno::EBADF);
        }
        let h = seekable_node(&f)?;
        let mut off = u64::try_from(off).map_err(|_| Errno::EINVAL)?;
        if f.flags() & O_APPEND != 0 {
            off = h.fs.stat(h.node.ino)?.size;
        }
        let n = h.fs.write(h.node.ino, off, data)?;
        sync_if_asked(&f, h)?;
        Ok(n)
    }

    /// `readv`: fills the buffers in order, stopping at a short read.
    /// `EAGAIN` only if nothing was read.
    pub fn readv(&self, c: Caller<'_>, fd: i32, bufs: &mut [&mut [u8]]) -> Result<usize> {
        let f = c.fds.get(fd)?;
        let mut total = 0;
        for b in bufs.iter_mut() {
            match self.read_file(&f, b) {
                Ok(n) => {
                    total += n;
                    if n < b.len() {
                        break;
                    }
                }
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(total)
    }

    /// `writev`: writes the buffers in order, stopping at a short write.
    pub fn writev(&self, c: Caller<'_>, fd: i32, bufs: &[&[u8]]) -> Result<usize> {
        let f = c.fds.get(fd)?;
        let mut total = 0;
        for b in bufs {
            match self.write_file(&f, b) {
                Ok(n) => {
                    total += n;
                    if n < b.len() {
                        break;
                    }
                }
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(total)
    }

    /// `lseek(fd, off, whence)`: SEEK_SET/CUR/END/DATA/HOLE; `ESPIPE` on
    /// pipes and ttys, `EINVAL` for a negative result or unknown whence,
    /// `ENXIO` for DATA/HOLE at or past the end. On a directory the
    /// position is the `getdents64` cookie.
    pub fn lseek(&self, c: Caller<'_>, fd: i32, off: i64, whence: u32) -> Result<u64> {
        let f = c.fds.get(fd)?;
        if f.flags() & O_PATH != 0 {
            return Err(Errno::EBADF);
        }
        let h = seekable_node(&f)?;
        let mut pos = f.offset.lock();
        let size = || -> Result<i64> { Ok(h.fs.stat(h.node.ino)?.size as i64) };
        let new = match whence {
            SEEK_SET => Some(off),
            SEEK_CUR => (*pos as i64).checked_add(off),
            SEEK_END => size()?.checked_add(off),
            SEEK_DATA | SEEK_HOLE => {
                let size = size()?;
                if off < 0 {
                    return Err(Errno::EINVAL);
                }
                if off >= size {
                    return Err(Errno::ENXIO);
                }
                Some(if whence == SEEK_DATA { off } else { size })
            }
            _ => return Err(Errno::EINVAL),
        };
        let new = new.filter(|&n| n >= 0).ok_or(Errno::EINVAL)?;
        *pos = new as u64;
        Ok(new as u64)
    }

    /// `getdents64(fd, buf)`: packs `linux_dirent64` records into `buf`;
    /// 0 at the end, `EINVAL` if not even one fits, `ENOTDIR` for a
    /// non-directory. Resumes at the file position (each record's `d_off`).
    pub fn getdents64(&self, c: Caller<'_>, fd: i32, buf: &mut [u8]) -> Result<usize> {
        let f = c.fds.get(fd)?;
        if f.flags() & O_PATH != 0 {
            return Err(Errno::EBADF);
        }
        let Target::Node(h) = &f.target else {
            return Err(Errno::ENOTDIR);
        };
        if h.fs.stat(h.node.ino)?.kind != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        let mut cookie = f.offset.lock();
        let mut used = 0;
        while let Some((e, next)) = h.fs.readdir(h.node.ino, *cookie)? {
            match dirent::encode(&mut buf[used..], &e, next) {
                Some(n) => {
                    used += n;
                    *cookie = next;
                }
                None if used == 0 => return Err(Errno::EINVAL),
                None => break,
            }
        }
        Ok(used)
    }

    /// `ftruncate(fd, len)`: `EINVAL` unless a regular file open for
    /// writing, or for a negative length.
    pub fn ftruncate(&self, c: Caller<'_>, fd: i32, len: i64) -> Result<()> {
        let f = c.fds.get(fd)?;
        let len = u64::try_from(len).map_err(|_| Errno::EINVAL)?;
        if f.flags() & O_PATH != 0 {
            return Err(Errno::EBADF);
        }
        let Target::Node(h) = &f.target else {
            return Err(Errno::EINVAL);
        };
        if !f.writable() || h.fs.stat(h.node.ino)?.kind != FileKind::Regular {
            return Err(Errno::EINVAL);
        }
        h.fs.truncate(h.node.ino, len)
    }

    /// `fsync`/`fdatasync`: writes the file's file system back (`EINVAL`
    /// on pipes).
    pub fn fsync(&self, c: Caller<'_>, fd: i32) -> Result<()> {
        let f = c.fds.get(fd)?;
        match &f.target {
            Target::Node(h) => h.fs.sync(),
            Target::Pipe(_) | Target::Special(_) => Err(Errno::EINVAL),
        }
    }

    /// `sync()`: writes every file system back.
    pub fn sync(&self) -> Result<()> {
        self.each_fs(|fs| fs.sync())
    }

    /// Power-off: writes every file system back and marks each cleanly
    /// unmounted.
    pub fn sync_for_shutdown(&self) -> Result<()> {
        self.each_fs(|fs| fs.sync_for_shutdown())
    }

    /// Runs `op` on every mounted file system, even after one fails;
    /// returns the last error.
    fn each_fs(&self, op: impl Fn(&dyn crate::filesystem::Filesystem) -> Result<()>) -> Result<()> {
        let mut res = Ok(());
        for fs in self.all_fs() {
            if let Err(e) = op(&*fs) {
                res = Err(e);
            }
        }
        res
    }

    /// Readiness of `fd` for `poll`/`select`: `POLLIN`, `POLLOUT`,
    /// `POLLHUP` (pipe without writers), `POLLERR` (pipe without readers),
    /// `POLLNVAL` for a closed fd.
    pub fn poll(&self, c: Caller<'_>, fd: i32) -> PollEvents {
        match c.fds.get(fd) {
            Ok(f) => self.poll_file(&f),
            Err(_) => POLLNVAL,
        }
    }

    /// Readiness of an open file.
    pub fn poll_file(&self, f: &OpenFile) -> PollEvents {
        match &f.target {
            Target::Pipe(p) => p.pipe().poll(p.is_write_end()),
            Target::Special(s) => s.poll(),
            Target::Node(h) => h.fs.poll(h.node.ino),
        }
    }

    /// Whether a read on `f` would not block now (data, EOF or error).
    pub fn poll_read_ready(&self, f: &OpenFile) -> bool {
        self.poll_file(f) & (POLLIN | POLLHUP | POLLERR) != 0
    }

    /// Whether a write on `f` would not block now.
    pub fn poll_write_ready(&self, f: &OpenFile) -> bool {
        self.poll_file(f) & (POLLOUT | POLLERR) != 0
    }

    /// `ioctl(fd, cmd, arg)`. `arg` holds the [`crate::ioctl_in_len`]
    /// bytes the kernel copied in; the reply's `out` bytes go back to
    /// `arg`. Generic: `FIOCLEX`, `FIONCLEX`, `FIONBIO`, `FIONREAD`;
    /// devices handle `TCGETS`/`TCSETS*`/`TIOCGWINSZ`...; else `ENOTTY`.
    pub fn ioctl(&self, c: Caller<'_>, fd: i32, cmd: u32, arg: &[u8]) -> Result<IoctlReply> {
        let f = c.fds.get(fd)?;
        match cmd {
            FIOCLEX | FIONCLEX => {
                c.fds.set_cloexec(fd, cmd == FIOCLEX)?;
                return Ok(IoctlReply::ok());
            }
            FIONBIO => {
                let on = int_arg(arg).ok_or(Errno::EFAULT)? != 0;
                let fl = f.flags() & !O_NONBLOCK;
                f.set_status_flags(if on { fl | O_NONBLOCK } else { fl });
                return Ok(IoctlReply::ok());
            }
            _ => {}
        }
        if f.flags() & O_PATH != 0 {
            return Err(Errno::EBADF);
        }
        match &f.target {
            Target::Pipe(p) if cmd == FIONREAD => Ok(int_reply(p.pipe().available())),
            Target::Pipe(_) => Err(Errno::ENOTTY),
            Target::Special(s) => s.ioctl(cmd, arg),
            Target::Node(h) => {
                let st = h.fs.stat(h.node.ino)?;
                if cmd == FIONREAD && st.kind == FileKind::Regular {
                    return Ok(int_reply(st.size.saturating_sub(f.offset()) as usize));
                }
                h.fs.ioctl(h.node.ino, cmd, arg)
            }
        }
    }
}

fn int_reply(n: usize) -> IoctlReply {
    IoctlReply::with((n.min(i32::MAX as usize) as i32).to_le_bytes().to_vec())
}

/// The node behind a seekable file, else `ESPIPE`.
fn seekable_node(f: &Arc<OpenFile>) -> Result<&crate::file::NodeHandle> {
    match &f.target {
        Target::Node(h) if h.fs.seekable(h.node.ino) => Ok(h),
        _ => Err(Errno::ESPIPE),
    }
}

/// `O_SYNC`/`O_DSYNC`: a write returns after its data (and the metadata to
/// reach it) is durable, as after `fsync`.
fn sync_if_asked(f: &OpenFile, h: &crate::file::NodeHandle) -> Result<()> {
    if f.flags() & (O_SYNC | O_DSYNC) != 0 {
        h.fs.sync()?;
    }
    Ok(())
}
