//! fsck: each class of corruption, injected into the raw bytes of a valid
//! image, is reported; `fsck(true)` repairs it so that a second check and a
//! check after remount are clean, and the data fsck did not have to give
//! up is intact.

use blockfs::{
    Error, FileSystem, FormatOptions, Geometry, MemDevice, MountOptions, Problem, ROOT_INO,
};
use proptest::prelude::*;

const BLOCKS: usize = 1024;

/// A valid image and where its parts live.
struct Img {
    bytes: Vec<u8>,
    geo: Geometry,
    dir: u32,
    /// `d/a` (3 blocks, also linked as `d/a2`), `b` (1 block), `c` (13
    /// blocks: direct + indirect), `l` a symlink.
    a: u32,
    b: u32,
    c: u32,
    l: u32,
}

fn content(tag: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| tag ^ (i % 253) as u8).collect()
}

const A_LEN: usize = 3 * 4096 - 7;
const B_LEN: usize = 100;
const C_LEN: usize = 13 * 4096 + 1;

fn image() -> Img {
    let mut fs = FileSystem::format(MemDevice::new(BLOCKS), &FormatOptions::default()).unwrap();
    let dir = fs.mkdir(ROOT_INO, b"d", 0o755).unwrap();
    let a = fs.create(dir, b"a", 0o644).unwrap();
    fs.write_at(a, 0, &content(1, A_LEN)).unwrap();
    fs.link(a, dir, b"a2").unwrap();
    let b = fs.create(ROOT_INO, b"b", 0o644).unwrap();
    fs.write_at(b, 0, &content(2, B_LEN)).unwrap();
    let c = fs.create(ROOT_INO, b"c", 0o755).unwrap();
    fs.write_at(c, 0, &content(3, C_LEN)).unwrap();
    let l = fs.symlink(ROOT_INO, b"l", b"/d/a").unwrap();
    let geo = *fs.geometry();
    let bytes = fs.unmount().unwrap().into_vec();
    Img {
        bytes,
        geo,
        dir,
        a,
        b,
        c,
        l,
    }
}

