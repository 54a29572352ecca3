//! File system calls: user buffers are copied here, semantics live in
//! `crate::fs`.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use veridian_syscall::errno::*;

use super::KResult;
use crate::fs::file::{with_root, Node, OpenFile, O_CLOEXEC, O_NONBLOCK, S_IFDIR, S_IFLNK};
use crate::fs::pipe::Pipe;
use crate::fs::{namei, path};
use crate::mm::user;
use crate::task::current;

pub use namei::AT_FDCWD;
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_REMOVEDIR: u32 = 0x200;
pub const AT_EMPTY_PATH: u32 = 0x1000;
const MAX_IO: u64 = 1 << 26;
const PATH_MAX: usize = 4096;

fn file(fd: i32) -> Result<Arc<OpenFile>, i32> {
    current().files().lock().get(fd)
}

fn upath(p: u64) -> Result<Vec<u8>, i32> {
    user::read_cstr(p, PATH_MAX)
}

pub fn read(fd: i32, buf: u64, len: u64) -> KResult {
    let f = file(fd)?;
    let len = len.min(MAX_IO) as usize;
    let mut kbuf = vec![0u8; len];
    let n = f.read(&mut kbuf)?;
    user::write_bytes(buf, &kbuf[..n])?;
    Ok(n as u64)
}

pub fn write(fd: i32, buf: u64, len: u64) -> KResult {
    let f = file(fd)?;
    let data = user::read_bytes(buf, len.min(MAX_IO) as usize)?;
    Ok(f.write(&data)? as u64)
}

pub fn pread(fd: i32, buf: u64, len: u64, off: u64) -> KResult {
    let f = file(fd)?;
    if (off as i64) < 0 {
        return Err(EINVAL);
    }
    if !f.readable() {
        return Err(EBADF);
    }
    let mut kbuf = vec![0u8; len.min(MAX_IO) as usize];
    let n = f.read_at(off, &mut kbuf)?;
    user::write_bytes(buf, &kbuf[..n])?;
    Ok(n as u64)
}

pub fn pwrite(fd: i32, buf: u64, len: u64, off: u64) -> KResult {
    let f = file(fd)?;
    if (off as i64) < 0 {
        return Err(EINVAL);
    }
    if !f.writable() {
        return Err(EBADF);
    }
    let data = user::read_bytes(buf, len.min(MAX_IO) as usize)?;
    Ok(f.write_at(off, &data)? as u64)
}

