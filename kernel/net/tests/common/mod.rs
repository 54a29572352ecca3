//! Test helpers: a loopback stack, a clock, address bytes.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

use veridian_net::abi::*;
use veridian_net::{sockaddr, Errno, NetConfig, NetStack, OwnedSocket, SocketId};

/// A loopback stack with a test clock.
pub struct Net {
    pub net: NetStack,
    pub now: u64,
}

impl Net {
    pub fn new() -> Self {
        Self::with(NetConfig::default())
    }

    pub fn with(cfg: NetConfig) -> Self {
        Net {
            net: NetStack::new(cfg),
            now: 0,
        }
    }

    /// Polls (1 ms per step) until nothing changes any more.
    pub fn settle(&mut self) {
        for _ in 0..1000 {
            self.now += 1;
            if !self.net.poll(self.now) {
                return;
            }
        }
        panic!("stack never settled");
    }

    /// Advances the clock by `ms`, polling every 100 ms.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        while self.now < end {
            self.now = (self.now + 100).min(end);
            self.net.poll(self.now);
        }
        self.settle();
    }

    pub fn tcp(&mut self) -> OwnedSocket {
        self.net.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap()
    }

    pub fn udp(&mut self) -> OwnedSocket {
        self.net.socket(AF_INET as i32, SOCK_DGRAM, 0).unwrap()
    }

    /// A listener on 127.0.0.1 with an ephemeral port; returns its address.
    pub fn listener(&mut self) -> (OwnedSocket, SocketAddrV4) {
        let l = self.tcp();
        self.net.bind(l.id(), &sa(LO, 0)).unwrap();
        self.net.listen(l.id(), 16).unwrap();
        let std::net::SocketAddr::V4(a) = self.net.local_addr(l.id()).unwrap() else {
            panic!("an AF_INET socket has an IPv4 name");
        };
        (l, a)
    }

    /// Connects a new socket to `to` and accepts it: (client, server).
    pub fn pair(&mut self, l: SocketId, to: SocketAddrV4) -> (OwnedSocket, OwnedSocket) {
        let c = self.tcp();
        assert_eq!(
            self.net.connect(c.id(), &sockaddr::encode(to)),
            Err(Errno::EINPROGRESS)
        );
        self.settle();
        self.net.connect_result(c.id()).unwrap();
        let (s, _) = self.net.accept(l, 0).unwrap();
        (c, s)
    }

    /// Sends all of `data`, polling when the buffer is full.
    pub fn send_all(&mut self, id: SocketId, data: &[u8]) {
        let mut off = 0;
        while off < data.len() {
            match self.net.sendto(id, &data[off..], 0, None) {
                Ok(n) => off += n,
                Err(Errno::EAGAIN) => self.settle(),
                Err(e) => panic!("send: {e:?}"),
            }
        }
    }

    /// Reads exactly `n` bytes.
    pub fn recv_exact(&mut self, id: SocketId, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 8192];
        while out.len() < n {
            let want = (n - out.len()).min(buf.len());
            match self.net.recvfrom(id, &mut buf[..want], 0) {
                Ok(r) if r.len == 0 => panic!("EOF after {} of {n} bytes", out.len()),
                Ok(r) => out.extend_from_slice(&buf[..r.len]),
                Err(Errno::EAGAIN) => self.settle(),
                Err(e) => panic!("recv: {e:?}"),
            }
        }
        out
    }
}

pub const LO: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

/// `sockaddr_in` (IPv4) or `sockaddr_in6` (IPv6) bytes.
pub fn sa(ip: impl Into<IpAddr>, port: u16) -> Vec<u8> {
    let mut b = [0u8; SOCKADDR_STORAGE_SIZE];
    let n = sockaddr::encode_into(SocketAddr::new(ip.into(), port), &mut b);
    b[..n].to_vec()
}

pub fn int(v: i32) -> [u8; 4] {
    v.to_ne_bytes()
}