impl Img {
    fn inode_off(&self, ino: u32) -> usize {
        let (blk, off) = self.geo.inode_location(ino);
        blk as usize * 4096 + off
    }
    fn u32_at(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.bytes[off..off + 4].try_into().unwrap())
    }
    fn put_u32(&mut self, off: usize, v: u32) {
        self.bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn put_u16(&mut self, off: usize, v: u16) {
        self.bytes[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }
    /// Byte offset of an inode field.
    fn field(&self, ino: u32, field_off: usize) -> usize {
        self.inode_off(ino) + field_off
    }
    fn direct(&self, ino: u32, i: usize) -> u32 {
        self.u32_at(self.field(ino, 36 + 4 * i))
    }
    fn flip_bitmap(&mut self, block: u32) {
        let off = 4096 + (block / 8) as usize;
        self.bytes[off] ^= 1 << (block % 8);
    }
    /// Byte offset of the entry `name` in directory `dir` (first block).
    fn entry(&self, dir: u32, name: &[u8]) -> usize {
        let base = self.direct(dir, 0) as usize * 4096;
        let mut pos = 0;
        while pos + 8 <= 4096 {
            let e = base + pos;
            let rec = u16::from_le_bytes([self.bytes[e + 4], self.bytes[e + 5]]) as usize;
            let len = self.bytes[e + 6] as usize;
            if &self.bytes[e + 8..e + 8 + len] == name {
                return e;
            }
            assert!(rec >= 8, "entry {name:?} not found");
            pos += rec;
        }
        panic!("entry {name:?} not found")
    }
    fn mount(&self) -> FileSystem<MemDevice> {
        FileSystem::mount(
            MemDevice::from_vec(self.bytes.clone()),
            MountOptions::default(),
        )
        .unwrap()
    }
}

fn read_all(fs: &mut FileSystem<MemDevice>, ino: u32) -> Vec<u8> {
    let mut buf = vec![0u8; fs.metadata(ino).unwrap().size as usize];
    let n = fs.read_at(ino, 0, &mut buf).unwrap();
    assert_eq!(n, buf.len());
    buf
}

/// Checks that `img` shows a problem matching `expect`, repairs it, and
/// returns the repaired file system (remounted) for further checks.
fn detect_and_repair(
    img: &Img,
    expect: impl Fn(&Problem) -> bool,
) -> (Vec<Problem>, FileSystem<MemDevice>) {
    let mut fs = img.mount();
    let found = fs.fsck(false).unwrap();
    assert!(
        found.problems.iter().any(&expect),
        "not detected; fsck found {:?}",
        found.problems
    );
    let fixed = fs.fsck(true).unwrap();
    assert!(fixed.repaired);
    assert_eq!(
        fixed.problems, found.problems,
        "repair pass reports what the check found"
    );
    let again = fs.fsck(false).unwrap();
    assert!(again.is_clean(), "left after repair: {:?}", again.problems);
    let mut fs = FileSystem::mount(fs.unmount().unwrap(), MountOptions::default()).unwrap();
    let after = fs.fsck(false).unwrap();
    assert!(after.is_clean(), "after remount: {:?}", after.problems);
    (found.problems, fs)
}

/// The files fsck had no reason to touch still read back intact.
fn others_intact(fs: &mut FileSystem<MemDevice>, img: &Img, skip: &[u32]) {
    for (ino, tag, len) in [(img.a, 1, A_LEN), (img.b, 2, B_LEN), (img.c, 3, C_LEN)] {
        if !skip.contains(&ino) {
            assert_eq!(read_all(fs, ino), content(tag, len), "inode {ino}");
        }
    }
}

#[test]
fn valid_image_is_clean() {
    let img = image();
    let mut fs = img.mount();
    let r = fs.fsck(false).unwrap();
    assert!(r.is_clean(), "{:?}", r.problems);
    assert_eq!(r.directories, 2);
    assert_eq!(r.inodes, 6);
}

#[test]
fn used_block_marked_free() {
    let mut img = image();
    let blk = img.direct(img.b, 0);
    img.flip_bitmap(blk);
    let (_, mut fs) = detect_and_repair(&img, |p| {
        *p == Problem::BlocksMarkedFree {
            first: blk,
            count: 1,
        }
    });
    // The block is protected again: new data goes elsewhere.
    let n = fs.create(ROOT_INO, b"new", 0o644).unwrap();
    fs.write_at(n, 0, &[9; 8192]).unwrap();
    others_intact(&mut fs, &img, &[]);
}

#[test]
fn free_block_marked_used() {
    let mut img = image();
    let blk = BLOCKS as u32 - 2;
    img.flip_bitmap(blk);
    let free_before = img.mount().statfs().free_blocks;
    let (_, mut fs) = detect_and_repair(&img, |p| {
        *p == Problem::BlocksLeaked {
            first: blk,
            count: 1,
        }
    });
    assert_eq!(fs.statfs().free_blocks, free_before + 1);
    others_intact(&mut fs, &img, &[]);
}

#[test]
fn dangling_entry_to_a_freed_inode() {
    let mut img = image();
    let off = img.field(img.b, 26);
    img.put_u16(off, 0); // links_count 0: the slot is free
    let b = img.b;
    let (problems, mut fs) = detect_and_repair(&img, |p| {
        *p == Problem::DanglingEntry {
            dir: ROOT_INO,
            ino: b,
        }
    });
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, Problem::BlocksLeaked { .. })),
        "{problems:?}"
    );
    assert_eq!(fs.lookup(ROOT_INO, b"b"), Err(Error::NotFound));
    others_intact(&mut fs, &img, &[b]);
}

#[test]
fn dangling_entry_to_an_out_of_range_inode() {
    let mut img = image();
    let e = img.entry(ROOT_INO, b"l");
    let bad = img.geo.usable_inodes() + 3;
    img.put_u32(e, bad);
    let l = img.l;
    let (problems, mut fs) = detect_and_repair(&img, |p| {
        *p == Problem::DanglingEntry {
            dir: ROOT_INO,
            ino: bad,
        }
    });
    assert!(
        problems.contains(&Problem::Orphan { ino: l }),
        "{problems:?}"
    );
    assert_eq!(fs.lookup(ROOT_INO, b"l"), Err(Error::NotFound));
    // The symlink no entry names any more is kept in /lost+found.
    assert_eq!(
        fs.resolve(format!("/lost+found/#{l}").as_bytes(), false),
        Ok(l)
    );
    assert_eq!(fs.readlink(l).unwrap(), b"/d/a");
}

