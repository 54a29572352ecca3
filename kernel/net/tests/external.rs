//! The external interface: two stacks joined by an in-memory wire
//! (10.0.2.15 and 10.0.2.2), garbage and half-open peers.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::rc::Rc;

use proptest::prelude::*;
use veridian_net::abi::*;
use veridian_net::smoltcp::phy::Medium;
use veridian_net::smoltcp::wire::{EthernetAddress, HardwareAddress};
use veridian_net::{sockaddr, Errno, ExternalConfig, FrameDevice, FrameIo, NetConfig, NetStack};

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// One end of the wire: receives from `rx`, sends into `tx`.
struct WireIo {
    rx: Queue,
    tx: Queue,
    medium: Medium,
}

impl FrameIo for WireIo {
    fn recv_frame(&mut self, buf: &mut [u8]) -> Option<usize> {
        let p = self.rx.borrow_mut().pop_front()?;
        let n = p.len().min(buf.len());
        buf[..n].copy_from_slice(&p[..n]);
        Some(n)
    }

    fn can_send(&mut self) -> bool {
        true
    }

    fn send_frame(&mut self, frame: &[u8]) -> bool {
        self.tx.borrow_mut().push_back(frame.to_vec());
        true
    }

    fn max_frame(&self) -> usize {
        match self.medium {
            Medium::Ethernet => 1514,
            _ => 1500,
        }
    }

    fn medium(&self) -> Medium {
        self.medium
    }
}

type WireDev = FrameDevice<WireIo>;

const A: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
const B: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);

struct Pair {
    a: NetStack<WireDev>,
    b: NetStack<WireDev>,
    /// Packets from a to b, and from b to a.
    ab: Queue,
    ba: Queue,
    now: u64,
    /// Whether a's packets reach b.
    a_to_b: bool,
}

impl Pair {
    fn new(cfg: NetConfig) -> Pair {
        Self::with_medium(cfg, Medium::Ip)
    }

    fn with_medium(cfg: NetConfig, medium: Medium) -> Pair {
        let ab: Queue = Default::default();
        let ba: Queue = Default::default();
        let ext = |addr: Ipv4Addr| {
            let hardware = match medium {
                Medium::Ethernet => {
                    HardwareAddress::Ethernet(EthernetAddress([2, 0, 0, 0, 0, addr.octets()[3]]))
                }
                _ => HardwareAddress::Ip,
            };
            ExternalConfig {
                hardware,
                addr,
                prefix_len: 24,
                gateway: None,
            }
        };
        let dev = |rx: &Queue, tx: &Queue| {
            FrameDevice::new(WireIo {
                rx: rx.clone(),
                tx: tx.clone(),
                medium,
            })
        };
        let a = NetStack::with_device(cfg.clone(), dev(&ba, &ab), ext(A)).unwrap();
        let b = NetStack::with_device(cfg, dev(&ab, &ba), ext(B)).unwrap();
        Pair {
            a,
            b,
            ab,
            ba,
            now: 0,
            a_to_b: true,
        }
    }

    fn settle(&mut self) {
        for _ in 0..2000 {
            self.now += 1;
            let ca = self.a.poll(self.now);
            if !self.a_to_b {
                self.ab.borrow_mut().clear();
            }
            let cb = self.b.poll(self.now);
            if !ca && !cb && self.ab.borrow().is_empty() && self.ba.borrow().is_empty() {
                return;
            }
        }
        panic!("wire never settled");
    }

    fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        while self.now < end {
            self.now += 50;
            self.settle();
        }
    }
}

/// The IPv4 header checksum (so junk gets past the header check).
fn ip_checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = h
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32)
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn sa(ip: Ipv4Addr, port: u16) -> Vec<u8> {
    sockaddr::encode(SocketAddrV4::new(ip, port)).to_vec()
}

#[test]
fn tcp_and_udp_across_an_ip_wire() {
    across_the_wire(Medium::Ip);
}

#[test]
fn tcp_and_udp_across_an_ethernet_wire() {
    across_the_wire(Medium::Ethernet);
}

