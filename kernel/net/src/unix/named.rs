//! Sockets made by `socket(AF_UNIX)` (and the ends of `socketpair`, so
//! the kernel handles one kind): names (`bind`), `listen`, `accept`,
//! `connect`, and datagrams between named sockets, as Linux.
//!
//! A name is a [`Key`] in the kernel-wide [`Names`] table: an abstract
//! name (`sun_path[0] == 0`) by its bytes and the socket type (Linux
//! hashes the type in, so each type has its own abstract namespace), a
//! path by the file-system node the kernel created for it (the kernel
//! does the path work; `connect` resolves the path to that node).
//!
//! A stream or seqpacket `connect` makes a [`pair`](super::pair): the
//! client keeps one end, the other waits in the listener's backlog until
//! `accept`. A named datagram socket has its own receive queue, each
//! message with its sender's address.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use spin::Mutex;

use super::queue::RxQueue;
use super::{opts, pair_named, Ucred, UnixEnd, UnixType, DEFAULT_BUF, RCV, SEND, UNNAMED};
use crate::abi::*;
use crate::errno::{Errno, Result};
use crate::options::{OptValue, SockOpts};
use crate::udp::RecvInfo;

/// `sizeof(struct sockaddr_un)`: the family and a 108-byte `sun_path`.
pub const SOCKADDR_UN_SIZE: usize = 110;
/// The most address bytes `bind`/`connect`/`sendto` accept.
pub const ADDR_MAX: usize = SOCKADDR_UN_SIZE;
/// Linux's `net.core.somaxconn`: the largest listen backlog.
const SOMAXCONN: usize = 4096;
/// Linux's `net.unix.max_dgram_qlen`: a receiver holding more datagrams
/// than this is full (`EAGAIN`).
const MAX_DGRAM_QLEN: usize = 10;

/// A `sockaddr_un` as given to `bind`, `connect` or `sendto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addr<'a> {
    /// The family alone (`bind`: pick an abstract name).
    Auto,
    /// A file-system path: `sun_path` up to its first NUL (or its end).
    Path(&'a [u8]),
    /// An abstract name: all of `sun_path`, leading NUL included.
    Abstract(&'a [u8]),
}

/// Checks an address as Linux's `unix_validate_addr`: `EINVAL` unless the
/// family is `AF_UNIX` and the length is at most [`SOCKADDR_UN_SIZE`];
/// the family alone is [`Addr::Auto`] if `bind`, else `EINVAL`.
pub fn parse_addr(addr: &[u8], bind: bool) -> Result<Addr<'_>> {
    if addr.len() < 2 || addr[..2] != UNNAMED || addr.len() > SOCKADDR_UN_SIZE {
        return Err(Errno::EINVAL);
    }
    let sun = &addr[2..];
    match sun.first() {
        None if bind => Ok(Addr::Auto),
        None => Err(Errno::EINVAL),
        Some(0) => Ok(Addr::Abstract(sun)),
        Some(_) => {
            let end = sun.iter().position(|&b| b == 0).unwrap_or(sun.len());
            Ok(Addr::Path(&sun[..end]))
        }
    }
}

/// The address `getsockname` reports for a path: family, path, NUL
/// (length `offsetof(sun_path) + strlen + 1`, as Linux).
pub fn path_name(path: &[u8]) -> Vec<u8> {
    [&UNNAMED[..], path, &[0]].concat()
}

/// Where a bound name lives in [`Names`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// Socket type ([`UnixType::raw`]) and `sun_path` bytes.
    Abstract(i32, Vec<u8>),
    /// The socket node's (mount, inode).
    Node(usize, u64),
}

/// The kernel-wide table of bound names. Entries of closed sockets are
/// removed on close; a dead entry is never found.
pub struct Names {
    map: BTreeMap<Key, Weak<Mutex<Sock>>>,
    next_auto: u32,
}

impl Default for Names {
    fn default() -> Self {
        Self::new()
    }
}

impl Names {
    pub const fn new() -> Self {
        Names {
            map: BTreeMap::new(),
            next_auto: 0,
        }
    }

    /// The socket bound to `key`: `ECONNREFUSED` if none is (or it
    /// closed); `EPROTOTYPE` if a path's socket is not of type `ty`.
    pub fn lookup(&self, key: &Key, ty: UnixType) -> Result<Target> {
        let s = self
            .map
            .get(key)
            .and_then(Weak::upgrade)
            .ok_or(Errno::ECONNREFUSED)?;
        let (sty, closed) = {
            let g = s.lock();
            (g.ty, g.closed)
        };
        if closed {
            return Err(Errno::ECONNREFUSED);
        }
        if sty != ty {
            return Err(Errno::EPROTOTYPE);
        }
        Ok(Target(s))
    }

