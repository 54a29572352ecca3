//! The mounted file system: mount/format, inode and block allocation, block
//! mapping (direct, indirect, double indirect), file data I/O and sync.
//! Name-space operations live in `namespace.rs`, directory entries in
//! `dir.rs`, checking in `fsck.rs`.

use alloc::vec;
use alloc::vec::Vec;

use crate::bitmap::Bitmap;
use crate::cache::BlockCache;
use crate::device::{BlockDevice, BLOCK_SIZE};
use crate::error::{Error, Result};
use crate::inode::{
    FileType, Inode, Metadata, SetTimes, DIRECT, MAX_FILE_SIZE, PTRS_PER_BLOCK, S_IFDIR,
};
use crate::inode_scan::InodeScan;
use crate::superblock::{default_inode_count, Geometry, Superblock, INODE_SIZE};
use crate::sync::{WriteOrder, STATE_CLEAN};

/// Inode number of the root directory.
pub const ROOT_INO: u32 = 0;
const BS: u64 = BLOCK_SIZE as u64;
/// Logical blocks reachable through direct and single-indirect pointers.
const SINGLE_END: u32 = DIRECT as u32 + PTRS_PER_BLOCK;
/// Blocks per bulk transfer (1 MiB).
const CHUNK: usize = 256;
/// The fewest blocks a read that misses the cache asks of the device
/// (128 KiB), when the file continues on disk: a program's pages fault in
/// one at a time, and each device request costs far more than its bytes.
const READ_AHEAD: usize = 32;
/// The blocks a mapped page that misses the cache brings in (1 MiB): a
/// program's pages fault in scattered over its text, so a larger run
/// saves many device requests for little memory.
const FAULT_READ_AHEAD: usize = CHUNK;

/// How to mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountOptions {
    /// Refuse every change with [`Error::ReadOnly`]; never write the device.
    pub read_only: bool,
    /// Let directories grow past 12 blocks. This crate reads indirect
    /// directory blocks, but the VeridianOS project's original kernel reads
    /// only a directory's 12 direct blocks, so by default such growth fails
    /// with [`Error::DirTooLarge`] and images stay readable there. Either way a directory stops at
    /// [`MAX_DIR_SIZE`](crate::MAX_DIR_SIZE) (direct + single indirect).
    pub allow_large_dirs: bool,
    /// Capacity of the write-back cache, in blocks.
    pub cache_blocks: usize,
}

impl Default for MountOptions {
    fn default() -> Self {
        MountOptions {
            read_only: false,
            allow_large_dirs: false,
            cache_blocks: 4096,
        }
    }
}

/// How to format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FormatOptions {
    /// Blocks to use; default: the whole device.
    pub block_count: Option<u32>,
    /// Inode slots; default: `clamp(block_count / 4, 672, 65536)`.
    pub inode_count: Option<u32>,
    /// The device is known to read as zeros (a fresh sparse file): skip
    /// zeroing the bitmap and inode table.
    pub assume_zeroed: bool,
}

/// Free-space figures, as `statfs` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u32,
    pub total_blocks: u32,
    pub free_blocks: u32,
    /// Inode slots that can be used (see [`Geometry::usable_inodes`]).
    pub total_inodes: u32,
    pub free_inodes: u32,
}

/// Where a logical block's pointer lives.
enum Slot {
    Direct(usize),
    Single(u32),
    Double(u32, u32),
}

fn slot_of(lblk: u32) -> Result<Slot> {
    if (lblk as usize) < DIRECT {
        Ok(Slot::Direct(lblk as usize))
    } else if lblk < SINGLE_END {
        Ok(Slot::Single(lblk - DIRECT as u32))
    } else {
        let rel = lblk - SINGLE_END;
        if rel >= PTRS_PER_BLOCK * PTRS_PER_BLOCK {
            return Err(Error::TooBig);
        }
        Ok(Slot::Double(rel / PTRS_PER_BLOCK, rel % PTRS_PER_BLOCK))
    }
}

#[cfg(feature = "std")]
fn default_clock() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().min(u32::MAX as u64) as u32)
        .unwrap_or(0)
}

#[cfg(not(feature = "std"))]
fn default_clock() -> u32 {
    0
}

