//! Byte layouts against the C definitions, and hostile arguments: no
//! panic for any bytes or any sequence of calls.

mod common;

use common::*;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use veridian_net::abi::*;
use veridian_net::sockaddr::Domain;
use veridian_net::{sockaddr, Errno, NetConfig, SockAddr};

#[test]
fn mmsghdr_matches_libc() {
    use veridian_net::msghdr::{MMSGHDR_SIZE, MSGHDR_SIZE, MSG_LEN_OFFSET};
    assert_eq!(MMSGHDR_SIZE, std::mem::size_of::<libc::mmsghdr>());
    assert_eq!(MSGHDR_SIZE, std::mem::size_of::<libc::msghdr>());
    assert_eq!(MSG_LEN_OFFSET, std::mem::offset_of!(libc::mmsghdr, msg_len));
}

#[test]
fn sockaddr_in6_matches_libc() {
    let ip = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0x1234, 0x5678);
    let a = SocketAddrV6::new(ip, 0x1f90, 0x000a_bcde, 7);
    let bytes = sockaddr::encode6(a);
    assert_eq!(bytes.len(), std::mem::size_of::<libc::sockaddr_in6>());
    assert_eq!(std::mem::offset_of!(libc::sockaddr_in6, sin6_family), 0);
    assert_eq!(std::mem::offset_of!(libc::sockaddr_in6, sin6_port), 2);
    assert_eq!(std::mem::offset_of!(libc::sockaddr_in6, sin6_flowinfo), 4);
    assert_eq!(std::mem::offset_of!(libc::sockaddr_in6, sin6_addr), 8);
    assert_eq!(std::mem::offset_of!(libc::sockaddr_in6, sin6_scope_id), 24);
    assert_eq!(bytes[..2], (libc::AF_INET6 as u16).to_ne_bytes());
    assert_eq!(bytes[2..4], [0x1f, 0x90], "port big-endian");
    assert_eq!(
        bytes[4..8],
        0x000a_bcdeu32.to_be_bytes(),
        "flow info big-endian"
    );
    assert_eq!(bytes[8..24], ip.octets());
    assert_eq!(bytes[24..], 7u32.to_ne_bytes(), "scope id native");
    // RFC 2133's 24-byte form (no scope id) is accepted; shorter is not.
    assert_eq!(
        sockaddr::decode_inet6(&bytes[..24]),
        Ok(SocketAddrV6::new(ip, 0x1f90, 0x000a_bcde, 0))
    );
    assert_eq!(sockaddr::decode_inet6(&bytes[..23]), Err(Errno::EINVAL));
    let mut v4 = [0u8; 28];
    v4[..16].copy_from_slice(&sockaddr::encode(SocketAddrV4::new(LO, 1)));
    assert_eq!(sockaddr::decode_inet6(&v4), Err(Errno::EAFNOSUPPORT));
    // A datagram socket connects to AF_INET addresses; a stream socket
    // needs sockaddr_in6 (Linux: EINVAL for the 16 bytes of sockaddr_in).
    assert_eq!(
        sockaddr::decode_for(Domain::Inet6, true, &v4[..16]),
        Ok(SockAddr::Inet(SocketAddrV4::new(LO, 1).into()))
    );
    assert_eq!(
        sockaddr::decode_for(Domain::Inet6, false, &v4[..16]),
        Err(Errno::EINVAL)
    );
    let mut short = [0u8; 10];
    assert_eq!(sockaddr::encode_into(SocketAddr::V6(a), &mut short), 28);
    assert_eq!(short, bytes[..10]);
}

