//! The socket calls on an `AF_UNIX` socket (`crate::net::unix_file`):
//! `socket(AF_UNIX)` and `socketpair`, and the blocking, timeouts,
//! `SIGPIPE`, name look-ups and address replies that `syscall::net` hands
//! over for such fds. The semantics are `veridian_net::unix`'s; a path
//! name is a socket node made by `Vfs::bind_socket`, found again by
//! `Vfs::socket_node`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use veridian_net::abi::*;
use veridian_net::unix::{self, Addr, Key, Target, Ucred, UnixSocket, UnixType};
use veridian_net::RecvInfo;
use veridian_vfs::abi::AT_FDCWD;
use veridian_vfs::Errno;
use veridian_vfs::{Caller, FdTable, FsContext, OpenFile, SpecialFile};

use super::KResult;
use crate::fs::vfs;
use crate::net::unix_file::{as_unix, UnixFile, NAMES};
use crate::task::current;
use crate::task::user;

/// The calling task's credentials (every process is root).
fn cred() -> Ucred {
    Ucred {
        pid: current().pid as i32,
        uid: 0,
        gid: 0,
    }
}

/// Runs `op` with the calling process's fd table and fs context.
fn with_caller<T>(op: impl FnOnce(Caller<'_>) -> T) -> T {
    let t = current();
    let (fds, fsx): (Arc<FdTable>, Arc<FsContext>) = (t.files(), t.fsctx());
    drop(t);
    op(Caller {
        fds: &fds,
        fs: &fsx,
    })
}

/// Gives a unix socket an fd (`SOCK_NONBLOCK`/`SOCK_CLOEXEC` in `flags`).
fn install(f: UnixFile, flags: u32) -> Result<i32, Errno> {
    let name = alloc::format!("socket:[{}]", f.ino());
    let f: Arc<dyn SpecialFile> = Arc::new(f);
    with_caller(|c| {
        vfs().install_special(
            c,
            f,
            name.as_bytes(),
            flags & (SOCK_NONBLOCK | SOCK_CLOEXEC),
        )
    })
}

/// `socket(AF_UNIX, type, protocol)`: an unbound, unconnected socket;
/// arguments checked as `socketpair`'s.
pub fn socket(domain: i32, ty: u32, protocol: i32) -> KResult {
    let kind = unix::pair_type(domain, ty, protocol)?;
    install(UnixFile::new(UnixSocket::new(kind)), ty).map(|fd| fd as u64)
}

/// The socket bound to `a` for a socket of type `ty`: a path through the
/// file system (`ENOENT`, `ENOTDIR`, `ECONNREFUSED` for a non-socket,
/// `EPROTOTYPE` for another type), an abstract name in the table.
fn lookup(ty: UnixType, a: &Addr) -> Result<Target, Errno> {
    match *a {
        Addr::Path(p) => {
            let node = with_caller(|c| vfs().socket_node(c, p))?;
            NAMES.lock().lookup(&Key::Node(node.mount, node.ino), ty)
        }
        Addr::Abstract(sun) => NAMES
            .lock()
            .lookup(&Key::Abstract(ty.raw(), sun.to_vec()), ty),
        Addr::Auto => Err(Errno::EINVAL),
    }
}

/// `bind(addr)`: a path makes a socket node (`S_IFSOCK`, `0777 & ~umask`;
/// removed again if the socket was already bound: `EINVAL`, as Linux),
/// an abstract name goes to the table, the family alone autobinds.
pub fn bind(f: &OpenFile, addr: &[u8]) -> KResult {
    let u = end(f);
    let ty = u.end().ty();
    match unix::parse_addr(addr, true)? {
        Addr::Auto => u.run(|s| s.autobind(&mut NAMES.lock()))?,
        Addr::Abstract(sun) => {
            let key = Key::Abstract(ty.raw(), sun.to_vec());
            u.run(|s| s.bind(&mut NAMES.lock(), key, addr.to_vec()))?
        }
        Addr::Path(p) => {
            let node = with_caller(|c| vfs().bind_socket(c, p, 0o777))?;
            let key = Key::Node(node.node().mount, node.node().ino);
            match u.run(|s| s.bind(&mut NAMES.lock(), key, unix::path_name(p))) {
                Ok(()) => u.set_node(node),
                Err(e) => {
                    drop(node);
                    let _ = with_caller(|c| vfs().unlinkat(c, AT_FDCWD, p, 0));
                    return Err(e);
                }
            }
        }
    }
    Ok(0)
}

pub fn listen(f: &OpenFile, backlog: i32) -> KResult {
    let cred = cred();
    end(f).run(|s| s.listen(backlog, cred)).map(|_| 0)
}

/// `accept4`: waits for a connection (`EAGAIN` if non-blocking or after
/// `SO_RCVTIMEO`); the peer's address (the family alone if unnamed) goes
/// to `addr`, truncated to `*addrlen`, its full length to `*addrlen`.
pub fn accept4(f: &OpenFile, addr: u64, lenp: u64, room: usize, flags: u32) -> KResult {
    let u = end(f);
    let (rcv, _) = u.end().timeouts();
    let (s, peer) = blocking(u, f.is_nonblocking(), rcv, |s| s.accept())?;
    let fd = install(UnixFile::new(s), flags)?;
    if addr != 0 {
        if let Err(e) = addr_out(addr, lenp, room, &peer) {
            let _ = with_caller(|c| vfs().close(c, fd));
            return Err(e);
        }
    }
    Ok(fd as u64)
}

/// Writes an address truncated to `room` bytes and its full length.
pub fn addr_out(addr: u64, lenp: u64, room: usize, a: &[u8]) -> Result<(), Errno> {
    user::write_bytes(addr, &a[..room.min(a.len())])?;
    user::write_u32(lenp, a.len() as u32)
}

/// `connect(addr)`: `AF_UNSPEC` disconnects a datagram socket; a name
/// is looked up (again on each retry) and connected to, waiting while
/// the listener's backlog is full unless non-blocking (`EAGAIN`, as
/// Linux: never `EINPROGRESS`).
pub fn connect(f: &OpenFile, addr: &[u8]) -> KResult {
    let u = end(f);
    if addr.len() >= 2 && addr[..2] == AF_UNSPEC.to_ne_bytes() {
        return u.run(|s| s.disconnect()).map(|_| 0);
    }
    let a = unix::parse_addr(addr, false)?;
    let ty = u.end().ty();
    let cred = cred();
    let (_, snd) = u.end().timeouts();
    blocking(u, f.is_nonblocking(), snd, |s| {
        s.connect(lookup(ty, &a), cred)
    })
    .map(|_| 0)
}

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

/// Whether `f` is an `AF_UNIX` socket.
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
    mut op: impl FnMut(&UnixSocket) -> veridian_net::Result<T>,
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
        // between the check and going to sleep. (Another socket's change,
        // a connect for an accept, moves the caller's sequence too.)
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
    let ty = u.end().ty();
    let named = u.end().is_named_dgram();
    // A named datagram socket's destination is looked up on each try
    // (an address error comes first, as Linux).
    let parsed = match dest {
        Some(a) if named => Some(unix::parse_addr(a, false)?),
        _ => None,
    };
    let found = || match &parsed {
        Some(p) => lookup(ty, p),
        None => Err(Errno::EINVAL),
    };
    let mut done = 0;
    let r = loop {
        match blocking(u, nb, snd, |e| {
            e.send(&data[done..], flags, dest.map(|a| (a, found())))
        }) {
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

/// recv/recvfrom/recvmsg/read into `kbuf`, with the sender's address of
/// a datagram from a named socket; `MSG_WAITALL` on a stream waits for
/// the whole buffer (a part after EOF, an error, a timeout or a signal is
/// returned as is).
pub fn recv(
    f: &OpenFile,
    kbuf: &mut [u8],
    flags: u32,
) -> Result<(RecvInfo, Option<Vec<u8>>), Errno> {
    let u = end(f);
    let nb = nonblocking(f, flags);
    let flags = if nb { flags | MSG_DONTWAIT } else { flags };
    let (rcv, _) = u.end().timeouts();
    let (mut info, from) = blocking(u, nb, rcv, |e| e.recv(kbuf, flags))?;
    let waitall = flags & (MSG_WAITALL | MSG_PEEK) == MSG_WAITALL;
    if waitall && !nb && u.end().ty() == UnixType::Stream {
        super::net::wait_all(&mut info, kbuf, |rest| {
            blocking(u, nb, rcv, |e| e.recv(rest, flags)).map(|(i, _)| i)
        });
    }
    Ok((info, from))
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

/// getsockname/getpeername: the bound address (a path's with its NUL),
/// the family alone if unnamed; `ENOTCONN` for the peer of an
/// unconnected socket.
pub fn sockname(f: &OpenFile, addr: u64, lenp: u64, room: usize, peer: bool) -> KResult {
    let s = end(f).end();
    let a = if peer { s.peer_name()? } else { s.name() };
    addr_out(addr, lenp, room, &a).map(|_| 0)
}

pub fn shutdown(f: &OpenFile, how: u32) -> KResult {
    end(f).run(|e| e.shutdown(how)).map(|_| 0)
}

pub fn setsockopt(f: &OpenFile, level: i32, name: i32, val: &[u8]) -> KResult {
    end(f).run(|e| e.setsockopt(level, name, val)).map(|_| 0)
}

pub fn getsockopt(f: &OpenFile, level: i32, name: i32) -> Result<veridian_net::OptValue, Errno> {
    end(f).end().getsockopt(level, name)
}