/// A mounted BlockFS over a [`BlockDevice`].
///
/// Changes collect in memory (bitmaps) and in the write-back cache until
/// [`sync`](Self::sync) or [`unmount`](Self::unmount) write them back in
/// a crash-safe order (see `sync.rs`); dropping the value without either
/// loses them. File data written in whole blocks may reach the device
/// earlier, never before the blocks it lands in are allocated on disk
/// only to it.
pub struct FileSystem<D: BlockDevice> {
    pub(crate) dev: D,
    pub(crate) geo: Geometry,
    pub(crate) sb: Superblock,
    pub(crate) cache: BlockCache,
    /// Block bitmap (set = used).
    pub(crate) blocks: Bitmap,
    /// What the ordered write-back tracks between syncs.
    pub(crate) order: WriteOrder,
    /// The superblock said "clean" at mount.
    pub(crate) mounted_clean: bool,
    /// Inode slots in use (links_count != 0; the root always), as far as
    /// the inode table has been read: slots not read yet count as used.
    pub(crate) inodes: Bitmap,
    /// How much of the inode table has been read (see `inode_scan`).
    pub(crate) inode_scan: InodeScan,
    pub(crate) opts: MountOptions,
    clock: fn() -> u32,
    /// The buffer runs of blocks are read into on their way to the cache,
    /// kept between reads (up to [`CHUNK`] blocks) rather than allocated
    /// and zeroed for each.
    pub(crate) run_buffer: Vec<u8>,
}

impl<D: BlockDevice> FileSystem<D> {
    /// Mounts the file system on `dev`, validating the superblock against
    /// the format and the device size and loading the bitmap. The inode
    /// table is read at once only if the image was not cleanly unmounted;
    /// otherwise as inode allocation needs it (`inode_scan`).
    pub fn mount(mut dev: D, opts: MountOptions) -> Result<Self> {
        let mut block0 = [0u8; BLOCK_SIZE];
        dev.read_block(0, &mut block0)?;
        let sb = Superblock::parse(&block0);
        let geo = sb.geometry(dev.block_count())?;

        let mut raw = vec![0u8; geo.bitmap_blocks as usize * BLOCK_SIZE];
        dev.read_blocks(1, &mut raw)?;
        let disk_blocks = Bitmap::from_bytes(&raw, geo.block_count);
        drop(raw);
        let mut blocks = disk_blocks.clone();
        for b in 0..geo.first_data_block {
            blocks.set(b, true);
        }

        // The inode table is read as allocation needs it (`inode_scan`):
        // until then its slots count as used, and the superblock says how
        // many of them are free.
        let usable = geo.usable_inodes();
        let inodes = Bitmap::all_used(usable);
        let unread_free = sb
            .free_inodes
            .saturating_sub(geo.inode_count - usable)
            .min(usable.saturating_sub(1));
        let clean = sb.state == STATE_CLEAN;
        let mut fs = FileSystem {
            dev,
            order: WriteOrder::new(disk_blocks, clean),
            mounted_clean: clean,
            geo,
            sb,
            cache: BlockCache::new(opts.cache_blocks),
            blocks,
            inodes,
            inode_scan: InodeScan {
                blocks_read: 0,
                unread_free,
            },
            opts,
            clock: default_clock,
            run_buffer: Vec::new(),
        };
        if !clean {
            // fsck follows: the superblock's counts cannot be trusted.
            fs.read_all_inodes()?;
        }
        let root = fs.read_inode(ROOT_INO)?;
        if root.file_type()? != FileType::Directory {
            return Err(Error::Corrupt("root inode is not a directory"));
        }
        Ok(fs)
    }

    /// Formats `dev` and returns it mounted read-write (with default
    /// [`MountOptions`]). The result is synced.
    pub fn format(mut dev: D, fopts: &FormatOptions) -> Result<Self> {
        let dev_blocks = u32::try_from(dev.block_count()).unwrap_or(u32::MAX);
        let block_count = fopts.block_count.unwrap_or(dev_blocks);
        if block_count > dev_blocks {
            return Err(Error::Invalid);
        }
        let inode_count = fopts
            .inode_count
            .unwrap_or_else(|| default_inode_count(block_count));
        let geo = Geometry::new(block_count, inode_count).map_err(|_| Error::NoSpace)?;
        if !fopts.assume_zeroed {
            let zeros = vec![0u8; CHUNK * BLOCK_SIZE];
            let mut b = 1u32;
            while b < geo.first_data_block {
                let n = (geo.first_data_block - b).min(CHUNK as u32) as usize;
                dev.write_blocks(b as u64, &zeros[..n * BLOCK_SIZE])?;
                b += n as u32;
            }
        }
        let mut blocks = Bitmap::new(geo.block_count);
        for b in 0..geo.first_data_block {
            blocks.set(b, true);
        }
        let mut inodes = Bitmap::new(geo.usable_inodes());
        inodes.set(ROOT_INO, true);
        let mut fs = FileSystem {
            dev,
            // Zeroed above (or known to be zero): everything free, and
            // the superblock not valid yet.
            order: WriteOrder::new(Bitmap::new(geo.block_count), false),
            mounted_clean: true,
            sb: Superblock::new(&geo),
            geo,
            cache: BlockCache::new(MountOptions::default().cache_blocks),
            blocks,
            inodes,
            inode_scan: InodeScan::complete(geo.inode_table_blocks),
            opts: MountOptions::default(),
            clock: default_clock,
            run_buffer: Vec::new(),
        };
        let now = fs.now();
        let mut root = Inode {
            mode: S_IFDIR | 0o755,
            links: 2,
            atime: now,
            ctime: now,
            mtime: now,
            ..Default::default()
        };
        fs.init_dir(&mut root, ROOT_INO, ROOT_INO)?;
        fs.write_inode(ROOT_INO, &root)?;
        fs.sync()?;
        Ok(fs)
    }

