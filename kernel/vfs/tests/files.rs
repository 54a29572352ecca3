//! Open/read/write/stat/getdents and path resolution on the BlockFS root.
mod common;
use common::*;

#[test]
fn create_write_read_stat() {
    let w = world();
    let p = w.spawn(1, b"/bin/t");
    let c = p.c();
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/a.txt", O_CREAT | O_RDWR, 0o666)
        .unwrap();
    assert_eq!(fd, 0);
    assert_eq!(w.vfs.write(c, fd, b"hello world").unwrap(), 11);
    assert_eq!(w.vfs.lseek(c, fd, 0, SEEK_SET).unwrap(), 0);
    let mut buf = [0u8; 5];
    assert_eq!(w.vfs.read(c, fd, &mut buf).unwrap(), 5);
    assert_eq!(&buf, b"hello");
    let st = w.vfs.fstat(c, fd).unwrap();
    assert_eq!(st.size, 11);
    assert_eq!(st.kind, FileKind::Regular);
    assert_eq!(st.mode(), S_IFREG | 0o644, "umask 022 applied");
    assert_eq!(st.nlink, 1);
    assert_eq!(st.blocks, 8);
    let st2 = w.vfs.fstatat(c, AT_FDCWD, b"a.txt", 0).unwrap();
    assert_eq!((st2.ino, st2.dev), (st.ino, st.dev));
    assert_eq!(w.get(&p, b"/a.txt").unwrap(), b"hello world");
}

#[test]
fn open_flags_and_errors() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/nope", O_RDONLY, 0),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"", O_RDONLY, 0),
        Err(Errno::ENOENT)
    );
    w.put(&p, b"/f", b"0123456789");
    assert_eq!(
        w.vfs
            .openat(c, AT_FDCWD, b"/f", O_CREAT | O_EXCL | O_WRONLY, 0o644),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/f", O_RDONLY | O_DIRECTORY, 0),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/f/", O_RDONLY, 0),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/f/x", O_RDONLY, 0),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/", O_WRONLY, 0),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        w.vfs
            .openat(c, AT_FDCWD, b"/newdir/", O_CREAT | O_WRONLY, 0o644),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/f", O_ACCMODE, 0),
        Err(Errno::EINVAL)
    );
    let long = vec![b'x'; 256];
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, &long, O_RDONLY, 0),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, &vec![b'/'; 5000], O_RDONLY, 0),
        Err(Errno::ENAMETOOLONG)
    );
    // O_TRUNC empties; O_APPEND writes at the end whatever the offset.
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/f", O_WRONLY | O_APPEND, 0)
        .unwrap();
    w.vfs.lseek(c, fd, 0, SEEK_SET).unwrap();
    w.vfs.write(c, fd, b"AB").unwrap();
    assert_eq!(w.get(&p, b"/f").unwrap(), b"0123456789AB");
    assert_eq!(
        w.vfs.fcntl(c, fd, F_GETFL, 0).unwrap() as u32,
        O_WRONLY | O_APPEND | O_LARGEFILE
    );
    let mut b = [0u8; 2];
    assert_eq!(w.vfs.read(c, fd, &mut b), Err(Errno::EBADF));
    let fd2 = w
        .vfs
        .openat(c, AT_FDCWD, b"/f", O_RDWR | O_TRUNC, 0)
        .unwrap();
    assert_eq!(w.vfs.fstat(c, fd2).unwrap().size, 0);
    let ro = w.vfs.openat(c, AT_FDCWD, b"/f", O_RDONLY, 0).unwrap();
    assert_eq!(w.vfs.write(c, ro, b"x"), Err(Errno::EBADF));
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/", O_RDONLY | O_TMPFILE, 0),
        Err(Errno::EINVAL),
        "an unnamed file must be writable"
    );
    // read on a directory fd
    let d = w.vfs.openat(c, AT_FDCWD, b"/", O_RDONLY, 0).unwrap();
    assert_eq!(w.vfs.read(c, d, &mut b), Err(Errno::EISDIR));
}

