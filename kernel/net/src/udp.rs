//! UDP: one stack socket per link the socket is bound on, datagram
//! send/receive with boundaries kept, connected-peer filtering.

use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use smoltcp::phy::Device;
use smoltcp::socket::udp;
use smoltcp::wire::IpEndpoint;

use crate::abi::*;
use crate::errno::{Errno, Result};
use crate::ports::Proto;
use crate::socket::{LinkId, Slot, State};
use crate::stack::{unspecified_to_loopback, NetStack};
use crate::table::SocketId;
use crate::tcp::listen_ep;

/// Largest UDP payload over IPv4 (also applied to IPv6, where Linux
/// allows 65527).
pub const MAX_UDP_PAYLOAD: usize = 65507;

/// What a receive returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvInfo {
    /// Bytes copied into the buffer.
    pub len: usize,
    /// The datagram's full length (UDP; equals `len` for TCP).
    pub full_len: usize,
    /// The sender (UDP; for TCP the kernel may use `getpeername`), as
    /// the socket's user sees it (IPv4-mapped on an `AF_INET6` socket).
    pub from: Option<SocketAddr>,
}

impl RecvInfo {
    /// The syscall's return value: the full length with `MSG_TRUNC` in
    /// `flags` (Linux UDP), else the bytes copied.
    pub fn ret(&self, flags: u32) -> usize {
        if flags & MSG_TRUNC != 0 {
            self.full_len
        } else {
            self.len
        }
    }

    /// `msg_flags` for recvmsg: `MSG_TRUNC` when the datagram was cut.
    pub fn msg_flags(&self) -> u32 {
        if self.full_len > self.len {
            MSG_TRUNC
        } else {
            0
        }
    }
}

fn is_broadcast(ip: Ipv4Addr, ext: Option<(Ipv4Addr, u8)>) -> bool {
    if ip.is_broadcast() {
        return true;
    }
    match ext {
        Some((a, p)) if p < 31 => {
            let host = u32::MAX >> p;
            u32::from(ip) & host == host && (u32::from(ip) & !host) == (u32::from(a) & !host)
        }
        _ => false,
    }
}

impl<D: Device> NetStack<D> {
    /// Creates and binds the stack sockets of a UDP socket bound to
    /// `local`.
    pub(crate) fn udp_open(&mut self, id: SocketId, local: SocketAddr) -> Result<()> {
        let links = self.bind_links(id, local.ip())?;
        let s = self.socks.get(id)?;
        let (bytes, ttl) = (s.opts.rcvbuf.max(s.opts.sndbuf), s.opts.ttl);
        let ep = listen_ep(local.ip(), local.port());
        let mut slots: Vec<Slot> = Vec::new();
        for link in links {
            let slot = match self.new_udp(link, bytes) {
                Ok(sl) => sl,
                Err(e) => {
                    for sl in slots {
                        self.free_slot(sl);
                    }
                    return Err(e);
                }
            };
            let u = self.udp(slot);
            u.set_hop_limit(Some(ttl));
            if u.bind(ep).is_err() {
                self.free_slot(slot);
                for sl in slots {
                    self.free_slot(sl);
                }
                return Err(Errno::EINVAL);
            }
            slots.push(slot);
        }
        if let State::Dgram(d) = &mut self.socks.get_mut(id)?.state {
            d.slots = slots;
        }
        Ok(())
    }

    /// The source address a UDP socket is held to: the one it was bound
    /// to, else the one `connect` chose (Linux keeps it as the receive
    /// address until the association is dissolved).
    fn udp_source(&mut self, id: SocketId) -> Result<Option<IpAddr>> {
        let s = self.socks.get(id)?;
        Ok(s.bound_ip.or(match &s.state {
            State::Dgram(d) => d.src,
            _ => None,
        }))
    }

