//! Named `AF_UNIX` sockets: std's `UnixListener`, `UnixStream::connect`
//! and `UnixDatagram::bind`, plus raw system calls for the errors,
//! abstract names, autobind, backlog and readiness. The same binary
//! checks Linux and VeridianOS alike.
use conformance::raw::{epoll_ctl, epoll_wait, sys, EpollEvent, EFAULT, EINVAL, EPOLLIN, POLLIN};
use conformance::Suite;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::path::Path;
use std::thread;
use std::time::Duration;

const AF_UNIX: usize = 1;
const SOCK_STREAM: usize = 1;
const SOCK_DGRAM: usize = 2;
const SOCK_SEQPACKET: usize = 5;
const SOCK_NONBLOCK: usize = 0o4000;
const ENOENT: isize = 2;
const ENXIO: isize = 6;
const EAGAIN: isize = 11;
const ENOTDIR: isize = 20;
const EPROTOTYPE: isize = 91;
const EOPNOTSUPP: isize = 95;
const EADDRINUSE: isize = 98;
const ECONNRESET: isize = 104;
const EISCONN: isize = 106;
const ENOTCONN: isize = 107;
const ECONNREFUSED: isize = 111;

/// `socket(AF_UNIX, ty, 0)`.
fn socket(ty: usize) -> OwnedFd {
    let fd = sys(41, [AF_UNIX, ty, 0, 0, 0, 0]);
    assert!(fd >= 0, "socket(AF_UNIX, {ty:#x}): {fd}");
    // SAFETY: the kernel just gave us this fd.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

/// A `sockaddr_un` of `sun_path` bytes as given (no NUL added).
fn sun(path: &[u8]) -> Vec<u8> {
    [&(AF_UNIX as u16).to_ne_bytes()[..], path].concat()
}

/// `sockaddr_un` for a path, with its NUL.
fn sun_path(p: &Path) -> Vec<u8> {
    sun(&[p.as_os_str().as_encoded_bytes(), &[0]].concat())
}

fn bind(fd: RawFd, a: &[u8]) -> isize {
    sys(49, [fd as usize, a.as_ptr() as usize, a.len(), 0, 0, 0])
}

fn connect(fd: RawFd, a: &[u8]) -> isize {
    sys(42, [fd as usize, a.as_ptr() as usize, a.len(), 0, 0, 0])
}

fn listen(fd: RawFd, backlog: usize) -> isize {
    sys(50, [fd as usize, backlog, 0, 0, 0, 0])
}

/// accept4 without an address; the new fd or `-errno`.
fn accept(fd: RawFd, flags: usize) -> isize {
    sys(288, [fd as usize, 0, 0, flags, 0, 0])
}

/// getsockname (51) or getpeername (52): the address bytes, or `-errno`.
fn name(nr: usize, fd: RawFd) -> Result<Vec<u8>, isize> {
    let mut a = [0u8; 128];
    let mut len = a.len() as u32;
    let r = sys(
        nr,
        [
            fd as usize,
            a.as_mut_ptr() as usize,
            &mut len as *mut u32 as usize,
            0,
            0,
            0,
        ],
    );
    if r < 0 {
        return Err(r);
    }
    Ok(a[..len as usize].to_vec())
}

/// `SO_PEERCRED`'s pid.
fn peer_pid(fd: RawFd) -> i32 {
    let mut v = [0i32; 3];
    let mut len = 12u32;
    let r = sys(
        55,
        [
            fd as usize,
            1,
            17,
            v.as_mut_ptr() as usize,
            &mut len as *mut u32 as usize,
            0,
        ],
    );
    assert_eq!((r, len), (0, 12), "SO_PEERCRED");
    v[0]
}

fn os_err(e: std::io::Error) -> isize {
    e.raw_os_error().map_or(0, |n| n as isize)
}

fn poll_in(fd: RawFd, ms: u64) -> bool {
    let mut p = [conformance::raw::PollFd {
        fd,
        events: POLLIN,
        revents: 0,
    }];
    conformance::raw::ppoll(&mut p, Some(ms)) == 1 && p[0].revents & POLLIN != 0
}

pub fn checks(suite: &mut Suite) {
    let dir = conformance::scratch_dir("net-unix");
    let d = dir.clone();
    suite.check("unix-named-stream", move || {
        let path = d.join("stream.sock");
        let l = UnixListener::bind(&path).unwrap();
        let md = std::fs::symlink_metadata(&path).unwrap();
        assert!(md.file_type().is_socket(), "a socket node: {md:?}");
        assert_eq!(l.local_addr().unwrap().as_pathname(), Some(path.as_path()));
        let p2 = path.clone();
        let client = thread::spawn(move || {
            let mut c = UnixStream::connect(&p2).unwrap();
            assert_eq!(c.peer_addr().unwrap().as_pathname(), Some(p2.as_path()));
            assert!(c.local_addr().unwrap().is_unnamed());
            c.write_all(b"hello").unwrap();
            let mut b = [0; 5];
            c.read_exact(&mut b).unwrap();
            assert_eq!(&b, b"olleh");
        });
        let (mut s, peer) = l.accept().unwrap();
        assert!(peer.is_unnamed(), "accept: the client is unnamed");
        assert_eq!(s.local_addr().unwrap().as_pathname(), Some(path.as_path()));
        let mut b = [0; 5];
        s.read_exact(&mut b).unwrap();
        b.reverse();
        s.write_all(&b).unwrap();
        client.join().unwrap();
        assert_eq!(peer_pid(s.as_raw_fd()), std::process::id() as i32);
        // The name is taken; the node cannot be opened.
        assert_eq!(
            UnixListener::bind(&path).map(drop).map_err(os_err),
            Err(EADDRINUSE)
        );
        assert_eq!(
            std::fs::File::open(&path).map(drop).map_err(os_err),
            Err(ENXIO)
        );
        // getsockname's length: offsetof(sun_path) + strlen + 1.
        let raw = name(51, l.as_raw_fd()).unwrap();
        assert_eq!(raw, sun_path(&path));
    });
    let d = dir.clone();
    suite.check("unix-named-errors", move || {
        let fd = socket(SOCK_STREAM);
        let f = fd.as_raw_fd();
        let missing = d.join("missing.sock");
        assert_eq!(connect(f, &sun_path(&missing)), -ENOENT);
        let file = d.join("plain");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(connect(f, &sun_path(&file)), -ECONNREFUSED);
        assert_eq!(bind(f, &sun_path(&d.join("no/dir/s"))), -ENOENT);
        assert_eq!(bind(f, &sun_path(&file.join("s"))), -ENOTDIR);
        assert_eq!(bind(f, &sun_path(&file)), -EADDRINUSE);
        assert_eq!(listen(f, 5), -EINVAL, "listen before bind");
        assert_eq!(accept(f, 0), -EINVAL, "accept before listen");
        assert_eq!(bind(f, &[0u8; 111]), -EINVAL, "addrlen > sizeof");
        assert_eq!(bind(f, &[2, 0, b'/', 0]), -EINVAL, "family");
        assert_eq!(connect(f, &sun(b"")), -EINVAL, "family alone");
        assert_eq!(sys(49, [f as usize, 8, 20, 0, 0, 0]), -EFAULT);
        assert_eq!(sys(42, [f as usize, 8, 20, 0, 0, 0]), -EFAULT);
        assert_eq!(name(52, f), Err(-ENOTCONN));
        // sun_path without a NUL: the path ends at addrlen.
        let old = std::env::current_dir().unwrap();
        std::env::set_current_dir(&d).unwrap();
        let umask = sys(95, [0o027, 0, 0, 0, 0, 0]);
        assert_eq!(bind(f, &sun(b"nonul")), 0);
        sys(95, [umask as usize, 0, 0, 0, 0, 0]);
        let md = std::fs::symlink_metadata(d.join("nonul")).unwrap();
        assert_eq!(md.permissions().mode() & 0o7777, 0o750, "0777 & ~umask");
        assert_eq!(name(51, f).unwrap(), sun(b"nonul\0"));
        std::env::set_current_dir(old).unwrap();
        assert_eq!(bind(f, &sun_path(&d.join("again"))), -EINVAL, "bound");
        assert!(!d.join("again").exists(), "a failed bind leaves no node");
        // Bound but not listening; other types.
        let c = socket(SOCK_STREAM);
        let nonul = sun_path(&d.join("nonul"));
        assert_eq!(connect(c.as_raw_fd(), &nonul), -ECONNREFUSED);
        let dg = socket(SOCK_DGRAM);
        assert_eq!(connect(dg.as_raw_fd(), &nonul), -EPROTOTYPE);
        let sp = socket(SOCK_SEQPACKET);
        assert_eq!(connect(sp.as_raw_fd(), &nonul), -EPROTOTYPE);
        assert_eq!(listen(dg.as_raw_fd(), 1), -EOPNOTSUPP);
        assert_eq!(accept(dg.as_raw_fd(), 0), -EOPNOTSUPP);
        assert_eq!(send_raw(c.as_raw_fd(), b"x"), -ENOTCONN);
    });
    let d = dir.clone();
    suite.check("unix-named-backlog", move || {
        let path = d.join("backlog.sock");
        let l = socket(SOCK_STREAM | SOCK_NONBLOCK);
        let lf = l.as_raw_fd();
        assert_eq!(bind(lf, &sun_path(&path)), 0);
        assert_eq!(listen(lf, 1), 0);
        assert_eq!(accept(lf, 0), -EAGAIN);
        assert!(!poll_in(lf, 0));
        let ep = sys(291, [0, 0, 0, 0, 0, 0]);
        assert!(ep >= 0);
        assert_eq!(epoll_ctl(ep, 1, lf, EPOLLIN, 7), 0);
        // Backlog 1: two connections wait, the third finds it full.
        let c: Vec<OwnedFd> = (0..3)
            .map(|_| socket(SOCK_STREAM | SOCK_NONBLOCK))
            .collect();
        let a = sun_path(&path);
        assert_eq!(connect(c[0].as_raw_fd(), &a), 0);
        assert!(poll_in(lf, 0), "a listener with a connection is readable");
        let mut ev = [EpollEvent::default(); 2];
        assert_eq!(epoll_wait(ep, &mut ev, 0), 1);
        assert_eq!(connect(c[1].as_raw_fd(), &a), 0);
        assert_eq!(connect(c[2].as_raw_fd(), &a), -EAGAIN);
        assert_eq!(connect(c[0].as_raw_fd(), &a), -EAGAIN, "full first");
        // Data sent before accept arrives.
        assert_eq!(send_raw(c[0].as_raw_fd(), b"early"), 5);
        let s0 = accept(lf, 0);
        assert!(s0 >= 0);
        assert_eq!(connect(c[0].as_raw_fd(), &a), -EISCONN);
        let mut buf = [0u8; 8];
        assert_eq!(recv_raw(s0 as i32, &mut buf), 5);
        assert_eq!(connect(c[2].as_raw_fd(), &a), 0, "room again");
        sys(3, [s0 as usize, 0, 0, 0, 0, 0]);
        sys(3, [ep as usize, 0, 0, 0, 0, 0]);
    });
    let d = dir.clone();
    suite.check("unix-named-close-and-unlink", move || {
        let path = d.join("gone.sock");
        let l = UnixListener::bind(&path).unwrap();
        let mut early = UnixStream::connect(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            UnixStream::connect(&path).map(drop).map_err(os_err),
            Err(ENOENT),
            "unlinked: unreachable by the path"
        );
        let (mut s, _) = l.accept().unwrap();
        s.write_all(b"still").unwrap();
        let mut b = [0; 5];
        early.read_exact(&mut b).unwrap();
        // A new socket may take the name; closing a listener refuses
        // later connects and resets waiting ones.
        let l2 = UnixListener::bind(&path).unwrap();
        let pending = UnixStream::connect(&path).unwrap();
        drop(l2);
        assert_eq!(
            UnixStream::connect(&path).map(drop).map_err(os_err),
            Err(ECONNREFUSED)
        );
        let mut pb = [0; 1];
        assert_eq!((&pending).read(&mut pb).map_err(os_err), Err(ECONNRESET));
        assert_eq!((&pending).read(&mut pb).unwrap(), 0, "then EOF");
        std::fs::remove_file(&path).unwrap();
    });
    let d = dir.clone();
    suite.check("unix-blocking-accept", move || {
        let path = d.join("block.sock");
        let l = UnixListener::bind(&path).unwrap();
        let p2 = path.clone();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            UnixStream::connect(&p2).unwrap().write_all(b"z").unwrap();
        });
        let (mut s, _) = l.accept().unwrap();
        let mut b = [0; 1];
        s.read_exact(&mut b).unwrap();
        t.join().unwrap();
        // SO_RCVTIMEO bounds a blocking accept.
        let tv = [0i64, 50_000];
        let r = sys(
            54,
            [l.as_raw_fd() as usize, 1, 20, tv.as_ptr() as usize, 16, 0],
        );
        assert_eq!(r, 0);
        assert_eq!(accept(l.as_raw_fd(), 0), -EAGAIN);
    });
    suite.check("unix-abstract-and-autobind", || {
        let name_ = format!("\0conformance-{}", std::process::id());
        let a = sun(name_.as_bytes());
        let l = socket(SOCK_SEQPACKET);
        assert_eq!(bind(l.as_raw_fd(), &a), 0);
        assert_eq!(name(51, l.as_raw_fd()).unwrap(), a, "exact length");
        assert_eq!(listen(l.as_raw_fd(), 4), 0);
        let l2 = socket(SOCK_SEQPACKET);
        assert_eq!(bind(l2.as_raw_fd(), &a), -EADDRINUSE);
        let c = socket(SOCK_SEQPACKET);
        assert_eq!(connect(c.as_raw_fd(), &a), 0);
        assert_eq!(name(52, c.as_raw_fd()).unwrap(), a);
        let s = accept(l.as_raw_fd(), 0);
        assert!(s >= 0);
        assert_eq!(send_raw(c.as_raw_fd(), b"msg"), 3);
        let mut buf = [0u8; 8];
        assert_eq!(recvfrom_raw(s as i32, &mut buf), (3, vec![]), "unnamed");
        assert_eq!(send_raw(s as i32, b"re"), 2);
        assert_eq!(recvfrom_raw(c.as_raw_fd(), &mut buf), (2, a.clone()));
        sys(3, [s as usize, 0, 0, 0, 0, 0]);
        // A name unknown, or of another type.
        let st = socket(SOCK_STREAM);
        assert_eq!(connect(st.as_raw_fd(), &a), -ECONNREFUSED);
        assert_eq!(
            connect(st.as_raw_fd(), &sun(b"\0nobody-here")),
            -ECONNREFUSED
        );
        // Autobind: the family alone gives "\0" and five hex digits.
        let ab = socket(SOCK_DGRAM);
        assert_eq!(bind(ab.as_raw_fd(), &sun(b"")), 0);
        let got = name(51, ab.as_raw_fd()).unwrap();
        assert_eq!(got.len(), 8, "{got:?}");
        assert_eq!(got[2], 0);
        assert!(got[3..].iter().all(|b| b.is_ascii_hexdigit()), "{got:?}");
    });
    let d = dir.clone();
    suite.check("unix-named-datagram", move || {
        let pa = d.join("a.dgram");
        let pb = d.join("b.dgram");
        let a = UnixDatagram::bind(&pa).unwrap();
        let b = UnixDatagram::bind(&pb).unwrap();
        b.send_to(b"from b", &pa).unwrap();
        let mut buf = [0; 16];
        let (n, from) = a.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"from b");
        assert_eq!(from.as_pathname(), Some(pb.as_path()));
        let anon = UnixDatagram::unbound().unwrap();
        anon.send_to(b"anon", &pa).unwrap();
        let (n, from) = a.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from.is_unnamed()), (&b"anon"[..], true));
        assert_eq!(anon.send(b"x").map_err(os_err), Err(ENOTCONN), "no peer");
        anon.connect(&pb).unwrap();
        assert_eq!(anon.peer_addr().unwrap().as_pathname(), Some(pb.as_path()));
        anon.send(b"connected").unwrap();
        let n = b.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"connected");
        assert_eq!(
            anon.send_to(b"x", d.join("nobody")).map_err(os_err),
            Err(ENOENT)
        );
        // Nonblocking receive on an empty socket.
        b.set_nonblocking(true).unwrap();
        assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        // The receiver closes: the connected sender is refused.
        drop(b);
        assert_eq!(anon.send(b"x").map_err(os_err), Err(ECONNREFUSED));
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn send_raw(fd: RawFd, data: &[u8]) -> isize {
    sys(
        44,
        [
            fd as usize,
            data.as_ptr() as usize,
            data.len(),
            0x4040,
            0,
            0,
        ],
    )
}

fn recv_raw(fd: RawFd, buf: &mut [u8]) -> isize {
    sys(
        45,
        [
            fd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
            0x40,
            0,
            0,
        ],
    )
}

/// recvfrom (non-blocking): the count and the sender's address bytes.
fn recvfrom_raw(fd: RawFd, buf: &mut [u8]) -> (isize, Vec<u8>) {
    let mut a = [0u8; 128];
    let mut len = a.len() as u32;
    let n = sys(
        45,
        [
            fd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
            0x40,
            a.as_mut_ptr() as usize,
            &mut len as *mut u32 as usize,
        ],
    );
    (n, a[..len as usize].to_vec())
}
