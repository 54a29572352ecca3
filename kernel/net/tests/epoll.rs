//! poll and epoll over socket readiness.

mod common;

use common::*;
use veridian_net::abi::*;
use veridian_net::{EpollEvent, EpollSet, Errno, PollFd, SocketId};

fn ev(events: u32, data: u64) -> EpollEvent {
    EpollEvent { events, data }
}

#[test]
fn level_triggered() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let mut ep: EpollSet<SocketId> = EpollSet::new(100);
    ep.ctl(EPOLL_CTL_ADD, l.id(), ev(EPOLLIN, 1)).unwrap();
    assert!(ep.wait(&mut n.net, 8).unwrap().is_empty());
    let c = n.tcp();
    let _ = n.net.connect(c.id(), &sa(LO, la.port()));
    n.settle();
    assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLIN, 1)]);
    assert_eq!(
        ep.wait(&mut n.net, 8).unwrap(),
        vec![ev(EPOLLIN, 1)],
        "level: again"
    );
    let (s, _) = n.net.accept(l.id(), 0).unwrap();
    assert!(ep.wait(&mut n.net, 8).unwrap().is_empty());
    ep.ctl(EPOLL_CTL_ADD, s.id(), ev(EPOLLIN | EPOLLOUT, 2))
        .unwrap();
    assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLOUT, 2)]);
    n.net.sendto(c.id(), b"hi", 0, None).unwrap();
    n.settle();
    assert_eq!(
        ep.wait(&mut n.net, 8).unwrap(),
        vec![ev(EPOLLIN | EPOLLOUT, 2)]
    );
    ep.ctl(EPOLL_CTL_MOD, s.id(), ev(EPOLLIN | EPOLLRDHUP, 3))
        .unwrap();
    n.recv_exact(s.id(), 2);
    assert!(ep.wait(&mut n.net, 8).unwrap().is_empty());
    n.net.close(c).unwrap();
    n.settle();
    assert_eq!(
        ep.wait(&mut n.net, 8).unwrap(),
        vec![ev(EPOLLIN | EPOLLRDHUP, 3)]
    );
    // A closed socket leaves the interest list.
    let id = s.id();
    n.net.close(s).unwrap();
    assert_eq!(ep.len(), 2);
    let _ = ep.wait(&mut n.net, 8).unwrap();
    assert_eq!(ep.len(), 1);
    assert_eq!(ep.ctl(EPOLL_CTL_DEL, id, ev(0, 0)), Err(Errno::ENOENT));
}

#[test]
fn edge_triggered_and_oneshot() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let (c, s) = n.pair(l.id(), la);
    let mut ep: EpollSet<SocketId> = EpollSet::new(100);
    ep.ctl(EPOLL_CTL_ADD, s.id(), ev(EPOLLIN | EPOLLET, 7))
        .unwrap();
    assert!(ep.wait(&mut n.net, 8).unwrap().is_empty());
    n.net.sendto(c.id(), b"a", 0, None).unwrap();
    n.settle();
    assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLIN, 7)]);
    assert!(
        ep.wait(&mut n.net, 8).unwrap().is_empty(),
        "edge: reported once"
    );
    // More data without reading: a new edge.
    n.net.sendto(c.id(), b"b", 0, None).unwrap();
    n.settle();
    assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLIN, 7)]);
    // Drain to EAGAIN (as mio does), then new data: an edge, even though
    // no wait saw the empty state in between.
    n.recv_exact(s.id(), 2);
    let mut buf = [0u8; 4];
    assert_eq!(n.net.recvfrom(s.id(), &mut buf, 0), Err(Errno::EAGAIN));
    n.net.sendto(c.id(), b"c", 0, None).unwrap();
    n.settle();
    assert!(ep.any_ready(&mut n.net));
    assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLIN, 7)]);
    assert!(!ep.any_ready(&mut n.net));
    // One-shot: fires once, MOD re-arms.
    ep.ctl(EPOLL_CTL_ADD, c.id(), ev(EPOLLOUT | EPOLLONESHOT, 9))
        .unwrap();
    assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLOUT, 9)]);
    assert!(ep.wait(&mut n.net, 8).unwrap().is_empty());
    ep.ctl(EPOLL_CTL_MOD, c.id(), ev(EPOLLOUT | EPOLLONESHOT, 10))
        .unwrap();
    assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLOUT, 10)]);
}

