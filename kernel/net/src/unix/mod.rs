//! `AF_UNIX` sockets with Linux semantics, without the waiting: calls
//! that would block return `EAGAIN`, and every change an end's waiters
//! care about moves that end's sequence number ([`UnixEnd::poll_seq`]),
//! which the kernel uses to wake them.
//!
//! A connection is a pair of ends ([`pair`], also made by `connect` to a
//! named listener, see [`UnixSocket`]). Both ends share one lock. Each end
//! has a receive queue charged to the sending end's `SO_SNDBUF` (208 KiB
//! by default, as Linux), with Linux's per-write overhead; a stream queues
//! bytes, datagram and seqpacket queues keep message boundaries.
//!
//! Named sockets (`socket(AF_UNIX)`, `bind`, `listen`, `accept`,
//! `connect`) are in the `named` module: [`UnixSocket`], names in a
//! [`Names`] table. No ancillary data (`SCM_RIGHTS`, `SCM_CREDENTIALS`)
//! is carried: the kernel refuses control messages on send and returns
//! none. `MSG_OOB` is refused (`EOPNOTSUPP` on send; `EINVAL` on a stream
//! receive, as Linux with no urgent byte pending).

mod named;
mod opts;
mod queue;

pub use named::{
    parse_addr, path_name, Addr, Key, Names, Target, UnixSocket, ADDR_MAX, SOCKADDR_UN_SIZE,
};

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

use crate::abi::*;
use crate::errno::{Errno, Result};
use crate::options::{OptValue, SockOpts};
use crate::udp::RecvInfo;
use queue::RxQueue;

/// `sk_shutdown` bits.
const RCV: u8 = 1;
const SEND: u8 = 2;

/// `SO_SNDBUF`/`SO_RCVBUF` as stored (Linux reports and uses twice the
/// value set): `net.core.wmem_default` is 212992.
const DEFAULT_BUF: usize = 212992 / 2;

/// The kind of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnixType {
    /// `SOCK_STREAM`: bytes, `SIGPIPE` on a broken connection.
    Stream,
    /// `SOCK_DGRAM` (and `SOCK_RAW`, which Linux turns into it).
    Dgram,
    /// `SOCK_SEQPACKET`: messages on a connection (EOF, `EPIPE`).
    SeqPacket,
}

impl UnixType {
    /// The `SO_TYPE` value.
    pub fn raw(self) -> i32 {
        match self {
            UnixType::Stream => SOCK_STREAM as i32,
            UnixType::Dgram => SOCK_DGRAM as i32,
            UnixType::SeqPacket => SOCK_SEQPACKET as i32,
        }
    }
}

/// The creator's credentials (`SO_PEERCRED` of both ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

/// Checks `socketpair(domain, type, protocol)` in Linux's order: `EINVAL`
/// for unknown flags, `EAFNOSUPPORT` for a family past `AF_MAX`, `EINVAL`
/// for a type past `SOCK_PACKET`, `EOPNOTSUPP` for `AF_INET`/`AF_INET6`
/// (no pairs there; their own type and protocol checks are not
/// modelled), `EAFNOSUPPORT` for other families, `EPROTONOSUPPORT` for a
/// protocol other than 0 or `PF_UNIX`, `ESOCKTNOSUPPORT` for other types
/// (`SOCK_RAW` is `SOCK_DGRAM`, as Linux).
pub fn pair_type(domain: i32, ty: u32, protocol: i32) -> Result<UnixType> {
    if ty & !(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    // `NPROTO`, then `SOCK_MAX`.
    if !(0..46).contains(&domain) {
        return Err(Errno::EAFNOSUPPORT);
    }
    if ty & SOCK_TYPE_MASK > 10 {
        return Err(Errno::EINVAL);
    }
    match domain {
        d if d == AF_UNIX as i32 => {}
        d if d == AF_INET as i32 || d == AF_INET6 as i32 => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EAFNOSUPPORT),
    }
    if protocol != 0 && protocol != AF_UNIX as i32 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    match ty & SOCK_TYPE_MASK {
        SOCK_STREAM => Ok(UnixType::Stream),
        SOCK_DGRAM | SOCK_RAW => Ok(UnixType::Dgram),
        SOCK_SEQPACKET => Ok(UnixType::SeqPacket),
        _ => Err(Errno::ESOCKTNOSUPPORT),
    }
}