fn across_the_wire(medium: Medium) {
    let mut p = Pair::with_medium(NetConfig::default(), medium);
    let l = p.a.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap();
    p.a.bind(l.id(), &sa(Ipv4Addr::UNSPECIFIED, 7000)).unwrap();
    p.a.listen(l.id(), 8).unwrap();
    let c = p.b.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap();
    assert_eq!(p.b.connect(c.id(), &sa(A, 7000)), Err(Errno::EINPROGRESS));
    p.settle();
    p.b.connect_result(c.id()).unwrap();
    let (s, peer) = p.a.accept(l.id(), 0).unwrap();
    assert_eq!(peer.ip(), B);
    assert_eq!(p.b.local_addr(c.id()).unwrap().ip(), B);
    assert_eq!(
        p.a.local_addr(s.id()).unwrap(),
        std::net::SocketAddr::V4(SocketAddrV4::new(A, 7000))
    );
    // 1 MiB through a 1500-byte MTU.
    let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 7 + i / 251) as u8).collect();
    let (mut off, mut got) = (0, Vec::new());
    let mut buf = vec![0u8; 65536];
    while got.len() < data.len() {
        if off < data.len() {
            if let Ok(k) = p.b.sendto(c.id(), &data[off..], 0, None) {
                off += k;
            }
        }
        p.settle();
        while let Ok(r) = p.a.recvfrom(s.id(), &mut buf, 0) {
            assert!(r.len > 0);
            got.extend_from_slice(&buf[..r.len]);
        }
    }
    assert!(got == data);
    // The same listener (bound to 0.0.0.0) also takes loopback connections,
    // including to our own external address.
    let lc = p.a.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap();
    assert_eq!(p.a.connect(lc.id(), &sa(A, 7000)), Err(Errno::EINPROGRESS));
    p.settle();
    p.a.connect_result(lc.id()).unwrap();
    assert_eq!(p.a.accept(l.id(), 0).unwrap().1.ip(), A);
    // UDP both ways; oversized datagrams for the wire are refused.
    let ua = p.a.socket(AF_INET as i32, SOCK_DGRAM, 0).unwrap();
    let ub = p.b.socket(AF_INET as i32, SOCK_DGRAM, 0).unwrap();
    p.a.bind(ua.id(), &sa(A, 5353)).unwrap();
    p.b.sendto(ub.id(), b"over the wire", 0, Some(&sa(A, 5353)))
        .unwrap();
    assert_eq!(
        p.b.sendto(ub.id(), &[0u8; 1473], 0, Some(&sa(A, 5353))),
        Err(Errno::EMSGSIZE)
    );
    p.settle();
    let r = p.a.recvfrom(ua.id(), &mut buf, 0).unwrap();
    assert_eq!(&buf[..r.len], b"over the wire");
    assert_eq!(r.from.unwrap().ip(), B);
    // Closed port on the wire: refused by the peer's RST.
    let c2 = p.b.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap();
    assert_eq!(p.b.connect(c2.id(), &sa(A, 7001)), Err(Errno::EINPROGRESS));
    p.settle();
    assert_eq!(p.b.connect_result(c2.id()), Err(Errno::ECONNREFUSED));
    // Not on the /24 and no gateway.
    assert_eq!(
        p.b.connect(c2.id(), &sa(Ipv4Addr::new(8, 8, 8, 8), 53)),
        Err(Errno::ENETUNREACH)
    );
}