#[test]
fn lseek_whence_and_pread() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.put(&p, b"/f", b"abcdefgh");
    let fd = w.vfs.openat(c, AT_FDCWD, b"/f", O_RDWR, 0).unwrap();
    assert_eq!(w.vfs.lseek(c, fd, -2, SEEK_END).unwrap(), 6);
    assert_eq!(w.vfs.lseek(c, fd, 1, SEEK_CUR).unwrap(), 7);
    assert_eq!(w.vfs.lseek(c, fd, -8, SEEK_CUR), Err(Errno::EINVAL));
    assert_eq!(w.vfs.lseek(c, fd, 0, 99), Err(Errno::EINVAL));
    assert_eq!(w.vfs.lseek(c, fd, 3, SEEK_DATA).unwrap(), 3);
    assert_eq!(w.vfs.lseek(c, fd, 3, SEEK_HOLE).unwrap(), 8);
    assert_eq!(w.vfs.lseek(c, fd, 8, SEEK_DATA), Err(Errno::ENXIO));
    let mut b = [0u8; 3];
    assert_eq!(w.vfs.pread(c, fd, &mut b, 2).unwrap(), 3);
    assert_eq!(&b, b"cde");
    assert_eq!(w.vfs.pread(c, fd, &mut b, -1), Err(Errno::EINVAL));
    assert_eq!(w.vfs.pwrite(c, fd, b"XY", 10).unwrap(), 2);
    assert_eq!(w.get(&p, b"/f").unwrap(), b"abcdefgh\0\0XY");
    assert_eq!(
        w.vfs.lseek(c, fd, 0, SEEK_CUR).unwrap(),
        8,
        "pread/pwrite keep the offset"
    );
    // Seeking past the end then writing fills with zeros.
    w.vfs.lseek(c, fd, 14, SEEK_SET).unwrap();
    w.vfs.write(c, fd, b"Z").unwrap();
    assert_eq!(w.vfs.fstat(c, fd).unwrap().size, 15);
    // readv/writev
    w.vfs.lseek(c, fd, 0, SEEK_SET).unwrap();
    assert_eq!(w.vfs.writev(c, fd, &[b"12", b"345"]).unwrap(), 5);
    w.vfs.lseek(c, fd, 0, SEEK_SET).unwrap();
    let (mut x, mut y) = ([0u8; 1], [0u8; 4]);
    assert_eq!(w.vfs.readv(c, fd, &mut [&mut x, &mut y]).unwrap(), 5);
    assert_eq!((&x, &y), (b"1", b"2345"));
}

