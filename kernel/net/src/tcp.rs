//! TCP: listen (a pool of listening stack sockets per listener), accept,
//! connect with non-blocking progress, stream send/recv/shutdown, and
//! tracking of connection state changes.

use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use smoltcp::phy::Device;
use smoltcp::socket::tcp;
use smoltcp::time::Duration;
use smoltcp::wire::{IpEndpoint, IpListenEndpoint};

use crate::abi::*;
use crate::errno::{Errno, Result};
use crate::options::{SockOpts, SockType};
use crate::ports::Proto;
use crate::socket::{Conn, Listener, Slot, Sock, State};
use crate::stack::{unspecified_to_loopback, NetStack};
use crate::table::{OwnedSocket, SocketId};

/// What a stack socket listens on: a wildcard of either family is any
/// address (smoltcp's `None`), so an `AF_INET6` wildcard also takes IPv4.
pub(crate) fn listen_ep(ip: IpAddr, port: u16) -> IpListenEndpoint {
    IpListenEndpoint {
        addr: (!ip.is_unspecified()).then_some(ip.into()),
        port,
    }
}

/// Applies the stored settings to a stack socket.
pub(crate) fn apply_tcp(s: &mut tcp::Socket<'_>, o: &SockOpts) {
    s.set_nagle_enabled(!o.nodelay);
    s.set_keep_alive(
        o.keepalive
            .then(|| Duration::from_secs(o.keepidle_s as u64)),
    );
    s.set_hop_limit(Some(o.ttl));
}

/// Whether the peer's FIN has arrived (or the connection is gone): the
/// receive side is shut even while data is still buffered.
fn peer_closed(st: tcp::State) -> bool {
    matches!(
        st,
        tcp::State::CloseWait
            | tcp::State::LastAck
            | tcp::State::Closing
            | tcp::State::TimeWait
            | tcp::State::Closed
    )
}

/// Whether a pool socket holds a connection `accept` can return.
pub(crate) fn acceptable(st: tcp::State) -> bool {
    !matches!(
        st,
        tcp::State::Listen | tcp::State::SynReceived | tcp::State::Closed
    )
}

impl<D: Device> NetStack<D> {
    /// `listen(backlog)`. Binds an ephemeral port first if unbound. A
    /// second call changes the backlog. `EADDRINUSE` if another socket
    /// listens on the port, `EOPNOTSUPP` for UDP, `EINVAL` if connected.
    pub fn listen(&mut self, id: SocketId, backlog: i32) -> Result<()> {
        let max = self.cfg.max_backlog.max(1);
        let backlog = if backlog < 0 {
            max
        } else {
            (backlog as usize).clamp(1, max)
        };
        let s = self.sock(id)?;
        if s.ty != SockType::Stream {
            return Err(Errno::EOPNOTSUPP);
        }
        if s.connecting || s.disconnecting {
            return Err(Errno::EINVAL);
        }
        match &mut s.state {
            State::Listening(l) => {
                l.backlog = backlog;
                return Ok(());
            }
            State::Stream(_) => return Err(Errno::EINVAL),
            _ => {}
        }
        if self.socks.get(id)?.local.is_none() {
            self.autobind(id, Proto::Tcp)?;
        }
        let s = self.socks.get(id)?;
        let local = s.local.ok_or(Errno::EINVAL)?;
        let (reuseaddr, reuseport) = (s.opts.reuseaddr, s.opts.reuseport);
        let bound = s.bound_ip(local.ip());
        if !self.ports.can_listen(id, bound, local.port(), reuseport) {
            return Err(Errno::EADDRINUSE);
        }
        let links = self.bind_links(id, local.ip())?;
        self.socks.get_mut(id)?.state = State::Listening(Listener {
            backlog,
            links,
            pool: alloc::vec::Vec::new(),
        });
        self.ports
            .update(Proto::Tcp, id, local.port(), reuseaddr, reuseport, true);
        self.listeners.push(id);
        if let Err(e) = self.fill_listener(id) {
            self.stop_listening(id);
            return Err(e);
        }
        Ok(())
    }

