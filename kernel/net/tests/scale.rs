//! Cost of a poll with many idle sockets around (the guest polls after
//! every socket call).

mod common;

use common::*;
use veridian_net::NetConfig;

#[test]
fn round_trips_with_two_thousand_idle_sockets() {
    let mut n = Net::with(NetConfig {
        max_buffer_bytes: 1 << 30,
        ..NetConfig::default()
    });
    let (l, la) = n.listener();
    let mut idle = Vec::new();
    for _ in 0..500 {
        let (c, s) = n.pair(l.id(), la);
        idle.push(c);
        idle.push(s);
    }
    for _ in 0..1000 {
        idle.push(n.udp());
    }
    let (c, s) = n.pair(l.id(), la);
    let start = std::time::Instant::now();
    let mut buf = [0u8; 8];
    for i in 0u64..200 {
        n.net.sendto(c.id(), &i.to_le_bytes(), 0, None).unwrap();
        n.now += 1;
        n.net.poll(n.now);
        assert_eq!(n.net.recvfrom(s.id(), &mut buf, 0).unwrap().len, 8);
        n.net.sendto(s.id(), &buf, 0, None).unwrap();
        n.now += 1;
        n.net.poll(n.now);
        assert_eq!(n.net.recvfrom(c.id(), &mut buf, 0).unwrap().len, 8);
        assert_eq!(u64::from_le_bytes(buf), i);
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / 200.0;
    eprintln!("round trip with 2000 idle sockets: {us:.1} us");
}
