//! The VFS object: the mount table, node helpers and path resolution.
//! The syscall-shaped operations are in `ops_*.rs`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::RwLock;

use crate::abi::*;
use crate::context::Caller;
use crate::errno::{Errno, Result};
use crate::file::NodeRef;
use crate::filesystem::Filesystem;
use crate::stat::{FileKind, Stat, Timespec};

struct Mount {
    fs: Arc<dyn Filesystem>,
    /// The directory this mount hides (`None` for `/`).
    covered: Option<NodeRef>,
    /// `st_dev` of its nodes.
    dev: u64,
    /// Canonical path of the mount point.
    path: Vec<u8>,
}

/// The virtual file system: mounts plus Linux file-syscall semantics.
pub struct Vfs {
    mounts: RwLock<Vec<Mount>>,
    clock: fn() -> Timespec,
    /// Counts the changes that can move or remove a folder's path (folder
    /// renames, `rmdir`, mounts): a path found while it had some value is
    /// still the folder's path while it keeps it.
    dir_moves: core::sync::atomic::AtomicU64,
    /// The flock(2) locks held on this VFS's files.
    pub(crate) flocks: alloc::sync::Arc<crate::flock::FlockTable>,
}

/// A resolved node and its canonical absolute path.
#[derive(Clone)]
pub(crate) struct Loc {
    pub node: NodeRef,
    pub path: Vec<u8>,
}

impl Loc {
    pub fn root(node: NodeRef) -> Self {
        Loc {
            node,
            path: alloc::vec![b'/'],
        }
    }

    /// Moves to `next`, reached by the component `name`.
    pub fn step(&mut self, next: NodeRef, name: &[u8]) {
        self.node = next;
        match name {
            b"." => {}
            b".." => {
                let cut = self.path.iter().rposition(|&c| c == b'/').unwrap_or(0);
                self.path.truncate(cut.max(1));
            }
            _ => self.push(name),
        }
    }

    /// Appends `/name` to the path.
    pub fn push(&mut self, name: &[u8]) {
        if self.path.last() != Some(&b'/') {
            self.path.push(b'/');
        }
        self.path.extend_from_slice(name);
    }
}

fn zero_clock() -> Timespec {
    Timespec::default()
}

impl Vfs {
    /// A VFS whose `/` is `root` (mount 0). Time stamps for `UTIME_NOW`
    /// come from [`Vfs::set_clock`] (default: the epoch).
    pub fn new(root: Arc<dyn Filesystem>) -> Self {
        let dev = makedev(0, 1);
        Vfs {
            mounts: RwLock::new(alloc::vec![Mount {
                fs: root,
                covered: None,
                dev,
                path: alloc::vec![b'/']
            }]),
            clock: zero_clock,
            dir_moves: core::sync::atomic::AtomicU64::new(0),
            flocks: Default::default(),
        }
    }

    /// See `dir_moves`.
    pub(crate) fn dir_moves(&self) -> u64 {
        self.dir_moves.load(core::sync::atomic::Ordering::Acquire)
    }

    /// Records a change that may move or remove a folder's path.
    pub(crate) fn note_dir_move(&self) {
        self.dir_moves
            .fetch_add(1, core::sync::atomic::Ordering::AcqRel);
    }

    /// Sets the wall clock used for `utimensat(UTIME_NOW)`.
    pub fn set_clock(&mut self, clock: fn() -> Timespec) {
        self.clock = clock;
    }

    pub(crate) fn now(&self) -> Timespec {
        (self.clock)()
    }

    /// The root directory node.
    pub fn root(&self) -> NodeRef {
        let m = self.mounts.read();
        NodeRef {
            mount: 0,
            ino: m[0].fs.root(),
        }
    }

    /// Mounts `fs` on the directory at absolute `path`, creating the
    /// directory (0755) if it is missing; returns the mount index.
    pub fn mount(&self, path: &[u8], fs: Arc<dyn Filesystem>) -> Result<usize> {
        self.note_dir_move();
        let root = Loc::root(self.root());
        let loc = match self.walk(&root, path, true, &mut 0) {
            Ok(r) => r,
            Err(Errno::ENOENT) => {
                let (mut dir, name, _) = self.split_parent(&root, path)?;
                let ino = self.fs(dir.node.mount).mkdir(dir.node.ino, &name, 0o755)?;
                dir.step(
                    NodeRef {
                        mount: dir.node.mount,
                        ino,
                    },
                    &name,
                );
                dir
            }
            Err(e) => return Err(e),
        };
        let node = loc.node;
        if self.kind(node)? != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        let mut m = self.mounts.write();
        let idx = m.len();
        m.push(Mount {
            fs,
            covered: Some(node),
            dev: makedev(0, idx as u32 + 1),
            path: loc.path,
        });
        Ok(idx)
    }

