//! mkdir/unlink/rmdir/rename/link/symlink/readlink, metadata changes,
//! open-but-deleted files, read-only mounts and persistence.
mod common;
use common::*;

#[test]
fn mkdir_unlink_rmdir_errors() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.vfs.umask(c, 0o027);
    w.vfs.mkdirat(c, AT_FDCWD, b"/d/", 0o777).unwrap();
    assert_eq!(
        w.vfs.fstatat(c, AT_FDCWD, b"/d", 0).unwrap().mode(),
        S_IFDIR | 0o750
    );
    assert_eq!(w.vfs.umask(c, 0o022), 0o027);
    assert_eq!(w.vfs.mkdirat(c, AT_FDCWD, b"/d", 0o755), Err(Errno::EEXIST));
    assert_eq!(w.vfs.mkdirat(c, AT_FDCWD, b"/", 0o755), Err(Errno::EEXIST));
    assert_eq!(
        w.vfs.mkdirat(c, AT_FDCWD, b"/d/..", 0o755),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        w.vfs.mkdirat(c, AT_FDCWD, b"/x/y", 0o755),
        Err(Errno::ENOENT)
    );
    w.put(&p, b"/d/f", b"1");
    assert_eq!(
        w.vfs.mkdirat(c, AT_FDCWD, b"/d/f/g", 0o755),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(w.vfs.unlinkat(c, AT_FDCWD, b"/d", 0), Err(Errno::EISDIR));
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/d", AT_REMOVEDIR),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/d/f", AT_REMOVEDIR),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/d/f/", 0),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/d/.", AT_REMOVEDIR),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/d/..", AT_REMOVEDIR),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/", AT_REMOVEDIR),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/d/nope", 0),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/d/f", 0x8000),
        Err(Errno::EINVAL)
    );
    w.vfs.unlinkat(c, AT_FDCWD, b"/d/f", 0).unwrap();
    assert_eq!(w.vfs.fstatat(c, AT_FDCWD, b"/d/f", 0), Err(Errno::ENOENT));
    let dfd = w
        .vfs
        .openat(c, AT_FDCWD, b"/d", O_RDONLY | O_DIRECTORY, 0)
        .unwrap();
    w.vfs.mkdirat(c, dfd, b"sub", 0o700).unwrap();
    w.vfs.unlinkat(c, dfd, b"sub/", AT_REMOVEDIR).unwrap();
    w.vfs.unlinkat(c, AT_FDCWD, b"/d", AT_REMOVEDIR).unwrap();
    assert_eq!(
        w.ls(&p, b"/")
            .iter()
            .map(|e| e.0.clone())
            .collect::<Vec<_>>(),
        [&b"."[..], b"..", b"dev", b"proc"]
    );
}

#[test]
fn rename_semantics() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.put(&p, b"/a", b"A");
    w.put(&p, b"/b", b"B");
    w.vfs.mkdirat(c, AT_FDCWD, b"/d", 0o755).unwrap();
    w.vfs.mkdirat(c, AT_FDCWD, b"/e", 0o755).unwrap();
    w.put(&p, b"/e/x", b"");
    assert_eq!(
        w.vfs
            .renameat2(c, AT_FDCWD, b"/a", AT_FDCWD, b"/b", RENAME_NOREPLACE),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        w.vfs
            .renameat2(c, AT_FDCWD, b"/a", AT_FDCWD, b"/b", RENAME_EXCHANGE),
        Err(Errno::EINVAL)
    );
    w.vfs
        .renameat2(c, AT_FDCWD, b"/a", AT_FDCWD, b"/b", 0)
        .unwrap();
    assert_eq!(w.get(&p, b"/b").unwrap(), b"A");
    assert_eq!(w.get(&p, b"/a"), Err(Errno::ENOENT));
    assert_eq!(
        w.vfs.renameat2(c, AT_FDCWD, b"/b", AT_FDCWD, b"/d", 0),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        w.vfs.renameat2(c, AT_FDCWD, b"/d", AT_FDCWD, b"/b", 0),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        w.vfs.renameat2(c, AT_FDCWD, b"/d", AT_FDCWD, b"/e", 0),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        w.vfs.renameat2(c, AT_FDCWD, b"/d", AT_FDCWD, b"/d/in", 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        w.vfs.renameat2(c, AT_FDCWD, b"/b/", AT_FDCWD, b"/c", 0),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        w.vfs.renameat2(c, AT_FDCWD, b"/nope", AT_FDCWD, b"/c", 0),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        w.vfs.renameat2(c, AT_FDCWD, b"/d/..", AT_FDCWD, b"/c", 0),
        Err(Errno::EBUSY)
    );
    w.vfs
        .renameat2(c, AT_FDCWD, b"/d", AT_FDCWD, b"/e/x2/", 0)
        .unwrap();
    w.vfs
        .renameat2(c, AT_FDCWD, b"/b", AT_FDCWD, b"/e/x2/b", 0)
        .unwrap();
    assert_eq!(w.get(&p, b"/e/x2/b").unwrap(), b"A");
    assert_eq!(
        w.vfs.fstatat(c, AT_FDCWD, b"/e/x2/..", 0).unwrap().ino,
        w.vfs.fstatat(c, AT_FDCWD, b"/e", 0).unwrap().ino
    );
}

