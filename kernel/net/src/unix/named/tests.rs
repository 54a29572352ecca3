//! Named sockets: the Linux behaviours observed on a host kernel (6.x).

use super::*;
use alloc::vec;
use proptest::prelude::*;

const ST: UnixType = UnixType::Stream;
const DG: UnixType = UnixType::Dgram;
const ND: u32 = MSG_DONTWAIT;

fn cred(pid: i32) -> Ucred {
    Ucred {
        pid,
        uid: 1,
        gid: 2,
    }
}

fn abs(name: &[u8]) -> Vec<u8> {
    [&UNNAMED[..], &[0], name].concat()
}

/// A bound socket of type `ty` at abstract `name`.
fn bound(names: &mut Names, ty: UnixType, name: &[u8]) -> UnixSocket {
    let s = UnixSocket::new(ty);
    let a = abs(name);
    s.bind(names, Key::Abstract(ty.raw(), a[2..].to_vec()), a)
        .unwrap();
    s
}

fn find(names: &Names, ty: UnixType, name: &[u8]) -> Result<Target> {
    names.lookup(&Key::Abstract(ty.raw(), abs(name)[2..].to_vec()), ty)
}

fn recv(s: &UnixSocket, n: usize) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let mut b = vec![0u8; n];
    let (i, from) = s.recv(&mut b, ND)?;
    b.truncate(i.len);
    Ok((b, from))
}

#[test]
fn addresses_are_parsed_as_linux() {
    assert_eq!(parse_addr(&UNNAMED, true), Ok(Addr::Auto));
    assert_eq!(parse_addr(&UNNAMED, false), Err(Errno::EINVAL));
    assert_eq!(parse_addr(&[1], true), Err(Errno::EINVAL));
    assert_eq!(parse_addr(&[2, 0, b'/'], true), Err(Errno::EINVAL));
    assert_eq!(
        parse_addr(&[1, 0, b'/', b'a'], false),
        Ok(Addr::Path(b"/a"))
    );
    assert_eq!(
        parse_addr(&[1, 0, b'/', 0, b'x'], false),
        Ok(Addr::Path(b"/"))
    );
    assert_eq!(
        parse_addr(&[1, 0, 0, b'x', 0], false),
        Ok(Addr::Abstract(&[0, b'x', 0]))
    );
    let long = [1u8; SOCKADDR_UN_SIZE + 1];
    assert_eq!(
        parse_addr(&[&UNNAMED[..], &long[2..]].concat(), false),
        Err(Errno::EINVAL)
    );
    let max = [&UNNAMED[..], &[b'a'; 108]].concat();
    assert_eq!(parse_addr(&max, false), Ok(Addr::Path(&[b'a'; 108])));
    assert_eq!(path_name(b"/s"), vec![1, 0, b'/', b's', 0]);
}

#[test]
fn bind_rules() {
    let mut n = Names::new();
    let a = bound(&mut n, ST, b"a");
    let k = Key::Abstract(ST.raw(), abs(b"a")[2..].to_vec());
    assert_eq!(a.bind(&mut n, k.clone(), abs(b"a")), Err(Errno::EINVAL));
    let b = UnixSocket::new(ST);
    assert_eq!(b.bind(&mut n, k.clone(), abs(b"a")), Err(Errno::EADDRINUSE));
    // Each type has its own abstract namespace.
    bound(&mut n, DG, b"a");
    assert_eq!(a.name(), abs(b"a"));
    a.close(&mut n);
    assert_eq!(b.bind(&mut n, k, abs(b"a")), Ok(()));
}

#[test]
fn autobind_picks_five_hex_digits() {
    let mut n = Names::new();
    let s = UnixSocket::new(DG);
    s.autobind(&mut n).unwrap();
    let name = s.name();
    assert_eq!(name.len(), 8);
    assert_eq!(name[2], 0);
    assert!(name[3..].iter().all(|b| b.is_ascii_hexdigit()));
    s.autobind(&mut n).unwrap();
    assert_eq!(s.name(), name);
    let t = UnixSocket::new(DG);
    t.autobind(&mut n).unwrap();
    assert_ne!(t.name(), name);
}

