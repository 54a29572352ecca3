//! The socket calls common to TCP and UDP: create, bind, connect,
//! send/recv dispatch, shutdown, close, names, options, ioctl, readiness.

use core::net::SocketAddr;

use smoltcp::phy::Device;
use smoltcp::socket::tcp;

use crate::abi::*;
use crate::errno::{Errno, Result};
use crate::options::{self, OptValue, SockInfo, SockOpts, SockType};
use crate::ports::Proto;
use crate::sockaddr::{self, Domain, SockAddr};
use crate::socket::{Sock, State};
use crate::stack::NetStack;
use crate::table::{OwnedSocket, SocketId};
use crate::tcp::{acceptable, apply_tcp};
use crate::udp::RecvInfo;

impl<D: Device> NetStack<D> {
    /// `socket(domain, type, protocol)`. `AF_INET` or `AF_INET6` with
    /// `SOCK_STREAM` (TCP) or `SOCK_DGRAM` (UDP), optionally `|
    /// SOCK_NONBLOCK | SOCK_CLOEXEC` (the latter is the kernel's fd flag).
    /// `EAFNOSUPPORT` for other families (`AF_UNIX` sockets are
    /// [`crate::unix`]'s), `EINVAL` for unknown
    /// flags, `ESOCKTNOSUPPORT` for other
    /// types, `EPROTONOSUPPORT` for a protocol not matching the type,
    /// `EMFILE` at the configured socket limit.
    pub fn socket(&mut self, domain: i32, ty: u32, protocol: i32) -> Result<OwnedSocket> {
        self.close_dropped();
        if domain < 0 || domain > u16::MAX as i32 {
            return Err(Errno::EAFNOSUPPORT);
        }
        let domain = Domain::from_family(domain as u16)?;
        if ty & !(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
            return Err(Errno::EINVAL);
        }
        let kind = match ty & SOCK_TYPE_MASK {
            SOCK_STREAM => SockType::Stream,
            SOCK_DGRAM => SockType::Dgram,
            SOCK_RAW => return Err(Errno::EPROTONOSUPPORT),
            _ => return Err(Errno::ESOCKTNOSUPPORT),
        };
        match (kind, protocol) {
            (_, 0) | (SockType::Stream, IPPROTO_TCP) | (SockType::Dgram, IPPROTO_UDP) => {}
            _ => return Err(Errno::EPROTONOSUPPORT),
        }
        if self.socks.len() >= self.cfg.max_sockets {
            return Err(Errno::EMFILE);
        }
        let buf = match kind {
            SockType::Stream => self.cfg.tcp_buffer,
            SockType::Dgram => self.cfg.udp_buffer,
        };
        let opts = SockOpts::new(buf.clamp(self.cfg.buffer_limits.min, self.cfg.buffer_limits.max));
        let id = self
            .socks
            .insert(Sock::new(domain, kind, ty & SOCK_NONBLOCK != 0, opts));
        Ok(OwnedSocket::new(id, self.dropped.clone()))
    }

    /// `bind(addr)` with the user's `sockaddr` bytes. Port 0 picks an
    /// ephemeral port. `EINVAL` if already bound, `EADDRNOTAVAIL` for an
    /// address not ours, `EADDRINUSE` per Linux's `SO_REUSEADDR` rules.
    pub fn bind(&mut self, id: SocketId, addr: &[u8]) -> Result<()> {
        let a = sockaddr::decode_bind(self.sock(id)?.domain, addr)?;
        self.bind_addr(id, a)
    }

    /// [`NetStack::bind`] with a decoded address. An IPv4-mapped address
    /// on an `IPV6_V6ONLY` socket is `EINVAL`, as on Linux.
    pub fn bind_addr(&mut self, id: SocketId, a: impl Into<SocketAddr>) -> Result<()> {
        let a = self.admit(id, a.into(), Errno::EINVAL)?;
        let s = self.sock(id)?;
        // A connection that ended and gave its port back may be bound
        // again (Linux: closed state, no port); otherwise once only.
        if s.local.is_some() || matches!(s.state, State::Listening(_)) {
            return Err(Errno::EINVAL);
        }
        self.bind_links(id, a.ip())?;
        self.bind_inner(id, a)?;
        self.socks.get_mut(id)?.bound_ip = (!a.ip().is_unspecified()).then_some(a.ip());
        Ok(())
    }

