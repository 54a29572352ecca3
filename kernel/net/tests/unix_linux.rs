//! Differential checks of `AF_UNIX` socket pairs against the host's
//! Linux: random sequences of sends, receives (peek, truncate),
//! shutdowns, closes, `SO_ERROR`, `FIONREAD` and `connect(AF_UNSPEC)` on
//! both ends must give the same results, the same bytes and the same
//! `poll` bits after every step. Sizes stay far below the buffers, whose accounting is Linux's
//! only approximately. Also: `socketpair`'s argument checks.
//!
//! Every `unsafe` block in this file is one libc call on the Linux host:
//! integer arguments, or pointers to live locals whose size is the length
//! passed with them; nothing outlives the call. That one argument stands
//! for all of them, hence the file-wide allow below.
#![allow(clippy::undocumented_unsafe_blocks)]

use proptest::prelude::*;
use veridian_net::abi::*;
use veridian_net::unix::{self, Ucred, UnixEnd};
use veridian_net::Errno;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn res(r: isize) -> Result<usize, Errno> {
    if r < 0 {
        Err(Errno(errno()))
    } else {
        Ok(r as usize)
    }
}

/// One call on one end.
#[derive(Debug, Clone)]
enum Op {
    Send {
        len: usize,
    },
    Recv {
        len: usize,
        peek: bool,
        trunc: bool,
    },
    Shutdown(u32),
    Close,
    SoError,
    Fionread,
    /// `connect` to an `AF_UNSPEC` address (disconnects a datagram end).
    Unspec,
}

fn op() -> impl Strategy<Value = (usize, Op)> {
    let o = prop_oneof![
        4 => (0usize..40).prop_map(|len| Op::Send { len }),
        4 => (0usize..50, any::<bool>(), any::<bool>()).prop_map(|(len, peek, trunc)| Op::Recv { len, peek, trunc }),
        1 => (0u32..4).prop_map(Op::Shutdown),
        1 => Just(Op::Close),
        1 => Just(Op::SoError),
        1 => Just(Op::Fionread),
        1 => Just(Op::Unspec),
    ];
    (0usize..2, o)
}

/// Every readiness bit `poll` can report here.
const ALL: i16 =
    (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLWRNORM | POLLWRBAND | POLLRDHUP) as i16;

fn host_poll(fd: i32) -> u16 {
    let mut p = libc::pollfd {
        fd,
        events: ALL,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    assert_eq!(
        unsafe { libc::poll(&mut p, 1, 0) },
        if p.revents != 0 { 1 } else { 0 }
    );
    p.revents as u16
}

/// Runs `op` on the host's end `fd`: (result, bytes received).
fn host(fd: i32, op: &Op, data: &[u8]) -> (Result<usize, Errno>, Vec<u8>) {
    let nd = libc::MSG_DONTWAIT;
    // SAFETY (all calls below): buffers are valid for the lengths passed,
    // `fd` is an open socket of this test.
    match *op {
        Op::Send { .. } => {
            let r = unsafe {
                libc::send(
                    fd,
                    data.as_ptr().cast(),
                    data.len(),
                    nd | libc::MSG_NOSIGNAL,
                )
            };
            (res(r), vec![])
        }
        Op::Recv { len, peek, trunc } => {
            let mut b = vec![0u8; len];
            let f = nd
                | if peek { libc::MSG_PEEK } else { 0 }
                | if trunc { libc::MSG_TRUNC } else { 0 };
            let r = unsafe { libc::recv(fd, b.as_mut_ptr().cast(), len, f) };
            b.truncate(if r >= 0 { (r as usize).min(len) } else { 0 });
            (res(r), b)
        }
        Op::Shutdown(how) => (
            res(unsafe { libc::shutdown(fd, how as i32) } as isize),
            vec![],
        ),
        Op::Close => (res(unsafe { libc::close(fd) } as isize), vec![]),
        Op::SoError => {
            let (mut v, mut l) = (0i32, 4u32);
            let r = unsafe {
                libc::getsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_ERROR,
                    (&mut v as *mut i32).cast(),
                    &mut l,
                )
            };
            (res(r as isize).map(|_| v as usize), vec![])
        }
        Op::Fionread => {
            let mut v = 0i32;
            let r = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut v) };
            (res(r as isize).map(|_| v as usize), vec![])
        }
        Op::Unspec => {
            let a = [0u8; 16];
            let r = unsafe { libc::connect(fd, a.as_ptr().cast(), 16) };
            (res(r as isize), vec![])
        }
    }
}

