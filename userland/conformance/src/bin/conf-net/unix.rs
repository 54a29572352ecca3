//! `AF_UNIX` socket pairs: std's `UnixStream::pair`/`UnixDatagram::pair`,
//! plus raw system calls for what std does not wrap (seqpacket, flags,
//! ppoll/epoll readiness, shutdown bits, errors). The same binary checks
//! Linux and VeridianOS alike.
use conformance::raw::{
    epoll_wait, ppoll, sys, EpollEvent, PollFd, EFAULT, EINVAL, EPOLLET, EPOLLIN, POLLIN, POLLOUT,
};
use conformance::Suite;
use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

const AF_UNIX: usize = 1;
const SOCK_STREAM: usize = 1;
const SOCK_DGRAM: usize = 2;
const SOCK_SEQPACKET: usize = 5;
const SOCK_NONBLOCK: usize = 0o4000;
const SOCK_CLOEXEC: usize = 0o2000000;
const MSG_PEEK: usize = 2;
const MSG_TRUNC: usize = 0x20;
const MSG_DONTWAIT: usize = 0x40;
const MSG_NOSIGNAL: usize = 0x4000;
const POLLHUP: i16 = 0x10;
const POLLRDHUP: i16 = 0x2000;
const EAGAIN: isize = 11;
const EPIPE: isize = 32;
const EPROTONOSUPPORT: isize = 93;
const ESOCKTNOSUPPORT: isize = 94;
const EOPNOTSUPP: isize = 95;
const EAFNOSUPPORT: isize = 97;
const ECONNRESET: isize = 104;
const ENOTCONN: isize = 107;
const ECONNREFUSED: isize = 111;

/// `socketpair(AF_UNIX, ty, 0)` as owned fds.
fn pair(ty: usize) -> (OwnedFd, OwnedFd) {
    let mut sv = [-1i32; 2];
    let r = sys(53, [AF_UNIX, ty, 0, sv.as_mut_ptr() as usize, 0, 0]);
    assert_eq!(r, 0, "socketpair");
    // SAFETY: the kernel just gave us these two fds.
    unsafe { (OwnedFd::from_raw_fd(sv[0]), OwnedFd::from_raw_fd(sv[1])) }
}

fn send(fd: RawFd, data: &[u8], flags: usize) -> isize {
    sys(
        44,
        [fd as usize, data.as_ptr() as usize, data.len(), flags, 0, 0],
    )
}

fn recv(fd: RawFd, buf: &mut [u8], flags: usize) -> isize {
    sys(
        45,
        [
            fd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
            flags,
            0,
            0,
        ],
    )
}

fn getsockopt_int(fd: RawFd, name: usize) -> isize {
    let mut v = -1i32;
    let mut len = 4u32;
    let r = sys(
        55,
        [
            fd as usize,
            1,
            name,
            &mut v as *mut i32 as usize,
            &mut len as *mut u32 as usize,
            0,
        ],
    );
    if r < 0 {
        r
    } else {
        v as isize
    }
}

/// ppoll on one fd for `events`; returns `revents` (timeout in ms).
fn poll1(fd: RawFd, events: i16, ms: u64) -> i16 {
    let mut p = [PollFd {
        fd,
        events,
        revents: 0,
    }];
    let r = ppoll(&mut p, Some(ms));
    assert!(r >= 0, "ppoll: {r}");
    p[0].revents
}

/// epoll_wait for up to four events; returns how many came.
fn epoll_wait4(ep: isize, ms: i32) -> isize {
    epoll_wait(ep, &mut [EpollEvent::default(); 4], ms)
}

/// Child mode (`conf-net sigpipe <type>`): SIGPIPE back to its default
/// action, then a send on a pair whose peer closed. A stream dies of
/// SIGPIPE; other types exit with the errno.
pub fn sigpipe_child(ty: &str) -> ! {
    let act = [0u64; 4]; // SIG_DFL, no flags, no restorer, empty mask
    assert_eq!(sys(13, [13, act.as_ptr() as usize, 0, 8, 0, 0]), 0);
    let (a, b) = pair(if ty == "stream" {
        SOCK_STREAM
    } else {
        SOCK_SEQPACKET
    });
    drop(b);
    let r = send(a.as_raw_fd(), b"x", 0);
    std::process::exit((-r) as i32)
}