    /// The links a socket bound to `ip` receives on ([`NetStack::links_for`]);
    /// with `IP_FREEBIND` an address not ours is accepted and bound on
    /// loopback, where nothing is ever sent to it.
    pub(crate) fn bind_links(
        &mut self,
        id: SocketId,
        ip: core::net::IpAddr,
    ) -> Result<alloc::vec::Vec<crate::socket::LinkId>> {
        match self.links_for(ip) {
            Err(Errno::EADDRNOTAVAIL) if self.sock(id)?.opts.freebind => {
                Ok(alloc::vec![crate::socket::LinkId::Lo])
            }
            r => r,
        }
    }

    /// The stack's form of a user's address for socket `id`
    /// ([`sockaddr::unmap`]); `v4_err` where the socket cannot carry IPv4
    /// (`IPV6_V6ONLY`), `EAFNOSUPPORT` for IPv6 on an `AF_INET` socket.
    fn admit(&mut self, id: SocketId, a: SocketAddr, v4_err: Errno) -> Result<SocketAddr> {
        let s = self.sock(id)?;
        let inner = sockaddr::unmap(a);
        if s.carries(&inner) {
            Ok(inner)
        } else if inner.is_ipv4() {
            Err(v4_err)
        } else {
            Err(Errno::EAFNOSUPPORT)
        }
    }

    fn bind_inner(&mut self, id: SocketId, a: SocketAddr) -> Result<()> {
        let s = self.socks.get(id)?;
        let proto = proto(s.ty);
        let (ra, rp) = (s.opts.reuseaddr, s.opts.reuseport);
        let (ip, unspecified) = (s.bound_ip(a.ip()), s.domain.unspecified());
        let port = match self.ports.bind(proto, id, ip, a.port(), ra, rp) {
            Ok(port) => port,
            Err(e) => {
                // Linux's inet_bind stores the address before taking the
                // port and zeroes it when that fails; a stale name left by
                // an ended connection keeps only its port.
                let s = self.socks.get_mut(id)?;
                if let Some(stale) = s.last_name.as_mut() {
                    *stale = SocketAddr::new(unspecified, stale.port());
                }
                return Err(e);
            }
        };
        let local = SocketAddr::new(a.ip(), port);
        if proto == Proto::Udp {
            if let Err(e) = self.udp_open(id, local) {
                self.ports.unbind(proto, id, port);
                return Err(e);
            }
        }
        let s = self.socks.get_mut(id)?;
        s.local = Some(local);
        s.last_name = None;
        // Linux locks only a port the caller chose.
        s.autobound = a.port() == 0;
        Ok(())
    }

    /// Binds to the wildcard address (`0.0.0.0` or `::`) and an ephemeral
    /// port (connect, listen, sendto unbound).
    pub(crate) fn autobind(&mut self, id: SocketId, _proto: Proto) -> Result<()> {
        let s = self.socks.get(id)?;
        let ip = s.bound_ip.unwrap_or(s.domain.unspecified());
        self.bind_inner(id, SocketAddr::new(ip, 0))
    }

    /// Linux binds an unbound UDP socket before it looks at the address of
    /// a `connect` or `sendto` (`inet_autobind`), so a refused address
    /// still leaves a port bound.
    fn autobind_datagram(&mut self, id: SocketId) -> Result<()> {
        let s = self.sock(id)?;
        if s.ty == SockType::Dgram && s.local.is_none() {
            self.autobind(id, Proto::Udp)?;
        }
        Ok(())
    }

    /// A TCP socket back in the closed state releases an automatically
    /// bound port.
    pub(crate) fn release_autobind(&mut self, id: SocketId) {
        let over = self.conn_over(id);
        let Ok(s) = self.socks.get_mut(id) else {
            return;
        };
        let closed = matches!(s.state, State::Idle) || over;
        if !s.autobound || s.ty != SockType::Stream || !closed {
            return;
        }
        s.autobound = false;
        if let Some(a) = s.local.take() {
            s.last_name = Some(a);
            self.ports.unbind(Proto::Tcp, id, a.port());
            if let State::Stream(c) = &mut s.state {
                // TIME-WAIT (or a pending RST) still uses the port.
                self.ports.linger(a.port());
                c.held_port = Some(a.port());
            }
        }
    }