#[test]
fn ctl_rules_errors_and_fairness() {
    let mut n = Net::new();
    let mut ep: EpollSet<SocketId> = EpollSet::new(3);
    let socks: Vec<_> = (0..4).map(|_| n.udp()).collect();
    ep.ctl(EPOLL_CTL_ADD, socks[0].id(), ev(EPOLLOUT, 0))
        .unwrap();
    assert_eq!(
        ep.ctl(EPOLL_CTL_ADD, socks[0].id(), ev(EPOLLOUT, 0)),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        ep.ctl(EPOLL_CTL_MOD, socks[1].id(), ev(EPOLLOUT, 0)),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        ep.ctl(9, socks[1].id(), ev(EPOLLOUT, 0)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        ep.ctl(
            EPOLL_CTL_MOD,
            socks[0].id(),
            ev(EPOLLOUT | EPOLLEXCLUSIVE, 0)
        ),
        Err(Errno::EINVAL)
    );
    ep.ctl(EPOLL_CTL_ADD, socks[1].id(), ev(EPOLLOUT, 1))
        .unwrap();
    ep.ctl(EPOLL_CTL_ADD, socks[2].id(), ev(EPOLLOUT, 2))
        .unwrap();
    assert_eq!(
        ep.ctl(EPOLL_CTL_ADD, socks[3].id(), ev(EPOLLOUT, 3)),
        Err(Errno::ENOSPC)
    );
    assert_eq!(ep.wait(&mut n.net, 0), Err(Errno::EINVAL));
    // maxevents 1 over three ready entries: each gets its turn.
    let mut seen: Vec<u64> = (0..3)
        .map(|_| ep.wait(&mut n.net, 1).unwrap()[0].data)
        .collect();
    seen.sort();
    assert_eq!(seen, vec![0, 1, 2]);
    // ERR and HUP are reported without being asked for.
    let (l, la) = n.listener();
    n.net.close(l).unwrap();
    n.settle();
    let c = n.tcp();
    let _ = n.net.connect(c.id(), &sa(LO, la.port()));
    n.settle();
    ep.ctl(EPOLL_CTL_DEL, socks[0].id(), ev(0, 0)).unwrap();
    ep.ctl(EPOLL_CTL_ADD, c.id(), ev(EPOLLIN, 5)).unwrap();
    let got = ep.wait(&mut n.net, 8).unwrap();
    let e = got
        .iter()
        .find(|e| e.data == 5)
        .expect("refused socket reported");
    assert_eq!(e.events & (EPOLLERR | EPOLLHUP), EPOLLERR | EPOLLHUP);
    // Layout.
    let bytes = ev(EPOLLIN | EPOLLET, 0x1122334455667788).encode();
    assert_eq!(bytes.len(), 12);
    assert_eq!(
        EpollEvent::decode(&bytes).unwrap(),
        ev(EPOLLIN | EPOLLET, 0x1122334455667788)
    );
    assert_eq!(EpollEvent::decode(&bytes[..11]), Err(Errno::EFAULT));
}

#[test]
fn pollfd_entries() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let (c, s) = n.pair(l.id(), la);
    let ids = [c.id(), s.id()];
    let mut fds = [
        PollFd {
            fd: 0,
            events: POLLIN,
            revents: 0,
        },
        PollFd {
            fd: 1,
            events: POLLIN | POLLOUT,
            revents: 0,
        },
        PollFd {
            fd: -1,
            events: POLLIN,
            revents: 0x55,
        },
    ];
    let mut count = 0;
    for p in fds.iter_mut() {
        count += p.update(|fd| n.net.readiness(ids[fd as usize])) as usize;
    }
    assert_eq!(
        (count, fds[0].revents, fds[1].revents, fds[2].revents),
        (1, 0, POLLOUT, 0)
    );
    let raw = fds[1].encode();
    assert_eq!(PollFd::decode(&raw).unwrap(), fds[1]);
    assert_eq!(PollFd::decode(&raw[..7]), Err(Errno::EINVAL));
    assert_eq!(
        veridian_net::revents(POLLIN | POLLHUP | POLLOUT, POLLIN),
        POLLIN | POLLHUP
    );
}

#[test]
fn edge_triggered_listener_and_udp() {
    let mut n = Net::new();
    let (l, la) = n.listener();
    let mut ep: EpollSet<SocketId> = EpollSet::new(100);
    ep.ctl(EPOLL_CTL_ADD, l.id(), ev(EPOLLIN | EPOLLET, 1))
        .unwrap();
    let c1 = n.tcp();
    let _ = n.net.connect(c1.id(), &sa(LO, la.port()));
    n.settle();
    assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLIN, 1)]);
    // A second connection while the first still waits: a new edge.
    let c2 = n.tcp();
    let _ = n.net.connect(c2.id(), &sa(LO, la.port()));
    n.settle();
    assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLIN, 1)]);
    assert!(ep.wait(&mut n.net, 8).unwrap().is_empty());
    // UDP: each datagram is an edge, even unread ones before it.
    let u = n.udp();
    let v = n.udp();
    n.net.bind(u.id(), &sa(LO, 0)).unwrap();
    let port = n.net.local_addr(u.id()).unwrap().port();
    ep.ctl(EPOLL_CTL_ADD, u.id(), ev(EPOLLIN | EPOLLET, 2))
        .unwrap();
    for _ in 0..2 {
        n.net.sendto(v.id(), b"d", 0, Some(&sa(LO, port))).unwrap();
        n.settle();
        assert_eq!(ep.wait(&mut n.net, 8).unwrap(), vec![ev(EPOLLIN, 2)]);
        assert!(ep.wait(&mut n.net, 8).unwrap().is_empty());
    }
}