#[test]
fn links_symlinks_readlink() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.put(&p, b"/f", b"data");
    w.vfs
        .linkat(c, AT_FDCWD, b"/f", AT_FDCWD, b"/g", 0)
        .unwrap();
    assert_eq!(w.vfs.fstatat(c, AT_FDCWD, b"/f", 0).unwrap().nlink, 2);
    assert_eq!(
        w.vfs.linkat(c, AT_FDCWD, b"/f", AT_FDCWD, b"/g", 0),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        w.vfs.linkat(c, AT_FDCWD, b"/", AT_FDCWD, b"/r", 0),
        Err(Errno::EPERM)
    );
    assert_eq!(
        w.vfs.linkat(c, AT_FDCWD, b"/f", AT_FDCWD, b"/g", 0x8),
        Err(Errno::EINVAL)
    );
    w.vfs.symlinkat(c, b"f", AT_FDCWD, b"/s").unwrap();
    // linkat does not follow a symlink unless asked.
    w.vfs
        .linkat(c, AT_FDCWD, b"/s", AT_FDCWD, b"/s2", 0)
        .unwrap();
    assert_eq!(
        w.vfs
            .fstatat(c, AT_FDCWD, b"/s2", AT_SYMLINK_NOFOLLOW)
            .unwrap()
            .kind,
        FileKind::Symlink
    );
    w.vfs
        .linkat(c, AT_FDCWD, b"/s", AT_FDCWD, b"/f3", AT_SYMLINK_FOLLOW)
        .unwrap();
    assert_eq!(
        w.vfs
            .fstatat(c, AT_FDCWD, b"/f3", AT_SYMLINK_NOFOLLOW)
            .unwrap()
            .nlink,
        3
    );
    let fd = w.vfs.openat(c, AT_FDCWD, b"/f", O_RDONLY, 0).unwrap();
    w.vfs
        .linkat(c, fd, b"", AT_FDCWD, b"/f4", AT_EMPTY_PATH)
        .unwrap();
    assert_eq!(w.get(&p, b"/f4").unwrap(), b"data");
    assert_eq!(w.vfs.readlinkat(c, AT_FDCWD, b"/s").unwrap(), b"f");
    assert_eq!(w.vfs.readlinkat(c, AT_FDCWD, b"/f"), Err(Errno::EINVAL));
    assert_eq!(w.vfs.readlinkat(c, AT_FDCWD, b"/zz"), Err(Errno::ENOENT));
    assert_eq!(w.vfs.symlinkat(c, b"", AT_FDCWD, b"/e"), Err(Errno::ENOENT));
    assert_eq!(
        w.vfs.symlinkat(c, b"x", AT_FDCWD, b"/s"),
        Err(Errno::EEXIST)
    );
    // Creating through O_CREAT follows an existing symlink to its target.
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/s", O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        .unwrap();
    w.vfs.write(c, fd, b"new").unwrap();
    assert_eq!(w.get(&p, b"/g").unwrap(), b"new");
    assert_eq!(
        w.vfs
            .openat(c, AT_FDCWD, b"/s", O_CREAT | O_EXCL | O_WRONLY, 0o644),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        w.vfs
            .openat(c, AT_FDCWD, b"/s", O_CREAT | O_NOFOLLOW | O_WRONLY, 0o644),
        Err(Errno::ELOOP)
    );
    // A dangling link's target is created, through a chain of links.
    w.vfs.mkdirat(c, AT_FDCWD, b"/sub", 0o755).unwrap();
    w.vfs
        .symlinkat(c, b"sub/made", AT_FDCWD, b"/dang1")
        .unwrap();
    w.vfs.symlinkat(c, b"dang1", AT_FDCWD, b"/dang0").unwrap();
    assert_eq!(
        w.vfs
            .openat(c, AT_FDCWD, b"/dang0", O_CREAT | O_EXCL | O_WRONLY, 0o644),
        Err(Errno::EEXIST)
    );
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/dang0", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    w.vfs.write(c, fd, b"via link").unwrap();
    assert_eq!(w.get(&p, b"/sub/made").unwrap(), b"via link");
    w.vfs
        .symlinkat(c, b"/nodir/x", AT_FDCWD, b"/dang2")
        .unwrap();
    assert_eq!(
        w.vfs
            .openat(c, AT_FDCWD, b"/dang2", O_CREAT | O_WRONLY, 0o644),
        Err(Errno::ENOENT)
    );
    w.vfs.symlinkat(c, b"self", AT_FDCWD, b"/self").unwrap();
    assert_eq!(
        w.vfs
            .openat(c, AT_FDCWD, b"/self", O_CREAT | O_WRONLY, 0o644),
        Err(Errno::ELOOP)
    );
}

