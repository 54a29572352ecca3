//! Devices: the loopback device (a packet queue that remembers whether
//! anything was sent, so polling can run until the loop is quiet, and
//! notes ICMP port-unreachable errors for UDP) and a null device for a
//! stack without external interface.

use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Loopback: what is sent is received.
pub(crate) struct LoopDevice {
    queue: VecDeque<Vec<u8>>,
    sent: bool,
    /// UDP datagrams answered with ICMP port unreachable: (sender, the
    /// address it sent to).
    pub unreachable: Vec<(SocketAddr, SocketAddr)>,
}

impl LoopDevice {
    pub fn new() -> Self {
        LoopDevice {
            queue: VecDeque::new(),
            sent: false,
            unreachable: Vec::new(),
        }
    }

    /// Whether a packet may have been queued since the last call.
    pub fn take_sent(&mut self) -> bool {
        core::mem::replace(&mut self.sent, false)
    }

    /// Notes an ICMP or ICMPv6 "port unreachable" about a UDP datagram.
    fn inspect(&mut self, p: &[u8]) {
        let found = match p.first().map(|b| b >> 4) {
            Some(4) => Self::unreachable_v4(p),
            Some(6) => Self::unreachable_v6(p),
            _ => None,
        };
        if let Some(pair) = found {
            if self.unreachable.len() < 64 {
                self.unreachable.push(pair);
            }
        }
    }

    fn unreachable_v4(p: &[u8]) -> Option<(SocketAddr, SocketAddr)> {
        let ihl = |b: &[u8]| (b.first().copied().unwrap_or(0) & 0xf) as usize * 4;
        let (h, proto) = (ihl(p), p.get(9).copied());
        if proto != Some(1) || h < 20 {
            return None;
        }
        // ICMP type 3 (destination unreachable), code 3 (port).
        let icmp = p.get(h..)?;
        if icmp.len() < 8 || icmp[0] != 3 || icmp[1] != 3 {
            return None;
        }
        let inner = &icmp[8..];
        let ih = ihl(inner);
        if inner.len() < ih + 8 || ih < 20 || inner[9] != 17 {
            return None;
        }
        let ip = |o: usize| Ipv4Addr::new(inner[o], inner[o + 1], inner[o + 2], inner[o + 3]);
        let port = |o: usize| u16::from_be_bytes([inner[o], inner[o + 1]]);
        let from = SocketAddrV4::new(ip(12), port(ih));
        let to = SocketAddrV4::new(ip(16), port(ih + 2));
        Some((from.into(), to.into()))
    }

    /// IPv6 as smoltcp sends it on loopback: no extension headers, so the
    /// next header is ICMPv6 (58) or the inner one UDP (17) directly.
    fn unreachable_v6(p: &[u8]) -> Option<(SocketAddr, SocketAddr)> {
        const HDR: usize = 40;
        if p.get(6) != Some(&58) {
            return None;
        }
        // ICMPv6 type 1 (destination unreachable), code 4 (port).
        let icmp = p.get(HDR..)?;
        if icmp.len() < 8 || icmp[0] != 1 || icmp[1] != 4 {
            return None;
        }
        let inner = &icmp[8..];
        if inner.len() < HDR + 4 || inner[6] != 17 {
            return None;
        }
        let ip = |o: usize| {
            let mut b = [0u8; 16];
            b.copy_from_slice(&inner[o..o + 16]);
            Ipv6Addr::from(b)
        };
        let port = |o: usize| u16::from_be_bytes([inner[o], inner[o + 1]]);
        let from = SocketAddrV6::new(ip(8), port(HDR), 0, 0);
        let to = SocketAddrV6::new(ip(24), port(HDR + 2), 0, 0);
        Some((from.into(), to.into()))
    }
}

/// A received loopback packet.
pub(crate) struct LoopRx(Vec<u8>);

/// Permission to queue one loopback packet.
pub(crate) struct LoopTx<'a> {
    queue: &'a mut VecDeque<Vec<u8>>,
    sent: &'a mut bool,
}

impl phy::RxToken for LoopRx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for LoopTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.queue.push_back(buf);
        *self.sent = true;
        r
    }
}

impl Device for LoopDevice {
    type RxToken<'a> = LoopRx;
    type TxToken<'a> = LoopTx<'a>;

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = 65535;
        c.checksum = ChecksumCapabilities::ignored();
        c
    }

    fn receive(&mut self, _now: Instant) -> Option<(LoopRx, LoopTx<'_>)> {
        let p = self.queue.pop_front()?;
        self.inspect(&p);
        Some((
            LoopRx(p),
            LoopTx {
                queue: &mut self.queue,
                sent: &mut self.sent,
            },
        ))
    }

    fn transmit(&mut self, _now: Instant) -> Option<LoopTx<'_>> {
        Some(LoopTx {
            queue: &mut self.queue,
            sent: &mut self.sent,
        })
    }
}

/// A device that never receives or sends: the type parameter of a stack
/// with only the loopback interface.
pub struct NullDevice;

/// Token type of [`NullDevice`] (never produced).
pub enum NullToken {}

impl smoltcp::phy::RxToken for NullToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, _f: F) -> R {
        match self {}
    }
}

impl smoltcp::phy::TxToken for NullToken {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, _len: usize, _f: F) -> R {
        match self {}
    }
}

impl Device for NullDevice {
    type RxToken<'a> = NullToken;
    type TxToken<'a> = NullToken;

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = 1500;
        caps
    }

    fn receive(&mut self, _now: Instant) -> Option<(NullToken, NullToken)> {
        None
    }

    fn transmit(&mut self, _now: Instant) -> Option<NullToken> {
        None
    }
}
