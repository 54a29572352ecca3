//! Scenario tests of the public API on an in-memory device.

use blockfs::{
    Error, FileSystem, FileType, FormatOptions, MemDevice, MountOptions, SetTimes, ROOT_INO,
};

fn fresh(blocks: usize) -> FileSystem<MemDevice> {
    FileSystem::format(MemDevice::new(blocks), &FormatOptions::default()).unwrap()
}

fn remount(fs: FileSystem<MemDevice>) -> FileSystem<MemDevice> {
    FileSystem::mount(fs.unmount().unwrap(), MountOptions::default()).unwrap()
}

fn assert_clean(fs: &mut FileSystem<MemDevice>) {
    let r = fs.fsck(false).unwrap();
    assert!(r.is_clean(), "fsck found: {:?}", r.problems);
}

fn read_all(fs: &mut FileSystem<MemDevice>, ino: u32) -> Vec<u8> {
    let size = fs.metadata(ino).unwrap().size as usize;
    let mut buf = vec![0u8; size];
    assert_eq!(fs.read_at(ino, 0, &mut buf).unwrap(), size);
    buf
}

#[test]
fn fresh_image_is_clean_and_has_root() {
    let mut fs = remount(fresh(1024));
    assert_clean(&mut fs);
    let root = fs.metadata(ROOT_INO).unwrap();
    assert_eq!(root.file_type, FileType::Directory);
    assert_eq!(root.nlink, 2);
    let names: Vec<_> = fs
        .read_dir(ROOT_INO)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, vec![b".".to_vec(), b"..".to_vec()]);
    let st = fs.statfs();
    assert_eq!(st.total_blocks, 1024);
    assert_eq!(st.free_blocks, 1024 - fs.geometry().first_data_block - 1);
}

#[test]
fn files_dirs_and_links_survive_remount() {
    let mut fs = fresh(4096);
    let d = fs.mkdir(ROOT_INO, b"dir", 0o750).unwrap();
    let f = fs.create(d, b"file", 0o644).unwrap();
    fs.write_at(f, 0, b"hello world").unwrap();
    fs.link(f, ROOT_INO, b"hard").unwrap();
    fs.symlink(ROOT_INO, b"sym", b"dir/file").unwrap();
    fs.set_times(
        f,
        SetTimes {
            atime: Some(5),
            mtime: Some(1234),
        },
    )
    .unwrap();
    let mut fs = remount(fs);
    assert_clean(&mut fs);
    let f2 = fs.resolve(b"/sym", true).unwrap();
    assert_eq!(f2, f);
    assert_eq!(read_all(&mut fs, f), b"hello world");
    let m = fs.metadata(f).unwrap();
    assert_eq!((m.nlink, m.perm, m.mtime), (2, 0o644, 1234));
    assert_eq!(fs.metadata(d).unwrap().perm, 0o750);
    let s = fs.resolve(b"sym", false).unwrap();
    assert_eq!(fs.metadata(s).unwrap().file_type, FileType::Symlink);
    assert_eq!(fs.readlink(s).unwrap(), b"dir/file");
    assert_eq!(fs.metadata(ROOT_INO).unwrap().nlink, 3);
    fs.unlink(ROOT_INO, b"hard").unwrap();
    assert_eq!(fs.metadata(f).unwrap().nlink, 1);
    assert_eq!(fs.rmdir(ROOT_INO, b"dir"), Err(Error::NotEmpty));
    fs.unlink(d, b"file").unwrap();
    fs.rmdir(ROOT_INO, b"dir").unwrap();
    assert_eq!(fs.metadata(ROOT_INO).unwrap().nlink, 2);
    assert_eq!(fs.resolve(b"/sym", true), Err(Error::NotFound));
    assert_clean(&mut fs);
}

#[test]
fn large_file_through_double_indirect_and_truncate() {
    let mut fs = fresh(8192);
    let f = fs.create(ROOT_INO, b"big", 0o644).unwrap();
    // 1100 blocks: direct + indirect + into double indirect.
    let data: Vec<u8> = (0..1100 * 4096u32)
        .map(|i| (i * 7 + i / 4096) as u8)
        .collect();
    fs.write_at(f, 0, &data).unwrap();
    let m = fs.metadata(f).unwrap();
    assert_eq!(m.blocks, 1100 + 1 + 1 + 1);
    let mut fs = remount(fs);
    assert_clean(&mut fs);
    assert_eq!(read_all(&mut fs, f), data);
    let free = fs.statfs().free_blocks;
    fs.truncate(f, 5000).unwrap();
    assert_eq!(fs.metadata(f).unwrap().blocks, 2);
    assert_eq!(fs.statfs().free_blocks, free + 1101);
    fs.truncate(f, 9000).unwrap();
    let back = read_all(&mut fs, f);
    assert_eq!(&back[..5000], &data[..5000]);
    assert!(back[5000..].iter().all(|&b| b == 0));
    let mut fs = remount(fs);
    assert_clean(&mut fs);
}