#[test]
fn sockaddr_in_matches_libc() {
    let a = SocketAddrV4::new(Ipv4Addr::new(192, 168, 7, 9), 0x1f90);
    let bytes = sockaddr::encode(a);
    assert_eq!(bytes.len(), std::mem::size_of::<libc::sockaddr_in>());
    let c = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0x1f90u16.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([192, 168, 7, 9]),
        },
        sin_zero: [0; 8],
    };
    assert_eq!(std::mem::offset_of!(libc::sockaddr_in, sin_family), 0);
    assert_eq!(std::mem::offset_of!(libc::sockaddr_in, sin_port), 2);
    assert_eq!(std::mem::offset_of!(libc::sockaddr_in, sin_addr), 4);
    assert_eq!(std::mem::offset_of!(libc::sockaddr_in, sin_zero), 8);
    assert_eq!(bytes[..2], c.sin_family.to_ne_bytes());
    assert_eq!(bytes[2..4], c.sin_port.to_ne_bytes());
    assert_eq!(bytes[4..8], c.sin_addr.s_addr.to_ne_bytes());
    assert_eq!(bytes[8..], c.sin_zero);
    let raw = bytes;
    assert_eq!(&bytes[2..4], &[0x1f, 0x90], "port big-endian");
    assert_eq!(sockaddr::decode(&raw), Ok(SockAddr::Inet(a.into())));
    assert_eq!(SOCKADDR_IN6_SIZE, std::mem::size_of::<libc::sockaddr_in6>());
    assert_eq!(SOCKADDR_UN_SIZE, std::mem::size_of::<libc::sockaddr_un>());
    assert_eq!(
        SOCKADDR_STORAGE_SIZE,
        std::mem::size_of::<libc::sockaddr_storage>()
    );
    assert_eq!(LINGER_SIZE, std::mem::size_of::<libc::linger>());
    assert_eq!(TIMEVAL_SIZE, std::mem::size_of::<libc::timeval>());
    assert_eq!(POLLFD_SIZE, std::mem::size_of::<libc::pollfd>());
    assert_eq!(EPOLL_EVENT_SIZE, std::mem::size_of::<libc::epoll_event>());
    // Truncating copy-out, full length reported.
    let mut short = [0u8; 6];
    assert_eq!(sockaddr::encode_into(a, &mut short), 16);
    assert_eq!(short, bytes[..6]);
}

#[test]
fn sockaddr_errors() {
    assert_eq!(sockaddr::decode(&[]), Err(Errno::EINVAL));
    assert_eq!(sockaddr::decode(&[2]), Err(Errno::EINVAL));
    assert_eq!(
        sockaddr::decode(&[2, 0, 0, 80]),
        Err(Errno::EINVAL),
        "short AF_INET"
    );
    assert_eq!(
        sockaddr::decode(&[0u8; 129]),
        Err(Errno::EINVAL),
        "longer than sockaddr_storage"
    );
    let mut v6 = [0u8; 28];
    v6[..2].copy_from_slice(&AF_INET6.to_ne_bytes());
    assert_eq!(sockaddr::decode(&v6), Err(Errno::EAFNOSUPPORT));
    assert_eq!(
        sockaddr::decode(&v6[..10]),
        Err(Errno::EINVAL),
        "length is checked first"
    );
    let mut un = [0u8; 110];
    un[..2].copy_from_slice(&AF_UNIX.to_ne_bytes());
    assert_eq!(sockaddr::decode(&un), Err(Errno::EAFNOSUPPORT));
    assert_eq!(sockaddr::decode(&[0, 0]), Ok(SockAddr::Unspec));
    // bind accepts AF_UNSPEC only with INADDR_ANY (Linux compatibility).
    let mut any = [0u8; 16];
    any[2..4].copy_from_slice(&80u16.to_be_bytes());
    assert_eq!(
        sockaddr::decode_inet(&any, Some(veridian_net::Unspec::AnyOnly)),
        Ok(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
    );
    any[4] = 1;
    assert_eq!(
        sockaddr::decode_inet(&any, Some(veridian_net::Unspec::AnyOnly)),
        Err(Errno::EAFNOSUPPORT)
    );
    // A longer buffer than sockaddr_in is fine (sockaddr_storage).
    let mut st = [0u8; 128];
    st[..16].copy_from_slice(&sockaddr::encode(SocketAddrV4::new(LO, 9)));
    assert_eq!(
        sockaddr::decode(&st),
        Ok(SockAddr::Inet(SocketAddrV4::new(LO, 9).into()))
    );
}

fn level() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(SOL_SOCKET),
        Just(SOL_IP),
        Just(SOL_TCP),
        Just(IPPROTO_UDP),
        any::<i32>()
    ]
}