#[test]
fn metadata_changes() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.put(&p, b"/f", b"0123456789");
    w.vfs.fchmodat(c, AT_FDCWD, b"/f", 0o4711, 0).unwrap();
    assert_eq!(w.vfs.fstatat(c, AT_FDCWD, b"/f", 0).unwrap().perm, 0o4711);
    w.vfs.symlinkat(c, b"f", AT_FDCWD, b"/s").unwrap();
    assert_eq!(
        w.vfs
            .fchmodat(c, AT_FDCWD, b"/s", 0o600, AT_SYMLINK_NOFOLLOW),
        Err(Errno::EOPNOTSUPP)
    );
    let fd = w.vfs.openat(c, AT_FDCWD, b"/f", O_RDWR, 0).unwrap();
    w.vfs.fchmod(c, fd, 0o600).unwrap();
    assert_eq!(w.vfs.fstat(c, fd).unwrap().perm, 0o600);
    w.vfs.fchownat(c, AT_FDCWD, b"/f", 12, u32::MAX, 0).unwrap();
    let st = w.vfs.fstat(c, fd).unwrap();
    assert_eq!((st.uid, st.gid), (12, 0));
    // access
    w.vfs.faccessat(c, AT_FDCWD, b"/f", F_OK, 0).unwrap();
    w.vfs.faccessat(c, AT_FDCWD, b"/f", R_OK | W_OK, 0).unwrap();
    assert_eq!(
        w.vfs.faccessat(c, AT_FDCWD, b"/f", X_OK, 0),
        Err(Errno::EACCES)
    );
    w.vfs.faccessat(c, AT_FDCWD, b"/", X_OK, 0).unwrap();
    assert_eq!(
        w.vfs.faccessat(c, AT_FDCWD, b"/nope", F_OK, 0),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        w.vfs.faccessat(c, AT_FDCWD, b"/f", 8, 0),
        Err(Errno::EINVAL)
    );
    // utimensat
    w.vfs
        .utimensat(
            c,
            AT_FDCWD,
            Some(b"/f"),
            Some([(1000, 5), (2000, UTIME_OMIT)]),
            0,
        )
        .unwrap();
    let st = w.vfs.fstat(c, fd).unwrap();
    assert_eq!(st.atime.sec, 1000);
    w.vfs
        .utimensat(c, fd, None, Some([(0, UTIME_OMIT), (0, UTIME_NOW)]), 0)
        .unwrap();
    let st2 = w.vfs.fstat(c, fd).unwrap();
    assert_eq!((st2.atime.sec, st2.mtime.sec), (1000, clock().sec));
    assert_eq!(
        w.vfs
            .utimensat(c, fd, None, Some([(0, 1_000_000_000), (0, 0)]), 0),
        Err(Errno::EINVAL)
    );
    // truncate / ftruncate
    w.vfs.ftruncate(c, fd, 3).unwrap();
    assert_eq!(w.get(&p, b"/f").unwrap(), b"012");
    w.vfs.truncate(c, b"/f", 6).unwrap();
    assert_eq!(w.get(&p, b"/f").unwrap(), b"012\0\0\0");
    assert_eq!(w.vfs.ftruncate(c, fd, -1), Err(Errno::EINVAL));
    assert_eq!(w.vfs.truncate(c, b"/", 0), Err(Errno::EISDIR));
    let ro = w.vfs.openat(c, AT_FDCWD, b"/f", O_RDONLY, 0).unwrap();
    assert_eq!(w.vfs.ftruncate(c, ro, 0), Err(Errno::EINVAL));
    // statfs
    let s = w.vfs.statfs(c, b"/f").unwrap();
    assert_eq!(
        (s.fs_type, s.block_size, s.blocks),
        (blockfs::MAGIC as u64, 4096, 2048)
    );
    assert!(s.blocks_free > 0 && s.blocks_free < 2048);
    assert_eq!(w.vfs.fstatfs(c, fd).unwrap(), s);
    assert_eq!(w.vfs.statfs(c, b"/proc").unwrap().fs_type, 0x9fa0);
    w.vfs.fsync(c, fd).unwrap();
}

