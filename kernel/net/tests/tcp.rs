//! TCP over loopback through the public API.

mod common;

use common::*;
use std::net::{Ipv4Addr, SocketAddrV4};
use veridian_net::abi::*;
use veridian_net::{sockaddr, Errno};

#[test]
fn listen_connect_accept_echo() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    assert_ne!(la.port(), 0);
    assert_eq!(*la.ip(), LO);
    let c = n.tcp();
    assert_eq!(
        n.net.connect(c.id(), &sa(LO, la.port())),
        Err(Errno::EINPROGRESS)
    );
    assert_eq!(
        n.net.connect(c.id(), &sa(LO, la.port())),
        Err(Errno::EALREADY)
    );
    assert_eq!(n.net.accept(l.id(), 0).unwrap_err(), Errno::EAGAIN);
    n.settle();
    assert_ne!(n.net.readiness(l.id()) & POLLIN, 0, "listener readable");
    n.net.connect_result(c.id()).unwrap();
    assert_eq!(
        n.net.connect(c.id(), &sa(LO, la.port())),
        Err(Errno::EISCONN)
    );
    let (s, peer) = n.net.accept(l.id(), SOCK_NONBLOCK).unwrap();
    assert!(n.net.is_nonblocking(s.id()).unwrap());
    assert_eq!(peer, n.net.local_addr(c.id()).unwrap());
    assert_eq!(n.net.peer_addr(s.id()).unwrap(), peer);
    assert_eq!(
        n.net.peer_addr(c.id()).unwrap(),
        std::net::SocketAddr::V4(la)
    );
    assert_eq!(
        n.net.local_addr(s.id()).unwrap(),
        std::net::SocketAddr::V4(la)
    );
    assert_eq!(n.net.local_addr(c.id()).unwrap().ip(), LO);

    assert_eq!(n.net.sendto(c.id(), b"ping", 0, None), Ok(4));
    n.settle();
    assert_ne!(n.net.readiness(s.id()) & POLLIN, 0);
    assert_eq!(n.net.ioctl(s.id(), FIONREAD, &[]), Ok(Some(4)));
    let mut buf = [0u8; 16];
    let r = n.net.recvfrom(s.id(), &mut buf, MSG_PEEK).unwrap();
    assert_eq!(&buf[..r.len], b"ping");
    let r = n.net.recvfrom(s.id(), &mut buf, 0).unwrap();
    assert_eq!(&buf[..r.len], b"ping");
    assert_eq!(n.net.recvfrom(s.id(), &mut buf, 0), Err(Errno::EAGAIN));
    assert_eq!(n.net.readiness(s.id()) & POLLIN, 0);
    n.net.sendto(s.id(), b"pong!", 0, None).unwrap();
    n.settle();
    let r = n.net.recvfrom(c.id(), &mut buf, 0).unwrap();
    assert_eq!(&buf[..r.len], b"pong!");
}

#[test]
fn eof_after_peer_close_and_shutdown() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let (c, s) = n.pair(l.id(), la);
    n.net.sendto(s.id(), b"last words", 0, None).unwrap();
    n.net.shutdown(s.id(), SHUT_WR).unwrap();
    assert_eq!(n.net.sendto(s.id(), b"x", 0, None), Err(Errno::EPIPE));
    n.settle();
    let mut buf = [0u8; 32];
    let r = n.net.recvfrom(c.id(), &mut buf, 0).unwrap();
    assert_eq!(&buf[..r.len], b"last words");
    assert_ne!(n.net.readiness(c.id()) & POLLRDHUP, 0);
    assert_eq!(n.net.recvfrom(c.id(), &mut buf, 0).unwrap().len, 0, "EOF");
    assert_eq!(
        n.net.recvfrom(c.id(), &mut buf, 0).unwrap().len,
        0,
        "EOF stays"
    );
    // The half-closed side can still send the other way.
    n.net.sendto(c.id(), b"reply", 0, None).unwrap();
    n.settle();
    assert_eq!(n.recv_exact(s.id(), 5), b"reply");
    n.net.close(c).unwrap();
    n.settle();
    assert_eq!(n.net.recvfrom(s.id(), &mut buf, 0).unwrap().len, 0);
    n.net.close(s).unwrap();
    n.advance(61_000);
    let st = n.net.stats();
    assert_eq!((st.orphans, st.sockets), (0, 1), "{st:?}");
}