#[test]
fn getdents_lists_resumes_and_rejects_small_buffers() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.vfs.mkdirat(c, AT_FDCWD, b"/d", 0o755).unwrap();
    let names: Vec<Vec<u8>> = (0..40)
        .map(|i| format!("file-with-a-longish-name-{i:03}").into_bytes())
        .collect();
    for n in &names {
        let mut path = b"/d/".to_vec();
        path.extend_from_slice(n);
        w.put(&p, &path, b"x");
    }
    w.vfs.symlinkat(c, b"target", AT_FDCWD, b"/d/ln").unwrap();
    w.vfs.mkdirat(c, AT_FDCWD, b"/d/sub", 0o755).unwrap();
    let listed = w.ls(&p, b"/d");
    let mut expect: Vec<(Vec<u8>, u8)> = names.iter().map(|n| (n.clone(), 8)).collect();
    expect.extend([
        (b".".to_vec(), 4),
        (b"..".to_vec(), 4),
        (b"ln".to_vec(), 10),
        (b"sub".to_vec(), 4),
    ]);
    expect.sort();
    assert_eq!(listed, expect);
    // A buffer too small for one record.
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/d", O_RDONLY | O_DIRECTORY, 0)
        .unwrap();
    let mut tiny = [0u8; 20];
    assert_eq!(w.vfs.getdents64(c, fd, &mut tiny), Err(Errno::EINVAL));
    // Records: d_off resumes via lseek.
    let mut buf = [0u8; 4096];
    let n = w.vfs.getdents64(c, fd, &mut buf).unwrap();
    assert!(n > 0 && n.is_multiple_of(8));
    let first_len = u16::from_le_bytes([buf[16], buf[17]]) as usize;
    let d_off = i64::from_le_bytes(buf[8..16].try_into().unwrap());
    let second_name = buf[first_len + 19..first_len + 30].to_vec();
    w.vfs.lseek(c, fd, d_off, SEEK_SET).unwrap();
    let mut again = [0u8; 4096];
    w.vfs.getdents64(c, fd, &mut again).unwrap();
    assert_eq!(&again[19..30], &second_name[..]);
    let f = w
        .vfs
        .openat(c, AT_FDCWD, b"/d/ln", O_RDONLY | O_PATH | O_NOFOLLOW, 0)
        .unwrap();
    assert_eq!(w.vfs.getdents64(c, f, &mut buf), Err(Errno::EBADF));
    let f = w
        .vfs
        .openat(
            c,
            AT_FDCWD,
            b"/d/sub/../file-with-a-longish-name-000",
            O_RDONLY,
            0,
        )
        .unwrap();
    assert_eq!(w.vfs.getdents64(c, f, &mut buf), Err(Errno::ENOTDIR));
}