#[test]
fn wrong_link_counts() {
    let mut img = image();
    let (a, b, d) = (img.a, img.b, img.dir);
    let off = img.field(a, 26);
    img.put_u16(off, 1); // really 2 (d/a and d/a2)
    let off = img.field(b, 26);
    img.put_u16(off, 5);
    let off = img.field(d, 26);
    img.put_u16(off, 9);
    let (problems, mut fs) = detect_and_repair(&img, |p| {
        *p == Problem::LinkCountWrong {
            ino: a,
            recorded: 1,
            actual: 2,
        }
    });
    assert!(problems.contains(&Problem::LinkCountWrong {
        ino: b,
        recorded: 5,
        actual: 1
    }));
    assert!(problems.contains(&Problem::LinkCountWrong {
        ino: d,
        recorded: 9,
        actual: 2
    }));
    assert_eq!(fs.metadata(a).unwrap().nlink, 2);
    // With the count right, dropping one name keeps the file.
    fs.unlink(d, b"a2").unwrap();
    others_intact(&mut fs, &img, &[]);
}

#[test]
fn block_used_twice_by_two_files() {
    let mut img = image();
    let shared = img.direct(img.b, 0);
    let lost = img.direct(img.c, 0);
    let off = img.field(img.c, 36);
    img.put_u32(off, shared);
    let (problems, mut fs) = detect_and_repair(
        &img,
        |p| matches!(p, Problem::DuplicateBlock { block, .. } if *block == shared),
    );
    assert!(
        problems.contains(&Problem::BlocksLeaked {
            first: lost,
            count: 1
        }),
        "{problems:?}"
    );
    // Each file now has its own copy: writing one leaves the other alone.
    let b_data = read_all(&mut fs, img.b);
    fs.write_at(img.c, 0, &[0xEE; 4096]).unwrap();
    assert_eq!(read_all(&mut fs, img.b), b_data);
    others_intact(&mut fs, &img, &[img.c]);
}

#[test]
fn block_used_twice_through_an_indirect_block() {
    let mut img = image();
    let shared = img.direct(img.a, 1);
    let ind = img.u32_at(img.field(img.c, 84));
    assert_ne!(ind, 0);
    img.put_u32(ind as usize * 4096, shared); // c's logical block 12
    let (_, mut fs) = detect_and_repair(
        &img,
        |p| matches!(p, Problem::DuplicateBlock { block, .. } if *block == shared),
    );
    fs.write_at(img.c, 12 * 4096, &[0xEE; 4096]).unwrap();
    others_intact(&mut fs, &img, &[img.c]);
}

#[test]
fn superblock_counts_wrong() {
    let mut img = image();
    let fb = img.u32_at(12);
    let fi = img.u32_at(16);
    img.put_u32(12, fb + 5);
    img.put_u32(16, fi - 1);
    let (problems, fs) = detect_and_repair(&img, |p| {
        *p == Problem::FreeCountWrong {
            field: "free_blocks",
            recorded: fb + 5,
            actual: fb,
        }
    });
    assert!(problems.contains(&Problem::FreeCountWrong {
        field: "free_inodes",
        recorded: fi - 1,
        actual: fi
    }));
    let bytes = fs.unmount().unwrap().into_vec();
    assert_eq!(u32::from_le_bytes(bytes[12..16].try_into().unwrap()), fb);
    assert_eq!(u32::from_le_bytes(bytes[16..20].try_into().unwrap()), fi);
}

#[test]
fn orphan_inode() {
    let mut img = image();
    let e = img.entry(ROOT_INO, b"b");
    img.put_u32(e, 0); // entry deleted, inode still in use
    let b = img.b;
    let (_, mut fs) = detect_and_repair(&img, |p| *p == Problem::Orphan { ino: b });
    // Reconnected, not deleted.
    assert_eq!(
        fs.resolve(format!("/lost+found/#{b}").as_bytes(), false),
        Ok(b)
    );
    assert_eq!(fs.metadata(b).unwrap().nlink, 1);
    others_intact(&mut fs, &img, &[]);
}

#[test]
fn orphaned_directory_comes_back_with_its_contents() {
    let mut img = image();
    let e = img.entry(ROOT_INO, b"d");
    img.put_u32(e, 0); // /d's entry deleted: d, d/a (and its link d/a2) unreachable
    let (d, a) = (img.dir, img.a);
    let (problems, mut fs) = detect_and_repair(&img, |p| *p == Problem::Orphan { ino: d });
    assert!(
        problems.contains(&Problem::Orphan { ino: a }),
        "{problems:?}"
    );
    let base = format!("/lost+found/#{d}");
    assert_eq!(fs.resolve(base.as_bytes(), false), Ok(d));
    assert_eq!(fs.resolve(format!("{base}/a2").as_bytes(), false), Ok(a));
    assert_eq!(fs.lookup(d, b".."), fs.resolve(b"/lost+found", false));
    assert_eq!(
        fs.metadata(a).unwrap().nlink,
        2,
        "a stays in d only, not also in lost+found"
    );
    others_intact(&mut fs, &img, &[]);
}