    /// `connect(addr)` with the user's `sockaddr` bytes. TCP: returns
    /// `EINPROGRESS` (see [`NetStack::connect_result`]). UDP: sets the
    /// default peer at once (`AF_UNSPEC` dissolves it).
    /// An `AF_INET6` socket: an IPv4-mapped address is IPv4
    /// (`ENETUNREACH` under `IPV6_V6ONLY`); a UDP socket also takes an
    /// `AF_INET` address (`EAFNOSUPPORT` under `IPV6_V6ONLY`).
    pub fn connect(&mut self, id: SocketId, addr: &[u8]) -> Result<()> {
        let s = self.sock(id)?;
        let (ty, domain, v6only) = (s.ty, s.domain, s.opts.v6only);
        let a = sockaddr::decode_for(domain, ty == SockType::Dgram, addr)?;
        if matches!(a, SockAddr::Inet(_)) {
            self.autobind_datagram(id)?;
        }
        match (ty, a) {
            (_, SockAddr::Inet(SocketAddr::V4(_))) if domain == Domain::Inet6 && v6only => {
                Err(Errno::EAFNOSUPPORT)
            }
            (_, SockAddr::Inet(a)) => self.connect_addr(id, a),
            (SockType::Stream, SockAddr::Unspec) => self.disconnect(id),
            (SockType::Dgram, SockAddr::Unspec) => self.udp_connect(id, None),
        }
    }

    /// [`NetStack::connect`] with a decoded address.
    pub fn connect_addr(&mut self, id: SocketId, a: impl Into<SocketAddr>) -> Result<()> {
        let a = self.admit(id, a.into(), Errno::ENETUNREACH)?;
        match self.sock(id)?.ty {
            SockType::Stream => self.tcp_connect(id, a),
            SockType::Dgram => self.udp_connect(id, Some(a)),
        }
    }

    /// TCP `connect(AF_UNSPEC)`: drops the connection (reset).
    fn disconnect(&mut self, id: SocketId) -> Result<()> {
        let s = self.socks.get_mut(id)?;
        if let State::Stream(c) = &s.state {
            let slot = c.slot;
            let port = s.local.map_or(0, |a| a.port());
            s.state = State::Idle;
            self.drop_conn_slot(slot, port, true);
            self.release_autobind(id);
        }
        Ok(())
    }

    /// `sendto`/`send`/`write`/`sendmsg` (the kernel gathers iovecs): bytes
    /// accepted. `dest` is the user's `sockaddr` bytes (`addrlen` of them), `None`
    /// for a NULL pointer.
    /// `EAGAIN` when it would block. `EPIPE`: the kernel also raises
    /// `SIGPIPE` unless `MSG_NOSIGNAL`.
    pub fn sendto(
        &mut self,
        id: SocketId,
        data: &[u8],
        flags: u32,
        dest: Option<&[u8]>,
    ) -> Result<usize> {
        // TCP ignores the address (Linux does for stream sockets).
        let s = self.sock(id)?;
        let dest = match dest {
            Some(b) if s.ty == SockType::Dgram => sockaddr::decode_dest(s.domain, b)?,
            _ => None,
        };
        self.send_addr(id, data, flags, dest)
    }

    /// [`NetStack::sendto`] with a decoded address.
    pub fn send_addr(
        &mut self,
        id: SocketId,
        data: &[u8],
        flags: u32,
        dest: Option<SocketAddr>,
    ) -> Result<usize> {
        if flags & MSG_OOB != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let dest = match dest {
            Some(a) if self.sock(id)?.ty == SockType::Dgram => {
                self.autobind_datagram(id)?;
                Some(self.admit(id, a, Errno::ENETUNREACH)?)
            }
            _ => None,
        };
        let r = match self.sock(id)?.ty {
            // TCP ignores the address, as Linux does for a connected socket.
            SockType::Stream => self.tcp_send(id, data),
            SockType::Dgram => self.udp_send(id, data, dest),
        };
        self.bump_edge(id);
        r
    }