    /// Replaces the time source (seconds since the epoch). Without `std`
    /// the default clock always returns 0.
    pub fn set_clock(&mut self, clock: fn() -> u32) {
        self.clock = clock;
    }

    /// Sets how the cache learns that a block lent with
    /// [`Self::lend_file_block`] is no longer held outside it.
    pub fn set_lent_probe(&mut self, probe: crate::cache::LentProbe) {
        self.cache.set_lent_probe(probe);
    }

    pub(crate) fn now(&self) -> u32 {
        (self.clock)()
    }

    /// The layout of the mounted image.
    pub fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// The superblock as it will be written at the next sync.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// The options the file system was mounted with.
    pub fn options(&self) -> &MountOptions {
        &self.opts
    }

    /// Free blocks and inodes.
    pub fn statfs(&self) -> StatFs {
        StatFs {
            block_size: BLOCK_SIZE as u32,
            total_blocks: self.geo.block_count,
            // Counting what the next sync frees (allocation syncs first
            // when it needs those).
            free_blocks: self.blocks.free() + self.order.freed_blocks.len() as u32,
            total_inodes: self.inodes.len(),
            free_inodes: self.free_inode_slots() + self.order.freed_inodes.len() as u32,
        }
    }

    /// Syncs, marks the image cleanly unmounted (a read-only mount
    /// writes nothing) and hands the device back.
    pub fn unmount(mut self) -> Result<D> {
        self.sync_clean()?;
        Ok(self.dev)
    }

    /// The device, for callers that know what they do (tests, tools).
    pub fn device_mut(&mut self) -> &mut D {
        &mut self.dev
    }

    /// Keeps the superblock counters in step with the bitmaps (they start
    /// as read from disk, so fsck can compare them until the first change).
    pub(crate) fn update_counters(&mut self) {
        self.sb.free_blocks = self.blocks.free();
        self.sb.free_inodes =
            self.geo.inode_count - self.geo.usable_inodes() + self.free_inode_slots();
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.opts.read_only {
            Err(Error::ReadOnly)
        } else {
            Ok(())
        }
    }

    // ---- inodes ----

    /// Reads inode slot `ino` whatever its state.
    pub(crate) fn read_inode(&mut self, ino: u32) -> Result<Inode> {
        if ino >= self.geo.usable_inodes() {
            return Err(Error::Corrupt("inode number out of range"));
        }
        let (blk, off) = self.geo.inode_location(ino);
        let data = self.cache.read(&mut self.dev, blk)?;
        let mut raw = [0u8; INODE_SIZE];
        raw.copy_from_slice(&data[off..off + INODE_SIZE]);
        Ok(Inode::parse(&raw))
    }

    pub(crate) fn write_inode(&mut self, ino: u32, inode: &Inode) -> Result<()> {
        if ino >= self.geo.usable_inodes() {
            return Err(Error::Corrupt("inode number out of range"));
        }
        let (blk, off) = self.geo.inode_location(ino);
        let data = self.cache.modify(&mut self.dev, blk)?;
        let mut raw = [0u8; INODE_SIZE];
        inode.write(&mut raw);
        data[off..off + INODE_SIZE].copy_from_slice(&raw);
        Ok(())
    }

    /// Reads a live inode and its type; `NotFound` for a free slot.
    pub(crate) fn live_inode(&mut self, ino: u32) -> Result<(Inode, FileType)> {
        if ino >= self.geo.usable_inodes() {
            return Err(Error::NotFound);
        }
        let inode = self.read_inode(ino)?;
        if !inode.in_use() && ino != ROOT_INO {
            return Err(Error::NotFound);
        }
        let ft = inode.file_type()?;
        Ok((inode, ft))
    }

    pub(crate) fn alloc_inode(&mut self) -> Result<u32> {
        self.check_writable()?;
        loop {
            if let Some(ino) = self.inodes.alloc_from(1) {
                self.update_counters();
                return Ok(ino);
            }
            if self.read_more_inodes()? {
                continue;
            }
            if self.order.freed_inodes.is_empty() {
                return Err(Error::NoInodes);
            }
            // Slots freed since the last sync become usable after it.
            self.sync()?;
        }
    }