#[test]
fn connect_to_closed_port_is_refused() {
    let mut n = Net::new();
    // Find a port nobody listens on: bind and close a socket.
    let (l, la) = n.listener();
    n.net.close(l).unwrap();
    n.settle();
    let c = n.tcp();
    assert_eq!(
        n.net.connect(c.id(), &sa(LO, la.port())),
        Err(Errno::EINPROGRESS)
    );
    n.settle();
    let ev = n.net.readiness(c.id());
    assert_ne!(ev & POLLERR, 0, "error readiness: {ev:#x}");
    assert_ne!(ev & POLLOUT, 0);
    let v = n.net.getsockopt(c.id(), SOL_SOCKET, SO_ERROR).unwrap();
    assert_eq!(v.as_int(), Errno::ECONNREFUSED.0);
    assert_eq!(
        n.net
            .getsockopt(c.id(), SOL_SOCKET, SO_ERROR)
            .unwrap()
            .as_int(),
        0,
        "SO_ERROR clears"
    );
    // A blocking connect sees it through connect_result.
    let c2 = n.tcp();
    assert_eq!(
        n.net.connect(c2.id(), &sa(LO, la.port())),
        Err(Errno::EINPROGRESS)
    );
    n.settle();
    assert_eq!(n.net.connect_result(c2.id()), Err(Errno::ECONNREFUSED));
    // Port 0 and 0.0.0.0 (means loopback, as on Linux).
    let c3 = n.tcp();
    assert_eq!(n.net.connect(c3.id(), &sa(LO, 0)), Err(Errno::ECONNREFUSED));
    assert_eq!(
        n.net
            .connect(c3.id(), &sa(Ipv4Addr::UNSPECIFIED, la.port())),
        Err(Errno::EINPROGRESS)
    );
    n.settle();
    assert_eq!(n.net.connect_result(c3.id()), Err(Errno::ECONNREFUSED));
    // No route.
    let c4 = n.tcp();
    assert_eq!(
        n.net.connect(c4.id(), &sa(Ipv4Addr::new(10, 0, 2, 2), 80)),
        Err(Errno::ENETUNREACH)
    );
    // The stack sockets of failed attempts are freed.
    let st = n.net.stats();
    assert_eq!(st.stack_sockets, 0, "{st:?}");
}

#[test]
fn address_in_use_and_reuseaddr() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let b = n.tcp();
    assert_eq!(
        n.net.bind(b.id(), &sa(LO, la.port())),
        Err(Errno::EADDRINUSE)
    );
    assert_eq!(
        n.net.bind(b.id(), &sa(Ipv4Addr::UNSPECIFIED, la.port())),
        Err(Errno::EADDRINUSE)
    );
    // SO_REUSEADDR does not let two sockets share a listening port.
    n.net
        .setsockopt(b.id(), SOL_SOCKET, SO_REUSEADDR, &int(1))
        .unwrap();
    assert_eq!(
        n.net.bind(b.id(), &sa(LO, la.port())),
        Err(Errno::EADDRINUSE)
    );
    // A connection left on the port after the listener closes does not
    // block a SO_REUSEADDR rebind (std's TcpListener sets it).
    n.net
        .setsockopt(l.id(), SOL_SOCKET, SO_REUSEADDR, &int(1))
        .unwrap();
    let (c, s) = n.pair(l.id(), la);
    n.net.close(l).unwrap();
    n.net.bind(b.id(), &sa(LO, la.port())).unwrap();
    n.net.listen(b.id(), 4).unwrap();
    // Without SO_REUSEADDR the accepted socket's binding conflicts.
    let d = n.tcp();
    assert_eq!(
        n.net.bind(d.id(), &sa(LO, la.port())),
        Err(Errno::EADDRINUSE)
    );
    // Already bound: EINVAL. Not our address: EADDRNOTAVAIL.
    assert_eq!(n.net.bind(b.id(), &sa(LO, 0)), Err(Errno::EINVAL));
    assert_eq!(
        n.net.bind(d.id(), &sa(Ipv4Addr::new(192, 168, 1, 1), 0)),
        Err(Errno::EADDRNOTAVAIL)
    );
    drop((c, s));
}