    /// `recvfrom`/`recv`/`read`/`recvmsg`: see [`RecvInfo`]. `MSG_PEEK`
    /// leaves the data queued. `EAGAIN` when it would block (`MSG_WAITALL`
    /// and blocking are the kernel's loop).
    pub fn recvfrom(&mut self, id: SocketId, buf: &mut [u8], flags: u32) -> Result<RecvInfo> {
        let r = match self.sock(id)?.ty {
            SockType::Stream => self.tcp_recv(id, buf, flags).map(|n| RecvInfo {
                len: n,
                full_len: n,
                from: None,
            }),
            SockType::Dgram => self.udp_recv(id, buf, flags),
        };
        // Record the drained state, so the next arrival is a new edge.
        self.bump_edge(id);
        r
    }

    /// `shutdown(how)`: `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`; `EINVAL` for
    /// others, `ENOTCONN` if not connected.
    pub fn shutdown(&mut self, id: SocketId, how: u32) -> Result<()> {
        let (rd, wr) = match how {
            SHUT_RD => (true, false),
            SHUT_WR => (false, true),
            SHUT_RDWR => (true, true),
            _ => return Err(Errno::EINVAL),
        };
        let s = self.sock(id)?;
        let r = match &s.state {
            State::Dgram(d) => {
                // Recorded even when unconnected (ENOTCONN), as Linux.
                let connected = d.peer.is_some();
                s.shut_rd |= rd;
                s.shut_wr |= wr;
                if connected {
                    Ok(())
                } else {
                    Err(Errno::ENOTCONN)
                }
            }
            _ => self.tcp_shutdown(id, rd, wr),
        };
        self.refresh(id);
        r
    }

    /// Closes a socket now (the last fd went away). A TCP connection is
    /// finished gracefully in the background, or reset if unread data
    /// remains or `SO_LINGER` is on with a zero timeout.
    pub fn close(&mut self, sock: OwnedSocket) -> Result<()> {
        let id = sock.disarm();
        self.close_id(id)
    }

    pub(crate) fn close_id(&mut self, id: SocketId) -> Result<()> {
        if matches!(self.socks.get(id)?.state, State::Listening(_)) {
            self.stop_listening(id);
        }
        let s = self.socks.remove(id)?;
        let port = s.local.map_or(0, |a| a.port());
        if s.local.is_some() {
            self.ports.unbind(proto(s.ty), id, port);
        }
        match s.state {
            State::Idle | State::Listening(_) => {}
            State::Stream(c) => {
                let abort = s.opts.linger == Some(0) || !c.established;
                let port = match c.held_port {
                    Some(p) => {
                        self.ports.unlinger(p);
                        p
                    }
                    None => port,
                };
                self.drop_conn_slot(c.slot, port, abort);
            }
            State::Dgram(d) => {
                for slot in d.slots {
                    self.free_slot(slot);
                }
            }
        }
        Ok(())
    }

    /// `getsockname`: the bound address (`0.0.0.0:0` or `[::]:0` if
    /// unbound; a connected socket's actual local address), IPv4 shown
    /// mapped on an `AF_INET6` socket.
    pub fn local_addr(&mut self, id: SocketId) -> Result<SocketAddr> {
        let s = self.sock(id)?;
        let local = s
            .local
            .or(s.last_name)
            .unwrap_or(SocketAddr::new(s.domain.unspecified(), 0));
        let local = match &s.state {
            State::Dgram(d) => match d.src {
                Some(ip) => SocketAddr::new(ip, local.port()),
                None => local,
            },
            _ => local,
        };
        Ok(s.domain.present(local))
    }

    /// `getpeername`: `ENOTCONN` unless connected.
    pub fn peer_addr(&mut self, id: SocketId) -> Result<SocketAddr> {
        self.refresh(id);
        let s = self.sock(id)?;
        // Linux's socket is closed once its connection is in TIME-WAIT
        // (the time-wait record is another object).
        let gone = |st| matches!(st, tcp::State::Closed | tcp::State::TimeWait);
        let peer = match &s.state {
            State::Stream(c) if c.established && !gone(c.last) => Ok(c.peer),
            State::Dgram(d) => d.peer.ok_or(Errno::ENOTCONN),
            _ => Err(Errno::ENOTCONN),
        };
        Ok(s.domain.present(peer?))
    }

    /// `getsockname` into a user buffer (truncated); returns the length to
    /// store in `*addrlen`.
    pub fn getsockname(&mut self, id: SocketId, out: &mut [u8]) -> Result<usize> {
        let a = self.local_addr(id)?;
        Ok(sockaddr::encode_into(a, out))
    }