#[test]
fn half_open_connections_do_not_exhaust_a_listener() {
    let cfg = NetConfig {
        connect_timeout_ms: 3_000,
        ..NetConfig::default()
    };
    let mut p = Pair::new(cfg);
    let l = p.a.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap();
    p.a.bind(l.id(), &sa(A, 80)).unwrap();
    p.a.listen(l.id(), 4).unwrap();
    // b sends SYNs but never hears the SYN-ACKs (a half-open flood).
    p.a_to_b = false;
    let mut flood = Vec::new();
    for _ in 0..8 {
        let c = p.b.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap();
        assert_eq!(p.b.connect(c.id(), &sa(A, 80)), Err(Errno::EINPROGRESS));
        flood.push(c);
    }
    p.settle();
    // Both sides give up after the timeout.
    p.advance(5_000);
    for c in &flood {
        assert_eq!(p.b.connect_result(c.id()), Err(Errno::ETIMEDOUT));
    }
    // The listener works again.
    p.a_to_b = true;
    let c = p.b.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap();
    assert_eq!(p.b.connect(c.id(), &sa(A, 80)), Err(Errno::EINPROGRESS));
    p.settle();
    assert_eq!(p.b.connect_result(c.id()), Ok(()));
    assert!(p.a.accept(l.id(), 0).is_ok());
    // The pool shrank back: two armed per link (loopback and wire) plus
    // the accepted connection.
    let st = p.a.stats();
    assert_eq!(st.stack_sockets, 2 * 2 + 1, "pool bounded: {st:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Garbage and mangled packets from the wire: no panic, and the
    /// connection that was open still carries data.
    #[test]
    fn garbage_from_the_wire(junk in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..20),
                             flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8)) {
        let mut p = Pair::new(NetConfig::default());
        let l = p.a.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap();
        p.a.bind(l.id(), &sa(A, 9)).unwrap();
        p.a.listen(l.id(), 2).unwrap();
        let u = p.a.socket(AF_INET as i32, SOCK_DGRAM, 0).unwrap();
        p.a.bind(u.id(), &sa(A, 9)).unwrap();
        let c = p.b.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap();
        let _ = p.b.connect(c.id(), &sa(A, 9));
        p.settle();
        let (s, _) = p.a.accept(l.id(), 0).unwrap();
        // Raw junk, and junk with a valid-looking IPv4 header towards a.
        for j in &junk {
            p.ba.borrow_mut().push_back(j.clone());
            let mut h = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, [6u8, 17, 1][j.len() % 3], 0, 0, 10, 0, 2, 2, 10, 0, 2, 15];
            h.extend_from_slice(j);
            let len = h.len() as u16;
            h[2..4].copy_from_slice(&len.to_be_bytes());
            let sum = ip_checksum(&h[..20]);
            h[10..12].copy_from_slice(&sum.to_be_bytes());
            p.ba.borrow_mut().push_back(h);
        }
        // Mangle a real segment in flight.
        p.b.sendto(c.id(), b"payload", 0, None).unwrap();
        p.b.poll(p.now + 1);
        if let Some(pkt) = p.ba.borrow_mut().back_mut() {
            for &(i, x) in &flips {
                if !pkt.is_empty() {
                    let k = i % pkt.len();
                    pkt[k] ^= x;
                }
            }
        }
        p.advance(3_000);
        let mut buf = [0u8; 16];
        let r = p.a.recvfrom(s.id(), &mut buf, 0);
        if flips.iter().all(|&(_, x)| x == 0) {
            prop_assert_eq!(&buf[..r.unwrap().len], b"payload");
        } else {
            // Corrupted: dropped and retransmitted, or (checksum-neutral
            // change) delivered; never a panic.
            prop_assert!(r.is_ok() || r == Err(Errno::EAGAIN) || r == Err(Errno::ECONNRESET));
        }
    }
}

#[test]
fn bad_external_config_is_refused() {
    let q: Queue = Default::default();
    let dev = |medium| {
        FrameDevice::new(WireIo {
            rx: q.clone(),
            tx: q.clone(),
            medium,
        })
    };
    let eth = |mac: [u8; 6]| ExternalConfig {
        hardware: HardwareAddress::Ethernet(EthernetAddress(mac)),
        addr: A,
        prefix_len: 24,
        gateway: None,
    };
    let cfg = NetConfig::default;
    let multicast_mac = eth([1, 0, 0x5e, 0, 0, 1]);
    assert!(NetStack::with_device(cfg(), dev(Medium::Ethernet), multicast_mac).is_err());
    assert!(
        NetStack::with_device(cfg(), dev(Medium::Ip), eth([2, 0, 0, 0, 0, 1])).is_err(),
        "medium mismatch"
    );
    let lo_addr = ExternalConfig {
        addr: Ipv4Addr::LOCALHOST,
        ..eth([2, 0, 0, 0, 0, 1])
    };
    assert!(NetStack::with_device(cfg(), dev(Medium::Ethernet), lo_addr).is_err());
    let wide = ExternalConfig {
        prefix_len: 33,
        ..eth([2, 0, 0, 0, 0, 1])
    };
    assert!(NetStack::with_device(cfg(), dev(Medium::Ethernet), wide).is_err());
    assert!(NetStack::with_device(cfg(), dev(Medium::Ethernet), eth([2, 0, 0, 0, 0, 1])).is_ok());
}
