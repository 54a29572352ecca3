//! The socket calls on an `AF_UNIX` pair end (`crate::net::unix_file`):
//! `socketpair` itself, and the blocking, timeouts, `SIGPIPE` and address
//! replies that `syscall::net` hands over for such fds. The semantics are
//! `veridian_net::unix`'s. Named sockets do not exist: `socket(AF_UNIX)`
//! stays `EAFNOSUPPORT` (the stack's answer), `bind` is `EOPNOTSUPP`.

use alloc::sync::Arc;
use veridian_net::abi::*;
use veridian_net::unix::{self, Ucred, UnixType, UNNAMED};
use veridian_net::RecvInfo;
use veridian_vfs::Errno;
use veridian_vfs::{Caller, OpenFile, SpecialFile};

use super::KResult;
use crate::fs::vfs;
use crate::net::unix_file::{as_unix, UnixFile};
use crate::task::current;
use crate::task::user;

/// `socketpair(AF_UNIX, type, protocol, sv)`. The two fds are installed
/// before `sv` is written; if that faults they are closed again and the
/// call fails with `EFAULT` (Linux writes first; nobody sees the fds).
pub fn socketpair(domain: i32, ty: u32, protocol: i32, sv: u64) -> KResult {
    let kind = unix::pair_type(domain, ty, protocol)?;
    let t = current();
    let cred = Ucred {
        pid: t.pid as i32,
        uid: 0,
        gid: 0,
    };
    let (fds, fsx) = (t.files(), t.fsctx());
    drop(t);
    let (a, b) = unix::pair(kind, cred);
    let (a, b) = UnixFile::pair(a, b);
    let c = Caller {
        fds: &fds,
        fs: &fsx,
    };
    let flags = ty & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    let install = |f: UnixFile| {
        let name = alloc::format!("socket:[{}]", f.ino());
        let f: Arc<dyn SpecialFile> = Arc::new(f);
        vfs().install_special(c, f, name.as_bytes(), flags)
    };
    let fd0 = install(a)?;
    let fd1 = match install(b) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = vfs().close(c, fd0);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&fd0.to_ne_bytes());
    out[4..].copy_from_slice(&fd1.to_ne_bytes());
    if let Err(e) = user::write_bytes(sv, &out) {
        let _ = vfs().close(c, fd0);
        let _ = vfs().close(c, fd1);
        return Err(e);
    }
    Ok(0)
}

/// Whether `f` is a pair end.
pub fn is_unix(f: &OpenFile) -> bool {
    as_unix(f).is_some()
}

fn end(f: &OpenFile) -> &UnixFile {
    as_unix(f).expect("the caller checked is_unix")
}

/// Runs `op` until it does not report `EAGAIN`, sleeping on the pair in
/// between, unless `nonblocking`; bounded by `timeout_us` (`EAGAIN` on
/// expiry, as Linux) and cut short by signals (`EINTR`).
fn blocking<T>(
    u: &UnixFile,
    nonblocking: bool,
    timeout_us: Option<u64>,
    mut op: impl FnMut(&unix::UnixEnd) -> veridian_net::Result<T>,
) -> Result<T, Errno> {
    let deadline =
        timeout_us.map(|us| crate::time::monotonic_ns().saturating_add(us.saturating_mul(1000)));
    loop {
        let seen = u.end().changes();
        match u.run(&mut op) {
            Err(e) if e == Errno::EAGAIN && !nonblocking => {}
            r => return r,
        }
        if crate::task::exit::interrupted() {
            return Err(Errno::EINTR);
        }
        if deadline.is_some_and(|d| crate::time::monotonic_ns() >= d) {
            return Err(Errno::EAGAIN);
        }
        // One CPU, interrupts off in the kernel: no change can slip in
        // between the check and going to sleep.
        if u.end().changes() == seen {
            u.sleep(deadline.unwrap_or(0));
        }
    }
}

fn nonblocking(f: &OpenFile, flags: u32) -> bool {
    f.is_nonblocking() || flags & MSG_DONTWAIT != 0
}