#[test]
fn damaged_root_block_loses_no_files() {
    let mut img = image();
    // Garbage over the root's "." entry: its first block no longer parses.
    let root_blk = img.direct(ROOT_INO, 0) as usize * 4096;
    img.bytes[root_blk + 4] = 3;
    let (problems, mut fs) =
        detect_and_repair(&img, |p| *p == Problem::BadDotEntry { dir: ROOT_INO });
    assert!(
        problems.contains(&Problem::MalformedDir { dir: ROOT_INO }),
        "{problems:?}"
    );
    // The root is a directory with sane links, and every file is still
    // reachable (from lost+found).
    let root = fs.metadata(ROOT_INO).unwrap();
    assert!(root.nlink >= 2);
    assert_eq!(fs.lookup(ROOT_INO, b"."), Ok(ROOT_INO));
    for ino in [img.dir, img.b, img.c, img.l] {
        assert_eq!(
            fs.resolve(format!("/lost+found/#{ino}").as_bytes(), false),
            Ok(ino)
        );
    }
    others_intact(&mut fs, &img, &[]);
}

#[test]
fn pointer_out_of_range() {
    let mut img = image();
    let off = img.field(img.c, 36 + 4);
    img.put_u32(off, BLOCKS as u32 + 7);
    let c = img.c;
    {
        let mut fs = img.mount();
        let mut buf = vec![0u8; C_LEN];
        assert!(matches!(fs.read_at(c, 0, &mut buf), Err(Error::Corrupt(_))));
    }
    let (_, mut fs) = detect_and_repair(&img, |p| {
        *p == Problem::BadPointer {
            ino: c,
            block: BLOCKS as u32 + 7,
        }
    });
    // The bad block reads as a hole now.
    let data = read_all(&mut fs, c);
    assert!(data[4096..8192].iter().all(|&x| x == 0));
    assert_eq!(data[8192..], content(3, C_LEN)[8192..]);
}

#[test]
fn entry_type_mismatch() {
    let mut img = image();
    let e = img.entry(ROOT_INO, b"b");
    img.bytes[e + 7] = 2;
    let b = img.b;
    let (_, mut fs) = detect_and_repair(&img, |p| {
        *p == Problem::EntryTypeMismatch {
            dir: ROOT_INO,
            ino: b,
        }
    });
    others_intact(&mut fs, &img, &[]);
}

#[test]
fn directory_linked_twice() {
    let mut img = image();
    let e = img.entry(ROOT_INO, b"b");
    let d = img.dir;
    img.put_u32(e, d);
    img.bytes[e + 7] = 2;
    let (problems, mut fs) = detect_and_repair(
        &img,
        |p| matches!(p, Problem::DirLinkedTwice { ino, .. } if *ino == d),
    );
    assert!(
        problems.contains(&Problem::Orphan { ino: img.b }),
        "{problems:?}"
    );
    assert_eq!(fs.lookup(d, b"a"), Ok(img.a));
}

#[test]
fn bad_dot_entry() {
    let mut img = image();
    let dot = img.entry(img.dir, b".");
    img.put_u32(dot, img.b);
    let d = img.dir;
    let (_, mut fs) = detect_and_repair(&img, |p| *p == Problem::BadDotEntry { dir: d });
    assert_eq!(fs.lookup(d, b"."), Ok(d));
}

#[test]
fn inode_field_damage() {
    let mut img = image();
    let (b, c) = (img.b, img.c);
    let off = img.field(c, 28);
    img.put_u32(off, 99); // blocks
    let off = img.field(c, 92);
    img.put_u32(off, 5); // triple indirect
    let off = img.field(b, 4);
    img.put_u32(off, 0); // size 0, but a data block
    let (problems, mut fs) = detect_and_repair(&img, |p| {
        *p == Problem::BlockCountWrong {
            ino: c,
            recorded: 99,
            actual: 15,
        }
    });
    assert!(
        problems.contains(&Problem::TripleIndirect { ino: c }),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, Problem::DataBeyondEof { ino, .. } if *ino == b)),
        "{problems:?}"
    );
    assert_eq!(fs.metadata(c).unwrap().blocks, 15);
    others_intact(&mut fs, &img, &[b]);
}