/// A connected pair of ends, created by `cred`'s process.
pub fn pair(ty: UnixType, cred: Ucred) -> (UnixEnd, UnixEnd) {
    pair_named(ty, [cred, cred], [UNNAMED.to_vec(), UNNAMED.to_vec()])
}

/// A pair whose end `i` has credentials `creds[i]` (its peer's
/// `SO_PEERCRED`) and address `names[i]`.
fn pair_named(ty: UnixType, creds: [Ucred; 2], names: [Vec<u8>; 2]) -> (UnixEnd, UnixEnd) {
    let shared = Arc::new(Mutex::new(Pair {
        ty,
        creds,
        names,
        ends: [End::new(), End::new()],
    }));
    (
        UnixEnd {
            pair: shared.clone(),
            side: 0,
        },
        UnixEnd {
            pair: shared,
            side: 1,
        },
    )
}

struct Pair {
    ty: UnixType,
    /// Each end's credentials; an end's `SO_PEERCRED` is the other's.
    creds: [Ucred; 2],
    /// Each end's address (`getsockname`; the other end's `getpeername`).
    names: [Vec<u8>; 2],
    ends: [End; 2],
}

impl Pair {
    /// (this end, its peer).
    fn split(&mut self, side: usize) -> (UnixType, &mut End, &mut End) {
        let [a, b] = &mut self.ends;
        if side == 0 {
            (self.ty, a, b)
        } else {
            (self.ty, b, a)
        }
    }
}

/// One end's state.
struct End {
    /// What the peer sent, charged to the peer's send buffer.
    rx: RxQueue,
    shut: u8,
    /// `sk_err`: `ECONNRESET` when the peer closed with data unread.
    err: Option<Errno>,
    closed: bool,
    /// Has a peer to send to (a datagram end loses it on `ECONNREFUSED`
    /// or `connect(AF_UNSPEC)`).
    connected: bool,
    opts: SockOpts,
    /// Moves whenever this end's waiters should look again.
    seq: u64,
}

impl End {
    fn new() -> Self {
        End {
            rx: RxQueue::default(),
            shut: 0,
            err: None,
            closed: false,
            connected: true,
            opts: SockOpts::new(DEFAULT_BUF),
            seq: 0,
        }
    }

    /// The send buffer in bytes of charge.
    fn sndbuf(&self) -> usize {
        self.opts.sndbuf * 2
    }

    /// Linux's `unix_writable`: at most a quarter of the buffer in use.
    fn writable(&self, peer: &End) -> bool {
        peer.rx.used * 4 <= self.sndbuf()
    }

    fn events(&self, peer: &End) -> u16 {
        let mut ev = 0;
        if self.err.is_some() {
            ev |= POLLERR;
        }
        if self.shut == RCV | SEND {
            ev |= POLLHUP;
        }
        if self.shut & RCV != 0 {
            ev |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        if !self.rx.is_empty() {
            ev |= POLLIN | POLLRDNORM;
        }
        if self.writable(peer) {
            ev |= POLLOUT | POLLWRNORM | POLLWRBAND;
        }
        ev
    }
}

/// The sender's waiters look again when reading freed room it can use.
fn freed_room(reader: &End, sender: &mut End, freed: usize) {
    if freed > 0 && sender.writable(reader) {
        sender.seq += 1;
    }
}

/// One end of a pair. Dropping it closes it ([`UnixEnd::close`]).
pub struct UnixEnd {
    pair: Arc<Mutex<Pair>>,
    side: usize,
}

impl UnixEnd {
    /// The pair's type.
    pub fn ty(&self) -> UnixType {
        self.pair.lock().ty
    }

    /// A number identifying the pair (for wait queues).
    pub fn pair_id(&self) -> usize {
        Arc::as_ptr(&self.pair) as *const u8 as usize
    }

    /// A number that moves whenever either end's sequence does (the
    /// kernel wakes the pair's waiters when it moved).
    pub fn changes(&self) -> u64 {
        let p = self.pair.lock();
        p.ends[0].seq.wrapping_add(p.ends[1].seq)
    }

