//! fd-table semantics (dup family, fcntl, CLOEXEC, limits, fork) and pipes.
mod common;
use common::*;

#[test]
fn dup_family_shares_the_open_file() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.put(&p, b"/f", b"abcdef");
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/f", O_RDONLY | O_CLOEXEC, 0)
        .unwrap();
    assert_eq!(w.vfs.fcntl(c, fd, F_GETFD, 0).unwrap(), FD_CLOEXEC as i64);
    let d = w.vfs.dup(c, fd).unwrap();
    assert_eq!(d, fd + 1);
    assert_eq!(
        w.vfs.fcntl(c, d, F_GETFD, 0).unwrap(),
        0,
        "dup clears CLOEXEC"
    );
    let mut b = [0u8; 2];
    w.vfs.read(c, fd, &mut b).unwrap();
    w.vfs.read(c, d, &mut b).unwrap();
    assert_eq!(&b, b"cd", "offset is shared");
    // dup2 onto an open fd closes it; onto itself is a no-op.
    let other = w.vfs.openat(c, AT_FDCWD, b"/", O_RDONLY, 0).unwrap();
    assert_eq!(w.vfs.dup2(c, fd, other).unwrap(), other);
    assert_eq!(w.vfs.fstat(c, other).unwrap().kind, FileKind::Regular);
    assert_eq!(w.vfs.dup2(c, fd, fd).unwrap(), fd);
    assert_eq!(w.vfs.dup2(c, 99, 3), Err(Errno::EBADF));
    assert_eq!(w.vfs.dup2(c, 99, 99), Err(Errno::EBADF));
    assert_eq!(w.vfs.dup3(c, fd, fd, 0), Err(Errno::EINVAL));
    assert_eq!(w.vfs.dup3(c, fd, 10, O_NONBLOCK), Err(Errno::EINVAL));
    assert_eq!(w.vfs.dup3(c, fd, 10, O_CLOEXEC).unwrap(), 10);
    assert_eq!(w.vfs.fcntl(c, 10, F_GETFD, 0).unwrap(), 1);
    assert_eq!(w.vfs.fcntl(c, fd, F_DUPFD, 5).unwrap(), 5);
    assert_eq!(w.vfs.fcntl(c, fd, F_DUPFD, 5).unwrap(), 6);
    assert_eq!(w.vfs.fcntl(c, fd, F_DUPFD_CLOEXEC, 0).unwrap(), 3);
    assert_eq!(w.vfs.fcntl(c, 3, F_GETFD, 0).unwrap(), 1);
    w.vfs.fcntl(c, 3, F_SETFD, 0).unwrap();
    assert_eq!(w.vfs.fcntl(c, 3, F_GETFD, 0).unwrap(), 0);
    assert_eq!(w.vfs.fcntl(c, fd, 12345, 0), Err(Errno::EINVAL));
    assert_eq!(w.vfs.fcntl(c, 42, F_GETFD, 0), Err(Errno::EBADF));
    assert_eq!(
        w.vfs.fcntl(c, fd, F_DUPFD, -1i64 as u64),
        Err(Errno::EINVAL)
    );
    // F_SETFL changes only the status flags, and they are shared by dups.
    w.vfs
        .fcntl(
            c,
            d,
            F_SETFL,
            (O_NONBLOCK | O_APPEND | O_WRONLY | O_TRUNC) as u64,
        )
        .unwrap();
    assert_eq!(
        w.vfs.fcntl(c, fd, F_GETFL, 0).unwrap() as u32,
        O_RDONLY | O_NONBLOCK | O_APPEND | O_LARGEFILE
    );
    assert_eq!(w.vfs.close(c, d), Ok(()));
    assert_eq!(w.vfs.close(c, d), Err(Errno::EBADF));
    assert_eq!(w.vfs.close(c, -1), Err(Errno::EBADF));
}