#[test]
fn writes_past_end_fill_zeros_and_partial_writes_merge() {
    let mut fs = fresh(2048);
    let f = fs.create(ROOT_INO, b"f", 0o600).unwrap();
    fs.write_at(f, 10_000, b"xyz").unwrap();
    fs.write_at(f, 4094, b"abcd").unwrap();
    let d = read_all(&mut fs, f);
    assert_eq!(d.len(), 10_003);
    assert_eq!(&d[4094..4098], b"abcd");
    assert_eq!(&d[10_000..], b"xyz");
    assert_eq!(d.iter().filter(|&&b| b != 0).count(), 7);
    assert_eq!(fs.metadata(f).unwrap().blocks, 3);
    assert_clean(&mut fs);
}

#[test]
fn rename_semantics() {
    let mut fs = fresh(2048);
    let a = fs.mkdir(ROOT_INO, b"a", 0o755).unwrap();
    let b = fs.mkdir(ROOT_INO, b"b", 0o755).unwrap();
    let x = fs.create(a, b"x", 0o644).unwrap();
    let y = fs.create(b, b"y", 0o644).unwrap();
    // Replace a file.
    fs.rename(a, b"x", b, b"y").unwrap();
    assert_eq!(fs.lookup(b, b"y").unwrap(), x);
    assert_eq!(fs.metadata(y), Err(Error::NotFound));
    // Directory into its own subtree.
    let sub = fs.mkdir(a, b"sub", 0o755).unwrap();
    assert_eq!(fs.rename(ROOT_INO, b"a", sub, b"a2"), Err(Error::Invalid));
    // Move a directory: link counts and "..".
    fs.rename(a, b"sub", b, b"sub").unwrap();
    assert_eq!(fs.lookup(sub, b"..").unwrap(), b);
    assert_eq!(fs.metadata(a).unwrap().nlink, 2);
    assert_eq!(fs.metadata(b).unwrap().nlink, 3);
    // File over directory and directory over file.
    assert_eq!(fs.rename(b, b"y", b, b"sub"), Err(Error::IsDir));
    assert_eq!(fs.rename(b, b"sub", b, b"y"), Err(Error::NotDir));
    // Directory over an empty directory.
    fs.rename(b, b"sub", ROOT_INO, b"a").unwrap();
    assert_eq!(fs.lookup(ROOT_INO, b"a").unwrap(), sub);
    assert_eq!(fs.lookup(sub, b"..").unwrap(), ROOT_INO);
    assert_eq!(fs.metadata(ROOT_INO).unwrap().nlink, 4);
    // Same inode: nothing happens.
    fs.link(x, b, b"x2").unwrap();
    fs.rename(b, b"x2", b, b"y").unwrap();
    assert_eq!(fs.metadata(x).unwrap().nlink, 2);
    let mut fs = remount(fs);
    assert_clean(&mut fs);
}

#[test]
fn name_errors() {
    let mut fs = fresh(1024);
    let long = vec![b'a'; 256];
    assert_eq!(fs.create(ROOT_INO, &long, 0o644), Err(Error::NameTooLong));
    assert!(fs.create(ROOT_INO, &long[..255], 0o644).is_ok());
    assert_eq!(fs.create(ROOT_INO, b"a/b", 0o644), Err(Error::Invalid));
    assert_eq!(fs.create(ROOT_INO, b"", 0o644), Err(Error::Invalid));
    let f = fs.create(ROOT_INO, b"f", 0o644).unwrap();
    assert_eq!(fs.create(ROOT_INO, b"f", 0o644), Err(Error::Exists));
    assert_eq!(fs.mkdir(f, b"x", 0o755), Err(Error::NotDir));
    assert_eq!(fs.resolve(b"/f/x", true), Err(Error::NotDir));
    assert_eq!(fs.unlink(ROOT_INO, b"nope"), Err(Error::NotFound));
    assert_clean(&mut fs);
}

