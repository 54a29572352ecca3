//! The Linux behaviours observed on a host kernel (6.x), end by end.

use super::*;
use alloc::vec;

fn new(ty: UnixType) -> (UnixEnd, UnixEnd) {
    pair(
        ty,
        Ucred {
            pid: 7,
            uid: 1,
            gid: 2,
        },
    )
}

fn recv(e: &UnixEnd, n: usize, flags: u32) -> Result<alloc::vec::Vec<u8>> {
    let mut b = vec![0u8; n];
    let i = e.recv(&mut b, flags)?;
    b.truncate(i.len);
    Ok(b)
}

const ND: u32 = MSG_DONTWAIT;

#[test]
fn arguments_are_checked_as_linux() {
    assert_eq!(
        pair_type(1, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0),
        Ok(UnixType::Stream)
    );
    assert_eq!(pair_type(1, SOCK_RAW, 1), Ok(UnixType::Dgram));
    assert_eq!(pair_type(1, SOCK_SEQPACKET, 0), Ok(UnixType::SeqPacket));
    assert_eq!(pair_type(1, SOCK_STREAM, -1), Err(Errno::EPROTONOSUPPORT));
    assert_eq!(pair_type(1, 4, 0), Err(Errno::ESOCKTNOSUPPORT));
    assert_eq!(pair_type(1, 0, 0), Err(Errno::ESOCKTNOSUPPORT));
    assert_eq!(pair_type(1, 11, 0), Err(Errno::EINVAL));
    assert_eq!(pair_type(1, SOCK_STREAM | 0x100, 0), Err(Errno::EINVAL));
    assert_eq!(pair_type(2, SOCK_STREAM, 0), Err(Errno::EOPNOTSUPP));
    assert_eq!(pair_type(10, SOCK_STREAM, 0), Err(Errno::EOPNOTSUPP));
    assert_eq!(pair_type(99, SOCK_STREAM, 0), Err(Errno::EAFNOSUPPORT));
}

#[test]
fn stream_carries_bytes_both_ways_across_writes() {
    let (a, b) = new(UnixType::Stream);
    assert_eq!(b.poll(), POLLOUT | POLLWRNORM | POLLWRBAND);
    assert_eq!(a.send(b"abc", 0, None), Ok(3));
    assert_eq!(a.send(b"de", 0, None), Ok(2));
    assert_eq!(b.poll() & POLLIN, POLLIN);
    assert_eq!(b.ioctl(FIONREAD), Ok(5));
    assert_eq!(recv(&b, 10, MSG_PEEK).unwrap(), b"abcde");
    assert_eq!(recv(&b, 2, MSG_TRUNC).unwrap(), b"ab");
    assert_eq!(recv(&b, 10, 0).unwrap(), b"cde");
    assert_eq!(recv(&b, 10, ND), Err(Errno::EAGAIN));
    assert_eq!(recv(&b, 0, ND), Err(Errno::EAGAIN));
    assert_eq!(b.send(b"back", 0, None), Ok(4));
    assert_eq!(recv(&a, 10, 0).unwrap(), b"back");
    assert_eq!(a.send(b"x", 0, Some(&[1, 0, b'/', 0])), Err(Errno::EISCONN));
}

#[test]
fn stream_close_gives_eof_epipe_and_reset_for_unread_data() {
    let (a, b) = new(UnixType::Stream);
    b.send(b"zz", 0, None).unwrap();
    a.send(b"yy", 0, None).unwrap();
    drop(b);
    assert_eq!(
        a.poll(),
        POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR | POLLHUP | POLLRDHUP
    );
    assert_eq!(recv(&a, 10, ND).unwrap(), b"zz");
    assert_eq!(recv(&a, 10, ND), Err(Errno::ECONNRESET));
    assert_eq!(recv(&a, 10, ND).unwrap(), b"");
    assert_eq!(a.send(b"q", 0, None), Err(Errno::EPIPE));
    assert_eq!(a.getsockopt(SOL_SOCKET, SO_ERROR).unwrap().as_int(), 0);
    assert_eq!(a.peer_check(), Ok(()));
}

#[test]
fn stream_shutdown_is_mirrored_on_the_peer() {
    let (a, b) = new(UnixType::Stream);
    a.shutdown(SHUT_RD).unwrap();
    assert_eq!(
        a.poll() & (POLLIN | POLLRDHUP | POLLHUP),
        POLLIN | POLLRDHUP
    );
    assert_eq!(recv(&a, 10, ND).unwrap(), b"");
    assert_eq!(b.send(b"q", 0, None), Err(Errno::EPIPE));
    assert_eq!(a.send(b"q", 0, None), Ok(1));
    a.shutdown(SHUT_WR).unwrap();
    assert_eq!(a.send(b"q", 0, None), Err(Errno::EPIPE));
    assert_eq!(
        b.poll() & (POLLIN | POLLRDHUP | POLLHUP),
        POLLIN | POLLRDHUP | POLLHUP
    );
    assert_eq!(recv(&b, 10, 0).unwrap(), b"q");
    assert_eq!(recv(&b, 10, 0).unwrap(), b"");
    assert_eq!(a.shutdown(3), Err(Errno::EINVAL));
}

