//! Socket system calls: user memory is copied in and out here, the
//! semantics are `veridian-net`'s (`crate::net`), blocking is
//! `crate::net::block`. A socket is a VFS special file
//! (`crate::net::socket_file::SocketFile`), or an `AF_UNIX` socket,
//! whose calls `super::unix` carries out.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use veridian_net::abi::*;
use veridian_net::msghdr::{self, MsgHdr, IOVEC_SIZE, MMSGHDR_SIZE, MSGHDR_SIZE, MSG_LEN_OFFSET};
use veridian_net::{sockaddr, OwnedSocket, SocketId};
use veridian_syscall::limits::UIO_MAXIOV;
use veridian_vfs::Errno;
use veridian_vfs::{Caller, OpenFile, SpecialFile};

use super::unix::{self, is_unix};
use super::KResult;
use crate::fs::vfs;
use crate::net::block::{blocking, Wait};
use crate::net::socket_file::SocketFile;
use crate::task::current;
use crate::task::user;

/// Largest transfer per call; bounds the kernel buffer.
const MAX_IO: usize = 1 << 20;

fn file(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    current().files().get(fd)
}

/// `fd`'s open file if it is an `AF_UNIX` socket (`EBADF` if closed).
fn unix_fd(fd: i32) -> Result<Option<Arc<OpenFile>>, Errno> {
    let f = file(fd)?;
    Ok(is_unix(&f).then_some(f))
}

/// A socket fd of either kind.
enum Sock {
    Inet(Arc<OpenFile>, SocketId),
    Unix(Arc<OpenFile>),
}

fn any_sock(fd: i32) -> Result<Sock, Errno> {
    match unix_fd(fd)? {
        Some(f) => Ok(Sock::Unix(f)),
        None => sock(fd).map(|(f, id)| Sock::Inet(f, id)),
    }
}

/// The socket behind `fd`: `EBADF`, or `ENOTSOCK` for other files.
fn sock(fd: i32) -> Result<(Arc<OpenFile>, SocketId), Errno> {
    let f = current().files().get(fd)?;
    let id = f
        .special_as::<SocketFile>()
        .map(|s| s.id())
        .ok_or(Errno::ENOTSOCK)?;
    // O_NONBLOCK (fcntl, FIONBIO, SOCK_NONBLOCK) lives in the open file;
    // the stack's copy decides a few Linux corner cases (UDP after SHUT_RD).
    let nb = f.is_nonblocking();
    crate::net::peek(|n| n.set_nonblocking(id, nb))?;
    Ok((f, id))
}

/// Gives a new socket an fd (`SOCK_NONBLOCK`/`SOCK_CLOEXEC` in `flags`).
fn install(s: OwnedSocket, flags: u32) -> Result<i32, Errno> {
    let name = alloc::format!("socket:[{}]", s.id().raw());
    let file: Arc<dyn SpecialFile> = Arc::new(SocketFile::new(s));
    let t = current();
    let (fds, fsx) = (t.files(), t.fsctx());
    drop(t);
    vfs().install_special(
        Caller {
            fds: &fds,
            fs: &fsx,
        },
        file,
        name.as_bytes(),
        flags & (SOCK_NONBLOCK | SOCK_CLOEXEC),
    )
}

/// Copies in a `sockaddr` of `len` bytes (`EINVAL` if negative or larger
/// than `sockaddr_storage`).
fn addr_in(p: u64, len: u64) -> Result<Vec<u8>, Errno> {
    let len = len as u32 as i32;
    if len < 0 || len as usize > SOCKADDR_STORAGE_SIZE {
        return Err(Errno::EINVAL);
    }
    user::read_bytes(p, len as usize)
}

/// Reads `*addrlen` for an address to be returned (`EINVAL` if negative).
fn addrlen_in(lenp: u64) -> Result<usize, Errno> {
    let n = user::read_u32(lenp)? as i32;
    if n < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(n as usize)
}

/// Writes an address truncated to `room` bytes and its full length to
/// `*addrlen`.
fn addr_out(p: u64, lenp: u64, room: usize, a: core::net::SocketAddr) -> Result<(), Errno> {
    let mut buf = [0u8; SOCKADDR_STORAGE_SIZE];
    let cap = room.min(buf.len());
    let full = sockaddr::encode_into(a, &mut buf[..cap]);
    user::write_bytes(p, &buf[..full.min(cap)])?;
    user::write_u32(lenp, full as u32)
}

