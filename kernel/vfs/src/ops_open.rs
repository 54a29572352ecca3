//! openat, pipe2, close, chdir/fchdir/getcwd, umask.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::abi::*;
use crate::context::Caller;
use crate::errno::{Errno, Result};
use crate::file::{NodeHandle, NodeRef, OpenFile, Target};
use crate::pipe::Pipe;
use crate::stat::FileKind;
use crate::vfs::{Loc, Vfs};
use veridian_syscall::mman::{MFD_ALLOW_SEALING, MFD_CLOEXEC};

/// Numbers the hidden names of unnamed files.
static UNNAMED: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Longest `memfd_create` name (Linux: 249 bytes, `MFD_NAME_MAX_LEN`).
const MEMFD_NAME_MAX: usize = 249;

impl Vfs {
    /// `openat(dirfd, path, flags, mode)`: returns the new fd. Handles
    /// `O_CREAT`/`O_EXCL` (mode masked by the umask), `O_TRUNC`,
    /// `O_DIRECTORY`, `O_NOFOLLOW` (`ELOOP` on a final symlink unless
    /// `O_PATH`), `O_PATH`, `O_APPEND`, `O_NONBLOCK`, `O_CLOEXEC`,
    /// `O_TMPFILE` ([`Self::open_unnamed`]). `O_CREAT` through a dangling
    /// symlink creates its target.
    pub fn openat(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
        flags: u32,
        mode: u32,
    ) -> Result<i32> {
        let file = self.open_file(c, dirfd, path, flags, mode)?;
        c.fds.insert(Arc::new(file), flags & O_CLOEXEC != 0)
    }

    /// `openat` without installing an fd: the open file description
    /// (for the kernel's exec loader, or to install at a chosen fd).
    pub fn open_file(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
        flags: u32,
        mode: u32,
    ) -> Result<OpenFile> {
        if flags & O_TMPFILE == O_TMPFILE {
            return self.open_unnamed(c, dirfd, path, flags & !O_TMPFILE, mode);
        }
        if flags & (O_CREAT | O_DIRECTORY | O_PATH) == O_CREAT | O_DIRECTORY {
            return Err(Errno::EINVAL); // as Linux 6.4+: never creates a file
        }
        let flags = if flags & O_PATH != 0 {
            flags & (O_PATH | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW)
        } else {
            flags
        };
        let nofollow = flags & O_NOFOLLOW != 0;
        let loc = if flags & O_CREAT != 0 {
            self.open_create(c, dirfd, path, flags, mode)?
        } else {
            self.resolve_at(c, dirfd, path, !nofollow)?
        };
        let node = loc.node;
        let st = self.stat_node(node)?;
        let acc = flags & O_ACCMODE;
        let wants_write = flags & O_PATH == 0 && (acc == O_WRONLY || acc == O_RDWR);
        match st.kind {
            FileKind::Symlink if flags & O_PATH == 0 => return Err(Errno::ELOOP),
            // Linux: a socket node cannot be opened (only with `O_PATH`).
            FileKind::Socket if flags & O_PATH == 0 => return Err(Errno::ENXIO),
            FileKind::Directory if wants_write || (flags & O_CREAT != 0 && flags & O_PATH == 0) => {
                return Err(Errno::EISDIR)
            }
            k if flags & O_DIRECTORY != 0 && k != FileKind::Directory => {
                return Err(Errno::ENOTDIR)
            }
            _ => {}
        }
        if acc == O_ACCMODE && flags & O_PATH == 0 {
            return Err(Errno::EINVAL);
        }
        let fs = self.fs(node.mount);
        if wants_write
            && fs.read_only()
            && matches!(st.kind, FileKind::Regular | FileKind::Directory)
        {
            return Err(Errno::EROFS);
        }
        if wants_write && flags & O_TRUNC != 0 && st.kind == FileKind::Regular && st.size != 0 {
            fs.truncate(node.ino, 0)?;
        }
        let target = Target::Node(NodeHandle::new(fs, node));
        Ok(OpenFile::new(target, loc.path, flags))
    }

