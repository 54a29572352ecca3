//! Many sockets, limits, and that everything is freed.

mod common;

use common::*;
use veridian_net::abi::*;
use veridian_net::{Errno, NetConfig};

#[test]
fn two_thousand_sockets_open_and_close() {
    // 1000 connected sockets with 128 KiB of buffers each.
    let mut n = Net::with(NetConfig {
        max_buffer_bytes: 256 << 20,
        ..NetConfig::default()
    });
    let base = n.net.stats();
    let (l, la) = n.listener();
    n.net.listen(l.id(), 1000).unwrap();
    let mut socks = Vec::new();
    // 500 TCP connections (1000 sockets), 500 bound UDP, 500 unbound TCP.
    for _ in 0..500 {
        let c = n.tcp();
        assert_eq!(
            n.net.connect(c.id(), &sa(LO, la.port())),
            Err(Errno::EINPROGRESS)
        );
        socks.push(c);
        if socks.len() % 50 == 0 {
            n.settle();
            while let Ok((s, _)) = n.net.accept(l.id(), 0) {
                socks.push(s);
            }
        }
    }
    n.settle();
    while let Ok((s, _)) = n.net.accept(l.id(), 0) {
        socks.push(s);
    }
    for _ in 0..500 {
        let u = n.udp();
        n.net.bind(u.id(), &sa(LO, 0)).unwrap();
        socks.push(u);
        socks.push(n.tcp());
    }
    assert_eq!(socks.len(), 2000);
    let st = n.net.stats();
    assert_eq!(st.sockets, 2001, "{st:?}");
    // Every connection works.
    for s in socks.iter().take(1000) {
        assert_eq!(n.net.connect_result(s.id()), Ok(()));
    }
    // Close half explicitly, drop the rest (closed on the next call).
    for (i, s) in socks.into_iter().enumerate() {
        if i % 2 == 0 {
            n.net.close(s).unwrap();
        } else {
            drop(s);
        }
    }
    n.net.close(l).unwrap();
    n.settle();
    // TIME-WAIT and FIN handshakes finish.
    n.advance(70_000);
    let st = n.net.stats();
    assert_eq!(st, base, "all freed: {st:?}");
}

#[test]
fn socket_limit_gives_emfile() {
    let mut n = Net::with(NetConfig {
        max_sockets: 10,
        ..NetConfig::default()
    });
    let mut v: Vec<_> = (0..10).map(|_| n.udp()).collect();
    assert_eq!(
        n.net.socket(AF_INET as i32, SOCK_STREAM, 0).unwrap_err(),
        Errno::EMFILE
    );
    v.pop();
    assert!(
        n.net.socket(AF_INET as i32, SOCK_STREAM, 0).is_ok(),
        "a dropped handle frees its slot"
    );
}

#[test]
fn buffer_budget_gives_enobufs() {
    let cfg = NetConfig {
        max_buffer_bytes: 1 << 20,
        ..NetConfig::default()
    };
    let mut n = Net::with(cfg);
    let mut v = Vec::new();
    let err = loop {
        let u = n.udp();
        match n.net.bind(u.id(), &sa(LO, 0)) {
            Ok(()) => v.push(u),
            Err(e) => break e,
        }
        assert!(v.len() < 100);
    };
    assert_eq!(err, Errno::ENOBUFS);
    assert_eq!(v.len(), 8, "1 MiB / 128 KiB");
    assert!(n.net.stats().buffer_bytes <= 1 << 20);
    v.clear();
    n.settle();
    assert_eq!(n.net.stats().buffer_bytes, 0);
}

#[test]
fn orphan_of_silent_peer_is_reset() {
    // A peer that goes away without a word: the orphan is reset after the
    // timeout, not kept forever.
    let mut n = Net::with(NetConfig {
        orphan_timeout_ms: 5_000,
        ..NetConfig::default()
    });
    let (l, la) = n.listener();
    let (c, s) = n.pair(l.id(), la);
    // Client half-closes; server never closes its side but is dropped while
    // the client still has the connection open: the server's orphan sits
    // in FIN-WAIT until the timeout.
    n.net.close(s).unwrap();
    n.settle();
    assert_eq!(n.net.stats().orphans, 1);
    n.advance(6_000);
    assert_eq!(n.net.stats().orphans, 0);
    let mut buf = [0u8; 4];
    let r = n.net.recvfrom(c.id(), &mut buf, 0);
    assert!(
        r == Ok(veridian_net::RecvInfo {
            len: 0,
            full_len: 0,
            from: None
        }) || r == Err(Errno::ECONNRESET),
        "{r:?}"
    );
}

#[test]
fn time_wait_holds_no_buffers() {
    // Room for 12 sockets' buffers: 100 connections opened and closed in
    // quick succession (no time passes) must not run out, though each
    // leaves its closer in TIME-WAIT.
    let mut n = Net::with(NetConfig {
        max_buffer_bytes: 12 * (128 << 10),
        ..NetConfig::default()
    });
    let (l, la) = n.listener();
    for i in 0..100 {
        let c = n.tcp();
        match n.net.connect(c.id(), &sa(LO, la.port())) {
            Err(Errno::EINPROGRESS) => {}
            r => panic!("connect {i}: {r:?}"),
        }
        n.settle();
        let (s, _) = n.net.accept(l.id(), 0).unwrap();
        n.net.close(c).unwrap();
        n.net.close(s).unwrap();
        n.settle();
    }
    let st = n.net.stats();
    assert!(st.buffer_bytes <= 4 * (128 << 10), "{st:?}");
    // The ports stay reserved for TIME-WAIT's span, then come back.
    n.advance(70_000);
    assert_eq!(n.net.stats().orphans, 0);
}
