//! The stack: smoltcp interfaces (loopback and an optional device), their
//! socket sets, the socket table, and polling.

use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smoltcp::iface::{Config, Interface, PollIngressSingleResult, PollResult, Route, SocketSet};
use smoltcp::phy::Device;
use smoltcp::socket::{tcp, udp, Socket};
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};

use crate::config::{ExternalConfig, NetConfig};
use crate::device::{LoopDevice, NullDevice};
use crate::errno::{Errno, Result};
use crate::ports::Ports;
use crate::socket::{LinkId, Slot, Sock, State};
use crate::table::{DropQueue, SocketId, Table};

/// Loopback address.
pub const LOCALHOST: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

/// Where a connection to a wildcard address goes (Linux: the loopback
/// address of its family).
pub(crate) fn unspecified_to_loopback(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

/// Rounds of interface polling per [`NetStack::poll`] call at most (each
/// round moves every queued loopback packet one hop).
const MAX_ROUNDS: usize = 64;

/// The external interface: smoltcp interface, device, addresses.
pub(crate) struct External<D> {
    pub iface: Interface,
    pub dev: D,
    pub cfg: ExternalConfig,
}

/// A closed TCP connection still finishing (FIN handshake, TIME-WAIT, or
/// a pending RST).
/// How long a port stays out of use after its connection entered
/// TIME-WAIT (Linux's 60 s).
const TIME_WAIT_MS: u64 = 60_000;

pub(crate) struct Orphan {
    pub slot: Slot,
    pub port: u16,
    pub since_ms: u64,
}

/// Counters for leak checks and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetStats {
    /// Open sockets (handles not yet closed).
    pub sockets: usize,
    /// smoltcp sockets in all sets (open sockets' plus orphans').
    pub stack_sockets: usize,
    /// Closed connections still finishing.
    pub orphans: usize,
    /// Bytes held by socket buffers.
    pub buffer_bytes: usize,
    /// Bound (protocol, port) pairs.
    pub bound_ports: usize,
}

/// The network stack. Not internally locked: the kernel keeps it behind
/// one lock, calls [`NetStack::poll`] after socket calls and from a timer
/// or NIC bottom half (never from an interrupt that may have interrupted
/// a holder of that lock).
pub struct NetStack<D: Device = NullDevice> {
    pub(crate) cfg: NetConfig,
    pub(crate) lo_iface: Interface,
    pub(crate) lo_dev: LoopDevice,
    pub(crate) ext: Option<External<D>>,
    /// Socket sets, indexed by [`LinkId`].
    pub(crate) sets: [SocketSet<'static>; 2],
    pub(crate) socks: Table<Sock>,
    pub(crate) ports: Ports,
    pub(crate) orphans: Vec<Orphan>,
    /// Ports of connections in TIME-WAIT, kept from reuse until the
    /// deadline (ms); the connections themselves are gone.
    pub(crate) time_wait: Vec<(u16, u64)>,
    /// Connections with `SHUT_RD` (watched for data after their FIN).
    pub(crate) rd_shut: Vec<SocketId>,
    /// Listening sockets (their pools are refilled after every poll round).
    pub(crate) listeners: Vec<SocketId>,
    pub(crate) dropped: DropQueue,
    pub(crate) now_ms: u64,
    last_maintain_ms: u64,
    pub(crate) buf_bytes: usize,
}

impl NetStack<NullDevice> {
    /// A stack with only the loopback interface (127.0.0.1/8).
    pub fn new(cfg: NetConfig) -> Self {
        Self::build(cfg, None)
    }
}

impl<D: Device> NetStack<D> {
    /// Loopback only, for a kernel whose device type is fixed at build
    /// time but which found no NIC at boot.
    pub fn without_device(cfg: NetConfig) -> Self {
        Self::build(cfg, None)
    }

