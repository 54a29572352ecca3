//! Metadata: fstat/newfstatat/statx, faccessat, fchmod(at), fchown(at),
//! utimensat, statfs/fstatfs.

use crate::abi::*;
use crate::context::Caller;
use crate::errno::{Errno, Result};
use crate::file::{NodeRef, Target};
use crate::stat::{FileKind, FsStat, Stat, Timespec};
use crate::vfs::Vfs;

impl Vfs {
    /// `fstat(fd)`; serialize with [`Stat::to_linux_stat`].
    pub fn fstat(&self, c: Caller<'_>, fd: i32) -> Result<Stat> {
        self.fstat_file(&*c.fds.get(fd)?)
    }

    /// `fstat` on an open file description.
    pub fn fstat_file(&self, f: &crate::file::OpenFile) -> Result<Stat> {
        match &f.target {
            Target::Node(h) => self.stat_node(h.node),
            Target::Special(s) => Ok(s.stat()),
            Target::Pipe(p) => {
                let mut st = Stat::new(FileKind::Fifo, 0o600);
                st.ino = (p.id() >> 4) as u64;
                st.dev = makedev(0, 12);
                st.size = 0;
                Ok(st)
            }
        }
    }

    /// `newfstatat(dirfd, path, flags)` and `statx` (same record; use
    /// [`Stat::to_statx`]). Flags: `AT_SYMLINK_NOFOLLOW`, `AT_EMPTY_PATH`,
    /// `AT_NO_AUTOMOUNT` and the statx sync bits (ignored).
    pub fn fstatat(&self, c: Caller<'_>, dirfd: i32, path: &[u8], flags: u32) -> Result<Stat> {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)
            != 0
        {
            return Err(Errno::EINVAL);
        }
        if path.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd != AT_FDCWD {
            return self.fstat(c, dirfd);
        }
        let node = self.lookup_at(
            c,
            dirfd,
            path,
            flags & AT_SYMLINK_NOFOLLOW == 0,
            flags & AT_EMPTY_PATH != 0,
        )?;
        self.stat_node(node)
    }

    /// `faccessat2(dirfd, path, mode, flags)` for root: existence, `EROFS`
    /// for `W_OK` on a read-only file system, `EACCES` for `X_OK` on a
    /// non-directory without any execute bit.
    pub fn faccessat(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
        mode: u32,
        flags: u32,
    ) -> Result<()> {
        if mode & !(R_OK | W_OK | X_OK) != 0
            || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0
        {
            return Err(Errno::EINVAL);
        }
        let node = self.lookup_at(
            c,
            dirfd,
            path,
            flags & AT_SYMLINK_NOFOLLOW == 0,
            flags & AT_EMPTY_PATH != 0,
        )?;
        let st = self.stat_node(node)?;
        if mode & W_OK != 0
            && self.fs(node.mount).read_only()
            && matches!(
                st.kind,
                FileKind::Regular | FileKind::Directory | FileKind::Symlink
            )
        {
            return Err(Errno::EROFS);
        }
        if mode & X_OK != 0
            && st.kind != FileKind::Directory
            && st.perm & (S_IXUSR | S_IXGRP | S_IXOTH) == 0
        {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    fn chmod_node(&self, node: NodeRef, mode: u32) -> Result<()> {
        self.fs(node.mount).set_mode(node.ino, mode & 0o7777)
    }

    /// `fchmodat(dirfd, path, mode, flags)`; `AT_SYMLINK_NOFOLLOW` on a
    /// symlink is `EOPNOTSUPP` as on Linux.
    pub fn fchmodat(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
        mode: u32,
        flags: u32,
    ) -> Result<()> {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL);
        }
        let node = self.lookup_at(
            c,
            dirfd,
            path,
            flags & AT_SYMLINK_NOFOLLOW == 0,
            flags & AT_EMPTY_PATH != 0,
        )?;
        if self.kind(node)? == FileKind::Symlink {
            return Err(Errno::EOPNOTSUPP);
        }
        self.chmod_node(node, mode)
    }

    /// `fchmod(fd, mode)`.
    pub fn fchmod(&self, c: Caller<'_>, fd: i32, mode: u32) -> Result<()> {
        let f = c.fds.get(fd)?;
        match f.node() {
            Some(n) if f.flags() & O_PATH == 0 => self.chmod_node(n, mode),
            Some(_) => Err(Errno::EBADF),
            None => Ok(()),
        }
    }

    /// `fchownat(dirfd, path, uid, gid, flags)`; `u32::MAX` (-1) keeps a
    /// value. `path` empty with `AT_EMPTY_PATH` is `fchown`.
    pub fn fchownat(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
        uid: u32,
        gid: u32,
        flags: u32,
    ) -> Result<()> {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL);
        }
        let node = self.lookup_at(
            c,
            dirfd,
            path,
            flags & AT_SYMLINK_NOFOLLOW == 0,
            flags & AT_EMPTY_PATH != 0,
        )?;
        let st = self.stat_node(node)?;
        let uid = if uid == u32::MAX { st.uid } else { uid };
        let gid = if gid == u32::MAX { st.gid } else { gid };
        self.fs(node.mount).set_owner(node.ino, uid, gid)
    }

    /// `utimensat(dirfd, path, times, flags)`. `path` `None` is
    /// `futimens(dirfd)`; `times` `None` sets both to now; each entry is
    /// the raw (tv_sec, tv_nsec) with `UTIME_NOW`/`UTIME_OMIT` honoured.
    pub fn utimensat(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: Option<&[u8]>,
        times: Option<[(i64, i64); 2]>,
        flags: u32,
    ) -> Result<()> {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL);
        }
        let now = self.now();
        let pick = |(sec, nsec): (i64, i64)| -> Result<Option<Timespec>> {
            match nsec {
                UTIME_NOW => Ok(Some(now)),
                UTIME_OMIT => Ok(None),
                0..=999_999_999 => Ok(Some(Timespec {
                    sec,
                    nsec: nsec as u32,
                })),
                _ => Err(Errno::EINVAL),
            }
        };
        let (atime, mtime) = match times {
            None => (Some(now), Some(now)),
            Some([a, m]) => (pick(a)?, pick(m)?),
        };
        let node = match path {
            None => self.fd_node(c, dirfd)?,
            Some(p) => self.lookup_at(
                c,
                dirfd,
                p,
                flags & AT_SYMLINK_NOFOLLOW == 0,
                flags & AT_EMPTY_PATH != 0,
            )?,
        };
        if atime.is_none() && mtime.is_none() {
            return Ok(());
        }
        self.fs(node.mount).set_times(node.ino, atime, mtime)
    }

    /// `statfs(path)`; serialize with [`FsStat::to_linux_statfs`].
    pub fn statfs(&self, c: Caller<'_>, path: &[u8]) -> Result<FsStat> {
        let node = self.lookup_at(c, AT_FDCWD, path, true, false)?;
        Ok(self.fs(node.mount).statfs())
    }

    /// `fstatfs(fd)`.
    pub fn fstatfs(&self, c: Caller<'_>, fd: i32) -> Result<FsStat> {
        let f = c.fds.get(fd)?;
        match f.node() {
            Some(n) => Ok(self.fs(n.mount).statfs()),
            None => Ok(FsStat {
                fs_type: PIPEFS_MAGIC,
                block_size: 4096,
                name_max: 255,
                ..FsStat::default()
            }),
        }
    }
}