#[test]
fn stream_buffer_fills_like_linux() {
    let (a, b) = new(UnixType::Stream);
    let mut n = 0;
    while a.send(b"x", 0, None).is_ok() {
        n += 1;
    }
    assert_eq!(n, 278, "one-byte writes in 212992 bytes of charge");
    assert_eq!(a.poll() & POLLOUT, 0);
    assert_eq!(a.send(b"x", 0, None), Err(Errno::EAGAIN));
    // Reading back to a quarter of the buffer makes it writable again.
    let (_, s0) = a.poll_seq();
    recv(&b, 208, 0).unwrap();
    assert_eq!(a.poll() & POLLOUT, 0);
    recv(&b, 1, 0).unwrap();
    let (ev, s1) = a.poll_seq();
    assert!(ev & POLLOUT != 0 && s1 != s0);

    let (a, _b) = new(UnixType::Stream);
    let big = vec![7u8; 300_000];
    let k = a.send(&big, 0, None).unwrap();
    assert!((200_000..300_000).contains(&k), "a partial write: {k}");
    assert_eq!(a.send(&big, 0, None), Err(Errno::EAGAIN));
}

#[test]
fn datagrams_keep_boundaries_and_truncate() {
    for ty in [UnixType::Dgram, UnixType::SeqPacket] {
        let (a, b) = new(ty);
        assert_eq!(a.send(b"abc", 0, None), Ok(3));
        assert_eq!(a.send(b"de", 0, None), Ok(2));
        assert_eq!(a.send(b"", 0, None), Ok(0));
        let queued = if ty == UnixType::Dgram { 3 } else { 5 };
        assert_eq!(
            b.ioctl(FIONREAD),
            Ok(queued),
            "the next datagram, all of a seqpacket queue"
        );
        assert_eq!(recv(&b, 10, MSG_PEEK).unwrap(), b"abc");
        let mut buf = [0u8; 2];
        let i = b.recv(&mut buf, MSG_TRUNC).unwrap();
        assert_eq!((i.len, i.ret(MSG_TRUNC), i.msg_flags()), (2, 3, MSG_TRUNC));
        assert_eq!(recv(&b, 10, 0).unwrap(), b"de");
        assert_eq!(recv(&b, 10, ND).unwrap(), b"");
        assert_eq!(recv(&b, 10, ND), Err(Errno::EAGAIN));
    }
}

#[test]
fn datagram_size_and_buffer_limits() {
    let (a, _b) = new(UnixType::Dgram);
    assert_eq!(a.send(&vec![0; 212961], 0, None), Err(Errno::EMSGSIZE));
    assert_eq!(a.send(&vec![0; 212960], 0, None), Ok(212960));
    assert_eq!(a.send(&[0; 10], 0, None), Err(Errno::EAGAIN));
    let (a, _b) = new(UnixType::SeqPacket);
    let mut n = 0;
    while a.send(b"x", 0, None).is_ok() {
        n += 1;
    }
    assert_eq!(n, 278);
}

#[test]
fn datagram_shutdown_is_not_mirrored() {
    let (a, b) = new(UnixType::Dgram);
    a.shutdown(SHUT_RD).unwrap();
    assert_eq!(recv(&a, 10, ND), Err(Errno::EAGAIN));
    assert_eq!(recv(&a, 10, 0).unwrap(), b"", "a blocking read sees EOF");
    assert_eq!(b.send(b"q", 0, None), Err(Errno::EPIPE));
    a.shutdown(SHUT_WR).unwrap();
    assert_eq!(a.send(b"q", 0, None), Err(Errno::EPIPE));
    assert_eq!(b.poll() & (POLLHUP | POLLRDHUP), 0);
}

#[test]
fn datagram_peer_close_refuses_then_disconnects() {
    let (a, b) = new(UnixType::Dgram);
    b.send(b"zz", 0, None).unwrap();
    drop(b);
    assert_eq!(
        a.poll(),
        POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLWRBAND
    );
    assert_eq!(recv(&a, 10, ND).unwrap(), b"zz");
    assert_eq!(recv(&a, 10, ND), Err(Errno::EAGAIN));
    assert_eq!(a.send(b"q", 0, None), Err(Errno::ECONNREFUSED));
    assert_eq!(a.send(b"q", 0, None), Err(Errno::ENOTCONN));
    assert_eq!(a.peer_check(), Err(Errno::ENOTCONN));
}

