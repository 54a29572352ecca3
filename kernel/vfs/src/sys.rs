//! The file system calls decoded from raw Linux x86_64 arguments, for a
//! kernel that wants the whole family in one call: [`file_syscall`].
//!
//! User memory is reached only through the kernel's [`UserMemory`]
//! (copy-in/copy-out that fail with `EFAULT`); everything else is the
//! [`Vfs`] methods. Calls that would block come back as [`Sys::Block`];
//! the kernel sleeps and calls [`resume_file_syscall`] with the progress
//! the block reported.

use alloc::vec;
use alloc::vec::Vec;

use crate::abi::*;
use crate::context::Caller;
use crate::errno::{Errno, Result};
use crate::ioctl::ioctl_in_len;
use crate::stat::Stat;
use crate::vfs::Vfs;
use veridian_syscall::fcntl::{CLOSE_RANGE_CLOEXEC, CLOSE_RANGE_UNSHARE, F_UNLCK, LOCK_NB};
use veridian_syscall::limits::UIO_MAXIOV;
use veridian_syscall::nr;

/// The kernel's access to the calling process's memory.
pub trait UserMemory {
    /// Copies `buf.len()` bytes from user address `addr` (`EFAULT`).
    fn copy_in(&mut self, addr: u64, buf: &mut [u8]) -> Result<()>;
    /// Copies `data` to user address `addr` (`EFAULT`).
    fn copy_out(&mut self, addr: u64, data: &[u8]) -> Result<()>;
    /// A NUL-terminated string of at most `max` bytes before the NUL
    /// (`EFAULT`; `ENAMETOOLONG` if no NUL comes within `max`).
    fn copy_in_str(&mut self, addr: u64, max: usize) -> Result<Vec<u8>>;
}

/// What a file system call asks of the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sys {
    /// Finished: the value for `rax`, or an errno (after `EPIPE` from
    /// write/writev/sendfile the kernel also raises `SIGPIPE`).
    Done(Result<u64>),
    /// The fd is blocking and the call would block: sleep on `key` until
    /// it is readable (`write` false) or writable, then make the same call
    /// again with [`resume_file_syscall`] and `done`. If a signal comes
    /// first the call returns `done` if it is not 0, else `EINTR`.
    Block {
        key: usize,
        write: bool,
        /// Bytes this call already moved (a blocking write goes on until
        /// all of its buffer is written, as Linux's pipes do).
        done: u64,
        /// The file does not wake `key` on every change (devices): the
        /// kernel re-checks it at its polling period.
        recheck: bool,
    },
}

/// Bytes moved per step when copying through the kernel.
const CHUNK: usize = 256 * 1024;
/// Largest `getdents64` buffer used per call.
const DENTS_MAX: usize = 64 * 1024;

fn i32a(v: u64) -> i32 {
    v as i32
}

/// flock(2): one user (root) and advisory locks only, so every valid
/// request is granted at once.
fn done(r: Result<u64>) -> Option<Sys> {
    Some(Sys::Done(r))
}

fn unit(r: Result<()>) -> Option<Sys> {
    done(r.map(|_| 0))
}

/// Every call [`file_syscall`] handles.
pub const FILE_SYSCALLS: &[usize] = &[
    nr::READ,
    nr::WRITE,
    nr::OPEN,
    nr::CLOSE,
    nr::STAT,
    nr::FSTAT,
    nr::LSTAT,
    nr::LSEEK,
    nr::IOCTL,
    nr::PREAD64,
    nr::PWRITE64,
    nr::READV,
    nr::WRITEV,
    nr::ACCESS,
    nr::PIPE,
    nr::DUP,
    nr::DUP2,
    nr::SENDFILE,
    nr::FCNTL,
    nr::FLOCK,
    nr::FSYNC,
    nr::TRUNCATE,
    nr::FTRUNCATE,
    nr::GETCWD,
    nr::CHDIR,
    nr::FCHDIR,
    nr::RENAME,
    nr::MKDIR,
    nr::RMDIR,
    nr::CREAT,
    nr::LINK,
    nr::UNLINK,
    nr::SYMLINK,
    nr::READLINK,
    nr::CHMOD,
    nr::FCHMOD,
    nr::CHOWN,
    nr::FCHOWN,
    nr::UMASK,
    nr::STATFS,
    nr::FSTATFS,
    nr::SYNC,
    nr::GETDENTS64,
    nr::OPENAT,
    nr::MEMFD_CREATE,
    nr::MKDIRAT,
    nr::FCHOWNAT,
    nr::NEWFSTATAT,
    nr::UNLINKAT,
    nr::RENAMEAT,
    nr::LINKAT,
    nr::SYMLINKAT,
    nr::READLINKAT,
    nr::FCHMODAT,
    nr::FACCESSAT,
    nr::UTIMENSAT,
    nr::FALLOCATE,
    nr::DUP3,
    nr::PIPE2,
    nr::PREADV,
    nr::PWRITEV,
    nr::RENAMEAT2,
    nr::COPY_FILE_RANGE,
    nr::STATX,
    nr::CLOSE_RANGE,
    nr::FACCESSAT2,
    nr::UTIMES,
    nr::FUTIMESAT,
    nr::FADVISE64,
    nr::SYNCFS,
    nr::LCHOWN,
    nr::FDATASYNC,
];

