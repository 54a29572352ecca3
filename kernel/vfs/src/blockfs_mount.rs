//! BlockFS as a VFS [`Filesystem`], with deferred deletion of open files.
//!
//! VFS inode numbers are BlockFS inode numbers + 1 (so the root is 1 and no
//! entry reports `d_ino` 0). When the last name of a file that is still
//! open is removed (unlink or rename over it), the file is moved into the
//! hidden directory [`ORPHAN_DIR`] at the root instead, and deleted there
//! when its last open file closes; leftovers from a crash are deleted at
//! mount.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use blockfs::{BlockDevice, FileSystem, FileType, SetTimes, BLOCK_SIZE, ROOT_INO};
use spin::Mutex;

use crate::abi::NAME_MAX;
use crate::dirent::DirEntry;
use crate::errno::{Errno, Result};
use crate::filesystem::{Filesystem, Ino};
use crate::stat::{FsStat, Stat, Timespec, ST_RDONLY};

/// Name of the hidden directory holding removed-but-open files.
pub const ORPHAN_DIR: &[u8] = b".veridian-orphans";

/// A mounted BlockFS shared by the VFS.
pub struct BlockFsMount<D: BlockDevice> {
    inner: Mutex<Inner<D>>,
}

struct Inner<D: BlockDevice> {
    fs: FileSystem<D>,
    /// Open-file references per BlockFS inode.
    open: BTreeMap<u32, usize>,
    /// Orphaned inodes (removed from the tree, still open) and whether
    /// each is a directory.
    orphans: BTreeMap<u32, bool>,
}

fn raw(ino: Ino) -> Result<u32> {
    ino.checked_sub(1)
        .and_then(|i| u32::try_from(i).ok())
        .ok_or(Errno::ENOENT)
}

fn vino(ino: u32) -> Ino {
    ino as Ino + 1
}

fn perm16(perm: u32) -> u16 {
    (perm & 0o7777) as u16
}

fn secs(t: Timespec) -> u32 {
    t.sec.clamp(0, u32::MAX as i64) as u32
}

fn orphan_name(ino: u32) -> Vec<u8> {
    alloc::format!("{ino}").into_bytes()
}

impl<D: BlockDevice> BlockFsMount<D> {
    /// Wraps a mounted BlockFS; deletes orphans a crash left behind.
    pub fn new(fs: FileSystem<D>) -> Result<Self> {
        let mut inner = Inner {
            fs,
            open: BTreeMap::new(),
            orphans: BTreeMap::new(),
        };
        if !inner.fs.options().read_only {
            if let Ok(dir) = inner.fs.lookup(ROOT_INO, ORPHAN_DIR) {
                for e in inner.fs.read_dir(dir)? {
                    if e.name != b"." && e.name != b".." {
                        match inner.fs.unlink(dir, &e.name) {
                            Err(blockfs::Error::IsDir) => inner.fs.rmdir(dir, &e.name)?,
                            r => r?,
                        }
                    }
                }
            }
        }
        Ok(BlockFsMount {
            inner: Mutex::new(inner),
        })
    }

    /// Runs `f` on the underlying file system (tools, tests).
    pub fn with_fs<R>(&self, f: impl FnOnce(&mut FileSystem<D>) -> R) -> R {
        f(&mut self.inner.lock().fs)
    }
}

impl<D: BlockDevice> Inner<D> {
    fn hidden(&self, dir: u32, name: &[u8]) -> bool {
        dir == ROOT_INO && name == ORPHAN_DIR
    }

    fn orphan_dir(&mut self) -> Result<u32> {
        match self.fs.lookup(ROOT_INO, ORPHAN_DIR) {
            Ok(d) => Ok(d),
            Err(blockfs::Error::NotFound) => Ok(self.fs.mkdir(ROOT_INO, ORPHAN_DIR, 0o700)?),
            Err(e) => Err(e.into()),
        }
    }

    /// If `dir/name` is the last name of an open non-directory, moves it
    /// into the orphan directory and returns true.
    fn orphan_if_open(&mut self, dir: u32, name: &[u8]) -> Result<bool> {
        let ino = self.fs.lookup(dir, name)?;
        if !self.open.contains_key(&ino) {
            return Ok(false);
        }
        let md = self.fs.metadata(ino)?;
        if md.file_type == FileType::Directory || md.nlink > 1 {
            return Ok(false);
        }
        self.orphan(dir, name, ino, false)?;
        Ok(true)
    }