#[test]
fn nonblocking_eagain_and_would_block_paths() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    assert_eq!(n.net.accept(l.id(), 0).unwrap_err(), Errno::EAGAIN);
    let (c, s) = n.pair(l.id(), la);
    let mut buf = [0u8; 8];
    assert_eq!(
        n.net.recvfrom(c.id(), &mut buf, MSG_DONTWAIT),
        Err(Errno::EAGAIN)
    );
    assert_eq!(n.net.readiness(c.id()) & (POLLIN | POLLOUT), POLLOUT);
    // Fill the send buffer and the peer's receive window.
    n.net
        .setsockopt(c.id(), SOL_SOCKET, SO_RCVTIMEO, &{
            let mut tv = [0u8; 16];
            tv[..8].copy_from_slice(&2i64.to_ne_bytes());
            tv[8..].copy_from_slice(&500_000i64.to_ne_bytes());
            tv
        })
        .unwrap();
    assert_eq!(n.net.timeouts(c.id()).unwrap(), (Some(2_500_000), None));
    let chunk = vec![7u8; 32 * 1024];
    let mut sent = 0;
    loop {
        match n.net.sendto(c.id(), &chunk, 0, None) {
            Ok(k) => sent += k,
            Err(Errno::EAGAIN) => {
                n.settle();
                if n.net.sendto(c.id(), &chunk, 0, None) == Err(Errno::EAGAIN) {
                    break;
                }
                sent += chunk.len();
            }
            Err(e) => panic!("{e:?}"),
        }
        assert!(sent < 10 << 20, "send never blocked");
    }
    assert_eq!(
        n.net.readiness(c.id()) & POLLOUT,
        0,
        "not writable when full"
    );
    // FIONBIO toggles the stored flag.
    n.net.ioctl(c.id(), FIONBIO, &int(1)).unwrap();
    assert!(n.net.is_nonblocking(c.id()).unwrap());
    let got = n.recv_exact(s.id(), sent);
    assert!(got.iter().all(|&b| b == 7));
}

