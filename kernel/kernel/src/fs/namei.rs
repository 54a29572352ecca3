//! Name lookup: absolute paths from (dirfd, path), the synthetic /dev and
//! /proc trees, BlockFS for everything else, and open(2) itself.

use alloc::sync::Arc;
use alloc::vec::Vec;
use veridian_syscall::errno::*;

use super::file::{self, with_root, Node, OpenFile, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_TRUNC, S_IFDIR};
use super::path;
use crate::task;

pub const AT_FDCWD: i32 = -100;
pub type KResult<T> = Result<T, i32>;

/// The absolute path `p` names relative to `dirfd`.
pub fn absolute(dirfd: i32, p: &[u8]) -> KResult<Vec<u8>> {
    if p.first() == Some(&b'/') {
        return Ok(path::absolute(b"/", p));
    }
    let base = if dirfd == AT_FDCWD {
        task::current().fsctx().lock().cwd.clone()
    } else {
        let f = task::current().files().lock().get(dirfd)?;
        if f.stat()?.mode & 0o170000 != S_IFDIR {
            return Err(ENOTDIR);
        }
        f.path.clone()
    };
    Ok(path::absolute(&base, p))
}

/// A node from the synthetic trees, if `abs` is one.
fn special(abs: &[u8], follow: bool) -> Option<KResult<Node>> {
    let node = match abs {
        b"/dev" => Node::Dir(Arc::new(file::dev_entries()), 900),
        b"/dev/console" | b"/dev/tty" | b"/dev/ttyS0" => Node::Console,
        b"/dev/ttyS1" => Node::Serial(1),
        b"/dev/ttyS2" => Node::Serial(2),
        b"/dev/null" => Node::Null,
        b"/dev/zero" => Node::Zero,
        b"/dev/urandom" | b"/dev/random" => Node::Random,
        b"/dev/vda" => Node::Disk(0),
        b"/dev/vdb" => Node::Disk(1),
        b"/dev/vdc" => Node::Disk(2),
        b"/proc" => Node::Dir(Arc::new(alloc::vec![
            (b".".to_vec(), 4), (b"..".to_vec(), 4), (b"self".to_vec(), 4),
            (b"cpuinfo".to_vec(), 8), (b"meminfo".to_vec(), 8)
        ]), 901),
        b"/proc/cpuinfo" => Node::Text(Arc::new(file::cpuinfo())),
        b"/proc/meminfo" => Node::Text(Arc::new(file::meminfo())),
        b"/proc/self" => Node::Dir(Arc::new(alloc::vec![
            (b".".to_vec(), 4), (b"..".to_vec(), 4), (b"exe".to_vec(), 10), (b"fd".to_vec(), 4)
        ]), 902),
        b"/proc/self/fd" => {
            let fds = task::current().files().lock().open_fds();
            let mut v = alloc::vec![(b".".to_vec(), 4), (b"..".to_vec(), 4)];
            for fd in fds {
                v.push((alloc::format!("{}", fd).into_bytes(), 10));
            }
            Node::Dir(Arc::new(v), 903)
        }
        _ => {
            if let Some(target) = proc_link(abs) {
                return Some(match target {
                    Ok(t) if follow => lookup_abs(&t, true),
                    Ok(_) => Ok(Node::Text(Arc::new(Vec::new()))),
                    Err(e) => Err(e),
                });
            }
            if abs.starts_with(b"/dev/") || abs.starts_with(b"/proc/") {
                return Some(Err(ENOENT));
            }
            return None;
        }
    };
    Some(Ok(node))
}

/// The target of a /proc symlink (`/proc/self/exe`, `/proc/self/fd/N`).
pub fn proc_link(abs: &[u8]) -> Option<KResult<Vec<u8>>> {
    if abs == b"/proc/self/exe" {
        let pid = task::current_pid();
        let exe = task::PROCS.lock().get(&pid).map(|p| p.exe.clone()).unwrap_or_default();
        return Some(Ok(exe));
    }
    let rest = abs.strip_prefix(b"/proc/self/fd/")?;
    let fd: i32 = core::str::from_utf8(rest).ok()?.parse().ok()?;
    Some(task::current().files().lock().get(fd).map(|f| f.path.clone()))
}

/// Looks up an absolute path.
pub fn lookup_abs(abs: &[u8], follow: bool) -> KResult<Node> {
    if let Some(r) = special(abs, follow) {
        return r;
    }
    let ino = with_root(|fs| fs.resolve(abs, follow))?;
    Ok(Node::Inode(ino))
}

/// Looks up (dirfd, path).
pub fn lookup(dirfd: i32, p: &[u8], follow: bool) -> KResult<(Node, Vec<u8>)> {
    if p.is_empty() {
        return Err(ENOENT);
    }
    let abs = absolute(dirfd, p)?;
    Ok((lookup_abs(&abs, follow)?, abs))
}

/// open(2)/openat(2) on kernel arguments.
pub fn open(dirfd: i32, p: &[u8], flags: u32, mode: u32) -> KResult<Arc<OpenFile>> {
    if p.is_empty() {
        return Err(ENOENT);
    }
    let abs = absolute(dirfd, p)?;
    let follow = flags & O_NOFOLLOW == 0;
    let node = match lookup_abs(&abs, follow) {
        Ok(n) => {
            if flags & O_CREAT != 0 && flags & O_EXCL != 0 {
                return Err(EEXIST);
            }
            n
        }
        Err(ENOENT) if flags & O_CREAT != 0 => {
            let (parent, name) = path::split_last(&abs);
            if name.is_empty() {
                return Err(EISDIR);
            }
            let umask = task::current().fsctx().lock().umask;
            let perm = (mode & !umask & 0o7777) as u16;
            let ino = with_root(|fs| {
                let dir = fs.resolve(parent, true)?;
                fs.create(dir, name, perm)
            })?;
            Node::Inode(ino)
        }
        Err(e) => return Err(e),
    };
    let st = file::node_stat(&node)?;
    let is_dir = st.mode & 0o170000 == S_IFDIR;
    if flags & O_DIRECTORY != 0 && !is_dir {
        return Err(ENOTDIR);
    }
    if is_dir && flags & 3 != 0 {
        return Err(EISDIR);
    }
    if st.mode & 0o170000 == file::S_IFLNK && !follow {
        return Err(ELOOP);
    }
    if flags & O_TRUNC != 0 && flags & 3 != 0 {
        if let Node::Inode(ino) = node {
            with_root(|fs| fs.truncate(ino, 0))?;
        }
    }
    Ok(OpenFile::new(node, flags & !(O_CREAT | O_EXCL | O_TRUNC | file::O_CLOEXEC), abs))
}

/// Reads a whole regular file (for exec).
pub fn read_all(node: &Node) -> KResult<Vec<u8>> {
    let Node::Inode(ino) = node else { return Err(EACCES) };
    let meta = with_root(|fs| fs.metadata(*ino))?;
    if meta.file_type != blockfs::FileType::Regular {
        return Err(EACCES);
    }
    let mut buf = alloc::vec![0u8; meta.size as usize];
    let n = with_root(|fs| fs.read_at(*ino, 0, &mut buf))?;
    buf.truncate(n);
    Ok(buf)
}
