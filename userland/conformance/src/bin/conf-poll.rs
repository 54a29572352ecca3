//! Readiness calls std does not wrap: ppoll, epoll, select and pselect6 over sockets, pipes
//! and eventfds, eventfd itself, and the fd-level behaviour of sockets
//! (fstat, fcntl, ioctl, dup). Raw x86_64 system calls, so the same binary checks Linux and
//! VeridianOS alike.
use conformance::raw::{
    close, epoll_ctl, epoll_wait, ppoll, sys, EpollEvent, PollFd, EFAULT, EINVAL, EPOLLET, EPOLLIN,
    POLLIN, POLLOUT,
};
use conformance::Suite;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const EPOLL_CTL_ADD: usize = 1;
const EPOLL_CTL_DEL: usize = 2;
const EPOLL_CTL_MOD: usize = 3;
const EPOLL_CLOEXEC: usize = 0o2000000;
const EEXIST: isize = 17;
const ENOENT: isize = 2;
const ENOTSOCK: isize = 88;

/// A connected pair over 127.0.0.1: (client, server side).
/// A raw system call run by name in the interruption checks.
type RawCall<'a> = Box<dyn FnMut() -> isize + 'a>;

fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    (c, s)
}

fn main() {
    let mut suite = Suite::new("poll");
    suite.check("ppoll-timeout-and-ready", || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut p = [PollFd {
            fd: l.as_raw_fd(),
            events: POLLIN,
            revents: 0,
        }];
        let t = Instant::now();
        assert_eq!(ppoll(&mut p, Some(50)), 0, "nothing to accept yet");
        assert!(
            t.elapsed() >= Duration::from_millis(45),
            "timed out early: {:?}",
            t.elapsed()
        );
        let _c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        assert_eq!(ppoll(&mut p, Some(5000)), 1);
        assert_eq!(p[0].revents, POLLIN);
    });
    suite.check("ppoll-wakes-on-data", || {
        let (mut c, s) = pair();
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            c.write_all(b"x").unwrap();
            c
        });
        let mut p = [
            PollFd {
                fd: s.as_raw_fd(),
                events: POLLIN,
                revents: 0,
            },
            PollFd {
                fd: -1,
                events: POLLIN,
                revents: 7,
            },
        ];
        let t = Instant::now();
        assert_eq!(ppoll(&mut p, None), 1);
        assert_eq!((p[0].revents, p[1].revents), (POLLIN, 0));
        assert!(
            t.elapsed() >= Duration::from_millis(80),
            "woke early: {:?}",
            t.elapsed()
        );
        drop(writer.join().unwrap());
    });
    suite.check("ppoll-pipe", || {
        let (mut r, mut w) = std::io::pipe().unwrap();
        let mut p = [
            PollFd {
                fd: r.as_raw_fd(),
                events: POLLIN,
                revents: 0,
            },
            PollFd {
                fd: w.as_raw_fd(),
                events: POLLOUT,
                revents: 0,
            },
        ];
        assert_eq!(ppoll(&mut p, Some(0)), 1, "only the write end is ready");
        assert_eq!((p[0].revents, p[1].revents), (0, POLLOUT));
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            w.write_all(b"p").unwrap();
        });
        let mut p = [PollFd {
            fd: r.as_raw_fd(),
            events: POLLIN,
            revents: 0,
        }];
        assert_eq!(ppoll(&mut p, Some(5000)), 1);
        writer.join().unwrap();
        let mut b = [0; 1];
        r.read_exact(&mut b).unwrap();
    });
    suite.check("epoll-level-and-edge", || {
        let (mut c, mut s) = pair();
        let ep = sys(291, [EPOLL_CLOEXEC, 0, 0, 0, 0, 0]);
        assert!(ep >= 0, "epoll_create1: {ep}");
        assert_eq!(epoll_ctl(ep, EPOLL_CTL_ADD, s.as_raw_fd(), EPOLLIN, 42), 0);
        let mut out = [EpollEvent::default(); 4];
        assert_eq!(epoll_wait(ep, &mut out, 0), 0);
        c.write_all(b"ab").unwrap();
        assert_eq!(epoll_wait(ep, &mut out, 5000), 1);
        let (ev, data) = (out[0].events, out[0].data);
        assert_eq!((ev, data), (EPOLLIN, 42));
        assert_eq!(
            epoll_wait(ep, &mut out, 0),
            1,
            "level-triggered: still readable"
        );
        assert_eq!(
            epoll_ctl(ep, EPOLL_CTL_MOD, s.as_raw_fd(), EPOLLIN | EPOLLET, 7),
            0
        );
        assert_eq!(epoll_wait(ep, &mut out, 1000), 1);
        assert_eq!(
            epoll_wait(ep, &mut out, 0),
            0,
            "edge-triggered: reported once"
        );
        c.write_all(b"c").unwrap();
        assert_eq!(epoll_wait(ep, &mut out, 5000), 1, "new data is a new edge");
        let mut b = [0; 3];
        s.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"abc");
        // The epoll fd itself polls readable when a wait would succeed.
        assert_eq!(epoll_ctl(ep, EPOLL_CTL_MOD, s.as_raw_fd(), EPOLLIN, 1), 0);
        let mut p = [PollFd {
            fd: ep as i32,
            events: POLLIN,
            revents: 0,
        }];
        assert_eq!(ppoll(&mut p, Some(0)), 0);
        c.write_all(b"d").unwrap();
        assert_eq!(ppoll(&mut p, Some(5000)), 1);
        close(ep);
    });
    suite.check("epoll-edge-on-a-pipe", || {
        // Each write into a drained pipe is a new edge, and a closed write
        // end is one more, reported once (the reader of a child's stdout
        // under tokio waits exactly like this).
        let (mut r, mut w) = std::io::pipe().unwrap();
        let ep = sys(291, [EPOLL_CLOEXEC, 0, 0, 0, 0, 0]);
        assert!(ep >= 0, "epoll_create1: {ep}");
        assert_eq!(
            epoll_ctl(ep, EPOLL_CTL_ADD, r.as_raw_fd(), EPOLLIN | EPOLLET, 9),
            0
        );
        let mut out = [EpollEvent::default(); 4];
        let mut b = [0; 8];
        for chunk in [&b"one"[..], b"two", b"three"] {
            assert_eq!(epoll_wait(ep, &mut out, 0), 0, "drained: no edge");
            w.write_all(chunk).unwrap();
            assert_eq!(epoll_wait(ep, &mut out, 5000), 1, "{chunk:?} is a new edge");
            assert_eq!(epoll_wait(ep, &mut out, 0), 0, "reported once");
            assert_eq!(r.read(&mut b).unwrap(), chunk.len());
        }
        drop(w);
        assert_eq!(epoll_wait(ep, &mut out, 5000), 1, "the hang-up");
        assert_eq!(out[0].events & 0x10, 0x10, "EPOLLHUP");
        assert_eq!(
            epoll_wait(ep, &mut out, 0),
            0,
            "the hang-up is reported once"
        );
        close(ep);
    });
    suite.check("epoll-errors", || {
        let (_c, s) = pair();
        let fd = s.as_raw_fd();
        let ep = sys(291, [0, 0, 0, 0, 0, 0]);
        assert_eq!(sys(291, [1, 0, 0, 0, 0, 0]), -EINVAL, "unknown flag");
        assert_eq!(epoll_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN, 0), 0);
        assert_eq!(epoll_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN, 0), -EEXIST);
        assert_eq!(epoll_ctl(ep, EPOLL_CTL_DEL, fd, 0, 0), 0);
        assert_eq!(epoll_ctl(ep, EPOLL_CTL_DEL, fd, 0, 0), -ENOENT);
        assert_eq!(
            epoll_ctl(ep, EPOLL_CTL_ADD, ep as i32, EPOLLIN, 0),
            -EINVAL,
            "itself"
        );
        assert_eq!(
            epoll_ctl(fd as isize, EPOLL_CTL_ADD, ep as i32, EPOLLIN, 0),
            -EINVAL,
            "not an epoll fd"
        );
        assert_eq!(
            sys(233, [ep as usize, EPOLL_CTL_ADD, fd as usize, 8, 0, 0]),
            -EFAULT
        );
        let mut out = [EpollEvent::default(); 1];
        assert_eq!(
            sys(232, [ep as usize, out.as_mut_ptr() as usize, 0, 0, 0, 0]),
            -EINVAL
        );
        close(ep);
    });
    suite.check("epoll-watch-ends-with-its-file", || {
        // A closed socket's watch does not block a new socket that gets its
        // fd number: ADD succeeds every time (mio registers each accepted
        // socket this way).
        let ep = sys(291, [EPOLL_CLOEXEC, 0, 0, 0, 0, 0]);
        assert!(ep >= 0, "epoll_create1: {ep}");
        let mut fds = Vec::new();
        for round in 0..100 {
            let (c, s) = pair();
            let fd = s.as_raw_fd();
            assert_eq!(
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN, round),
                0,
                "round {round}, fd {fd}"
            );
            fds.push(fd);
            drop((c, s));
        }
        fds.sort_unstable();
        fds.dedup();
        assert!(fds.len() < 100, "fd numbers are reused");
        close(ep);
    });
    suite.check("eventfd", || {
        const EFD_SEMAPHORE: usize = 1;
        const EFD_NONBLOCK: usize = 0o4000;
        let read = |fd: isize| -> (isize, u64) {
            let mut v = 0u64;
            (
                sys(0, [fd as usize, &mut v as *mut u64 as usize, 8, 0, 0, 0]),
                v,
            )
        };
        let write =
            |fd: isize, v: u64| sys(1, [fd as usize, &v as *const u64 as usize, 8, 0, 0, 0]);
        assert_eq!(sys(290, [0, 0x40, 0, 0, 0, 0]), -EINVAL, "unknown flag");
        let fd = sys(290, [3, EFD_NONBLOCK, 0, 0, 0, 0]);
        assert!(fd >= 0, "eventfd2: {fd}");
        assert_eq!(write(fd, 4), 8);
        assert_eq!(read(fd), (8, 7), "a read takes the whole count");
        assert_eq!(read(fd).0, -11, "empty and non-blocking: EAGAIN");
        assert_eq!(write(fd, u64::MAX), -EINVAL);
        assert_eq!(write(fd, 1), 8);
        assert_eq!(sys(0, [fd as usize, 8, 8, 0, 0, 0]), -EFAULT, "bad buffer");
        assert_eq!(
            read(fd).0,
            -11,
            "as on Linux, the failed copy still took the count"
        );
        let mut short = [0u8; 4];
        assert_eq!(
            sys(0, [fd as usize, short.as_mut_ptr() as usize, 4, 0, 0, 0]),
            -EINVAL
        );
        close(fd);
        let sem = sys(290, [2, EFD_SEMAPHORE, 0, 0, 0, 0]);
        assert_eq!(
            (read(sem), read(sem)),
            ((8, 1), (8, 1)),
            "semaphore: one at a time"
        );
        // A blocked reader, a blocked ppoll and an edge-triggered epoll all
        // wake when another thread writes.
        let ep = sys(291, [EPOLL_CLOEXEC, 0, 0, 0, 0, 0]);
        assert_eq!(
            epoll_ctl(ep, EPOLL_CTL_ADD, sem as i32, EPOLLIN | EPOLLET, 5),
            0
        );
        let mut out = [EpollEvent::default(); 2];
        assert_eq!(epoll_wait(ep, &mut out, 0), 0);
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            assert_eq!(write(sem, 1), 8);
            thread::sleep(Duration::from_millis(50));
            assert_eq!(write(sem, 2), 8);
        });
        let t = Instant::now();
        assert_eq!(read(sem), (8, 1), "the blocked read got the write");
        assert!(
            t.elapsed() >= Duration::from_millis(40),
            "woke early: {:?}",
            t.elapsed()
        );
        let mut p = [PollFd {
            fd: sem as i32,
            events: POLLIN,
            revents: 0,
        }];
        assert_eq!(ppoll(&mut p, Some(5000)), 1);
        assert_eq!(p[0].revents, POLLIN);
        writer.join().unwrap();
        assert_eq!(epoll_wait(ep, &mut out, 5000), 1);
        assert_eq!(
            epoll_wait(ep, &mut out, 0),
            0,
            "edge-triggered: reported once"
        );
        assert_eq!(write(sem, 1), 8);
        assert_eq!(epoll_wait(ep, &mut out, 5000), 1, "a write is a new edge");
        close(ep);
        close(sem);
    });
    suite.check("socket-fd-ops", || {
        let (mut c, s) = pair();
        let fd = s.as_raw_fd();
        let mut st = [0u64; 18];
        assert_eq!(
            sys(5, [fd as usize, st.as_mut_ptr() as usize, 0, 0, 0, 0]),
            0
        );
        assert_eq!(st[3] as u32 & 0o170000, 0o140000, "S_IFSOCK");
        // O_NONBLOCK through fcntl; a read then gives EAGAIN.
        let fl = sys(72, [fd as usize, 3, 0, 0, 0, 0]);
        assert!(fl >= 0);
        assert_eq!(sys(72, [fd as usize, 4, fl as usize | 0o4000, 0, 0, 0]), 0);
        let mut b = [0u8; 4];
        assert_eq!(
            sys(0, [fd as usize, b.as_mut_ptr() as usize, 4, 0, 0, 0]),
            -11
        );
        c.write_all(b"four").unwrap();
        let mut n: i32 = -1;
        let t = Instant::now();
        while n < 4 && t.elapsed() < Duration::from_secs(5) {
            assert_eq!(
                sys(
                    16,
                    [fd as usize, 0x541B, &mut n as *mut i32 as usize, 0, 0, 0]
                ),
                0
            );
        }
        assert_eq!(n, 4, "FIONREAD");
        // A dup reads the same socket; FIONBIO turns blocking back on.
        let d = sys(32, [fd as usize, 0, 0, 0, 0, 0]);
        assert!(d >= 0 && d != fd as isize);
        let off: i32 = 0;
        assert_eq!(
            sys(
                16,
                [d as usize, 0x5421, &off as *const i32 as usize, 0, 0, 0]
            ),
            0
        );
        assert_eq!(
            sys(72, [fd as usize, 3, 0, 0, 0, 0]) & 0o4000,
            0,
            "shared status flags"
        );
        assert_eq!(sys(0, [d as usize, b.as_mut_ptr() as usize, 4, 0, 0, 0]), 4);
        assert_eq!(&b, b"four");
        close(d);
        // Socket calls on a file that is not a socket.
        let (r, _w) = std::io::pipe().unwrap();
        assert_eq!(sys(50, [r.as_raw_fd() as usize, 1, 0, 0, 0, 0]), -ENOTSOCK);
    });
    suite.check("socket-calls-reject-bad-arguments", || {
        const BAD: usize = 0x10;
        const EAFNOSUPPORT: isize = 97;
        const EOPNOTSUPP: isize = 95;
        let (mut c, s) = pair();
        let fd = s.as_raw_fd() as usize;
        let mut len: u32 = 16;
        let lenp = &mut len as *mut u32 as usize;
        let mut buf = [0u8; 128];
        let bufp = buf.as_mut_ptr() as usize;
        assert_eq!(
            sys(41, [2, 99, 0, 0, 0, 0]),
            -EINVAL,
            "socket: unknown type flags"
        );
        assert_eq!(
            sys(41, [12345, 1, 0, 0, 0, 0]),
            -EAFNOSUPPORT,
            "socket: unknown family"
        );
        assert_eq!(
            sys(49, [fd, BAD, 16, 0, 0, 0]),
            -EFAULT,
            "bind: bad address"
        );
        assert_eq!(
            sys(49, [fd, bufp, u32::MAX as usize, 0, 0, 0]),
            -EINVAL,
            "bind: negative length"
        );
        assert_eq!(
            sys(42, [fd, BAD, 16, 0, 0, 0]),
            -EFAULT,
            "connect: bad address"
        );
        assert_eq!(
            sys(44, [fd, BAD, 8, 0, 0, 0]),
            -EFAULT,
            "sendto: bad buffer"
        );
        assert_eq!(
            sys(46, [fd, BAD, 0, 0, 0, 0]),
            -EFAULT,
            "sendmsg: bad msghdr"
        );
        assert_eq!(
            sys(47, [fd, BAD, 0x40, 0, 0, 0]),
            -EFAULT,
            "recvmsg: bad msghdr"
        );
        assert_eq!(
            sys(51, [fd, BAD, lenp, 0, 0, 0]),
            -EFAULT,
            "getsockname: bad address"
        );
        assert_eq!(
            sys(51, [fd, bufp, BAD, 0, 0, 0]),
            -EFAULT,
            "getsockname: bad length"
        );
        assert_eq!(
            sys(54, [fd, 1, 20, BAD, 16, 0]),
            -EFAULT,
            "setsockopt: bad value"
        );
        assert_eq!(
            sys(55, [fd, 1, 3, bufp, BAD, 0]),
            -EFAULT,
            "getsockopt: bad length"
        );
        assert_eq!(sys(48, [fd, 7, 0, 0, 0, 0]), -EINVAL, "shutdown: bad how");
        let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(
            sys(50, [u.as_raw_fd() as usize, 1, 0, 0, 0, 0]),
            -EOPNOTSUPP,
            "listen on UDP"
        );
        assert_eq!(sys(271, [BAD, 1, 0, 0, 0, 0]), -EFAULT, "ppoll: bad array");
        assert_eq!(
            sys(271, [bufp, 1 << 20, 0, 0, 0, 0]),
            -EINVAL,
            "ppoll: too many fds"
        );
        // Data waiting, a bad buffer: EFAULT, and the kernel lives on.
        c.write_all(b"z").unwrap();
        let mut p = [PollFd {
            fd: fd as i32,
            events: POLLIN,
            revents: 0,
        }];
        assert_eq!(ppoll(&mut p, Some(5000)), 1);
        assert_eq!(
            sys(45, [fd, BAD, 8, 0, 0, 0]),
            -EFAULT,
            "recvfrom: bad buffer"
        );
        assert!(TcpStream::connect(
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
        )
        .is_ok());
    });
    suite.check("read-write-honour-socket-timeouts", || {
        let (c, s) = pair();
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut b = [0u8; 8];
        let t = Instant::now();
        let r = sys(
            0,
            [s.as_raw_fd() as usize, b.as_mut_ptr() as usize, 8, 0, 0, 0],
        );
        assert_eq!(r, -11, "read(2) times out with EAGAIN");
        assert!(
            t.elapsed() >= Duration::from_millis(45),
            "early: {:?}",
            t.elapsed()
        );
        // A peer that never reads: write(2) fills the buffers, then times out.
        c.set_write_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let chunk = vec![7u8; 1 << 16];
        let mut total = 0usize;
        loop {
            let r = sys(
                1,
                [
                    c.as_raw_fd() as usize,
                    chunk.as_ptr() as usize,
                    chunk.len(),
                    0,
                    0,
                    0,
                ],
            );
            if r < 0 {
                assert_eq!(r, -11, "write(2) times out with EAGAIN");
                break;
            }
            total += r as usize;
            assert!(total < 256 << 20, "never blocked");
        }
        assert!(total > 0);
    });
    suite.check("select-and-pselect6", select_checks);
    suite.done();
}