    /// `getpeername` into a user buffer (truncated); returns the length to
    /// store in `*addrlen`.
    pub fn getpeername(&mut self, id: SocketId, out: &mut [u8]) -> Result<usize> {
        let a = self.peer_addr(id)?;
        Ok(sockaddr::encode_into(a, out))
    }

    /// `setsockopt(level, name, value)`; copy in at most
    /// [`MAX_OPTLEN`] bytes of the value.
    pub fn setsockopt(&mut self, id: SocketId, level: i32, name: i32, val: &[u8]) -> Result<()> {
        let lim = self.cfg.buffer_limits;
        let s = self.sock(id)?;
        match (level, s.domain) {
            (IPPROTO_IPV6, Domain::Inet6) => {
                options::set_ipv6(&mut s.opts, s.ty, s.local.is_some(), name, val)?
            }
            (IPPROTO_IPV6, Domain::Inet) => return Err(Errno::ENOPROTOOPT),
            _ => options::set(&mut s.opts, s.ty, lim, level, name, val)?,
        }
        let opts = s.opts.clone();
        let ty = s.ty;
        let local = s.local;
        let listening = matches!(s.state, State::Listening(_));
        let slots: alloc::vec::Vec<_> = match &s.state {
            State::Stream(c) => alloc::vec![c.slot],
            State::Listening(l) => l.pool.clone(),
            State::Dgram(d) => d.slots.clone(),
            State::Idle => alloc::vec![],
        };
        if let Some(a) = local {
            self.ports.update(
                proto(ty),
                id,
                a.port(),
                opts.reuseaddr,
                opts.reuseport,
                listening,
            );
        }
        for slot in slots {
            match ty {
                SockType::Stream => apply_tcp(self.tcp(slot), &opts),
                SockType::Dgram => self.udp(slot).set_hop_limit(Some(opts.ttl)),
            }
        }
        Ok(())
    }

    /// `getsockopt(level, name)`. `SO_ERROR` clears the pending error.
    pub fn getsockopt(&mut self, id: SocketId, level: i32, name: i32) -> Result<OptValue> {
        self.refresh(id);
        let s = self.sock(id)?;
        let error = if (level, name) == (SOL_SOCKET, SO_ERROR) {
            s.error.take()
        } else {
            None
        };
        match (level, s.domain) {
            (IPPROTO_IPV6, Domain::Inet6) => return options::get_ipv6(&s.opts, name),
            // Linux's ip_getsockopt: a level other than SOL_IP.
            (IPPROTO_IPV6, Domain::Inet) => return Err(Errno::EOPNOTSUPP),
            // Linux's ipv6_getsockopt answers for UDP's other levels.
            (SOL_TCP, Domain::Inet6) if s.ty == SockType::Dgram => return Err(Errno::ENOPROTOOPT),
            _ => {}
        }
        let info = SockInfo {
            family: match s.domain {
                Domain::Inet => AF_INET,
                Domain::Inet6 => AF_INET6,
            },
            ty: s.ty,
            listening: matches!(s.state, State::Listening(_)),
            error,
        };
        options::get(&s.opts, info, level, name)
    }

    /// The socket type.
    pub fn sock_type(&mut self, id: SocketId) -> Result<SockType> {
        Ok(self.sock(id)?.ty)
    }

    /// Whether the socket is non-blocking (`SOCK_NONBLOCK`, `FIONBIO`;
    /// the kernel also keeps `O_NONBLOCK` from `fcntl` in step with
    /// [`NetStack::set_nonblocking`]).
    pub fn is_nonblocking(&mut self, id: SocketId) -> Result<bool> {
        Ok(self.sock(id)?.nonblocking)
    }

    /// Sets or clears non-blocking mode.
    pub fn set_nonblocking(&mut self, id: SocketId, on: bool) -> Result<()> {
        self.sock(id)?.nonblocking = on;
        Ok(())
    }

    /// `SO_RCVTIMEO` and `SO_SNDTIMEO` in microseconds (`None`: wait
    /// forever). A blocking call that times out returns `EAGAIN`.
    pub fn timeouts(&mut self, id: SocketId) -> Result<(Option<u64>, Option<u64>)> {
        let s = self.sock(id)?;
        Ok((s.opts.rcvtimeo_us, s.opts.sndtimeo_us))
    }

