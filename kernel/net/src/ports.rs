//! Port bindings: who holds which TCP/UDP port, Linux's `EADDRINUSE`
//! rules, ephemeral port choice.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::net::IpAddr;

use crate::errno::{Errno, Result};
use crate::table::SocketId;

/// Transport protocol of a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Proto {
    Tcp,
    Udp,
}

/// A bound address: the IP and, for the IPv6 wildcard, whether it is
/// `IPV6_V6ONLY` (else it covers IPv4 too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BoundIp {
    pub ip: IpAddr,
    pub v6only: bool,
}

#[derive(Debug, Clone, Copy)]
struct Binding {
    owner: SocketId,
    ip: BoundIp,
    reuseaddr: bool,
    reuseport: bool,
    listening: bool,
}

/// The binding table.
pub(crate) struct Ports {
    map: BTreeMap<(Proto, u16), Vec<Binding>>,
    /// Ports still used by closing TCP connections: count per port.
    lingering: BTreeMap<u16, usize>,
    range: (u16, u16),
    next: u16,
}

/// Whether two bindings can receive the same traffic: the same address, a
/// wildcard of the other's family, or an IPv6 wildcard without
/// `IPV6_V6ONLY` against any IPv4 address (Linux's dual-stack rule).
fn overlap(a: BoundIp, b: BoundIp) -> bool {
    match (a.ip, b.ip) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
            a.ip.is_unspecified() || b.ip.is_unspecified() || a.ip == b.ip
        }
        (IpAddr::V4(_), IpAddr::V6(w)) => w.is_unspecified() && !b.v6only,
        (IpAddr::V6(w), IpAddr::V4(_)) => w.is_unspecified() && !a.v6only,
    }
}

impl Ports {
    pub fn new(range: (u16, u16), seed: u64) -> Self {
        let (lo, hi) = (range.0.max(1), range.1.max(range.0.max(1)));
        let span = (hi - lo) as u64 + 1;
        Ports {
            map: BTreeMap::new(),
            lingering: BTreeMap::new(),
            range: (lo, hi),
            next: lo + (seed % span) as u16,
        }
    }

    /// Whether a new binding would conflict (Linux: overlapping addresses
    /// conflict unless both set `SO_REUSEADDR` and the holder is not
    /// listening (TCP), or both set `SO_REUSEPORT`).
    fn conflicts(
        &self,
        proto: Proto,
        ip: BoundIp,
        port: u16,
        reuseaddr: bool,
        reuseport: bool,
    ) -> bool {
        let Some(list) = self.map.get(&(proto, port)) else {
            return false;
        };
        list.iter().any(|b| {
            if !overlap(b.ip, ip) {
                return false;
            }
            if reuseport && b.reuseport {
                return false;
            }
            let reuse_ok = reuseaddr && b.reuseaddr && (proto == Proto::Udp || !b.listening);
            !reuse_ok
        })
    }

    /// Binds `owner` to `ip:port`; port 0 picks a free ephemeral port.
    /// Returns the port.
    pub fn bind(
        &mut self,
        proto: Proto,
        owner: SocketId,
        ip: BoundIp,
        port: u16,
        reuseaddr: bool,
        reuseport: bool,
    ) -> Result<u16> {
        let port = if port == 0 {
            self.ephemeral(proto)?
        } else if self.conflicts(proto, ip, port, reuseaddr, reuseport) {
            return Err(Errno::EADDRINUSE);
        } else {
            port
        };
        self.map.entry((proto, port)).or_default().push(Binding {
            owner,
            ip,
            reuseaddr,
            reuseport,
            listening: false,
        });
        Ok(port)
    }

    /// Adds a binding that shares a listener's port (an accepted
    /// connection) without a conflict check.
    pub fn share(
        &mut self,
        proto: Proto,
        owner: SocketId,
        ip: BoundIp,
        port: u16,
        reuseaddr: bool,
    ) {
        self.map.entry((proto, port)).or_default().push(Binding {
            owner,
            ip,
            reuseaddr,
            reuseport: false,
            listening: false,
        });
    }

    fn ephemeral(&mut self, proto: Proto) -> Result<u16> {
        let (lo, hi) = self.range;
        let span = (hi - lo) as u32 + 1;
        for _ in 0..span {
            let p = self.next;
            self.next = if p >= hi { lo } else { p + 1 };
            let used = self.map.get(&(proto, p)).is_some_and(|l| !l.is_empty())
                || (proto == Proto::Tcp && self.lingering.contains_key(&p));
            if !used {
                return Ok(p);
            }
        }
        Err(Errno::EADDRINUSE)
    }

    /// Drops every binding of `owner`.
    pub fn unbind(&mut self, proto: Proto, owner: SocketId, port: u16) {
        if let Some(list) = self.map.get_mut(&(proto, port)) {
            list.retain(|b| b.owner != owner);
            if list.is_empty() {
                self.map.remove(&(proto, port));
            }
        }
    }

    /// Updates the flags that later binders are checked against.
    pub fn update(
        &mut self,
        proto: Proto,
        owner: SocketId,
        port: u16,
        reuseaddr: bool,
        reuseport: bool,
        listening: bool,
    ) {
        if let Some(list) = self.map.get_mut(&(proto, port)) {
            for b in list.iter_mut().filter(|b| b.owner == owner) {
                b.reuseaddr = reuseaddr;
                b.reuseport = reuseport;
                b.listening = listening;
            }
        }
    }

    /// Whether `listen` on this binding is allowed: no other listener on an
    /// overlapping address (unless both use `SO_REUSEPORT`).
    pub fn can_listen(&self, owner: SocketId, ip: BoundIp, port: u16, reuseport: bool) -> bool {
        self.map.get(&(Proto::Tcp, port)).is_none_or(|list| {
            !list.iter().any(|b| {
                b.owner != owner && b.listening && overlap(b.ip, ip) && !(reuseport && b.reuseport)
            })
        })
    }

    /// A closing connection keeps `port` from being handed out as an
    /// ephemeral port until [`Ports::unlinger`].
    pub fn linger(&mut self, port: u16) {
        *self.lingering.entry(port).or_default() += 1;
    }

    pub fn unlinger(&mut self, port: u16) {
        if let Some(n) = self.lingering.get_mut(&port) {
            *n -= 1;
            if *n == 0 {
                self.lingering.remove(&port);
            }
        }
    }

    /// Number of bound (protocol, port) pairs.
    pub fn bound(&self) -> usize {
        self.map.len()
    }
}
