//! Name-space changes: mkdirat, unlinkat, renameat2, linkat, symlinkat,
//! readlinkat, truncate.

use alloc::vec::Vec;

use crate::abi::*;
use crate::context::Caller;
use crate::errno::{Errno, Result};
use crate::file::{NodeHandle, NodeRef, SocketNode};
use crate::stat::FileKind;
use crate::vfs::Vfs;

fn special(name: &[u8]) -> bool {
    matches!(name, b"" | b"." | b"..")
}

impl Vfs {
    /// `mkdirat(dirfd, path, mode)`; mode masked by the umask.
    pub fn mkdirat(&self, c: Caller<'_>, dirfd: i32, path: &[u8], mode: u32) -> Result<()> {
        let (dir, name, _) = self.parent_at(c, dirfd, path)?;
        if special(&name) {
            return Err(Errno::EEXIST);
        }
        match self.child(dir, &name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let perm = mode & 0o7777 & !c.fs.umask();
        let ino = self.fs(dir.mount).mkdir(dir.ino, &name, perm)?;
        self.inherit_group(
            dir,
            NodeRef {
                mount: dir.mount,
                ino,
            },
            true,
        )
    }

    /// `bind(2)` of an `AF_UNIX` socket to `path` (relative to the cwd):
    /// creates a socket node with `mode & ~umask`. `EADDRINUSE` if the
    /// name exists (even as a dangling symlink, as Linux), `ENOENT` or
    /// `ENOTDIR` for a bad parent, `EROFS` on a read-only mount.
    pub fn bind_socket(&self, c: Caller<'_>, path: &[u8], mode: u32) -> Result<SocketNode> {
        let (dir, name, trailing) = self.parent_at(c, AT_FDCWD, path)?;
        if special(&name) {
            return Err(Errno::EADDRINUSE);
        }
        match self.child(dir, &name) {
            Ok(_) => return Err(Errno::EADDRINUSE),
            Err(Errno::ENOENT) if trailing => return Err(Errno::ENOENT),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let perm = mode & 0o7777 & !c.fs.umask();
        let fs = self.fs(dir.mount);
        let ino = fs.mksock(dir.ino, &name, perm)?;
        let node = NodeRef {
            mount: dir.mount,
            ino,
        };
        self.inherit_group(dir, node, false)?;
        Ok(SocketNode::new(NodeHandle::new(fs, node)))
    }

    /// The socket node `connect(2)`/`sendto(2)` of an `AF_UNIX` path
    /// reaches (symlinks followed): `ENOENT`/`ENOTDIR` as a lookup,
    /// `ECONNREFUSED` if the file is not a socket (Linux).
    pub fn socket_node(&self, c: Caller<'_>, path: &[u8]) -> Result<NodeRef> {
        let node = self.lookup_at(c, AT_FDCWD, path, true, false)?;
        if self.kind(node)? != FileKind::Socket {
            return Err(Errno::ECONNREFUSED);
        }
        Ok(node)
    }

    /// BSD group semantics, as Linux: in a set-group-ID directory new
    /// entries take the directory's group, and new directories keep the
    /// set-group-ID bit.
    pub(crate) fn inherit_group(&self, dir: NodeRef, new: NodeRef, is_dir: bool) -> Result<()> {
        let parent = self.stat_node(dir)?;
        if parent.perm & S_ISGID == 0 {
            return Ok(());
        }
        let fs = self.fs(new.mount);
        let st = fs.stat(new.ino)?;
        if st.gid != parent.gid {
            fs.set_owner(new.ino, st.uid, parent.gid)?;
        }
        if is_dir {
            fs.set_mode(new.ino, st.perm | S_ISGID)?;
        }
        Ok(())
    }

    /// `unlinkat(dirfd, path, flags)`; `AT_REMOVEDIR` makes it `rmdir`
    /// (`EBUSY` for a mount point, `EINVAL` for `.`, `ENOTEMPTY` for `..`).
    pub fn unlinkat(&self, c: Caller<'_>, dirfd: i32, path: &[u8], flags: u32) -> Result<()> {
        if flags & !AT_REMOVEDIR != 0 {
            return Err(Errno::EINVAL);
        }
        let (dir, name, trailing) = self.parent_at(c, dirfd, path)?;
        if flags & AT_REMOVEDIR != 0 {
            match &name[..] {
                b"" => return Err(Errno::EBUSY),
                b"." => return Err(Errno::EINVAL),
                b".." => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            let node = self.child(dir, &name)?;
            if self.is_mount_root(node) {
                return Err(Errno::EBUSY);
            }
            self.note_dir_move();
            self.fs(dir.mount).rmdir(dir.ino, &name)
        } else {
            if special(&name) {
                return Err(Errno::EISDIR);
            }
            let node = self.child(dir, &name)?;
            if self.kind(node)? == FileKind::Directory {
                return Err(Errno::EISDIR);
            }
            if trailing {
                return Err(Errno::ENOTDIR);
            }
            self.fs(dir.mount).unlink(dir.ino, &name)
        }
    }

    /// `renameat2(olddirfd, oldpath, newdirfd, newpath, flags)`. Flags:
    /// `RENAME_NOREPLACE`; `RENAME_EXCHANGE`/`RENAME_WHITEOUT` are
    /// `EINVAL` (unsupported, as on file systems without them). Errors come
    /// in Linux's order: `EXDEV` across mounts, `EBUSY` for `.`/`..`,
    /// `ENOENT`, `EEXIST` (no-replace), `ENOTDIR` (trailing slash on a
    /// file), `EINVAL` (into itself), `ENOTEMPTY` (onto an ancestor),
    /// `EBUSY` (mount point), then the type checks.
    pub fn renameat2(
        &self,
        c: Caller<'_>,
        olddirfd: i32,
        oldpath: &[u8],
        newdirfd: i32,
        newpath: &[u8],
        flags: u32,
    ) -> Result<()> {
        if flags & !RENAME_NOREPLACE != 0 {
            return Err(Errno::EINVAL);
        }
        let noreplace = flags & RENAME_NOREPLACE != 0;
        let (sdir, sname, strail) = self.parent_at(c, olddirfd, oldpath)?;
        let (ddir, dname, dtrail) = self.parent_at(c, newdirfd, newpath)?;
        if sdir.mount != ddir.mount {
            return Err(Errno::EXDEV);
        }
        if special(&sname) {
            return Err(Errno::EBUSY);
        }
        if special(&dname) {
            return Err(if noreplace {
                Errno::EEXIST
            } else {
                Errno::EBUSY
            });
        }
        let src = self.child(sdir, &sname)?;
        let dst = match self.child(ddir, &dname) {
            Ok(_) if noreplace => return Err(Errno::EEXIST),
            Ok(d) => Some(d),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        if (strail || dtrail) && self.kind(src)? != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        if self.is_ancestor(src, ddir)? {
            return Err(Errno::EINVAL);
        }
        if let Some(d) = dst {
            if self.is_ancestor(d, sdir)? {
                return Err(Errno::ENOTEMPTY);
            }
        }
        if self.is_mount_root(src) || dst.is_some_and(|d| self.is_mount_root(d)) {
            return Err(Errno::EBUSY);
        }
        if self.kind(src)? == FileKind::Directory {
            self.note_dir_move();
        }
        self.fs(sdir.mount)
            .rename(sdir.ino, &sname, ddir.ino, &dname)
    }

    /// `linkat(olddirfd, oldpath, newdirfd, newpath, flags)`: flags
    /// `AT_SYMLINK_FOLLOW`, `AT_EMPTY_PATH`; `EPERM` for a directory,
    /// `EXDEV` across mounts.
    pub fn linkat(
        &self,
        c: Caller<'_>,
        olddirfd: i32,
        oldpath: &[u8],
        newdirfd: i32,
        newpath: &[u8],
        flags: u32,
    ) -> Result<()> {
        if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL);
        }
        let src = self.lookup_at(
            c,
            olddirfd,
            oldpath,
            flags & AT_SYMLINK_FOLLOW != 0,
            flags & AT_EMPTY_PATH != 0,
        )?;
        let (dir, name, trailing) = self.parent_at(c, newdirfd, newpath)?;
        if special(&name) {
            return Err(Errno::EEXIST);
        }
        match self.child(dir, &name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) if trailing => return Err(Errno::ENOENT),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        if src.mount != dir.mount {
            return Err(Errno::EXDEV);
        }
        if self.kind(src)? == FileKind::Directory {
            return Err(Errno::EPERM);
        }
        self.fs(dir.mount).link(src.ino, dir.ino, &name)
    }

    /// `symlinkat(target, newdirfd, linkpath)`.
    pub fn symlinkat(
        &self,
        c: Caller<'_>,
        target: &[u8],
        newdirfd: i32,
        linkpath: &[u8],
    ) -> Result<()> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let (dir, name, trailing) = self.parent_at(c, newdirfd, linkpath)?;
        if special(&name) {
            return Err(Errno::EEXIST);
        }
        match self.child(dir, &name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) if trailing => return Err(Errno::ENOENT),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        self.fs(dir.mount).symlink(dir.ino, &name, target).map(drop)
    }

    /// `readlinkat(dirfd, path)`: the whole target; the kernel copies at
    /// most `bufsiz` bytes (no NUL) and returns that count. An empty path
    /// reads the symlink `dirfd` itself (opened `O_PATH|O_NOFOLLOW`).
    pub fn readlinkat(&self, c: Caller<'_>, dirfd: i32, path: &[u8]) -> Result<Vec<u8>> {
        let node = self.lookup_at(c, dirfd, path, false, true)?;
        if self.kind(node)? != FileKind::Symlink {
            return Err(if path.is_empty() {
                Errno::ENOENT
            } else {
                Errno::EINVAL
            });
        }
        self.fs(node.mount).readlink(node.ino)
    }

    /// `truncate(path, len)`.
    pub fn truncate(&self, c: Caller<'_>, path: &[u8], len: i64) -> Result<()> {
        let len = u64::try_from(len).map_err(|_| Errno::EINVAL)?;
        let node = self.lookup_at(c, AT_FDCWD, path, true, false)?;
        match self.kind(node)? {
            FileKind::Directory => Err(Errno::EISDIR),
            FileKind::Regular => self.fs(node.mount).truncate(node.ino, len),
            _ => Err(Errno::EINVAL),
        }
    }
}