fn iovecs(iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, i32> {
    if cnt > 1024 {
        return Err(EINVAL);
    }
    let raw = user::read_bytes(iov, cnt as usize * 16)?;
    Ok(raw
        .chunks_exact(16)
        .map(|c| (u64::from_le_bytes(c[0..8].try_into().unwrap_or_default()), u64::from_le_bytes(c[8..16].try_into().unwrap_or_default())))
        .collect())
}

pub fn readv(fd: i32, iov: u64, cnt: u64) -> KResult {
    let v = iovecs(iov, cnt)?;
    let mut total = 0;
    for (base, len) in v {
        if len == 0 {
            continue;
        }
        let n = read(fd, base, len)?;
        total += n;
        if n < len {
            break;
        }
    }
    Ok(total)
}

pub fn writev(fd: i32, iov: u64, cnt: u64) -> KResult {
    let v = iovecs(iov, cnt)?;
    let f = file(fd)?;
    let mut data = Vec::new();
    for (base, len) in v {
        data.extend_from_slice(&user::read_bytes(base, len.min(MAX_IO) as usize)?);
    }
    Ok(f.write(&data)? as u64)
}

pub fn openat(dirfd: i32, p: u64, flags: u32, mode: u32) -> KResult {
    let path = upath(p)?;
    let f = namei::open(dirfd, &path, flags, mode)?;
    Ok(current().files().lock().insert(f, flags & O_CLOEXEC != 0)? as u64)
}

pub fn close(fd: i32) -> KResult {
    let entry = current().files().lock().remove(fd)?;
    drop(entry);
    Ok(0)
}

pub fn lseek(fd: i32, off: i64, whence: u32) -> KResult {
    file(fd)?.seek(off, whence)
}

pub fn fstat(fd: i32, buf: u64) -> KResult {
    let st = file(fd)?.stat()?;
    user::write_bytes(buf, &st.encode())?;
    Ok(0)
}

fn stat_path(dirfd: i32, p: u64, flags: u32) -> Result<crate::fs::file::Stat, i32> {
    let path = upath(p)?;
    if path.is_empty() {
        if flags & AT_EMPTY_PATH != 0 {
            return file(dirfd)?.stat();
        }
        return Err(ENOENT);
    }
    let (node, _) = namei::lookup(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    crate::fs::file::node_stat(&node)
}

pub fn fstatat(dirfd: i32, p: u64, buf: u64, flags: u32) -> KResult {
    let st = stat_path(dirfd, p, flags)?;
    user::write_bytes(buf, &st.encode())?;
    Ok(0)
}

pub fn statx(dirfd: i32, p: u64, flags: u32, buf: u64) -> KResult {
    let st = stat_path(dirfd, p, flags)?;
    user::write_bytes(buf, &st.encode_statx())?;
    Ok(0)
}

pub fn ioctl(fd: i32, req: u64, arg: u64) -> KResult {
    const TCGETS: u64 = 0x5401;
    const TCSETS: u64 = 0x5402;
    const TCSETSW: u64 = 0x5403;
    const TIOCGWINSZ: u64 = 0x5413;
    const TIOCGPGRP: u64 = 0x540F;
    const FIONBIO: u64 = 0x5421;
    const FIOCLEX: u64 = 0x5451;
    let f = file(fd)?;
    let tty = matches!(f.node, Node::Console | Node::Serial(_));
    match req {
        TCGETS if tty => {
            // The kernel's struct termios: 4 flag words, c_line, 19 c_cc.
            let mut t = [0u8; 36];
            t[0..4].copy_from_slice(&0x0500u32.to_le_bytes());
            t[4..8].copy_from_slice(&0x0005u32.to_le_bytes());
            t[8..12].copy_from_slice(&0x00BFu32.to_le_bytes());
            t[12..16].copy_from_slice(&0x8A3Bu32.to_le_bytes());
            t[17..24].copy_from_slice(&[3, 28, 127, 21, 4, 0, 1]);
            user::write_bytes(arg, &t)?;
            Ok(0)
        }
        TCSETS | TCSETSW if tty => Ok(0),
        TIOCGWINSZ if tty => {
            let mut w = [0u8; 8];
            w[0..2].copy_from_slice(&24u16.to_le_bytes());
            w[2..4].copy_from_slice(&80u16.to_le_bytes());
            user::write_bytes(arg, &w)?;
            Ok(0)
        }
        TIOCGPGRP if tty => {
            user::write_u32(arg, current().pid)?;
            Ok(0)
        }
        FIONBIO => {
            let on = user::read_u32(arg)? != 0;
            let fl = f.flags.load(core::sync::atomic::Ordering::Relaxed);
            f.flags.store(if on { fl | O_NONBLOCK } else { fl & !O_NONBLOCK }, core::sync::atomic::Ordering::Relaxed);
            Ok(0)
        }
        FIOCLEX => {
            current().files().lock().entry_mut(fd)?.cloexec = true;
            Ok(0)
        }
        _ => Err(ENOTTY),
    }
}

pub fn dup(fd: i32) -> KResult {
    let files = current().files();
    let mut t = files.lock();
    let f = t.get(fd)?;
    Ok(t.insert(f, false)? as u64)
}

pub fn dup2(old: i32, new: i32) -> KResult {
    if old == new {
        file(old)?;
        return Ok(new as u64);
    }
    dup3(old, new, 0)
}

pub fn dup3(old: i32, new: i32, flags: u32) -> KResult {
    if old == new || flags & !O_CLOEXEC != 0 {
        return Err(EINVAL);
    }
    let files = current().files();
    let prev = {
        let mut t = files.lock();
        let f = t.get(old)?;
        t.put(new, f, flags & O_CLOEXEC != 0)?
    };
    drop(prev);
    Ok(new as u64)
}

pub fn fcntl(fd: i32, cmd: u32, arg: u64) -> KResult {
    const F_DUPFD: u32 = 0;
    const F_GETFD: u32 = 1;
    const F_SETFD: u32 = 2;
    const F_GETFL: u32 = 3;
    const F_SETFL: u32 = 4;
    const F_SETLK: u32 = 6;
    const F_SETLKW: u32 = 7;
    const F_GETLK: u32 = 5;
    const F_DUPFD_CLOEXEC: u32 = 1030;
    let files = current().files();
    let mut t = files.lock();
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let f = t.get(fd)?;
            Ok(t.insert_from(arg as usize, f, cmd == F_DUPFD_CLOEXEC)? as u64)
        }
        F_GETFD => Ok(t.entry_mut(fd)?.cloexec as u64),
        F_SETFD => {
            t.entry_mut(fd)?.cloexec = arg & 1 != 0;
            Ok(0)
        }
        F_GETFL => Ok(t.get(fd)?.flags.load(core::sync::atomic::Ordering::Relaxed) as u64),
        F_SETFL => {
            let f = t.get(fd)?;
            let keep = f.flags.load(core::sync::atomic::Ordering::Relaxed) & !(O_NONBLOCK | 0o2000);
            f.flags.store(keep | (arg as u32 & (O_NONBLOCK | 0o2000)), core::sync::atomic::Ordering::Relaxed);
            Ok(0)
        }
        F_SETLK | F_SETLKW | F_GETLK => {
            t.get(fd)?;
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

pub fn fsync(fd: i32) -> KResult {
    file(fd)?;
    crate::fs::disk::sync();
    Ok(0)
}

pub fn truncate(p: u64, len: u64) -> KResult {
    let path = upath(p)?;
    match namei::lookup(AT_FDCWD, &path, true)?.0 {
        Node::Inode(ino) => with_root(|fs| fs.truncate(ino, len)).map(|_| 0),
        _ => Err(EINVAL),
    }
}

pub fn ftruncate(fd: i32, len: u64) -> KResult {
    let f = file(fd)?;
    if !f.writable() {
        return Err(EINVAL);
    }
    match f.inode() {
        Some(ino) => with_root(|fs| fs.truncate(ino, len)).map(|_| 0),
        None => Err(EINVAL),
    }
}

pub fn getcwd(buf: u64, size: u64) -> KResult {
    let mut cwd = current().fsctx().lock().cwd.clone();
    cwd.push(0);
    if (cwd.len() as u64) > size {
        return Err(ERANGE);
    }
    user::write_bytes(buf, &cwd)?;
    Ok(cwd.len() as u64)
}

fn set_cwd(abs: Vec<u8>, node: &Node) -> KResult {
    if crate::fs::file::node_stat(node)?.mode & 0o170000 != S_IFDIR {
        return Err(ENOTDIR);
    }
    current().fsctx().lock().cwd = abs;
    Ok(0)
}

pub fn chdir(p: u64) -> KResult {
    let path = upath(p)?;
    let (node, abs) = namei::lookup(AT_FDCWD, &path, true)?;
    set_cwd(abs, &node)
}

pub fn fchdir(fd: i32) -> KResult {
    let f = file(fd)?;
    set_cwd(f.path.clone(), &f.node)
}

/// (parent inode, name) of a path for create/remove operations.
fn parent_of(dirfd: i32, p: &[u8]) -> Result<(u32, Vec<u8>), i32> {
    let abs = namei::absolute(dirfd, p)?;
    let (parent, name) = path::split_last(&abs);
    if name.is_empty() {
        return Err(EEXIST);
    }
    if parent.starts_with(b"/dev") || parent.starts_with(b"/proc") {
        return Err(EROFS);
    }
    let dir = with_root(|fs| fs.resolve(parent, true))?;
    Ok((dir, name.to_vec()))
}

pub fn mkdirat(dirfd: i32, p: u64, mode: u32) -> KResult {
    let path = upath(p)?;
    let umask = current().fsctx().lock().umask;
    let (dir, name) = parent_of(dirfd, &path)?;
    with_root(|fs| fs.mkdir(dir, &name, (mode & !umask & 0o7777) as u16)).map(|_| 0)
}

pub fn unlinkat(dirfd: i32, p: u64, flags: u32) -> KResult {
    let path = upath(p)?;
    let (dir, name) = parent_of(dirfd, &path)?;
    if flags & AT_REMOVEDIR != 0 {
        with_root(|fs| fs.rmdir(dir, &name)).map(|_| 0)
    } else {
        let ino = with_root(|fs| fs.lookup(dir, &name))?;
        if crate::fs::file::node_stat(&Node::Inode(ino))?.mode & 0o170000 == S_IFDIR {
            return Err(EISDIR);
        }
        with_root(|fs| fs.unlink(dir, &name)).map(|_| 0)
    }
}

pub fn renameat(olddir: i32, oldp: u64, newdir: i32, newp: u64, flags: u32) -> KResult {
    const RENAME_NOREPLACE: u32 = 1;
    if flags & !RENAME_NOREPLACE != 0 {
        return Err(EINVAL);
    }
    let (op, np) = (upath(oldp)?, upath(newp)?);
    let (sd, sn) = parent_of(olddir, &op)?;
    let (dd, dn) = parent_of(newdir, &np)?;
    if flags & RENAME_NOREPLACE != 0 && with_root(|fs| fs.lookup(dd, &dn)).is_ok() {
        return Err(EEXIST);
    }
    with_root(|fs| fs.rename(sd, &sn, dd, &dn)).map(|_| 0)
}

pub fn linkat(olddir: i32, oldp: u64, newdir: i32, newp: u64) -> KResult {
    let (op, np) = (upath(oldp)?, upath(newp)?);
    let (node, _) = namei::lookup(olddir, &op, false)?;
    let Node::Inode(ino) = node else { return Err(EXDEV) };
    let (dd, dn) = parent_of(newdir, &np)?;
    with_root(|fs| fs.link(ino, dd, &dn)).map(|_| 0)
}

pub fn symlinkat(target: u64, dirfd: i32, p: u64) -> KResult {
    let (t, path) = (upath(target)?, upath(p)?);
    let (dir, name) = parent_of(dirfd, &path)?;
    with_root(|fs| fs.symlink(dir, &name, &t)).map(|_| 0)
}

pub fn readlinkat(dirfd: i32, p: u64, buf: u64, size: u64) -> KResult {
    let path = upath(p)?;
    let abs = namei::absolute(dirfd, &path)?;
    let target = match namei::proc_link(&abs) {
        Some(t) => t?,
        None => {
            let (node, _) = namei::lookup(dirfd, &path, false)?;
            let Node::Inode(ino) = node else { return Err(EINVAL) };
            if crate::fs::file::node_stat(&node)?.mode & 0o170000 != S_IFLNK {
                return Err(EINVAL);
            }
            with_root(|fs| fs.readlink(ino))?
        }
    };
    let n = target.len().min(size as usize);
    user::write_bytes(buf, &target[..n])?;
    Ok(n as u64)
}

pub fn fchmodat(dirfd: i32, p: u64, mode: u32) -> KResult {
    let path = upath(p)?;
    match namei::lookup(dirfd, &path, true)?.0 {
        Node::Inode(ino) => with_root(|fs| fs.set_mode(ino, (mode & 0o7777) as u16)).map(|_| 0),
        _ => Err(EPERM),
    }
}

pub fn fchmod(fd: i32, mode: u32) -> KResult {
    match file(fd)?.inode() {
        Some(ino) => with_root(|fs| fs.set_mode(ino, (mode & 0o7777) as u16)).map(|_| 0),
        None => Err(EPERM),
    }
}

pub fn utimensat(dirfd: i32, p: u64, times: u64) -> KResult {
    let node = if p == 0 { file(dirfd)?.node.clone() } else { namei::lookup(dirfd, &upath(p)?, true)?.0 };
    let Node::Inode(ino) = node else { return Ok(0) };
    let now = (crate::time::realtime_ns() / 1_000_000_000) as u32;
    let (mut at, mut mt) = (Some(now), Some(now));
    if times != 0 {
        let raw = user::read_bytes(times, 32)?;
        let pick = |o: usize| -> Option<u32> {
            let sec = u64::from_le_bytes(raw[o..o + 8].try_into().unwrap_or_default());
            let nsec = u64::from_le_bytes(raw[o + 8..o + 16].try_into().unwrap_or_default());
            match nsec {
                0x3FFF_FFFF => Some(now),
                0x3FFF_FFFE => None,
                _ => Some(sec as u32),
            }
        };
        at = pick(0);
        mt = pick(16);
    }
    with_root(|fs| fs.set_times(ino, blockfs::SetTimes { atime: at, mtime: mt, ..Default::default() })).map(|_| 0)
}

pub fn umask(mask: u32) -> KResult {
    let ctx = current().fsctx();
    let mut c = ctx.lock();
    let old = c.umask;
    c.umask = mask & 0o777;
    Ok(old as u64)
}

pub fn faccessat(dirfd: i32, p: u64, _mode: u32) -> KResult {
    let path = upath(p)?;
    namei::lookup(dirfd, &path, true).map(|_| 0)
}

pub fn pipe2(fds: u64, flags: u32) -> KResult {
    if flags & !(O_CLOEXEC | O_NONBLOCK | 0o40000) != 0 {
        return Err(EINVAL);
    }
    let p = Arc::new(Pipe::new());
    let r = OpenFile::new(Node::PipeRead(p.clone()), flags & O_NONBLOCK, b"pipe:".to_vec());
    let w = OpenFile::new(Node::PipeWrite(p), 1 | (flags & O_NONBLOCK), b"pipe:".to_vec());
    let files = current().files();
    let (a, b) = {
        let mut t = files.lock();
        let a = t.insert(r, flags & O_CLOEXEC != 0)?;
        let b = match t.insert(w, flags & O_CLOEXEC != 0) {
            Ok(b) => b,
            Err(e) => {
                let _ = t.remove(a);
                return Err(e);
            }
        };
        (a, b)
    };
    let mut out = [0u8; 8];
    out[0..4].copy_from_slice(&a.to_le_bytes());
    out[4..8].copy_from_slice(&b.to_le_bytes());
    if let Err(e) = user::write_bytes(fds, &out) {
        let mut t = files.lock();
        let _ = t.remove(a);
        let _ = t.remove(b);
        return Err(e);
    }
    Ok(0)
}

pub fn getdents64(fd: i32, buf: u64, len: u64) -> KResult {
    let f = file(fd)?;
    let data = f.getdents(len.min(1 << 20) as usize)?;
    user::write_bytes(buf, &data)?;
    Ok(data.len() as u64)
}

/// poll(2): files here are always ready except empty pipes; waits by
/// polling each tick until something is ready or the timeout passes.
pub fn poll(fds: u64, n: u64, timeout_ms: i64) -> KResult {
    if n > 1024 {
        return Err(EINVAL);
    }
    let deadline = if timeout_ms < 0 { 0 } else { crate::time::monotonic_ns() + timeout_ms as u64 * 1_000_000 };
    loop {
        let mut raw = user::read_bytes(fds, n as usize * 8)?;
        let mut ready = 0;
        for c in raw.chunks_exact_mut(8) {
            let fd = i32::from_le_bytes(c[0..4].try_into().unwrap_or_default());
            let events = u16::from_le_bytes(c[4..6].try_into().unwrap_or_default());
            let mut rev: u16 = 0;
            if fd >= 0 {
                match file(fd) {
                    Err(_) => rev = 0x20,
                    Ok(f) => match &f.node {
                        Node::PipeRead(p) => {
                            if p.available() > 0 {
                                rev |= events & 1;
                            }
                            if p.writers.load(core::sync::atomic::Ordering::Relaxed) == 0 {
                                rev |= 0x10;
                            }
                        }
                        Node::Console | Node::Serial(_) => rev |= events & 4,
                        _ => rev |= events & 5,
                    },
                }
            }
            c[6..8].copy_from_slice(&rev.to_le_bytes());
            if rev != 0 {
                ready += 1;
            }
        }
        if ready > 0 || timeout_ms == 0 || (deadline != 0 && crate::time::monotonic_ns() >= deadline) {
            user::write_bytes(fds, &raw)?;
            return Ok(ready);
        }
        if crate::task::exit::kill_pending() {
            return Err(EINTR);
        }
        crate::task::sched::block_until(crate::time::monotonic_ns() + 10_000_000);
    }
}
