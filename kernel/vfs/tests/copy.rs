//! sendfile, copy_file_range, fallocate.
mod common;
use common::*;

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 256) as u8).collect()
}

#[test]
fn copy_file_range_between_files() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.put(&p, b"/src", &data(200_000));
    let i = w.vfs.openat(c, AT_FDCWD, b"/src", O_RDONLY, 0).unwrap();
    let o = w
        .vfs
        .openat(c, AT_FDCWD, b"/dst", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    assert_eq!(
        w.vfs
            .copy_file_range(c, i, None, o, None, 1 << 30, 0)
            .unwrap(),
        200_000
    );
    assert_eq!(w.get(&p, b"/dst").unwrap(), data(200_000));
    assert_eq!(w.vfs.lseek(c, i, 0, SEEK_CUR).unwrap(), 200_000);
    assert_eq!(
        w.vfs.copy_file_range(c, i, None, o, None, 10, 0).unwrap(),
        0,
        "at EOF"
    );
    // Explicit offsets move, file positions stay.
    let (mut ri, mut ro) = (10i64, 0i64);
    assert_eq!(
        w.vfs
            .copy_file_range(c, i, Some(&mut ri), o, Some(&mut ro), 5, 0)
            .unwrap(),
        5
    );
    assert_eq!((ri, ro), (15, 5));
    assert_eq!(&w.get(&p, b"/dst").unwrap()[..5], &data(15)[10..15]);
    assert_eq!(
        w.vfs.copy_file_range(c, i, None, o, None, 5, 1),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        w.vfs.copy_file_range(c, o, None, i, None, 5, 0),
        Err(Errno::EBADF)
    );
    let rw = w.vfs.openat(c, AT_FDCWD, b"/src", O_RDWR, 0).unwrap();
    let (mut a, mut b) = (0i64, 100i64);
    assert_eq!(
        w.vfs
            .copy_file_range(c, rw, Some(&mut a), rw, Some(&mut b), 200, 0),
        Err(Errno::EINVAL)
    );
    let (r, _wp) = w.vfs.pipe2(c, 0).unwrap();
    assert_eq!(
        w.vfs.copy_file_range(c, r, None, o, None, 5, 0),
        Err(Errno::EINVAL)
    );
    let ap = w
        .vfs
        .openat(c, AT_FDCWD, b"/dst", O_WRONLY | O_APPEND, 0)
        .unwrap();
    assert_eq!(
        w.vfs.copy_file_range(c, i, None, ap, None, 5, 0),
        Err(Errno::EBADF)
    );
}

#[test]
fn sendfile_into_a_pipe_and_a_file() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.put(&p, b"/src", &data(100_000));
    let i = w.vfs.openat(c, AT_FDCWD, b"/src", O_RDONLY, 0).unwrap();
    let (r, wp) = w.vfs.pipe2(c, 0).unwrap();
    // The pipe takes 64 KiB, then would block: a short count.
    assert_eq!(
        w.vfs.sendfile(c, wp, i, None, 100_000).unwrap(),
        PIPE_CAPACITY
    );
    assert_eq!(
        w.vfs.lseek(c, i, 0, SEEK_CUR).unwrap(),
        PIPE_CAPACITY as u64
    );
    assert_eq!(w.vfs.sendfile(c, wp, i, None, 10), Err(Errno::EAGAIN));
    let mut buf = vec![0u8; PIPE_CAPACITY];
    assert_eq!(w.vfs.read(c, r, &mut buf).unwrap(), PIPE_CAPACITY);
    assert_eq!(buf, data(PIPE_CAPACITY));
    let mut off = 99_990i64;
    assert_eq!(w.vfs.sendfile(c, wp, i, Some(&mut off), 100).unwrap(), 10);
    assert_eq!(off, 100_000);
    let o = w
        .vfs
        .openat(c, AT_FDCWD, b"/copy", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    let mut off = 0i64;
    assert_eq!(
        w.vfs.sendfile(c, o, i, Some(&mut off), 1 << 20).unwrap(),
        100_000
    );
    assert_eq!(w.get(&p, b"/copy").unwrap(), data(100_000));
    assert_eq!(
        w.vfs.sendfile(c, o, r, None, 10),
        Err(Errno::EINVAL),
        "input must be seekable"
    );
    assert_eq!(w.vfs.sendfile(c, i, o, None, 10), Err(Errno::EBADF));
}

#[test]
fn fallocate_extends_with_zeros() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.put(&p, b"/f", b"abc");
    let fd = w.vfs.openat(c, AT_FDCWD, b"/f", O_RDWR, 0).unwrap();
    w.vfs.fallocate(c, fd, 0, 0, 10_000).unwrap();
    let st = w.vfs.fstat(c, fd).unwrap();
    assert_eq!((st.size, st.blocks), (10_000, 24));
    w.vfs.fallocate(c, fd, 0, 0, 5).unwrap();
    assert_eq!(w.vfs.fstat(c, fd).unwrap().size, 10_000, "never shrinks");
    assert_eq!(&w.get(&p, b"/f").unwrap()[..5], b"abc\0\0");
    assert_eq!(w.vfs.fallocate(c, fd, 3, 0, 5), Err(Errno::EOPNOTSUPP));
    assert_eq!(w.vfs.fallocate(c, fd, 0, -1, 5), Err(Errno::EINVAL));
    assert_eq!(w.vfs.fallocate(c, fd, 0, 0, 0), Err(Errno::EINVAL));
    let ro = w.vfs.openat(c, AT_FDCWD, b"/f", O_RDONLY, 0).unwrap();
    assert_eq!(w.vfs.fallocate(c, ro, 0, 0, 5), Err(Errno::EBADF));
}