const SELECT: usize = 23;
const PSELECT6: usize = 270;
const EBADF: isize = 9;
const EINTR: isize = 4;
const SIGUSR1: usize = 10;
const SIG_BLOCK: usize = 0;
const SIG_SETMASK: usize = 2;

/// An `fd_set` of `FD_SETSIZE` (1024) bits.
#[derive(Clone, Copy)]
struct FdSet([u64; 16]);

impl FdSet {
    fn of(fds: &[i32]) -> Self {
        let mut s = FdSet([0; 16]);
        for &fd in fds {
            s.0[fd as usize / 64] |= 1 << (fd % 64);
        }
        s
    }

    fn has(&self, fd: i32) -> bool {
        self.0[fd as usize / 64] & (1 << (fd % 64)) != 0
    }
}

fn set_ptr(s: Option<&mut FdSet>) -> usize {
    s.map_or(0, |s| s.0.as_mut_ptr() as usize)
}

/// select(2) with a `struct timeval` (`None`: wait forever).
fn select(
    n: usize,
    r: Option<&mut FdSet>,
    w: Option<&mut FdSet>,
    e: Option<&mut FdSet>,
    tv: Option<&mut [i64; 2]>,
) -> isize {
    let tvp = tv.map_or(0, |t| t.as_mut_ptr() as usize);
    sys(SELECT, [n, set_ptr(r), set_ptr(w), set_ptr(e), tvp, 0])
}