proptest! {
    #[test]
    fn sockaddr_decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        match sockaddr::decode(&bytes) {
            Ok(SockAddr::Inet(SocketAddr::V4(a))) => {
                prop_assert!(bytes.len() >= 16);
                prop_assert_eq!(&sockaddr::encode(a)[..8], &bytes[..8]);
            }
            Ok(SockAddr::Inet(SocketAddr::V6(a))) => prop_assert!(false, "IPv6 from AF_INET: {a}"),
            Ok(SockAddr::Unspec) => prop_assert_eq!(&bytes[..2], &[0u8, 0][..]),
            Err(e) => prop_assert!([Errno::EINVAL, Errno::EAFNOSUPPORT].contains(&e)),
        }
    }

    #[test]
    fn sockaddr_round_trip(ip in any::<u32>(), port in any::<u16>()) {
        let a = SocketAddrV4::new(Ipv4Addr::from(ip), port);
        prop_assert_eq!(sockaddr::decode(&sockaddr::encode(a)), Ok(SockAddr::Inet(a.into())));
    }

    #[test]
    fn sockaddr_in6_decode_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        datagram in any::<bool>(),
    ) {
        match sockaddr::decode_for(Domain::Inet6, datagram, &bytes) {
            Ok(SockAddr::Inet(SocketAddr::V6(a))) => {
                prop_assert!(bytes.len() >= 24);
                prop_assert_eq!(&sockaddr::encode6(a)[..24], &bytes[..24]);
            }
            Ok(SockAddr::Inet(SocketAddr::V4(_))) => {
                prop_assert!(datagram && bytes.len() >= 16);
                prop_assert_eq!(u16::from_ne_bytes([bytes[0], bytes[1]]), AF_INET);
            }
            Ok(SockAddr::Unspec) => prop_assert_eq!(&bytes[..2], &[0u8, 0][..]),
            Err(e) => prop_assert!([Errno::EINVAL, Errno::EAFNOSUPPORT].contains(&e)),
        }
        match sockaddr::decode_dest(Domain::Inet6, &bytes) {
            Ok(Some(_)) => prop_assert!(bytes.len() >= 16),
            Ok(None) => prop_assert_eq!(&bytes[..2], &[0u8, 0][..]),
            Err(e) => prop_assert!([Errno::EINVAL, Errno::EAFNOSUPPORT].contains(&e)),
        }
    }

    #[test]
    fn sockaddr_in6_round_trip(ip in any::<u128>(), port in any::<u16>(), flow in any::<u32>(), scope in any::<u32>()) {
        let a = SocketAddrV6::new(Ipv6Addr::from(ip), port, flow, scope);
        prop_assert_eq!(
            sockaddr::decode_for(Domain::Inet6, false, &sockaddr::encode6(a)),
            Ok(SockAddr::Inet(a.into()))
        );
        // Mapped addresses are IPv4 inside the stack and mapped again
        // when shown.
        let inner = sockaddr::unmap(a.into());
        prop_assert_eq!(inner.is_ipv4(), a.ip().to_ipv4_mapped().is_some());
        let shown = Domain::Inet6.present(inner);
        prop_assert_eq!(shown, SocketAddrV6::new(*a.ip(), port, 0, 0).into());
    }

    #[test]
    fn options_never_panic(level in level(), name in -2i32..64, val in prop::collection::vec(any::<u8>(), 0..24), udp in any::<bool>()) {
        let mut n = Net::new();
        let s = if udp { n.udp() } else { n.tcp() };
        let r = n.net.setsockopt(s.id(), level, name, &val);
        if let Err(e) = r {
            prop_assert!([Errno::EINVAL, Errno::ENOPROTOOPT, Errno::EDOM].contains(&e), "{:?}", e);
        }
        if let Ok(v) = n.net.getsockopt(s.id(), level, name) {
            prop_assert!(v.as_bytes().len() <= MAX_OPTLEN);
        }
        // An int option set with a valid value reads back.
        if r.is_ok() && level == SOL_SOCKET && name == SO_KEEPALIVE {
            let set = i32::from_ne_bytes([val[0], val[1], val[2], val[3]]) != 0;
            prop_assert_eq!(n.net.getsockopt(s.id(), level, name).unwrap().as_int(), set as i32);
        }
    }

    /// Any sequence of calls with arbitrary arguments: errors, never a
    /// panic, and closing everything frees everything.
    #[test]
    fn random_call_sequences(ops in prop::collection::vec((0u8..14, any::<u16>(), any::<u32>(), prop::collection::vec(any::<u8>(), 0..20)), 1..60)) {
        let mut n = Net::with(NetConfig { max_sockets: 16, ..NetConfig::default() });
        let mut socks = Vec::new();
        let mut ids = Vec::new();
        for (op, a, b, bytes) in ops {
            let pick = |v: &Vec<veridian_net::SocketId>| v.get(a as usize % v.len().max(1)).copied();
            let addr = if b % 3 == 0 { sa(LO, a % 4 + 40000) } else { bytes.clone() };
            match op {
                0 => if let Ok(s) = n.net.socket(AF_INET as i32, [SOCK_STREAM, SOCK_DGRAM, b][a as usize % 3], 0) { ids.push(s.id()); socks.push(s); },
                1 => if let Some(id) = pick(&ids) { let _ = n.net.bind(id, &addr); },
                2 => if let Some(id) = pick(&ids) { let _ = n.net.listen(id, b as i32); },
                3 => if let Some(id) = pick(&ids) { let _ = n.net.connect(id, &addr); },
                4 => if let Some(id) = pick(&ids) { if let Ok((s, _)) = n.net.accept(id, b & 0o4000) { ids.push(s.id()); socks.push(s); } },
                5 => if let Some(id) = pick(&ids) { let _ = n.net.sendto(id, &bytes, b & 0x4040, (b % 2 == 0).then_some(&addr[..])); },
                6 => if let Some(id) = pick(&ids) { let mut buf = vec![0u8; a as usize % 64]; let _ = n.net.recvfrom(id, &mut buf, b & 0x63); },
                7 => if let Some(id) = pick(&ids) { let _ = n.net.shutdown(id, b % 4); },
                8 => if !socks.is_empty() { let s = socks.swap_remove(a as usize % socks.len()); if b % 2 == 0 { let _ = n.net.close(s); } },
                9 => if let Some(id) = pick(&ids) { let _ = n.net.setsockopt(id, [SOL_SOCKET, SOL_TCP, SOL_IP][b as usize % 3], (a % 40) as i32, &bytes); },
                10 => if let Some(id) = pick(&ids) { let _ = n.net.getsockopt(id, [SOL_SOCKET, SOL_TCP, SOL_IP][b as usize % 3], (a % 40) as i32); },
                11 => if let Some(id) = pick(&ids) { let _ = n.net.ioctl(id, [FIONREAD, FIONBIO, SIOCOUTQ, b][a as usize % 4], &bytes); },
                12 => if let Some(id) = pick(&ids) { let _ = n.net.readiness(id); let _ = n.net.local_addr(id); let _ = n.net.peer_addr(id); let _ = n.net.connect_result(id); },
                _ => { n.now += (a % 2000) as u64; n.net.poll(n.now); },
            }
        }
        drop(socks);
        n.advance(130_000);
        let st = n.net.stats();
        prop_assert_eq!((st.sockets, st.stack_sockets, st.orphans, st.buffer_bytes, st.bound_ports), (0, 0, 0, 0, 0), "{:?}", st);
    }
}