#[test]
fn bulk_transfer_10_mib() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let (c, s) = n.pair(l.id(), la);
    let total = 10 << 20;
    let data: Vec<u8> = (0..total)
        .map(|i: usize| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let mut buf = vec![0u8; 64 << 10];
    let (mut off, mut got) = (0usize, Vec::with_capacity(total));
    let start = std::time::Instant::now();
    let mut polls = 0;
    while got.len() < total {
        while off < total {
            match n
                .net
                .sendto(c.id(), &data[off..(off + (256 << 10)).min(total)], 0, None)
            {
                Ok(k) => off += k,
                Err(Errno::EAGAIN) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        n.now += 1;
        n.net.poll(n.now);
        polls += 1;
        loop {
            match n.net.recvfrom(s.id(), &mut buf, 0) {
                Ok(r) if r.len > 0 => got.extend_from_slice(&buf[..r.len]),
                Ok(_) => panic!("early EOF"),
                Err(Errno::EAGAIN) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        assert!(polls < 100_000, "transfer stalled at {} bytes", got.len());
    }
    assert!(got == data, "bytes differ");
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "10 MiB over loopback: {polls} polls, {secs:.3} s, {:.1} MiB/s",
        10.0 / secs
    );
}

#[test]
fn close_with_unread_data_resets_peer() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let (c, s) = n.pair(l.id(), la);
    n.net.sendto(c.id(), b"unread", 0, None).unwrap();
    n.settle();
    n.net.close(s).unwrap();
    n.settle();
    assert_ne!(n.net.readiness(c.id()) & (POLLERR | POLLHUP), 0);
    let mut buf = [0u8; 8];
    assert_eq!(n.net.recvfrom(c.id(), &mut buf, 0), Err(Errno::ECONNRESET));
    assert_eq!(n.net.recvfrom(c.id(), &mut buf, 0).unwrap().len, 0);
    assert_eq!(n.net.sendto(c.id(), b"x", 0, None), Err(Errno::EPIPE));
    assert_eq!(n.net.peer_addr(c.id()), Err(Errno::ENOTCONN));
    assert_eq!(n.net.stats().orphans, 0);
}

#[test]
fn linger_zero_resets_and_listener_close_resets_pending() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let (c, s) = n.pair(l.id(), la);
    let mut lg = [0u8; 8];
    lg[..4].copy_from_slice(&1i32.to_ne_bytes());
    n.net
        .setsockopt(s.id(), SOL_SOCKET, SO_LINGER, &lg)
        .unwrap();
    assert_eq!(
        n.net
            .getsockopt(s.id(), SOL_SOCKET, SO_LINGER)
            .unwrap()
            .as_bytes(),
        &lg
    );
    n.net.close(s).unwrap();
    n.settle();
    let mut buf = [0u8; 8];
    assert_eq!(n.net.recvfrom(c.id(), &mut buf, 0), Err(Errno::ECONNRESET));
    // A connection nobody accepted is reset when the listener closes.
    let p = n.tcp();
    assert_eq!(
        n.net.connect(p.id(), &sa(LO, la.port())),
        Err(Errno::EINPROGRESS)
    );
    n.settle();
    n.net.connect_result(p.id()).unwrap();
    n.net.close(l).unwrap();
    n.settle();
    assert_eq!(n.net.recvfrom(p.id(), &mut buf, 0), Err(Errno::ECONNRESET));
}

#[test]
fn backlog_pool_refills() {
    let mut n = Net::new();
    let l = n.tcp();
    n.net.bind(l.id(), &sa(LO, 0)).unwrap();
    n.net.listen(l.id(), 3).unwrap();
    let la = n.net.local_addr(l.id()).unwrap();
    // More connections than the pool holds, accepted in rounds.
    let mut conns = Vec::new();
    for round in 0..4 {
        let mut cs = Vec::new();
        for _ in 0..3 {
            let c = n.tcp();
            assert_eq!(
                n.net.connect(c.id(), &sa(LO, la.port())),
                Err(Errno::EINPROGRESS)
            );
            cs.push(c);
        }
        n.settle();
        for c in &cs {
            assert_eq!(n.net.connect_result(c.id()), Ok(()), "round {round}");
        }
        for _ in 0..3 {
            conns.push(n.net.accept(l.id(), 0).unwrap());
        }
        assert_eq!(n.net.accept(l.id(), 0).unwrap_err(), Errno::EAGAIN);
        conns.extend(cs.into_iter().map(|c| (c, la)));
    }
    assert_eq!(conns.len(), 24);
    // Past the backlog, handshakes are held until accept makes room (the
    // clients wait, as with Linux); past what the listener can hold, they
    // are refused.
    let mut extra = Vec::new();
    for _ in 0..10 {
        let c = n.tcp();
        let _ = n.net.connect(c.id(), &sa(LO, la.port()));
        extra.push(c);
    }
    n.settle();
    let count = |n: &mut Net, extra: &[veridian_net::OwnedSocket], want: Result<(), Errno>| {
        extra
            .iter()
            .filter(|c| n.net.connect_result(c.id()) == want)
            .count()
    };
    // backlog 3 + pool 2 per link (held) = 5 taken, the rest refused.
    assert_eq!(count(&mut n, &extra, Ok(())), 3);
    let held = count(&mut n, &extra, Err(Errno::EALREADY));
    assert_eq!(held, 4, "held handshakes");
    for _ in 0..3 {
        conns.push((n.net.accept(l.id(), 0).unwrap().0, la));
    }
    // The clients retransmit their SYN (1 s) and complete.
    n.advance(3_000);
    assert_eq!(count(&mut n, &extra, Ok(())), 3 + 3);
    while let Ok((s, _)) = n.net.accept(l.id(), 0) {
        conns.push((s, la));
    }
    n.advance(3_000);
    assert_eq!(count(&mut n, &extra, Ok(())), 3 + held);
    assert_eq!(count(&mut n, &extra, Err(Errno::EALREADY)), 0);
}

#[test]
fn socket_argument_errors() {
    let mut n = Net::new();
    assert_eq!(
        n.net.socket(AF_PACKET as i32, SOCK_STREAM, 0).unwrap_err(),
        Errno::EAFNOSUPPORT
    );
    assert_eq!(
        n.net.socket(AF_UNIX as i32, SOCK_STREAM, 0).unwrap_err(),
        Errno::EAFNOSUPPORT
    );
    assert_eq!(
        n.net.socket(-1, SOCK_STREAM, 0).unwrap_err(),
        Errno::EAFNOSUPPORT
    );
    assert_eq!(
        n.net
            .socket(AF_INET as i32, SOCK_STREAM | 0x100, 0)
            .unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        n.net
            .socket(AF_INET as i32, SOCK_STREAM, IPPROTO_UDP)
            .unwrap_err(),
        Errno::EPROTONOSUPPORT
    );
    assert_eq!(
        n.net.socket(AF_INET as i32, SOCK_SEQPACKET, 0).unwrap_err(),
        Errno::ESOCKTNOSUPPORT
    );
    let s = n
        .net
        .socket(
            AF_INET as i32,
            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
            IPPROTO_TCP,
        )
        .unwrap();
    assert!(n.net.is_nonblocking(s.id()).unwrap());
    let mut buf = [0u8; 4];
    assert_eq!(n.net.recvfrom(s.id(), &mut buf, 0), Err(Errno::ENOTCONN));
    assert_eq!(n.net.sendto(s.id(), b"x", 0, None), Err(Errno::EPIPE));
    assert_eq!(n.net.shutdown(s.id(), SHUT_RD), Err(Errno::ENOTCONN));
    assert_eq!(n.net.shutdown(s.id(), 7), Err(Errno::EINVAL));
    assert_eq!(n.net.peer_addr(s.id()), Err(Errno::ENOTCONN));
    assert_eq!(
        n.net.local_addr(s.id()).unwrap(),
        std::net::SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
    );
    assert_eq!(n.net.accept(s.id(), 0).unwrap_err(), Errno::EINVAL);
    assert_eq!(n.net.connect(s.id(), &[2, 0]), Err(Errno::EINVAL));
    let mut v6 = [0u8; 28];
    v6[..2].copy_from_slice(&AF_INET6.to_ne_bytes());
    assert_eq!(n.net.connect(s.id(), &v6), Err(Errno::EAFNOSUPPORT));
    // Unconnected stream sockets poll as writable + hung up, as on Linux;
    // the SHUT_RD above (ENOTCONN) was still recorded, as on Linux.
    let mask = POLLIN | POLLOUT | POLLHUP | POLLERR | POLLRDHUP;
    assert_eq!(
        n.net.readiness(s.id()) & mask,
        POLLOUT | POLLHUP | POLLIN | POLLRDHUP
    );
    let fresh = n.tcp();
    assert_eq!(n.net.readiness(fresh.id()) & mask, POLLOUT | POLLHUP);
    let id = s.id();
    n.net.close(s).unwrap();
    assert_eq!(n.net.readiness(id), POLLNVAL);
    assert_eq!(
        n.net.bind(id, &sockaddr::encode(SocketAddrV4::new(LO, 0))),
        Err(Errno::EBADF)
    );
}

#[test]
fn options_round_trip() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let (c, _s) = n.pair(l.id(), la);
    let id = c.id();
    for (level, name) in [
        (SOL_TCP, TCP_NODELAY),
        (SOL_SOCKET, SO_KEEPALIVE),
        (SOL_SOCKET, SO_REUSEADDR),
        (SOL_SOCKET, SO_BROADCAST),
    ] {
        assert_eq!(n.net.getsockopt(id, level, name).unwrap().as_int(), 0);
        n.net.setsockopt(id, level, name, &int(1)).unwrap();
        assert_eq!(
            n.net.getsockopt(id, level, name).unwrap().as_int(),
            1,
            "{level}/{name}"
        );
    }
    n.net.setsockopt(id, SOL_IP, IP_TTL, &int(17)).unwrap();
    assert_eq!(n.net.getsockopt(id, SOL_IP, IP_TTL).unwrap().as_int(), 17);
    assert_eq!(
        n.net.setsockopt(id, SOL_IP, IP_TTL, &int(0)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        n.net.getsockopt(id, SOL_SOCKET, SO_TYPE).unwrap().as_int(),
        SOCK_STREAM as i32
    );
    assert_eq!(
        n.net
            .getsockopt(l.id(), SOL_SOCKET, SO_ACCEPTCONN)
            .unwrap()
            .as_int(),
        1
    );
    n.net
        .setsockopt(id, SOL_SOCKET, SO_RCVBUF, &int(100_000))
        .unwrap();
    assert_eq!(
        n.net
            .getsockopt(id, SOL_SOCKET, SO_RCVBUF)
            .unwrap()
            .as_int(),
        200_000
    );
    assert_eq!(
        n.net.setsockopt(id, SOL_SOCKET, SO_TYPE, &int(1)),
        Err(Errno::ENOPROTOOPT)
    );
    assert_eq!(
        n.net.setsockopt(id, SOL_SOCKET, SO_REUSEADDR, &[1]),
        Err(Errno::EINVAL)
    );
    assert_eq!(n.net.getsockopt(id, 999, 1), Err(Errno::ENOPROTOOPT));
    let mut tv = [0u8; 16];
    tv[8..].copy_from_slice(&1_000_000i64.to_ne_bytes());
    assert_eq!(
        n.net.setsockopt(id, SOL_SOCKET, SO_SNDTIMEO, &tv),
        Err(Errno::EDOM)
    );
    // Data still flows with NODELAY and keepalive on.
    n.net.sendto(id, b"opts", 0, None).unwrap();
    n.settle();
    assert_eq!(n.recv_exact(_s.id(), 4), b"opts");
}

#[test]
fn ten_thousand_round_trips() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let (c, s) = n.pair(l.id(), la);
    n.net
        .setsockopt(c.id(), SOL_TCP, TCP_NODELAY, &int(1))
        .unwrap();
    n.net
        .setsockopt(s.id(), SOL_TCP, TCP_NODELAY, &int(1))
        .unwrap();
    let start = std::time::Instant::now();
    let mut buf = [0u8; 8];
    for i in 0u64..10_000 {
        assert_eq!(n.net.sendto(c.id(), &i.to_le_bytes(), 0, None), Ok(8));
        n.now += 1;
        n.net.poll(n.now);
        let r = n.net.recvfrom(s.id(), &mut buf, 0).unwrap();
        assert_eq!((r.len, u64::from_le_bytes(buf)), (8, i));
        n.net.sendto(s.id(), &buf, 0, None).unwrap();
        n.now += 1;
        n.net.poll(n.now);
        let r = n.net.recvfrom(c.id(), &mut buf, 0).unwrap();
        assert_eq!((r.len, u64::from_le_bytes(buf)), (8, i));
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "10k round trips over loopback: {secs:.3} s, {:.1} us each",
        secs * 100.0
    );
}