    /// UDP `connect`: sets (or with `None`, dissolves) the default peer.
    pub(crate) fn udp_connect(&mut self, id: SocketId, dst: Option<SocketAddr>) -> Result<()> {
        let Some(dst) = dst else {
            if let State::Dgram(d) = &mut self.socks.get_mut(id)?.state {
                d.peer = None;
                d.src = None;
            }
            return Ok(());
        };
        let ip = unspecified_to_loopback(dst.ip());
        if self.socks.get(id)?.local.is_none() {
            self.autobind(id, Proto::Udp)?;
        }
        if let Some(fixed) = self.udp_source(id)? {
            Self::check_families(fixed, ip)?;
        }
        let link = self.route(ip)?;
        let src = self.source_for(link, ip);
        // What is queued now arrived under the old rules: keep it.
        self.udp_drop_strangers(id);
        let s = self.socks.get(id)?;
        let (domain, v6only) = (s.domain, s.opts.v6only);
        let slots = match &s.state {
            State::Dgram(d) => d.slots.clone(),
            _ => Vec::new(),
        };
        let mut early = Vec::new();
        for slot in slots {
            let u = self.udp(slot);
            while let Ok((data, meta)) = u.recv() {
                let from = SocketAddr::from(meta.endpoint);
                if domain.carries(v6only, &from) {
                    early.push((data.to_vec(), from));
                }
            }
        }
        let s = self.socks.get_mut(id)?;
        let local_ip = s.local.map_or(s.domain.unspecified(), |a| a.ip());
        if let State::Dgram(d) = &mut s.state {
            d.early.extend(early);
            d.peer = Some(SocketAddr::new(ip, dst.port()));
            d.src = Some(if local_ip.is_unspecified() {
                src
            } else {
                local_ip
            });
        }
        Ok(())
    }

    /// UDP send of one datagram to `dest` or the connected peer.
    pub(crate) fn udp_send(
        &mut self,
        id: SocketId,
        data: &[u8],
        dest: Option<SocketAddr>,
    ) -> Result<usize> {
        // Linux binds an unbound sender before anything else is checked.
        if self.socks.get(id)?.local.is_none() {
            self.autobind(id, Proto::Udp)?;
        }
        let s = self.socks.get_mut(id)?;
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        if s.shut_wr {
            return Err(Errno::EPIPE);
        }
        let State::Dgram(d) = &s.state else {
            return Err(Errno::EINVAL);
        };
        let dst = dest.or(d.peer).ok_or(Errno::EDESTADDRREQ)?;
        let broadcast_ok = s.opts.broadcast;
        let ip = unspecified_to_loopback(dst.ip());
        if let Some(fixed) = self.udp_source(id)? {
            Self::check_families(fixed, ip)?;
        }
        if dst.port() == 0 {
            return Err(Errno::EINVAL);
        }
        let ext = self.ext.as_ref().map(|e| (e.cfg.addr, e.cfg.prefix_len));
        let link = if matches!(ip, IpAddr::V4(v4) if is_broadcast(v4, ext)) {
            if !broadcast_ok {
                return Err(Errno::EACCES);
            }
            if ext.is_none() {
                return Err(Errno::ENETUNREACH);
            }
            LinkId::Ext
        } else {
            self.route(ip)?
        };
        let mtu_payload = match (link, &self.ext) {
            (LinkId::Ext, Some(e)) => {
                let mtu = e.dev.capabilities().max_transmission_unit;
                let hdr = if e.cfg.hardware == smoltcp::wire::HardwareAddress::Ip {
                    28
                } else {
                    42
                };
                mtu.saturating_sub(hdr)
            }
            _ => MAX_UDP_PAYLOAD,
        };
        if data.len() > MAX_UDP_PAYLOAD.min(mtu_payload) {
            return Err(Errno::EMSGSIZE);
        }
        let slot = match &self.socks.get(id)?.state {
            State::Dgram(d) => d.slots.iter().copied().find(|sl| sl.0 == link),
            _ => None,
        };
        // Bound to an address of the other interface.
        let slot = slot.ok_or(Errno::EINVAL)?;
        let u = self.udp(slot);
        if data.len() > u.payload_send_capacity() {
            return Err(Errno::EMSGSIZE);
        }
        let ep = IpEndpoint::new(ip.into(), dst.port());
        match u.send_slice(data, ep) {
            Ok(()) => Ok(data.len()),
            Err(udp::SendError::BufferFull) => Err(Errno::EAGAIN),
            Err(udp::SendError::Unaddressable) => Err(Errno::EINVAL),
        }
    }