    /// Releases an inode's blocks and clears its slot.
    pub(crate) fn free_inode(&mut self, ino: u32, inode: &mut Inode) -> Result<()> {
        self.free_from(inode, 0)?;
        let dtime = self.now();
        *inode = Inode {
            dtime,
            ..Default::default()
        };
        self.write_inode(ino, inode)?;
        self.defer_inode_free(ino);
        Ok(())
    }

    /// Marks inode slot `ino` used or free (the root stays used).
    pub(crate) fn set_inode_used(&mut self, ino: u32, used: bool) {
        if ino != ROOT_INO && self.inodes.set(ino, used) {
            self.update_counters();
        }
    }

    /// `stat` for inode `ino`.
    pub fn metadata(&mut self, ino: u32) -> Result<Metadata> {
        let (i, file_type) = self.live_inode(ino)?;
        Ok(Metadata {
            ino,
            file_type,
            perm: i.mode & 0o7777,
            uid: i.uid,
            gid: i.gid,
            size: i.size as u64,
            nlink: i.links,
            atime: i.atime,
            mtime: i.mtime,
            ctime: i.ctime,
            blocks: i.blocks,
        })
    }

    /// Changes the permission bits (`chmod`); the type bits stay.
    pub fn set_mode(&mut self, ino: u32, perm: u16) -> Result<()> {
        self.check_writable()?;
        let (mut i, _) = self.live_inode(ino)?;
        i.mode = (i.mode & crate::inode::S_IFMT) | (perm & 0o7777);
        i.ctime = self.now();
        self.write_inode(ino, &i)
    }

    /// Changes owner and group (`chown`).
    pub fn set_owner(&mut self, ino: u32, uid: u16, gid: u16) -> Result<()> {
        self.check_writable()?;
        let (mut i, _) = self.live_inode(ino)?;
        i.uid = uid;
        i.gid = gid;
        i.ctime = self.now();
        self.write_inode(ino, &i)
    }

    /// Sets access and/or modification time (`utimes`).
    pub fn set_times(&mut self, ino: u32, times: SetTimes) -> Result<()> {
        self.check_writable()?;
        let (mut i, _) = self.live_inode(ino)?;
        if let Some(a) = times.atime {
            i.atime = a;
        }
        if let Some(m) = times.mtime {
            i.mtime = m;
        }
        i.ctime = self.now();
        self.write_inode(ino, &i)
    }

    // ---- blocks ----

    pub(crate) fn alloc_block(&mut self) -> Result<u32> {
        self.check_writable()?;
        if self.blocks.free() == 0 && !self.order.freed_blocks.is_empty() {
            // Blocks freed since the last sync become usable after it.
            self.sync()?;
        }
        let b = self
            .blocks
            .alloc_from(self.geo.first_data_block)
            .ok_or(Error::NoSpace)?;
        self.update_counters();
        Ok(b)
    }

    pub(crate) fn free_block(&mut self, block: u32) -> Result<()> {
        if !self.geo.is_data_block(block) {
            return Err(Error::Corrupt("block pointer out of range"));
        }
        self.defer_block_free(block);
        Ok(())
    }

    /// Marks `block` used or free in the bitmap (fsck repair).
    pub(crate) fn set_block_used(&mut self, block: u32, used: bool) {
        if self.blocks.set(block, used) {
            self.update_counters();
        }
    }

    /// Validates a pointer read from disk; 0 stays 0 (a hole).
    pub(crate) fn check_ptr(&self, p: u32) -> Result<u32> {
        if p == 0 || self.geo.is_data_block(p) {
            Ok(p)
        } else {
            Err(Error::Corrupt("block pointer out of range"))
        }
    }

