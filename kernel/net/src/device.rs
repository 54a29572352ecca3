//! Devices: the loopback device (a packet queue that remembers whether
//! anything was sent, so polling can run until the loop is quiet, and
//! notes ICMP port-unreachable errors for UDP) and a null device for a
//! stack without external interface.

use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddrV4};

use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Loopback: what is sent is received.
pub(crate) struct LoopDevice {
    queue: VecDeque<Vec<u8>>,
    sent: bool,
    /// UDP datagrams answered with ICMP port unreachable: (sender, the
    /// address it sent to).
    pub unreachable: Vec<(SocketAddrV4, SocketAddrV4)>,
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

    /// Notes an ICMP "port unreachable" about a UDP datagram.
    fn inspect(&mut self, p: &[u8]) {
        let ihl = |b: &[u8]| (b.first().copied().unwrap_or(0) & 0xf) as usize * 4;
        let (h, proto) = (ihl(p), p.get(9).copied());
        if p.first().map(|b| b >> 4) != Some(4) || proto != Some(1) || h < 20 {
            return;
        }
        // ICMP type 3 (destination unreachable), code 3 (port).
        let Some(icmp) = p.get(h..) else { return };
        if icmp.len() < 8 || icmp[0] != 3 || icmp[1] != 3 {
            return;
        }
        let inner = &icmp[8..];
        let ih = ihl(inner);
        if inner.len() < ih + 8 || ih < 20 || inner[9] != 17 {
            return;
        }
        let ip = |o: usize| Ipv4Addr::new(inner[o], inner[o + 1], inner[o + 2], inner[o + 3]);
        let port = |o: usize| u16::from_be_bytes([inner[o], inner[o + 1]]);
        let from = SocketAddrV4::new(ip(12), port(ih));
        let to = SocketAddrV4::new(ip(16), port(ih + 2));
        if self.unreachable.len() < 64 {
            self.unreachable.push((from, to));
        }
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