#[test]
fn deleted_open_files_stay_readable_until_closed() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let free0 = w.vfs.statfs(c, b"/").unwrap().files_free;
    w.put(&p, b"/tmpfile", &vec![9u8; 10_000]);
    let fd = w.vfs.openat(c, AT_FDCWD, b"/tmpfile", O_RDWR, 0).unwrap();
    w.vfs.unlinkat(c, AT_FDCWD, b"/tmpfile", 0).unwrap();
    assert_eq!(
        w.vfs.fstatat(c, AT_FDCWD, b"/tmpfile", 0),
        Err(Errno::ENOENT)
    );
    assert!(
        w.ls(&p, b"/").iter().all(|e| e.0 != ORPHAN_DIR),
        "the orphan directory is hidden"
    );
    assert_eq!(
        w.vfs.fstatat(c, AT_FDCWD, ORPHAN_DIR, 0),
        Err(Errno::ENOENT)
    );
    // Other files are created meanwhile and must not reuse its inode.
    w.put(&p, b"/other", b"other");
    let mut buf = vec![0u8; 20_000];
    assert_eq!(w.vfs.pread(c, fd, &mut buf, 0).unwrap(), 10_000);
    assert!(buf[..10_000].iter().all(|&b| b == 9));
    w.vfs.write(c, fd, b"more").unwrap();
    // Replacing by rename behaves the same.
    w.put(&p, b"/victim", b"old contents");
    let v = w.vfs.openat(c, AT_FDCWD, b"/victim", O_RDONLY, 0).unwrap();
    w.vfs
        .renameat2(c, AT_FDCWD, b"/other", AT_FDCWD, b"/victim", 0)
        .unwrap();
    assert_eq!(w.get(&p, b"/victim").unwrap(), b"other");
    let mut b = [0u8; 3];
    assert_eq!(w.vfs.read(c, v, &mut b).unwrap(), 3);
    assert_eq!(&b, b"old");
    w.vfs.close(c, v).unwrap();
    w.vfs.close(c, fd).unwrap();
    w.vfs.unlinkat(c, AT_FDCWD, b"/victim", 0).unwrap();
    // Everything is freed after the last close (the orphan dir itself stays).
    let free1 = w.vfs.statfs(c, b"/").unwrap().files_free;
    assert_eq!(free0 - free1, 1);
    w.root
        .with_fs(|fs| assert!(fs.fsck(false).unwrap().is_clean()));
}

