//! Name-space operations: lookup and path resolution, create, mkdir,
//! symlink, link, unlink, rmdir, rename and readdir.

use alloc::vec::Vec;

use crate::device::BlockDevice;
use crate::dir::{check_name, file_type_of, DirEntry, DirWalker};
use crate::error::{Error, Result};
use crate::fs::{FileSystem, ROOT_INO};
use crate::inode::{FileType, Inode, S_IFDIR, S_IFLNK, S_IFREG, S_IFSOCK};

/// Symbolic links followed while resolving one path.
pub const MAX_SYMLINKS: u32 = 40;
/// Longest symlink target.
pub const MAX_TARGET: usize = 4095;
/// Parent-chain steps walked before declaring the tree cyclic.
const MAX_DEPTH: u32 = 4096;

impl<D: BlockDevice> FileSystem<D> {
    fn dir_inode(&mut self, ino: u32) -> Result<Inode> {
        match self.live_inode(ino)? {
            (i, FileType::Directory) => Ok(i),
            _ => Err(Error::NotDir),
        }
    }

    /// The inode named `name` in directory `dir` ("." and ".." included).
    pub fn lookup(&mut self, dir: u32, name: &[u8]) -> Result<u32> {
        if name.len() > crate::dir::MAX_NAME {
            return Err(Error::NameTooLong);
        }
        let d = self.dir_inode(dir)?;
        match self.find_entry(&d, name)? {
            Some(e) if e.ino < self.geo.usable_inodes() => Ok(e.ino),
            Some(_) => Err(Error::Corrupt(
                "directory entry names an inode out of range",
            )),
            None => Err(Error::NotFound),
        }
    }