fn rcv_wait(f: &OpenFile, id: SocketId, flags: u32, want: u16) -> Result<Wait, Errno> {
    let (rcv, _) = crate::net::peek(|n| n.timeouts(id))?;
    Ok(Wait {
        id,
        want,
        timeout_us: rcv,
        nonblocking: f.is_nonblocking() || flags & MSG_DONTWAIT != 0,
    })
}

fn snd_wait(f: &OpenFile, id: SocketId, flags: u32) -> Result<Wait, Errno> {
    let (_, snd) = crate::net::peek(|n| n.timeouts(id))?;
    Ok(Wait {
        id,
        want: POLLOUT,
        timeout_us: snd,
        nonblocking: f.is_nonblocking() || flags & MSG_DONTWAIT != 0,
    })
}

/// SIGPIPE for a send on a shut-down connection, unless `MSG_NOSIGNAL`.
fn epipe<T>(r: Result<T, Errno>, flags: u32) -> Result<T, Errno> {
    if r.as_ref().err() == Some(&Errno::EPIPE) && flags & MSG_NOSIGNAL == 0 {
        super::signal::raise_sigpipe();
    }
    r
}

/// `socket`: `AF_UNIX` (`super::unix`), `AF_INET` and `AF_INET6` (the stack, which
/// answers for other families).
pub fn socket(domain: i32, ty: u32, protocol: i32) -> KResult {
    if domain == AF_UNIX as i32 {
        return unix::socket(domain, ty, protocol);
    }
    let s = crate::net::with(|n| n.socket(domain, ty, protocol))?;
    install(s, ty).map(|fd| fd as u64)
}

/// `socketpair(AF_UNIX, …)`: a connected pair of unnamed sockets
/// (`super::unix`); other families fail as on Linux.
pub fn socketpair(domain: i32, ty: u32, protocol: i32, sv: u64) -> KResult {
    unix::socketpair(domain, ty, protocol, sv)
}

pub fn bind(fd: i32, addr: u64, len: u64) -> KResult {
    if let Some(f) = unix_fd(fd)? {
        return unix::bind(&f, &addr_in(addr, len)?);
    }
    let (_f, id) = sock(fd)?;
    let a = addr_in(addr, len)?;
    crate::net::with(|n| n.bind(id, &a)).map(|_| 0)
}

pub fn listen(fd: i32, backlog: i32) -> KResult {
    if let Some(f) = unix_fd(fd)? {
        return unix::listen(&f, backlog);
    }
    let (_f, id) = sock(fd)?;
    crate::net::with(|n| n.listen(id, backlog)).map(|_| 0)
}

pub fn connect(fd: i32, addr: u64, len: u64) -> KResult {
    if let Some(f) = unix_fd(fd)? {
        return unix::connect(&f, &addr_in(addr, len)?);
    }
    let (f, id) = sock(fd)?;
    let a = addr_in(addr, len)?;
    match crate::net::with(|n| n.connect(id, &a)) {
        Err(e) if e == veridian_net::Errno::EINPROGRESS && !f.is_nonblocking() => {}
        r => return r.map(|_| 0),
    }
    // Linux: a connect timed out by SO_SNDTIMEO reports EINPROGRESS.
    let w = snd_wait(&f, id, 0)?;
    let r = blocking(&w, |n| match n.connect_result(id) {
        Err(e) if e == veridian_net::Errno::EALREADY => Err(veridian_net::Errno::EAGAIN),
        r => r,
    });
    match r {
        Err(Errno::EAGAIN) => Err(Errno::EINPROGRESS),
        r => r.map(|_| 0),
    }
}

pub fn accept4(fd: i32, addr: u64, lenp: u64, flags: u32) -> KResult {
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    if let Some(f) = unix_fd(fd)? {
        let room = if addr != 0 { addrlen_in(lenp)? } else { 0 };
        return unix::accept4(&f, addr, lenp, room, flags);
    }
    let (f, id) = sock(fd)?;
    let room = if addr != 0 { addrlen_in(lenp)? } else { 0 };
    let w = rcv_wait(&f, id, 0, POLLIN)?;
    let (s, peer) = blocking(&w, |n| n.accept(id, flags))?;
    let newfd = install(s, flags)?;
    if addr != 0 {
        if let Err(e) = addr_out(addr, lenp, room, peer) {
            let _ = current().files().close(newfd);
            return Err(e);
        }
    }
    Ok(newfd as u64)
}