/// send/sendto/sendmsg/write: a blocking stream send goes on until all
/// of `data` is queued (or a timeout, signal or error after a part,
/// which then counts); `EPIPE` raises `SIGPIPE` on streams unless
/// `MSG_NOSIGNAL` (Linux raises it for no other type).
pub fn send(f: &OpenFile, data: &[u8], flags: u32, dest: Option<&[u8]>) -> Result<usize, Errno> {
    let u = end(f);
    let nb = nonblocking(f, flags);
    let (_, snd) = u.end().timeouts();
    let stream = u.end().ty() == UnixType::Stream;
    let mut done = 0;
    let r = loop {
        match blocking(u, nb, snd, |e| e.send(&data[done..], flags, dest)) {
            Ok(k) => {
                done += k;
                if !stream || done >= data.len() || nb {
                    break Ok(done);
                }
            }
            Err(_) if done > 0 => break Ok(done),
            Err(e) => break Err(e),
        }
    };
    if stream && r == Err(Errno::EPIPE) && flags & MSG_NOSIGNAL == 0 {
        super::signal::raise_sigpipe();
    }
    r
}

/// recv/recvfrom/recvmsg/read into `kbuf`; `MSG_WAITALL` on a stream
/// waits for the whole buffer (a part after EOF, an error, a timeout or
/// a signal is returned as is).
pub fn recv(f: &OpenFile, kbuf: &mut [u8], flags: u32) -> Result<RecvInfo, Errno> {
    let u = end(f);
    let nb = nonblocking(f, flags);
    let flags = if nb { flags | MSG_DONTWAIT } else { flags };
    let (rcv, _) = u.end().timeouts();
    let mut info = blocking(u, nb, rcv, |e| e.recv(kbuf, flags))?;
    let waitall = flags & (MSG_WAITALL | MSG_PEEK) == MSG_WAITALL;
    if waitall && !nb && u.end().ty() == UnixType::Stream {
        super::net::wait_all(&mut info, kbuf, |rest| {
            blocking(u, nb, rcv, |e| e.recv(rest, flags))
        });
    }
    Ok(info)
}

/// `sendmsg` control data: none is carried (no `SCM_RIGHTS` or
/// `SCM_CREDENTIALS`), so a control buffer that can hold a `cmsghdr` is
/// refused with `EOPNOTSUPP` rather than dropped.
pub fn check_control(controllen: u64) -> Result<(), Errno> {
    if controllen >= 16 {
        Err(Errno::EOPNOTSUPP)
    } else {
        Ok(())
    }
}

/// getsockname/getpeername: an unnamed address (`sun_family` only,
/// length 2); `ENOTCONN` for the peer of a datagram end that lost it.
pub fn sockname(f: &OpenFile, addr: u64, lenp: u64, room: usize, peer: bool) -> KResult {
    if peer {
        end(f).end().peer_check()?;
    }
    user::write_bytes(addr, &UNNAMED[..room.min(UNNAMED.len())])?;
    user::write_u32(lenp, UNNAMED.len() as u32).map(|_| 0)
}

pub fn shutdown(f: &OpenFile, how: u32) -> KResult {
    end(f).run(|e| e.shutdown(how)).map(|_| 0)
}

/// `bind`: naming a unix socket is not implemented.
pub fn bind() -> KResult {
    Err(Errno::EOPNOTSUPP)
}

pub fn connect(f: &OpenFile, addr: &[u8]) -> KResult {
    end(f).run(|e| e.connect(addr)).map(|_| 0)
}

pub fn listen_or_accept(f: &OpenFile) -> KResult {
    end(f).end().listen_or_accept().map(|_| 0)
}

pub fn setsockopt(f: &OpenFile, level: i32, name: i32, val: &[u8]) -> KResult {
    end(f).run(|e| e.setsockopt(level, name, val)).map(|_| 0)
}

pub fn getsockopt(f: &OpenFile, level: i32, name: i32) -> Result<veridian_net::OptValue, Errno> {
    end(f).end().getsockopt(level, name)
}