    /// A stack with loopback plus an interface over `dev`.
    pub fn with_device(cfg: NetConfig, dev: D, ext: ExternalConfig) -> Result<Self> {
        if ext.addr.is_unspecified() || ext.addr.is_loopback() || ext.prefix_len > 32 {
            return Err(Errno::EINVAL);
        }
        // smoltcp panics on a multicast/broadcast MAC, and the medium must
        // match the device.
        match (ext.hardware, dev.capabilities().medium) {
            (HardwareAddress::Ethernet(mac), smoltcp::phy::Medium::Ethernet)
                if mac.is_unicast() => {}
            (HardwareAddress::Ip, smoltcp::phy::Medium::Ip) => {}
            _ => return Err(Errno::EINVAL),
        }
        Ok(Self::build(cfg, Some((dev, ext))))
    }

    fn build(cfg: NetConfig, ext: Option<(D, ExternalConfig)>) -> Self {
        let now = Instant::from_millis(0);
        let mut lo_dev = LoopDevice::new();
        let mut lc = Config::new(HardwareAddress::Ip);
        lc.random_seed = cfg.random_seed;
        let mut lo_iface = Interface::new(lc, &mut lo_dev, now);
        let ext_addr = ext.as_ref().map(|(_, e)| e.addr);
        // All of 127/8 is local, as on Linux: accept it through AnyIP with
        // a route via 127.0.0.1.
        lo_iface.set_any_ip(true);
        lo_iface.routes_mut().update(|r| {
            let _ = r.push(Route {
                cidr: IpCidr::new(IpAddress::Ipv4(Ipv4Addr::new(127, 0, 0, 0)), 8),
                via_router: IpAddress::Ipv4(LOCALHOST),
                preferred_until: None,
                expires_at: None,
            });
        });
        lo_iface.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::new(IpAddress::Ipv4(LOCALHOST), 8));
            let _ = a.push(IpCidr::new(IpAddress::Ipv6(Ipv6Addr::LOCALHOST), 128));
            // Traffic to our own external address stays on loopback.
            if let Some(x) = ext_addr {
                let _ = a.push(IpCidr::new(IpAddress::Ipv4(x), 32));
            }
        });
        let ext = ext.map(|(mut dev, e)| {
            let mut c = Config::new(e.hardware);
            c.random_seed = cfg.random_seed ^ 0x9e37_79b9_7f4a_7c15;
            let mut iface = Interface::new(c, &mut dev, now);
            iface.update_ip_addrs(|a| {
                let _ = a.push(IpCidr::new(IpAddress::Ipv4(e.addr), e.prefix_len));
            });
            if let Some(gw) = e.gateway {
                let _ = iface.routes_mut().add_default_ipv4_route(gw);
            }
            External { iface, dev, cfg: e }
        });
        let ports = Ports::new(cfg.ephemeral_ports, cfg.random_seed);
        NetStack {
            cfg,
            lo_iface,
            lo_dev,
            ext,
            sets: [SocketSet::new(vec![]), SocketSet::new(vec![])],
            socks: Table::new(),
            ports,
            orphans: Vec::new(),
            time_wait: Vec::new(),
            listeners: Vec::new(),
            rd_shut: Vec::new(),
            dropped: DropQueue::default(),
            now_ms: 0,
            last_maintain_ms: 0,
            buf_bytes: 0,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &NetConfig {
        &self.cfg
    }

    /// The external interface's address, if there is one.
    pub fn external_addr(&self) -> Option<Ipv4Addr> {
        self.ext.as_ref().map(|e| e.cfg.addr)
    }

    /// Moves packets: polls every interface until the loopback is quiet,
    /// then updates socket states (connections made or refused, resets,
    /// listener pools, finished orphans). `now_ms` is a monotonic clock in
    /// milliseconds. Returns whether anything changed (wake waiters).
    pub fn poll(&mut self, now_ms: u64) -> bool {
        self.now_ms = self.now_ms.max(now_ms);
        self.close_dropped();
        let ts = Instant::from_millis(self.now_ms as i64);
        let mut any = false;
        self.lo_iface.poll_maintenance(ts);
        if let Some(e) = self.ext.as_mut() {
            e.iface.poll_maintenance(ts);
        }
        for _ in 0..MAX_ROUNDS {
            let mut changed = self.poll_link(LinkId::Lo, ts);
            if self.ext.is_some() {
                changed |= self.poll_link(LinkId::Ext, ts);
            }
            let sent = self.lo_dev.take_sent();
            any |= changed;
            if changed {
                self.reset_on_data_after_close();
                self.deliver_unreachable();
            }
            if !changed && !sent {
                break;
            }
        }
        // Timers (TIME-WAIT expiry, timeouts) change states silently:
        // look at every socket at least every 100 ms.
        if any || self.now_ms >= self.last_maintain_ms + 100 {
            self.last_maintain_ms = self.now_ms;
            self.maintain();
        }
        any
    }

    /// One pass over a link: every received packet (listener pools are
    /// re-armed after each, so a burst of SYNs finds listening sockets),
    /// then everything the sockets have to send.
    fn poll_link(&mut self, link: LinkId, ts: Instant) -> bool {
        let mut changed = false;
        loop {
            let [lo_set, ext_set] = &mut self.sets;
            let r = match (link, self.ext.as_mut()) {
                (LinkId::Lo, _) => self
                    .lo_iface
                    .poll_ingress_single(ts, &mut self.lo_dev, lo_set),
                (LinkId::Ext, Some(e)) => e.iface.poll_ingress_single(ts, &mut e.dev, ext_set),
                (LinkId::Ext, None) => return changed,
            };
            match r {
                PollIngressSingleResult::None => break,
                PollIngressSingleResult::PacketProcessed => {}
                PollIngressSingleResult::SocketStateChanged => {
                    changed = true;
                    if !self.listeners.is_empty() {
                        self.maintain_listeners();
                    }
                }
            }
        }
        loop {
            let [lo_set, ext_set] = &mut self.sets;
            let r = match (link, self.ext.as_mut()) {
                (LinkId::Lo, _) => self.lo_iface.poll_egress(ts, &mut self.lo_dev, lo_set),
                (LinkId::Ext, Some(e)) => e.iface.poll_egress(ts, &mut e.dev, ext_set),
                (LinkId::Ext, None) => return changed,
            };
            if r == PollResult::None {
                break;
            }
            changed = true;
        }
        changed
    }

    /// Milliseconds until [`NetStack::poll`] should run again for timers
    /// (retransmission, delayed ACK, the end of TIME-WAIT), `None` if only new
    /// packets or calls can change anything.
    pub fn poll_delay(&mut self, now_ms: u64) -> Option<u64> {
        let ts = Instant::from_millis(now_ms as i64);
        let mut d = self
            .lo_iface
            .poll_delay(ts, &self.sets[0])
            .map(|d| d.total_millis());
        if let Some(e) = self.ext.as_mut() {
            if let Some(x) = e.iface.poll_delay(ts, &self.sets[1]) {
                d = Some(d.map_or(x.total_millis(), |y| y.min(x.total_millis())));
            }
        }
        // Orphans past their deadline are reset by `poll`; closed ones are
        // reaped by it.
        let timeout = self.cfg.orphan_timeout_ms;
        for o in &self.orphans {
            let due = (o.since_ms + timeout + 1).saturating_sub(now_ms).max(1);
            d = Some(d.map_or(due, |y| y.min(due)));
        }
        // Ports in TIME-WAIT come back when `poll` runs after the deadline.
        for &(_, until) in &self.time_wait {
            let due = until.saturating_sub(now_ms).max(1);
            d = Some(d.map_or(due, |y| y.min(due)));
        }
        d
    }

    /// Counters (for leak checks).
    pub fn stats(&self) -> NetStats {
        NetStats {
            sockets: self.socks.len(),
            stack_sockets: self.sets[0].iter().count() + self.sets[1].iter().count(),
            orphans: self.orphans.len(),
            buffer_bytes: self.buf_bytes,
            bound_ports: self.ports.bound(),
        }
    }

    /// Closes sockets whose [`crate::OwnedSocket`] was dropped.
    pub(crate) fn close_dropped(&mut self) {
        let ids: Vec<SocketId> = core::mem::take(&mut *self.dropped.lock());
        for id in ids {
            let _ = self.close_id(id);
        }
    }

    /// After a poll: per-socket state changes, orphans, edge counters.
    fn maintain(&mut self) {
        for id in self.socks.ids() {
            self.refresh(id);
        }
        self.maintain_listeners();
        self.reap_orphans();
    }

    /// Data arriving for a socket whose receive side is shut while its FIN
    /// is out (closed by the user, or `shutdown(SHUT_RDWR)`) is answered
    /// with a reset, as Linux does (RFC 1122: nobody will read it).
    fn reset_on_data_after_close(&mut self) {
        for o in &self.orphans {
            let s = self.sets[o.slot.0 as usize].get_mut::<tcp::Socket>(o.slot.1);
            if s.recv_queue() > 0 && s.state() != tcp::State::Closed {
                s.abort();
            }
        }
        let sets = &mut self.sets;
        let mut salvaged: Vec<(SocketId, Vec<u8>)> = Vec::new();
        self.rd_shut.retain(|&id| {
            let Ok(sock) = self.socks.get(id) else {
                return false;
            };
            let State::Stream(c) = &sock.state else {
                return false;
            };
            let t = sets[c.slot.0 as usize].get_mut::<tcp::Socket>(c.slot.1);
            match t.state() {
                tcp::State::FinWait1 | tcp::State::FinWait2 => {
                    if t.recv_queue() > sock.edge.rx {
                        // What was there before stays readable; the new
                        // data is discarded with the connection.
                        let mut keep = vec![0u8; sock.edge.rx];
                        let mut got = 0;
                        while got < keep.len() {
                            match t.recv_slice(&mut keep[got..]) {
                                Ok(n) if n > 0 => got += n,
                                _ => break,
                            }
                        }
                        keep.truncate(got);
                        while t.recv_queue() > 0 {
                            if t.recv(|b| (b.len(), ())).is_err() {
                                break;
                            }
                        }
                        t.abort();
                        salvaged.push((id, keep));
                        return false;
                    }
                    true
                }
                tcp::State::Established => true,
                _ => false,
            }
        });
        for (id, keep) in salvaged {
            if let Ok(Sock {
                state: State::Stream(c),
                ..
            }) = self.socks.get_mut(id)
            {
                c.salvage = keep;
            }
        }
    }

    /// ICMP port unreachable for a datagram from a connected UDP socket to
    /// its peer: `ECONNREFUSED` on that socket (Linux reports these to
    /// connected sockets only).
    fn deliver_unreachable(&mut self) {
        if self.lo_dev.unreachable.is_empty() {
            return;
        }
        let errs = core::mem::take(&mut self.lo_dev.unreachable);
        for id in self.socks.ids() {
            let Ok(s) = self.socks.get_mut(id) else {
                continue;
            };
            let State::Dgram(d) = &s.state else { continue };
            let (Some(peer), Some(local)) = (d.peer, s.local) else {
                continue;
            };
            if errs
                .iter()
                .any(|(from, to)| *to == peer && from.port() == local.port())
            {
                s.error = Some(Errno::ECONNREFUSED);
            }
        }
    }

    fn reap_orphans(&mut self) {
        let now = self.now_ms;
        let ports = &mut self.ports;
        self.time_wait.retain(|&(port, until)| {
            let waiting = now < until;
            if !waiting {
                ports.unlinger(port);
            }
            waiting
        });
        let timeout = self.cfg.orphan_timeout_ms;
        let mut i = 0;
        while i < self.orphans.len() {
            let o = &self.orphans[i];
            let s = self.sets[o.slot.0 as usize].get_mut::<tcp::Socket>(o.slot.1);
            let done = s.state() == tcp::State::Closed && s.remote_endpoint().is_none();
            let time_wait = s.state() == tcp::State::TimeWait;
            if !done
                && !time_wait
                && now.saturating_sub(o.since_ms) > timeout
                && s.state() != tcp::State::Closed
            {
                // Half-open or stuck: reset it; reaped once the RST is out.
                s.abort();
            }
            if done || time_wait {
                let o = self.orphans.swap_remove(i);
                if time_wait {
                    // As Linux's time-wait sockets, TIME-WAIT keeps only
                    // the port, not the buffers (a late segment for it is
                    // answered with a reset).
                    self.time_wait.push((o.port, now + TIME_WAIT_MS));
                } else {
                    self.ports.unlinger(o.port);
                }
                self.free_slot(o.slot);
            } else {
                i += 1;
            }
        }
    }

    /// Which link reaches `dst` (127/8, ::1 and our own address: loopback;
    /// the external link has IPv4 only).
    pub(crate) fn route(&self, dst: IpAddr) -> Result<LinkId> {
        let dst = match dst {
            IpAddr::V4(v4) => v4,
            IpAddr::V6(v6) if v6.is_loopback() => return Ok(LinkId::Lo),
            IpAddr::V6(_) => return Err(Errno::ENETUNREACH),
        };
        if dst.is_loopback() || self.external_addr() == Some(dst) {
            return Ok(LinkId::Lo);
        }
        match &self.ext {
            Some(e) if e.cfg.reaches(dst) => Ok(LinkId::Ext),
            _ => Err(Errno::ENETUNREACH),
        }
    }

    /// A socket bound to a specific address of one family cannot reach
    /// the other: Linux says `ENETUNREACH` for IPv4 from an IPv6 address,
    /// `EAFNOSUPPORT` for IPv6 from an IPv4(-mapped) one.
    pub(crate) fn check_families(local: IpAddr, dst: IpAddr) -> Result<()> {
        match (local, dst) {
            _ if local.is_unspecified() => Ok(()),
            (IpAddr::V6(_), IpAddr::V4(_)) => Err(Errno::ENETUNREACH),
            (IpAddr::V4(_), IpAddr::V6(_)) => Err(Errno::EAFNOSUPPORT),
            _ => Ok(()),
        }
    }

    /// Links a socket bound to `ip` receives on; `EADDRNOTAVAIL` if `ip`
    /// is not one of ours. A wildcard of either family is every link.
    pub(crate) fn links_for(&self, ip: IpAddr) -> Result<Vec<LinkId>> {
        let everywhere =
            ip.is_unspecified() || matches!(ip, IpAddr::V4(v4) if Some(v4) == self.external_addr());
        if everywhere {
            let mut v = vec![LinkId::Lo];
            if self.ext.is_some() {
                v.push(LinkId::Ext);
            }
            Ok(v)
        } else if ip.is_loopback() {
            Ok(vec![LinkId::Lo])
        } else {
            Err(Errno::EADDRNOTAVAIL)
        }
    }

    /// The source address a link uses towards `dst`.
    pub(crate) fn source_for(&self, link: LinkId, dst: IpAddr) -> IpAddr {
        match (link, &self.ext, dst) {
            (_, _, IpAddr::V6(_)) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            (LinkId::Ext, Some(e), _) => IpAddr::V4(e.cfg.addr),
            (_, _, IpAddr::V4(v4)) if Some(v4) == self.external_addr() => dst,
            _ => IpAddr::V4(LOCALHOST),
        }
    }

    /// Reserves buffer bytes or gives `ENOBUFS`.
    fn reserve(&mut self, bytes: usize) -> Result<()> {
        let total = self.buf_bytes.checked_add(bytes).ok_or(Errno::ENOBUFS)?;
        if total > self.cfg.max_buffer_bytes {
            return Err(Errno::ENOBUFS);
        }
        self.buf_bytes = total;
        Ok(())
    }

    /// A new TCP stack socket on `link` with the given buffer sizes.
    pub(crate) fn new_tcp(&mut self, link: LinkId, rx: usize, tx: usize) -> Result<Slot> {
        self.reserve(rx + tx)?;
        let bufs = zeroed(rx, 0u8).and_then(|r| Ok((r, zeroed(tx, 0u8)?)));
        let Ok((rxb, txb)) = bufs else {
            self.buf_bytes -= rx + tx;
            return Err(Errno::ENOBUFS);
        };
        let mut s = tcp::Socket::new(tcp::SocketBuffer::new(rxb), tcp::SocketBuffer::new(txb));
        if link == LinkId::Lo {
            // Loopback has no wire latency to save: acknowledge at once.
            s.set_ack_delay(None);
        }
        Ok((link, self.sets[link as usize].add(s)))
    }

    /// A new UDP stack socket on `link`.
    pub(crate) fn new_udp(&mut self, link: LinkId, bytes: usize) -> Result<Slot> {
        let n = self.cfg.udp_packets.max(1);
        self.reserve(2 * bytes)?;
        let meta = udp::PacketMetadata::EMPTY;
        let bufs = (|| -> Result<_> {
            Ok((
                zeroed(n, meta)?,
                zeroed(bytes, 0u8)?,
                zeroed(n, meta)?,
                zeroed(bytes, 0u8)?,
            ))
        })();
        let Ok((rm, rb, tm, tb)) = bufs else {
            self.buf_bytes -= 2 * bytes;
            return Err(Errno::ENOBUFS);
        };
        let rx = udp::PacketBuffer::new(rm, rb);
        let tx = udp::PacketBuffer::new(tm, tb);
        Ok((link, self.sets[link as usize].add(udp::Socket::new(rx, tx))))
    }

    /// Removes a stack socket and releases its buffer bytes.
    pub(crate) fn free_slot(&mut self, slot: Slot) {
        let bytes = match self.sets[slot.0 as usize].remove(slot.1) {
            Socket::Tcp(s) => s.recv_capacity() + s.send_capacity(),
            Socket::Udp(s) => s.payload_recv_capacity() + s.payload_send_capacity(),
            #[allow(unreachable_patterns)]
            _ => 0,
        };
        self.buf_bytes = self.buf_bytes.saturating_sub(bytes);
    }

    pub(crate) fn tcp(&mut self, slot: Slot) -> &mut tcp::Socket<'static> {
        self.sets[slot.0 as usize].get_mut::<tcp::Socket>(slot.1)
    }

    pub(crate) fn udp(&mut self, slot: Slot) -> &mut udp::Socket<'static> {
        self.sets[slot.0 as usize].get_mut::<udp::Socket>(slot.1)
    }

    /// Looks a socket up, after closing dropped handles.
    pub(crate) fn sock(&mut self, id: SocketId) -> Result<&mut Sock> {
        self.close_dropped();
        self.socks.get_mut(id)
    }

    /// Starts a TCP handshake on a stack socket through its link's
    /// interface.
    pub(crate) fn connect_tcp(
        &mut self,
        slot: Slot,
        remote: smoltcp::wire::IpEndpoint,
        local: smoltcp::wire::IpListenEndpoint,
    ) -> Result<()> {
        let (link, h) = slot;
        let [lo_set, ext_set] = &mut self.sets;
        let r = match link {
            LinkId::Lo => {
                lo_set
                    .get_mut::<tcp::Socket>(h)
                    .connect(self.lo_iface.context(), remote, local)
            }
            LinkId::Ext => match self.ext.as_mut() {
                Some(e) => {
                    ext_set
                        .get_mut::<tcp::Socket>(h)
                        .connect(e.iface.context(), remote, local)
                }
                None => return Err(Errno::ENETUNREACH),
            },
        };
        r.map_err(|e| match e {
            tcp::ConnectError::InvalidState => Errno::EISCONN,
            tcp::ConnectError::Unaddressable => Errno::ECONNREFUSED,
        })
    }
}

/// A buffer of `n` copies of `v`, or `ENOBUFS` if the heap cannot hold it
/// (socket buffers are the big allocations: they must not abort the
/// kernel).
fn zeroed<T: Clone>(n: usize, v: T) -> Result<Vec<T>> {
    let mut b = Vec::new();
    b.try_reserve_exact(n).map_err(|_| Errno::ENOBUFS)?;
    b.resize(n, v);
    Ok(b)
}