/// The same on our end.
fn ours(e: &UnixEnd, op: &Op, data: &[u8]) -> (Result<usize, Errno>, Vec<u8>) {
    match *op {
        Op::Send { .. } => (e.send(data, MSG_DONTWAIT | MSG_NOSIGNAL, None), vec![]),
        Op::Recv { len, peek, trunc } => {
            let mut b = vec![0u8; len];
            let f =
                MSG_DONTWAIT | if peek { MSG_PEEK } else { 0 } | if trunc { MSG_TRUNC } else { 0 };
            match e.recv(&mut b, f) {
                Ok(i) => {
                    b.truncate(i.len);
                    (Ok(i.ret(f)), b)
                }
                Err(err) => (Err(err), vec![]),
            }
        }
        Op::Shutdown(how) => (e.shutdown(how).map(|_| 0), vec![]),
        Op::Close => {
            e.close();
            (Ok(0), vec![])
        }
        Op::SoError => (
            e.getsockopt(SOL_SOCKET, SO_ERROR)
                .map(|v| v.as_int() as usize),
            vec![],
        ),
        Op::Fionread => (e.ioctl(FIONREAD).map(|v| v as usize), vec![]),
        Op::Unspec => (e.connect(&[0u8; 16]).map(|_| 0), vec![]),
    }
}

fn run(ty: i32, ops: &[(usize, Op)]) -> Result<(), TestCaseError> {
    let mut sv = [0i32; 2];
    // SAFETY: `sv` has room for two fds.
    assert_eq!(
        unsafe { libc::socketpair(libc::AF_UNIX, ty, 0, sv.as_mut_ptr()) },
        0
    );
    let kind = unix::pair_type(1, ty as u32, 0).unwrap();
    let (a, b) = unix::pair(kind, Ucred::default());
    let ends = [a, b];
    let mut open = [true, true];
    let mut counter = 0u8;
    for (i, (side, op)) in ops.iter().enumerate() {
        if !open[*side] {
            continue;
        }
        let data: Vec<u8> = match op {
            Op::Send { len } => (0..*len)
                .map(|_| {
                    counter = counter.wrapping_add(1);
                    counter
                })
                .collect(),
            _ => vec![],
        };
        let h = host(sv[*side], op, &data);
        let o = ours(&ends[*side], op, &data);
        prop_assert_eq!(&o, &h, "step {} {:?} on end {}", i, op, side);
        if let Op::Close = op {
            open[*side] = false;
        }
        for s in 0..2 {
            if open[s] {
                let want = host_poll(sv[s]);
                let got = ends[s].poll() & (ALL as u16 | POLLERR | POLLHUP);
                prop_assert_eq!(got, want, "poll of end {} after step {} {:?}", s, i, op);
            }
        }
    }
    for s in 0..2 {
        if open[s] {
            // SAFETY: still open, ours.
            unsafe { libc::close(sv[s]) };
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn stream_pairs_like_linux(ops in prop::collection::vec(op(), 1..40)) {
        run(libc::SOCK_STREAM, &ops)?;
    }

    #[test]
    fn datagram_pairs_like_linux(ops in prop::collection::vec(op(), 1..40)) {
        run(libc::SOCK_DGRAM, &ops)?;
    }

    #[test]
    fn seqpacket_pairs_like_linux(ops in prop::collection::vec(op(), 1..40)) {
        run(libc::SOCK_SEQPACKET, &ops)?;
    }

    #[test]
    fn socketpair_arguments_like_linux(domain in prop::sample::select(vec![0i32, 1, 2, 10, 16, 99, -1]),
                                       ty in 0u32..16, flags in prop::sample::select(vec![0u32, SOCK_NONBLOCK, SOCK_CLOEXEC, 0x100]),
                                       protocol in prop::sample::select(vec![0i32, 1, 2, 6, -1])) {
        let mut sv = [-1i32; 2];
        // SAFETY: `sv` has room for two fds.
        let r = unsafe { libc::socketpair(domain, (ty | flags) as i32, protocol, sv.as_mut_ptr()) };
        let host = if r == 0 {
            // SAFETY: the host just gave us these.
            unsafe { libc::close(sv[0]); libc::close(sv[1]) };
            Ok(())
        } else {
            Err(Errno(errno()))
        };
        let ours = unix::pair_type(domain, ty | flags, protocol).map(|_| ());
        // Other families differ by what the host has compiled in; inet
        // families check type and protocol before refusing pairs, which
        // is not modelled (always EOPNOTSUPP).
        let inet_ok = (ty == 1 || ty == 2) && protocol == 0 && flags != 0x100;
        if domain == 1 || domain == 99 || ((domain == 2 || domain == 10) && inet_ok) {
            prop_assert_eq!(ours, host, "socketpair({}, {:#x}, {})", domain, ty | flags, protocol);
        }
    }
}
