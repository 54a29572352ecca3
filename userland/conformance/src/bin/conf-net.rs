//! Sockets on 127.0.0.1: TcpListener/TcpStream and UdpSocket; IPv6 on
//! ::1 (the `ipv6` module); AF_UNIX socket pairs (the `unix` module) and
//! named AF_UNIX sockets (the `unix_named` module).
#[path = "conf-net/ipv6.rs"]
mod ipv6;
#[path = "conf-net/unix.rs"]
mod unix;
#[path = "conf-net/unix_named.rs"]
mod unix_named;

use conformance::Suite;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "sigpipe" {
        unix::sigpipe_child(&args[2]);
    }
    let mut suite = Suite::new("net");
    suite.check("tcp-echo", || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
        let server = thread::spawn(move || {
            let (mut conn, peer) = listener.accept().unwrap();
            assert!(peer.ip().is_loopback());
            let mut buf = Vec::new();
            conn.read_to_end(&mut buf).unwrap();
            conn.write_all(&buf).unwrap();
        });
        let mut client = TcpStream::connect(addr).unwrap();
        client.set_nodelay(true).unwrap();
        let payload: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        client.write_all(&payload).unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).unwrap();
        assert!(back == payload, "echoed {} bytes", back.len());
        server.join().unwrap();
    });
    suite.check("tcp-timeout", || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let err = conn.read(&mut [0; 8]).unwrap_err();
        assert!(matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ));
        drop(client);
        assert_eq!(
            conn.read(&mut [0; 8]).unwrap(),
            0,
            "EOF after the peer closes"
        );
    });
    suite.check("tcp-refused", || {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    });
    suite.check("udp", || {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        a.send_to(b"datagram", b.local_addr().unwrap()).unwrap();
        let mut buf = [0; 64];
        b.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let (n, from) = b.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"datagram");
        assert_eq!(from, a.local_addr().unwrap());
    });
    suite.check("interface-index", || {
        // SIOCGIFINDEX / SIOCGIFNAME on any socket, as musl's
        // if_nametoindex and if_indextoname ask on an AF_UNIX one.
        use std::os::fd::AsRawFd;
        let inet = UdpSocket::bind("127.0.0.1:0").unwrap();
        let unix = std::os::unix::net::UnixDatagram::unbound().unwrap();
        for fd in [inet.as_raw_fd(), unix.as_raw_fd()] {
            let mut req = [0u8; 40];
            req[..2].copy_from_slice(b"lo");
            let r = conformance::raw::sys(
                16,
                [fd as usize, 0x8933, req.as_mut_ptr() as usize, 0, 0, 0],
            );
            assert_eq!(r, 0, "SIOCGIFINDEX");
            let index = i32::from_ne_bytes(req[16..20].try_into().unwrap());
            assert!(index > 0, "lo has index {index}");
            req[..16].fill(0);
            let r = conformance::raw::sys(
                16,
                [fd as usize, 0x8910, req.as_mut_ptr() as usize, 0, 0, 0],
            );
            assert_eq!((r, &req[..3]), (0, &b"lo\0"[..]), "SIOCGIFNAME");
            req[..16].copy_from_slice(b"no-such-iface\0\0\0");
            let r = conformance::raw::sys(
                16,
                [fd as usize, 0x8933, req.as_mut_ptr() as usize, 0, 0, 0],
            );
            assert_eq!(r, -19, "ENODEV");
        }
    });
    suite.check("udp-mmsg", || {
        // sendmmsg of three datagrams, recvmmsg of up to four with
        // MSG_WAITFORONE, each length in its msg_len.
        use conformance::raw::sys;
        use std::os::fd::AsRawFd;
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        a.connect(b.local_addr().unwrap()).unwrap();
        let payloads: [&[u8]; 3] = [b"one", b"three", b"seventeen"];
        // struct iovec, then struct mmsghdr (msghdr + msg_len + padding).
        let iov: Vec<[usize; 2]> = payloads
            .iter()
            .map(|p| [p.as_ptr() as usize, p.len()])
            .collect();
        let mut msgs = [[0u64; 8]; 4];
        for (m, v) in msgs.iter_mut().zip(&iov) {
            m[2] = v.as_ptr() as u64;
            m[3] = 1;
        }
        let fd = a.as_raw_fd() as usize;
        assert_eq!(
            sys(307, [fd, msgs.as_mut_ptr() as usize, 3, 0, 0, 0]),
            3,
            "sendmmsg"
        );
        let lens: Vec<u64> = msgs[..3].iter().map(|m| m[7] & 0xffff_ffff).collect();
        assert_eq!(lens, [3, 5, 9]);
        let mut bufs = [[0u8; 32]; 4];
        let riov: Vec<[usize; 2]> = bufs
            .iter_mut()
            .map(|b| [b.as_mut_ptr() as usize, 32])
            .collect();
        let mut rmsgs = [[0u64; 8]; 4];
        for (m, v) in rmsgs.iter_mut().zip(&riov) {
            m[2] = v.as_ptr() as u64;
            m[3] = 1;
        }
        b.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let fd = b.as_raw_fd() as usize;
        let r = sys(299, [fd, rmsgs.as_mut_ptr() as usize, 4, 0x10000, 0, 0]);
        assert_eq!(r, 3, "recvmmsg(MSG_WAITFORONE)");
        for (i, p) in payloads.iter().enumerate() {
            assert_eq!(rmsgs[i][7] & 0xffff_ffff, p.len() as u64);
            assert_eq!(&bufs[i][..p.len()], *p);
        }
        let r = sys(299, [fd, rmsgs.as_mut_ptr() as usize, 4, 0x40, 0, 0]);
        assert_eq!(r, -11, "nothing left: EAGAIN");
    });
    ipv6::checks(&mut suite);
    unix::checks(&mut suite);
    unix_named::checks(&mut suite);
    suite.done();
}