#[test]
fn symlink_loops_are_bounded() {
    let mut fs = fresh(1024);
    fs.symlink(ROOT_INO, b"a", b"b").unwrap();
    fs.symlink(ROOT_INO, b"b", b"/a").unwrap();
    assert_eq!(fs.resolve(b"/a", true), Err(Error::Loop));
    assert!(fs.resolve(b"/a", false).is_ok());
}

#[test]
fn socket_nodes_have_a_name_and_no_data() {
    let mut fs = fresh(1024);
    let s = fs.mksock(ROOT_INO, b"sock", 0o755).unwrap();
    assert_eq!(fs.mksock(ROOT_INO, b"sock", 0o755), Err(Error::Exists));
    let mut fs = remount(fs);
    let md = fs.metadata(s).unwrap();
    assert_eq!(
        (md.file_type, md.perm, md.size),
        (FileType::Socket, 0o755, 0)
    );
    let e = fs.read_dir(ROOT_INO).unwrap().pop().unwrap();
    assert_eq!(
        (e.name.as_slice(), e.file_type),
        (&b"sock"[..], Some(FileType::Socket))
    );
    assert_eq!(fs.write_at(s, 0, b"x"), Err(Error::Invalid));
    assert_clean(&mut fs);
    fs.unlink(ROOT_INO, b"sock").unwrap();
    assert_clean(&mut fs);
}