#[test]
fn path_walk_symlinks_dotdot_and_dirfds() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.vfs.mkdirat(c, AT_FDCWD, b"/a", 0o755).unwrap();
    w.vfs.mkdirat(c, AT_FDCWD, b"/a/b", 0o755).unwrap();
    w.put(&p, b"/a/b/f", b"data");
    w.vfs.symlinkat(c, b"b", AT_FDCWD, b"/a/rel").unwrap();
    w.vfs.symlinkat(c, b"/a/b/f", AT_FDCWD, b"/abs").unwrap();
    w.vfs.symlinkat(c, b"loop2", AT_FDCWD, b"/loop1").unwrap();
    w.vfs.symlinkat(c, b"loop1", AT_FDCWD, b"/loop2").unwrap();
    w.vfs
        .symlinkat(c, b"/nowhere", AT_FDCWD, b"/dangling")
        .unwrap();
    assert_eq!(w.get(&p, b"/a/rel/f").unwrap(), b"data");
    assert_eq!(w.get(&p, b"/abs").unwrap(), b"data");
    assert_eq!(w.get(&p, b"//a/./b/../b//f").unwrap(), b"data");
    assert_eq!(
        w.get(&p, b"/../../a/b/f").unwrap(),
        b"data",
        ".. at / stays at /"
    );
    assert_eq!(w.get(&p, b"/loop1"), Err(Errno::ELOOP));
    assert_eq!(w.get(&p, b"/dangling"), Err(Errno::ENOENT));
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/abs", O_RDONLY | O_NOFOLLOW, 0),
        Err(Errno::ELOOP)
    );
    let lfd = w
        .vfs
        .openat(c, AT_FDCWD, b"/abs", O_PATH | O_NOFOLLOW, 0)
        .unwrap();
    assert_eq!(w.vfs.fstat(c, lfd).unwrap().kind, FileKind::Symlink);
    assert_eq!(w.vfs.readlinkat(c, lfd, b"").unwrap(), b"/a/b/f");
    let mut b = [0u8; 1];
    assert_eq!(w.vfs.read(c, lfd, &mut b), Err(Errno::EBADF));
    // Stat follows or not.
    assert_eq!(
        w.vfs.fstatat(c, AT_FDCWD, b"/abs", 0).unwrap().kind,
        FileKind::Regular
    );
    let l = w
        .vfs
        .fstatat(c, AT_FDCWD, b"/abs", AT_SYMLINK_NOFOLLOW)
        .unwrap();
    assert_eq!((l.kind, l.size), (FileKind::Symlink, 6));
    // Trailing slash follows a link to a directory.
    assert_eq!(
        w.vfs
            .fstatat(c, AT_FDCWD, b"/a/rel/", AT_SYMLINK_NOFOLLOW)
            .unwrap()
            .kind,
        FileKind::Directory
    );
    // 40 links are fine, 41 are not.
    w.vfs.symlinkat(c, b"/a/b/f", AT_FDCWD, b"/l0").unwrap();
    for i in 1..=40 {
        let t = format!("/l{}", i - 1);
        w.vfs
            .symlinkat(c, t.as_bytes(), AT_FDCWD, format!("/l{i}").as_bytes())
            .unwrap();
    }
    assert_eq!(w.get(&p, b"/l39").unwrap(), b"data");
    assert_eq!(w.get(&p, b"/l40"), Err(Errno::ELOOP));
    // dirfd-relative, AT_EMPTY_PATH, cwd.
    let dfd = w
        .vfs
        .openat(c, AT_FDCWD, b"/a", O_RDONLY | O_DIRECTORY, 0)
        .unwrap();
    assert_eq!(w.vfs.fstatat(c, dfd, b"b/f", 0).unwrap().size, 4);
    assert_eq!(
        w.vfs.fstatat(c, dfd, b"", AT_EMPTY_PATH).unwrap().kind,
        FileKind::Directory
    );
    assert_eq!(w.vfs.fstatat(c, dfd, b"", 0), Err(Errno::ENOENT));
    let ffd = w.vfs.openat(c, AT_FDCWD, b"/abs", O_RDONLY, 0).unwrap();
    assert_eq!(w.vfs.fstatat(c, ffd, b"x", 0), Err(Errno::ENOTDIR));
    assert_eq!(w.vfs.fstatat(c, 77, b"x", 0), Err(Errno::EBADF));
    assert_eq!(
        w.vfs.fstatat(c, 77, b"/abs", 0).unwrap().size,
        4,
        "absolute paths ignore dirfd"
    );
    w.vfs.chdir(c, b"/a/rel").unwrap();
    assert_eq!(w.vfs.getcwd(c).unwrap(), b"/a/b");
    assert_eq!(w.get(&p, b"f").unwrap(), b"data");
    assert_eq!(w.get(&p, b"../b/./f").unwrap(), b"data");
    assert_eq!(w.vfs.chdir(c, b"f"), Err(Errno::ENOTDIR));
    w.vfs.fchdir(c, dfd).unwrap();
    assert_eq!(w.vfs.getcwd(c).unwrap(), b"/a");
    // getcwd follows renames of the directory.
    w.vfs.chdir(c, b"/a/b").unwrap();
    w.vfs
        .renameat2(c, AT_FDCWD, b"/a", AT_FDCWD, b"/z", 0)
        .unwrap();
    assert_eq!(w.vfs.getcwd(c).unwrap(), b"/z/b");
    // ... and a removal of it, however often it was asked before.
    w.vfs.mkdirat(c, AT_FDCWD, b"/z/b/gone", 0o755).unwrap();
    w.vfs.chdir(c, b"/z/b/gone").unwrap();
    assert_eq!(w.vfs.getcwd(c).unwrap(), b"/z/b/gone");
    assert_eq!(w.vfs.getcwd(c).unwrap(), b"/z/b/gone");
    w.vfs
        .unlinkat(c, AT_FDCWD, b"/z/b/gone", AT_REMOVEDIR)
        .unwrap();
    assert_eq!(w.vfs.getcwd(c), Err(Errno::ENOENT));
    w.vfs.chdir(c, b"/").unwrap();
    assert_eq!(w.vfs.getcwd(c).unwrap(), b"/");
}

