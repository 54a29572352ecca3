//! Differential sequences: the same random socket calls on loopback
//! (127.0.0.1, ::1 and IPv4-mapped ::ffff:127.0.0.1; `AF_INET`, dual-stack
//! `AF_INET6` and `IPV6_V6ONLY` sockets side by side) against this stack
//! and against the host's Linux loopback (both non-blocking), comparing
//! every result, the names sockets report and the poll readiness.
//!
//! Every `unsafe` block in this file is one libc call on the Linux host:
//! integer arguments, or pointers to live locals whose size is the length
//! passed with them; nothing outlives the call. That one argument stands
//! for all of them, hence the file-wide allow below.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use proptest::prelude::*;
use veridian_net::abi::*;
use veridian_net::{sockaddr, Errno, NetConfig, NetStack, OwnedSocket};

/// A socket's domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fam {
    V4,
    /// `AF_INET6`, dual-stack (Linux's default).
    V6,
    /// `AF_INET6` with `IPV6_V6ONLY` set at creation.
    V6Only,
}

/// How an address is written for a socket of family `fam`: the loopback
/// of its family, or (`AF_INET6` only, with `mapped`) `::ffff:127.0.0.1`,
/// or (`any`) the wildcard.
fn addr(fam: Fam, port: u16, mapped: bool, any: bool) -> Vec<u8> {
    let ip: IpAddr = match (fam, any, mapped) {
        (Fam::V4, true, _) => Ipv4Addr::UNSPECIFIED.into(),
        (Fam::V4, false, _) => Ipv4Addr::LOCALHOST.into(),
        (_, true, _) => Ipv6Addr::UNSPECIFIED.into(),
        (_, false, true) => Ipv4Addr::LOCALHOST.to_ipv6_mapped().into(),
        (_, false, false) => Ipv6Addr::LOCALHOST.into(),
    };
    let mut b = [0u8; SOCKADDR_STORAGE_SIZE];
    let n = sockaddr::encode_into(SocketAddr::new(ip, port), &mut b);
    b[..n].to_vec()
}