/// Handles file system call `nr` with raw arguments `a` for the caller;
/// `None` if `nr` is not one of them (poll/select and friends are the
/// kernel's: they block on several files at once).
pub fn file_syscall(
    vfs: &Vfs,
    c: Caller<'_>,
    mem: &mut dyn UserMemory,
    nr: usize,
    a: [u64; 6],
) -> Option<Sys> {
    resume_file_syscall(vfs, c, mem, nr, a, 0)
}

/// [`file_syscall`] again after a [`Sys::Block`]: `done` is the block's
/// progress (the first `done` bytes of a write's buffers are already
/// written; the result counts them).
pub fn resume_file_syscall(
    vfs: &Vfs,
    c: Caller<'_>,
    mem: &mut dyn UserMemory,
    nr: usize,
    a: [u64; 6],
    done: u64,
) -> Option<Sys> {
    let mut cx = Ctx { vfs, c, mem, done };
    cx.dispatch(nr, a)
}

struct Ctx<'a, 'b> {
    vfs: &'a Vfs,
    c: Caller<'a>,
    mem: &'b mut dyn UserMemory,
    /// Bytes an earlier attempt of this call moved.
    done: u64,
}

/// How far a write got.
struct Moved {
    n: u64,
    /// It stopped because the (blocking) file would block.
    blocked: bool,
}

impl Ctx<'_, '_> {
    fn path(&mut self, addr: u64) -> Result<Vec<u8>> {
        self.mem.copy_in_str(addr, PATH_MAX - 1)
    }

    /// A path that may be NULL (utimensat).
    fn opt_path(&mut self, addr: u64) -> Result<Option<Vec<u8>>> {
        if addr == 0 {
            Ok(None)
        } else {
            self.path(addr).map(Some)
        }
    }

    fn put_stat(&mut self, st: Result<Stat>, addr: u64) -> Result<u64> {
        self.mem.copy_out(addr, &st?.to_linux_stat())?;
        Ok(0)
    }

    fn get_i64(&mut self, addr: u64) -> Result<i64> {
        let mut b = [0u8; 8];
        self.mem.copy_in(addr, &mut b)?;
        Ok(i64::from_le_bytes(b))
    }

    /// Whether `fd` is open and blocking.
    fn blocking(&self, fd: i32) -> bool {
        self.c.fds.get(fd).is_ok_and(|f| !f.is_nonblocking())
    }

    /// A block on `fd` after `done` bytes, if `fd` is blocking.
    fn block(&self, fd: i32, write: bool, done: u64) -> Option<Sys> {
        let f = self.c.fds.get(fd).ok().filter(|f| !f.is_nonblocking())?;
        Some(Sys::Block {
            key: f.wait_key(),
            write,
            done,
            recheck: f.node().is_some(),
        })
    }

    /// `EAGAIN` on a blocking fd becomes [`Sys::Block`].
    fn block_or(&self, fd: i32, write: bool, r: Result<u64>) -> Option<Sys> {
        if r == Err(Errno::EAGAIN) {
            if let Some(b) = self.block(fd, write, 0) {
                return Some(b);
            }
        }
        done(r)
    }