#[test]
fn dotdot_crosses_mounts() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.vfs.chdir(c, b"/dev").unwrap();
    assert_eq!(w.vfs.getcwd(c).unwrap(), b"/dev");
    let root = w.vfs.fstatat(c, AT_FDCWD, b"/", 0).unwrap();
    let up = w.vfs.fstatat(c, AT_FDCWD, b"..", 0).unwrap();
    assert_eq!((up.dev, up.ino), (root.dev, root.ino));
    let devroot = w.vfs.fstatat(c, AT_FDCWD, b".", 0).unwrap();
    assert_ne!(devroot.dev, root.dev);
    assert_eq!(
        w.vfs
            .fstatat(c, AT_FDCWD, b"../proc/../dev/null", 0)
            .unwrap()
            .kind,
        FileKind::CharDevice
    );
    // The mount point can't be removed or renamed.
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/dev", AT_REMOVEDIR),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        w.vfs.renameat2(c, AT_FDCWD, b"/dev", AT_FDCWD, b"/dev2", 0),
        Err(Errno::EBUSY)
    );
    w.put(&p, b"/tmpf", b"");
    assert_eq!(
        w.vfs
            .renameat2(c, AT_FDCWD, b"/tmpf", AT_FDCWD, b"/dev/tmpf", 0),
        Err(Errno::EXDEV)
    );
    assert_eq!(
        w.vfs
            .linkat(c, AT_FDCWD, b"/tmpf", AT_FDCWD, b"/dev/tmpf", 0),
        Err(Errno::EXDEV)
    );
}

#[test]
fn kernel_side_open_and_positional_reads() {
    let w = world();
    let p = w.spawn(1, b"/t");
    w.vfs.mkdirat(p.c(), AT_FDCWD, b"/sbin", 0o755).unwrap();
    w.put(&p, b"/sbin/init", b"\x7fELF....payload");
    w.vfs
        .symlinkat(p.c(), b"sbin/init", AT_FDCWD, b"/init")
        .unwrap();
    let f = w.vfs.open_kernel(b"/init", O_RDONLY).unwrap();
    assert_eq!(f.path(), b"/sbin/init");
    let mut b = [0u8; 7];
    assert_eq!(w.vfs.pread_file(&f, &mut b, 8).unwrap(), 7);
    assert_eq!(&b, b"payload");
    assert_eq!(w.vfs.fstat_file(&f).unwrap().size, 15);
    assert_eq!(
        w.vfs.open_kernel(b"/nope", O_RDONLY | O_CREAT).err(),
        Some(Errno::ENOENT)
    );
    // The description can then be installed in a process's table.
    let fd = p.fds.insert(std::sync::Arc::new(f), true).unwrap();
    assert_eq!(w.vfs.fcntl(p.c(), fd, F_GETFD, 0).unwrap(), 1);
}

