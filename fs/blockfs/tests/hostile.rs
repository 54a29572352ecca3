//! Hostile images: truncated, random, bit-flipped, with cyclic pointer
//! blocks, absurd sizes and directory loops. Every case must end in an
//! error or a result (never a panic) and must end quickly.

#[path = "common/exercise.rs"]
mod exercise;

use std::time::{Duration, Instant};

use blockfs::{Error, FileSystem, MemDevice, MountOptions, Problem, ROOT_INO};
use exercise::{exercise, sample_image, walk};
use proptest::prelude::*;

const SAMPLE_BLOCKS: usize = 40;

fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let r = f();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{what} took {:?}",
        start.elapsed()
    );
    r
}

fn mount(bytes: Vec<u8>) -> blockfs::Result<FileSystem<MemDevice>> {
    FileSystem::mount(MemDevice::from_vec(bytes), MountOptions::default())
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

/// Byte offset of inode `ino` in an image with geometry `geo`.
fn inode_off(geo: &blockfs::Geometry, ino: u32) -> usize {
    let (blk, off) = geo.inode_location(ino);
    blk as usize * 4096 + off
}

/// The sample image with its geometry and the inode of `/etc/sub/big`.
fn sample() -> (Vec<u8>, blockfs::Geometry, u32, u32) {
    let bytes = sample_image(SAMPLE_BLOCKS);
    let mut fs = mount(bytes.clone()).unwrap();
    let geo = *fs.geometry();
    let big = fs.resolve(b"/etc/sub/big", false).unwrap();
    let etc = fs.resolve(b"/etc", false).unwrap();
    (bytes, geo, big, etc)
}

#[test]
fn sample_is_valid_and_fully_walked() {
    let out = exercise(sample_image(SAMPLE_BLOCKS));
    assert!(out.mounted);
    assert_eq!(out.fsck_problems, 0);
    // root: . .. etc link; etc: . .. motd sub; sub: . .. big motd2
    assert_eq!(out.entries, 12);
}

#[test]
fn truncated_images_are_refused() {
    let bytes = sample_image(SAMPLE_BLOCKS);
    for len in [
        0,
        1,
        61,
        62,
        4095,
        4096,
        4097,
        8192,
        3 * 4096,
        20 * 4096,
        bytes.len() - 4096,
        bytes.len() - 1,
    ] {
        let cut = bytes[..len].to_vec();
        assert!(
            mount(cut.clone()).is_err(),
            "mounted an image cut to {len} bytes"
        );
        bounded("exercise", || exercise(cut));
    }
}

#[test]
fn zeroed_and_wrong_superblocks_are_refused() {
    let (bytes, ..) = sample();
    let mut zero = bytes.clone();
    zero[..4096].fill(0);
    assert_eq!(
        mount(zero).err(),
        Some(Error::Corrupt("bad magic (not a BlockFS image)"))
    );
    for (off, val) in [
        (24, 512u32),
        (4, 1 << 30),
        (8, 0),
        (8, u32::MAX),
        (20, 2),
        (4, 3),
    ] {
        let mut b = bytes.clone();
        b[off..off + 4].copy_from_slice(&val.to_le_bytes());
        assert!(
            matches!(mount(b), Err(Error::Corrupt(_))),
            "field at {off} = {val}"
        );
    }
}

#[test]
fn cyclic_pointer_blocks_end() {
    let (mut bytes, geo, big, _) = sample();
    let at = inode_off(&geo, big);
    let ind = u32_at(&bytes, at + 84);
    assert_ne!(ind, 0);
    // The indirect block lists itself, and the double-indirect block is the
    // indirect block again.
    bytes[ind as usize * 4096..ind as usize * 4096 + 4].copy_from_slice(&ind.to_le_bytes());
    bytes[at + 88..at + 92].copy_from_slice(&ind.to_le_bytes());
    // Big enough to reach through the double-indirect block.
    bytes[at + 4..at + 8].copy_from_slice(&(8u32 << 20).to_le_bytes());
    let mut fs = mount(bytes.clone()).unwrap();
    let mut buf = vec![0u8; 8 << 20];
    bounded("read", || fs.read_at(big, 0, &mut buf)).unwrap();
    let r = fs.fsck(false).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::DuplicateBlock { block, .. } if *block == ind)),
        "{:?}",
        r.problems
    );
    bounded("repair", || fs.fsck(true)).unwrap();
    assert!(fs.fsck(false).unwrap().is_clean());
    bounded("truncate", || fs.truncate(big, 0)).unwrap();
    assert!(fs.fsck(false).unwrap().is_clean());
    bounded("exercise", || exercise(bytes));
}

