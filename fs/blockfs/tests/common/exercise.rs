//! Drives every read path, fsck and a few writes over an image that may be
//! hostile. Shared by the hostile-image tests and the fuzz targets: it must
//! return (no panic, no endless loop) whatever the bytes are, and a
//! successful `fsck --repair` must leave a clean file system.

use std::collections::HashSet;

use blockfs::{FileSystem, FileType, MemDevice, MountOptions, ROOT_INO};

/// Directory entries visited per walk, so a huge hostile tree stays cheap.
const MAX_ENTRIES: usize = 2000;
/// Bytes read from the start of each file.
const READ_PREFIX: usize = 16 * 1024;

/// What [`exercise`] got through, for tests that want to see progress.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub mounted: bool,
    pub entries: usize,
    pub fsck_problems: usize,
}

/// Pads `bytes` with zeros to whole 4 KiB blocks.
pub fn to_device(mut bytes: Vec<u8>) -> MemDevice {
    let rem = bytes.len() % 4096;
    if rem != 0 {
        bytes.resize(bytes.len() + 4096 - rem, 0);
    }
    MemDevice::from_vec(bytes)
}

/// Mounts `image` and uses it every way a tool or the kernel would.
pub fn exercise(image: Vec<u8>) -> Outcome {
    let mut out = Outcome::default();
    let opts = MountOptions {
        cache_blocks: 32,
        ..Default::default()
    };
    let Ok(mut fs) = FileSystem::mount(to_device(image), opts) else {
        return out;
    };
    out.mounted = true;
    let _ = fs.statfs();
    out.entries = walk(&mut fs);
    if let Ok(r) = fs.fsck(false) {
        out.fsck_problems = r.problems.len();
    }
    mutate(&mut fs);
    if fs.fsck(true).is_ok() {
        // Repair must leave nothing for a second check to find.
        let again = fs.fsck(false).expect("fsck after a successful repair");
        assert!(again.is_clean(), "left after repair: {:?}", again.problems);
    }
    walk(&mut fs);
    if let Ok(dev) = fs.unmount() {
        if let Ok(mut fs) = FileSystem::mount(dev, opts) {
            walk(&mut fs);
            let _ = fs.fsck(false);
        }
    }
    out
}

/// Breadth-first walk from the root reading metadata, file prefixes and
/// tails, symlink targets and resolved paths. Each directory is listed
/// once, so loops in the tree end the walk.
pub fn walk<D: blockfs::BlockDevice>(fs: &mut FileSystem<D>) -> usize {
    let mut seen = HashSet::new();
    let mut queue = vec![(ROOT_INO, b"/".to_vec())];
    let mut entries = 0;
    let mut buf = vec![0u8; READ_PREFIX];
    while let Some((dir, path)) = queue.pop() {
        if !seen.insert(dir) {
            continue;
        }
        let mut cookie = 0;
        while let Ok(Some((e, next))) = fs.readdir(dir, cookie) {
            cookie = next;
            entries += 1;
            if entries > MAX_ENTRIES {
                return entries;
            }
            if e.name == b"." || e.name == b".." {
                continue;
            }
            let mut child = path.clone();
            if child.len() > 1 {
                child.push(b'/');
            }
            child.extend_from_slice(&e.name);
            let _ = fs.resolve(&child, false);
            let _ = fs.resolve(&child, true);
            let Ok(m) = fs.metadata(e.ino) else { continue };
            match m.file_type {
                FileType::Directory => queue.push((e.ino, child)),
                FileType::Symlink => {
                    let _ = fs.readlink(e.ino);
                }
                FileType::Socket => {
                    let _ = fs.read_at(e.ino, 0, &mut buf);
                }
                FileType::Regular => {
                    let _ = fs.read_at(e.ino, 0, &mut buf);
                    let _ = fs.read_at(e.ino, m.size.saturating_sub(5000), &mut buf[..5000]);
                }
            }
        }
    }
    entries
}

/// A few changes of every kind; errors are expected and ignored.
fn mutate<D: blockfs::BlockDevice>(fs: &mut FileSystem<D>) {
    let data = vec![0x5Au8; 20_000];
    if let Ok(f) = fs.create(ROOT_INO, b"fuzz-new", 0o644) {
        let _ = fs.write_at(f, 0, &data);
        let _ = fs.write_at(f, 70_000, &data[..100]);
        let _ = fs.truncate(f, 3000);
    }
    let _ = fs.mkdir(ROOT_INO, b"fuzz-dir", 0o755);
    let _ = fs.symlink(ROOT_INO, b"fuzz-link", b"fuzz-new");
    // Touch the first few existing entries of the root.
    let names: Vec<_> = fs
        .read_dir(ROOT_INO)
        .map(|v| v.into_iter().take(8).collect())
        .unwrap_or_default();
    for e in names {
        if e.name == b"." || e.name == b".." {
            continue;
        }
        let _ = fs.write_at(e.ino, 10, b"x");
        let _ = fs.truncate(e.ino, 1);
        let _ = fs.rename(ROOT_INO, &e.name, ROOT_INO, b"fuzz-renamed");
        let _ = fs.rename(ROOT_INO, b"fuzz-renamed", ROOT_INO, &e.name);
        let _ = fs.link(e.ino, ROOT_INO, b"fuzz-hard");
        let _ = fs.unlink(ROOT_INO, b"fuzz-hard");
        let _ = fs.rmdir(ROOT_INO, &e.name);
        let _ = fs.unlink(ROOT_INO, &e.name);
    }
    let _ = fs.rmdir(ROOT_INO, b"fuzz-dir");
    let _ = fs.sync();
}

/// A small valid image with files (direct and indirect blocks), nested
/// directories, a symlink and a hard link: the base for corruption tests
/// and the fuzz seed corpus.
pub fn sample_image(blocks: usize) -> Vec<u8> {
    use blockfs::FormatOptions;
    let opts = FormatOptions {
        inode_count: Some(84),
        ..Default::default()
    };
    let mut fs = FileSystem::format(MemDevice::new(blocks), &opts).expect("format");
    let etc = fs.mkdir(ROOT_INO, b"etc", 0o755).expect("mkdir");
    let f = fs.create(etc, b"motd", 0o644).expect("create");
    fs.write_at(f, 0, b"hello from blockfs\n").expect("write");
    let sub = fs.mkdir(etc, b"sub", 0o700).expect("mkdir");
    let big = fs.create(sub, b"big", 0o755).expect("create");
    let data: Vec<u8> = (0..13 * 4096 + 100).map(|i| (i % 251) as u8).collect();
    fs.write_at(big, 0, &data).expect("write");
    fs.symlink(ROOT_INO, b"link", b"/etc/motd")
        .expect("symlink");
    fs.link(f, sub, b"motd2").expect("link");
    fs.unmount().expect("unmount").into_vec()
}