    /// `send`/`write`: `flags` as `send(2)`'s (`MSG_DONTWAIT` and
    /// `MSG_NOSIGNAL` are the caller's business), `to` the address of
    /// `sendto`/`sendmsg` if any. A stream takes what fits (`EAGAIN` if
    /// nothing does); a message goes whole or not at all (`EMSGSIZE` past
    /// the send buffer). `EPIPE` on a shut-down or closed connection (the
    /// caller raises `SIGPIPE` for streams only, as Linux), `EISCONN` for
    /// an address on a stream, `ECONNREFUSED`/`ENOTCONN` for a datagram
    /// end whose peer closed.
    pub fn send(&self, data: &[u8], flags: u32, to: Option<&[u8]>) -> Result<usize> {
        let oob = flags & MSG_OOB != 0;
        let mut p = self.pair.lock();
        let (ty, me, peer) = p.split(self.side);
        if ty == UnixType::Stream {
            send_stream(me, peer, data, to, oob)
        } else if oob {
            Err(Errno::EOPNOTSUPP)
        } else {
            send_message(ty, me, peer, data, to)
        }
    }

    /// `recv`/`read`: `MSG_PEEK`; `MSG_TRUNC` is the caller's (see
    /// [`RecvInfo::ret`]); `MSG_DONTWAIT` only decides Linux's datagram
    /// case of an empty queue after `SHUT_RD` (`EAGAIN` non-blocking, 0
    /// blocking). Streams read across writes; messages one at a time,
    /// truncated to `buf`. 0 at end of file; a pending error (`ECONNRESET`)
    /// comes after the queued bytes on a stream and before the messages on
    /// a seqpacket end, as Linux.
    pub fn recv(&self, buf: &mut [u8], flags: u32) -> Result<RecvInfo> {
        let mut p = self.pair.lock();
        let (ty, me, peer) = p.split(self.side);
        let peek = flags & MSG_PEEK != 0;
        let got = |n: usize, full: usize| {
            Ok(RecvInfo {
                len: n,
                full_len: full,
                from: None,
            })
        };
        if ty == UnixType::Stream {
            if flags & MSG_OOB != 0 {
                return Err(Errno::EINVAL);
            }
            if !me.rx.is_empty() {
                let (n, freed) = me.rx.read_stream(buf, peek);
                freed_room(me, peer, freed);
                return got(n, n);
            }
            if let Some(e) = me.err.take() {
                return Err(e);
            }
            return if me.shut & RCV != 0 {
                got(0, 0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        if flags & MSG_OOB != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        if let Some(e) = me.err.take() {
            return Err(e);
        }
        match me.rx.read_message(buf, peek) {
            Some((n, full, freed)) => {
                freed_room(me, peer, freed);
                got(n, full)
            }
            None if me.shut & RCV != 0
                && (ty == UnixType::SeqPacket || flags & MSG_DONTWAIT == 0) =>
            {
                got(0, 0)
            }
            None => Err(Errno::EAGAIN),
        }
    }

    /// `shutdown(how)`; a stream or seqpacket peer sees the mirror image
    /// (its sends fail after our `SHUT_RD`, it reads EOF after `SHUT_WR`).
    pub fn shutdown(&self, how: u32) -> Result<()> {
        if how > SHUT_RDWR {
            return Err(Errno::EINVAL);
        }
        let mode = how as u8 + 1;
        let mut p = self.pair.lock();
        let (ty, me, peer) = p.split(self.side);
        me.shut |= mode;
        me.seq += 1;
        if ty != UnixType::Dgram && !peer.closed {
            let mirrored =
                (if mode & RCV != 0 { SEND } else { 0 }) | (if mode & SEND != 0 { RCV } else { 0 });
            peer.shut |= mirrored;
            peer.seq += 1;
        }
        Ok(())
    }

    /// The last fd closed: unread data is dropped; a stream or seqpacket
    /// peer is shut down both ways (and gets `ECONNRESET` if we left data
    /// unread); a datagram peer finds out on its next send. Idempotent.
    pub fn close(&self) {
        self.close_as(false);
    }

    /// Closes an end; `embryo`: a connection never accepted (its listener
    /// closed), whose peer gets `ECONNRESET` whatever was read, as Linux.
    fn close_as(&self, embryo: bool) {
        let mut p = self.pair.lock();
        let (ty, me, peer) = p.split(self.side);
        if me.closed {
            return;
        }
        me.closed = true;
        me.shut = RCV | SEND;
        // Linux resets the peer for unread bytes (empty messages do not count).
        let unread = me.rx.bytes > 0;
        me.rx.purge();
        if ty != UnixType::Dgram && !peer.closed {
            peer.shut = RCV | SEND;
            if unread || embryo {
                peer.err = Some(Errno::ECONNRESET);
            }
        }
        peer.seq += 1;
    }

    /// `connect(addr)` on a pair end: `EINVAL` for a malformed address;
    /// a datagram end given `AF_UNSPEC` disconnects (its queue is dropped
    /// and a still-connected peer gets `ECONNRESET`, as Linux); any name
    /// finds no socket (`ENOENT` for a path, `ECONNREFUSED` for an
    /// abstract name).
    pub fn connect(&self, addr: &[u8]) -> Result<()> {
        let family = addr
            .get(..2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            .ok_or(Errno::EINVAL)?;
        let mut p = self.pair.lock();
        let (ty, me, peer) = p.split(self.side);
        if family == AF_UNSPEC && ty == UnixType::Dgram {
            if me.connected {
                me.connected = false;
                me.seq += 1;
                if me.rx.purge() {
                    peer.seq += 1;
                    if !peer.closed && peer.connected {
                        peer.err = Some(Errno::ECONNRESET);
                    }
                }
            }
            return Ok(());
        }
        check_name(addr)?;
        Err(no_such_name(addr))
    }

    /// `listen`/`accept` on a pair end: `EINVAL` for stream and seqpacket
    /// ends (they are connected, not bound), `EOPNOTSUPP` for datagrams.
    pub fn listen_or_accept(&self) -> Result<()> {
        match self.ty() {
            UnixType::Dgram => Err(Errno::EOPNOTSUPP),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `getpeername` succeeds (an unnamed peer) unless a datagram end lost
    /// its peer (`ENOTCONN`).
    pub fn peer_check(&self) -> Result<()> {
        let mut p = self.pair.lock();
        let (_, me, _) = p.split(self.side);
        if me.connected {
            Ok(())
        } else {
            Err(Errno::ENOTCONN)
        }
    }

    /// Readiness as `poll` bits, as Linux's `unix_poll`/`unix_dgram_poll`.
    pub fn poll(&self) -> u16 {
        self.poll_seq().0
    }

    /// Readiness and this end's sequence number (for edge-triggered epoll
    /// and the kernel's wake-ups).
    pub fn poll_seq(&self) -> (u16, u64) {
        let mut p = self.pair.lock();
        let (_, me, peer) = p.split(self.side);
        (me.events(peer), me.seq)
    }

    /// `ioctl`: `FIONREAD` (unread bytes of a stream or seqpacket end, the
    /// next datagram's length) and `TIOCOUTQ` (send-buffer charge in use);
    /// `ENOTTY` for others.
    pub fn ioctl(&self, cmd: u32) -> Result<i32> {
        let mut p = self.pair.lock();
        let (ty, me, peer) = p.split(self.side);
        let n = match cmd {
            FIONREAD if ty != UnixType::Dgram => me.rx.bytes,
            FIONREAD => me.rx.first_len(),
            TIOCOUTQ => peer.rx.used,
            _ => return Err(Errno::ENOTTY),
        };
        Ok(n.min(i32::MAX as usize) as i32)
    }

    /// `setsockopt`: `SOL_SOCKET` options (see the `opts` module).
    pub fn setsockopt(&self, level: i32, name: i32, val: &[u8]) -> Result<()> {
        let mut p = self.pair.lock();
        let (_, me, peer) = p.split(self.side);
        let was = me.writable(peer);
        opts::set(&mut me.opts, level, name, val)?;
        if !was && me.writable(peer) {
            me.seq += 1;
        }
        Ok(())
    }

    /// This end's address (`getsockname`).
    pub fn name(&self) -> Vec<u8> {
        self.pair.lock().names[self.side].clone()
    }

    /// The peer's address (`getpeername`, the address `accept` reports).
    pub fn peer_name(&self) -> Vec<u8> {
        self.pair.lock().names[1 - self.side].clone()
    }

    /// Sets this end's address (`bind` of a connected socket).
    fn set_name(&self, name: Vec<u8>) {
        self.pair.lock().names[self.side] = name;
    }

    /// Replaces this end's options (those set before `connect`).
    fn set_opts(&self, opts: SockOpts) {
        self.pair.lock().ends[self.side].opts = opts;
    }

    /// `getsockopt` (`SO_ERROR` takes the pending error).
    pub fn getsockopt(&self, level: i32, name: i32) -> Result<OptValue> {
        let mut p = self.pair.lock();
        let cred = p.creds[1 - self.side];
        let (ty, me, _) = p.split(self.side);
        opts::get(&me.opts, ty, cred, &mut me.err, level, name)
    }

    /// (`SO_RCVTIMEO`, `SO_SNDTIMEO`) in microseconds, `None`: forever.
    pub fn timeouts(&self) -> (Option<u64>, Option<u64>) {
        let mut p = self.pair.lock();
        let (_, me, _) = p.split(self.side);
        (me.opts.rcvtimeo_us, me.opts.sndtimeo_us)
    }
}

impl Drop for UnixEnd {
    fn drop(&mut self) {
        self.close();
    }
}

/// The address of an unnamed socket (`getsockname`, `getpeername`):
/// `sun_family` alone.
pub const UNNAMED: [u8; 2] = AF_UNIX.to_ne_bytes();

/// Linux's `unix_validate_addr`: more than the family, at most
/// `sizeof(struct sockaddr_un)`, family `AF_UNIX`.
fn check_name(addr: &[u8]) -> Result<()> {
    if addr.len() <= 2 || addr.len() > 110 || addr[..2] != UNNAMED {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Looking up a name finds no socket: `ENOENT` for a path (Linux gives
/// `ECONNREFUSED` when a non-socket file is there), `ECONNREFUSED` for an
/// abstract name.
fn no_such_name(addr: &[u8]) -> Errno {
    if addr[2] == 0 {
        Errno::ECONNREFUSED
    } else {
        Errno::ENOENT
    }
}

fn send_stream(
    me: &mut End,
    peer: &mut End,
    data: &[u8],
    to: Option<&[u8]>,
    oob: bool,
) -> Result<usize> {
    if to.is_some() {
        return Err(Errno::EISCONN);
    }
    if me.shut & SEND != 0 || peer.closed || peer.shut & RCV != 0 {
        return Err(Errno::EPIPE);
    }
    if oob {
        return Err(Errno::EOPNOTSUPP);
    }
    if data.is_empty() {
        return Ok(0);
    }
    let cap = me.sndbuf();
    if peer.rx.used >= cap {
        return Err(Errno::EAGAIN);
    }
    // Linux cuts a stream write into skbs of at most half the buffer.
    let unit = (cap / 2 - 64).max(1);
    let mut sent = 0;
    while sent < data.len() && peer.rx.used < cap {
        let k = (data.len() - sent).min(unit);
        peer.rx.push(data[sent..sent + k].into());
        sent += k;
    }
    peer.seq += 1;
    Ok(sent)
}

/// Datagram and seqpacket sends, checks in Linux's order.
fn send_message(
    ty: UnixType,
    me: &mut End,
    peer: &mut End,
    data: &[u8],
    to: Option<&[u8]>,
) -> Result<usize> {
    // A seqpacket end ignores the address.
    let to = if ty == UnixType::Dgram { to } else { None };
    if let Some(a) = to {
        check_name(a)?;
    }
    let cap = me.sndbuf();
    if data.len() > cap - 32 {
        return Err(Errno::EMSGSIZE);
    }
    if let Some(e) = me.err.take() {
        return Err(e);
    }
    if me.shut & SEND != 0 {
        return Err(Errno::EPIPE);
    }
    if let Some(a) = to {
        return Err(no_such_name(a));
    }
    if !me.connected {
        return Err(Errno::ENOTCONN);
    }
    if peer.rx.used >= cap {
        return Err(Errno::EAGAIN);
    }
    if peer.closed {
        if ty == UnixType::SeqPacket {
            return Err(Errno::EPIPE);
        }
        // Linux forgets a dead datagram peer, dropping what it had sent.
        me.connected = false;
        me.rx.purge();
        me.seq += 1;
        return Err(Errno::ECONNREFUSED);
    }
    if peer.shut & RCV != 0 {
        return Err(Errno::EPIPE);
    }
    peer.rx.push(data.into());
    peer.seq += 1;
    Ok(data.len())
}

#[cfg(test)]
mod tests;