    /// `O_TMPFILE`: a new regular file with no name, on the file system of
    /// the directory `path`. It is created under a hidden name that is
    /// unlinked at once, so it lives as long as it is open; it cannot be
    /// given a name later (`linkat` of an unnamed file is not supported).
    /// The access mode must allow writing (`EINVAL`).
    pub fn open_unnamed(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
        flags: u32,
        mode: u32,
    ) -> Result<OpenFile> {
        let acc = flags & O_ACCMODE;
        if acc != O_WRONLY && acc != O_RDWR {
            return Err(Errno::EINVAL);
        }
        let dir = self.resolve_at(c, dirfd, path, true)?;
        if self.stat_node(dir.node)?.kind != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        loop {
            let n = UNNAMED.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            let mut hidden = dir.path.clone();
            if hidden.last() != Some(&b'/') {
                hidden.push(b'/');
            }
            hidden.extend_from_slice(alloc::format!(".unnamed-{n}").as_bytes());
            let flags = flags | O_CREAT | O_EXCL;
            match self.open_file(c, AT_FDCWD, &hidden, flags & !O_DIRECTORY, mode) {
                Err(Errno::EEXIST) => continue,
                Err(e) => return Err(e),
                Ok(file) => {
                    self.unlinkat(c, AT_FDCWD, &hidden, 0)?;
                    return Ok(file);
                }
            }
        }
    }