#[test]
fn msghdr_layout_matches_libc() {
    use std::mem::{offset_of, size_of};
    use veridian_net::msghdr::*;
    assert_eq!(MSGHDR_SIZE, size_of::<libc::msghdr>());
    assert_eq!(MSG_NAMELEN_OFFSET, offset_of!(libc::msghdr, msg_namelen));
    assert_eq!(
        MSG_CONTROLLEN_OFFSET,
        offset_of!(libc::msghdr, msg_controllen)
    );
    assert_eq!(MSG_FLAGS_OFFSET, offset_of!(libc::msghdr, msg_flags));
    assert_eq!(16, offset_of!(libc::msghdr, msg_iov));
    assert_eq!(24, offset_of!(libc::msghdr, msg_iovlen));
    assert_eq!(32, offset_of!(libc::msghdr, msg_control));
    assert_eq!(IOVEC_SIZE, size_of::<libc::iovec>());
    let mut b = [0u8; 56];
    b[0..8].copy_from_slice(&0x1000u64.to_ne_bytes());
    b[8..12].copy_from_slice(&16u32.to_ne_bytes());
    b[16..24].copy_from_slice(&0x2000u64.to_ne_bytes());
    b[24..32].copy_from_slice(&3u64.to_ne_bytes());
    b[48..52].copy_from_slice(&(MSG_TRUNC as i32).to_ne_bytes());
    let h = MsgHdr::decode(&b).unwrap();
    assert_eq!(
        (h.name, h.namelen, h.iov, h.iovlen, h.control, h.flags),
        (0x1000, 16, 0x2000, 3, 0, MSG_TRUNC as i32)
    );
    b[24..32].copy_from_slice(&1025u64.to_ne_bytes());
    assert_eq!(MsgHdr::decode(&b), Err(Errno::EMSGSIZE));
    assert_eq!(MsgHdr::decode(&b[..55]), Err(Errno::EFAULT));
    let mut iov = [0u8; 16];
    iov[..8].copy_from_slice(&0xdead0000u64.to_ne_bytes());
    iov[8..].copy_from_slice(&42u64.to_ne_bytes());
    assert_eq!(iovec(&iov), Ok((0xdead0000, 42)));
}