    /// Moves `dir/name` (inode `ino`) into the orphan directory.
    fn orphan(&mut self, dir: u32, name: &[u8], ino: u32, is_dir: bool) -> Result<()> {
        let odir = self.orphan_dir()?;
        self.fs.rename(dir, name, odir, &orphan_name(ino))?;
        self.orphans.insert(ino, is_dir);
        Ok(())
    }

    /// New names may not appear in a removed directory (`ENOENT`).
    fn check_live_dir(&self, dir: u32) -> Result<()> {
        if self.orphans.contains_key(&dir) {
            Err(Errno::ENOENT)
        } else {
            Ok(())
        }
    }
}

impl<D: BlockDevice + Send> Filesystem for BlockFsMount<D> {
    fn root(&self) -> Ino {
        vino(ROOT_INO)
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino> {
        let mut g = self.inner.lock();
        let dir = raw(dir)?;
        if g.hidden(dir, name) {
            return Err(Errno::ENOENT);
        }
        Ok(vino(g.fs.lookup(dir, name)?))
    }

    fn stat(&self, ino: Ino) -> Result<Stat> {
        let (md, orphan) = {
            let mut g = self.inner.lock();
            let r = raw(ino)?;
            (g.fs.metadata(r)?, g.orphans.contains_key(&r))
        };
        let mut st = Stat::new(md.file_type.into(), md.perm as u32);
        st.ino = ino;
        // A removed file that is still open has no names left.
        st.nlink = if orphan { 0 } else { md.nlink as u32 };
        st.uid = md.uid as u32;
        st.gid = md.gid as u32;
        st.size = md.size;
        st.blocks = md.blocks as u64 * 8;
        st.atime = Timespec::from_secs(md.atime as i64);
        st.mtime = Timespec::from_secs(md.mtime as i64);
        st.ctime = Timespec::from_secs(md.ctime as i64);
        Ok(st)
    }

    fn readdir(&self, dir: Ino, mut cookie: u64) -> Result<Option<(DirEntry, u64)>> {
        let mut g = self.inner.lock();
        let dir = raw(dir)?;
        if g.orphans.contains_key(&dir) {
            return Ok(None); // a removed directory lists nothing
        }
        loop {
            let Some((e, next)) = g.fs.readdir(dir, cookie)? else {
                return Ok(None);
            };
            if g.hidden(dir, &e.name) {
                cookie = next;
                continue;
            }
            let kind = match e.file_type {
                Some(t) => t.into(),
                None => g.fs.metadata(e.ino)?.file_type.into(),
            };
            return Ok(Some((
                DirEntry {
                    ino: vino(e.ino),
                    kind,
                    name: e.name,
                },
                next,
            )));
        }
    }

    fn name(&self) -> &'static str {
        "blockfs"
    }

    fn statfs(&self) -> FsStat {
        let g = self.inner.lock();
        let s = g.fs.statfs();
        FsStat {
            fs_type: blockfs::MAGIC as u64,
            block_size: s.block_size as u64,
            blocks: s.total_blocks as u64,
            blocks_free: s.free_blocks as u64,
            files: s.total_inodes as u64,
            files_free: s.free_inodes as u64,
            name_max: NAME_MAX as u64,
            flags: if g.fs.options().read_only {
                ST_RDONLY
            } else {
                0
            },
            fsid: blockfs::MAGIC as u64,
        }
    }

    fn readlink(&self, ino: Ino) -> Result<Vec<u8>> {
        Ok(self.inner.lock().fs.readlink(raw(ino)?)?)
    }

    fn read(&self, ino: Ino, off: u64, buf: &mut [u8]) -> Result<usize> {
        Ok(self.inner.lock().fs.read_at(raw(ino)?, off, buf)?)
    }

    fn with_cached_page(
        &self,
        ino: Ino,
        off: u64,
        f: &mut dyn FnMut(&[u8; crate::PAGE_SIZE]),
    ) -> Result<bool> {
        let mut g = self.inner.lock();
        Ok(g.fs
            .with_file_block(raw(ino)?, off, |block| f(block))?
            .is_some())
    }

    fn with_resident_pages(
        &self,
        ino: Ino,
        off: u64,
        count: usize,
        f: &mut dyn FnMut(usize, &[u8; crate::PAGE_SIZE]),
    ) -> Result<usize> {
        let mut g = self.inner.lock();
        Ok(g.fs.with_cached_file_blocks(raw(ino)?, off, count, f)?)
    }