#[derive(Debug, Clone)]
enum Op {
    Socket(bool, Fam),
    Bind(usize),
    /// Bind slot 0 to the port of slot 1, at the wildcard with the flag.
    BindTo(usize, usize, bool),
    Reuse(usize),
    Listen(usize, i32),
    /// Connect slot 0 to the port of slot 1, IPv4-mapped with the flag.
    Connect(usize, usize, bool),
    Accept(usize),
    Send(usize, usize),
    SendTo(usize, usize, usize, bool),
    Linger0(usize),
    Recv(usize, usize, bool),
    Shutdown(usize, u32),
    Close(usize),
    Peer(usize),
    Name(usize),
    Fionread(usize),
    Error(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let s = 0usize..6;
    let fam = prop_oneof![4 => Just(Fam::V4), 3 => Just(Fam::V6), 1 => Just(Fam::V6Only)];
    prop_oneof![
        2 => (any::<bool>(), fam).prop_map(|(u, f)| Op::Socket(u, f)),
        2 => s.clone().prop_map(Op::Bind),
        1 => (s.clone(), s.clone(), any::<bool>()).prop_map(|(a, b, w)| Op::BindTo(a, b, w)),
        1 => s.clone().prop_map(Op::Reuse),
        2 => (s.clone(), 0i32..3).prop_map(|(a, b)| Op::Listen(a, b)),
        3 => (s.clone(), s.clone(), any::<bool>()).prop_map(|(a, b, m)| Op::Connect(a, b, m)),
        3 => s.clone().prop_map(Op::Accept),
        3 => (s.clone(), 0usize..300).prop_map(|(a, n)| Op::Send(a, n)),
        2 => (s.clone(), s.clone(), 0usize..300, any::<bool>())
            .prop_map(|(a, k, n, m)| Op::SendTo(a, k, n, m)),
        1 => s.clone().prop_map(Op::Linger0),
        3 => (s.clone(), 0usize..300, any::<bool>()).prop_map(|(a, n, p)| Op::Recv(a, n, p)),
        1 => (s.clone(), 0u32..3).prop_map(|(a, h)| Op::Shutdown(a, h)),
        1 => s.clone().prop_map(Op::Close),
        1 => s.clone().prop_map(Op::Peer),
        1 => s.clone().prop_map(Op::Name),
        2 => s.clone().prop_map(Op::Fionread),
        1 => s.prop_map(Op::Error),
    ]
}

/// A socket name with its port reduced to "bound or not", as a number.
fn name_key(bytes: &[u8], len: usize) -> usize {
    let mut b = bytes[..len.min(bytes.len())].to_vec();
    if b.len() >= 4 {
        let bound = b[2..4] != [0, 0];
        b[2] = 0;
        b[3] = bound as u8;
    }
    let mut h = DefaultHasher::new();
    (len, b).hash(&mut h);
    h.finish() as usize
}

fn host_err(r: isize) -> Result<usize, Errno> {
    if r >= 0 {
        Ok(r as usize)
    } else {
        Err(Errno(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        ))
    }
}

/// Both worlds' sockets, slot by slot.
struct World {
    net: NetStack,
    now: u64,
    ours: Vec<Option<OwnedSocket>>,
    host: Vec<Option<i32>>,
    udp: Vec<bool>,
    fam: Vec<Fam>,
}

impl World {
    fn settle(&mut self) {
        for _ in 0..100 {
            self.now += 1;
            if !self.net.poll(self.now) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }

    fn our_port(&mut self, k: usize) -> Option<u16> {
        let s = self.ours.get(k)?.as_ref()?;
        let p = self.net.local_addr(s.id()).ok()?.port();
        (p != 0).then_some(p)
    }

    fn host_port(&self, k: usize) -> Option<u16> {
        let fd = (*self.host.get(k)?)?;
        let mut a = [0u8; 28];
        let mut len = 28u32;
        // SAFETY: `a` is valid for `len` bytes.
        let r = unsafe { libc::getsockname(fd, a.as_mut_ptr().cast(), &mut len) };
        let p = u16::from_be_bytes([a[2], a[3]]);
        (r == 0 && p != 0).then_some(p)
    }

    fn readiness(&mut self, i: usize) -> Option<(u16, u16)> {
        let (Some(s), Some(fd)) = (self.ours[i].as_ref(), self.host[i]) else {
            return None;
        };
        let mask = POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP;
        let ours = self.net.readiness(s.id()) & mask;
        let mut p = libc::pollfd {
            fd,
            events: mask as i16,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, 0) };
        Some((ours, p.revents as u16 & mask))
    }