    fn taken(&self, key: &Key) -> bool {
        self.map
            .get(key)
            .and_then(Weak::upgrade)
            .is_some_and(|s| !s.lock().closed)
    }

    /// Number of live entries (for tests and leak checks).
    pub fn len(&self) -> usize {
        self.map.values().filter(|w| w.strong_count() > 0).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A socket found by name (for `connect`/`sendto`).
pub struct Target(Arc<Mutex<Sock>>);

enum State {
    /// Unconnected (every named datagram socket stays here).
    Idle,
    Listening {
        backlog: usize,
        /// Server ends of connections not yet accepted.
        queue: VecDeque<UnixEnd>,
    },
    Connected(UnixEnd),
}

/// A named datagram socket's receive queue and where it sends.
#[derive(Default)]
struct Dgram {
    rx: RxQueue,
    /// The sender's address of each queued message (`None`: unnamed).
    from: VecDeque<Option<Vec<u8>>>,
    /// The `connect`ed peer and its address.
    peer: Option<(Weak<Mutex<Sock>>, Vec<u8>)>,
}

struct Sock {
    ty: UnixType,
    /// `SO_PEERCRED` of a listener (set by `listen`), the credentials a
    /// connection's peer sees.
    cred: Ucred,
    /// The bound address (`getsockname`).
    name: Option<Vec<u8>>,
    key: Option<Key>,
    state: State,
    dgram: Dgram,
    /// Options while not connected (moved into the end by `connect`).
    opts: SockOpts,
    err: Option<Errno>,
    shut: u8,
    closed: bool,
    /// Moves whenever this socket's waiters should look again.
    seq: u64,
}

/// An `AF_UNIX` socket as the kernel holds it behind an fd. Dropping it
/// does not close it; call [`UnixSocket::close`].
pub struct UnixSocket {
    ty: UnixType,
    s: Arc<Mutex<Sock>>,
}

/// A socket's identity (its shared state's address).
fn ptr(s: &Arc<Mutex<Sock>>) -> usize {
    Arc::as_ptr(s) as *const u8 as usize
}

impl UnixSocket {
    fn with_state(ty: UnixType, state: State, name: Option<Vec<u8>>) -> Self {
        UnixSocket {
            ty,
            s: Arc::new(Mutex::new(Sock {
                ty,
                cred: Ucred {
                    pid: 0,
                    uid: u32::MAX,
                    gid: u32::MAX,
                },
                name,
                key: None,
                state,
                dgram: Dgram::default(),
                opts: SockOpts::new(DEFAULT_BUF),
                err: None,
                shut: 0,
                closed: false,
                seq: 0,
            })),
        }
    }

    /// `socket(AF_UNIX, ty, 0)`: unbound and unconnected.
    pub fn new(ty: UnixType) -> Self {
        Self::with_state(ty, State::Idle, None)
    }

    /// A connected end (of `socketpair`, or accepted).
    pub fn connected(end: UnixEnd) -> Self {
        let ty = end.ty();
        Self::with_state(ty, State::Connected(end), None)
    }

    pub fn ty(&self) -> UnixType {
        self.ty
    }

    /// A number identifying the socket (or its connection) for wait keys.
    pub fn wait_id(&self) -> usize {
        match &self.s.lock().state {
            State::Connected(e) => e.pair_id(),
            _ => ptr(&self.s),
        }
    }

    /// Moves whenever this socket or its connection changed.
    pub fn changes(&self) -> u64 {
        let g = self.s.lock();
        let c = match &g.state {
            State::Connected(e) => e.changes(),
            _ => 0,
        };
        g.seq.wrapping_add(c)
    }

    /// Whether this is a named datagram socket (its sends look names up).
    pub fn is_named_dgram(&self) -> bool {
        self.ty == UnixType::Dgram && !matches!(self.s.lock().state, State::Connected(_))
    }

    /// Whether a name is bound.
    pub fn is_bound(&self) -> bool {
        self.s.lock().name.is_some()
    }

    /// `bind` to `key`, reporting `name`: `EINVAL` if already bound (or
    /// closed), `EADDRINUSE` if `key` is taken.
    pub fn bind(&self, names: &mut Names, key: Key, name: Vec<u8>) -> Result<()> {
        let mut g = self.s.lock();
        if g.name.is_some() || g.closed {
            return Err(Errno::EINVAL);
        }
        if names.taken(&key) {
            return Err(Errno::EADDRINUSE);
        }
        names.map.insert(key.clone(), Arc::downgrade(&self.s));
        if let State::Connected(e) = &g.state {
            e.set_name(name.clone());
        }
        g.name = Some(name);
        g.key = Some(key);
        g.seq += 1;
        Ok(())
    }

    /// `bind` with only the family: an abstract name of five hex digits
    /// (length 8, as Linux); nothing if already bound.
    pub fn autobind(&self, names: &mut Names) -> Result<()> {
        if self.is_bound() {
            return Ok(());
        }
        for _ in 0..0x10_0000 {
            let n = names.next_auto & 0xF_FFFF;
            names.next_auto = names.next_auto.wrapping_add(1);
            let mut sun = alloc::vec![0u8; 6];
            for (i, b) in sun[1..].iter_mut().enumerate() {
                *b = b"0123456789abcdef"[(n >> (16 - 4 * i)) as usize & 15];
            }
            let key = Key::Abstract(self.ty.raw(), sun.clone());
            if !names.taken(&key) {
                return self.bind(names, key, [&UNNAMED[..], &sun].concat());
            }
        }
        Err(Errno::ENOSPC)
    }

    /// `listen(backlog)`: `EOPNOTSUPP` for datagrams, `EINVAL` if unbound
    /// or connected. A negative or larger backlog is `SOMAXCONN`; up to
    /// backlog + 1 connections wait (Linux). `cred` becomes the
    /// listener's `SO_PEERCRED`, which its connections' clients see.
    pub fn listen(&self, backlog: i32, cred: Ucred) -> Result<()> {
        if self.ty == UnixType::Dgram {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut g = self.s.lock();
        if g.name.is_none() {
            return Err(Errno::EINVAL);
        }
        let b = if backlog < 0 || backlog as usize > SOMAXCONN {
            SOMAXCONN
        } else {
            backlog as usize
        };
        match &mut g.state {
            State::Idle => {}
            State::Listening { backlog, .. } => *backlog = b,
            State::Connected(_) => return Err(Errno::EINVAL),
        }
        if let State::Idle = g.state {
            g.state = State::Listening {
                backlog: b,
                queue: VecDeque::new(),
            };
        }
        g.cred = cred;
        g.seq += 1;
        Ok(())
    }

    /// `accept`: the oldest waiting connection and its peer's address;
    /// `EAGAIN` if none, `EINVAL` unless listening, `EOPNOTSUPP` for
    /// datagrams.
    pub fn accept(&self) -> Result<(UnixSocket, Vec<u8>)> {
        if self.ty == UnixType::Dgram {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut g = self.s.lock();
        let name = g.name.clone();
        let State::Listening { queue, .. } = &mut g.state else {
            return Err(Errno::EINVAL);
        };
        let end = queue.pop_front().ok_or(Errno::EAGAIN)?;
        g.seq += 1;
        let peer = end.peer_name();
        Ok((Self::with_state(self.ty, State::Connected(end), name), peer))
    }

    /// `connect` to `target` (found by name; its error is returned
    /// first, as Linux looks the name up first) by a task with `cred`.
    /// Stream/seqpacket: `ECONNREFUSED` unless it listens (and has not
    /// shut down), `EAGAIN` while its backlog is full, then `EISCONN` if
    /// we are connected, `EINVAL` if we listen. Datagram: sets the peer
    /// (`EOPNOTSUPP` for a `socketpair` end, which keeps its pair).
    pub fn connect(&self, target: Result<Target>, cred: Ucred) -> Result<()> {
        let t = target?.0;
        if self.ty == UnixType::Dgram {
            // A socketpair end keeps its pair (not modelled: re-pointing it).
            if self.conn(|_| ()).is_some() {
                return Err(Errno::EOPNOTSUPP);
            }
            return self.connect_dgram(&t);
        }
        if Arc::ptr_eq(&t, &self.s) {
            let g = self.s.lock();
            return match &g.state {
                State::Listening { backlog, queue } if g.shut & RCV == 0 => {
                    if queue.len() > *backlog {
                        Err(Errno::EAGAIN)
                    } else {
                        Err(Errno::EINVAL)
                    }
                }
                _ => Err(Errno::ECONNREFUSED),
            };
        }
        let mut tg = t.lock();
        if tg.closed || tg.shut & RCV != 0 {
            return Err(Errno::ECONNREFUSED);
        }
        let (tcred, tname) = (tg.cred, tg.name.clone().unwrap_or(UNNAMED.to_vec()));
        match &tg.state {
            State::Listening { backlog, queue } if queue.len() > *backlog => {
                return Err(Errno::EAGAIN)
            }
            State::Listening { .. } => {}
            _ => return Err(Errno::ECONNREFUSED),
        }
        let mut g = self.s.lock();
        match g.state {
            State::Idle => {}
            State::Connected(_) => return Err(Errno::EISCONN),
            State::Listening { .. } => return Err(Errno::EINVAL),
        }
        let me = g.name.clone().unwrap_or(UNNAMED.to_vec());
        let (c, s) = pair_named(self.ty, [cred, tcred], [me, tname]);
        c.set_opts(g.opts.clone());
        if g.shut != 0 {
            c.shutdown(g.shut as u32 - 1)?;
        }
        if let State::Listening { queue, .. } = &mut tg.state {
            queue.push_back(s);
        }
        tg.seq += 1;
        g.state = State::Connected(c);
        g.seq += 1;
        Ok(())
    }

    fn connect_dgram(&self, t: &Arc<Mutex<Sock>>) -> Result<()> {
        let tname = if Arc::ptr_eq(t, &self.s) {
            None
        } else {
            t.lock().name.clone()
        };
        let mut g = self.s.lock();
        let tname = tname.or_else(|| g.name.clone()).unwrap_or(UNNAMED.to_vec());
        g.dgram.peer = Some((Arc::downgrade(t), tname));
        g.seq += 1;
        Ok(())
    }

    /// `connect(AF_UNSPEC)` on a datagram socket: forgets the peer.
    pub fn disconnect(&self) -> Result<()> {
        let mut g = self.s.lock();
        if let State::Connected(e) = &g.state {
            return e.connect(&AF_UNSPEC.to_ne_bytes());
        }
        if self.ty != UnixType::Dgram {
            return Err(Errno::EINVAL);
        }
        g.dgram.peer = None;
        g.seq += 1;
        Ok(())
    }

    /// Runs `f` on the connection's end, if connected (`None` if not).
    fn conn<T>(&self, f: impl FnOnce(&UnixEnd) -> T) -> Option<T> {
        match &self.s.lock().state {
            State::Connected(e) => Some(f(e)),
            _ => None,
        }
    }

    /// `send`: as [`UnixEnd::send`] when connected. A named datagram
    /// socket sends to `to` (found by the caller) or its peer. Not
    /// connected: `ENOTCONN` (`EOPNOTSUPP` for a stream given an address).
    /// `to` is `(address, lookup result)`.
    pub fn send(
        &self,
        data: &[u8],
        flags: u32,
        to: Option<(&[u8], Result<Target>)>,
    ) -> Result<usize> {
        let addr = to.as_ref().map(|(a, _)| *a);
        if let Some(r) = self.conn(|e| e.send(data, flags, addr)) {
            return r;
        }
        if self.ty != UnixType::Dgram {
            if flags & MSG_OOB != 0 {
                return Err(Errno::EOPNOTSUPP);
            }
            return Err(match (self.ty, to) {
                (UnixType::Stream, Some(_)) => Errno::EOPNOTSUPP,
                _ => Errno::ENOTCONN,
            });
        }
        if flags & MSG_OOB != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let (me_name, cap) = {
            let g = self.s.lock();
            (g.name.clone(), g.opts.sndbuf * 2)
        };
        if data.len() > cap - 32 {
            return Err(Errno::EMSGSIZE);
        }
        let explicit = to.is_some();
        let target = match to {
            Some((_, t)) => t?.0,
            None => {
                let g = self.s.lock();
                if g.shut & SEND != 0 {
                    return Err(Errno::EPIPE);
                }
                match &g.dgram.peer {
                    None => return Err(Errno::ENOTCONN),
                    Some((w, _)) => match w.upgrade() {
                        Some(t) => t,
                        None => {
                            drop(g);
                            return Err(self.peer_gone());
                        }
                    },
                }
            }
        };
        {
            let mut g = self.s.lock();
            if let Some(e) = g.err.take() {
                return Err(e);
            }
            if g.shut & SEND != 0 {
                return Err(Errno::EPIPE);
            }
        }
        let me = ptr(&self.s);
        let mut tg = target.lock();
        if tg.closed {
            drop(tg);
            return Err(if explicit {
                Errno::ECONNREFUSED
            } else {
                self.peer_gone()
            });
        }
        // Linux's unix_may_send: a connected receiver takes only its peer's.
        if let Some((w, _)) = &tg.dgram.peer {
            if w.as_ptr() as *const u8 as usize != me {
                return Err(Errno::EPERM);
            }
        }
        if tg.shut & RCV != 0 {
            return Err(Errno::EPIPE);
        }
        if tg.dgram.from.len() > MAX_DGRAM_QLEN {
            return Err(Errno::EAGAIN);
        }
        tg.dgram.rx.push(data.into());
        tg.dgram.from.push_back(me_name);
        tg.seq += 1;
        drop(tg);
        if me != ptr(&target) {
            self.s.lock().seq += 1;
        }
        Ok(data.len())
    }

    /// The connected datagram peer closed: `ECONNREFUSED`, and it is
    /// forgotten (later sends: `ENOTCONN`), as Linux.
    fn peer_gone(&self) -> Errno {
        let mut g = self.s.lock();
        g.dgram.peer = None;
        g.seq += 1;
        Errno::ECONNREFUSED
    }

    /// `recv`; also the sender's address (`None`: an unnamed sender, or
    /// nothing received). Not connected: `EINVAL` for a stream,
    /// `ENOTCONN` for seqpacket (Linux).
    pub fn recv(&self, buf: &mut [u8], flags: u32) -> Result<(RecvInfo, Option<Vec<u8>>)> {
        // Linux gives the sending socket's address with each message or
        // bytes received on a connection: the peer's name, if it has one.
        let got = |e: &UnixEnd| {
            e.recv(buf, flags).map(|i| {
                let from = Some(e.peer_name()).filter(|n| n.len() > 2 && i.full_len > 0);
                (i, from)
            })
        };
        if let Some(r) = self.conn(got) {
            return r;
        }
        match self.ty {
            UnixType::Stream => return Err(Errno::EINVAL),
            UnixType::SeqPacket => return Err(Errno::ENOTCONN),
            UnixType::Dgram => {}
        }
        if flags & MSG_OOB != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut g = self.s.lock();
        if let Some(e) = g.err.take() {
            return Err(e);
        }
        let peek = flags & MSG_PEEK != 0;
        match g.dgram.rx.read_message(buf, peek) {
            Some((n, full, _)) => {
                let from = if peek {
                    g.dgram.from.front().cloned().flatten()
                } else {
                    g.seq += 1;
                    g.dgram.from.pop_front().flatten()
                };
                let info = RecvInfo {
                    len: n,
                    full_len: full,
                    from: None,
                };
                Ok((info, from))
            }
            None if g.shut & RCV != 0 && flags & MSG_DONTWAIT == 0 => Ok((
                RecvInfo {
                    len: 0,
                    full_len: 0,
                    from: None,
                },
                None,
            )),
            None => Err(Errno::EAGAIN),
        }
    }

    /// `shutdown(how)`: on a connection as [`UnixEnd::shutdown`]; else
    /// recorded (a listener shut for reading refuses connections).
    pub fn shutdown(&self, how: u32) -> Result<()> {
        if let Some(r) = self.conn(|e| e.shutdown(how)) {
            return r;
        }
        if how > SHUT_RDWR {
            return Err(Errno::EINVAL);
        }
        let mut g = self.s.lock();
        g.shut |= how as u8 + 1;
        g.seq += 1;
        Ok(())
    }

    /// The last fd closed: a listener's waiting connections are reset
    /// (their clients read `ECONNRESET`, then EOF), the name is released
    /// (a path's node stays in the file system, as Linux). Idempotent.
    pub fn close(&self, names: &mut Names) {
        let mut g = self.s.lock();
        if g.closed {
            return;
        }
        g.closed = true;
        g.seq += 1;
        if let Some(k) = g.key.take() {
            if names
                .map
                .get(&k)
                .is_some_and(|w| w.as_ptr() == Arc::as_ptr(&self.s))
            {
                names.map.remove(&k);
            }
        }
        match core::mem::replace(&mut g.state, State::Idle) {
            State::Listening { queue, .. } => {
                for e in queue {
                    e.close_as(true);
                }
            }
            State::Connected(e) => e.close(),
            State::Idle => {}
        }
        g.dgram.rx.purge();
        g.dgram.from.clear();
    }

    /// `getsockname`: the bound address, or the family alone.
    pub fn name(&self) -> Vec<u8> {
        if let Some(r) = self.conn(|e| e.name()) {
            return r;
        }
        self.s.lock().name.clone().unwrap_or(UNNAMED.to_vec())
    }

    /// `getpeername`: `ENOTCONN` unless connected.
    pub fn peer_name(&self) -> Result<Vec<u8>> {
        if let Some(r) = self.conn(|e| e.peer_check().map(|_| e.peer_name())) {
            return r;
        }
        let g = self.s.lock();
        match &g.dgram.peer {
            Some((_, n)) => Ok(n.clone()),
            None => Err(Errno::ENOTCONN),
        }
    }

    /// Readiness as `poll` bits (Linux's `unix_poll`/`unix_dgram_poll`):
    /// a listener is readable with a connection waiting; an unconnected
    /// stream or seqpacket socket is writable and hung up.
    pub fn poll(&self) -> u16 {
        self.poll_seq().0
    }

    /// Readiness and a sequence number for edge-triggered epoll.
    pub fn poll_seq(&self) -> (u16, u64) {
        let g = self.s.lock();
        if let State::Connected(e) = &g.state {
            let (ev, s) = e.poll_seq();
            return (ev, s.wrapping_add(g.seq));
        }
        let mut ev = 0;
        if g.err.is_some() {
            ev |= POLLERR;
        }
        if g.shut == RCV | SEND {
            ev |= POLLHUP;
        }
        if g.shut & RCV != 0 {
            ev |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        const OUT: u16 = POLLOUT | POLLWRNORM | POLLWRBAND;
        match &g.state {
            State::Listening { queue, .. } => {
                if !queue.is_empty() {
                    ev |= POLLIN | POLLRDNORM;
                }
            }
            _ if self.ty == UnixType::Dgram => {
                if !g.dgram.rx.is_empty() {
                    ev |= POLLIN | POLLRDNORM;
                }
                let full = g
                    .dgram
                    .peer
                    .as_ref()
                    .and_then(|(w, _)| w.upgrade())
                    .filter(|t| !Arc::ptr_eq(t, &self.s))
                    .is_some_and(|t| t.lock().dgram.from.len() > MAX_DGRAM_QLEN);
                if !full {
                    ev |= OUT;
                }
            }
            _ => ev |= POLLHUP | OUT,
        }
        (ev, g.seq)
    }

    /// `ioctl` (`FIONREAD`, `TIOCOUTQ`); `EINVAL` on a listener.
    pub fn ioctl(&self, cmd: u32) -> Result<i32> {
        if let Some(r) = self.conn(|e| e.ioctl(cmd)) {
            return r;
        }
        let g = self.s.lock();
        if matches!(g.state, State::Listening { .. }) && cmd == FIONREAD {
            return Err(Errno::EINVAL);
        }
        match cmd {
            FIONREAD => Ok(g.dgram.rx.first_len().min(i32::MAX as usize) as i32),
            TIOCOUTQ => Ok(0),
            _ => Err(Errno::ENOTTY),
        }
    }

    pub fn setsockopt(&self, level: i32, name: i32, val: &[u8]) -> Result<()> {
        if let Some(r) = self.conn(|e| e.setsockopt(level, name, val)) {
            return r;
        }
        let mut g = self.s.lock();
        opts::set(&mut g.opts, level, name, val)?;
        g.seq += 1;
        Ok(())
    }

    /// `getsockopt`; an unconnected socket's `SO_PEERCRED` is pid 0,
    /// uid and gid -1, a listener's its own (Linux).
    pub fn getsockopt(&self, level: i32, name: i32) -> Result<OptValue> {
        if let Some(r) = self.conn(|e| e.getsockopt(level, name)) {
            return r;
        }
        let g = &mut *self.s.lock();
        let listening = matches!(g.state, State::Listening { .. });
        if level == SOL_SOCKET && name == SO_ACCEPTCONN {
            return Ok(OptValue::int(listening as i32));
        }
        opts::get(&g.opts, self.ty, g.cred, &mut g.err, level, name)
    }

    /// (`SO_RCVTIMEO`, `SO_SNDTIMEO`) in microseconds, `None`: forever.
    pub fn timeouts(&self) -> (Option<u64>, Option<u64>) {
        if let Some(r) = self.conn(|e| e.timeouts()) {
            return r;
        }
        let g = self.s.lock();
        (g.opts.rcvtimeo_us, g.opts.sndtimeo_us)
    }
}

#[cfg(test)]
mod tests;
