//! UDP over loopback through the public API.

mod common;

use common::*;
use std::net::{Ipv4Addr, SocketAddrV4};
use veridian_net::abi::*;
use veridian_net::Errno;

#[test]
fn sendto_recvfrom_keeps_boundaries() {
    let mut n = Net::new();
    let a = n.udp();
    let b = n.udp();
    n.net.bind(a.id(), &sa(LO, 0)).unwrap();
    n.net.bind(b.id(), &sa(Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let aa = n.net.local_addr(a.id()).unwrap();
    let ba = n.net.local_addr(b.id()).unwrap();
    assert_eq!(ba.ip(), Ipv4Addr::UNSPECIFIED);
    for msg in [&b"one"[..], b"", b"three three", &[9u8; 1400][..]] {
        assert_eq!(
            n.net.sendto(a.id(), msg, 0, Some(&sa(LO, ba.port()))),
            Ok(msg.len())
        );
    }
    n.settle();
    assert_eq!(n.net.ioctl(b.id(), FIONREAD, &[]), Ok(Some(3)));
    let mut buf = [0u8; 2048];
    for msg in [&b"one"[..], b"", b"three three", &[9u8; 1400][..]] {
        let r = n.net.recvfrom(b.id(), &mut buf, 0).unwrap();
        assert_eq!(&buf[..r.len], msg);
        assert_eq!(r.from, Some(aa));
    }
    assert_eq!(n.net.recvfrom(b.id(), &mut buf, 0), Err(Errno::EAGAIN));
    assert_eq!(n.net.readiness(b.id()) & POLLIN, 0);
    assert_ne!(n.net.readiness(b.id()) & POLLOUT, 0);
}

#[test]
fn truncation_peek_and_msg_trunc() {
    let mut n = Net::new();
    let a = n.udp();
    let b = n.udp();
    n.net.bind(b.id(), &sa(LO, 0)).unwrap();
    let ba = n.net.local_addr(b.id()).unwrap();
    // sendto on an unbound socket binds it to an ephemeral port.
    n.net
        .sendto(a.id(), b"0123456789", 0, Some(&sa(LO, ba.port())))
        .unwrap();
    n.net
        .sendto(a.id(), b"next", 0, Some(&sa(LO, ba.port())))
        .unwrap();
    let aa = n.net.local_addr(a.id()).unwrap();
    assert_ne!(aa.port(), 0);
    n.settle();
    let mut small = [0u8; 4];
    let r = n.net.recvfrom(b.id(), &mut small, MSG_PEEK).unwrap();
    assert_eq!((&small[..r.len], r.full_len), (&b"0123"[..], 10));
    let r = n.net.recvfrom(b.id(), &mut small, MSG_TRUNC).unwrap();
    assert_eq!(
        (&small[..], r.ret(MSG_TRUNC), r.ret(0), r.msg_flags()),
        (&b"0123"[..], 10, 4, MSG_TRUNC)
    );
    // The rest of a cut datagram is gone; the next one is whole.
    let mut buf = [0u8; 16];
    let r = n.net.recvfrom(b.id(), &mut buf, 0).unwrap();
    assert_eq!(&buf[..r.len], b"next");
    assert_eq!(r.from, Some(SocketAddrV4::new(LO, aa.port()).into()));
}

#[test]
fn connected_udp_filters_and_defaults() {
    let mut n = Net::new();
    let a = n.udp();
    let b = n.udp();
    let other = n.udp();
    n.net.bind(a.id(), &sa(LO, 0)).unwrap();
    n.net.bind(b.id(), &sa(LO, 0)).unwrap();
    let (aa, ba) = (
        n.net.local_addr(a.id()).unwrap(),
        n.net.local_addr(b.id()).unwrap(),
    );
    assert_eq!(
        n.net.sendto(a.id(), b"x", 0, None),
        Err(Errno::EDESTADDRREQ)
    );
    assert_eq!(n.net.peer_addr(a.id()), Err(Errno::ENOTCONN));
    n.net.connect(a.id(), &sa(LO, ba.port())).unwrap();
    n.net.connect(b.id(), &sa(LO, aa.port())).unwrap();
    assert_eq!(n.net.peer_addr(a.id()).unwrap(), ba);
    n.net
        .sendto(other.id(), b"stranger", 0, Some(&sa(LO, aa.port())))
        .unwrap();
    n.net.sendto(b.id(), b"friend", 0, None).unwrap();
    n.settle();
    let mut buf = [0u8; 16];
    let r = n.net.recvfrom(a.id(), &mut buf, 0).unwrap();
    assert_eq!(&buf[..r.len], b"friend");
    assert_eq!(n.net.recvfrom(a.id(), &mut buf, 0), Err(Errno::EAGAIN));
    // AF_UNSPEC dissolves the association.
    let mut unspec = [0u8; 16];
    unspec[..2].copy_from_slice(&AF_UNSPEC.to_ne_bytes());
    n.net.connect(a.id(), &unspec).unwrap();
    assert_eq!(n.net.peer_addr(a.id()), Err(Errno::ENOTCONN));
    // An unbound socket connected to loopback reports 127.0.0.1.
    let c = n.udp();
    n.net.connect(c.id(), &sa(LO, ba.port())).unwrap();
    let ca = n.net.local_addr(c.id()).unwrap();
    assert_eq!(ca.ip(), LO);
    assert_ne!(ca.port(), 0);
}

#[test]
fn udp_errors() {
    let mut n = Net::new();
    let a = n.udp();
    let b = n.udp();
    n.net.bind(a.id(), &sa(LO, 0)).unwrap();
    let aa = n.net.local_addr(a.id()).unwrap();
    assert_eq!(
        n.net.bind(b.id(), &sa(LO, aa.port())),
        Err(Errno::EADDRINUSE)
    );
    let big = vec![0u8; MAX_UDP + 1];
    assert_eq!(
        n.net.sendto(b.id(), &big, 0, Some(&sa(LO, aa.port()))),
        Err(Errno::EMSGSIZE)
    );
    assert_eq!(
        n.net.sendto(b.id(), b"x", 0, Some(&sa(LO, 0))),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        n.net
            .sendto(b.id(), b"x", 0, Some(&sa(Ipv4Addr::BROADCAST, 9))),
        Err(Errno::EACCES)
    );
    n.net
        .setsockopt(b.id(), SOL_SOCKET, SO_BROADCAST, &int(1))
        .unwrap();
    assert_eq!(
        n.net
            .sendto(b.id(), b"x", 0, Some(&sa(Ipv4Addr::BROADCAST, 9))),
        Err(Errno::ENETUNREACH)
    );
    assert_eq!(
        n.net.sendto(b.id(), b"x", 0, Some(&[2, 0, 0])),
        Err(Errno::EINVAL)
    );
    assert_eq!(n.net.listen(b.id(), 1), Err(Errno::EOPNOTSUPP));
    assert_eq!(n.net.accept(b.id(), 0).unwrap_err(), Errno::EOPNOTSUPP);
    assert_eq!(n.net.shutdown(b.id(), SHUT_RDWR), Err(Errno::ENOTCONN));
    assert_eq!(
        n.net.setsockopt(b.id(), SOL_TCP, TCP_NODELAY, &int(1)),
        Err(Errno::ENOPROTOOPT)
    );
    assert_eq!(
        n.net
            .getsockopt(b.id(), SOL_SOCKET, SO_TYPE)
            .unwrap()
            .as_int(),
        SOCK_DGRAM as i32
    );
    // SO_REUSEADDR on both lets two UDP sockets share a port.
    let c = n.udp();
    let d = n.udp();
    n.net
        .setsockopt(c.id(), SOL_SOCKET, SO_REUSEADDR, &int(1))
        .unwrap();
    n.net
        .setsockopt(d.id(), SOL_SOCKET, SO_REUSEADDR, &int(1))
        .unwrap();
    n.net.bind(c.id(), &sa(LO, 0)).unwrap();
    let port = n.net.local_addr(c.id()).unwrap().port();
    n.net.bind(d.id(), &sa(LO, port)).unwrap();
}

#[test]
fn full_receive_buffer_drops_not_blocks() {
    let mut n = Net::new();
    let a = n.udp();
    let b = n.udp();
    n.net.bind(b.id(), &sa(LO, 0)).unwrap();
    let port = n.net.local_addr(b.id()).unwrap().port();
    let msg = [1u8; 1000];
    let mut sent = 0;
    for _ in 0..200 {
        match n.net.sendto(a.id(), &msg, 0, Some(&sa(LO, port))) {
            Ok(_) => sent += 1,
            Err(Errno::EAGAIN) => n.settle(),
            Err(e) => panic!("{e:?}"),
        }
    }
    n.settle();
    let mut got = 0;
    let mut buf = [0u8; 2000];
    while n.net.recvfrom(b.id(), &mut buf, 0).is_ok() {
        got += 1;
    }
    assert!(got > 0 && got <= sent, "got {got} of {sent}");
}

const MAX_UDP: usize = veridian_net::MAX_UDP_PAYLOAD;

#[test]
fn connected_udp_sees_port_unreachable() {
    let mut n = Net::new();
    let gone = n.udp();
    n.net.bind(gone.id(), &sa(LO, 0)).unwrap();
    let port = n.net.local_addr(gone.id()).unwrap().port();
    n.net.close(gone).unwrap();
    let a = n.udp();
    n.net.connect(a.id(), &sa(LO, port)).unwrap();
    n.net.sendto(a.id(), b"anyone?", 0, None).unwrap();
    n.settle();
    assert_ne!(n.net.readiness(a.id()) & POLLERR, 0);
    let mut buf = [0u8; 8];
    assert_eq!(
        n.net.recvfrom(a.id(), &mut buf, 0),
        Err(Errno::ECONNREFUSED)
    );
    assert_eq!(
        n.net.recvfrom(a.id(), &mut buf, 0),
        Err(Errno::EAGAIN),
        "reported once"
    );
    // An unconnected sender is not told (as on Linux).
    let b = n.udp();
    n.net.sendto(b.id(), b"x", 0, Some(&sa(LO, port))).unwrap();
    n.settle();
    assert_eq!(n.net.recvfrom(b.id(), &mut buf, 0), Err(Errno::EAGAIN));
}