#[test]
fn cloexec_sweep_fork_and_limit() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let a = w.vfs.openat(c, AT_FDCWD, b"/", O_RDONLY, 0).unwrap();
    let b = w
        .vfs
        .openat(c, AT_FDCWD, b"/", O_RDONLY | O_CLOEXEC, 0)
        .unwrap();
    let child = p.fds.fork();
    p.fds.close_on_exec();
    assert!(w.vfs.fstat(c, a).is_ok());
    assert_eq!(w.vfs.fstat(c, b), Err(Errno::EBADF));
    assert_eq!(child.count(), 2, "the fork kept its own copy");
    assert!(child.cloexec(b).unwrap());
    // Lowest free fd is reused.
    assert_eq!(w.vfs.openat(c, AT_FDCWD, b"/", O_RDONLY, 0).unwrap(), b);
    // EMFILE at the limit.
    p.fds.set_limit(4);
    assert_eq!(w.vfs.dup(c, a).unwrap(), 2);
    assert_eq!(w.vfs.dup(c, a).unwrap(), 3);
    assert_eq!(w.vfs.dup(c, a), Err(Errno::EMFILE));
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/", O_RDONLY, 0),
        Err(Errno::EMFILE)
    );
    assert_eq!(w.vfs.dup2(c, a, 4), Err(Errno::EBADF));
    assert_eq!(w.vfs.fcntl(c, a, F_DUPFD, 4), Err(Errno::EINVAL));
    p.fds.close_range(1, 2, false);
    assert_eq!(p.fds.count(), 2);
    p.fds.close_all();
    assert_eq!(p.fds.count(), 0);
}

#[test]
fn max_fds_grows_as_linux_and_never_shrinks() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    assert_eq!(p.fds.max_fds(), 64, "an empty table");
    let a = w.vfs.openat(c, AT_FDCWD, b"/", O_RDONLY, 0).unwrap();
    assert_eq!(w.vfs.dup2(c, a, 63).unwrap(), 63);
    assert_eq!(p.fds.max_fds(), 64);
    assert_eq!(w.vfs.dup2(c, a, 64).unwrap(), 64);
    assert_eq!(p.fds.max_fds(), 128);
    assert_eq!(w.vfs.dup2(c, a, 300).unwrap(), 300);
    assert_eq!(p.fds.max_fds(), 512);
    w.vfs.close(c, 300).unwrap();
    assert_eq!(p.fds.max_fds(), 512, "closing does not shrink it");
    assert_eq!(p.fds.fork().max_fds(), 512, "a fork copies the size");
}

#[test]
fn pipe_data_eof_epipe_eagain() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let (r, wr) = w.vfs.pipe2(c, 0).unwrap();
    assert_eq!((r, wr), (0, 1));
    let mut buf = [0u8; 16];
    assert_eq!(
        w.vfs.read(c, r, &mut buf),
        Err(Errno::EAGAIN),
        "empty with a writer would block"
    );
    assert_eq!(w.vfs.poll(c, r), 0);
    assert_eq!(w.vfs.poll(c, wr), POLLOUT);
    assert_eq!(w.vfs.write(c, wr, b"hello").unwrap(), 5);
    assert_eq!(w.vfs.poll(c, r), POLLIN);
    assert_eq!(
        w.vfs.ioctl(c, r, FIONREAD, &[]).unwrap().out,
        5i32.to_le_bytes()
    );
    assert_eq!(w.vfs.read(c, r, &mut buf[..3]).unwrap(), 3);
    assert_eq!(w.vfs.lseek(c, r, 0, SEEK_CUR), Err(Errno::ESPIPE));
    assert_eq!(w.vfs.pread(c, r, &mut buf, 0), Err(Errno::ESPIPE));
    assert_eq!(w.vfs.write(c, r, b"x"), Err(Errno::EBADF));
    assert_eq!(w.vfs.read(c, wr, &mut buf), Err(Errno::EBADF));
    assert_eq!(w.vfs.fstat(c, r).unwrap().kind, FileKind::Fifo);
    assert_eq!(w.vfs.fcntl(c, r, F_GETPIPE_SZ, 0).unwrap(), 65536);
    // A dup keeps the write end open.
    let wr2 = w.vfs.dup(c, wr).unwrap();
    w.vfs.close(c, wr).unwrap();
    assert_eq!(w.vfs.read(c, r, &mut buf).unwrap(), 2);
    assert_eq!(w.vfs.read(c, r, &mut buf), Err(Errno::EAGAIN));
    w.vfs.close(c, wr2).unwrap();
    assert_eq!(
        w.vfs.read(c, r, &mut buf).unwrap(),
        0,
        "EOF without writers"
    );
    assert_eq!(w.vfs.poll(c, r) & POLLHUP, POLLHUP);
    // Readers gone: EPIPE.
    let (r2, w2) = w.vfs.pipe2(c, O_CLOEXEC | O_NONBLOCK).unwrap();
    assert_eq!(w.vfs.fcntl(c, w2, F_GETFD, 0).unwrap(), 1);
    assert_ne!(
        w.vfs.fcntl(c, w2, F_GETFL, 0).unwrap() as u32 & O_NONBLOCK,
        0
    );
    w.vfs.close(c, r2).unwrap();
    assert_eq!(w.vfs.write(c, w2, b"x"), Err(Errno::EPIPE));
    assert_eq!(w.vfs.poll(c, w2) & POLLERR, POLLERR);
    assert_eq!(w.vfs.pipe2(c, O_APPEND), Err(Errno::EINVAL));
}