    /// Resolves a path from the root ('/'-separated; relative paths start
    /// at the root too). Symlinks in the middle are followed; the last one
    /// only if `follow_last`. At most [`MAX_SYMLINKS`] are followed.
    pub fn resolve(&mut self, path: &[u8], follow_last: bool) -> Result<u32> {
        let mut pending: Vec<Vec<u8>> = components(path).rev().map(|c| c.to_vec()).collect();
        let mut cur = ROOT_INO;
        let mut links = 0;
        while let Some(name) = pending.pop() {
            let next = self.lookup(cur, &name)?;
            let (_, ft) = self.live_inode(next)?;
            if ft == FileType::Symlink && (follow_last || !pending.is_empty()) {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Error::Loop);
                }
                let target = self.readlink(next)?;
                if target.first() == Some(&b'/') {
                    cur = ROOT_INO;
                }
                pending.extend(components(&target).rev().map(|c| c.to_vec()));
                continue;
            }
            cur = next;
        }
        Ok(cur)
    }

    /// Splits a path into its parent directory (resolved, following links)
    /// and its last name.
    pub fn resolve_parent<'p>(&mut self, path: &'p [u8]) -> Result<(u32, &'p [u8])> {
        let trimmed = trim_slashes(path);
        let (dir, name) = match trimmed.iter().rposition(|&c| c == b'/') {
            Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
            None => (&b""[..], trimmed),
        };
        if name.is_empty() {
            return Err(Error::Invalid);
        }
        Ok((self.resolve(dir, true)?, name))
    }

    fn new_inode(&mut self, mode: u16, links: u16) -> Result<(u32, Inode)> {
        let ino = self.alloc_inode()?;
        let now = self.now();
        let inode = Inode {
            mode,
            links,
            atime: now,
            ctime: now,
            mtime: now,
            ..Default::default()
        };
        Ok((ino, inode))
    }

    /// Adds an entry to `parent`, updating its times; on failure frees the
    /// new inode `ino`.
    fn link_new(
        &mut self,
        parent: u32,
        name: &[u8],
        ino: u32,
        inode: &mut Inode,
        ft: FileType,
    ) -> Result<()> {
        let res = self.dir_inode(parent).and_then(|mut p| {
            if ft == FileType::Directory && p.links == u16::MAX {
                return Err(Error::TooManyLinks);
            }
            self.add_entry(&mut p, name, ino, ft)?;
            if ft == FileType::Directory {
                p.links += 1;
            }
            let now = self.now();
            p.mtime = now;
            p.ctime = now;
            self.write_inode(parent, &p)
        });
        match res {
            Ok(()) => self.write_inode(ino, inode),
            Err(e) => {
                self.free_inode(ino, inode)?;
                Err(e)
            }
        }
    }

    fn prepare_new(&mut self, parent: u32, name: &[u8]) -> Result<()> {
        self.check_writable()?;
        check_name(name)?;
        let p = self.dir_inode(parent)?;
        if self.find_entry(&p, name)?.is_some() {
            return Err(Error::Exists);
        }
        Ok(())
    }

    /// Creates an empty regular file with permission bits `perm`.
    pub fn create(&mut self, parent: u32, name: &[u8], perm: u16) -> Result<u32> {
        self.prepare_new(parent, name)?;
        let (ino, mut inode) = self.new_inode(S_IFREG | (perm & 0o7777), 1)?;
        self.link_new(parent, name, ino, &mut inode, FileType::Regular)?;
        Ok(ino)
    }

    /// Creates a socket node (mode `S_IFSOCK | perm`, no data) for
    /// `bind(2)` of an `AF_UNIX` path.
    pub fn mksock(&mut self, parent: u32, name: &[u8], perm: u16) -> Result<u32> {
        self.prepare_new(parent, name)?;
        let (ino, mut inode) = self.new_inode(S_IFSOCK | (perm & 0o7777), 1)?;
        self.link_new(parent, name, ino, &mut inode, FileType::Socket)?;
        Ok(ino)
    }

    /// Creates a directory with permission bits `perm`.
    pub fn mkdir(&mut self, parent: u32, name: &[u8], perm: u16) -> Result<u32> {
        self.prepare_new(parent, name)?;
        let (ino, mut inode) = self.new_inode(S_IFDIR | (perm & 0o7777), 2)?;
        if let Err(e) = self.init_dir(&mut inode, ino, parent) {
            self.free_inode(ino, &mut inode)?;
            return Err(e);
        }
        self.link_new(parent, name, ino, &mut inode, FileType::Directory)?;
        Ok(ino)
    }

    /// Creates a symbolic link to `target` (stored in a data block).
    pub fn symlink(&mut self, parent: u32, name: &[u8], target: &[u8]) -> Result<u32> {
        if target.is_empty() {
            return Err(Error::NotFound);
        }
        if target.len() > MAX_TARGET {
            return Err(Error::NameTooLong);
        }
        self.prepare_new(parent, name)?;
        let (ino, mut inode) = self.new_inode(S_IFLNK | 0o777, 1)?;
        if let Err(e) = self.write_data(&mut inode, 0, target) {
            self.free_inode(ino, &mut inode)?;
            return Err(e);
        }
        inode.size = target.len() as u32;
        self.link_new(parent, name, ino, &mut inode, FileType::Symlink)?;
        Ok(ino)
    }

    /// The target of symlink `ino`.
    pub fn readlink(&mut self, ino: u32) -> Result<Vec<u8>> {
        let (inode, ft) = self.live_inode(ino)?;
        if ft != FileType::Symlink {
            return Err(Error::Invalid);
        }
        if inode.size as usize > MAX_TARGET {
            return Err(Error::Corrupt("symlink target too long"));
        }
        let mut buf = alloc::vec![0u8; inode.size as usize];
        self.read_data(&inode, 0, &mut buf)?;
        Ok(buf)
    }

    /// Adds a hard link `parent/name` to the non-directory `ino`.
    pub fn link(&mut self, ino: u32, parent: u32, name: &[u8]) -> Result<()> {
        self.prepare_new(parent, name)?;
        let (mut inode, ft) = self.live_inode(ino)?;
        if ft == FileType::Directory {
            return Err(Error::IsDir);
        }
        if inode.links == u16::MAX {
            return Err(Error::TooManyLinks);
        }
        let mut p = self.dir_inode(parent)?;
        self.add_entry(&mut p, name, ino, ft)?;
        let now = self.now();
        p.mtime = now;
        p.ctime = now;
        self.write_inode(parent, &p)?;
        inode.links += 1;
        inode.ctime = now;
        self.write_inode(ino, &inode)
    }

    /// Drops one link of `ino`, freeing it at zero.
    fn drop_link(&mut self, ino: u32, mut inode: Inode) -> Result<()> {
        inode.links = inode.links.saturating_sub(1);
        if inode.links == 0 {
            self.free_inode(ino, &mut inode)
        } else {
            inode.ctime = self.now();
            self.write_inode(ino, &inode)
        }
    }

    /// Frees an (empty) directory being removed from `parent`.
    fn drop_dir(&mut self, ino: u32, mut inode: Inode, parent: &mut Inode) -> Result<()> {
        parent.links = parent.links.saturating_sub(1).max(2);
        self.free_inode(ino, &mut inode)
    }

    /// Removes the non-directory `parent/name`.
    pub fn unlink(&mut self, parent: u32, name: &[u8]) -> Result<()> {
        self.check_writable()?;
        let mut p = self.dir_inode(parent)?;
        if name == b"." || name == b".." {
            return Err(Error::IsDir);
        }
        let e = self.find_entry(&p, name)?.ok_or(Error::NotFound)?;
        let (inode, ft) = self.live_inode(e.ino).map_err(dangling)?;
        if ft == FileType::Directory {
            return Err(Error::IsDir);
        }
        self.clear_entry(&mut p, e.pos)?;
        self.touch_dir(parent, &mut p)?;
        self.drop_link(e.ino, inode)
    }

    /// Removes the empty directory `parent/name`.
    pub fn rmdir(&mut self, parent: u32, name: &[u8]) -> Result<()> {
        self.check_writable()?;
        let mut p = self.dir_inode(parent)?;
        match name {
            b"." => return Err(Error::Invalid),
            b".." => return Err(Error::NotEmpty),
            _ => {}
        }
        let e = self.find_entry(&p, name)?.ok_or(Error::NotFound)?;
        let (inode, ft) = self.live_inode(e.ino).map_err(dangling)?;
        if ft != FileType::Directory {
            return Err(Error::NotDir);
        }
        if e.ino == ROOT_INO {
            return Err(Error::Invalid);
        }
        if !self.dir_is_empty(&inode)? {
            return Err(Error::NotEmpty);
        }
        self.clear_entry(&mut p, e.pos)?;
        self.drop_dir(e.ino, inode, &mut p)?;
        self.touch_dir(parent, &mut p)
    }

    fn touch_dir(&mut self, ino: u32, dir: &mut Inode) -> Result<()> {
        let now = self.now();
        dir.mtime = now;
        dir.ctime = now;
        self.write_inode(ino, dir)
    }

    /// Whether `dir` is `ancestor` or lies below it (walking "..").
    fn is_within(&mut self, mut dir: u32, ancestor: u32) -> Result<bool> {
        for _ in 0..MAX_DEPTH {
            if dir == ancestor {
                return Ok(true);
            }
            if dir == ROOT_INO {
                return Ok(false);
            }
            dir = self.lookup(dir, b"..")?;
        }
        Err(Error::Corrupt(
            "directory tree deeper than 4096 levels or cyclic",
        ))
    }

    /// Renames `src_dir/src_name` to `dst_dir/dst_name` with POSIX
    /// semantics: an existing target is replaced (a directory only by an
    /// empty directory, a file only by a non-directory); renaming a link
    /// onto another link of the same inode does nothing; a directory can
    /// not move below itself.
    pub fn rename(
        &mut self,
        src_dir: u32,
        src_name: &[u8],
        dst_dir: u32,
        dst_name: &[u8],
    ) -> Result<()> {
        self.check_writable()?;
        for n in [src_name, dst_name] {
            if n == b"." || n == b".." {
                return Err(Error::Invalid);
            }
        }
        check_name(dst_name)?;
        let sp = self.dir_inode(src_dir)?;
        let src = self.find_entry(&sp, src_name)?.ok_or(Error::NotFound)?;
        let (mut s_inode, s_ft) = self.live_inode(src.ino).map_err(dangling)?;
        let mut dp = self.dir_inode(dst_dir)?;
        let dst = self.find_entry(&dp, dst_name)?;
        if s_ft == FileType::Directory && self.is_within(dst_dir, src.ino)? {
            return Err(Error::Invalid);
        }
        let now = self.now();
        match dst {
            Some(d) if d.ino == src.ino => return Ok(()),
            Some(d) => {
                let (d_inode, d_ft) = self.live_inode(d.ino).map_err(dangling)?;
                match (s_ft == FileType::Directory, d_ft == FileType::Directory) {
                    (true, false) => return Err(Error::NotDir),
                    (false, true) => return Err(Error::IsDir),
                    (true, true) if !self.dir_is_empty(&d_inode)? => return Err(Error::NotEmpty),
                    _ => {}
                }
                self.retarget_entry(&mut dp, d.pos, src.ino, s_ft)?;
                if d_ft == FileType::Directory {
                    // The replaced directory's ".." no longer counts.
                    self.drop_dir(d.ino, d_inode, &mut dp)?;
                } else {
                    self.drop_link(d.ino, d_inode)?;
                }
            }
            None => {
                if s_ft == FileType::Directory && src_dir != dst_dir && dp.links == u16::MAX {
                    return Err(Error::TooManyLinks);
                }
                self.add_entry(&mut dp, dst_name, src.ino, s_ft)?;
            }
        }
        if s_ft == FileType::Directory && src_dir != dst_dir {
            dp.links = dp.links.saturating_add(1);
        }
        dp.mtime = now;
        dp.ctime = now;
        self.write_inode(dst_dir, &dp)?;
        // Re-read: the source directory may be the destination.
        let mut sp = self.dir_inode(src_dir)?;
        self.clear_entry(&mut sp, src.pos)?;
        if s_ft == FileType::Directory && src_dir != dst_dir {
            sp.links = sp.links.saturating_sub(1).max(2);
            let dotdot = self
                .find_entry(&s_inode, b"..")?
                .ok_or(Error::Corrupt("directory has no '..' entry"))?;
            self.retarget_entry(&mut s_inode, dotdot.pos, dst_dir, FileType::Directory)?;
        }
        self.touch_dir(src_dir, &mut sp)?;
        s_inode.ctime = now;
        self.write_inode(src.ino, &s_inode)
    }

    /// The first live entry at or after stream offset `cookie` (0 to
    /// start), and the cookie of the entry after it; `None` at the end.
    pub fn readdir(&mut self, dir: u32, cookie: u64) -> Result<Option<(DirEntry, u64)>> {
        let d = self.dir_inode(dir)?;
        let mut w = DirWalker::new(&d, cookie);
        while let Some(e) = w.next(self, &d)? {
            if e.is_live() {
                let entry = DirEntry {
                    ino: e.ino,
                    file_type: file_type_of(e.ftype),
                    name: e.name().to_vec(),
                };
                return Ok(Some((entry, w.cookie())));
            }
        }
        Ok(None)
    }

    /// Every live entry of `dir`, "." and ".." first.
    pub fn read_dir(&mut self, dir: u32) -> Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        let mut cookie = 0;
        while let Some((e, next)) = self.readdir(dir, cookie)? {
            out.push(e);
            cookie = next;
        }
        Ok(out)
    }
}

/// An entry that names a free inode is a corruption, not a missing file.
fn dangling(e: Error) -> Error {
    match e {
        Error::NotFound => Error::Corrupt("directory entry names a free inode"),
        other => other,
    }
}

fn trim_slashes(path: &[u8]) -> &[u8] {
    let mut p = path;
    while let [rest @ .., b'/'] = p {
        p = rest;
    }
    p
}

/// Path components, without empty ones and ".".
pub fn components(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.split(|&c| c == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
}