#[test]
fn unknown_inode_type() {
    let mut img = image();
    let off = img.field(img.b, 0);
    img.put_u16(off, 0x11A4); // a FIFO: not a BlockFS type
    let b = img.b;
    let (_, mut fs) = detect_and_repair(&img, |p| *p == Problem::BadInodeType { ino: b });
    assert_eq!(fs.lookup(ROOT_INO, b"b"), Err(Error::NotFound));
    others_intact(&mut fs, &img, &[b]);
}

#[test]
fn symlink_too_long() {
    let mut img = image();
    let off = img.field(img.l, 4);
    img.put_u32(off, 3 * 4096);
    let l = img.l;
    let (_, mut fs) = detect_and_repair(&img, |p| *p == Problem::SymlinkTooLong { ino: l });
    let target = fs.readlink(l).unwrap();
    assert_eq!(target.len(), blockfs::MAX_TARGET);
    assert_eq!(&target[..4], b"/d/a");
    others_intact(&mut fs, &img, &[]);
}

/// Fuzzer find: an entry renamed to "." is a second "." that zeroing its
/// inode field cannot delete (inode 0 is the root); the directory is
/// rebuilt instead.
#[test]
fn second_dot_entry() {
    let mut img = image();
    let e = img.entry(ROOT_INO, b"c");
    img.bytes[e + 6] = 1;
    img.bytes[e + 8] = b'.';
    let c = img.c;
    let (problems, mut fs) =
        detect_and_repair(&img, |p| *p == Problem::BadDotEntry { dir: ROOT_INO });
    assert!(
        problems.contains(&Problem::Orphan { ino: c }),
        "{problems:?}"
    );
    assert_eq!(
        fs.resolve(format!("/lost+found/#{c}").as_bytes(), false),
        Ok(c)
    );
    others_intact(&mut fs, &img, &[]);
}

/// Fuzzer find: trimming an over-long symlink whose blocks other inodes
/// also claim must not free or re-attach those blocks.
#[test]
fn long_symlink_sharing_blocks() {
    let mut img = image();
    let (l, a, b) = (img.l, img.a, img.b);
    let (a0, b0) = (img.direct(a, 0), img.direct(b, 0));
    let size = img.field(l, 4);
    img.put_u32(size, u32::MAX);
    let d1 = img.field(l, 40);
    img.put_u32(d1, b0);
    let d2 = img.field(l, 44);
    img.put_u32(d2, a0);
    let (_, mut fs) = detect_and_repair(&img, |p| *p == Problem::SymlinkTooLong { ino: l });
    assert_eq!(fs.metadata(l).unwrap().size, blockfs::MAX_TARGET as u64);
    others_intact(&mut fs, &img, &[]);
}

/// A directory `/k` holding `names` (files), laid out as the VeridianOS
/// project's kernel writes directories: an entry that does not fit in the
/// rest of a block starts the next block, and the previous entry's
/// `rec_len` is not stretched over the gap. Returns the image, the
/// directory's inode and the byte offsets of the gaps shorter than a
/// header (8 bytes).
fn kernel_layout_dir(names: &[Vec<u8>]) -> (Vec<u8>, u32, Vec<usize>) {
    let mut fs = FileSystem::format(MemDevice::new(BLOCKS), &FormatOptions::default()).unwrap();
    let k = fs.mkdir(ROOT_INO, b"k", 0o755).unwrap();
    for name in names {
        fs.create(k, name, 0o644).unwrap();
    }
    let size = fs.metadata(k).unwrap().size as usize;
    let geo = *fs.geometry();
    let mut bytes = fs.unmount().unwrap().into_vec();
    // This crate pads the last entry of a block to the block end; undo that.
    let (blk, off) = geo.inode_location(k);
    let at = blk as usize * 4096 + off;
    let mut short_gaps = Vec::new();
    for i in 0..size.div_ceil(4096) {
        let ptr = at + 36 + 4 * i;
        let base = u32::from_le_bytes(bytes[ptr..ptr + 4].try_into().unwrap()) as usize * 4096;
        let end = (size - i * 4096).min(4096);
        let mut pos = 0;
        loop {
            let e = base + pos;
            let rec = u16::from_le_bytes([bytes[e + 4], bytes[e + 5]]) as usize;
            if pos + rec >= end {
                let tight = (8 + bytes[e + 6] as usize + 3) & !3;
                bytes[e + 4..e + 6].copy_from_slice(&(tight as u16).to_le_bytes());
                let gap = 4096 - (pos + tight);
                if end == 4096 && gap > 0 && gap < 8 {
                    short_gaps.push(base + pos + tight);
                }
                break;
            }
            pos += rec;
        }
    }
    (bytes, k, short_gaps)
}