    /// Runs `op` in both worlds; `None` when it does not apply.
    fn run(&mut self, op: &Op) -> Option<(Result<usize, Errno>, Result<usize, Errno>)> {
        let id = |w: &World, i: usize| w.ours.get(i).and_then(|s| s.as_ref()).map(|s| s.id());
        let fd = |w: &World, i: usize| w.host.get(i).copied().flatten();
        // SAFETY (all blocks below): plain socket syscalls on fds we own,
        // with buffers valid for the lengths passed.
        Some(match *op {
            Op::Socket(udp, fam) => {
                if self.ours.len() >= 6 {
                    return None;
                }
                let ty = if udp { SOCK_DGRAM } else { SOCK_STREAM } | SOCK_NONBLOCK;
                let domain = if fam == Fam::V4 { AF_INET } else { AF_INET6 };
                let o = self.net.socket(domain as i32, ty, 0).unwrap();
                let h = unsafe { libc::socket(domain as i32, ty as i32, 0) };
                if fam == Fam::V6Only {
                    let one = 1i32.to_ne_bytes();
                    self.net
                        .setsockopt(o.id(), IPPROTO_IPV6, IPV6_V6ONLY, &one)
                        .unwrap();
                    let r = unsafe {
                        libc::setsockopt(
                            h,
                            libc::IPPROTO_IPV6,
                            libc::IPV6_V6ONLY,
                            one.as_ptr().cast(),
                            4,
                        )
                    };
                    assert_eq!(r, 0);
                }
                self.ours.push(Some(o));
                self.host.push(Some(h));
                self.udp.push(udp);
                self.fam.push(fam);
                (Ok(0), host_err(h as isize).map(|_| 0))
            }
            Op::Bind(i) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let a = addr(self.fam[i], 0, false, false);
                (
                    self.net.bind(s, &a).map(|_| 0),
                    host_err(unsafe { libc::bind(f, a.as_ptr().cast(), a.len() as u32) } as isize),
                )
            }
            Op::BindTo(i, k, any) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let (po, ph) = (self.our_port(k)?, self.host_port(k)?);
                if self.udp[i] != self.udp[k] {
                    return None;
                }
                let fam = self.fam[i];
                let (ao, ah) = (addr(fam, po, false, any), addr(fam, ph, false, any));
                (
                    self.net.bind(s, &ao).map(|_| 0),
                    host_err(
                        unsafe { libc::bind(f, ah.as_ptr().cast(), ah.len() as u32) } as isize,
                    ),
                )
            }
            Op::Reuse(i) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let one = 1i32.to_ne_bytes();
                (
                    self.net
                        .setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one)
                        .map(|_| 0),
                    host_err(unsafe {
                        libc::setsockopt(
                            f,
                            libc::SOL_SOCKET,
                            libc::SO_REUSEADDR,
                            one.as_ptr().cast(),
                            4,
                        )
                    } as isize),
                )
            }
            Op::Listen(i, b) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                (
                    self.net.listen(s, b).map(|_| 0),
                    host_err(unsafe { libc::listen(f, b) } as isize),
                )
            }
            // Connecting a socket to itself (TCP simultaneous open) is
            // left out: an oddity nothing relies on.
            Op::Connect(i, k, mapped) if i != k => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let (po, ph) = (self.our_port(k)?, self.host_port(k)?);
                let fam = self.fam[i];
                let (ao, ah) = (addr(fam, po, mapped, false), addr(fam, ph, mapped, false));
                (
                    self.net.connect(s, &ao).map(|_| 0),
                    host_err(
                        unsafe { libc::connect(f, ah.as_ptr().cast(), ah.len() as u32) } as isize,
                    ),
                )
            }
            Op::Accept(i) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                if self.ours.len() >= 6 {
                    return None;
                }
                let o = self.net.accept(s, SOCK_NONBLOCK);
                let h = unsafe {
                    libc::accept4(
                        f,
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                        libc::SOCK_NONBLOCK,
                    )
                };
                let r = (
                    o.as_ref().map(|_| 0).map_err(|e| *e),
                    host_err(h as isize).map(|_| 0),
                );
                if let (Ok((o, _)), true) = (o, h >= 0) {
                    self.ours.push(Some(o));
                    self.host.push(Some(h));
                    self.udp.push(false);
                    self.fam.push(self.fam[i]);
                } else if h >= 0 {
                    unsafe { libc::close(h) };
                }
                r
            }
            Op::Send(i, n) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                if self.udp[i] {
                    return None;
                }
                let data = vec![0x5au8; n];
                (
                    self.net.sendto(s, &data, MSG_NOSIGNAL, None),
                    host_err(unsafe { libc::send(f, data.as_ptr().cast(), n, libc::MSG_NOSIGNAL) }),
                )
            }
            Op::SendTo(i, k, n, mapped) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                if !self.udp[i] {
                    return None;
                }
                let (po, ph) = (self.our_port(k)?, self.host_port(k)?);
                let fam = self.fam[i];
                let (ao, ah) = (addr(fam, po, mapped, false), addr(fam, ph, mapped, false));
                let data = vec![0xa5u8; n];
                (
                    self.net.sendto(s, &data, 0, Some(&ao)),
                    host_err(unsafe {
                        libc::sendto(
                            f,
                            data.as_ptr().cast(),
                            n,
                            0,
                            ah.as_ptr().cast(),
                            ah.len() as u32,
                        )
                    }),
                )
            }
            Op::Linger0(i) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let mut l = [0u8; 8];
                l[..4].copy_from_slice(&1i32.to_ne_bytes());
                (
                    self.net.setsockopt(s, SOL_SOCKET, SO_LINGER, &l).map(|_| 0),
                    host_err(unsafe {
                        libc::setsockopt(f, libc::SOL_SOCKET, libc::SO_LINGER, l.as_ptr().cast(), 8)
                    } as isize),
                )
            }
            Op::Recv(i, n, peek) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let flags = if peek { MSG_PEEK } else { 0 };
                let mut a = vec![0u8; n];
                let mut b = vec![0u8; n];
                (
                    self.net.recvfrom(s, &mut a, flags).map(|r| r.len),
                    host_err(unsafe { libc::recv(f, b.as_mut_ptr().cast(), n, flags as i32) }),
                )
            }
            Op::Shutdown(i, how) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                (
                    self.net.shutdown(s, how).map(|_| 0),
                    host_err(unsafe { libc::shutdown(f, how as i32) } as isize),
                )
            }
            Op::Close(i) => {
                let s = self.ours.get_mut(i)?.take()?;
                let f = self.host[i].take()?;
                (
                    self.net.close(s).map(|_| 0),
                    host_err(unsafe { libc::close(f) } as isize),
                )
            }
            Op::Connect(..) => return None,
            Op::Peer(i) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let mut a = [0u8; 16];
                let mut len = 16u32;
                (
                    self.net.peer_addr(s).map(|_| 0),
                    host_err(
                        unsafe { libc::getpeername(f, a.as_mut_ptr().cast(), &mut len) } as isize,
                    ),
                )
            }
            Op::Name(i) => {
                // The name's bytes, its length and whether a port is bound
                // (port numbers differ).
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let mut a = [0u8; 28];
                let mut len = 28u32;
                let r = unsafe { libc::getsockname(f, a.as_mut_ptr().cast(), &mut len) };
                let mut b = [0u8; 28];
                let ours = self.net.getsockname(s, &mut b).map(|n| name_key(&b, n));
                let theirs = host_err(r as isize).map(|_| name_key(&a, len as usize));
                (ours, theirs)
            }
            Op::Fionread(i) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let mut v = 0i32;
                let r = unsafe { libc::ioctl(f, libc::FIONREAD, &mut v) };
                (
                    self.net
                        .ioctl(s, FIONREAD, &[])
                        .map(|v| v.unwrap_or(-1) as usize),
                    host_err(r as isize).map(|_| v as usize),
                )
            }
            Op::Error(i) => {
                let (s, f) = (id(self, i)?, fd(self, i)?);
                let mut v = [0u8; 4];
                let mut len = 4u32;
                let r = unsafe {
                    libc::getsockopt(
                        f,
                        libc::SOL_SOCKET,
                        libc::SO_ERROR,
                        v.as_mut_ptr().cast(),
                        &mut len,
                    )
                };
                (
                    self.net
                        .getsockopt(s, SOL_SOCKET, SO_ERROR)
                        .map(|v| v.as_int() as usize),
                    host_err(r as isize).map(|_| i32::from_ne_bytes(v) as usize),
                )
            }
        })
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for f in self.host.iter().flatten() {
            // SAFETY: we own the fd.
            unsafe { libc::close(*f) };
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn sequences_like_linux(prelude in 0u8..3, ops in prop::collection::vec(op(), 1..24)) {
        let mut w = World { net: NetStack::new(NetConfig::default()), now: 0, ours: Vec::new(), host: Vec::new(), udp: Vec::new(), fam: Vec::new() };
        // Start from an interesting state: a listener with a connection
        // accepted (TCP), or two bound datagram sockets (UDP), or nothing.
        let start = match prelude {
            0 => vec![Op::Socket(false, Fam::V4), Op::Bind(0), Op::Listen(0, 2), Op::Socket(false, Fam::V4), Op::Connect(1, 0, false), Op::Accept(0)],
            1 => vec![Op::Socket(true, Fam::V4), Op::Bind(0), Op::Socket(true, Fam::V4), Op::Bind(1)],
            _ => vec![],
        };
        for (step, op) in start.iter().chain(ops.iter()).enumerate() {
            let Some((ours, theirs)) = w.run(op) else { continue };
            prop_assert_eq!(ours, theirs, "step {} {:?}", step, op);
            w.settle();
            for i in 0..w.ours.len() {
                if let Some((o, h)) = w.readiness(i) {
                    prop_assert_eq!(o, h, "readiness of slot {} after step {} {:?}", i, step, op);
                }
            }
        }
    }
}
