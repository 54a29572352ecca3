//! File reads go through the block cache with read-ahead: a file read a
//! page at a time (as a program's pages fault in) costs a few device
//! requests, and reading it again costs none.

use blockfs::{
    BlockDevice, DeviceError, FileSystem, FormatOptions, MemDevice, MountOptions, BLOCK_SIZE,
    ROOT_INO,
};

/// A memory device that counts read requests.
struct Counting {
    inner: MemDevice,
    reads: usize,
}

impl BlockDevice for Counting {
    fn block_count(&self) -> u64 {
        self.inner.block_count()
    }
    fn read_block(&mut self, i: u64, b: &mut [u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        self.reads += 1;
        self.inner.read_block(i, b)
    }
    fn write_block(&mut self, i: u64, b: &[u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        self.inner.write_block(i, b)
    }
    fn read_blocks(&mut self, s: u64, b: &mut [u8]) -> Result<(), DeviceError> {
        self.reads += 1;
        self.inner.read_blocks(s, b)
    }
    fn write_blocks(&mut self, s: u64, b: &[u8]) -> Result<(), DeviceError> {
        self.inner.write_blocks(s, b)
    }
}

const FILE_BLOCKS: usize = 256;

fn pattern() -> Vec<u8> {
    (0..FILE_BLOCKS * BLOCK_SIZE)
        .map(|i| (i / 7 % 251) as u8)
        .collect()
}

/// A mounted image holding `/f` (1 MiB) and the file's inode, with the
/// read counter at zero.
fn image_with_file(cache_blocks: usize) -> (FileSystem<Counting>, u32) {
    let mut fs = FileSystem::format(MemDevice::new(4096), &FormatOptions::default()).unwrap();
    let f = fs.create(ROOT_INO, b"f", 0o644).unwrap();
    fs.write_at(f, 0, &pattern()).unwrap();
    let dev = Counting {
        inner: fs.unmount().unwrap(),
        reads: 0,
    };
    let mut fs = FileSystem::mount(
        dev,
        MountOptions {
            cache_blocks,
            ..Default::default()
        },
    )
    .unwrap();
    let f = fs.lookup(ROOT_INO, b"f").unwrap();
    fs.device_mut().reads = 0;
    (fs, f)
}

fn read_by_pages(fs: &mut FileSystem<Counting>, f: u32) -> Vec<u8> {
    let mut out = vec![0u8; FILE_BLOCKS * BLOCK_SIZE];
    for (i, page) in out.chunks_mut(BLOCK_SIZE).enumerate() {
        assert_eq!(
            fs.read_at(f, (i * BLOCK_SIZE) as u64, page).unwrap(),
            BLOCK_SIZE
        );
    }
    out
}

#[test]
fn page_reads_are_read_ahead_and_then_cached() {
    let (mut fs, f) = image_with_file(4096);
    assert_eq!(read_by_pages(&mut fs, f), pattern());
    let first = fs.device_mut().reads;
    // 256 blocks in runs of at least 32, plus the indirect block.
    assert!(first <= 12, "{first} device reads for 256 page reads");
    assert_eq!(read_by_pages(&mut fs, f), pattern());
    let mut whole = vec![0u8; FILE_BLOCKS * BLOCK_SIZE];
    fs.read_at(f, 0, &mut whole).unwrap();
    assert_eq!(whole, pattern());
    assert_eq!(fs.device_mut().reads, first, "cached reads hit the device");
}

#[test]
fn a_cache_smaller_than_the_file_still_reads_right() {
    let (mut fs, f) = image_with_file(16);
    assert_eq!(read_by_pages(&mut fs, f), pattern());
    let mut odd = vec![0u8; 3 * BLOCK_SIZE + 17];
    let at = 5 * BLOCK_SIZE as u64 + 4000;
    fs.read_at(f, at, &mut odd).unwrap();
    assert_eq!(odd[..], pattern()[at as usize..at as usize + odd.len()]);
}

#[test]
fn whole_blocks_inside_a_file_are_lent_from_the_cache() {
    let (mut fs, f) = image_with_file(4096);
    let want = pattern();
    for i in [0usize, 1, 100, FILE_BLOCKS - 1] {
        let off = (i * BLOCK_SIZE) as u64;
        let got = fs.with_file_block(f, off, |b| b.to_vec()).unwrap();
        assert_eq!(
            got.as_deref(),
            Some(&want[i * BLOCK_SIZE..(i + 1) * BLOCK_SIZE])
        );
    }
    let reads = fs.device_mut().reads;
    assert!(reads <= 4, "{reads} device reads for 4 blocks");
    // The block is the cache's: a later write shows through it.
    fs.write_at(f, 5, b"new").unwrap();
    let first = fs
        .with_file_block(f, 0, |b| b[..8].to_vec())
        .unwrap()
        .unwrap();
    assert_eq!(&first[5..8], b"new");
    // Not a whole block of file data: unaligned, past the end, a folder.
    assert_eq!(fs.with_file_block(f, 1, |_| ()).unwrap(), None);
    let end = (FILE_BLOCKS * BLOCK_SIZE) as u64;
    assert_eq!(fs.with_file_block(f, end, |_| ()).unwrap(), None);
    assert_eq!(fs.with_file_block(ROOT_INO, 0, |_| ()).unwrap(), None);
    let short = fs.create(ROOT_INO, b"short", 0o644).unwrap();
    fs.write_at(short, 0, &[7u8; 100]).unwrap();
    assert_eq!(fs.with_file_block(short, 0, |_| ()).unwrap(), None);
    fs.truncate(f, end - 1).unwrap();
    assert_eq!(
        fs.with_file_block(f, end - BLOCK_SIZE as u64, |_| ())
            .unwrap(),
        None
    );
}

#[test]
fn blocks_already_cached_are_given_without_reading_the_device() {
    let (mut fs, f) = image_with_file(4096);
    let want = pattern();
    let mut seen = Vec::new();
    // Nothing of the file's data is cached yet: nothing is given.
    let given = fs
        .with_cached_file_blocks(f, 0, 16, |i, _| seen.push(i))
        .unwrap();
    assert_eq!((given, seen.len()), (0, 0));
    let reads = fs.device_mut().reads;
    assert!(reads <= 2, "{reads} device reads (the inode table only)");
    // Read 10 blocks from the middle; the blocks around them come from the cache.
    let mut some = vec![0u8; 10 * BLOCK_SIZE];
    fs.read_at(f, 100 * BLOCK_SIZE as u64, &mut some).unwrap();
    let reads = fs.device_mut().reads;
    let mut got = Vec::new();
    let given = fs
        .with_cached_file_blocks(f, 96 * BLOCK_SIZE as u64, 8, |i, b| {
            got.push((i, b.to_vec()))
        })
        .unwrap();
    assert_eq!(fs.device_mut().reads, reads, "cached blocks hit the device");
    assert_eq!(given, got.len());
    assert_eq!(
        got.first().map(|(i, _)| *i),
        Some(4),
        "blocks 96..100 are not cached"
    );
    for (i, block) in &got {
        let at = (96 + i) * BLOCK_SIZE;
        assert_eq!(block[..], want[at..at + BLOCK_SIZE]);
    }
    // Blocks past the end, partial blocks and unaligned offsets are not given.
    let end = (FILE_BLOCKS * BLOCK_SIZE) as u64;
    fs.read_at(f, end - 2 * BLOCK_SIZE as u64, &mut some[..2 * BLOCK_SIZE])
        .unwrap();
    fs.truncate(f, end - 1).unwrap();
    let given = fs
        .with_cached_file_blocks(f, end - 2 * BLOCK_SIZE as u64, 4, |i, _| assert_eq!(i, 0))
        .unwrap();
    assert_eq!(given, 1, "only the last whole block");
    assert_eq!(fs.with_cached_file_blocks(f, 1, 4, |_, _| ()).unwrap(), 0);
    assert_eq!(
        fs.with_cached_file_blocks(ROOT_INO, 0, 4, |_, _| ())
            .unwrap(),
        0
    );
}

#[test]
fn what_was_just_written_is_read_back_from_the_cache() {
    let (mut fs, _) = image_with_file(4096);
    let g = fs.create(ROOT_INO, b"g", 0o644).unwrap();
    let data = pattern();
    fs.write_at(g, 0, &data).unwrap();
    let reads = fs.device_mut().reads;
    let mut back = vec![0u8; data.len()];
    assert_eq!(fs.read_at(g, 0, &mut back).unwrap(), data.len());
    assert_eq!(back, data);
    assert_eq!(
        fs.device_mut().reads,
        reads,
        "the written blocks were read again"
    );
}