fn mount_bytes(bytes: Vec<u8>) -> FileSystem<MemDevice> {
    FileSystem::mount(MemDevice::from_vec(bytes), MountOptions::default()).unwrap()
}

/// "." and ".." (24 bytes) and 113 entries of 36 bytes fill a block up to
/// a 4-byte gap; the 114th entry starts the next block. Every entry reads
/// back and fsck finds nothing wrong (it used to report "malformed
/// entries" because it decoded the gap plus the next block's first bytes
/// as a header).
#[test]
fn kernel_layout_short_gap_is_clean() {
    let names: Vec<Vec<u8>> = (0..120)
        .map(|i| format!("kernel-layout-entry-{i:08}").into_bytes())
        .collect();
    assert!(names.iter().all(|n| 8 + n.len() == 36));
    let (bytes, k, gaps) = kernel_layout_dir(&names);
    assert_eq!(gaps.len(), 1, "the first block ends in a gap");
    assert_eq!(gaps[0] % 4096, 4092);
    assert!(bytes[gaps[0]..gaps[0] + 4].iter().all(|&b| b == 0));
    let mut fs = mount_bytes(bytes);
    let listed: Vec<Vec<u8>> = fs
        .read_dir(k)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .filter(|n| n != b"." && n != b"..")
        .collect();
    assert_eq!(listed, names);
    for name in &names {
        assert!(fs.lookup(k, name).is_ok(), "{name:?}");
    }
    let r = fs.fsck(false).unwrap();
    assert!(r.is_clean(), "{:?}", r.problems);
    // Adding to and removing from such a directory keeps it clean.
    fs.unlink(k, &names[113]).unwrap();
    fs.create(k, b"new", 0o644).unwrap();
    let r = fs.fsck(false).unwrap();
    assert!(r.is_clean(), "{:?}", r.problems);
}

/// The same gap holding anything but zeros is damage: reported, and the
/// repair keeps every entry.
#[test]
fn kernel_layout_gap_with_garbage_is_malformed() {
    let names: Vec<Vec<u8>> = (0..120)
        .map(|i| format!("kernel-layout-entry-{i:08}").into_bytes())
        .collect();
    let (mut bytes, k, gaps) = kernel_layout_dir(&names);
    bytes[gaps[0] + 1] = 0x5a;
    let mut fs = mount_bytes(bytes);
    let r = fs.fsck(false).unwrap();
    assert_eq!(r.problems, vec![Problem::MalformedDir { dir: k }]);
    assert!(fs.fsck(true).unwrap().repaired);
    assert!(fs.fsck(false).unwrap().is_clean());
    let mut fs = FileSystem::mount(fs.unmount().unwrap(), MountOptions::default()).unwrap();
    assert!(fs.fsck(false).unwrap().is_clean());
    for name in &names {
        assert!(fs.lookup(k, name).is_ok(), "{name:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Kernel-layout directories of any name lengths: every entry is read,
    /// fsck is clean; a nonzero byte in any short gap is reported.
    #[test]
    fn kernel_layout_dirs(
        lens in prop::collection::vec(1usize..=60, 1..400),
        damage in any::<prop::sample::Index>(),
        byte in 1u8..=255,
    ) {
        let names: Vec<Vec<u8>> = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let mut n = format!("{i}-").into_bytes();
                n.resize(len.max(n.len()), b'x');
                n
            })
            .collect();
        let (bytes, k, gaps) = kernel_layout_dir(&names);
        let mut fs = mount_bytes(bytes.clone());
        let listed = fs.read_dir(k).unwrap().len();
        prop_assert_eq!(listed, names.len() + 2);
        let r = fs.fsck(false).unwrap();
        prop_assert!(r.is_clean(), "{:?}", r.problems);
        if !gaps.is_empty() {
            let at = gaps[damage.index(gaps.len())];
            let mut bytes = bytes;
            bytes[at + damage.index(4)] = byte;
            let mut fs = mount_bytes(bytes);
            let r = fs.fsck(false).unwrap();
            prop_assert!(
                r.problems.contains(&Problem::MalformedDir { dir: k }),
                "{:?}",
                r.problems
            );
        }
    }
}