    /// `memfd_create(name, flags)`: an unnamed file (as `O_TMPFILE`) in
    /// `/tmp`, or in `/` if there is no `/tmp`, open for reading and
    /// writing; `/proc/<pid>/fd` shows it as `/memfd:<name> (deleted)`.
    /// `MFD_CLOEXEC`; `MFD_ALLOW_SEALING` is accepted, but sealing itself
    /// (`F_ADD_SEALS`) is not supported.
    pub fn memfd_create(&self, c: Caller<'_>, name: &[u8], flags: u32) -> Result<i32> {
        if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING) != 0 || name.len() > MEMFD_NAME_MAX {
            return Err(Errno::EINVAL);
        }
        let dir: &[u8] = match self.resolve_at(c, AT_FDCWD, b"/tmp", true) {
            Ok(loc) if self.stat_node(loc.node)?.kind == FileKind::Directory => b"/tmp",
            _ => b"/",
        };
        let mut file = self.open_unnamed(c, AT_FDCWD, dir, O_RDWR, 0o777)?;
        let mut shown = b"/memfd:".to_vec();
        shown.extend_from_slice(name);
        shown.extend_from_slice(b" (deleted)");
        file.set_path(shown);
        c.fds.insert(Arc::new(file), flags & MFD_CLOEXEC != 0)
    }

    /// Opens an absolute `path` outside any process (boot, the ELF
    /// loader, the kernel's own files), following symlinks.
    pub fn open_kernel(&self, path: &[u8], flags: u32) -> Result<OpenFile> {
        let fds = crate::FdTable::new();
        let fsx = crate::FsContext::new(self.root());
        self.open_file(
            Caller {
                fds: &fds,
                fs: &fsx,
            },
            AT_FDCWD,
            path,
            flags & !O_CREAT,
            0,
        )
    }

    /// `O_CREAT`: opens or creates the last name; an existing symlink is
    /// followed, and if it dangles its target is created (as Linux does).
    fn open_create(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
        flags: u32,
        mode: u32,
    ) -> Result<Loc> {
        let (mut dir, mut name, trailing) = self.parent_loc_at(c, dirfd, path)?;
        if trailing {
            return Err(Errno::EISDIR);
        }
        for hop in 0..=MAX_SYMLINKS {
            if matches!(&name[..], b"" | b"." | b"..") {
                // An existing directory: "exists" wins over "is a directory".
                return Err(if flags & O_EXCL != 0 {
                    Errno::EEXIST
                } else {
                    Errno::EISDIR
                });
            }
            let node = match self.child(dir.node, &name) {
                Ok(_) if flags & O_EXCL != 0 && hop == 0 => return Err(Errno::EEXIST),
                Ok(node) => node,
                Err(Errno::ENOENT) => {
                    let perm = mode & 0o7777 & !c.fs.umask();
                    let ino = self.fs(dir.node.mount).create(dir.node.ino, &name, perm)?;
                    self.inherit_group(
                        dir.node,
                        NodeRef {
                            mount: dir.node.mount,
                            ino,
                        },
                        false,
                    )?;
                    dir.step(
                        NodeRef {
                            mount: dir.node.mount,
                            ino,
                        },
                        &name,
                    );
                    return Ok(dir);
                }
                Err(e) => return Err(e),
            };
            if self.kind(node)? != FileKind::Symlink {
                dir.step(node, &name);
                return Ok(dir);
            }
            if flags & O_NOFOLLOW != 0 {
                return Err(Errno::ELOOP);
            }
            let target = self.fs(node.mount).readlink(node.ino)?;
            let (d, n, t) = self.split_parent(&dir, &target)?;
            if t {
                return Err(Errno::EISDIR);
            }
            (dir, name) = (d, n);
        }
        Err(Errno::ELOOP)
    }

    /// `pipe2(flags)`: returns (read fd, write fd). `flags` may hold
    /// `O_CLOEXEC`, `O_NONBLOCK` (and `O_DIRECT`, ignored).
    pub fn pipe2(&self, c: Caller<'_>, flags: u32) -> Result<(i32, i32)> {
        if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
            return Err(Errno::EINVAL);
        }
        let (r, w) = Pipe::new_pair();
        let name = alloc::format!("pipe:[{}]", r.id() >> 4).into_bytes();
        let status = flags & O_NONBLOCK;
        let rf = Arc::new(OpenFile::new(
            Target::Pipe(r),
            name.clone(),
            O_RDONLY | status,
        ));
        let wf = Arc::new(OpenFile::new(Target::Pipe(w), name, O_WRONLY | status));
        let cloexec = flags & O_CLOEXEC != 0;
        let rfd = c.fds.insert(rf, cloexec)?;
        match c.fds.insert(wf, cloexec) {
            Ok(wfd) => Ok((rfd, wfd)),
            Err(e) => {
                let _ = c.fds.close(rfd);
                Err(e)
            }
        }
    }

    /// `close(fd)`.
    pub fn close(&self, c: Caller<'_>, fd: i32) -> Result<()> {
        c.fds.close(fd)
    }

    /// `chdir(path)`.
    pub fn chdir(&self, c: Caller<'_>, path: &[u8]) -> Result<()> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let moves = self.dir_moves();
        let loc = self.resolve_at(c, AT_FDCWD, path, true)?;
        self.set_cwd(c, loc, moves)
    }

    /// `fchdir(fd)` (`O_PATH` fds work).
    pub fn fchdir(&self, c: Caller<'_>, fd: i32) -> Result<()> {
        let f = c.fds.get(fd)?;
        let node = f.node().ok_or(Errno::ENOTDIR)?;
        // The path the fd was opened by may have moved since.
        self.set_cwd(
            c,
            Loc {
                node,
                path: f.path().to_vec(),
            },
            u64::MAX,
        )
    }

    /// Sets the working directory; `moves`: the directory-move count its
    /// path was found at.
    fn set_cwd(&self, c: Caller<'_>, loc: Loc, moves: u64) -> Result<()> {
        if self.kind(loc.node)? != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        *c.fs.cwd.lock() = (loc.node, loc.path, moves);
        Ok(())
    }

    /// `getcwd`: the working directory's absolute path (`ENOENT` if it was
    /// removed). The kernel returns `ERANGE` if the user buffer is shorter
    /// than the result plus its NUL.
    pub fn getcwd(&self, c: Caller<'_>) -> Result<Vec<u8>> {
        let moves = self.dir_moves();
        let node = {
            let g = c.fs.cwd.lock();
            if g.2 == moves {
                // No folder moved since the path was found.
                return Ok(g.1.clone());
            }
            g.0
        };
        let path = self.path_of(node)?;
        let mut g = c.fs.cwd.lock();
        if g.0 == node {
            *g = (node, path.clone(), moves);
        }
        Ok(path)
    }

    /// `umask(mask)`: returns the previous mask.
    pub fn umask(&self, c: Caller<'_>, mask: u32) -> u32 {
        c.fs.set_umask(mask)
    }
}