/// pselect6 with a read set, a `struct timespec` and `{ sigset_t *, size }`.
fn pselect6(n: usize, r: &mut FdSet, ts: &mut [i64; 2], sig: Option<&[usize; 2]>) -> isize {
    let sigp = sig.map_or(0, |s| s.as_ptr() as usize);
    sys(
        PSELECT6,
        [n, set_ptr(Some(r)), 0, 0, ts.as_mut_ptr() as usize, sigp],
    )
}

/// Microseconds in a `struct timeval`.
fn usecs(tv: &[i64; 2]) -> i64 {
    tv[0] * 1_000_000 + tv[1]
}

static USR1_CAUGHT: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_usr1(_: i32) {
    USR1_CAUGHT.fetch_add(1, Ordering::SeqCst);
}

extern "C" {
    /// musl's signal(): installs the handler with `SA_RESTART`.
    fn signal(sig: i32, handler: extern "C" fn(i32)) -> usize;
}

fn sigprocmask(how: usize, set: Option<u64>) -> u64 {
    let mut old = 0u64;
    let setp = set.as_ref().map_or(0, |s| s as *const u64 as usize);
    assert_eq!(
        sys(14, [how, setp, &mut old as *mut u64 as usize, 8, 0, 0]),
        0
    );
    old
}