    /// The end of a write that may have started in an earlier attempt:
    /// blocked with progress becomes [`Sys::Block`]; an error after some
    /// bytes is the count so far (Linux's partial write).
    fn write_result(&self, fd: i32, r: Result<Moved>) -> Option<Sys> {
        let total = |n: u64| self.done + n;
        match r {
            Ok(Moved { n, blocked: true }) => self
                .block(fd, true, total(n))
                .or_else(|| done(Ok(total(n)))),
            Ok(Moved { n, .. }) => done(Ok(total(n))),
            Err(Errno::EAGAIN) => self
                .block(fd, true, self.done)
                .or_else(|| done(self.partial_or(Errno::EAGAIN))),
            Err(e) => done(self.partial_or(e)),
        }
    }

    fn partial_or(&self, e: Errno) -> Result<u64> {
        if self.done > 0 {
            Ok(self.done)
        } else {
            Err(e)
        }
    }

    fn read(&mut self, fd: i32, buf: u64, count: u64, off: Option<i64>) -> Result<u64> {
        let count = usize::try_from(count)
            .map_err(|_| Errno::EINVAL)?
            .min(0x7fff_f000);
        let mut k = vec![0u8; count.min(CHUNK)];
        let mut total = 0usize;
        loop {
            let want = k.len().min(count - total);
            let res = match off {
                Some(o) => self.vfs.pread(
                    self.c,
                    fd,
                    &mut k[..want],
                    o.checked_add(total as i64).ok_or(Errno::EINVAL)?,
                ),
                None => self.vfs.read(self.c, fd, &mut k[..want]),
            };
            let n = match res {
                Ok(n) => n,
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            };
            if n > 0 {
                self.mem.copy_out(buf.wrapping_add(total as u64), &k[..n])?;
            }
            total += n;
            if n < want || total == count {
                break;
            }
        }
        Ok(total as u64)
    }

    /// Writes up to `count` bytes from `buf`. A blocking write that is not
    /// positional goes on after a short write until it would block, so
    /// that the kernel can wait and resume it until all is written.
    fn write(&mut self, fd: i32, buf: u64, count: u64, off: Option<i64>) -> Result<Moved> {
        let count = usize::try_from(count)
            .map_err(|_| Errno::EINVAL)?
            .min(0x7fff_f000);
        let write_all = off.is_none() && self.blocking(fd);
        let mut k = vec![0u8; count.min(CHUNK)];
        let mut total = 0usize;
        let moved = |n: usize, blocked| Moved {
            n: n as u64,
            blocked,
        };
        loop {
            let want = k.len().min(count - total);
            if want == 0 {
                // write(fd, NULL, 0) is fine; the fd is still checked.
            } else if let Err(e) = self
                .mem
                .copy_in(buf.wrapping_add(total as u64), &mut k[..want])
            {
                return if total == 0 {
                    Err(e)
                } else {
                    Ok(moved(total, false))
                };
            }
            let res = match off {
                Some(o) => self.vfs.pwrite(
                    self.c,
                    fd,
                    &k[..want],
                    o.checked_add(total as i64).ok_or(Errno::EINVAL)?,
                ),
                None => self.vfs.write(self.c, fd, &k[..want]),
            };
            let n = match res {
                Ok(n) => n,
                Err(Errno::EAGAIN) if total > 0 && write_all => return Ok(moved(total, true)),
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            };
            total += n;
            if total == count || n == 0 || (n < want && !write_all) {
                break;
            }
        }
        Ok(moved(total, false))
    }