#[test]
fn read_only_root_and_persistence() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.vfs.mkdirat(c, AT_FDCWD, b"/etc", 0o755).unwrap();
    w.put(&p, b"/etc/motd", b"persisted\n");
    w.vfs.sync().unwrap();
    let w = w.remount_ro();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    assert_eq!(w.get(&p, b"/etc/motd").unwrap(), b"persisted\n");
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/etc/motd", O_WRONLY, 0),
        Err(Errno::EROFS)
    );
    assert_eq!(
        w.vfs
            .openat(c, AT_FDCWD, b"/etc/new", O_CREAT | O_WRONLY, 0o644),
        Err(Errno::EROFS)
    );
    assert_eq!(w.vfs.mkdirat(c, AT_FDCWD, b"/x", 0o755), Err(Errno::EROFS));
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/etc/motd", 0),
        Err(Errno::EROFS)
    );
    assert_eq!(
        w.vfs.faccessat(c, AT_FDCWD, b"/etc/motd", W_OK, 0),
        Err(Errno::EROFS)
    );
    assert_eq!(w.vfs.statfs(c, b"/").unwrap().flags, ST_RDONLY);
}

#[test]
fn a_full_disk_gives_short_writes_then_enospc() {
    let small = blockfs::FileSystem::format(
        blockfs::MemDevice::new(64),
        &blockfs::FormatOptions::default(),
    )
    .unwrap();
    let w = world_on(small);
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let free = w.vfs.statfs(c, b"/").unwrap().blocks_free as usize;
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/fill", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    w.vfs.write(c, fd, b"ab").unwrap();
    let big = vec![1u8; 1 << 20];
    let n = w.vfs.write(c, fd, &big).unwrap();
    assert!(n > 0 && n < big.len(), "short write: {n}");
    // Whatever fits (data blocks plus the indirect block) was written.
    assert!(
        (2 + n).div_ceil(4096) >= free - 2,
        "{n} bytes of {free} free blocks"
    );
    assert_eq!(w.vfs.fstat(c, fd).unwrap().size, 2 + n as u64);
    assert_eq!(w.vfs.write(c, fd, &big), Err(Errno::ENOSPC));
    assert_eq!(w.vfs.write(c, fd, b"x"), Err(Errno::ENOSPC));
    assert_eq!(w.vfs.statfs(c, b"/").unwrap().blocks_free, 0);
    // Freeing it gives the space back.
    w.vfs.close(c, fd).unwrap();
    w.vfs.unlinkat(c, AT_FDCWD, b"/fill", 0).unwrap();
    assert_eq!(w.vfs.statfs(c, b"/").unwrap().blocks_free as usize, free);
    w.root
        .with_fs(|fs| assert!(fs.fsck(false).unwrap().is_clean()));
}

#[test]
fn removed_open_directories_behave_like_linux() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.vfs.mkdirat(c, AT_FDCWD, b"/gone", 0o755).unwrap();
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/gone", O_RDONLY | O_DIRECTORY, 0)
        .unwrap();
    w.vfs.unlinkat(c, AT_FDCWD, b"/gone", AT_REMOVEDIR).unwrap();
    assert_eq!(w.vfs.fstatat(c, AT_FDCWD, b"/gone", 0), Err(Errno::ENOENT));
    let st = w.vfs.fstat(c, fd).unwrap();
    assert_eq!((st.kind, st.nlink), (FileKind::Directory, 0));
    let mut buf = [0u8; 256];
    assert_eq!(
        w.vfs.getdents64(c, fd, &mut buf).unwrap(),
        0,
        "lists nothing"
    );
    assert_eq!(w.vfs.read(c, fd, &mut buf), Err(Errno::EISDIR));
    assert_eq!(
        w.vfs.openat(c, fd, b"new", O_CREAT | O_WRONLY, 0o644),
        Err(Errno::ENOENT)
    );
    assert_eq!(w.vfs.mkdirat(c, fd, b"sub", 0o755), Err(Errno::ENOENT));
    // Its inode is not reused while open.
    w.vfs.mkdirat(c, AT_FDCWD, b"/fresh", 0o755).unwrap();
    assert_ne!(
        w.vfs.fstatat(c, AT_FDCWD, b"/fresh", 0).unwrap().ino,
        st.ino
    );
    // Non-empty open directories still refuse.
    w.vfs.mkdirat(c, AT_FDCWD, b"/full", 0o755).unwrap();
    w.put(&p, b"/full/x", b"");
    let fd2 = w.vfs.openat(c, AT_FDCWD, b"/full", O_RDONLY, 0).unwrap();
    assert_eq!(
        w.vfs.unlinkat(c, AT_FDCWD, b"/full", AT_REMOVEDIR),
        Err(Errno::ENOTEMPTY)
    );
    w.vfs.close(c, fd2).unwrap();
    let free = w.vfs.statfs(c, b"/").unwrap().files_free;
    w.vfs.close(c, fd).unwrap();
    assert_eq!(
        w.vfs.statfs(c, b"/").unwrap().files_free,
        free + 1,
        "freed at the last close"
    );
    w.root
        .with_fs(|fs| assert!(fs.fsck(false).unwrap().is_clean()));
}