pub fn checks(suite: &mut Suite) {
    suite.check("unix-stream-pair", || {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"ping").unwrap();
        let mut buf = [0; 4];
        b.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
        b.write_all(b"pong").unwrap();
        a.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"pong");
        assert!(a.local_addr().unwrap().is_unnamed() && a.peer_addr().unwrap().is_unnamed());
        // A large transfer needs the reader to make room as it goes.
        let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let expect = payload.clone();
        let writer = thread::spawn(move || {
            a.write_all(&payload).unwrap();
            a // dropped below: EOF
        });
        let mut got = Vec::new();
        let mut chunk = [0u8; 65536];
        while got.len() < expect.len() {
            let n = b.read(&mut chunk).unwrap();
            assert!(n > 0, "EOF after {} bytes", got.len());
            got.extend_from_slice(&chunk[..n]);
        }
        drop(writer.join().unwrap());
        assert!(got == expect);
        assert_eq!(b.read(&mut chunk).unwrap(), 0, "EOF after the peer closed");
        // Vectored I/O.
        let (mut a, mut b) = UnixStream::pair().unwrap();
        assert_eq!(
            a.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cde")])
                .unwrap(),
            5
        );
        let (mut x, mut y) = ([0u8; 3], [0u8; 3]);
        assert_eq!(
            b.read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
                .unwrap(),
            5
        );
        assert_eq!((&x, &y[..2]), (b"abc", &b"de"[..]));
    });
    suite.check("unix-stream-epipe", || {
        let (a, b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd();
        assert_eq!(send(fd, b"unread", 0), 6);
        drop(b);
        // The peer left data unread: a reset once, then end of file.
        let mut buf = [0u8; 8];
        assert_eq!(recv(fd, &mut buf, MSG_DONTWAIT), -ECONNRESET);
        assert_eq!(recv(fd, &mut buf, MSG_DONTWAIT), 0);
        assert_eq!(send(fd, b"x", MSG_NOSIGNAL), -EPIPE);
        // std ignores SIGPIPE, so a plain write just fails.
        let err = (&a).write(b"x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        let me = std::env::current_exe().unwrap();
        let st = Command::new(&me)
            .args(["sigpipe", "stream"])
            .status()
            .unwrap();
        assert_eq!(st.signal(), Some(13), "a stream raises SIGPIPE: {st:?}");
        let st = Command::new(&me)
            .args(["sigpipe", "seqpacket"])
            .status()
            .unwrap();
        assert_eq!(
            st.code(),
            Some(EPIPE as i32),
            "seqpacket: EPIPE, no signal: {st:?}"
        );
    });
    suite.check("unix-datagram-pair", || {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(b"first").unwrap();
        a.send(b"second!").unwrap();
        a.send(b"").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(recv(b.as_raw_fd(), &mut buf, MSG_PEEK), 5);
        assert_eq!(b.recv(&mut buf).unwrap(), 5, "one datagram per receive");
        let mut small = [0u8; 3];
        let fd = b.as_raw_fd();
        assert_eq!(
            recv(fd, &mut small, MSG_TRUNC),
            7,
            "MSG_TRUNC gives the real length"
        );
        assert_eq!(&small, b"sec");
        assert_eq!(b.recv(&mut buf).unwrap(), 0, "an empty datagram");
        b.set_nonblocking(true).unwrap();
        assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    });
    suite.check("unix-datagram-peer-gone", || {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        assert_eq!(b.send(b"x").unwrap(), 1);
        let mut buf = [0u8; 4];
        let (n, addr) = a.recv_from(&mut buf).unwrap();
        assert_eq!(n, 1);
        assert!(addr.is_unnamed());
        drop(b);
        assert_eq!(
            a.recv(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock,
            "no EOF for datagrams"
        );
        assert_eq!(send(a.as_raw_fd(), b"x", 0), -ECONNREFUSED);
        assert_eq!(send(a.as_raw_fd(), b"x", 0), -ENOTCONN);
    });
    suite.check("unix-vectored-messages", || {
        let (a, b) = pair(SOCK_DGRAM);
        let (a, b) = (a.as_raw_fd() as usize, b.as_raw_fd() as usize);
        let (p1, p2) = (b"ab".as_slice(), b"cde".as_slice());
        let iov = [p1.as_ptr() as usize, 2, p2.as_ptr() as usize, 3];
        assert_eq!(
            sys(20, [a, iov.as_ptr() as usize, 2, 0, 0, 0]),
            5,
            "writev: one datagram"
        );
        assert_eq!(sys(20, [a, iov.as_ptr() as usize, 2, 0, 0, 0]), 5);
        let (mut x, mut y) = ([0u8; 3], [0u8; 3]);
        let riov = [x.as_mut_ptr() as usize, 3, y.as_mut_ptr() as usize, 3];
        assert_eq!(
            sys(19, [b, riov.as_ptr() as usize, 2, 0, 0, 0]),
            5,
            "readv: one datagram"
        );
        assert_eq!((&x, &y[..2]), (b"abc", &b"de"[..]));
        // recvmsg into 4 bytes: truncated, flagged, the rest dropped.
        let mut small = [0u8; 4];
        let siov = [small.as_mut_ptr() as usize, 4];
        let mut msg = [0u64; 7];
        msg[2] = siov.as_ptr() as u64;
        msg[3] = 1;
        assert_eq!(sys(47, [b, msg.as_mut_ptr() as usize, 0, 0, 0, 0]), 4);
        assert_eq!(
            msg[6] as u32 & MSG_TRUNC as u32,
            MSG_TRUNC as u32,
            "msg_flags"
        );
        assert_eq!(msg[5], 0, "no control data");
        assert_eq!(recv(b as i32, &mut small, MSG_DONTWAIT), -EAGAIN);
        // An empty read of a stream end returns at once.
        let (s, _t) = pair(SOCK_STREAM);
        assert_eq!(
            sys(
                0,
                [
                    s.as_raw_fd() as usize,
                    small.as_mut_ptr() as usize,
                    0,
                    0,
                    0,
                    0
                ]
            ),
            0
        );
    });
    suite.check("unix-seqpacket", || {
        let (a_fd, b_fd) = pair(SOCK_SEQPACKET | SOCK_CLOEXEC);
        let (a, b) = (a_fd.as_raw_fd(), b_fd.as_raw_fd());
        assert_eq!(getsockopt_int(a, 3), SOCK_SEQPACKET as isize, "SO_TYPE");
        assert_eq!(send(a, b"one", 0), 3);
        assert_eq!(send(a, b"two!", 0), 4);
        let mut buf = [0u8; 16];
        assert_eq!(recv(b, &mut buf, 0), 3);
        assert_eq!(recv(b, &mut buf, MSG_PEEK), 4);
        assert_eq!(recv(b, &mut buf[..2], 0), 2, "truncated, rest dropped");
        assert_eq!(send(b, b"unread", 0), 6);
        assert_eq!(send(a, b"left", 0), 4);
        drop(b_fd);
        assert_eq!(
            recv(a, &mut buf, MSG_DONTWAIT),
            -ECONNRESET,
            "the reset comes first"
        );
        assert_eq!(recv(a, &mut buf, MSG_DONTWAIT), 6);
        assert_eq!(recv(a, &mut buf, 0), 0, "then end of file");
        assert_eq!(send(a, b"x", MSG_NOSIGNAL), -EPIPE);
    });
    suite.check("unix-nonblocking", || {
        let (a, b) = pair(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
        let fd = a.as_raw_fd();
        assert_ne!(
            sys(72, [fd as usize, 3, 0, 0, 0, 0]) & 0o4000,
            0,
            "O_NONBLOCK"
        );
        assert_eq!(sys(72, [fd as usize, 1, 0, 0, 0, 0]), 1, "FD_CLOEXEC");
        let mut buf = [0u8; 4];
        assert_eq!(recv(fd, &mut buf, 0), -EAGAIN);
        let chunk = vec![0u8; 65536];
        let mut total = 0;
        loop {
            let r = send(fd, &chunk, 0);
            if r == -EAGAIN {
                break;
            }
            assert!(r > 0, "send: {r}");
            total += r as usize;
            assert!(total < 8 << 20, "the buffer never fills");
        }
        assert!(total >= 100_000, "buffered {total}");
        assert_eq!(poll1(fd, POLLOUT, 0), 0, "full: not writable");
        let (b2, _c2) = pair(SOCK_STREAM);
        assert_eq!(send(b2.as_raw_fd(), b"x", MSG_DONTWAIT), 1);
        let mut s = UnixStream::from(b);
        let mut big = vec![0u8; total];
        s.read_exact(&mut big).unwrap();
        assert_eq!(poll1(fd, POLLOUT, 0), POLLOUT, "drained: writable");
    });
    suite.check("unix-blocking-wakeup", || {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            a.write_all(b"late").unwrap();
            a
        });
        let t = Instant::now();
        let mut buf = [0u8; 4];
        b.read_exact(&mut buf).unwrap();
        assert!(
            t.elapsed() >= Duration::from_millis(80),
            "woke early: {:?}",
            t.elapsed()
        );
        let mut a = writer.join().unwrap();
        // A writer blocked on a full buffer wakes when the reader drains it.
        let total = 600_000;
        let reader = thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            let mut got = vec![0u8; total];
            b.read_exact(&mut got).unwrap();
            got.len()
        });
        a.write_all(&vec![1u8; total]).unwrap();
        assert_eq!(reader.join().unwrap(), total);
        // Datagrams too.
        let (x, y) = UnixDatagram::pair().unwrap();
        let w = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            x.send(b"dg").unwrap();
        });
        assert_eq!(y.recv(&mut buf).unwrap(), 2);
        w.join().unwrap();
    });
    suite.check("unix-timeouts", || {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        assert!(b
            .read_timeout()
            .unwrap()
            .is_some_and(|t| t >= Duration::from_millis(50)));
        let t = Instant::now();
        let err = b.read(&mut [0; 4]).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "{err:?}"
        );
        assert!(
            t.elapsed() >= Duration::from_millis(45),
            "timed out early: {:?}",
            t.elapsed()
        );
        let (x, _y) = UnixDatagram::pair().unwrap();
        x.set_write_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let dg = vec![0u8; 100_000];
        let err = loop {
            if let Err(e) = x.send(&dg) {
                break e;
            }
        };
        assert!(
            matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "{err:?}"
        );
        drop(a);
    });
    suite.check("unix-ppoll-epoll", || {
        let (a, b) = UnixStream::pair().unwrap();
        let (fa, fb) = (a.as_raw_fd(), b.as_raw_fd());
        assert_eq!(poll1(fb, POLLIN | POLLOUT, 0), POLLOUT);
        // A ppoll blocked in one thread wakes when another writes.
        let w = thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            (&a).write_all(b"x").unwrap();
            a
        });
        assert_eq!(poll1(fb, POLLIN, 5000), POLLIN);
        let a = w.join().unwrap();
        // Edge-triggered epoll: once per arrival.
        let ep = sys(291, [0, 0, 0, 0, 0, 0]);
        let ev = EpollEvent {
            events: EPOLLIN | EPOLLET,
            data: 9,
        };
        assert_eq!(
            sys(
                233,
                [
                    ep as usize,
                    1,
                    fb as usize,
                    &ev as *const EpollEvent as usize,
                    0,
                    0
                ]
            ),
            0
        );
        assert_eq!(epoll_wait4(ep, 1000), 1);
        assert_eq!(epoll_wait4(ep, 0), 0, "reported once");
        let w = thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            (&a).write_all(b"y").unwrap();
            a
        });
        assert_eq!(epoll_wait4(ep, 5000), 1, "new data is a new edge");
        let a = w.join().unwrap();
        let mut buf = [0u8; 2];
        (&b).read_exact(&mut buf).unwrap();
        // Hang-up bits once the peer is gone.
        drop(a);
        assert_eq!(
            poll1(fb, POLLIN | POLLRDHUP, 5000),
            POLLIN | POLLRDHUP | POLLHUP
        );
        assert_eq!(epoll_wait4(ep, 1000), 1, "the close is an edge");
        sys(3, [ep as usize, 0, 0, 0, 0, 0]);
        let _ = fa;
    });
    suite.check("unix-shutdown", || {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"last").unwrap();
        a.shutdown(Shutdown::Write).unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"last");
        assert_eq!(
            poll1(b.as_raw_fd(), POLLIN | POLLRDHUP, 0),
            POLLIN | POLLRDHUP
        );
        assert_eq!(send(a.as_raw_fd(), b"x", MSG_NOSIGNAL), -EPIPE);
        b.write_all(b"still").unwrap();
        let mut buf = [0u8; 5];
        a.read_exact(&mut buf).unwrap();
        b.shutdown(Shutdown::Read).unwrap();
        assert_eq!(send(a.as_raw_fd(), b"x", MSG_NOSIGNAL), -EPIPE);
        assert_eq!(poll1(a.as_raw_fd(), POLLIN, 0) & POLLHUP, 0);
        a.shutdown(Shutdown::Read).unwrap();
        assert_eq!(
            poll1(a.as_raw_fd(), POLLIN, 0) & POLLHUP,
            POLLHUP,
            "both ways shut"
        );
        assert_eq!(sys(48, [a.as_raw_fd() as usize, 3, 0, 0, 0, 0]), -EINVAL);
        // Datagram shutdown is not mirrored on the peer.
        let (x, y) = UnixDatagram::pair().unwrap();
        x.shutdown(Shutdown::Read).unwrap();
        assert_eq!(send(y.as_raw_fd(), b"x", 0), -EPIPE);
        assert_eq!(poll1(y.as_raw_fd(), POLLIN | POLLRDHUP, 0), 0);
    });
    suite.check("unix-fd-and-errors", || {
        let (a, b) = UnixStream::pair().unwrap();
        let fd = a.as_raw_fd() as usize;
        let mut st = [0u8; 144];
        assert_eq!(sys(5, [fd, st.as_mut_ptr() as usize, 0, 0, 0, 0]), 0);
        let mode = u32::from_ne_bytes(st[24..28].try_into().unwrap());
        assert_eq!(mode & 0o170000, 0o140000, "S_IFSOCK");
        assert_eq!(
            getsockopt_int(a.as_raw_fd(), 3),
            SOCK_STREAM as isize,
            "SO_TYPE"
        );
        assert_eq!(
            getsockopt_int(a.as_raw_fd(), 39),
            AF_UNIX as isize,
            "SO_DOMAIN"
        );
        assert_eq!(getsockopt_int(a.as_raw_fd(), 4), 0, "SO_ERROR");
        let mut sa = [0xffu8; 16];
        let mut len = sa.len() as u32;
        assert_eq!(
            sys(
                51,
                [
                    fd,
                    sa.as_mut_ptr() as usize,
                    &mut len as *mut u32 as usize,
                    0,
                    0,
                    0
                ]
            ),
            0
        );
        assert_eq!(
            (len, &sa[..2]),
            (2, &1u16.to_ne_bytes()[..]),
            "getsockname: unnamed"
        );
        let d = sys(32, [fd, 0, 0, 0, 0, 0]);
        assert!(d >= 0);
        drop(a);
        assert_eq!(send(d as i32, b"via dup", 0), 7, "a dup keeps the end open");
        let mut buf = [0u8; 7];
        (&b).read_exact(&mut buf).unwrap();
        sys(3, [d as usize, 0, 0, 0, 0, 0]);
        // Bad pointers are EFAULT, never a crash.
        let (x, y) = pair(SOCK_STREAM);
        assert_eq!(sys(44, [x.as_raw_fd() as usize, 8, 4, 0, 0, 0]), -EFAULT);
        assert_eq!(send(x.as_raw_fd(), b"abcd", 0), 4);
        assert_eq!(sys(45, [y.as_raw_fd() as usize, 8, 4, 0, 0, 0]), -EFAULT);
        assert_eq!(sys(53, [AF_UNIX, SOCK_STREAM, 0, 8, 0, 0]), -EFAULT);
        let mut sv = [0i32; 2];
        let svp = sv.as_mut_ptr() as usize;
        assert_eq!(
            sys(53, [AF_UNIX, SOCK_STREAM | 0x100, 0, svp, 0, 0]),
            -EINVAL
        );
        assert_eq!(
            sys(53, [AF_UNIX, SOCK_STREAM, 7, svp, 0, 0]),
            -EPROTONOSUPPORT
        );
        assert_eq!(sys(53, [AF_UNIX, 4, 0, svp, 0, 0]), -ESOCKTNOSUPPORT);
        assert_eq!(sys(53, [2, SOCK_STREAM, 0, svp, 0, 0]), -EOPNOTSUPP);
        assert_eq!(sys(53, [99, SOCK_STREAM, 0, svp, 0, 0]), -EAFNOSUPPORT);
        assert_eq!(sys(53, [AF_UNIX, SOCK_DGRAM, 0, svp, 0, 0]), 0);
        sys(3, [sv[0] as usize, 0, 0, 0, 0, 0]);
        sys(3, [sv[1] as usize, 0, 0, 0, 0, 0]);
    });
}