    /// `ioctl(cmd, arg)`: `arg` holds the 4 input bytes for `FIONBIO`.
    /// Returns the `int` to store at `*arg` for `FIONREAD`/`SIOCINQ`
    /// and `SIOCOUTQ`; `ENOTTY` for anything else.
    pub fn ioctl(&mut self, id: SocketId, cmd: u32, arg: &[u8]) -> Result<Option<i32>> {
        let ty = self.sock(id)?.ty;
        let queues = |me: &mut Self| match ty {
            SockType::Stream => me.tcp_queues(id),
            SockType::Dgram => me.udp_queues(id),
        };
        match cmd {
            FIONBIO => {
                let b = arg.get(..4).ok_or(Errno::EFAULT)?;
                let on = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]) != 0;
                self.set_nonblocking(id, on)?;
                Ok(None)
            }
            FIONREAD => Ok(Some(clamp_i32(queues(self)?.0))),
            SIOCOUTQ => Ok(Some(clamp_i32(queues(self)?.1))),
            _ => Err(Errno::ENOTTY),
        }
    }

    /// Current readiness as `poll` events (`POLLIN`, `POLLOUT`,
    /// `POLLERR`, `POLLHUP`, `POLLRDHUP`, `POLLNVAL` for a closed id).
    pub fn readiness(&mut self, id: SocketId) -> u16 {
        self.close_dropped();
        match self.socks.get(id).map(|s| s.ty) {
            Ok(SockType::Stream) => self.tcp_readiness(id),
            Ok(SockType::Dgram) => self.udp_readiness(id),
            Err(_) => POLLNVAL,
        }
    }

    /// Readiness plus a counter that grows whenever new readiness arrives
    /// (new data, a new connection, a state change): for edge-triggered
    /// epoll.
    pub fn readiness_seq(&mut self, id: SocketId) -> (u16, u64) {
        self.bump_edge(id);
        let ev = self.readiness(id);
        (ev, self.socks.get(id).map_or(0, |s| s.edge.seq))
    }

    /// Advances the edge counter if readiness bits rose or more data came.
    pub(crate) fn bump_edge(&mut self, id: SocketId) {
        let ev = match self.socks.get(id).map(|s| s.ty) {
            Ok(SockType::Stream) => self.tcp_readiness(id),
            Ok(SockType::Dgram) => self.udp_readiness(id),
            Err(_) => return,
        };
        let rx = self.edge_level(id);
        if let Ok(s) = self.socks.get_mut(id) {
            if ev & !s.edge.mask != 0 || rx > s.edge.rx {
                s.edge.seq = s.edge.seq.wrapping_add(1);
            }
            s.edge.mask = ev;
            s.edge.rx = rx;
        }
    }
}

impl<D: Device> NetStack<D> {
    /// What "more arrived" is measured in: bytes queued to read, or
    /// connections waiting for `accept`.
    fn edge_level(&mut self, id: SocketId) -> usize {
        let (slots, early): (alloc::vec::Vec<_>, usize) = match self.socks.get(id).map(|s| &s.state)
        {
            Ok(State::Listening(l)) => {
                let pool = l.pool.clone();
                return pool
                    .iter()
                    .filter(|&&sl| acceptable(self.tcp(sl).state()))
                    .count();
            }
            Ok(State::Stream(c)) => {
                let extra = c.salvage.len();
                return self.tcp(c.slot).recv_queue() + extra;
            }
            Ok(State::Dgram(d)) => (
                d.slots.clone(),
                d.early.iter().map(|(p, _)| p.len() + 1).sum::<usize>(),
            ),
            _ => return 0,
        };
        early
            + slots
                .iter()
                .map(|&sl| self.udp(sl).recv_queue())
                .sum::<usize>()
    }
}

fn proto(ty: SockType) -> Proto {
    match ty {
        SockType::Stream => Proto::Tcp,
        SockType::Dgram => Proto::Udp,
    }
}

fn clamp_i32(v: usize) -> i32 {
    v.min(i32::MAX as usize) as i32
}

impl<D: Device> crate::epoll::ReadySource<SocketId> for NetStack<D> {
    fn ready(&mut self, id: &SocketId) -> Option<(u16, u64)> {
        self.close_dropped();
        self.socks.get(*id).ok()?;
        Some(self.readiness_seq(*id))
    }
}