    /// The mount table in `/proc/mounts` format ("source path type
    /// rw|ro 0 0" lines), for [`crate::ProcessInfo::mounts`].
    pub fn mounts_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for m in self.mounts.read().iter() {
            let name = m.fs.name().as_bytes();
            for part in [
                name,
                b" ",
                &m.path,
                b" ",
                name,
                if m.fs.read_only() { b" ro" } else { b" rw" },
                b" 0 0\n",
            ] {
                out.extend_from_slice(part);
            }
        }
        out
    }

    /// The file system of mount `mount`.
    pub(crate) fn fs(&self, mount: usize) -> Arc<dyn Filesystem> {
        self.mounts.read()[mount].fs.clone()
    }

    /// Every mounted file system, in mount order.
    pub(crate) fn all_fs(&self) -> Vec<Arc<dyn Filesystem>> {
        self.mounts.read().iter().map(|m| m.fs.clone()).collect()
    }

    /// Metadata of a node with `dev` and `mnt_id` filled in.
    pub fn stat_node(&self, node: NodeRef) -> Result<Stat> {
        let (fs, dev) = {
            let m = self.mounts.read();
            (m[node.mount].fs.clone(), m[node.mount].dev)
        };
        let mut st = fs.stat(node.ino)?;
        st.dev = dev;
        st.ino = node.ino;
        st.mnt_id = node.mount as u64 + 1;
        Ok(st)
    }

    pub(crate) fn kind(&self, node: NodeRef) -> Result<FileKind> {
        Ok(self.fs(node.mount).stat(node.ino)?.kind)
    }

    /// If a file system is mounted on `node`, the root of the topmost one.
    fn cross_down(&self, mut node: NodeRef) -> NodeRef {
        let m = self.mounts.read();
        while let Some(i) = m.iter().rposition(|x| x.covered == Some(node)) {
            node = NodeRef {
                mount: i,
                ino: m[i].fs.root(),
            };
        }
        node
    }

    /// Whether `node` is the root of a mount other than `/`.
    pub(crate) fn is_mount_root(&self, node: NodeRef) -> bool {
        let m = self.mounts.read();
        node.mount != 0 && m[node.mount].fs.root() == node.ino
    }

    /// The node `node` appears as in its parent's file system: a mount
    /// root is seen as the directory it covers.
    fn upper(&self, mut node: NodeRef) -> NodeRef {
        let m = self.mounts.read();
        while let Some(c) = m[node.mount]
            .covered
            .filter(|_| m[node.mount].fs.root() == node.ino)
        {
            node = c;
        }
        node
    }

    /// The parent directory of the directory `node` (`/` is its own).
    pub(crate) fn parent(&self, node: NodeRef) -> Result<NodeRef> {
        let node = self.upper(node);
        let fs = self.fs(node.mount);
        if node.mount == 0 && node.ino == fs.root() {
            return Ok(node);
        }
        Ok(NodeRef {
            mount: node.mount,
            ino: fs.lookup(node.ino, b"..")?,
        })
    }

    /// Whether `anc` is `node` or one of its ancestors (walking `..`).
    pub(crate) fn is_ancestor(&self, anc: NodeRef, mut node: NodeRef) -> Result<bool> {
        for _ in 0..PATH_MAX {
            if node == anc {
                return Ok(true);
            }
            let up = self.parent(node)?;
            if up == node {
                return Ok(false);
            }
            node = up;
        }
        Err(Errno::ELOOP)
    }

    /// The entry `name` of directory `dir`, crossing mount points; `.` and
    /// `..` included.
    pub(crate) fn child(&self, dir: NodeRef, name: &[u8]) -> Result<NodeRef> {
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        match name {
            b"." | b".." => {
                if self.kind(dir)? != FileKind::Directory {
                    return Err(Errno::ENOTDIR);
                }
                if name == b"." {
                    Ok(dir)
                } else {
                    self.parent(dir)
                }
            }
            _ => {
                let ino = self.fs(dir.mount).lookup(dir.ino, name)?;
                Ok(self.cross_down(NodeRef {
                    mount: dir.mount,
                    ino,
                }))
            }
        }
    }

    /// Resolves `path` from `start` (absolute paths from `/`). Symlinks
    /// are followed in the middle, and at the end if `follow_last` or the
    /// path ends in `/` (which also requires a directory). `links` counts
    /// symlinks followed so far (`ELOOP` past 40). The result carries the
    /// canonical absolute path (no `.`, `..` or symlinks).
    pub(crate) fn walk(
        &self,
        start: &Loc,
        path: &[u8],
        follow_last: bool,
        links: &mut u32,
    ) -> Result<Loc> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut cur = if path[0] == b'/' {
            Loc::root(self.root())
        } else {
            start.clone()
        };
        let must_dir = path.ends_with(b"/");
        let comps: Vec<&[u8]> = path
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        for (i, name) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            let next = self.child(cur.node, name)?;
            let follow = !last || follow_last || must_dir;
            if follow && self.kind(next)? == FileKind::Symlink {
                *links += 1;
                if *links > MAX_SYMLINKS {
                    return Err(Errno::ELOOP);
                }
                let target = self.fs(next.mount).readlink(next.ino)?;
                cur = self.walk(&cur, &target, true, links)?;
            } else {
                cur.step(next, name);
            }
        }
        if must_dir && self.kind(cur.node)? != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        Ok(cur)
    }

    /// Splits `path` into its parent directory (resolved from `start`,
    /// following links, must be a directory), its last name (empty for
    /// `/`) and whether it had trailing slashes.
    pub(crate) fn split_parent(&self, start: &Loc, path: &[u8]) -> Result<(Loc, Vec<u8>, bool)> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut end = path.len();
        while end > 1 && path[end - 1] == b'/' {
            end -= 1;
        }
        let trailing = end < path.len();
        let trimmed = &path[..end];
        let (dir_path, name): (&[u8], &[u8]) = match trimmed.iter().rposition(|&c| c == b'/') {
            Some(0) if trimmed.len() == 1 => (b"/", b""),
            Some(0) => (b"/", &trimmed[1..]),
            Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
            None => (b".", trimmed),
        };
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let dir = self.walk(start, dir_path, true, &mut 0)?;
        if self.kind(dir.node)? != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        Ok((dir, name.to_vec(), trailing))
    }

    /// The directory `*at` calls start from: `dirfd`'s node, or the
    /// working directory for `AT_FDCWD`. Absolute paths ignore it.
    pub(crate) fn start_dir(&self, c: Caller<'_>, dirfd: i32, path: &[u8]) -> Result<Loc> {
        if path.first() == Some(&b'/') {
            return Ok(Loc::root(self.root()));
        }
        if dirfd == AT_FDCWD {
            return Ok(c.fs.cwd_loc());
        }
        let f = c.fds.get(dirfd)?;
        let node = f.node().ok_or(Errno::ENOTDIR)?;
        if self.kind(node)? != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        Ok(Loc {
            node,
            path: f.path().to_vec(),
        })
    }

    /// The node of `dirfd` itself (for `AT_EMPTY_PATH` and `futimens`).
    pub(crate) fn fd_node(&self, c: Caller<'_>, dirfd: i32) -> Result<NodeRef> {
        if dirfd == AT_FDCWD {
            return Ok(c.fs.cwd());
        }
        c.fds.get(dirfd)?.node().ok_or(Errno::EBADF)
    }

    /// Resolves a `*at` path to a node and its canonical path.
    pub(crate) fn resolve_at(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
        follow: bool,
    ) -> Result<Loc> {
        let start = self.start_dir(c, dirfd, path)?;
        self.walk(&start, path, follow, &mut 0)
    }

    /// Resolves a `*at` path; `AT_EMPTY_PATH` with an empty path names
    /// `dirfd` itself.
    pub(crate) fn lookup_at(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
        follow: bool,
        empty_ok: bool,
    ) -> Result<NodeRef> {
        if path.is_empty() {
            return if empty_ok {
                self.fd_node(c, dirfd)
            } else {
                Err(Errno::ENOENT)
            };
        }
        Ok(self.resolve_at(c, dirfd, path, follow)?.node)
    }

    /// Splits a `*at` path into parent directory (with its path), last
    /// name and trailing-slash flag.
    pub(crate) fn parent_loc_at(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
    ) -> Result<(Loc, Vec<u8>, bool)> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let start = self.start_dir(c, dirfd, path)?;
        self.split_parent(&start, path)
    }

    /// [`Self::parent_loc_at`] without the path.
    pub(crate) fn parent_at(
        &self,
        c: Caller<'_>,
        dirfd: i32,
        path: &[u8],
    ) -> Result<(NodeRef, Vec<u8>, bool)> {
        let (dir, name, trailing) = self.parent_loc_at(c, dirfd, path)?;
        Ok((dir.node, name, trailing))
    }

    /// The absolute path of directory `node`, found by walking `..` and
    /// searching each parent for the child (correct after renames).
    pub fn path_of(&self, node: NodeRef) -> Result<Vec<u8>> {
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut cur = node;
        for _ in 0..PATH_MAX {
            let up = self.upper(cur);
            let parent = self.parent(up)?;
            if parent == up {
                break;
            }
            let fs = self.fs(parent.mount);
            let mut cookie = 0;
            let name = loop {
                match fs.readdir(parent.ino, cookie)? {
                    Some((e, next)) => {
                        if e.ino == up.ino && e.name != b"." && e.name != b".." {
                            break e.name;
                        }
                        cookie = next;
                    }
                    None => return Err(Errno::ENOENT),
                }
            };
            names.push(name);
            cur = parent;
        }
        let mut out = Vec::new();
        for n in names.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(n);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        if out.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(out)
    }
}