#[test]
fn seqpacket_close_resets_first_then_eof() {
    let (a, b) = new(UnixType::SeqPacket);
    b.send(b"zz", 0, None).unwrap();
    a.send(b"yy", 0, None).unwrap();
    drop(b);
    assert_eq!(
        a.poll() & (POLLERR | POLLHUP | POLLIN),
        POLLERR | POLLHUP | POLLIN
    );
    assert_eq!(recv(&a, 10, ND), Err(Errno::ECONNRESET));
    assert_eq!(recv(&a, 10, ND).unwrap(), b"zz");
    assert_eq!(recv(&a, 10, ND).unwrap(), b"");
    assert_eq!(a.send(b"q", 0, None), Err(Errno::EPIPE));
}

#[test]
fn datagram_disconnect_drops_queue_and_resets_peer() {
    let (a, b) = new(UnixType::Dgram);
    b.send(b"a", 0, None).unwrap();
    a.connect(&AF_UNSPEC.to_ne_bytes()).unwrap();
    assert_eq!(a.send(b"a", 0, None), Err(Errno::ENOTCONN));
    assert_eq!(b.send(b"b", 0, None), Err(Errno::ECONNRESET));
    assert_eq!(recv(&a, 10, ND), Err(Errno::EAGAIN));
    assert_eq!(
        b.send(b"c", 0, None),
        Ok(1),
        "the peer may still send to it"
    );
}

#[test]
fn names_are_refused() {
    let (s, _) = new(UnixType::Stream);
    let (d, _) = new(UnixType::Dgram);
    let path = [&UNNAMED[..], b"/tmp/x\0"].concat();
    assert_eq!(s.connect(&path), Err(Errno::ENOENT));
    assert_eq!(
        s.connect(&[&UNNAMED[..], b"\0abstract"].concat()),
        Err(Errno::ECONNREFUSED)
    );
    assert_eq!(s.connect(&[2, 0, 0, 0]), Err(Errno::EINVAL));
    assert_eq!(d.send(b"x", 0, Some(&path)), Err(Errno::ENOENT));
    assert_eq!(d.send(b"x", 0, Some(&UNNAMED)), Err(Errno::EINVAL));
    assert_eq!(s.listen_or_accept(), Err(Errno::EINVAL));
    assert_eq!(d.listen_or_accept(), Err(Errno::EOPNOTSUPP));
}

#[test]
fn options_answer_for_af_unix() {
    let (a, _b) = new(UnixType::SeqPacket);
    let int = |n| a.getsockopt(SOL_SOCKET, n).unwrap().as_int();
    assert_eq!(int(SO_TYPE), SOCK_SEQPACKET as i32);
    assert_eq!(int(SO_DOMAIN), 1);
    assert_eq!(int(SO_PROTOCOL), 0);
    assert_eq!(int(SO_SNDBUF), 212992);
    assert_eq!(
        a.getsockopt(SOL_SOCKET, SO_PEERCRED).unwrap().as_bytes(),
        [7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]
    );
    assert_eq!(a.getsockopt(SOL_IP, IP_TTL), Err(Errno::EOPNOTSUPP));
    assert_eq!(
        a.setsockopt(SOL_TCP, TCP_NODELAY, &1i32.to_ne_bytes()),
        Err(Errno::EOPNOTSUPP)
    );
    a.setsockopt(SOL_SOCKET, SO_SNDBUF, &1i32.to_ne_bytes())
        .unwrap();
    assert_eq!(int(SO_SNDBUF), 4608);
    let tv = [2i64.to_ne_bytes(), 5i64.to_ne_bytes()].concat();
    a.setsockopt(SOL_SOCKET, SO_RCVTIMEO, &tv).unwrap();
    assert_eq!(a.timeouts(), (Some(2_000_005), None));
    let mut n = 0;
    while a.send(b"x", 0, None).is_ok() {
        n += 1;
    }
    assert_eq!(n, 6, "a 4608-byte buffer");
}

#[test]
fn sequence_moves_only_for_the_end_concerned() {
    let (a, b) = new(UnixType::Stream);
    let (_, sa) = a.poll_seq();
    let (_, sb) = b.poll_seq();
    a.send(b"x", 0, None).unwrap();
    assert_eq!(a.poll_seq().1, sa, "sending does not wake the sender");
    assert_ne!(b.poll_seq().1, sb);
    let sb = b.poll_seq().1;
    recv(&b, 1, MSG_PEEK).unwrap();
    assert_eq!(b.poll_seq().1, sb, "peeking changes nothing");
}