    fn iov(&mut self, iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>> {
        if cnt > UIO_MAXIOV as u64 {
            return Err(Errno::EINVAL);
        }
        let mut raw = vec![0u8; cnt as usize * 16];
        self.mem.copy_in(iov, &mut raw)?;
        let v: Vec<(u64, u64)> = raw
            .chunks_exact(16)
            .map(|e| {
                (
                    u64::from_le_bytes(e[..8].try_into().unwrap_or([0; 8])),
                    u64::from_le_bytes(e[8..].try_into().unwrap_or([0; 8])),
                )
            })
            .collect();
        let mut sum: u64 = 0;
        for &(_, len) in &v {
            sum = sum
                .checked_add(len)
                .filter(|&s| s <= isize::MAX as u64)
                .ok_or(Errno::EINVAL)?;
        }
        Ok(v)
    }

    /// readv/writev/preadv/pwritev: the segments in order, skipping the
    /// first `self.done` bytes (moved by an earlier attempt), until one
    /// comes up short.
    fn vector(
        &mut self,
        fd: i32,
        iov: u64,
        cnt: u64,
        off: Option<i64>,
        write: bool,
    ) -> Result<Moved> {
        let segs = self.iov(iov, cnt)?;
        let mut skip = self.done;
        let mut total = 0u64;
        for (base, len) in segs {
            let s = skip.min(len);
            skip -= s;
            let (base, len) = (base.wrapping_add(s), len - s);
            if len == 0 {
                continue;
            }
            let at = match off {
                Some(o) => Some(
                    o.checked_add((self.done + total) as i64)
                        .ok_or(Errno::EINVAL)?,
                ),
                None => None,
            };
            let r = if write {
                self.write(fd, base, len, at)
            } else {
                self.read(fd, base, len, at)
                    .map(|n| Moved { n, blocked: false })
            };
            match r {
                Ok(m) => {
                    total += m.n;
                    if m.blocked {
                        return Ok(Moved {
                            n: total,
                            blocked: true,
                        });
                    }
                    if m.n < len {
                        break;
                    }
                }
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(Moved {
            n: total,
            blocked: false,
        })
    }

    fn pipe(&mut self, fds: u64, flags: u32) -> Result<u64> {
        let (r, w) = self.vfs.pipe2(self.c, flags)?;
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&r.to_le_bytes());
        out[4..].copy_from_slice(&w.to_le_bytes());
        if let Err(e) = self.mem.copy_out(fds, &out) {
            let _ = self.c.fds.close(r);
            let _ = self.c.fds.close(w);
            return Err(e);
        }
        Ok(0)
    }

    fn readlink(&mut self, dirfd: i32, path: u64, buf: u64, size: u64) -> Result<u64> {
        if size as i64 <= 0 {
            return Err(Errno::EINVAL);
        }
        let p = self.path(path)?;
        let t = self.vfs.readlinkat(self.c, dirfd, &p)?;
        let n = t.len().min(size as usize);
        self.mem.copy_out(buf, &t[..n])?;
        Ok(n as u64)
    }

    fn getcwd(&mut self, buf: u64, size: u64) -> Result<u64> {
        let mut p = self.vfs.getcwd(self.c)?;
        p.push(0);
        if (size as usize) < p.len() {
            return Err(Errno::ERANGE);
        }
        self.mem.copy_out(buf, &p)?;
        Ok(p.len() as u64)
    }

    fn getdents(&mut self, fd: i32, buf: u64, count: u64) -> Result<u64> {
        let mut k = vec![0u8; (count as usize).min(DENTS_MAX)];
        let n = self.vfs.getdents64(self.c, fd, &mut k)?;
        self.mem.copy_out(buf, &k[..n])?;
        Ok(n as u64)
    }

    fn ioctl(&mut self, fd: i32, cmd: u32, arg: u64) -> Result<u64> {
        let mut input = vec![0u8; ioctl_in_len(cmd)];
        if !input.is_empty() {
            self.mem.copy_in(arg, &mut input)?;
        }
        let reply = self.vfs.ioctl(self.c, fd, cmd, &input)?;
        if !reply.out.is_empty() {
            self.mem.copy_out(arg, &reply.out)?;
        }
        Ok(reply.ret as u64)
    }

    fn fcntl(&mut self, fd: i32, cmd: u32, arg: u64) -> Result<u64> {
        if cmd == F_GETLK {
            // One root user and advisory locks only: nothing ever conflicts.
            self.c.fds.get(fd)?;
            let mut flock = [0u8; 32];
            self.mem.copy_in(arg, &mut flock)?;
            flock[..2].copy_from_slice(&F_UNLCK.to_le_bytes());
            self.mem.copy_out(arg, &flock)?;
            return Ok(0);
        }
        self.vfs.fcntl(self.c, fd, cmd, arg).map(|v| v as u64)
    }

    fn utimens(
        &mut self,
        dirfd: i32,
        path: u64,
        times: u64,
        flags: u32,
        micro: bool,
    ) -> Result<u64> {
        let p = self.opt_path(path)?;
        let t = if times == 0 {
            None
        } else {
            let mut b = [0u8; 32];
            self.mem.copy_in(times, &mut b)?;
            let w = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
            let conv = |sec: i64, frac: i64| -> Result<(i64, i64)> {
                if micro {
                    if !(0..1_000_000).contains(&frac) {
                        return Err(Errno::EINVAL);
                    }
                    Ok((sec, frac * 1000))
                } else {
                    Ok((sec, frac))
                }
            };
            Some([conv(w(0), w(1))?, conv(w(2), w(3))?])
        };
        if p.as_deref() == Some(b"") && flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        self.vfs
            .utimensat(self.c, dirfd, p.as_deref(), t, flags)
            .map(|_| 0)
    }

    fn sendfile(&mut self, out: i32, inp: i32, off: u64, count: u64) -> Result<u64> {
        let count = count as usize;
        if off == 0 {
            return self
                .vfs
                .sendfile(self.c, out, inp, None, count)
                .map(|n| n as u64);
        }
        let mut o = self.get_i64(off)?;
        let n = self.vfs.sendfile(self.c, out, inp, Some(&mut o), count)?;
        self.mem.copy_out(off, &o.to_le_bytes())?;
        Ok(n as u64)
    }

    fn copy_range(&mut self, a: [u64; 6]) -> Result<u64> {
        let mut oi = if a[1] != 0 {
            Some(self.get_i64(a[1])?)
        } else {
            None
        };
        let mut oo = if a[3] != 0 {
            Some(self.get_i64(a[3])?)
        } else {
            None
        };
        let n = self.vfs.copy_file_range(
            self.c,
            i32a(a[0]),
            oi.as_mut(),
            i32a(a[2]),
            oo.as_mut(),
            a[4] as usize,
            a[5] as u32,
        )?;
        if let Some(v) = oi {
            self.mem.copy_out(a[1], &v.to_le_bytes())?;
        }
        if let Some(v) = oo {
            self.mem.copy_out(a[3], &v.to_le_bytes())?;
        }
        Ok(n as u64)
    }

    fn stat_at(&mut self, dirfd: i32, path: u64, buf: u64, flags: u32) -> Result<u64> {
        let p = self.path(path)?;
        let st = self.vfs.fstatat(self.c, dirfd, &p, flags);
        self.put_stat(st, buf)
    }

    fn statx(&mut self, a: [u64; 6]) -> Result<u64> {
        let p = self.path(a[1])?;
        let st = self.vfs.fstatat(self.c, i32a(a[0]), &p, a[2] as u32)?;
        self.mem.copy_out(a[4], &st.to_statx())?;
        Ok(0)
    }

    fn two_paths(&mut self, x: u64, y: u64) -> Result<(Vec<u8>, Vec<u8>)> {
        Ok((self.path(x)?, self.path(y)?))
    }

    fn dispatch(&mut self, n: usize, a: [u64; 6]) -> Option<Sys> {
        let (v, c) = (self.vfs, self.c);
        let fd = i32a(a[0]);
        macro_rules! p {
            ($addr:expr) => {
                match self.path($addr) {
                    Ok(p) => p,
                    Err(e) => return done(Err(e)),
                }
            };
        }
        match n {
            nr::READ => {
                let r = self.read(fd, a[1], a[2], None);
                self.block_or(fd, false, r)
            }
            nr::WRITE => {
                let skip = self.done;
                let r = self.write(fd, a[1].wrapping_add(skip), a[2].saturating_sub(skip), None);
                self.write_result(fd, r)
            }
            nr::READV => {
                let r = self.vector(fd, a[1], a[2], None, false).map(|m| m.n);
                self.block_or(fd, false, r)
            }
            nr::WRITEV => {
                let r = self.vector(fd, a[1], a[2], None, true);
                self.write_result(fd, r)
            }
            nr::PREAD64 => done(self.read(fd, a[1], a[2], Some(a[3] as i64))),
            nr::PWRITE64 => done(self.write(fd, a[1], a[2], Some(a[3] as i64)).map(|m| m.n)),
            nr::PREADV => done(
                self.vector(fd, a[1], a[2], Some(a[3] as i64), false)
                    .map(|m| m.n),
            ),
            nr::PWRITEV => done(
                self.vector(fd, a[1], a[2], Some(a[3] as i64), true)
                    .map(|m| m.n),
            ),
            nr::OPEN => done(
                v.openat(c, AT_FDCWD, &p!(a[0]), a[1] as u32, a[2] as u32)
                    .map(|f| f as u64),
            ),
            nr::CREAT => done(
                v.openat(
                    c,
                    AT_FDCWD,
                    &p!(a[0]),
                    O_CREAT | O_WRONLY | O_TRUNC,
                    a[1] as u32,
                )
                .map(|f| f as u64),
            ),
            nr::OPENAT => done(
                v.openat(c, fd, &p!(a[1]), a[2] as u32, a[3] as u32)
                    .map(|f| f as u64),
            ),
            nr::MEMFD_CREATE => done(v.memfd_create(c, &p!(a[0]), a[1] as u32).map(|f| f as u64)),
            nr::CLOSE => unit(v.close(c, fd)),
            nr::STAT => done(self.stat_at(AT_FDCWD, a[0], a[1], 0)),
            nr::LSTAT => done(self.stat_at(AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW)),
            nr::FSTAT => {
                let st = v.fstat(c, fd);
                done(self.put_stat(st, a[1]))
            }
            nr::NEWFSTATAT => done(self.stat_at(fd, a[1], a[2], a[3] as u32)),
            nr::STATX => done(self.statx(a)),
            nr::LSEEK => done(v.lseek(c, fd, a[1] as i64, a[2] as u32)),
            nr::IOCTL => done(self.ioctl(fd, a[1] as u32, a[2])),
            nr::ACCESS => unit(v.faccessat(c, AT_FDCWD, &p!(a[0]), a[1] as u32, 0)),
            nr::FACCESSAT => unit(v.faccessat(c, fd, &p!(a[1]), a[2] as u32, 0)),
            nr::FACCESSAT2 => unit(v.faccessat(c, fd, &p!(a[1]), a[2] as u32, a[3] as u32)),
            nr::PIPE => done(self.pipe(a[0], 0)),
            nr::PIPE2 => done(self.pipe(a[0], a[1] as u32)),
            nr::DUP => done(v.dup(c, fd).map(|f| f as u64)),
            nr::DUP2 => done(v.dup2(c, fd, i32a(a[1])).map(|f| f as u64)),
            nr::DUP3 => done(v.dup3(c, fd, i32a(a[1]), a[2] as u32).map(|f| f as u64)),
            nr::FCNTL => done(self.fcntl(fd, a[1] as u32, a[2])),
            nr::FLOCK => {
                let op = a[1] as u32;
                match v.flock(c, fd, op) {
                    // flock waits unless LOCK_NB, whatever O_NONBLOCK says.
                    Err(Errno::EAGAIN) if op & LOCK_NB == 0 => Some(Sys::Block {
                        key: c.fds.get(fd).map_or(0, |f| f.wait_key()),
                        write: false,
                        done: 0,
                        recheck: true,
                    }),
                    r => unit(r),
                }
            }
            nr::FSYNC | nr::FDATASYNC => unit(v.fsync(c, fd)),
            nr::SYNC => unit(v.sync()),
            nr::SYNCFS => unit(c.fds.get(fd).and_then(|_| v.sync())),
            nr::TRUNCATE => unit(v.truncate(c, &p!(a[0]), a[1] as i64)),
            nr::FTRUNCATE => unit(v.ftruncate(c, fd, a[1] as i64)),
            nr::FALLOCATE => unit(v.fallocate(c, fd, a[1] as u32, a[2] as i64, a[3] as i64)),
            nr::FADVISE64 => unit(c.fds.get(fd).and_then(|f| {
                if f.node().is_some() {
                    Ok(())
                } else {
                    Err(Errno::ESPIPE)
                }
            })),
            nr::GETDENTS64 => done(self.getdents(fd, a[1], a[2])),
            nr::GETCWD => done(self.getcwd(a[0], a[1])),
            nr::CHDIR => unit(v.chdir(c, &p!(a[0]))),
            nr::FCHDIR => unit(v.fchdir(c, fd)),
            nr::RENAME => {
                let (x, y) = match self.two_paths(a[0], a[1]) {
                    Ok(t) => t,
                    Err(e) => return done(Err(e)),
                };
                unit(v.renameat2(c, AT_FDCWD, &x, AT_FDCWD, &y, 0))
            }
            nr::RENAMEAT | nr::RENAMEAT2 => {
                let (x, y) = match self.two_paths(a[1], a[3]) {
                    Ok(t) => t,
                    Err(e) => return done(Err(e)),
                };
                let flags = if n == nr::RENAMEAT { 0 } else { a[4] as u32 };
                unit(v.renameat2(c, fd, &x, i32a(a[2]), &y, flags))
            }
            nr::MKDIR => unit(v.mkdirat(c, AT_FDCWD, &p!(a[0]), a[1] as u32)),
            nr::MKDIRAT => unit(v.mkdirat(c, fd, &p!(a[1]), a[2] as u32)),
            nr::RMDIR => unit(v.unlinkat(c, AT_FDCWD, &p!(a[0]), AT_REMOVEDIR)),
            nr::UNLINK => unit(v.unlinkat(c, AT_FDCWD, &p!(a[0]), 0)),
            nr::UNLINKAT => unit(v.unlinkat(c, fd, &p!(a[1]), a[2] as u32)),
            nr::LINK => {
                let (x, y) = match self.two_paths(a[0], a[1]) {
                    Ok(t) => t,
                    Err(e) => return done(Err(e)),
                };
                unit(v.linkat(c, AT_FDCWD, &x, AT_FDCWD, &y, 0))
            }
            nr::LINKAT => {
                let (x, y) = match self.two_paths(a[1], a[3]) {
                    Ok(t) => t,
                    Err(e) => return done(Err(e)),
                };
                unit(v.linkat(c, fd, &x, i32a(a[2]), &y, a[4] as u32))
            }
            nr::SYMLINK => {
                let (t, l) = match self.two_paths(a[0], a[1]) {
                    Ok(t) => t,
                    Err(e) => return done(Err(e)),
                };
                unit(v.symlinkat(c, &t, AT_FDCWD, &l))
            }
            nr::SYMLINKAT => {
                let (t, l) = match self.two_paths(a[0], a[2]) {
                    Ok(t) => t,
                    Err(e) => return done(Err(e)),
                };
                unit(v.symlinkat(c, &t, i32a(a[1]), &l))
            }
            nr::READLINK => done(self.readlink(AT_FDCWD, a[0], a[1], a[2])),
            nr::READLINKAT => done(self.readlink(fd, a[1], a[2], a[3])),
            nr::CHMOD => unit(v.fchmodat(c, AT_FDCWD, &p!(a[0]), a[1] as u32, 0)),
            nr::FCHMOD => unit(v.fchmod(c, fd, a[1] as u32)),
            nr::FCHMODAT => unit(v.fchmodat(c, fd, &p!(a[1]), a[2] as u32, 0)),
            nr::CHOWN => unit(v.fchownat(c, AT_FDCWD, &p!(a[0]), a[1] as u32, a[2] as u32, 0)),
            nr::LCHOWN => unit(v.fchownat(
                c,
                AT_FDCWD,
                &p!(a[0]),
                a[1] as u32,
                a[2] as u32,
                AT_SYMLINK_NOFOLLOW,
            )),
            nr::FCHOWN => unit(v.fchownat(c, fd, b"", a[1] as u32, a[2] as u32, AT_EMPTY_PATH)),
            nr::FCHOWNAT => {
                unit(v.fchownat(c, fd, &p!(a[1]), a[2] as u32, a[3] as u32, a[4] as u32))
            }
            nr::UMASK => done(Ok(v.umask(c, a[0] as u32) as u64)),
            nr::STATFS => {
                let s = v.statfs(c, &p!(a[0]));
                done(
                    s.and_then(|s| self.mem.copy_out(a[1], &s.to_linux_statfs()))
                        .map(|_| 0),
                )
            }
            nr::FSTATFS => {
                let s = v.fstatfs(c, fd);
                done(
                    s.and_then(|s| self.mem.copy_out(a[1], &s.to_linux_statfs()))
                        .map(|_| 0),
                )
            }
            nr::UTIMENSAT => done(self.utimens(fd, a[1], a[2], a[3] as u32, false)),
            nr::UTIMES => done(self.utimens(AT_FDCWD, a[0], a[1], 0, true)),
            nr::FUTIMESAT => done(self.utimens(fd, a[1], a[2], 0, true)),
            nr::SENDFILE => {
                let r = self.sendfile(fd, i32a(a[1]), a[2], a[3]);
                self.block_or(fd, true, r)
            }
            nr::COPY_FILE_RANGE => done(self.copy_range(a)),
            nr::CLOSE_RANGE => {
                let (first, last, flags) = (a[0] as u32, a[1] as u32, a[2] as u32);
                if first > last || flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 {
                    return done(Err(Errno::EINVAL));
                }
                c.fds
                    .close_range(first, last, flags & CLOSE_RANGE_CLOEXEC != 0);
                done(Ok(0))
            }
            _ => None,
        }
    }
}