    pub(crate) fn ptr_at(&mut self, block: u32, idx: u32) -> Result<u32> {
        let data = self.cache.read(&mut self.dev, block)?;
        let o = idx as usize * 4;
        let p = u32::from_le_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]);
        self.check_ptr(p)
    }

    pub(crate) fn set_ptr(&mut self, block: u32, idx: u32, p: u32) -> Result<()> {
        let data = self.cache.modify(&mut self.dev, block)?;
        let o = idx as usize * 4;
        data[o..o + 4].copy_from_slice(&p.to_le_bytes());
        Ok(())
    }

    /// Physical block of logical block `lblk`, `None` for a hole.
    pub(crate) fn bmap(&mut self, inode: &Inode, lblk: u32) -> Result<Option<u32>> {
        let p = match slot_of(lblk)? {
            Slot::Direct(i) => self.check_ptr(inode.direct[i])?,
            Slot::Single(i) => match self.check_ptr(inode.indirect)? {
                0 => 0,
                ind => self.ptr_at(ind, i)?,
            },
            Slot::Double(i, j) => match self.check_ptr(inode.double_indirect)? {
                0 => 0,
                dind => match self.ptr_at(dind, i)? {
                    0 => 0,
                    ind => self.ptr_at(ind, j)?,
                },
            },
        };
        Ok(if p == 0 { None } else { Some(p) })
    }

    /// A freshly allocated, zeroed block counted in `inode.blocks`.
    fn new_block(&mut self, inode: &mut Inode) -> Result<u32> {
        let b = self.alloc_block()?;
        self.cache.zeroed(&mut self.dev, b)?;
        inode.blocks = inode.blocks.saturating_add(1);
        Ok(b)
    }

    /// Pointer `idx` of pointer block `block`, allocating it if absent.
    /// Returns the block and whether it is new.
    fn ptr_or_alloc(
        &mut self,
        inode: &mut Inode,
        block: u32,
        idx: u32,
        zero: bool,
    ) -> Result<(u32, bool)> {
        match self.ptr_at(block, idx)? {
            0 => {
                let b = self.alloc_block()?;
                if zero {
                    self.cache.zeroed(&mut self.dev, b)?;
                }
                inode.blocks = inode.blocks.saturating_add(1);
                self.set_ptr(block, idx, b)?;
                Ok((b, true))
            }
            p => Ok((p, false)),
        }
    }

    /// Physical block of `lblk`, allocating it (and any pointer blocks) when
    /// absent. Returns the block and whether the data block is new. A new
    /// data block is not zeroed: the caller fills it.
    pub(crate) fn bmap_alloc(&mut self, inode: &mut Inode, lblk: u32) -> Result<(u32, bool)> {
        match slot_of(lblk)? {
            Slot::Direct(i) => match self.check_ptr(inode.direct[i])? {
                0 => {
                    let b = self.alloc_block()?;
                    inode.blocks = inode.blocks.saturating_add(1);
                    inode.direct[i] = b;
                    Ok((b, true))
                }
                p => Ok((p, false)),
            },
            Slot::Single(i) => {
                if self.check_ptr(inode.indirect)? == 0 {
                    inode.indirect = self.new_block(inode)?;
                }
                self.ptr_or_alloc(inode, inode.indirect, i, false)
            }
            Slot::Double(i, j) => {
                if self.check_ptr(inode.double_indirect)? == 0 {
                    inode.double_indirect = self.new_block(inode)?;
                }
                let (ind, _) = self.ptr_or_alloc(inode, inode.double_indirect, i, true)?;
                self.ptr_or_alloc(inode, ind, j, false)
            }
        }
    }

    /// Frees the pointers `from..1024` of pointer block `block`; clears them
    /// unless the block itself is about to be freed.
    fn free_ptrs(&mut self, inode: &mut Inode, block: u32, from: u32, clear: bool) -> Result<()> {
        for idx in from..PTRS_PER_BLOCK {
            let p = self.ptr_at(block, idx)?;
            if p != 0 {
                self.free_block(p)?;
                inode.blocks = inode.blocks.saturating_sub(1);
                if clear {
                    self.set_ptr(block, idx, 0)?;
                }
            }
        }
        Ok(())
    }

    /// Frees every data block at logical index `first` or above, and every
    /// pointer block left without use.
    pub(crate) fn free_from(&mut self, inode: &mut Inode, first: u32) -> Result<()> {
        for i in (first as usize).min(DIRECT)..DIRECT {
            let p = self.check_ptr(inode.direct[i])?;
            if p != 0 {
                self.free_block(p)?;
                inode.blocks = inode.blocks.saturating_sub(1);
                inode.direct[i] = 0;
            }
        }
        let ind = self.check_ptr(inode.indirect)?;
        if ind != 0 && first < SINGLE_END {
            let from = first.saturating_sub(DIRECT as u32);
            self.free_ptrs(inode, ind, from, from != 0)?;
            if from == 0 {
                self.free_block(ind)?;
                inode.blocks = inode.blocks.saturating_sub(1);
                inode.indirect = 0;
            }
        }
        let dind = self.check_ptr(inode.double_indirect)?;
        if dind != 0 {
            let rel = first.saturating_sub(SINGLE_END);
            for i in 0..PTRS_PER_BLOCK {
                let base = i * PTRS_PER_BLOCK;
                if base + PTRS_PER_BLOCK <= rel {
                    continue;
                }
                let ind = self.ptr_at(dind, i)?;
                if ind == 0 {
                    continue;
                }
                let from = rel.saturating_sub(base);
                self.free_ptrs(inode, ind, from, from != 0)?;
                if from == 0 {
                    self.free_block(ind)?;
                    inode.blocks = inode.blocks.saturating_sub(1);
                    if rel != 0 {
                        self.set_ptr(dind, i, 0)?;
                    }
                }
            }
            if rel == 0 {
                self.free_block(dind)?;
                inode.blocks = inode.blocks.saturating_sub(1);
                inode.double_indirect = 0;
            }
        }
        Ok(())
    }

    // ---- data ----

    /// Reads `buf.len()` bytes at `off` (the caller clamps to the size).
    /// Holes read as zeros. Every block read goes through the cache; a
    /// block the cache lacks is read together with the following blocks
    /// of the file that lie next to it on disk (the rest of this read, and
    /// at least [`READ_AHEAD`] blocks), in one device request.
    pub(crate) fn read_data(&mut self, inode: &Inode, off: u64, buf: &mut [u8]) -> Result<()> {
        let mut done = 0usize;
        while done < buf.len() {
            let pos = off + done as u64;
            let lblk = u32::try_from(pos / BS).map_err(|_| Error::TooBig)?;
            let in_blk = (pos % BS) as usize;
            let n = (BLOCK_SIZE - in_blk).min(buf.len() - done);
            match self.bmap(inode, lblk)? {
                None => buf[done..done + n].fill(0),
                Some(p) => {
                    if !self.cache.contains(p) {
                        let still_wanted = (in_blk + buf.len() - done).div_ceil(BLOCK_SIZE);
                        self.read_run_into_cache(inode, lblk, p, still_wanted)?;
                    }
                    let data = self.cache.read(&mut self.dev, p)?;
                    buf[done..done + n].copy_from_slice(&data[in_blk..in_blk + n]);
                }
            }
            done += n;
        }
        Ok(())
    }

    /// Caches physical block `p` (logical block `lblk` of `inode`, not
    /// cached) and the blocks after it that continue the file on disk and
    /// are not cached either: up to `wanted` blocks or [`READ_AHEAD`],
    /// whichever is more, within the file, [`CHUNK`] and half the cache.
    fn read_run_into_cache(
        &mut self,
        inode: &Inode,
        lblk: u32,
        p: u32,
        wanted: usize,
    ) -> Result<()> {
        let file_blocks = (inode.size as u64).div_ceil(BS);
        let limit = wanted
            .clamp(READ_AHEAD, CHUNK)
            .min(self.cache.capacity() / 2)
            .min(usize::try_from(file_blocks.saturating_sub(lblk as u64)).unwrap_or(CHUNK))
            .max(1);
        let mut run = 1usize;
        while run < limit {
            match self.bmap(inode, lblk + run as u32)? {
                Some(q) if p.checked_add(run as u32) == Some(q) && !self.cache.contains(q) => {
                    run += 1
                }
                _ => break,
            }
        }
        let mut buffer = core::mem::take(&mut self.run_buffer);
        if buffer.len() < run * BLOCK_SIZE {
            buffer.resize(run * BLOCK_SIZE, 0);
        }
        let result = self.cache_run_from(p, &mut buffer[..run * BLOCK_SIZE]);
        self.run_buffer = buffer;
        result
    }

    /// Reads the blocks from `p` on into `buffer`, then into the cache.
    fn cache_run_from(&mut self, p: u32, buffer: &mut [u8]) -> Result<()> {
        self.dev.read_blocks(p as u64, buffer)?;
        for (i, block) in buffer.chunks_exact(BLOCK_SIZE).enumerate() {
            self.cache
                .insert_clean(&mut self.dev, p + i as u32, block)?;
        }
        Ok(())
    }

    /// Writes `data` at `off`, allocating blocks; does not change the size.
    /// Whole blocks that are not cached are written straight to the device,
    /// consecutive ones in one request (and then cached clean).
    pub(crate) fn write_data(&mut self, inode: &mut Inode, off: u64, data: &[u8]) -> Result<()> {
        let mut done = 0usize;
        let is_dir = inode.mode & crate::inode::S_IFMT == S_IFDIR;
        // Pending direct run: (first physical block, offset in data, blocks).
        let mut run: Option<(u32, usize, usize)> = None;
        let result = (|| -> Result<()> {
            while done < data.len() {
                let pos = off + done as u64;
                let lblk = u32::try_from(pos / BS).map_err(|_| Error::TooBig)?;
                let in_blk = (pos % BS) as usize;
                let n = (BLOCK_SIZE - in_blk).min(data.len() - done);
                let (p, fresh) = self.bmap_alloc(inode, lblk)?;
                if is_dir {
                    self.note_dir_block(p);
                }
                if n == BLOCK_SIZE && !is_dir && !self.cache.contains(p) {
                    match run {
                        Some((start, _, len)) if start + len as u32 == p && len < CHUNK => {
                            run = run.map(|(s, o, l)| (s, o, l + 1));
                        }
                        _ => {
                            if let Some((s, o, l)) = run.take() {
                                self.write_through(s, &data[o..o + l * BLOCK_SIZE])?;
                            }
                            run = Some((p, done, 1));
                        }
                    }
                } else {
                    let blk = if fresh {
                        self.cache.zeroed(&mut self.dev, p)?
                    } else {
                        self.cache.modify(&mut self.dev, p)?
                    };
                    blk[in_blk..in_blk + n].copy_from_slice(&data[done..done + n]);
                }
                done += n;
            }
            Ok(())
        })();
        if let Some((s, o, l)) = run {
            self.write_through(s, &data[o..o + l * BLOCK_SIZE])?;
        }
        result
    }

    /// Writes whole blocks from `start` straight to the device in one
    /// request, then keeps them in the cache as clean copies: what was just
    /// written is often read next (a program written, then run; an rlib
    /// written, then read by the next compiler).
    fn write_through(&mut self, start: u32, bytes: &[u8]) -> Result<()> {
        self.dev.write_blocks(start as u64, bytes)?;
        for (i, block) in bytes.chunks_exact(BLOCK_SIZE).enumerate() {
            self.cache
                .insert_clean(&mut self.dev, start + i as u32, block)?;
        }
        Ok(())
    }

    /// Reads up to `buf.len()` bytes of a file at `off`; returns the count
    /// (0 at or past the end).
    pub fn read_at(&mut self, ino: u32, off: u64, buf: &mut [u8]) -> Result<usize> {
        let (inode, ft) = self.live_inode(ino)?;
        if ft == FileType::Directory {
            return Err(Error::IsDir);
        }
        let size = inode.size as u64;
        if off >= size {
            return Ok(0);
        }
        let n = ((size - off) as usize).min(buf.len());
        self.read_data(&inode, off, &mut buf[..n])?;
        Ok(n)
    }

    /// Calls `f` with the cached block holding bytes `[off, off +
    /// BLOCK_SIZE)` of a regular file, reading it (with what follows it on
    /// disk) into the cache first. `None` unless `off` is block-aligned and
    /// the whole block lies inside the file on an allocated block. A kernel
    /// maps such a block into a process instead of copying it; the bytes
    /// are the file's current contents, as `read_at` would return them.
    pub fn with_file_block<R>(
        &mut self,
        ino: u32,
        off: u64,
        f: impl FnOnce(&[u8; BLOCK_SIZE]) -> R,
    ) -> Result<Option<R>> {
        let Some(p) = self.cached_file_block(ino, off, true)? else {
            return Ok(None);
        };
        Ok(Some(f(self.cache.read(&mut self.dev, p)?)))
    }

    /// Calls `f(i, block)` for each `i < count` whose block of a regular
    /// file, bytes `[off + i * BLOCK_SIZE, …)`, is wholly inside the file
    /// and already in the cache; data blocks are never read from the device.
    /// Returns how many blocks `f` saw. A kernel maps these around a page
    /// fault, saving the faults that would follow.
    pub fn with_cached_file_blocks(
        &mut self,
        ino: u32,
        off: u64,
        count: usize,
        mut f: impl FnMut(usize, &[u8; BLOCK_SIZE]),
    ) -> Result<usize> {
        let (inode, ft) = self.live_inode(ino)?;
        if ft != FileType::Regular || !off.is_multiple_of(BS) {
            return Ok(0);
        }
        let whole_blocks = inode.size as u64 / BS;
        let first = off / BS;
        let mut seen = 0;
        for i in 0..count {
            let Some(lblk) = first.checked_add(i as u64).filter(|&b| b < whole_blocks) else {
                break;
            };
            let lblk = u32::try_from(lblk).map_err(|_| Error::TooBig)?;
            match self.bmap(&inode, lblk)? {
                Some(p) if self.cache.contains(p) => {
                    f(i, self.cache.read(&mut self.dev, p)?);
                    seen += 1;
                }
                _ => {}
            }
        }
        Ok(seen)
    }

    /// The block of a regular file that starts at byte `off`, read into
    /// the cache: `None` unless `off` is block-aligned and below the file's
    /// size — and, if `whole`, the whole block lies inside the file.
    fn cached_file_block(&mut self, ino: u32, off: u64, whole: bool) -> Result<Option<u32>> {
        let (inode, ft) = self.live_inode(ino)?;
        let end = if whole {
            off.checked_add(BS)
        } else {
            off.checked_add(1)
        };
        let inside = end.is_some_and(|end| end <= inode.size as u64);
        if ft != FileType::Regular || !off.is_multiple_of(BS) || !inside {
            return Ok(None);
        }
        let lblk = u32::try_from(off / BS).map_err(|_| Error::TooBig)?;
        let Some(p) = self.bmap(&inode, lblk)? else {
            return Ok(None);
        };
        if !self.cache.contains(p) {
            self.read_run_into_cache(&inode, lblk, p, FAULT_READ_AHEAD)?;
        }
        Ok(Some(p))
    }

    /// Lends the cached block holding bytes `[off, off + BLOCK_SIZE)` of a
    /// regular file for writing (a shared, writable mapping of the file):
    /// `f` gets the block, which stays the file's and in the cache, and
    /// every sync writes it while it is held outside the cache. `off` must
    /// be block-aligned and below the file's size; bytes of the block past
    /// the end of the file read as zeros and do not become part of the
    /// file (growing the file zeroes them again). `None` when `off` is not
    /// such an offset or half the cache is lent already.
    pub fn lend_file_block<R>(
        &mut self,
        ino: u32,
        off: u64,
        f: impl FnOnce(&[u8; BLOCK_SIZE]) -> R,
    ) -> Result<Option<R>> {
        self.check_writable()?;
        let Some(p) = self.cached_file_block(ino, off, false)? else {
            return Ok(None);
        };
        Ok(self.cache.lend(&mut self.dev, p)?.map(f))
    }

    /// Writes `data` into a regular file at `off`, growing it as needed (a
    /// gap is filled with allocated zero blocks: files are never sparse).
    /// Either the whole write lands or, on error (e.g. `NoSpace`), the size
    /// and allocation stay as they were.
    pub fn write_at(&mut self, ino: u32, off: u64, data: &[u8]) -> Result<usize> {
        self.check_writable()?;
        let (mut inode, ft) = self.live_inode(ino)?;
        match ft {
            FileType::Directory => return Err(Error::IsDir),
            FileType::Symlink | FileType::Socket => return Err(Error::Invalid),
            FileType::Regular => {}
        }
        let end = off.checked_add(data.len() as u64).ok_or(Error::TooBig)?;
        if end > MAX_FILE_SIZE {
            return Err(Error::TooBig);
        }
        let old = inode.clone();
        let res = self
            .grow_to(&mut inode, off)
            .and_then(|_| self.write_data(&mut inode, off, data));
        if let Err(e) = res {
            // Give back what this call allocated.
            let keep = (old.size as u64).div_ceil(BS) as u32;
            self.free_from(&mut inode, keep)?;
            inode.size = old.size;
            self.write_inode(ino, &inode)?;
            return Err(e);
        }
        inode.size = inode.size.max(end as u32);
        let now = self.now();
        inode.mtime = now;
        inode.ctime = now;
        self.write_inode(ino, &inode)?;
        self.writeback_if_full()?;
        Ok(data.len())
    }

    /// Extends `inode` to `new_size` with zeros, allocating every block.
    fn grow_to(&mut self, inode: &mut Inode, new_size: u64) -> Result<()> {
        let size = inode.size as u64;
        if new_size <= size {
            return Ok(());
        }
        // Bytes past the old end in its last block must read as zeros.
        if !size.is_multiple_of(BS) {
            let lblk = (size / BS) as u32;
            if let Some(p) = self.bmap(inode, lblk)? {
                let blk = self.cache.modify(&mut self.dev, p)?;
                blk[(size % BS) as usize..].fill(0);
            }
        }
        for lblk in size.div_ceil(BS)..new_size.div_ceil(BS) {
            let (p, fresh) = self.bmap_alloc(inode, lblk as u32)?;
            if fresh {
                self.cache.zeroed(&mut self.dev, p)?;
            }
        }
        Ok(())
    }

    /// Sets a regular file's size: shrinking frees blocks, growing
    /// allocates zero-filled ones.
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<()> {
        self.check_writable()?;
        let (mut inode, ft) = self.live_inode(ino)?;
        match ft {
            FileType::Directory => return Err(Error::IsDir),
            FileType::Symlink | FileType::Socket => return Err(Error::Invalid),
            FileType::Regular => {}
        }
        if size > MAX_FILE_SIZE {
            return Err(Error::TooBig);
        }
        let old_size = inode.size;
        if size < old_size as u64 {
            self.free_from(&mut inode, size.div_ceil(BS) as u32)?;
            if !size.is_multiple_of(BS) {
                if let Some(p) = self.bmap(&inode, (size / BS) as u32)? {
                    let blk = self.cache.modify(&mut self.dev, p)?;
                    blk[(size % BS) as usize..].fill(0);
                }
            }
        } else if let Err(e) = self.grow_to(&mut inode, size) {
            self.free_from(&mut inode, (old_size as u64).div_ceil(BS) as u32)?;
            self.write_inode(ino, &inode)?;
            return Err(e);
        }
        inode.size = size as u32;
        let now = self.now();
        inode.mtime = now;
        inode.ctime = now;
        self.write_inode(ino, &inode)?;
        self.writeback_if_full()
    }
}