#[test]
fn whole_pages_of_blockfs_files_are_lent_from_the_cache() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let data: Vec<u8> = (0..2 * PAGE_SIZE + 10).map(|i| (i % 253) as u8).collect();
    w.put(&p, b"/f", &data);
    let fd = w.vfs.openat(c, AT_FDCWD, b"/f", O_RDONLY, 0).unwrap();
    let file = p.fds.get(fd).unwrap();
    let lent = |off: u64| {
        let mut got = None;
        let found = w
            .vfs
            .with_cached_page(&file, off, &mut |page| got = Some(page.to_vec()))
            .unwrap();
        assert_eq!(found, got.is_some());
        got
    };
    assert_eq!(lent(0).as_deref(), Some(&data[..PAGE_SIZE]));
    assert_eq!(
        lent(PAGE_SIZE as u64).as_deref(),
        Some(&data[PAGE_SIZE..2 * PAGE_SIZE])
    );
    // The tail page is partly past the end; an offset must be page-aligned.
    assert_eq!(lent(2 * PAGE_SIZE as u64), None);
    assert_eq!(lent(1), None);
    // Pipes and other files without a cache lend nothing.
    let (r, _w) = w.vfs.pipe2(c, 0).unwrap();
    let pipe = p.fds.get(r).unwrap();
    let lent_by_pipe = w
        .vfs
        .with_cached_page(&pipe, 0, &mut |_| panic!("a pipe has no page"));
    assert_eq!(lent_by_pipe, Ok(false));
    // Around a page already read, the pages in memory come without a read.
    let mut resident = Vec::new();
    let given = w
        .vfs
        .with_resident_pages(&file, 0, 4, &mut |i, page| {
            resident.push((i, page.to_vec()))
        })
        .unwrap();
    assert_eq!(given, 2, "two whole pages; the tail is partial");
    assert_eq!(resident[1], (1, data[PAGE_SIZE..2 * PAGE_SIZE].to_vec()));
    let none = w
        .vfs
        .with_resident_pages(&pipe, 0, 4, &mut |_, _| panic!("a pipe has no page"));
    assert_eq!(none, Ok(0));
}

#[test]
fn pages_lent_for_writing_need_a_read_write_file() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let data: Vec<u8> = (0..PAGE_SIZE + 10).map(|i| (i % 251) as u8).collect();
    w.put(&p, b"/f", &data);
    let lend = |flags| {
        let fd = w.vfs.openat(c, AT_FDCWD, b"/f", flags, 0).unwrap();
        let file = p.fds.get(fd).unwrap();
        let mut got = Vec::new();
        let res = w
            .vfs
            .lend_page(&file, PAGE_SIZE as u64, &mut |page| got = page.to_vec());
        res.map(|found| found.then_some(got))
    };
    assert_eq!(lend(O_RDONLY), Err(Errno::EACCES));
    assert_eq!(lend(O_WRONLY), Err(Errno::EACCES));
    // The partial tail page: the file's last bytes, then zeros.
    let tail = lend(O_RDWR).unwrap().unwrap();
    assert_eq!(&tail[..10], &data[PAGE_SIZE..]);
    assert!(tail[10..].iter().all(|&b| b == 0));
}

#[test]
fn unnamed_files_leave_no_name_behind() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.vfs.mkdirat(c, AT_FDCWD, b"/tmp", 0o777).unwrap();
    let before = w.ls(&p, b"/tmp");
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/tmp", O_TMPFILE | O_RDWR, 0o600)
        .unwrap();
    assert_eq!(w.vfs.pwrite(c, fd, b"unnamed", 0), Ok(7));
    let mut back = [0u8; 7];
    assert_eq!(w.vfs.pread(c, fd, &mut back, 0), Ok(7));
    assert_eq!(&back, b"unnamed");
    let mfd = w
        .vfs
        .memfd_create(c, b"conf", veridian_syscall::mman::MFD_CLOEXEC)
        .unwrap();
    assert_eq!(w.vfs.pwrite(c, mfd, b"memfd", 0), Ok(5));
    assert_eq!(w.ls(&p, b"/tmp"), before, "no name is left in /tmp");
    // Reading only, a file for a folder, unknown flags, a long name.
    let ro = w.vfs.openat(c, AT_FDCWD, b"/tmp", O_TMPFILE | O_RDONLY, 0);
    assert_eq!(ro, Err(Errno::EINVAL));
    w.put(&p, b"/f", b"x");
    let in_file = w.vfs.openat(c, AT_FDCWD, b"/f", O_TMPFILE | O_RDWR, 0);
    assert_eq!(in_file, Err(Errno::ENOTDIR));
    assert_eq!(w.vfs.memfd_create(c, b"x", 0x100), Err(Errno::EINVAL));
    assert_eq!(w.vfs.memfd_create(c, &[b'n'; 250], 0), Err(Errno::EINVAL));
}
