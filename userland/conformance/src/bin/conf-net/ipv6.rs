//! `AF_INET6` on loopback: TCP and UDP over `::1`, dual-stack sockets
//! that take IPv4 through mapped addresses, `IPV6_V6ONLY`, and the port
//! rules between the two families. The same binary checks Linux and
//! VeridianOS alike.
use conformance::raw::sys;
use conformance::Suite;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{FromRawFd, OwnedFd};
use std::thread;
use std::time::Duration;

const AF_INET6: usize = 10;
const SOCK_STREAM: usize = 1;
const IPPROTO_IPV6: usize = 41;
const IPV6_V6ONLY: usize = 26;
const SYS_SOCKET: usize = 41;
const SYS_BIND: usize = 49;
const SYS_LISTEN: usize = 50;
const SYS_SETSOCKOPT: usize = 54;
const SYS_GETSOCKOPT: usize = 55;

/// `::ffff:127.0.0.1`, how a dual-stack socket shows IPv4 loopback.
fn mapped_loopback() -> Ipv6Addr {
    Ipv4Addr::LOCALHOST.to_ipv6_mapped()
}

/// The 28 bytes of `sockaddr_in6` for `[ip]:port`.
fn sin6(ip: Ipv6Addr, port: u16) -> [u8; 28] {
    let mut a = [0u8; 28];
    a[..2].copy_from_slice(&(AF_INET6 as u16).to_ne_bytes());
    a[2..4].copy_from_slice(&port.to_be_bytes());
    a[8..24].copy_from_slice(&ip.octets());
    a
}

/// `setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)`: 0 or `-errno`.
fn set_v6only(fd: isize) -> isize {
    let one = 1i32;
    let opt = &one as *const i32 as usize;
    sys(
        SYS_SETSOCKOPT,
        [fd as usize, IPPROTO_IPV6, IPV6_V6ONLY, opt, 4, 0],
    )
}

/// A TCP listener on `[::]:0` with `IPV6_V6ONLY` set before the bind
/// (std cannot set it on a bound socket), read back through getsockopt.
fn v6only_listener() -> TcpListener {
    let fd = sys(SYS_SOCKET, [AF_INET6, SOCK_STREAM, 0, 0, 0, 0]);
    assert!(fd >= 0, "socket(AF_INET6): {fd}");
    // SAFETY: the kernel just gave us this fd.
    let owned = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    assert_eq!(set_v6only(fd), 0, "setsockopt(IPV6_V6ONLY)");
    let (mut v, mut len) = (0i32, 4u32);
    let r = sys(
        SYS_GETSOCKOPT,
        [
            fd as usize,
            IPPROTO_IPV6,
            IPV6_V6ONLY,
            &mut v as *mut i32 as usize,
            &mut len as *mut u32 as usize,
            0,
        ],
    );
    assert_eq!((r, v, len), (0, 1, 4), "getsockopt(IPV6_V6ONLY)");
    let a = sin6(Ipv6Addr::UNSPECIFIED, 0);
    assert_eq!(
        sys(
            SYS_BIND,
            [fd as usize, a.as_ptr() as usize, a.len(), 0, 0, 0]
        ),
        0
    );
    // Too late once bound (Linux: EINVAL).
    assert_eq!(set_v6only(fd), -22, "IPV6_V6ONLY after bind");
    assert_eq!(sys(SYS_LISTEN, [fd as usize, 16, 0, 0, 0, 0]), 0);
    TcpListener::from(owned)
}

pub fn checks(suite: &mut Suite) {
    suite.check("tcp6-echo", || {
        let listener = TcpListener::bind("[::1]:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.is_ipv6() && addr.ip().is_loopback() && addr.port() != 0);
        let server = thread::spawn(move || {
            let (mut conn, peer) = listener.accept().unwrap();
            assert_eq!(peer.ip(), Ipv6Addr::LOCALHOST);
            let mut buf = Vec::new();
            conn.read_to_end(&mut buf).unwrap();
            conn.write_all(&buf).unwrap();
        });
        let mut client = TcpStream::connect(addr).unwrap();
        assert_eq!(client.peer_addr().unwrap(), addr);
        assert_eq!(client.local_addr().unwrap().ip(), Ipv6Addr::LOCALHOST);
        let payload: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        client.write_all(&payload).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).unwrap();
        assert!(back == payload, "echoed {} bytes", back.len());
        server.join().unwrap();
    });
    suite.check("tcp6-dual-stack", || {
        // A `[::]` listener takes IPv4 and shows it IPv4-mapped.
        let listener = TcpListener::bind("[::]:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        let (conn, peer) = listener.accept().unwrap();
        let want = SocketAddr::V6(SocketAddrV6::new(
            mapped_loopback(),
            client.local_addr().unwrap().port(),
            0,
            0,
        ));
        assert_eq!(peer, want);
        assert_eq!(conn.local_addr().unwrap().ip(), mapped_loopback());
        // And a mapped destination from an AF_INET6 client reaches an
        // AF_INET listener.
        let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
        let to = SocketAddrV6::new(mapped_loopback(), v4.local_addr().unwrap().port(), 0, 0);
        let c6 = TcpStream::connect(to).unwrap();
        assert_eq!(c6.local_addr().unwrap().ip(), mapped_loopback());
        let (_, peer) = v4.accept().unwrap();
        assert_eq!(peer.ip(), Ipv4Addr::LOCALHOST);
    });
    suite.check("tcp6-v6only", || {
        let listener = v6only_listener();
        let port = listener.local_addr().unwrap().port();
        let err = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        let _client = TcpStream::connect((Ipv6Addr::LOCALHOST, port)).unwrap();
        let (_, peer) = listener.accept().unwrap();
        assert_eq!(peer.ip(), Ipv6Addr::LOCALHOST);
    });
    suite.check("udp6", || {
        let a = UdpSocket::bind("[::1]:0").unwrap();
        let b = UdpSocket::bind("[::]:0").unwrap();
        b.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let b_port = b.local_addr().unwrap().port();
        a.send_to(b"six", (Ipv6Addr::LOCALHOST, b_port)).unwrap();
        let mut buf = [0; 16];
        let (n, from) = b.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"six"[..], a.local_addr().unwrap()));
        // IPv4 into the dual-stack socket, shown mapped.
        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        c.send_to(b"four", (Ipv4Addr::LOCALHOST, b_port)).unwrap();
        let (n, from) = b.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"four");
        let c_port = c.local_addr().unwrap().port();
        assert_eq!(
            from,
            SocketAddrV6::new(mapped_loopback(), c_port, 0, 0).into()
        );
        // The reply goes back through the mapped address.
        b.send_to(b"back", from).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let (n, from) = c.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from.port()), (&b"back"[..], b_port));
    });
    suite.check("inet6-ports-and-errors", || {
        // 127.0.0.1:p and [::1]:p are different addresses.
        let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = v4.local_addr().unwrap().port();
        let _v6 = TcpListener::bind((Ipv6Addr::LOCALHOST, port)).unwrap();
        // A dual-stack wildcard covers IPv4's.
        let any4 = UdpSocket::bind("0.0.0.0:0").unwrap();
        let p = any4.local_addr().unwrap().port();
        let err = UdpSocket::bind((Ipv6Addr::UNSPECIFIED, p)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        // Not an address of this machine.
        let doc = "2001:db8::1".parse::<Ipv6Addr>().unwrap();
        let err = TcpListener::bind((doc, 0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "{err}");
    });
}