#[test]
fn stack_is_send() {
    fn send<T: Send>() {}
    send::<veridian_net::NetStack>();
    send::<veridian_net::OwnedSocket>();
}

#[test]
fn all_of_127_8_is_local() {
    let mut n = Net::new();
    let any = n.tcp();
    n.net.bind(any.id(), &sa(Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    n.net.listen(any.id(), 4).unwrap();
    let port = n.net.local_addr(any.id()).unwrap().port();
    let c = n.tcp();
    let to = Ipv4Addr::new(127, 1, 2, 3);
    assert_eq!(
        n.net.connect(c.id(), &sa(to, port)),
        Err(Errno::EINPROGRESS)
    );
    n.settle();
    n.net.connect_result(c.id()).unwrap();
    let (s, _) = n.net.accept(any.id(), 0).unwrap();
    assert_eq!(
        n.net.local_addr(s.id()).unwrap(),
        std::net::SocketAddr::V4(SocketAddrV4::new(to, port))
    );
    assert_eq!(
        n.net.peer_addr(c.id()).unwrap(),
        std::net::SocketAddr::V4(SocketAddrV4::new(to, port))
    );
    // A listener bound to 127.0.0.1 does not answer 127.0.0.2.
    let (l, la) = n.listener();
    let c2 = n.tcp();
    assert_eq!(
        n.net
            .connect(c2.id(), &sa(Ipv4Addr::new(127, 0, 0, 2), la.port())),
        Err(Errno::EINPROGRESS)
    );
    n.settle();
    assert_eq!(n.net.connect_result(c2.id()), Err(Errno::ECONNREFUSED));
    // Binding to another loopback address works, UDP included.
    let u = n.udp();
    let v = n.udp();
    n.net
        .bind(u.id(), &sa(Ipv4Addr::new(127, 0, 0, 9), 0))
        .unwrap();
    let ua = n.net.local_addr(u.id()).unwrap();
    n.net
        .sendto(v.id(), b"nine", 0, Some(&sa(ua.ip(), ua.port())))
        .unwrap();
    n.settle();
    let mut buf = [0u8; 8];
    assert_eq!(n.net.recvfrom(u.id(), &mut buf, 0).unwrap().len, 4);
    drop(l);
}

#[test]
fn poll_delay_reports_timers() {
    let mut n = Net::new();
    assert_eq!(n.net.poll_delay(n.now), None, "idle stack: no timer");
    let (l, la) = n.listener();
    let (c, s) = n.pair(l.id(), la);
    n.settle();
    n.net.close(c).unwrap();
    n.settle();
    n.net.close(s).unwrap();
    n.settle();
    // The active closer is in TIME-WAIT: its buffers are gone at once, its
    // port comes back when the timer (60 s) fires.
    assert_eq!(n.net.stats().stack_sockets, 2, "just the listener pool");
    let d = n.net.poll_delay(n.now).expect("TIME-WAIT timer");
    assert!(d > 0 && d <= 60_000, "{d}");
    // Polling only when told to is enough to free everything.
    for _ in 0..10 {
        match n.net.poll_delay(n.now) {
            Some(d) => {
                n.now += d;
                n.net.poll(n.now);
            }
            None => break,
        }
    }
    assert_eq!(n.net.stats().orphans, 0);
    assert_eq!(n.net.stats().stack_sockets, 2, "just the listener pool");
}

/// Linux: shutdown(SHUT_RD or SHUT_RDWR) stops a listener, after which
/// connect is EINVAL while listen works again; SHUT_WR leaves it listening.
#[test]
fn connect_after_a_listener_was_shut_down() {
    let mut n = Net::new();
    let (_target, ta) = n.listener();
    for (how, connect) in [
        (SHUT_RD, Errno::EINVAL),
        (SHUT_RDWR, Errno::EINVAL),
        (SHUT_WR, Errno::EISCONN),
    ] {
        let (l, _) = n.listener();
        assert_eq!(n.net.shutdown(l.id(), how), Ok(()));
        assert_eq!(
            n.net.connect(l.id(), &sa(LO, ta.port())),
            Err(connect),
            "shutdown {how}"
        );
        assert_eq!(n.net.listen(l.id(), 2), Ok(()), "shutdown {how}");
    }
}

#[test]
fn connect_and_close_bursts_wait_in_the_backlog() {
    // As mio's Token example: a client connects and closes 33 times while
    // the server has not accepted yet; every connect succeeds.
    let mut n = Net::new();
    let l = n.tcp();
    n.net.bind(l.id(), &sa(LO, 0)).unwrap();
    n.net.listen(l.id(), 1024).unwrap();
    let la = n.net.local_addr(l.id()).unwrap();
    for i in 0..33 {
        let c = n.tcp();
        assert_eq!(
            n.net.connect(c.id(), &sa(LO, la.port())),
            Err(Errno::EINPROGRESS)
        );
        n.settle();
        assert_eq!(n.net.connect_result(c.id()), Ok(()), "connection {i}");
        drop(c);
    }
    let mut accepted = 0;
    while n.net.accept(l.id(), 0).is_ok() {
        accepted += 1;
    }
    assert_eq!(accepted, 33);
}