#[test]
fn huge_sizes_stay_bounded() {
    let (mut bytes, geo, big, etc) = sample();
    let mut fs = mount(bytes.clone()).unwrap();
    let link = fs.resolve(b"/link", false).unwrap();
    drop(fs);
    for ino in [big, etc, link] {
        let at = inode_off(&geo, ino);
        bytes[at + 4..at + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    }
    let mut fs = mount(bytes.clone()).unwrap();
    // A file of 4 GiB - 1 mostly made of holes reads as zeros past its blocks.
    let mut buf = vec![1u8; 4096];
    assert_eq!(fs.read_at(big, u32::MAX as u64 - 4000, &mut buf), Ok(4000));
    assert!(buf[..4000].iter().all(|&b| b == 0));
    // A 4 GiB directory is walked to its end; a 4 GiB symlink is refused.
    bounded("readdir", || fs.read_dir(etc)).unwrap();
    assert!(matches!(fs.readlink(link), Err(Error::Corrupt(_))));
    assert_eq!(
        fs.resolve(b"/link", true).err(),
        Some(Error::Corrupt("symlink target too long"))
    );
    bounded("fsck", || fs.fsck(false)).unwrap();
    bounded("truncate", || fs.truncate(big, 0)).unwrap();
    bounded("exercise", || exercise(bytes));
}

/// Found by the fuzzer: a root directory claiming 4 GiB made every lookup
/// walk a million (empty) blocks. Directories are read up to
/// `MAX_DIR_SIZE` only, and fsck calls the rest damage.
#[test]
fn huge_directory_size_keeps_lookups_cheap() {
    let (mut bytes, geo, ..) = sample();
    let at = inode_off(&geo, ROOT_INO);
    bytes[at + 4..at + 8].copy_from_slice(&0xFFFF_0084u32.to_le_bytes());
    let mut fs = mount(bytes.clone()).unwrap();
    let start = Instant::now();
    for i in 0..200 {
        assert_eq!(
            fs.lookup(ROOT_INO, format!("missing{i}").as_bytes()),
            Err(Error::NotFound)
        );
    }
    assert!(fs.lookup(ROOT_INO, b"etc").is_ok());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "200 lookups took {:?}",
        start.elapsed()
    );
    let r = fs.fsck(false).unwrap();
    assert!(
        r.problems
            .contains(&Problem::MalformedDir { dir: ROOT_INO }),
        "{:?}",
        r.problems
    );
    bounded("exercise", || exercise(bytes));
}

#[test]
fn directory_loops_are_caught() {
    let (mut bytes, geo, _, etc) = sample();
    // /etc/sub's ".." and "." both name /etc, and /etc's "sub" entry names
    // the root: the tree loops.
    let mut fs = mount(bytes.clone()).unwrap();
    let sub = fs.resolve(b"/etc/sub", false).unwrap();
    drop(fs);
    let sub_blk = u32_at(&bytes, inode_off(&geo, sub) + 36) as usize * 4096;
    bytes[sub_blk..sub_blk + 4].copy_from_slice(&etc.to_le_bytes());
    let etc_blk = u32_at(&bytes, inode_off(&geo, etc) + 36) as usize * 4096;
    bytes[etc_blk + 4..etc_blk + 8].fill(0); // damage "." rec_len: block skipped
    let mut fs = mount(bytes.clone()).unwrap();
    bounded("walk", || walk(&mut fs));
    // Renaming a directory below itself must not loop either.
    let r = bounded("rename", || fs.rename(ROOT_INO, b"etc", sub, b"x"));
    assert!(r.is_err());
    let report = bounded("fsck", || fs.fsck(false)).unwrap();
    assert!(!report.is_clean());
    bounded("exercise", || exercise(bytes));
}

#[test]
fn parent_chain_cycle_is_an_error() {
    let (mut bytes, geo, _, etc) = sample();
    let mut fs = mount(bytes.clone()).unwrap();
    let sub = fs.resolve(b"/etc/sub", false).unwrap();
    drop(fs);
    // /etc/sub/.. -> /etc/sub: walking up never reaches the root.
    let sub_blk = u32_at(&bytes, inode_off(&geo, sub) + 36) as usize * 4096;
    bytes[sub_blk + 12..sub_blk + 16].copy_from_slice(&sub.to_le_bytes());
    let mut fs = mount(bytes).unwrap();
    let r = bounded("rename", || fs.rename(ROOT_INO, b"etc", sub, b"x"));
    assert!(matches!(r, Err(Error::Corrupt(_))), "{r:?}");
    let _ = etc;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..40_000)) {
        exercise(bytes);
    }

    /// Random blocks behind a valid superblock, bitmap and root inode.
    #[test]
    fn random_blocks_behind_a_valid_header(
        blocks in prop::collection::vec((4usize..SAMPLE_BLOCKS, any::<u64>()), 1..8),
    ) {
        let mut bytes = sample_image(SAMPLE_BLOCKS);
        for (blk, seed) in blocks {
            let mut x = seed | 1;
            for b in &mut bytes[blk * 4096..(blk + 1) * 4096] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
        }
        exercise(bytes);
    }

    #[test]
    fn bit_flips_never_panic(flips in prop::collection::vec((0usize..SAMPLE_BLOCKS * 4096, 0u8..8), 1..24)) {
        let mut bytes = sample_image(SAMPLE_BLOCKS);
        for (off, bit) in flips {
            bytes[off] ^= 1 << bit;
        }
        exercise(bytes);
    }

    /// Flips aimed at the metadata (superblock, bitmap, inode table).
    #[test]
    fn metadata_bit_flips_never_panic(flips in prop::collection::vec((0usize..4 * 4096, 0u8..8), 1..12)) {
        let mut bytes = sample_image(SAMPLE_BLOCKS);
        for (off, bit) in flips {
            bytes[off] ^= 1 << bit;
        }
        exercise(bytes);
    }
}