    fn lend_page(
        &self,
        ino: Ino,
        off: u64,
        f: &mut dyn FnMut(&[u8; crate::PAGE_SIZE]),
    ) -> Result<bool> {
        let mut g = self.inner.lock();
        Ok(g.fs
            .lend_file_block(raw(ino)?, off, |block| f(block))?
            .is_some())
    }

    /// Writes all of `data`, or, when the disk fills up part way, as many
    /// whole blocks as fit (a short count, as POSIX allows); `ENOSPC` only
    /// if nothing fits.
    fn write(&self, ino: Ino, off: u64, data: &[u8]) -> Result<usize> {
        let mut g = self.inner.lock();
        let ino = raw(ino)?;
        match g.fs.write_at(ino, off, data) {
            Err(blockfs::Error::NoSpace) if data.len() > BLOCK_SIZE => {}
            r => return Ok(r?),
        }
        let mut done = 0;
        while done < data.len() {
            // Chunks end on block boundaries of the file.
            let pos = off + done as u64;
            let room = BLOCK_SIZE - (pos % BLOCK_SIZE as u64) as usize;
            let n = room.min(data.len() - done);
            match g.fs.write_at(ino, pos, &data[done..done + n]) {
                Ok(w) => done += w,
                Err(blockfs::Error::NoSpace) if done > 0 => break,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(done)
    }

    fn truncate(&self, ino: Ino, size: u64) -> Result<()> {
        Ok(self.inner.lock().fs.truncate(raw(ino)?, size)?)
    }

    fn create(&self, dir: Ino, name: &[u8], perm: u32) -> Result<Ino> {
        let mut g = self.inner.lock();
        let dir = raw(dir)?;
        if g.hidden(dir, name) {
            return Err(Errno::EPERM);
        }
        g.check_live_dir(dir)?;
        Ok(vino(g.fs.create(dir, name, perm16(perm))?))
    }

    fn mksock(&self, dir: Ino, name: &[u8], perm: u32) -> Result<Ino> {
        let mut g = self.inner.lock();
        let dir = raw(dir)?;
        if g.hidden(dir, name) {
            return Err(Errno::EPERM);
        }
        g.check_live_dir(dir)?;
        Ok(vino(g.fs.mksock(dir, name, perm16(perm))?))
    }

    fn mkdir(&self, dir: Ino, name: &[u8], perm: u32) -> Result<Ino> {
        let mut g = self.inner.lock();
        let dir = raw(dir)?;
        if g.hidden(dir, name) {
            return Err(Errno::EPERM);
        }
        g.check_live_dir(dir)?;
        Ok(vino(g.fs.mkdir(dir, name, perm16(perm))?))
    }

    fn symlink(&self, dir: Ino, name: &[u8], target: &[u8]) -> Result<Ino> {
        let mut g = self.inner.lock();
        let dir = raw(dir)?;
        if g.hidden(dir, name) {
            return Err(Errno::EPERM);
        }
        g.check_live_dir(dir)?;
        Ok(vino(g.fs.symlink(dir, name, target)?))
    }

    fn link(&self, ino: Ino, dir: Ino, name: &[u8]) -> Result<()> {
        let mut g = self.inner.lock();
        let dir = raw(dir)?;
        if g.hidden(dir, name) {
            return Err(Errno::EPERM);
        }
        g.check_live_dir(dir)?;
        Ok(g.fs.link(raw(ino)?, dir, name)?)
    }

    fn unlink(&self, dir: Ino, name: &[u8]) -> Result<()> {
        let mut g = self.inner.lock();
        let dir = raw(dir)?;
        if g.hidden(dir, name) {
            return Err(Errno::ENOENT);
        }
        g.fs.check_name_exists(dir, name)?;
        if g.orphan_if_open(dir, name)? {
            return Ok(());
        }
        Ok(g.fs.unlink(dir, name)?)
    }

    fn rmdir(&self, dir: Ino, name: &[u8]) -> Result<()> {
        let mut g = self.inner.lock();
        let dir = raw(dir)?;
        if g.hidden(dir, name) {
            return Err(Errno::ENOENT);
        }
        let ino = g.fs.lookup(dir, name)?;
        if !g.open.contains_key(&ino) || matches!(name, b"." | b"..") {
            return Ok(g.fs.rmdir(dir, name)?);
        }
        // Open: same checks as rmdir, then keep it until the last close.
        if g.fs.metadata(ino)?.file_type != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if g.fs
            .read_dir(ino)?
            .iter()
            .any(|e| e.name != b"." && e.name != b"..")
        {
            return Err(Errno::ENOTEMPTY);
        }
        g.orphan(dir, name, ino, true)
    }

    fn rename(&self, sdir: Ino, sname: &[u8], ddir: Ino, dname: &[u8]) -> Result<()> {
        let mut g = self.inner.lock();
        let (sdir, ddir) = (raw(sdir)?, raw(ddir)?);
        if g.hidden(sdir, sname) || g.hidden(ddir, dname) {
            return Err(Errno::EPERM);
        }
        g.check_live_dir(ddir)?;
        let src = g.fs.lookup(sdir, sname)?;
        let src_dir = g.fs.metadata(src)?.file_type == FileType::Directory;
        if let Ok(dst) = g.fs.lookup(ddir, dname) {
            let dst_dir = g.fs.metadata(dst)?.file_type == FileType::Directory;
            if dst != src && !src_dir && !dst_dir {
                g.orphan_if_open(ddir, dname)?;
            } else if dst != src && src_dir && dst_dir && g.open.contains_key(&dst) {
                // An open empty directory being replaced lives on, like rmdir.
                if g.fs
                    .read_dir(dst)?
                    .iter()
                    .any(|e| e.name != b"." && e.name != b"..")
                {
                    return Err(Errno::ENOTEMPTY);
                }
                g.orphan(ddir, dname, dst, true)?;
            }
        }
        Ok(g.fs.rename(sdir, sname, ddir, dname)?)
    }

    fn set_mode(&self, ino: Ino, perm: u32) -> Result<()> {
        Ok(self.inner.lock().fs.set_mode(raw(ino)?, perm16(perm))?)
    }

    fn set_owner(&self, ino: Ino, uid: u32, gid: u32) -> Result<()> {
        let uid = u16::try_from(uid).map_err(|_| Errno::EINVAL)?;
        let gid = u16::try_from(gid).map_err(|_| Errno::EINVAL)?;
        Ok(self.inner.lock().fs.set_owner(raw(ino)?, uid, gid)?)
    }

    fn set_times(&self, ino: Ino, atime: Option<Timespec>, mtime: Option<Timespec>) -> Result<()> {
        let t = SetTimes {
            atime: atime.map(secs),
            mtime: mtime.map(secs),
        };
        Ok(self.inner.lock().fs.set_times(raw(ino)?, t)?)
    }

    fn sync(&self) -> Result<()> {
        Ok(self.inner.lock().fs.sync()?)
    }

    fn sync_for_shutdown(&self) -> Result<()> {
        Ok(self.inner.lock().fs.sync_clean()?)
    }

    fn read_only(&self) -> bool {
        self.inner.lock().fs.options().read_only
    }

    fn retain(&self, ino: Ino) {
        if let Ok(r) = raw(ino) {
            *self.inner.lock().open.entry(r).or_insert(0) += 1;
        }
    }

    fn release(&self, ino: Ino) {
        let Ok(r) = raw(ino) else { return };
        let mut g = self.inner.lock();
        let Some(n) = g.open.get_mut(&r) else { return };
        *n -= 1;
        if *n > 0 {
            return;
        }
        g.open.remove(&r);
        if let Some(is_dir) = g.orphans.remove(&r) {
            if let Ok(odir) = g.fs.lookup(ROOT_INO, ORPHAN_DIR) {
                // Nothing to report to: a failure leaves the orphan for the
                // next mount's cleanup.
                let _ = if is_dir {
                    g.fs.rmdir(odir, &orphan_name(r))
                } else {
                    g.fs.unlink(odir, &orphan_name(r))
                };
            }
        }
    }
}

/// Existence check that keeps BlockFS's errno for a missing name.
trait CheckName {
    fn check_name_exists(&mut self, dir: u32, name: &[u8]) -> Result<()>;
}

impl<D: BlockDevice> CheckName for FileSystem<D> {
    fn check_name_exists(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        if name == b"." || name == b".." {
            return Err(Errno::EISDIR);
        }
        self.lookup(dir, name).map(|_| ()).map_err(Errno::from)
    }
}