#[test]
fn full_image_reports_no_space_and_stays_clean() {
    let mut fs = fresh(300);
    let f = fs.create(ROOT_INO, b"fill", 0o644).unwrap();
    let chunk = vec![0xAB; 64 * 1024];
    let mut off = 0u64;
    let err = loop {
        match fs.write_at(f, off, &chunk) {
            Ok(n) => off += n as u64,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Error::NoSpace);
    assert_eq!(fs.metadata(f).unwrap().size, off);
    assert_clean(&mut fs);
    // Fill the rest with small files until even that fails.
    let mut i = 0;
    loop {
        let name = format!("s{i}");
        match fs
            .create(ROOT_INO, name.as_bytes(), 0o644)
            .and_then(|ino| fs.write_at(ino, 0, &[1; 100]))
        {
            Ok(_) => i += 1,
            Err(e) => {
                assert!(
                    matches!(e, Error::NoSpace | Error::NoInodes | Error::DirTooLarge),
                    "{e:?}"
                );
                break;
            }
        }
    }
    let mut fs = remount(fs);
    assert_clean(&mut fs);
    fs.unlink(ROOT_INO, b"fill").unwrap();
    assert!(fs.statfs().free_blocks > 200);
    assert_clean(&mut fs);
}

#[test]
fn directories_are_limited_to_twelve_blocks_by_default() {
    let mut fs = fresh(4096);
    let d = fs.mkdir(ROOT_INO, b"d", 0o755).unwrap();
    let mut n = 0;
    let err = loop {
        let name = format!("{n:0>200}");
        match fs.create(d, name.as_bytes(), 0o644) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Error::DirTooLarge);
    assert!(fs.metadata(d).unwrap().size <= 12 * 4096);
    assert_eq!(fs.read_dir(d).unwrap().len(), n + 2);
    // Deleted slots are reused.
    fs.unlink(d, format!("{:0>200}", 3).as_bytes()).unwrap();
    fs.create(d, b"short", 0o644).unwrap();
    assert_clean(&mut fs);
    // With the option, the directory grows into the indirect block.
    let dev = fs.unmount().unwrap();
    let mut fs = FileSystem::mount(
        dev,
        MountOptions {
            allow_large_dirs: true,
            ..Default::default()
        },
    )
    .unwrap();
    for i in 0..200 {
        fs.create(d, format!("{i:x>200}").as_bytes(), 0o644)
            .unwrap();
    }
    assert!(fs.metadata(d).unwrap().size > 12 * 4096);
    let mut fs = remount(fs);
    assert_eq!(fs.read_dir(d).unwrap().len(), n + 2 + 200);
    assert_clean(&mut fs);
}

#[test]
fn read_only_mount_refuses_changes() {
    let dev = fresh(1024).unmount().unwrap();
    let mut fs = FileSystem::mount(
        dev,
        MountOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(fs.create(ROOT_INO, b"x", 0o644), Err(Error::ReadOnly));
    assert_eq!(fs.mkdir(ROOT_INO, b"x", 0o644), Err(Error::ReadOnly));
}

#[test]
fn readdir_cookie_resumes() {
    let mut fs = fresh(1024);
    for i in 0..10 {
        fs.create(ROOT_INO, format!("f{i}").as_bytes(), 0o644)
            .unwrap();
    }
    let (e0, c1) = fs.readdir(ROOT_INO, 0).unwrap().unwrap();
    assert_eq!(e0.name, b".");
    let mut cookie = c1;
    let mut names = vec![];
    while let Some((e, next)) = fs.readdir(ROOT_INO, cookie).unwrap() {
        names.push(e.name);
        cookie = next;
    }
    assert_eq!(names.len(), 11);
    assert_eq!(names[10], b"f9");
}

/// The VeridianOS image builder appends entries as one byte stream, so an
/// entry can straddle two blocks; such directories must read correctly.
#[test]
fn reads_builder_style_entries_across_blocks() {
    let mut fs = fresh(1024);
    let d = fs.mkdir(ROOT_INO, b"d", 0o755).unwrap();
    for i in 0..300 {
        fs.create(d, format!("file-{i:03}").as_bytes(), 0o644)
            .unwrap();
    }
    let before = fs.read_dir(d).unwrap();
    let geo = *fs.geometry();
    let mut bytes = fs.unmount().unwrap().into_vec();
    // Re-encode the entries back to back, without padding at block ends.
    let mut stream = Vec::new();
    let mut straddler = None;
    for e in &before {
        let len = (8 + e.name.len() + 3) & !3;
        if stream.len() < 4096 && stream.len() + len > 4096 {
            straddler = Some(e.clone());
        }
        stream.extend_from_slice(&e.ino.to_le_bytes());
        stream.extend_from_slice(&(len as u16).to_le_bytes());
        stream.push(e.name.len() as u8);
        stream.push(e.file_type.map_or(0, |t| t.dirent_type()));
        stream.extend_from_slice(&e.name);
        stream.resize(stream.len().next_multiple_of(4), 0);
    }
    assert!(stream.len() > 4096 && stream.len() < 8192);
    let (blk, off) = geo.inode_location(d);
    let at = blk as usize * 4096 + off;
    let ptr = |i: usize| {
        u32::from_le_bytes(bytes[at + 36 + 4 * i..at + 40 + 4 * i].try_into().unwrap()) as usize
    };
    let (b0, b1) = (ptr(0), ptr(1));
    bytes[b0 * 4096..(b0 + 1) * 4096].copy_from_slice(&stream[..4096]);
    bytes[b1 * 4096..b1 * 4096 + stream.len() - 4096].copy_from_slice(&stream[4096..]);
    bytes[b1 * 4096 + stream.len() - 4096..(b1 + 1) * 4096].fill(0);
    bytes[at + 4..at + 8].copy_from_slice(&(stream.len() as u32).to_le_bytes());

    let mut fs = FileSystem::mount(MemDevice::from_vec(bytes), MountOptions::default()).unwrap();
    assert_eq!(fs.read_dir(d).unwrap(), before);
    let straddler = straddler.expect("an entry crosses the block boundary");
    assert_eq!(straddler.name, b"file-254");
    assert_eq!(fs.lookup(d, &straddler.name), Ok(straddler.ino));
    assert_clean(&mut fs);
    // Writing to such a directory keeps it readable.
    fs.unlink(d, &straddler.name).unwrap();
    fs.create(d, b"new", 0o644).unwrap();
    assert_eq!(fs.read_dir(d).unwrap().len(), before.len());
    let mut fs = remount(fs);
    assert_clean(&mut fs);
}

/// Directory cookies come from user programs (lseek on a directory), so
/// any value must be safe.
#[test]
fn any_readdir_cookie_is_safe() {
    let mut fs = fresh(1024);
    fs.create(ROOT_INO, b"f", 0o644).unwrap();
    for cookie in [u64::MAX, u64::MAX - 3, u64::MAX - 8, 1 << 40, 4097, 5, 1] {
        assert!(fs.readdir(ROOT_INO, cookie).is_ok(), "cookie {cookie}");
    }
    assert_eq!(fs.readdir(ROOT_INO, u64::MAX - 3), Ok(None));
    let mut buf = [0u8; 4];
    let f = fs.lookup(ROOT_INO, b"f").unwrap();
    assert_eq!(fs.read_at(f, u64::MAX, &mut buf), Ok(0));
    assert_eq!(fs.write_at(f, u64::MAX - 1, &buf), Err(Error::TooBig));
    assert_eq!(fs.truncate(f, u64::MAX), Err(Error::TooBig));
}