    /// Tears a listener down to an idle bound socket; pending connections
    /// are reset.
    pub(crate) fn stop_listening(&mut self, id: SocketId) {
        self.listeners.retain(|&l| l != id);
        let Ok(s) = self.socks.get_mut(id) else {
            return;
        };
        let State::Listening(l) = core::mem::replace(&mut s.state, State::Idle) else {
            return;
        };
        let (local, ra, rp) = (s.local, s.opts.reuseaddr, s.opts.reuseport);
        if let Some(a) = local {
            self.ports.update(Proto::Tcp, id, a.port(), ra, rp, false);
        }
        for slot in l.pool {
            self.drop_conn_slot(slot, local.map_or(0, |a| a.port()), true);
        }
        self.release_autobind(id);
    }

    /// Keeps `min(backlog, listen_pool)` sockets listening on each link,
    /// holds handshakes past the backlog, and trims the pool after bursts.
    pub(crate) fn fill_listener(&mut self, id: SocketId) -> Result<()> {
        let s = self.socks.get_mut(id)?;
        let local = s.local.ok_or(Errno::EINVAL)?;
        let opts = s.opts.clone();
        let (domain, v6only) = (s.domain, s.opts.v6only);
        let State::Listening(l) = &mut s.state else {
            return Ok(());
        };
        let mut pool = core::mem::take(&mut l.pool);
        let links = l.links.clone();
        let backlog = l.backlog;
        let target = backlog.min(self.cfg.listen_pool.max(1));
        let ep = listen_ep(local.ip(), local.port());
        let timeout = Duration::from_millis(self.cfg.connect_timeout_ms);
        let mut result = Ok(());
        // A wildcard listener's stack sockets take either family: reset
        // what this socket cannot carry (IPv6 on AF_INET, IPv4 under
        // IPV6_V6ONLY), as Linux refuses it.
        let mut i = 0;
        while i < pool.len() {
            let remote = self.tcp(pool[i]).remote_endpoint();
            match remote {
                Some(r) if !domain.carries(v6only, &SocketAddr::from(r)) => {
                    let sl = pool.remove(i);
                    self.drop_conn_slot(sl, local.port(), true);
                }
                _ => i += 1,
            }
        }
        // Re-arm pool sockets whose half-made connection died.
        for &slot in &pool {
            let t = self.tcp(slot);
            // Once its RST (if any) is out.
            if t.state() == tcp::State::Closed && t.remote_endpoint().is_none() {
                let _ = t.listen(ep);
            }
        }
        // Handshakes beyond the backlog are held (no SYN-ACK) until
        // `accept` makes room, so clients wait as with Linux's SYN drop;
        // the oldest held ones go first.
        let mut committed = pool
            .iter()
            .filter(|&&sl| acceptable(self.tcp(sl).state()))
            .count();
        for &slot in &pool {
            let t = self.tcp(slot);
            if t.state() == tcp::State::SynReceived {
                let go = committed < backlog;
                t.pause_synack(!go);
                committed += go as usize;
            }
        }
        let hold = committed >= backlog;
        for &slot in &pool {
            let t = self.tcp(slot);
            if t.state() == tcp::State::Listen {
                t.pause_synack(hold);
            }
        }
        // Everything a listener holds: beyond it, SYNs are reset.
        let cap = backlog + 2 * target;
        'links: for link in links {
            let mut armed = pool
                .iter()
                .filter(|&&sl| sl.0 == link && self.tcp(sl).is_listening())
                .count();
            // Shrink back after a burst (re-armed sockets past the target).
            while armed > target {
                let Some(i) = pool
                    .iter()
                    .position(|&sl| sl.0 == link && self.tcp(sl).is_listening())
                else {
                    break;
                };
                let sl = pool.remove(i);
                self.free_slot(sl);
                armed -= 1;
            }
            while armed < target && pool.len() < cap {
                match self.new_tcp(link, opts.rcvbuf, opts.sndbuf) {
                    Ok(slot) => {
                        let t = self.tcp(slot);
                        apply_tcp(t, &opts);
                        // Half-open connections (SYN, no ACK) give up.
                        t.set_timeout(Some(timeout));
                        t.pause_synack(hold);
                        if t.listen(ep).is_err() {
                            self.free_slot(slot);
                            result = Err(Errno::EINVAL);
                            break 'links;
                        }
                        pool.push(slot);
                        armed += 1;
                    }
                    Err(e) => {
                        result = Err(e);
                        break 'links;
                    }
                }
            }
        }
        if let Ok(Sock {
            state: State::Listening(l),
            ..
        }) = self.socks.get_mut(id)
        {
            l.pool = pool;
        }
        // Out of buffers with some sockets armed is not an error.
        match result {
            Err(e) if !self.has_armed(id) => Err(e),
            _ => Ok(()),
        }
    }

    fn has_armed(&mut self, id: SocketId) -> bool {
        let pool = match self.socks.get(id) {
            Ok(Sock {
                state: State::Listening(l),
                ..
            }) => l.pool.clone(),
            _ => return false,
        };
        pool.iter().any(|&sl| self.tcp(sl).is_listening())
    }

    pub(crate) fn maintain_listeners(&mut self) {
        for id in self.listeners.clone() {
            let _ = self.fill_listener(id);
        }
    }

    /// `accept4(flags)`: the next established connection and its peer.
    /// `EAGAIN` if none is waiting, `EINVAL` if not listening or for
    /// unknown flags, `EMFILE` at the socket limit. `SOCK_CLOEXEC` is the
    /// kernel's (fd flag); `SOCK_NONBLOCK` is stored on the new socket.
    /// The peer is shown as [`crate::sockaddr::Domain::present`] says.
    pub fn accept(&mut self, id: SocketId, flags: u32) -> Result<(OwnedSocket, SocketAddr)> {
        if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.sock(id)?;
        if s.ty == SockType::Dgram {
            return Err(Errno::EOPNOTSUPP);
        }
        let State::Listening(l) = &s.state else {
            return Err(Errno::EINVAL);
        };
        let pool = l.pool.clone();
        let inherited_autobound = s.autobound;
        let opts = s.opts.clone();
        let domain = s.domain;
        let Some(idx) = pool.iter().position(|&sl| acceptable(self.tcp(sl).state())) else {
            self.bump_edge(id);
            return Err(Errno::EAGAIN);
        };
        if self.socks.len() >= self.cfg.max_sockets {
            return Err(Errno::EMFILE);
        }
        let slot = pool[idx];
        let t = self.tcp(slot);
        let (Some(remote), Some(localep)) = (t.remote_endpoint(), t.local_endpoint()) else {
            return Err(Errno::EAGAIN);
        };
        let state = t.state();
        t.set_timeout(None);
        t.pause_synack(false);
        let (peer, local) = (SocketAddr::from(remote), SocketAddr::from(localep));
        if let Ok(Sock {
            state: State::Listening(l),
            ..
        }) = self.socks.get_mut(id)
        {
            l.pool.retain(|&sl| sl != slot);
        }
        let mut ns = Sock::new(
            domain,
            SockType::Stream,
            flags & SOCK_NONBLOCK != 0,
            opts.clone(),
        );
        ns.local = Some(local);
        // A port the listener did not choose is not held by the child
        // once its connection ends (Linux: no SOCK_BINDPORT_LOCK).
        ns.autobound = inherited_autobound;
        ns.state = State::Stream(Conn {
            slot,
            peer,
            established: true,
            last: state,
            started_ms: self.now_ms,
            reported: true,
            fin_seen: false,
            held_port: None,
            salvage: Vec::new(),
        });
        let bound = ns.bound_ip(local.ip());
        let nid = self.socks.insert(ns);
        self.ports
            .share(Proto::Tcp, nid, bound, local.port(), opts.reuseaddr);
        let _ = self.fill_listener(id);
        self.refresh(nid);
        Ok((
            OwnedSocket::new(nid, self.dropped.clone()),
            domain.present(peer),
        ))
    }

    /// TCP `connect`: starts the handshake and returns `EINPROGRESS`;
    /// the result comes after polling (see [`NetStack::connect_result`]).
    /// `EALREADY` while connecting, success once when the handshake has
    /// completed, then `EISCONN` (also when listening), `ENETUNREACH` without a route, a pending error
    /// (`ECONNREFUSED` of an earlier attempt) once.
    pub(crate) fn tcp_connect(&mut self, id: SocketId, dst: SocketAddr) -> Result<()> {
        self.refresh(id);
        let s = self.socks.get_mut(id)?;
        match &mut s.state {
            State::Listening(_) => return Err(Errno::EISCONN),
            State::Stream(c) if c.established && !c.reported => {
                c.reported = true;
                s.connecting = false;
                let slot = c.slot;
                let st = self.sets[slot.0 as usize]
                    .get::<tcp::Socket>(slot.1)
                    .state();
                if matches!(st, tcp::State::Closed | tcp::State::TimeWait) {
                    // Made and already gone: Linux reports the error and
                    // disconnects (closed state, shutdown bits cleared).
                    let err = s.error.take().unwrap_or(Errno::ECONNABORTED);
                    let held = c.held_port;
                    let port = held.or(s.local.map(|a| a.port())).unwrap_or(0);
                    if held.is_some() {
                        self.ports.unlinger(port);
                    }
                    s.state = State::Idle;
                    s.shut_rd = false;
                    s.shut_wr = false;
                    self.drop_conn_slot(slot, port, false);
                    self.release_autobind(id);
                    return Err(err);
                }
                return Ok(());
            }
            State::Stream(c) if c.established => return Err(Errno::EISCONN),
            State::Stream(_) => return Err(Errno::EALREADY),
            _ => {}
        }
        if s.disconnecting || s.listener_shut {
            return Err(Errno::EINVAL);
        }
        if core::mem::take(&mut s.connecting) {
            // Linux reports the failure and disconnects (shutdown cleared).
            s.shut_rd = false;
            s.shut_wr = false;
            return Err(s.error.take().unwrap_or(Errno::ECONNABORTED));
        }
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        let ip = unspecified_to_loopback(dst.ip());
        let broadcast = matches!(ip, IpAddr::V4(v4) if v4 == Ipv4Addr::BROADCAST);
        if broadcast || ip.is_multicast() {
            return Err(Errno::ENETUNREACH);
        }
        if dst.port() == 0 {
            return Err(Errno::ECONNREFUSED);
        }
        if let Some(bound) = self.socks.get(id)?.bound_ip {
            Self::check_families(bound, ip)?;
        }
        let link = self.route(ip)?;
        if self.socks.get(id)?.local.is_none() {
            self.autobind(id, Proto::Tcp)?;
        }
        let s = self.socks.get(id)?;
        let local = s.local.ok_or(Errno::EINVAL)?;
        if !local.ip().is_unspecified() && !self.links_for(local.ip())?.contains(&link) {
            return Err(Errno::ENETUNREACH);
        }
        let opts = s.opts.clone();
        let slot = self.new_tcp(link, opts.rcvbuf, opts.sndbuf)?;
        let timeout = Duration::from_millis(self.cfg.connect_timeout_ms);
        let t = self.tcp(slot);
        apply_tcp(t, &opts);
        t.set_timeout(Some(timeout));
        let remote = IpEndpoint::new(ip.into(), dst.port());
        if let Err(e) = self.connect_tcp(slot, remote, listen_ep(local.ip(), local.port())) {
            self.free_slot(slot);
            return Err(e);
        }
        // The source address is fixed now (getsockname shows it).
        let src = if local.ip().is_unspecified() {
            self.source_for(link, ip)
        } else {
            local.ip()
        };
        let now = self.now_ms;
        let s = self.socks.get_mut(id)?;
        s.local = Some(SocketAddr::new(src, local.port()));
        // Shutdown bits stay, as Linux keeps sk_shutdown across connect.
        s.state = State::Stream(Conn {
            slot,
            peer: SocketAddr::new(ip, dst.port()),
            established: false,
            last: tcp::State::SynSent,
            started_ms: now,
            reported: false,
            fin_seen: false,
            held_port: None,
            salvage: Vec::new(),
        });
        s.connecting = true;
        Err(Errno::EINPROGRESS)
    }

    /// The outcome of a connection attempt, for a blocking `connect` after
    /// waiting for writability: `Ok` when connected, `EALREADY` while
    /// still in progress, else the error (`ECONNREFUSED`, `ETIMEDOUT`),
    /// which this clears. UDP sockets: `Ok` (their connect is immediate).
    pub fn connect_result(&mut self, id: SocketId) -> Result<()> {
        self.sock(id)?;
        self.refresh(id);
        let s = self.socks.get_mut(id)?;
        match &mut s.state {
            State::Stream(c) if c.established => {
                c.reported = true;
                s.connecting = false;
                Ok(())
            }
            State::Stream(_) => Err(Errno::EALREADY),
            State::Dgram(_) => Ok(()),
            _ if core::mem::take(&mut s.connecting) => {
                // Linux reports the failure and disconnects.
                s.shut_rd = false;
                s.shut_wr = false;
                Err(s.error.take().unwrap_or(Errno::ECONNABORTED))
            }
            _ => Err(s.error.take().unwrap_or(Errno::ENOTCONN)),
        }
    }

    /// Releases a connection's stack socket: reset if `abort` (or no room
    /// for orphans), else a graceful FIN; it stays as an orphan until
    /// done.
    pub(crate) fn drop_conn_slot(&mut self, slot: Slot, port: u16, abort: bool) {
        let orphan_room = self.orphans.len() < self.cfg.max_orphans;
        let t = self.tcp(slot);
        match t.state() {
            tcp::State::Listen => {
                t.abort();
                self.free_slot(slot);
                return;
            }
            tcp::State::Closed if t.remote_endpoint().is_none() => {
                self.free_slot(slot);
                return;
            }
            _ => {}
        }
        if abort || !orphan_room || t.recv_queue() > 0 {
            t.abort();
        } else {
            t.close();
        }
        self.ports.linger(port);
        self.orphans.push(crate::stack::Orphan {
            slot,
            port,
            since_ms: self.now_ms,
        });
    }

    /// Notices state changes of a socket's connection (made, refused,
    /// reset) and updates its readiness counter.
    pub(crate) fn refresh(&mut self, id: SocketId) {
        let now = self.now_ms;
        let timeout = self.cfg.connect_timeout_ms;
        let mut reset = false;
        let Ok(s) = self.socks.get_mut(id) else {
            return;
        };
        if let State::Stream(c) = &mut s.state {
            let t = self.sets[c.slot.0 as usize].get_mut::<tcp::Socket>(c.slot.1);
            let st = t.state();
            if !c.established {
                match st {
                    tcp::State::SynSent | tcp::State::SynReceived => {}
                    tcp::State::Closed => {
                        let timed_out = now.saturating_sub(c.started_ms) >= timeout;
                        s.error = Some(if timed_out {
                            Errno::ETIMEDOUT
                        } else {
                            Errno::ECONNREFUSED
                        });
                        let slot = c.slot;
                        s.state = State::Idle;
                        // Linux's tcp_done: both directions shut.
                        s.shut_rd = true;
                        s.shut_wr = true;
                        self.free_slot(slot);
                        self.release_autobind(id);
                        self.bump_edge(id);
                        return;
                    }
                    _ => {
                        c.established = true;
                        t.set_timeout(None);
                        if let (Some(l), Some(bound)) = (t.local_endpoint(), s.local.as_mut()) {
                            *bound = SocketAddr::from(l);
                        }
                    }
                }
            } else if st == tcp::State::Closed
                // Closed other than at the end of a normal close: a reset.
                && !matches!(c.last, tcp::State::TimeWait | tcp::State::LastAck | tcp::State::Closed)
            {
                // Linux's tcp_reset: EPIPE if the peer had already closed.
                s.error = Some(if c.last == tcp::State::CloseWait {
                    Errno::EPIPE
                } else {
                    Errno::ECONNRESET
                });
                reset = true;
            }
            c.fin_seen |= peer_closed(st) && st != tcp::State::Closed;
            c.last = st;
        }
        if reset || self.conn_over(id) {
            self.release_autobind(id);
        }
        self.bump_edge(id);
    }

    /// Whether an established connection is over (closed or in TIME-WAIT:
    /// Linux's socket is then in the closed state).
    pub(crate) fn conn_over(&self, id: SocketId) -> bool {
        match self.socks.get(id).map(|s| &s.state) {
            Ok(State::Stream(c)) if c.established => matches!(
                self.sets[c.slot.0 as usize]
                    .get::<tcp::Socket>(c.slot.1)
                    .state(),
                tcp::State::Closed | tcp::State::TimeWait
            ),
            _ => false,
        }
    }

    /// TCP send: bytes queued (`EAGAIN` if the buffer is full, `EPIPE`
    /// after `SHUT_WR` or when the connection is gone or was never made).
    pub(crate) fn tcp_send(&mut self, id: SocketId, data: &[u8]) -> Result<usize> {
        let s = self.socks.get_mut(id)?;
        let slot = match &s.state {
            State::Stream(c) if !c.established => return Err(Errno::EAGAIN),
            State::Stream(c) => c.slot,
            _ => return Err(s.error.take().unwrap_or(Errno::EPIPE)),
        };
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        if s.shut_wr {
            return Err(Errno::EPIPE);
        }
        let t = self.tcp(slot);
        if !t.may_send() {
            return Err(Errno::EPIPE);
        }
        if data.is_empty() {
            return Ok(0);
        }
        match t.send_slice(data) {
            Ok(0) => Err(Errno::EAGAIN),
            Ok(n) => Ok(n),
            Err(_) => Err(Errno::EPIPE),
        }
    }

    /// TCP recv: bytes read (0 at end of stream or after `SHUT_RD`),
    /// `EAGAIN` if none yet, a pending error (`ECONNRESET`) once,
    /// `ENOTCONN` if listening or never connected. Checks run in the
    /// order of Linux's `tcp_recvmsg`.
    pub(crate) fn tcp_recv(&mut self, id: SocketId, buf: &mut [u8], flags: u32) -> Result<usize> {
        if flags & MSG_OOB != 0 {
            return Err(Errno::EINVAL);
        }
        let s = self.socks.get_mut(id)?;
        let (slot, closed) = match &s.state {
            State::Listening(_) => return Err(Errno::ENOTCONN),
            State::Stream(c) if c.established => (Some(c.slot), false),
            State::Stream(_) => (None, false),
            _ => (None, true),
        };
        if let State::Stream(c) = &mut s.state {
            if !c.salvage.is_empty() {
                let n = buf.len().min(c.salvage.len());
                buf[..n].copy_from_slice(&c.salvage[..n]);
                if flags & MSG_PEEK == 0 {
                    c.salvage.drain(..n);
                }
                return Ok(n);
            }
        }
        let (mut fin, mut done) = (false, false);
        if let Some(slot) = slot {
            let t = self.tcp(slot);
            if t.can_recv() {
                let r = if flags & MSG_PEEK != 0 {
                    t.peek_slice(buf)
                } else {
                    t.recv_slice(buf)
                };
                return Ok(r.unwrap_or(0));
            }
            let st = t.state();
            fin = !t.may_recv();
            done = peer_closed(st) && st != tcp::State::Closed;
            if let Ok(Sock {
                state: State::Stream(c),
                ..
            }) = self.socks.get_mut(id)
            {
                c.fin_seen |= done;
                done = c.fin_seen;
            }
        }
        let s = self.socks.get_mut(id)?;
        if done {
            return Ok(0);
        }
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        if s.shut_rd || fin {
            return Ok(0);
        }
        if closed {
            return Err(Errno::ENOTCONN);
        }
        Err(Errno::EAGAIN)
    }

    /// TCP shutdown.
    pub(crate) fn tcp_shutdown(&mut self, id: SocketId, rd: bool, wr: bool) -> Result<()> {
        let s = self.socks.get_mut(id)?;
        match &mut s.state {
            State::Idle => {
                // Linux records the shutdown (poll shows it) and says
                // ENOTCONN.
                if core::mem::take(&mut s.connecting) {
                    s.disconnecting = true;
                }
                s.shut_rd |= rd;
                s.shut_wr |= wr;
                Err(Errno::ENOTCONN)
            }
            State::Listening(_) => {
                if rd {
                    s.listener_shut = true;
                    self.stop_listening(id);
                }
                Ok(())
            }
            State::Stream(c) if !c.established => {
                let slot = c.slot;
                s.connecting = false;
                s.state = State::Idle;
                self.free_slot(slot);
                self.release_autobind(id);
                Ok(())
            }
            State::Stream(c) => {
                let slot = c.slot;
                // Linux marks the socket connected here (connect: EISCONN).
                c.reported = true;
                s.connecting = false;
                s.shut_rd |= rd;
                let st = self.sets[slot.0 as usize]
                    .get::<tcp::Socket>(slot.1)
                    .state();
                if matches!(st, tcp::State::Closed | tcp::State::TimeWait) {
                    // The connection is over (Linux: TCP_CLOSE).
                    s.shut_wr |= wr;
                    return Err(Errno::ENOTCONN);
                }
                if wr && !s.shut_wr {
                    s.shut_wr = true;
                    self.tcp(slot).close();
                }
                if rd && !self.rd_shut.contains(&id) {
                    self.rd_shut.push(id);
                }
                Ok(())
            }
            State::Dgram(_) => Err(Errno::EOPNOTSUPP),
        }
    }

    /// Readiness of a TCP socket.
    pub(crate) fn tcp_readiness(&mut self, id: SocketId) -> u16 {
        let Ok(s) = self.socks.get(id) else {
            return POLLNVAL;
        };
        let err = if s.error.is_some() { POLLERR } else { 0 };
        let (mut rcv_shut, mut snd_shut) = (s.shut_rd, s.shut_wr);
        // What Linux's tcp_poll looks at: closed state, shutdown bits (a
        // peer FIN sets the receive one, a reset both), readable data,
        // send space.
        let (closed, data, space) = match &s.state {
            State::Listening(l) => {
                let pool = l.pool.clone();
                let ready = pool.iter().any(|&sl| acceptable(self.tcp(sl).state()));
                return if ready { POLLIN | POLLRDNORM } else { 0 };
            }
            State::Stream(c) if !c.established => return err,
            State::Idle => (true, false, true),
            State::Stream(c) => {
                let salvage = !c.salvage.is_empty();
                let t = self.tcp(c.slot);
                let closed = t.state() == tcp::State::Closed;
                rcv_shut |= peer_closed(t.state());
                snd_shut |= closed;
                (
                    closed,
                    salvage || t.can_recv(),
                    t.send_queue() < t.send_capacity(),
                )
            }
            State::Dgram(_) => return POLLNVAL,
        };
        let mut ev = err;
        if (rcv_shut && snd_shut) || closed {
            ev |= POLLHUP;
        }
        if rcv_shut {
            ev |= POLLIN | POLLRDNORM | POLLRDHUP;
        }
        if data {
            ev |= POLLIN | POLLRDNORM;
        }
        if snd_shut || space {
            ev |= POLLOUT | POLLWRNORM;
        }
        ev
    }

    /// Bytes waiting to be read (`FIONREAD`) / sent (`SIOCOUTQ`).
    pub(crate) fn tcp_queues(&mut self, id: SocketId) -> Result<(usize, usize)> {
        let s = self.socks.get(id)?;
        match &s.state {
            State::Stream(c) => {
                let (slot, extra) = (c.slot, c.salvage.len());
                let t = self.tcp(slot);
                Ok((t.recv_queue() + extra, t.send_queue()))
            }
            State::Listening(_) => Err(Errno::EINVAL),
            _ => Ok((0, 0)),
        }
    }
}
