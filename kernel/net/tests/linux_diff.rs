//! Differential checks against the host's Linux sockets: the same option
//! and argument calls must succeed or fail alike (same errno), and read
//! back the same values where the semantics are the same.

mod common;

use common::*;
use proptest::prelude::*;
use veridian_net::abi::*;
use veridian_net::Errno;

/// A host socket, closed on drop.
struct Host(i32);

impl Host {
    fn new(domain: u16, ty: u32) -> Host {
        // SAFETY: plain syscall with integer arguments.
        let fd = unsafe { libc::socket(domain as i32, ty as i32, 0) };
        assert!(fd >= 0);
        Host(fd)
    }

    fn set(&self, level: i32, name: i32, val: &[u8]) -> Result<(), Errno> {
        // SAFETY: `val` is valid for `val.len()` bytes.
        let r =
            unsafe { libc::setsockopt(self.0, level, name, val.as_ptr().cast(), val.len() as u32) };
        if r == 0 {
            Ok(())
        } else {
            Err(Errno(errno()))
        }
    }

    fn get(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        let mut buf = [0u8; 64];
        let mut len = buf.len() as u32;
        // SAFETY: `buf` is valid for `len` bytes, `len` is a valid pointer.
        let r = unsafe { libc::getsockopt(self.0, level, name, buf.as_mut_ptr().cast(), &mut len) };
        if r == 0 {
            Ok(buf[..len as usize].to_vec())
        } else {
            Err(Errno(errno()))
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // SAFETY: we own the fd.
        unsafe { libc::close(self.0) };
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Options whose value semantics match Linux's exactly.
const SAME: &[(i32, i32)] = &[
    (SOL_SOCKET, SO_REUSEADDR),
    (SOL_SOCKET, SO_REUSEPORT),
    (SOL_SOCKET, SO_KEEPALIVE),
    (SOL_SOCKET, SO_BROADCAST),
    (SOL_SOCKET, SO_OOBINLINE),
    (SOL_SOCKET, SO_DONTROUTE),
    (SOL_SOCKET, SO_LINGER),
    (SOL_SOCKET, SO_RCVTIMEO),
    (SOL_SOCKET, SO_SNDTIMEO),
    (SOL_SOCKET, SO_TYPE),
    (SOL_SOCKET, SO_ERROR),
    (SOL_SOCKET, SO_ACCEPTCONN),
    (SOL_SOCKET, SO_PROTOCOL),
    (SOL_SOCKET, SO_DOMAIN),
    (SOL_IP, IP_TTL),
    (SOL_IP, IP_FREEBIND),
    (SOL_IP, IP_MULTICAST_TTL),
    (SOL_IP, IP_MULTICAST_LOOP),
    (IPPROTO_IPV6, IPV6_MULTICAST_HOPS),
    (IPPROTO_IPV6, IPV6_MULTICAST_LOOP),
    (IPPROTO_IPV6, IPV6_TCLASS),
    (IPPROTO_IPV6, IPV6_V6ONLY),
    (IPPROTO_IPV6, IPV6_FREEBIND),
    (SOL_TCP, TCP_NODELAY),
    (SOL_TCP, TCP_KEEPIDLE),
    (SOL_TCP, TCP_KEEPINTVL),
    (SOL_TCP, TCP_KEEPCNT),
];

fn opt() -> impl Strategy<Value = (i32, i32)> {
    prop::sample::select(SAME)
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Small ints of every length 0..=8 (ints, bytes, short values).
        (any::<i8>(), 0usize..9).prop_map(|(v, n)| {
            let mut b = (v as i64).to_ne_bytes().to_vec();
            b.truncate(n);
            b
        }),
        // Plausible ints.
        prop::sample::select(vec![
            0i32,
            1,
            -1,
            2,
            64,
            255,
            256,
            32767,
            32768,
            i32::MAX,
            i32::MIN
        ])
        .prop_map(|v| v.to_ne_bytes().to_vec()),
        // linger / timeval shapes.
        (any::<bool>(), -2i32..100).prop_map(|(on, s)| [
            (on as i32).to_ne_bytes(),
            s.to_ne_bytes()
        ]
        .concat()),
        (
            -2i64..5,
            prop::sample::select(vec![0i64, 1, 999_999, 1_000_000, -1])
        )
            .prop_map(|(s, us)| [s.to_ne_bytes(), us.to_ne_bytes()].concat()),
        prop::collection::vec(any::<u8>(), 0..20),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn setsockopt_like_linux((level, name) in opt(), val in value(), udp in any::<bool>(), v6 in any::<bool>()) {
        let ty = if udp { SOCK_DGRAM } else { SOCK_STREAM };
        let domain = if v6 { AF_INET6 } else { AF_INET };
        let host = Host::new(domain, ty);
        let mut n = Net::new();
        let s = n.net.socket(domain as i32, ty, 0).unwrap();
        let ours = n.net.setsockopt(s.id(), level, name, &val);
        let theirs = host.set(level, name, &val);
        prop_assert_eq!(ours, theirs, "setsockopt({}, {}, {:?}) udp={}", level, name, val, udp);
        let ours = n.net.getsockopt(s.id(), level, name).map(|v| v.as_bytes().to_vec());
        let theirs = host.get(level, name);
        // Linux reports a huge SO_LINGER time in HZ-dependent units.
        let huge_linger = (level, name) == (SOL_SOCKET, SO_LINGER) && val.len() >= 8 && val[7] & 0x80 != 0;
        if huge_linger {
            return Ok(());
        }
        // Linux rounds timeouts up to whole jiffies (HZ >= 100).
        if name == SO_RCVTIMEO || name == SO_SNDTIMEO {
            let us = |v: &Vec<u8>| {
                let f = |r: std::ops::Range<usize>| i64::from_ne_bytes(v[r].try_into().unwrap());
                f(0..8) * 1_000_000 + f(8..16)
            };
            let (a, b) = (us(&ours.clone().unwrap()), us(&theirs.clone().unwrap()));
            prop_assert!(a <= b && b < a + 10_000, "timeout {} vs Linux {}", a, b);
            return Ok(());
        }
        prop_assert_eq!(ours, theirs, "getsockopt({}, {}) after {:?} udp={}", level, name, val, udp);
    }
}

#[test]
fn socket_arguments_like_linux() {
    let mut n = Net::new();
    for domain in [AF_INET as i32, AF_INET6 as i32] {
        for ty in [
            SOCK_STREAM,
            SOCK_DGRAM,
            SOCK_SEQPACKET,
            0,
            7,
            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
            SOCK_DGRAM | 0x100,
        ] {
            for proto in [0, IPPROTO_TCP, IPPROTO_UDP, 99] {
                let ours = n.net.socket(domain, ty, proto).map(|_| ());
                // SAFETY: plain syscall with integer arguments.
                let fd = unsafe { libc::socket(domain, ty as i32, proto) };
                let theirs = if fd >= 0 {
                    // SAFETY: we own the new fd.
                    unsafe { libc::close(fd) };
                    Ok(())
                } else {
                    Err(Errno(errno()))
                };
                assert_eq!(ours, theirs, "socket({domain}, {ty:#x}, {proto})");
            }
        }
    }
}

/// Bytes for an address argument: any length, a family from the
/// interesting ones.
fn addr_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![0u16, 1, 2, 10, 16, 17, 0xffff]),
        prop::collection::vec(any::<u8>(), 0..140),
        any::<bool>(),
    )
        .prop_map(|(fam, mut b, any_ip)| {
            if b.len() >= 2 {
                b[..2].copy_from_slice(&fam.to_ne_bytes());
            }
            if any_ip && b.len() >= 8 {
                b[4..8].fill(0);
            }
            b
        })
}