#[test]
fn stream_listen_connect_accept() {
    let mut n = Names::new();
    let l = UnixSocket::new(ST);
    assert_eq!(l.listen(1, cred(5)), Err(Errno::EINVAL));
    let l = bound(&mut n, ST, b"srv");
    assert_eq!(l.poll(), POLLOUT | POLLWRNORM | POLLWRBAND | POLLHUP);
    assert_eq!(l.accept().err(), Some(Errno::EINVAL));
    let c = UnixSocket::new(ST);
    assert_eq!(
        c.connect(find(&n, ST, b"srv"), cred(7)),
        Err(Errno::ECONNREFUSED)
    );
    l.listen(0, cred(5)).unwrap();
    assert_eq!(l.poll(), 0);
    assert_eq!(l.accept().err(), Some(Errno::EAGAIN));
    assert_eq!(c.send(b"x", 0, None), Err(Errno::ENOTCONN));
    assert_eq!(recv(&c, 1), Err(Errno::EINVAL));
    c.connect(find(&n, ST, b"srv"), cred(7)).unwrap();
    assert_eq!(c.send(b"early", 0, None), Ok(5));
    // Backlog 0 lets one wait; the next finds it full.
    let c2 = UnixSocket::new(ST);
    assert_eq!(
        c2.connect(find(&n, ST, b"srv"), cred(8)),
        Err(Errno::EAGAIN)
    );
    assert_eq!(l.poll() & POLLIN, POLLIN);
    let (s, peer) = l.accept().unwrap();
    assert_eq!(
        c.connect(find(&n, ST, b"srv"), cred(7)),
        Err(Errno::EISCONN)
    );
    assert_eq!(peer, UNNAMED.to_vec());
    assert_eq!(s.name(), abs(b"srv"));
    assert_eq!(c.peer_name(), Ok(abs(b"srv")));
    assert_eq!(c.name(), UNNAMED.to_vec());
    assert_eq!(recv(&s, 10).unwrap(), (b"early".to_vec(), None));
    s.send(b"back", 0, None).unwrap();
    assert_eq!(recv(&c, 10).unwrap(), (b"back".to_vec(), Some(abs(b"srv"))));
    let pc = |x: &UnixSocket| x.getsockopt(SOL_SOCKET, SO_PEERCRED).unwrap();
    assert_eq!(&pc(&c).as_bytes()[..4], &5i32.to_ne_bytes());
    assert_eq!(&pc(&s).as_bytes()[..4], &7i32.to_ne_bytes());
    assert_eq!(l.getsockopt(SOL_SOCKET, SO_ACCEPTCONN).unwrap().as_int(), 1);
    assert_eq!(l.connect(find(&n, ST, b"srv"), cred(5)), Err(Errno::EINVAL));
    c2.connect(find(&n, ST, b"srv"), cred(8)).unwrap();
}

#[test]
fn types_must_match_and_closed_listeners_refuse() {
    let mut n = Names::new();
    let l = bound(&mut n, UnixType::SeqPacket, b"sp");
    l.listen(5, cred(1)).unwrap();
    // An abstract name of another type is another name.
    assert_eq!(find(&n, ST, b"sp").err(), Some(Errno::ECONNREFUSED));
    let k = Key::Node(0, 9);
    let p = UnixSocket::new(UnixType::SeqPacket);
    p.bind(&mut n, k.clone(), path_name(b"/p")).unwrap();
    assert_eq!(n.lookup(&k, ST).err(), Some(Errno::EPROTOTYPE));
    let c = UnixSocket::new(UnixType::SeqPacket);
    c.connect(find(&n, UnixType::SeqPacket, b"sp"), cred(2))
        .unwrap();
    c.send(b"m", 0, None).unwrap();
    l.close(&mut n);
    assert_eq!(
        find(&n, UnixType::SeqPacket, b"sp").err(),
        Some(Errno::ECONNREFUSED)
    );
    assert_eq!(recv(&c, 4), Err(Errno::ECONNRESET));
    assert_eq!(recv(&c, 4).unwrap().0, b"");
    p.close(&mut n);
    assert!(n.is_empty());
}