/// Sends `data` (all of it when blocking, as Linux for stream sockets).
fn send_all(
    f: &OpenFile,
    id: SocketId,
    data: &[u8],
    flags: u32,
    dest: Option<&[u8]>,
) -> Result<usize, Errno> {
    let w = snd_wait(f, id, flags)?;
    let mut done = 0;
    loop {
        match blocking(&w, |n| n.sendto(id, &data[done..], flags, dest)) {
            Ok(k) => {
                done += k;
                if done >= data.len() || k == 0 || w.nonblocking {
                    return Ok(done);
                }
            }
            Err(_) if done > 0 => return Ok(done),
            Err(e) => return Err(e),
        }
    }
}

/// Sends on either kind of socket.
fn send_any(s: &Sock, data: &[u8], flags: u32, dest: Option<&[u8]>) -> Result<usize, Errno> {
    match s {
        Sock::Inet(f, id) => epipe(send_all(f, *id, data, flags, dest), flags),
        Sock::Unix(f) => unix::send(f, data, flags, dest),
    }
}

/// What a receive got and the sender's address (encoded), if known.
type Received = (veridian_net::RecvInfo, Option<Vec<u8>>);

/// Receives on either kind of socket.
fn recv_any(s: &Sock, kbuf: &mut [u8], flags: u32) -> Result<Received, Errno> {
    match s {
        Sock::Inet(f, id) => recv_into(f, *id, kbuf, flags).map(|i| {
            let from = i.from.map(|a| {
                let mut b = [0u8; SOCKADDR_STORAGE_SIZE];
                let n = sockaddr::encode_into(a, &mut b);
                b[..n].to_vec()
            });
            (i, from)
        }),
        Sock::Unix(f) => unix::recv(f, kbuf, flags),
    }
}

pub fn sendto(fd: i32, buf: u64, len: u64, flags: u32, addr: u64, alen: u64) -> KResult {
    let s = any_sock(fd)?;
    let data = user::read_bytes(buf, (len as usize).min(MAX_IO))?;
    let dest = if addr != 0 {
        Some(addr_in(addr, alen)?)
    } else {
        None
    };
    send_any(&s, &data, flags, dest.as_deref()).map(|n| n as u64)
}

/// Receives into `kbuf`, honouring `MSG_WAITALL` on stream sockets.
fn recv_into(
    f: &OpenFile,
    id: SocketId,
    kbuf: &mut [u8],
    flags: u32,
) -> Result<veridian_net::RecvInfo, Errno> {
    let w = rcv_wait(f, id, flags, POLLIN)?;
    let mut info = blocking(&w, |n| n.recvfrom(id, kbuf, flags))?;
    let stream = crate::net::peek(|n| n.sock_type(id))? == veridian_net::SockType::Stream;
    if stream && flags & MSG_WAITALL != 0 && flags & MSG_PEEK == 0 {
        wait_all(&mut info, kbuf, |rest| {
            blocking(&w, |n| n.recvfrom(id, rest, flags))
        });
    }
    Ok(info)
}

/// `MSG_WAITALL` on a stream: receives more into the rest of `kbuf` until
/// it is full, the peer has no more (0 bytes), or an error (then what came
/// so far is the result, as on Linux).
pub(super) fn wait_all(
    info: &mut veridian_net::RecvInfo,
    kbuf: &mut [u8],
    mut more: impl FnMut(&mut [u8]) -> Result<veridian_net::RecvInfo, Errno>,
) {
    while info.len > 0 && info.len < kbuf.len() {
        match more(&mut kbuf[info.len..]) {
            Ok(m) if m.len > 0 => {
                info.len += m.len;
                info.full_len = info.len;
            }
            _ => break,
        }
    }
}

pub fn recvfrom(fd: i32, buf: u64, len: u64, flags: u32, addr: u64, lenp: u64) -> KResult {
    let s = any_sock(fd)?;
    let room = if addr != 0 { addrlen_in(lenp)? } else { 0 };
    let mut kbuf = vec![0u8; (len as usize).min(MAX_IO)];
    let (info, from) = recv_any(&s, &mut kbuf, flags)?;
    user::write_bytes(buf, &kbuf[..info.len])?;
    if addr != 0 {
        match from {
            Some(a) => unix::addr_out(addr, lenp, room, &a)?,
            None => user::write_u32(lenp, 0)?,
        }
    }
    Ok(info.ret(flags) as u64)
}