#[test]
fn pipe_capacity_and_atomic_writes() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let (r, wr) = w.vfs.pipe2(c, 0).unwrap();
    let big = vec![7u8; 100_000];
    assert_eq!(
        w.vfs.write(c, wr, &big).unwrap(),
        PIPE_CAPACITY,
        "a large write is partial"
    );
    assert_eq!(w.vfs.write(c, wr, b"x"), Err(Errno::EAGAIN));
    let wf = p.fds.get(wr).unwrap();
    assert!(!w.vfs.poll_write_ready(&wf));
    let mut buf = vec![0u8; 4000];
    assert_eq!(w.vfs.read(c, r, &mut buf).unwrap(), 4000);
    // 96 bytes short of PIPE_BUF free: a 4096-byte write must not split.
    assert_eq!(w.vfs.write(c, wr, &[1u8; 4096]), Err(Errno::EAGAIN));
    assert_eq!(w.vfs.write(c, wr, &[1u8; 4000]).unwrap(), 4000);
    w.vfs.read(c, r, &mut buf[..100]).unwrap();
    assert!(!w.vfs.poll_write_ready(&wf));
    w.vfs.read(c, r, &mut buf).unwrap();
    assert!(w.vfs.poll_write_ready(&wf));
    // Data comes out in order.
    let (r, wr) = w.vfs.pipe2(c, 0).unwrap();
    let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let mut sent = 0;
    let mut got = Vec::new();
    while got.len() < data.len() {
        if sent < data.len() {
            if let Ok(n) = w
                .vfs
                .write(c, wr, &data[sent..(sent + 9000).min(data.len())])
            {
                sent += n;
            }
        }
        let mut b = [0u8; 777];
        if let Ok(n) = w.vfs.read(c, r, &mut b) {
            got.extend_from_slice(&b[..n]);
        }
    }
    assert_eq!(got, data);
}

#[test]
fn ioctls_on_files_and_fionbio() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.put(&p, b"/f", b"0123456789");
    let fd = w.vfs.openat(c, AT_FDCWD, b"/f", O_RDONLY, 0).unwrap();
    assert_eq!(w.vfs.ioctl(c, fd, TCGETS, &[]), Err(Errno::ENOTTY));
    assert_eq!(w.vfs.ioctl(c, fd, TIOCGWINSZ, &[]), Err(Errno::ENOTTY));
    w.vfs.lseek(c, fd, 4, SEEK_SET).unwrap();
    assert_eq!(
        w.vfs.ioctl(c, fd, FIONREAD, &[]).unwrap().out,
        6i32.to_le_bytes()
    );
    w.vfs.ioctl(c, fd, FIONBIO, &1i32.to_le_bytes()).unwrap();
    assert!(p.fds.get(fd).unwrap().is_nonblocking());
    w.vfs.ioctl(c, fd, FIONBIO, &0i32.to_le_bytes()).unwrap();
    assert!(!p.fds.get(fd).unwrap().is_nonblocking());
    w.vfs.ioctl(c, fd, FIOCLEX, &[]).unwrap();
    assert!(p.fds.cloexec(fd).unwrap());
    assert_eq!(ioctl_in_len(TCSETS), TERMIOS_SIZE);
    assert_eq!(ioctl_in_len(TCGETS), 0);
    assert_eq!(w.vfs.poll(c, 55), POLLNVAL);
}