#[test]
fn listener_shut_for_reading_refuses() {
    let mut n = Names::new();
    let l = bound(&mut n, ST, b"l");
    l.listen(5, cred(1)).unwrap();
    l.shutdown(SHUT_RD).unwrap();
    let c = UnixSocket::new(ST);
    assert_eq!(
        c.connect(find(&n, ST, b"l"), cred(2)),
        Err(Errno::ECONNREFUSED)
    );
}

#[test]
fn datagrams_carry_the_senders_address() {
    let mut n = Names::new();
    let r = bound(&mut n, DG, b"r");
    let s = bound(&mut n, DG, b"s");
    let anon = UnixSocket::new(DG);
    assert_eq!(anon.send(b"x", 0, None), Err(Errno::ENOTCONN));
    assert_eq!(anon.peer_name(), Err(Errno::ENOTCONN));
    let a = abs(b"r");
    assert_eq!(s.send(b"one", 0, Some((&a, find(&n, DG, b"r")))), Ok(3));
    assert_eq!(anon.send(b"two", 0, Some((&a, find(&n, DG, b"r")))), Ok(3));
    assert_eq!(r.poll() & POLLIN, POLLIN);
    assert_eq!(r.ioctl(FIONREAD), Ok(3));
    assert_eq!(recv(&r, 10).unwrap(), (b"one".to_vec(), Some(abs(b"s"))));
    assert_eq!(recv(&r, 10).unwrap(), (b"two".to_vec(), None));
    assert_eq!(recv(&r, 10), Err(Errno::EAGAIN));
    // A connected receiver takes only its peer's datagrams.
    r.connect(find(&n, DG, b"s"), cred(1)).unwrap();
    assert_eq!(r.peer_name(), Ok(abs(b"s")));
    assert_eq!(
        anon.send(b"x", 0, Some((&a, find(&n, DG, b"r")))),
        Err(Errno::EPERM)
    );
    assert_eq!(r.send(b"back", 0, None), Ok(4));
    assert_eq!(recv(&s, 10).unwrap(), (b"back".to_vec(), Some(abs(b"r"))));
    // Sending to oneself works.
    let me = abs(b"s");
    assert_eq!(s.send(b"me", 0, Some((&me, find(&n, DG, b"s")))), Ok(2));
    assert_eq!(recv(&s, 10).unwrap().0, b"me");
    // A full receiver: EAGAIN after max_dgram_qlen + 1.
    for _ in 0..=MAX_DGRAM_QLEN {
        s.send(b"q", 0, Some((&a, find(&n, DG, b"r")))).unwrap();
    }
    assert_eq!(
        s.send(b"q", 0, Some((&a, find(&n, DG, b"r")))),
        Err(Errno::EAGAIN)
    );
    // The peer closes: ECONNREFUSED once, then ENOTCONN.
    s.connect(find(&n, DG, b"r"), cred(1)).unwrap();
    r.close(&mut n);
    assert_eq!(s.send(b"x", 0, None), Err(Errno::ECONNREFUSED));
    assert_eq!(s.send(b"x", 0, None), Err(Errno::ENOTCONN));
    assert_eq!(s.listen(1, cred(1)), Err(Errno::EOPNOTSUPP));
    assert_eq!(s.accept().err(), Some(Errno::EOPNOTSUPP));
}

#[test]
fn datagram_size_limit_is_the_send_buffer() {
    let mut n = Names::new();
    let r = bound(&mut n, DG, b"r");
    let a = abs(b"r");
    let big = vec![0u8; 212992 - 31];
    assert_eq!(
        r.send(&big, 0, Some((&a, find(&n, DG, b"r")))),
        Err(Errno::EMSGSIZE)
    );
    assert_eq!(
        r.send(&big[1..], 0, Some((&a, find(&n, DG, b"r")))),
        Ok(big.len() - 1)
    );
}