fn select_checks() {
    const BAD: usize = 8;
    let (mut r, mut w) = std::io::pipe().unwrap();
    let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
    let n = rfd.max(wfd) as usize + 1;
    // An empty pipe: only the write end is ready; the result sets replace
    // the ones passed, and a zero timeout stays zero.
    let (mut rs, mut ws, mut es) = (FdSet::of(&[rfd]), FdSet::of(&[wfd]), FdSet::of(&[rfd, wfd]));
    let mut tv = [0, 0];
    assert_eq!(
        select(
            n,
            Some(&mut rs),
            Some(&mut ws),
            Some(&mut es),
            Some(&mut tv)
        ),
        1
    );
    assert!(!rs.has(rfd) && ws.has(wfd) && !es.has(rfd) && !es.has(wfd));
    assert_eq!(tv, [0, 0]);
    // Readable and writable: every (fd, set) pair counts.
    w.write_all(b"x").unwrap();
    let (mut rs, mut ws) = (FdSet::of(&[rfd, wfd]), FdSet::of(&[wfd]));
    assert_eq!(
        select(n, Some(&mut rs), Some(&mut ws), None, Some(&mut [0, 0])),
        2
    );
    assert!(
        rs.has(rfd) && !rs.has(wfd) && ws.has(wfd),
        "the write end is not readable"
    );
    let mut b = [0u8; 1];
    r.read_exact(&mut b).unwrap();
    // The timeout is honoured and, as on Linux, rewritten with the time left.
    let mut rs = FdSet::of(&[rfd]);
    let mut tv = [0, 50_000];
    let t = Instant::now();
    assert_eq!(select(n, Some(&mut rs), None, None, Some(&mut tv)), 0);
    assert!(
        t.elapsed() >= Duration::from_millis(45),
        "timed out early: {:?}",
        t.elapsed()
    );
    assert_eq!(tv, [0, 0], "no time left");
    assert!(!rs.has(rfd), "sets come back empty on a timeout");
    // Microseconds past a second carry over: {-1 s, 1e6 us} is a zero timeout.
    let mut tv = [-1, 1_000_000];
    assert_eq!(
        select(n, Some(&mut FdSet::of(&[rfd])), None, None, Some(&mut tv)),
        0
    );
    assert_eq!(tv, [-1, 1_000_000], "a zero timeout is not rewritten");
    assert_eq!(select(n, None, None, None, Some(&mut [0, -1])), -EINVAL);
    // A socket that another thread writes to wakes a waiting select.
    let (mut c, s) = pair();
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        c.write_all(b"y").unwrap();
        c
    });
    let sfd = s.as_raw_fd();
    let mut rs = FdSet::of(&[sfd]);
    let mut tv = [5, 0];
    let t = Instant::now();
    assert_eq!(
        select(sfd as usize + 1, Some(&mut rs), None, None, Some(&mut tv)),
        1
    );
    assert!(
        t.elapsed() >= Duration::from_millis(80),
        "woke early: {:?}",
        t.elapsed()
    );
    assert!(rs.has(sfd));
    assert!(
        usecs(&tv) > 0 && usecs(&tv) <= 4_920_000,
        "time left: {tv:?}"
    );
    drop(writer.join().unwrap());
    // A pipe whose writer is gone is readable (POLLHUP).
    drop(w);
    let mut rs = FdSet::of(&[rfd]);
    assert_eq!(select(n, Some(&mut rs), None, None, Some(&mut [0, 0])), 1);
    assert!(rs.has(rfd));
    // Errors: a closed fd in any set, bad pointers, a negative nfds.
    let closed = sys(32, [rfd as usize, 0, 0, 0, 0, 0]);
    close(closed);
    let mut es = FdSet::of(&[closed as i32]);
    assert_eq!(
        select(
            closed as usize + 1,
            None,
            None,
            Some(&mut es),
            Some(&mut [0, 0])
        ),
        -EBADF
    );
    let mut zero = [0i64, 0];
    let zp = zero.as_mut_ptr() as usize;
    assert_eq!(sys(SELECT, [n, BAD, 0, 0, zp, 0]), -EFAULT, "bad set");
    assert_eq!(sys(SELECT, [n, 0, 0, 0, BAD, 0]), -EFAULT, "bad timeout");
    assert_eq!(
        sys(SELECT, [0, BAD, BAD, BAD, zp, 0]),
        0,
        "nfds 0 reads no set"
    );
    assert_eq!(sys(SELECT, [-1isize as usize, 0, 0, 0, zp, 0]), -EINVAL);
    // Past the fd table nfds is cut down to it, as on Linux (no EINVAL, and
    // fd 1000 is beyond this process's table).
    assert_eq!(sys(SELECT, [1 << 20, 0, 0, 0, zp, 0]), 0);
    assert_eq!(
        select(
            1001,
            Some(&mut FdSet::of(&[1000])),
            None,
            None,
            Some(&mut [0, 0])
        ),
        0
    );

    // pselect6: a timespec, rewritten by the raw call too.
    let (r2, _w2) = std::io::pipe().unwrap();
    let fd2 = r2.as_raw_fd();
    let n2 = fd2 as usize + 1;
    let mut ts = [0, 50_000_000];
    let t = Instant::now();
    assert_eq!(pselect6(n2, &mut FdSet::of(&[fd2]), &mut ts, None), 0);
    assert!(
        t.elapsed() >= Duration::from_millis(45),
        "timed out early: {:?}",
        t.elapsed()
    );
    assert_eq!(ts, [0, 0]);
    assert_eq!(
        pselect6(n2, &mut FdSet::of(&[fd2]), &mut [0, 1_000_000_000], None),
        -EINVAL
    );
    // The sigmask argument: a bad pointer, a bad size, a NULL set.
    let empty_mask = 0u64;
    let emp = &empty_mask as *const u64 as usize;
    assert_eq!(sys(PSELECT6, [n2, 0, 0, 0, zp, BAD]), -EFAULT);
    assert_eq!(
        pselect6(n2, &mut FdSet::of(&[fd2]), &mut [0, 0], Some(&[emp, 4])),
        -EINVAL
    );
    assert_eq!(
        pselect6(n2, &mut FdSet::of(&[fd2]), &mut [0, 0], Some(&[0, 4])),
        0
    );
    // A pending SIGUSR1, blocked: a mask that keeps it blocked lets the call
    // time out; one that unblocks it gives EINTR at once, the handler runs,
    // and the old mask is back afterwards.
    // SAFETY: the handler only bumps an atomic counter.
    unsafe { signal(SIGUSR1 as i32, on_usr1) };
    let usr1 = 1u64 << (SIGUSR1 - 1);
    let old = sigprocmask(SIG_BLOCK, Some(usr1));
    let (pid, tid) = (sys(39, [0; 6]) as usize, sys(186, [0; 6]) as usize);
    assert_eq!(sys(234, [pid, tid, SIGUSR1, 0, 0, 0]), 0);
    assert_eq!(USR1_CAUGHT.load(Ordering::SeqCst), 0, "blocked");
    let blocked = usr1;
    let bp = &blocked as *const u64 as usize;
    assert_eq!(
        pselect6(n2, &mut FdSet::of(&[fd2]), &mut [0, 0], Some(&[bp, 8])),
        0
    );
    assert_eq!(USR1_CAUGHT.load(Ordering::SeqCst), 0, "still blocked");
    let mut ts = [5, 0];
    let t = Instant::now();
    assert_eq!(
        pselect6(n2, &mut FdSet::of(&[fd2]), &mut ts, Some(&[emp, 8])),
        -EINTR
    );
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "not at once: {:?}",
        t.elapsed()
    );
    assert_eq!(USR1_CAUGHT.load(Ordering::SeqCst), 1, "the handler ran");
    assert!(
        sigprocmask(SIG_BLOCK, None) & usr1 != 0,
        "the old mask is back"
    );
    assert!(
        ts[0] * 1_000_000_000 + ts[1] > 0,
        "time left after EINTR: {ts:?}"
    );
    sigprocmask(SIG_SETMASK, Some(old));
    // select interrupted by a handler installed with SA_RESTART: EINTR, not
    // restarted (signal(7)). The other thread blocks SIGUSR1 so that it is
    // not the one to take it.
    let main_tid = tid;
    let killer = thread::spawn(move || {
        sigprocmask(SIG_BLOCK, Some(usr1));
        thread::sleep(Duration::from_millis(100));
        assert_eq!(sys(234, [pid, main_tid, SIGUSR1, 0, 0, 0]), 0);
    });
    let mut tv = [5, 0];
    let t = Instant::now();
    assert_eq!(
        select(n2, Some(&mut FdSet::of(&[fd2])), None, None, Some(&mut tv)),
        -EINTR
    );
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "restarted? {:?}",
        t.elapsed()
    );
    assert_eq!(USR1_CAUGHT.load(Ordering::SeqCst), 2);
    assert!(
        usecs(&tv) > 0 && usecs(&tv) <= 4_920_000,
        "time left: {tv:?}"
    );
    killer.join().unwrap();
    // Nor are ppoll and nanosleep.
    let five_s = [5i64, 0];
    let mut pfd = [PollFd {
        fd: fd2,
        events: POLLIN,
        revents: 0,
    }];
    let calls: [(&str, RawCall<'_>); 2] = [
        (
            "ppoll",
            Box::new(|| {
                sys(
                    271,
                    [
                        pfd.as_mut_ptr() as usize,
                        1,
                        five_s.as_ptr() as usize,
                        0,
                        0,
                        0,
                    ],
                )
            }),
        ),
        (
            "nanosleep",
            Box::new(|| sys(35, [five_s.as_ptr() as usize, 0, 0, 0, 0, 0])),
        ),
    ];
    for (i, (name, mut call)) in calls.into_iter().enumerate() {
        let killer = thread::spawn(move || {
            sigprocmask(SIG_BLOCK, Some(usr1));
            thread::sleep(Duration::from_millis(100));
            assert_eq!(sys(234, [pid, main_tid, SIGUSR1, 0, 0, 0]), 0);
        });
        let t = Instant::now();
        assert_eq!(call(), -EINTR, "{name} after an SA_RESTART handler");
        assert!(
            t.elapsed() < Duration::from_secs(4),
            "{name} restarted? {:?}",
            t.elapsed()
        );
        assert_eq!(USR1_CAUGHT.load(Ordering::SeqCst), 3 + i);
        killer.join().unwrap();
    }
}
