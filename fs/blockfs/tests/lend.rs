//! Blocks of a file lent for writing (a shared, writable mapping): which
//! offsets can be lent, what the borrower sees, and that the file system
//! stays consistent across syncs while and after they are held.

use std::sync::atomic::{AtomicBool, Ordering};

use blockfs::{FileSystem, FormatOptions, MemDevice, MountOptions, BLOCK_SIZE, ROOT_INO};

static HELD: AtomicBool = AtomicBool::new(true);

fn held(_: &[u8; BLOCK_SIZE]) -> bool {
    HELD.load(Ordering::Relaxed)
}

#[test]
fn lent_blocks_are_the_files_current_bytes_up_to_its_end() {
    let mut fs = FileSystem::format(MemDevice::new(2048), &FormatOptions::default()).unwrap();
    fs.set_lent_probe(held);
    let f = fs.create(ROOT_INO, b"f", 0o644).unwrap();
    let size = 2 * BLOCK_SIZE + 100;
    fs.write_at(f, 0, &vec![0x5A; size]).unwrap();

    let first = fs.lend_file_block(f, 0, |b| b.to_vec()).unwrap().unwrap();
    assert_eq!(first, vec![0x5A; BLOCK_SIZE]);
    // The last, partial block: the bytes past the end read as zeros.
    let last = fs
        .lend_file_block(f, 2 * BLOCK_SIZE as u64, |b| b.to_vec())
        .unwrap()
        .unwrap();
    assert_eq!(&last[..100], &[0x5A; 100]);
    assert!(last[100..].iter().all(|&b| b == 0));
    // The block is the cache's: a write() shows through it.
    fs.write_at(f, 3, b"abc").unwrap();
    let again = fs.lend_file_block(f, 0, |b| b[..6].to_vec()).unwrap();
    assert_eq!(again.as_deref(), Some(&b"\x5A\x5A\x5Aabc"[..]));

    // Past the end, unaligned, not a regular file.
    let end = size as u64;
    assert_eq!(
        fs.lend_file_block(f, 3 * BLOCK_SIZE as u64, |_| ())
            .unwrap(),
        None
    );
    assert_eq!(fs.lend_file_block(f, end, |_| ()).unwrap(), None);
    assert_eq!(fs.lend_file_block(f, 1, |_| ()).unwrap(), None);
    assert_eq!(fs.lend_file_block(ROOT_INO, 0, |_| ()).unwrap(), None);
}

#[test]
fn syncs_while_and_after_blocks_are_held_leave_a_clean_image() {
    let mut fs = FileSystem::format(MemDevice::new(2048), &FormatOptions::default()).unwrap();
    fs.set_lent_probe(held);
    let f = fs.create(ROOT_INO, b"f", 0o644).unwrap();
    fs.write_at(f, 0, &vec![1u8; 8 * BLOCK_SIZE]).unwrap();
    HELD.store(true, Ordering::Relaxed);
    for i in 0..8u64 {
        assert!(fs
            .lend_file_block(f, i * BLOCK_SIZE as u64, |_| ())
            .unwrap()
            .is_some());
    }
    fs.sync().unwrap();
    fs.write_at(f, 10, b"while held").unwrap();
    fs.sync().unwrap();
    // Truncating frees lent blocks: they leave the cache, lent or not.
    fs.truncate(f, 2 * BLOCK_SIZE as u64).unwrap();
    fs.sync().unwrap();
    HELD.store(false, Ordering::Relaxed);
    let dev = fs.unmount().unwrap();

    let mut fs = FileSystem::mount(dev, MountOptions::default()).unwrap();
    assert!(fs.mounted_clean());
    let report = fs.fsck(false).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let mut got = vec![0u8; 2 * BLOCK_SIZE];
    assert_eq!(fs.read_at(f, 0, &mut got).unwrap(), 2 * BLOCK_SIZE);
    assert_eq!(&got[10..20], b"while held");
    assert_eq!(got[9], 1);
}

#[test]
fn a_read_only_mount_lends_nothing() {
    let mut fs = FileSystem::format(MemDevice::new(2048), &FormatOptions::default()).unwrap();
    let f = fs.create(ROOT_INO, b"f", 0o644).unwrap();
    fs.write_at(f, 0, &[9u8; BLOCK_SIZE]).unwrap();
    let dev = fs.unmount().unwrap();
    let mut fs = FileSystem::mount(
        dev,
        MountOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(fs.lend_file_block(f, 0, |_| ()).is_err());
}
