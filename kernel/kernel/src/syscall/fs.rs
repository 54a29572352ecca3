//! File system calls: user memory is copied in and out here; the semantics
//! are the VFS's (`crate::fs::vfs()`), blocking is `crate::fs::wait`.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use veridian_syscall::errno::*;
use veridian_vfs::{ioctl_in_len, Caller, OpenFile};

use super::KResult;
use crate::fs::{vfs, wait};
use crate::mm::user;
use crate::task::current;

pub use veridian_vfs::abi::{AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW};
/// Largest transfer per call (short reads/writes beyond it, as Linux
/// does past 2 GiB); bounds the kernel buffer.
const MAX_IO: u64 = 1 << 20;
const PATH_MAX: usize = 4096;

/// Runs `f` with the current process's fd table and fs context.
fn with<T>(f: impl FnOnce(Caller<'_>) -> veridian_vfs::Result<T>) -> Result<T, i32> {
    let t = current();
    let (fds, fsx) = (t.files(), t.fsctx());
    drop(t);
    f(Caller {
        fds: &fds,
        fs: &fsx,
    })
    .map_err(|e| e.0)
}

fn file(fd: i32) -> Result<Arc<OpenFile>, i32> {
    current().files().get(fd).map_err(|e| e.0)
}

fn upath(p: u64) -> Result<Vec<u8>, i32> {
    user::read_cstr(p, PATH_MAX)
}

/// Raises SIGPIPE's default action for EPIPE on a write.
fn epipe<T>(r: Result<T, i32>) -> Result<T, i32> {
    if r.as_ref().err() == Some(&EPIPE) {
        let pid = current().pid;
        let ignored = crate::task::PROCS
            .lock()
            .get(&pid)
            .map(|p| p.sigactions.lock()[13].handler != 0)
            .unwrap_or(true);
        if !ignored {
            crate::task::exit::terminate_process(pid, 13);
        }
    }
    r
}

pub fn read(fd: i32, buf: u64, len: u64) -> KResult {
    let f = file(fd)?;
    if len == 0 && super::unix::is_unix(&f) {
        // Linux's sock_read_iter: an empty read is 0 at once.
        return Ok(0);
    }
    if super::poll::is_socket(&f) {
        // recv(2) without flags: honours SO_RCVTIMEO.
        return super::net::recvfrom(fd, buf, len, 0, 0, 0);
    }
    let mut kbuf = vec![0u8; len.min(MAX_IO) as usize];
    let n = wait::blocking(&f, false, || vfs().read_file(&f, &mut kbuf))?;
    user::write_bytes(buf, &kbuf[..n])?;
    Ok(n as u64)
}

/// Writes all of `data` (blocking writes to pipes repeat until done).
fn write_all(f: &OpenFile, data: &[u8]) -> Result<usize, i32> {
    let mut done = 0;
    loop {
        let r = wait::blocking(f, true, || vfs().write_file(f, &data[done..]));
        match r {
            Ok(n) => {
                done += n;
                if done >= data.len() || n == 0 || f.is_nonblocking() {
                    return Ok(done);
                }
            }
            Err(e) if done > 0 && e != EPIPE => return Ok(done),
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        }
    }
}

pub fn write(fd: i32, buf: u64, len: u64) -> KResult {
    let f = file(fd)?;
    if super::poll::is_socket(&f) {
        // send(2) without flags: honours SO_SNDTIMEO, raises SIGPIPE.
        return super::net::sendto(fd, buf, len, 0, 0, 0);
    }
    let data = user::read_bytes(buf, len.min(MAX_IO) as usize)?;
    epipe(write_all(&f, &data)).map(|n| n as u64)
}

pub fn pread(fd: i32, buf: u64, len: u64, off: u64) -> KResult {
    let mut kbuf = vec![0u8; len.min(MAX_IO) as usize];
    let n = with(|c| vfs().pread(c, fd, &mut kbuf, off as i64))?;
    user::write_bytes(buf, &kbuf[..n])?;
    Ok(n as u64)
}

pub fn pwrite(fd: i32, buf: u64, len: u64, off: u64) -> KResult {
    let data = user::read_bytes(buf, len.min(MAX_IO) as usize)?;
    with(|c| vfs().pwrite(c, fd, &data, off as i64)).map(|n| n as u64)
}

fn iovecs(iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, i32> {
    if cnt > 1024 {
        return Err(EINVAL);
    }
    let raw = user::read_bytes(iov, cnt as usize * 16)?;
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or_default());
    Ok(raw
        .chunks_exact(16)
        .map(|c| (word(&c[0..8]), word(&c[8..16])))
        .collect())
}

pub fn readv(fd: i32, iov: u64, cnt: u64) -> KResult {
    let v = iovecs(iov, cnt)?;
    let total: u64 = v
        .iter()
        .map(|&(_, l)| l)
        .fold(0u64, |a, b| a.saturating_add(b))
        .min(MAX_IO);
    let f = file(fd)?;
    let mut kbuf = vec![0u8; total as usize];
    let n = if super::unix::is_unix(&f) {
        if total == 0 {
            return Ok(0);
        }
        // One message (or stream read) across the buffers, with timeouts.
        super::unix::recv(&f, &mut kbuf, 0)?.len
    } else {
        wait::blocking(&f, false, || vfs().read_file(&f, &mut kbuf))?
    };
    let mut off = 0;
    for (base, len) in v {
        if off >= n {
            break;
        }
        let k = (len as usize).min(n - off);
        user::write_bytes(base, &kbuf[off..off + k])?;
        off += k;
    }
    Ok(n as u64)
}

pub fn writev(fd: i32, iov: u64, cnt: u64) -> KResult {
    let v = iovecs(iov, cnt)?;
    let f = file(fd)?;
    let mut data = Vec::new();
    for (base, len) in v {
        let room = MAX_IO as usize - data.len();
        data.extend_from_slice(&user::read_bytes(base, (len as usize).min(room))?);
        if data.len() >= MAX_IO as usize {
            break;
        }
    }
    if super::unix::is_unix(&f) {
        // One message (or stream write), SO_SNDTIMEO, SIGPIPE.
        return super::unix::send(&f, &data, 0, None).map(|n| n as u64);
    }
    epipe(write_all(&f, &data)).map(|n| n as u64)
}

pub fn openat(dirfd: i32, p: u64, flags: u32, mode: u32) -> KResult {
    let path = upath(p)?;
    with(|c| vfs().openat(c, dirfd, &path, flags, mode)).map(|fd| fd as u64)
}

pub fn close(fd: i32) -> KResult {
    with(|c| vfs().close(c, fd)).map(|_| 0)
}

pub fn lseek(fd: i32, off: i64, whence: u32) -> KResult {
    with(|c| vfs().lseek(c, fd, off, whence))
}

pub fn fstat(fd: i32, buf: u64) -> KResult {
    let st = with(|c| vfs().fstat(c, fd))?;
    user::write_bytes(buf, &st.to_linux_stat())?;
    Ok(0)
}

pub fn fstatat(dirfd: i32, p: u64, buf: u64, flags: u32) -> KResult {
    let path = upath(p)?;
    let st = with(|c| vfs().fstatat(c, dirfd, &path, flags))?;
    user::write_bytes(buf, &st.to_linux_stat())?;
    Ok(0)
}

pub fn statx(dirfd: i32, p: u64, flags: u32, buf: u64) -> KResult {
    let path = upath(p)?;
    let st = with(|c| vfs().fstatat(c, dirfd, &path, flags))?;
    user::write_bytes(buf, &st.to_statx())?;
    Ok(0)
}

pub fn statfs(p: u64, buf: u64) -> KResult {
    let path = upath(p)?;
    let st = with(|c| vfs().statfs(c, &path))?;
    user::write_bytes(buf, &st.to_linux_statfs())?;
    Ok(0)
}

pub fn fstatfs(fd: i32, buf: u64) -> KResult {
    let st = with(|c| vfs().fstatfs(c, fd))?;
    user::write_bytes(buf, &st.to_linux_statfs())?;
    Ok(0)
}

pub fn ioctl(fd: i32, req: u64, arg: u64) -> KResult {
    let cmd = req as u32;
    let inlen = ioctl_in_len(cmd);
    let input = if inlen > 0 {
        user::read_bytes(arg, inlen)?
    } else {
        Vec::new()
    };
    let reply = with(|c| vfs().ioctl(c, fd, cmd, &input))?;
    if !reply.out.is_empty() {
        user::write_bytes(arg, &reply.out)?;
    }
    Ok(reply.ret as u64)
}

pub fn dup(fd: i32) -> KResult {
    with(|c| vfs().dup(c, fd)).map(|fd| fd as u64)
}

pub fn dup2(old: i32, new: i32) -> KResult {
    with(|c| vfs().dup2(c, old, new)).map(|fd| fd as u64)
}

pub fn dup3(old: i32, new: i32, flags: u32) -> KResult {
    with(|c| vfs().dup3(c, old, new, flags)).map(|fd| fd as u64)
}

pub fn fcntl(fd: i32, cmd: u32, arg: u64) -> KResult {
    const F_GETLK: u32 = 5;
    if cmd == F_GETLK {
        // No locks are ever held: report F_UNLCK.
        file(fd)?;
        let mut l = user::read_bytes(arg, 32)?;
        l[0..2].copy_from_slice(&2u16.to_le_bytes());
        user::write_bytes(arg, &l)?;
        return Ok(0);
    }
    with(|c| vfs().fcntl(c, fd, cmd, arg)).map(|r| r as u64)
}

pub fn fsync(fd: i32) -> KResult {
    with(|c| vfs().fsync(c, fd)).map(|_| 0)
}

pub fn sync() -> KResult {
    vfs().sync().map(|_| 0).map_err(|e| e.0)
}

pub fn truncate(p: u64, len: u64) -> KResult {
    let path = upath(p)?;
    with(|c| vfs().truncate(c, &path, len as i64)).map(|_| 0)
}

pub fn ftruncate(fd: i32, len: u64) -> KResult {
    with(|c| vfs().ftruncate(c, fd, len as i64)).map(|_| 0)
}

pub fn getcwd(buf: u64, size: u64) -> KResult {
    let mut cwd = with(|c| vfs().getcwd(c))?;
    cwd.push(0);
    if (cwd.len() as u64) > size {
        return Err(ERANGE);
    }
    user::write_bytes(buf, &cwd)?;
    Ok(cwd.len() as u64)
}

pub fn chdir(p: u64) -> KResult {
    let path = upath(p)?;
    with(|c| vfs().chdir(c, &path)).map(|_| 0)
}

pub fn fchdir(fd: i32) -> KResult {
    with(|c| vfs().fchdir(c, fd)).map(|_| 0)
}

pub fn mkdirat(dirfd: i32, p: u64, mode: u32) -> KResult {
    let path = upath(p)?;
    with(|c| vfs().mkdirat(c, dirfd, &path, mode)).map(|_| 0)
}

pub fn unlinkat(dirfd: i32, p: u64, flags: u32) -> KResult {
    let path = upath(p)?;
    with(|c| vfs().unlinkat(c, dirfd, &path, flags)).map(|_| 0)
}

pub fn renameat(olddir: i32, oldp: u64, newdir: i32, newp: u64, flags: u32) -> KResult {
    let (op, np) = (upath(oldp)?, upath(newp)?);
    with(|c| vfs().renameat2(c, olddir, &op, newdir, &np, flags)).map(|_| 0)
}

pub fn linkat(olddir: i32, oldp: u64, newdir: i32, newp: u64, flags: u32) -> KResult {
    let (op, np) = (upath(oldp)?, upath(newp)?);
    with(|c| vfs().linkat(c, olddir, &op, newdir, &np, flags)).map(|_| 0)
}

pub fn symlinkat(target: u64, dirfd: i32, p: u64) -> KResult {
    let (t, path) = (upath(target)?, upath(p)?);
    with(|c| vfs().symlinkat(c, &t, dirfd, &path)).map(|_| 0)
}

pub fn readlinkat(dirfd: i32, p: u64, buf: u64, size: u64) -> KResult {
    let path = upath(p)?;
    if (size as i64) <= 0 {
        return Err(EINVAL);
    }
    let target = with(|c| vfs().readlinkat(c, dirfd, &path))?;
    let n = target.len().min(size as usize);
    user::write_bytes(buf, &target[..n])?;
    Ok(n as u64)
}

pub fn fchmodat(dirfd: i32, p: u64, mode: u32, flags: u32) -> KResult {
    let path = upath(p)?;
    with(|c| vfs().fchmodat(c, dirfd, &path, mode, flags)).map(|_| 0)
}

pub fn fchmod(fd: i32, mode: u32) -> KResult {
    with(|c| vfs().fchmod(c, fd, mode)).map(|_| 0)
}

pub fn fchownat(dirfd: i32, p: u64, uid: u32, gid: u32, flags: u32) -> KResult {
    let path = if p == 0 { Vec::new() } else { upath(p)? };
    with(|c| vfs().fchownat(c, dirfd, &path, uid, gid, flags)).map(|_| 0)
}

pub fn utimensat(dirfd: i32, p: u64, times: u64, flags: u32) -> KResult {
    let path = if p == 0 { None } else { Some(upath(p)?) };
    let t = if times == 0 {
        None
    } else {
        let raw = user::read_bytes(times, 32)?;
        let w = |o: usize| i64::from_le_bytes(raw[o..o + 8].try_into().unwrap_or_default());
        Some([(w(0), w(8)), (w(16), w(24))])
    };
    with(|c| vfs().utimensat(c, dirfd, path.as_deref(), t, flags)).map(|_| 0)
}

pub fn umask(mask: u32) -> KResult {
    with(|c| Ok(vfs().umask(c, mask))).map(|m| m as u64)
}

pub fn faccessat(dirfd: i32, p: u64, mode: u32, flags: u32) -> KResult {
    let path = upath(p)?;
    with(|c| vfs().faccessat(c, dirfd, &path, mode, flags)).map(|_| 0)
}

pub fn pipe2(fds: u64, flags: u32) -> KResult {
    let (r, w) = with(|c| vfs().pipe2(c, flags))?;
    let mut out = [0u8; 8];
    out[0..4].copy_from_slice(&r.to_le_bytes());
    out[4..8].copy_from_slice(&w.to_le_bytes());
    if let Err(e) = user::write_bytes(fds, &out) {
        let _ = with(|c| {
            let _ = vfs().close(c, r);
            vfs().close(c, w)
        });
        return Err(e);
    }
    Ok(0)
}

pub fn getdents64(fd: i32, buf: u64, len: u64) -> KResult {
    let mut kbuf = vec![0u8; len.min(1 << 20) as usize];
    let n = with(|c| vfs().getdents64(c, fd, &mut kbuf))?;
    user::write_bytes(buf, &kbuf[..n])?;
    Ok(n as u64)
}

pub fn sendfile(out_fd: i32, in_fd: i32, offp: u64, count: u64) -> KResult {
    let mut off = if offp != 0 {
        Some(user::read_u64(offp)? as i64)
    } else {
        None
    };
    let n = with(|c| vfs().sendfile(c, out_fd, in_fd, off.as_mut(), count.min(MAX_IO) as usize))?;
    if let Some(o) = off {
        user::write_u64(offp, o as u64)?;
    }
    Ok(n as u64)
}

/// poll(2): asks the VFS for each descriptor's readiness; sleeps a tick at
/// a time until something is ready or the timeout passes.
pub fn poll(fds: u64, n: u64, timeout_ms: i64) -> KResult {
    if n > 1024 {
        return Err(EINVAL);
    }
    let deadline = if timeout_ms < 0 {
        0
    } else {
        crate::time::monotonic_ns() + timeout_ms as u64 * 1_000_000
    };
    loop {
        let mut raw = user::read_bytes(fds, n as usize * 8)?;
        let mut ready = 0;
        for c in raw.chunks_exact_mut(8) {
            let fd = i32::from_le_bytes(c[0..4].try_into().unwrap_or_default());
            let events = u16::from_le_bytes(c[4..6].try_into().unwrap_or_default());
            let rev: u16 = if fd < 0 {
                0
            } else {
                match file(fd) {
                    Err(_) => 0x20,
                    Ok(f) => vfs().poll_file(&f) & (events | 0x8 | 0x10 | 0x20),
                }
            };
            c[6..8].copy_from_slice(&rev.to_le_bytes());
            if rev != 0 {
                ready += 1;
            }
        }
        if ready > 0
            || timeout_ms == 0
            || (deadline != 0 && crate::time::monotonic_ns() >= deadline)
        {
            user::write_bytes(fds, &raw)?;
            return Ok(ready);
        }
        if crate::task::exit::interrupted() {
            return Err(EINTR);
        }
        crate::task::sched::block_until(crate::time::monotonic_ns() + 10_000_000);
    }
}

pub fn copy_file_range(
    fd_in: i32,
    off_in: u64,
    fd_out: i32,
    off_out: u64,
    len: u64,
    flags: u32,
) -> KResult {
    let mut oi = if off_in != 0 {
        Some(user::read_u64(off_in)? as i64)
    } else {
        None
    };
    let mut oo = if off_out != 0 {
        Some(user::read_u64(off_out)? as i64)
    } else {
        None
    };
    let n = with(|c| {
        vfs().copy_file_range(
            c,
            fd_in,
            oi.as_mut(),
            fd_out,
            oo.as_mut(),
            len.min(MAX_IO) as usize,
            flags,
        )
    })?;
    if let Some(o) = oi {
        user::write_u64(off_in, o as u64)?;
    }
    if let Some(o) = oo {
        user::write_u64(off_out, o as u64)?;
    }
    Ok(n as u64)
}

pub fn fallocate(fd: i32, mode: u32, off: i64, len: i64) -> KResult {
    with(|c| vfs().fallocate(c, fd, mode, off, len)).map(|_| 0)
}

/// flock: one user (root) and advisory locks only, so every request is
/// granted at once; the descriptor must be open.
pub fn flock(fd: i32, op: u32) -> KResult {
    const LOCK_SH: u32 = 1;
    const LOCK_EX: u32 = 2;
    const LOCK_UN: u32 = 8;
    file(fd)?;
    match op & !4 {
        LOCK_SH | LOCK_EX | LOCK_UN => Ok(0),
        _ => Err(EINVAL),
    }
}