/// The (base, len) pairs of a user iovec array of `cnt` entries.
fn iovecs(iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, Errno> {
    let raw = user::read_bytes(iov, cnt as usize * IOVEC_SIZE)?;
    raw.chunks_exact(IOVEC_SIZE).map(msghdr::iovec).collect()
}

/// Gathers the iovecs' bytes (at most [`MAX_IO`]).
fn gather(v: &[(u64, u64)]) -> Result<Vec<u8>, Errno> {
    let mut data = Vec::new();
    for &(base, len) in v {
        let take = (len as usize).min(MAX_IO - data.len());
        data.extend_from_slice(&user::read_bytes(base, take)?);
        if data.len() >= MAX_IO {
            break;
        }
    }
    Ok(data)
}

/// Receives into a buffer as large as the iovecs (at most [`MAX_IO`])
/// and scatters what came.
fn recv_scatter(s: &Sock, v: &[(u64, u64)], flags: u32) -> Result<Received, Errno> {
    let total = v
        .iter()
        .fold(0u64, |a, &(_, l)| a.saturating_add(l))
        .min(MAX_IO as u64);
    let mut kbuf = vec![0u8; total as usize];
    let (info, from) = recv_any(s, &mut kbuf, flags)?;
    let mut off = 0;
    for &(base, len) in v {
        if off >= info.len {
            break;
        }
        let k = (len as usize).min(info.len - off);
        user::write_bytes(base, &kbuf[off..off + k])?;
        off += k;
    }
    Ok((info, from))
}

/// read/write/readv/writev on a socket fd (inet, or an `AF_UNIX` pair
/// end): recv/send without flags, so `SO_RCVTIMEO`, `SO_SNDTIMEO` and
/// `SIGPIPE` apply. `None` for other calls and other files.
pub fn stream_io(n: usize, a: [u64; 6]) -> Option<KResult> {
    use veridian_syscall::nr;
    if !matches!(n, nr::READ | nr::WRITE | nr::READV | nr::WRITEV) {
        return None;
    }
    let s = match any_sock(a[0] as i32) {
        Ok(s) => s,
        Err(_) => return None,
    };
    let (buf, len) = (a[1], a[2]);
    Some(match n {
        // Linux's sock_read_iter: an empty read of a pair end is 0 at once.
        nr::READ if len == 0 && matches!(s, Sock::Unix(_)) => Ok(0),
        nr::READ => recvfrom(a[0] as i32, buf, len, 0, 0, 0),
        nr::WRITE => sendto(a[0] as i32, buf, len, 0, 0, 0),
        _ if len > UIO_MAXIOV as u64 => Err(Errno::EINVAL),
        nr::READV => {
            iovecs(buf, len).and_then(|v| recv_scatter(&s, &v, 0).map(|(i, _)| i.len as u64))
        }
        _ => iovecs(buf, len)
            .and_then(|v| gather(&v))
            .and_then(|d| send_any(&s, &d, 0, None).map(|k| k as u64)),
    })
}

fn msghdr_in(p: u64) -> Result<MsgHdr, Errno> {
    MsgHdr::decode(&user::read_bytes(p, MSGHDR_SIZE)?)
}

pub fn sendmsg(fd: i32, msg: u64, flags: u32) -> KResult {
    let s = any_sock(fd)?;
    let h = msghdr_in(msg)?;
    if let Sock::Unix(_) = s {
        unix::check_control(h.controllen)?;
    }
    let data = gather(&iovecs(h.iov, h.iovlen)?)?;
    let dest = if h.name != 0 && h.namelen > 0 {
        Some(addr_in(h.name, h.namelen as u64)?)
    } else {
        None
    };
    send_any(&s, &data, flags, dest.as_deref()).map(|n| n as u64)
}

pub fn recvmsg(fd: i32, msg: u64, flags: u32) -> KResult {
    let s = any_sock(fd)?;
    let h = msghdr_in(msg)?;
    let (info, from) = recv_scatter(&s, &iovecs(h.iov, h.iovlen)?, flags)?;
    let mut namelen = 0u32;
    if let (Some(a), true) = (from, h.name != 0) {
        let cap = (h.namelen as usize).min(a.len());
        user::write_bytes(h.name, &a[..cap])?;
        namelen = a.len() as u32;
    }
    user::write_u32(msg + msghdr::MSG_NAMELEN_OFFSET as u64, namelen)?;
    user::write_u64(msg + msghdr::MSG_CONTROLLEN_OFFSET as u64, 0)?;
    user::write_u32(msg + msghdr::MSG_FLAGS_OFFSET as u64, info.msg_flags())?;
    Ok(info.ret(flags) as u64)
}

/// The loop of sendmmsg and recvmmsg: `op` on each of at most
/// `UIO_MAXIOV` `struct mmsghdr` entries of `vec`, the length it returns
/// stored in the entry's `msg_len`; the count done, or the first entry's
/// error (a later error ends the loop, as does `op` saying to stop).
fn each_mmsg(
    vec: u64,
    vlen: u32,
    mut op: impl FnMut(u64) -> Result<(u64, bool), Errno>,
) -> KResult {
    let mut done = 0;
    for i in 0..(vlen as usize).min(UIO_MAXIOV) {
        let entry = vec.wrapping_add((i * MMSGHDR_SIZE) as u64);
        let go_on = match op(entry) {
            Ok((len, go_on)) => {
                user::write_u32(entry + MSG_LEN_OFFSET as u64, len as u32)?;
                go_on
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += 1;
        if !go_on {
            break;
        }
    }
    Ok(done)
}

/// sendmmsg(fd, msgvec, vlen, flags): sendmsg for each entry
/// ([`each_mmsg`]).
pub fn sendmmsg(fd: i32, vec: u64, vlen: u32, flags: u32) -> KResult {
    each_mmsg(vec, vlen, |entry| Ok((sendmsg(fd, entry, flags)?, true)))
}

/// recvmmsg(fd, msgvec, vlen, flags, timeout): recvmsg into each entry
/// ([`each_mmsg`]). `MSG_WAITFORONE` stops waiting after the first
/// message. As on Linux, `timeout` is looked at after each message (it
/// does not cut a wait short), and what is left of it is written back.
pub fn recvmmsg(fd: i32, vec: u64, vlen: u32, flags: u32, timeout: u64) -> KResult {
    let deadline = match timeout {
        0 => None,
        p => Some(crate::time::monotonic_ns().saturating_add(super::time::read_timespec(p)?)),
    };
    let mut step = flags & !MSG_WAITFORONE;
    let got = each_mmsg(vec, vlen, |entry| {
        let len = recvmsg(fd, entry, step)?;
        if flags & MSG_WAITFORONE != 0 {
            step |= MSG_DONTWAIT;
        }
        let in_time = deadline.is_none_or(|d| crate::time::monotonic_ns() < d);
        Ok((len, in_time))
    })?;
    if let Some(d) = deadline {
        let left = d.saturating_sub(crate::time::monotonic_ns());
        user::write_bytes(timeout, &super::time::timespec_bytes(left))?;
    }
    Ok(got)
}

pub fn shutdown(fd: i32, how: u32) -> KResult {
    if let Some(f) = unix_fd(fd)? {
        return unix::shutdown(&f, how);
    }
    let (_f, id) = sock(fd)?;
    crate::net::with(|n| n.shutdown(id, how)).map(|_| 0)
}

/// getsockname (`peer` false) and getpeername (`peer` true).
pub fn sockname(fd: i32, addr: u64, lenp: u64, peer: bool) -> KResult {
    if let Some(f) = unix_fd(fd)? {
        let room = addrlen_in(lenp)?;
        return unix::sockname(&f, addr, lenp, room, peer);
    }
    let (_f, id) = sock(fd)?;
    let room = addrlen_in(lenp)?;
    let a = crate::net::with(|n| {
        if peer {
            n.peer_addr(id)
        } else {
            n.local_addr(id)
        }
    })?;
    addr_out(addr, lenp, room, a).map(|_| 0)
}

pub fn setsockopt(fd: i32, level: i32, name: i32, val: u64, len: u64) -> KResult {
    let s = any_sock(fd)?;
    let len = len as u32 as i32;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let v = user::read_bytes(val, (len as usize).min(MAX_OPTLEN))?;
    let id = match s {
        Sock::Unix(f) => return unix::setsockopt(&f, level, name, &v),
        Sock::Inet(_, id) => id,
    };
    crate::net::with(|n| n.setsockopt(id, level, name, &v)).map(|_| 0)
}

pub fn getsockopt(fd: i32, level: i32, name: i32, val: u64, lenp: u64) -> KResult {
    let s = any_sock(fd)?;
    let room = addrlen_in(lenp)?;
    let v = match s {
        Sock::Unix(f) => unix::getsockopt(&f, level, name)?,
        Sock::Inet(_, id) => crate::net::with(|n| n.getsockopt(id, level, name))?,
    };
    let b = v.as_bytes();
    let k = b.len().min(room);
    user::write_bytes(val, &b[..k])?;
    user::write_u32(lenp, k as u32).map(|_| 0)
}
