//! select's readiness mapping against the host's Linux: for real fds in
//! several states, `Selection::check` over what poll(2) reports must give
//! the sets (and count) that select(2) itself gives.
//!
//! Every `unsafe` block in this file is one libc call on the Linux host:
//! integer arguments, or pointers to live locals whose size is the length
//! passed with them; nothing outlives the call. That one argument stands
//! for all of them, hence the file-wide allow below.
#![allow(clippy::undocumented_unsafe_blocks)]

use veridian_net::select::{fd_set_bytes, Selection};
use veridian_net::Errno;

/// A host fd, closed on drop.
struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: closes an fd this test owns.
        unsafe { libc::close(self.0) };
    }
}

fn pipe() -> (Fd, Fd) {
    let mut p = [0i32; 2];
    // SAFETY: `p` has room for the two fds.
    assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
    (Fd(p[0]), Fd(p[1]))
}

fn socketpair() -> (Fd, Fd) {
    let mut p = [0i32; 2];
    // SAFETY: `p` has room for the two fds.
    assert_eq!(
        unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, p.as_mut_ptr()) },
        0
    );
    (Fd(p[0]), Fd(p[1]))
}

fn write(fd: &Fd, data: &[u8]) {
    // SAFETY: `data` is valid for its length.
    assert_eq!(
        unsafe { libc::write(fd.0, data.as_ptr().cast(), data.len()) },
        data.len() as isize
    );
}

/// Every poll bit the host reports for `fd`.
fn host_poll(fd: i32) -> u16 {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN | libc::POLLOUT | libc::POLLPRI,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    assert!(unsafe { libc::poll(&mut p, 1, 0) } >= 0);
    p.revents as u16
}

/// The host's select over `fds` (each fd asked in all three sets), with a
/// zero timeout: the count and the three result sets as bytes.
fn host_select(nfds: usize, fds: &[i32]) -> (u64, [Vec<u8>; 3]) {
    let mut sets = [[0u64; 16]; 3];
    for s in sets.iter_mut() {
        for &fd in fds {
            s[fd as usize / 64] |= 1 << (fd % 64);
        }
    }
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let [r, w, e] = &mut sets;
    // SAFETY: three 1024-bit sets and a timeval, all valid; nfds <= 1024.
    let n = unsafe {
        libc::select(
            nfds as i32,
            r.as_mut_ptr().cast(),
            w.as_mut_ptr().cast(),
            e.as_mut_ptr().cast(),
            &mut tv,
        )
    };
    assert!(n >= 0);
    let bytes = |s: &[u64; 16]| {
        s.iter()
            .flat_map(|w| w.to_ne_bytes())
            .take(fd_set_bytes(nfds))
            .collect()
    };
    (n as u64, [bytes(r), bytes(w), bytes(e)])
}

#[test]
fn readiness_maps_to_sets_as_linux_select() {
    let (pr, pw) = pipe();
    let (full_r, full_w) = pipe();
    // SAFETY: F_SETFL on an fd this test owns.
    unsafe { libc::fcntl(full_w.0, libc::F_SETFL, libc::O_NONBLOCK) };
    // SAFETY: a valid buffer for each write.
    while unsafe { libc::write(full_w.0, [0u8; 4096].as_ptr().cast(), 4096) } > 0 {}
    let (hup_r, hup_w) = pipe();
    drop(hup_w);
    let (err_r, err_w) = pipe();
    drop(err_r);
    let (sa, sb) = socketpair();
    write(&sa, b"data");
    let (shut_a, _shut_b) = socketpair();
    // SAFETY: shutdown of a socket this test owns.
    unsafe { libc::shutdown(shut_a.0, libc::SHUT_RDWR) };
    let fds = [
        pr.0, pw.0, full_r.0, full_w.0, hup_r.0, err_w.0, sa.0, sb.0, shut_a.0,
    ];
    let nfds = *fds.iter().max().unwrap() as usize + 1;
    let words = |fds: &[i32]| {
        let mut s = vec![0u8; fd_set_bytes(nfds)];
        for &fd in fds {
            s[fd as usize / 8] |= 1 << (fd % 8);
        }
        s
    };
    let asked = words(&fds);
    let sel = Selection::decode(nfds, Some(&asked), Some(&asked), Some(&asked)).unwrap();
    let ours = sel.check(host_poll).unwrap();
    let (count, sets) = host_select(nfds, &fds);
    assert_eq!(ours.count, count);
    for (i, (o, h)) in ours.sets.iter().zip(sets.iter()).enumerate() {
        assert_eq!(&o.as_ref().unwrap().encode(), h, "set {i}");
    }
    // A closed fd: the host's select says EBADF, and so does the mapping.
    let closed = pipe().0 .0;
    let one = words(&[closed]);
    let sel = Selection::decode(closed as usize + 1, None, None, Some(&one)).unwrap();
    assert_eq!(sel.check(host_poll), Err(Errno::EBADF));
}