    /// UDP receive of one datagram (cut to `buf`, the rest discarded
    /// unless `MSG_PEEK`).
    pub(crate) fn udp_recv(
        &mut self,
        id: SocketId,
        buf: &mut [u8],
        flags: u32,
    ) -> Result<RecvInfo> {
        if flags & MSG_OOB != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let s = self.socks.get_mut(id)?;
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        let (domain, v6only) = (s.domain, s.opts.v6only);
        // Linux: a non-blocking receive says EAGAIN even after SHUT_RD; a
        // blocking one returns 0 instead of waiting.
        let shut_rd = s.shut_rd && !s.nonblocking && flags & MSG_DONTWAIT == 0;
        let State::Dgram(d) = &mut s.state else {
            return Err(Errno::EINVAL);
        };
        if let Some((data, from)) = d.early.front() {
            let (n, full, from) = (buf.len().min(data.len()), data.len(), *from);
            buf[..n].copy_from_slice(&data[..n]);
            if flags & MSG_PEEK == 0 {
                d.early.pop_front();
            }
            return Ok(RecvInfo {
                len: n,
                full_len: full,
                from: Some(domain.present(from)),
            });
        }
        let (slots, peer) = (d.slots.clone(), d.peer);
        for slot in slots {
            let u = self.udp(slot);
            while let Ok((data, meta)) = u.peek() {
                let (from, full) = (SocketAddr::from(meta.endpoint), data.len());
                if !domain.carries(v6only, &from) || peer.is_some_and(|p| p != from) {
                    let _ = u.recv();
                    continue;
                }
                let (data, _) = if flags & MSG_PEEK != 0 {
                    let (d, m) = u.peek().map_err(|_| Errno::EAGAIN)?;
                    (d, *m)
                } else {
                    u.recv().map_err(|_| Errno::EAGAIN)?
                };
                let n = buf.len().min(data.len());
                buf[..n].copy_from_slice(&data[..n]);
                return Ok(RecvInfo {
                    len: n,
                    full_len: full,
                    from: Some(domain.present(from)),
                });
            }
        }
        if shut_rd {
            return Ok(RecvInfo {
                len: 0,
                full_len: 0,
                from: None,
            });
        }
        Err(Errno::EAGAIN)
    }

    /// Drops queued datagrams the socket does not take (Linux never
    /// queues them): from a family it cannot carry, or, when connected,
    /// from anyone but its peer.
    fn udp_drop_strangers(&mut self, id: SocketId) {
        let Ok(s) = self.socks.get(id) else {
            return;
        };
        let (domain, v6only) = (s.domain, s.opts.v6only);
        let State::Dgram(d) = &s.state else {
            return;
        };
        let peer = d.peer;
        for slot in d.slots.clone() {
            let u = self.udp(slot);
            while let Ok((_, meta)) = u.peek() {
                let from = SocketAddr::from(meta.endpoint);
                if domain.carries(v6only, &from) && peer.is_none_or(|p| p == from) {
                    break;
                }
                let _ = u.recv();
            }
        }
    }

    /// Readiness of a UDP socket.
    pub(crate) fn udp_readiness(&mut self, id: SocketId) -> u16 {
        self.udp_drop_strangers(id);
        let Ok(s) = self.socks.get(id) else {
            return POLLNVAL;
        };
        let mut ev = if s.error.is_some() { POLLERR } else { 0 };
        if s.shut_rd {
            ev |= POLLIN | POLLRDNORM | POLLRDHUP;
        }
        if s.shut_rd && s.shut_wr {
            ev |= POLLHUP;
        }
        let State::Dgram(d) = &s.state else {
            return POLLNVAL;
        };
        if !d.early.is_empty() {
            ev |= POLLIN | POLLRDNORM;
        }
        let slots = d.slots.clone();
        if slots.is_empty() {
            return ev | POLLOUT | POLLWRNORM;
        }
        for slot in slots {
            let u = self.udp(slot);
            if u.can_recv() {
                ev |= POLLIN | POLLRDNORM;
            }
            if u.can_send() {
                ev |= POLLOUT | POLLWRNORM;
            }
        }
        ev
    }

    /// Size of the next datagram (`FIONREAD`) and bytes queued to send.
    pub(crate) fn udp_queues(&mut self, id: SocketId) -> Result<(usize, usize)> {
        self.udp_drop_strangers(id);
        let State::Dgram(d) = &self.socks.get(id)?.state else {
            return Err(Errno::EINVAL);
        };
        let slots = d.slots.clone();
        let mut next = d.early.front().map(|(p, _)| p.len());
        let mut out = 0;
        for slot in slots {
            let u = self.udp(slot);
            if next.is_none() {
                next = u.peek().ok().map(|(data, _)| data.len());
            }
            out += u.send_queue();
        }
        Ok((next.unwrap_or(0), out))
    }
}