#[test]
fn a_directory_replaced_by_rename_stays_valid_while_open() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.vfs.mkdirat(c, AT_FDCWD, b"/old", 0o755).unwrap();
    w.vfs.mkdirat(c, AT_FDCWD, b"/new", 0o700).unwrap();
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/old", O_RDONLY | O_DIRECTORY, 0)
        .unwrap();
    let ino = w.vfs.fstat(c, fd).unwrap().ino;
    w.vfs
        .renameat2(c, AT_FDCWD, b"/new", AT_FDCWD, b"/old", 0)
        .unwrap();
    assert_eq!(w.vfs.fstatat(c, AT_FDCWD, b"/old", 0).unwrap().perm, 0o700);
    let st = w.vfs.fstat(c, fd).unwrap();
    assert_eq!((st.ino, st.kind, st.nlink), (ino, FileKind::Directory, 0));
    let mut buf = [0u8; 128];
    assert_eq!(w.vfs.getdents64(c, fd, &mut buf).unwrap(), 0);
    w.vfs.close(c, fd).unwrap();
    w.root
        .with_fs(|fs| assert!(fs.fsck(false).unwrap().is_clean()));
}

#[test]
fn socket_nodes_bind_connect_and_survive_unlink() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    w.vfs.umask(c, 0o022);
    let s = w.vfs.bind_socket(c, b"/s", 0o777).unwrap();
    let st = w.vfs.fstatat(c, AT_FDCWD, b"/s", 0).unwrap();
    assert_eq!(st.mode(), S_IFSOCK | 0o755);
    assert_eq!(w.vfs.socket_node(c, b"/s"), Ok(s.node()));
    assert!(w.ls(&p, b"/").contains(&(b"s".to_vec(), DT_SOCK)));
    assert_eq!(
        w.vfs.bind_socket(c, b"/s", 0o777).err(),
        Some(Errno::EADDRINUSE)
    );
    assert_eq!(
        w.vfs.bind_socket(c, b"/nodir/s", 0o777).err(),
        Some(Errno::ENOENT)
    );
    w.put(&p, b"/f", b"1");
    assert_eq!(
        w.vfs.bind_socket(c, b"/f/s", 0o777).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(w.vfs.socket_node(c, b"/f"), Err(Errno::ECONNREFUSED));
    assert_eq!(w.vfs.socket_node(c, b"/none"), Err(Errno::ENOENT));
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/s", O_RDWR, 0),
        Err(Errno::ENXIO)
    );
    assert!(w.vfs.openat(c, AT_FDCWD, b"/s", O_PATH, 0).is_ok());
    // Unlinked while bound: the name is free, the old node stays unique.
    w.vfs.unlinkat(c, AT_FDCWD, b"/s", 0).unwrap();
    assert_eq!(w.vfs.socket_node(c, b"/s"), Err(Errno::ENOENT));
    let s2 = w.vfs.bind_socket(c, b"/s", 0o777).unwrap();
    assert_ne!(s2.node(), s.node());
    drop(s);
    drop(s2);
}