/// Which call an address goes to.
#[derive(Debug, Clone, Copy)]
enum Call {
    Bind,
    Connect,
    SendTo,
}

/// Whether Linux would act on the address (bind a port, connect, send):
/// such cases are not run on the host. An `AF_INET6` socket acts on
/// `sockaddr_in6` and, for UDP, on `sockaddr_in` too.
fn has_effect(call: Call, b: &[u8], v6: bool, udp: bool) -> bool {
    if v6 {
        let fam = b.get(..2).map(|f| u16::from_ne_bytes([f[0], f[1]]));
        return b.len() <= 128
            && match fam {
                Some(10) => b.len() >= 24,
                Some(2) => b.len() >= 16 && udp && !matches!(call, Call::Bind),
                _ => false,
            };
    }
    if b.len() < 16 || b.len() > 128 {
        return false;
    }
    let fam = u16::from_ne_bytes([b[0], b[1]]);
    let any = b[4..8] == [0, 0, 0, 0];
    match (call, fam) {
        (_, 2) => true,
        (Call::Bind, 0) => any,
        (Call::Connect, 0) => false,
        (Call::SendTo, 0) => true,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn address_arguments_like_linux(b in addr_bytes(), udp in any::<bool>(), which in 0u8..3, v6 in any::<bool>()) {
        let call = [Call::Bind, Call::Connect, Call::SendTo][which as usize];
        if has_effect(call, &b, v6, udp) || (matches!(call, Call::SendTo) && !udp) {
            return Ok(());
        }
        let ty = if udp { SOCK_DGRAM } else { SOCK_STREAM };
        let domain = if v6 { AF_INET6 } else { AF_INET };
        let host = Host::new(domain, ty);
        let mut n = Net::new();
        let s = n.net.socket(domain as i32, ty, 0).unwrap();
        let ours = match call {
            Call::Bind => n.net.bind(s.id(), &b),
            Call::Connect => n.net.connect(s.id(), &b),
            Call::SendTo => n.net.sendto(s.id(), b"x", 0, Some(&b)).map(|_| ()),
        };
        let p = b.as_ptr().cast();
        let len = b.len() as u32;
        // SAFETY: `b` is valid for `len` bytes; the calls only read it.
        let r = unsafe {
            match call {
                Call::Bind => libc::bind(host.0, p, len),
                Call::Connect => libc::connect(host.0, p, len),
                Call::SendTo => libc::sendto(host.0, b"x".as_ptr().cast(), 1, libc::MSG_DONTWAIT, p, len) as i32,
            }
        };
        let theirs = if r >= 0 { Ok(()) } else { Err(Errno(errno())) };
        prop_assert_eq!(ours, theirs, "{:?} with {} bytes {:?}, udp={} v6={}", call, b.len(), &b[..b.len().min(8)], udp, v6);
    }
}

#[test]
fn interface_requests_like_linux() {
    let host = Host::new(AF_INET, SOCK_DGRAM);
    let n = Net::new();
    for (cmd, name, index) in [
        (SIOCGIFINDEX, &b"lo"[..], 0i32),
        (SIOCGIFINDEX, &b"no-such-if"[..], 0),
        (SIOCGIFNAME, &b""[..], 1),
        (SIOCGIFNAME, &b""[..], 999_999),
    ] {
        let mut req = [0u8; IFREQ_SIZE];
        req[..name.len()].copy_from_slice(name);
        req[16..20].copy_from_slice(&index.to_ne_bytes());
        let ours = n
            .net
            .interface_ioctl(cmd, &req)
            .expect("an interface request");
        let mut theirs = req;
        // SAFETY: `theirs` is a whole `struct ifreq`.
        let r = unsafe { libc::ioctl(host.0, cmd as _, theirs.as_mut_ptr()) };
        let theirs = if r == 0 {
            Ok(theirs[..20].to_vec())
        } else {
            Err(Errno(errno()))
        };
        assert_eq!(
            ours.map(|o| o[..20].to_vec()),
            theirs,
            "{cmd:#x} {name:?} {index}"
        );
    }
}