proptest! {
    /// Any bytes as an address: no panic, and only Linux's answers.
    #[test]
    fn any_address_is_safe(bytes in proptest::collection::vec(any::<u8>(), 0..130), bind in any::<bool>()) {
        match parse_addr(&bytes, bind) {
            Ok(Addr::Path(p)) => prop_assert!(!p.is_empty() && !p.contains(&0)),
            Ok(Addr::Abstract(a)) => prop_assert_eq!(a[0], 0),
            Ok(Addr::Auto) => prop_assert!(bind && bytes.len() == 2),
            Err(e) => prop_assert_eq!(e, Errno::EINVAL),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Bind(usize, usize),
    Autobind(usize),
    Listen(usize, i32),
    Accept(usize),
    Connect(usize, usize),
    Disconnect(usize),
    Send(usize, Option<usize>, usize),
    Recv(usize, usize, bool),
    Shutdown(usize, u32),
    Close(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let s = 0..6usize;
    let n = 0..3usize;
    prop_oneof![
        (s.clone(), n.clone()).prop_map(|(a, b)| Op::Bind(a, b)),
        s.clone().prop_map(Op::Autobind),
        (s.clone(), -2..3i32).prop_map(|(a, b)| Op::Listen(a, b)),
        s.clone().prop_map(Op::Accept),
        (s.clone(), n.clone()).prop_map(|(a, b)| Op::Connect(a, b)),
        s.clone().prop_map(Op::Disconnect),
        (s.clone(), proptest::option::of(n), 0..3000usize).prop_map(|(a, b, c)| Op::Send(a, b, c)),
        (s.clone(), 0..3000usize, any::<bool>()).prop_map(|(a, b, c)| Op::Recv(a, b, c)),
        (s.clone(), 0..4u32).prop_map(|(a, b)| Op::Shutdown(a, b)),
        s.prop_map(Op::Close),
    ]
}

proptest! {
    /// Random calls on sockets of every type sharing three abstract
    /// names: no panic, readiness always answers, and once everything is
    /// closed no name is left bound.
    #[test]
    fn random_named_calls_are_safe(
        types in proptest::collection::vec(0..3usize, 6),
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let kinds = [ST, DG, UnixType::SeqPacket];
        let mut n = Names::new();
        let mut socks: Vec<UnixSocket> =
            types.iter().map(|&t| UnixSocket::new(kinds[t])).collect();
        let key = |ty: UnixType, j: usize| Key::Abstract(ty.raw(), vec![0, b'n', j as u8]);
        let addr = |j: usize| abs(&[b'n', j as u8]);
        for o in ops {
            let len = socks.len();
            let s = |i: usize| i % len;
            match o {
                Op::Bind(i, j) => {
                    let t = socks[s(i)].ty();
                    let _ = socks[s(i)].bind(&mut n, key(t, j), addr(j));
                }
                Op::Autobind(i) => {
                    let _ = socks[s(i)].autobind(&mut n);
                }
                Op::Listen(i, b) => {
                    let _ = socks[s(i)].listen(b, cred(1));
                }
                Op::Accept(i) => {
                    if let Ok((a, _)) = socks[s(i)].accept() {
                        socks.push(a);
                    }
                }
                Op::Connect(i, j) => {
                    let t = socks[s(i)].ty();
                    let _ = socks[s(i)].connect(n.lookup(&key(t, j), t), cred(2));
                }
                Op::Disconnect(i) => {
                    let _ = socks[s(i)].disconnect();
                }
                Op::Send(i, to, k) => {
                    let t = socks[s(i)].ty();
                    let data = vec![7u8; k];
                    let a = to.map(addr);
                    let dest = to.map(|j| (a.as_deref().unwrap(), n.lookup(&key(t, j), t)));
                    let _ = socks[s(i)].send(&data, MSG_DONTWAIT, dest);
                }
                Op::Recv(i, k, peek) => {
                    let mut b = vec![0u8; k];
                    let f = MSG_DONTWAIT | if peek { MSG_PEEK } else { 0 };
                    if let Ok((r, _)) = socks[s(i)].recv(&mut b, f) {
                        prop_assert!(r.len <= k);
                    }
                }
                Op::Shutdown(i, how) => {
                    let _ = socks[s(i)].shutdown(how);
                }
                Op::Close(i) => socks[s(i)].close(&mut n),
            }
            for x in &socks {
                let _ = x.poll_seq();
                let _ = x.name();
                let _ = x.peer_name();
            }
        }
        for x in &socks {
            x.close(&mut n);
        }
        prop_assert!(n.is_empty());
    }
}
