//! Ordered write-back: the order in which [`FileSystem::sync`] puts changes
//! on the device so that a crash at any write leaves an image `fsck`
//! repairs without losing what an earlier sync made durable, and without a
//! block claimed by two files.
//!
//! The rules, soft-updates style, each phase ending with a device flush
//! (skipped when the phase wrote nothing):
//!
//! 1. **Data first.** Every dirty block in the data area except directory
//!    blocks that already exist on disk: file contents, pointer blocks,
//!    freshly allocated directory blocks. Then the block bitmap with the new
//!    allocations set (blocks freed since the last sync still set). Nothing
//!    on disk points to a newly allocated block yet, so these writes cannot
//!    hurt what is there.
//! 2. **Inodes before the entries naming them.** The inode table, except
//!    that the slots of inodes freed since the last sync keep their on-disk
//!    contents: an entry still naming such an inode on disk stays valid.
//! 3. **Directory blocks** modified in place: new names now point to
//!    initialized inodes. Blocks where an entry was removed go after a
//!    flush behind the others, so a file renamed from one block to another
//!    has its new name on disk before the old one goes (old, new or both
//!    names after a crash, fsck fixing the link count) unless the new
//!    name's block also lost an entry in the same sync.
//! 4. **Frees last.** The freed inode slots, the bitmap with the freed
//!    blocks cleared, and the superblock (counters, state).
//!
//! Blocks and inodes freed since the last sync are not handed out again
//! until phase 4 is on disk, so a block is never rewritten for a new owner
//! while an on-disk pointer of its old owner still names it.
//!
//! The superblock's `state` is [`STATE_CLEAN`] on disk only after an
//! orderly [`FileSystem::unmount`] or [`FileSystem::sync_clean`]; the first
//! sync after that writes [`STATE_DIRTY`] (and flushes) before anything
//! else, so an image found dirty at mount may hold a half-done sync.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::bitmap::Bitmap;
use crate::device::{BlockDevice, BLOCK_SIZE};
use crate::error::Result;
use crate::fs::FileSystem;
use crate::superblock::{INODES_PER_BLOCK, INODE_SIZE};

/// `state` of a cleanly unmounted image (what the image builder writes).
pub const STATE_CLEAN: u16 = 1;
/// `state` while mounted read-write, and after a crash.
pub const STATE_DIRTY: u16 = 0;

/// What the ordered write-back remembers between syncs.
#[derive(Debug, Clone)]
pub(crate) struct WriteOrder {
    /// The block bitmap as it is on disk.
    pub disk_blocks: Bitmap,
    /// Blocks freed since the last sync (still set in the bitmap).
    pub freed_blocks: BTreeSet<u32>,
    /// Inodes freed since the last sync (still set in the inode map).
    pub freed_inodes: BTreeSet<u32>,
    /// Directory data blocks written since the last sync.
    pub dir_blocks: BTreeSet<u32>,
    /// Those of them where an entry was removed.
    pub dir_removals: BTreeSet<u32>,
    /// Whether the superblock on disk says [`STATE_CLEAN`].
    pub disk_clean: bool,
}

impl WriteOrder {
    pub fn new(disk_blocks: Bitmap, disk_clean: bool) -> Self {
        WriteOrder {
            disk_blocks,
            freed_blocks: BTreeSet::new(),
            freed_inodes: BTreeSet::new(),
            dir_blocks: BTreeSet::new(),
            dir_removals: BTreeSet::new(),
            disk_clean,
        }
    }
}

impl<D: BlockDevice> FileSystem<D> {
    /// Writes every change back in the crash-safe order described in the
    /// module documentation, then flushes the device. `fsync`, `fdatasync`,
    /// `sync` and `syncfs` all come here: when it returns, everything
    /// written before is durable. The superblock keeps saying "not clean".
    pub fn sync(&mut self) -> Result<()> {
        self.write_back(false)
    }

    /// [`sync`](Self::sync), then marks the image cleanly unmounted (an
    /// orderly power-off). A change after this marks it dirty again at the
    /// next sync, before anything else is written.
    pub fn sync_clean(&mut self) -> Result<()> {
        self.write_back(true)
    }

    /// Whether the superblock said "clean" when the image was mounted.
    pub fn mounted_clean(&self) -> bool {
        self.mounted_clean
    }

    /// Records that `block` holds directory entries (phase 3 if it
    /// exists on disk).
    pub(crate) fn note_dir_block(&mut self, block: u32) {
        self.order.dir_blocks.insert(block);
    }

    /// Records that an entry was removed from directory block `block`.
    pub(crate) fn note_dir_removal(&mut self, block: u32) {
        self.order.dir_blocks.insert(block);
        self.order.dir_removals.insert(block);
    }

    /// Frees `block` at the next sync; until then it stays allocated.
    pub(crate) fn defer_block_free(&mut self, block: u32) {
        self.cache.discard(block);
        if self.blocks.get(block) {
            self.order.freed_blocks.insert(block);
        }
    }

    /// Frees inode slot `ino` at the next sync.
    pub(crate) fn defer_inode_free(&mut self, ino: u32) {
        self.order.freed_inodes.insert(ino);
    }

    /// Syncs when the write-back cache holds more dirty blocks than its
    /// capacity (dirty blocks are never evicted unordered).
    pub(crate) fn writeback_if_full(&mut self) -> Result<()> {
        if self.cache.dirty_count() >= self.cache.capacity() {
            self.sync()?;
        }
        Ok(())
    }

    fn has_changes(&self) -> bool {
        self.cache.dirty_count() > 0
            || !self.order.freed_blocks.is_empty()
            || !self.order.freed_inodes.is_empty()
            || self.blocks.as_bytes() != self.order.disk_blocks.as_bytes()
    }

    fn write_back(&mut self, clean: bool) -> Result<()> {
        if self.opts.read_only {
            return Ok(());
        }
        if !self.has_changes() && self.order.disk_clean == clean {
            self.dev.flush()?;
            return Ok(());
        }
        if self.order.disk_clean {
            self.write_superblock(crate::sync::STATE_DIRTY)?;
            self.dev.flush()?;
            self.order.disk_clean = false;
        }
        let data_start = self.geo.first_data_block;
        let table = self.geo.inode_table_start..data_start;

        // Phase 1: data, pointer blocks, new directory blocks; the bitmap
        // with the allocations.
        let late: BTreeSet<u32> = self
            .order
            .dir_blocks
            .iter()
            .copied()
            .filter(|&b| self.order.disk_blocks.get(b))
            .collect();
        let mut wrote = self
            .cache
            .flush_where(&mut self.dev, |b| b >= data_start && !late.contains(&b))?;
        wrote += self.write_bitmap()?;
        self.barrier(wrote)?;

        // Phase 2: the inode table, freed slots as they are on disk.
        let masked = self.slots_by_block();
        let mut wrote = 0;
        for blk in self.cache.dirty_in(table.clone()) {
            let Some(cached) = self.cache.peek(blk) else {
                continue;
            };
            let mut out = *cached;
            match masked.get(&blk) {
                Some(slots) => {
                    let mut on_disk = [0u8; BLOCK_SIZE];
                    self.dev.read_block(blk as u64, &mut on_disk)?;
                    for &slot in slots {
                        let r = slot * INODE_SIZE..(slot + 1) * INODE_SIZE;
                        out[r.clone()].copy_from_slice(&on_disk[r]);
                    }
                    self.dev.write_block(blk as u64, &out)?;
                }
                None => {
                    self.dev.write_block(blk as u64, &out)?;
                    self.cache.mark_clean(blk);
                }
            }
            wrote += 1;
        }
        self.barrier(wrote)?;

        // Phase 3: directory blocks changed in place, those only losing
        // entries last.
        let removals = core::mem::take(&mut self.order.dir_removals);
        let wrote = self.cache.flush_where(&mut self.dev, |b| {
            late.contains(&b) && !removals.contains(&b)
        })?;
        self.barrier(wrote)?;
        let wrote = self
            .cache
            .flush_where(&mut self.dev, |b| late.contains(&b))?;
        self.barrier(wrote)?;
        self.order.dir_blocks.clear();

        // Phase 4: freed inode slots, freed blocks, the superblock.
        self.cache
            .flush_where(&mut self.dev, |b| table.contains(&b))?;
        let freed = core::mem::take(&mut self.order.freed_blocks);
        for b in freed {
            self.blocks.set(b, false);
        }
        let freed = core::mem::take(&mut self.order.freed_inodes);
        for ino in freed {
            self.set_inode_used(ino, false);
        }
        self.update_counters();
        self.write_bitmap()?;
        // Anything else still dirty below the data blocks (nothing in normal
        // use: block 0 and the bitmap never enter the cache) goes before the
        // superblock. Data blocks were all written in phases 1 and 3; those
        // still dirty are lent (and were written there).
        self.cache.flush_where(&mut self.dev, |b| b < data_start)?;
        self.write_superblock(if clean { STATE_CLEAN } else { STATE_DIRTY })?;
        self.dev.flush()?;
        self.order.disk_clean = clean;
        Ok(())
    }

    /// A device flush between phases, when the phase wrote anything.
    fn barrier(&mut self, wrote: usize) -> Result<()> {
        if wrote > 0 {
            self.dev.flush()?;
        }
        Ok(())
    }

    /// Freed inode slots by inode-table block.
    fn slots_by_block(&self) -> BTreeMap<u32, Vec<usize>> {
        let mut map: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for &ino in &self.order.freed_inodes {
            let (blk, off) = self.geo.inode_location(ino);
            map.entry(blk).or_default().push(off / INODE_SIZE);
        }
        debug_assert!(map
            .values()
            .all(|s| s.iter().all(|&i| i < INODES_PER_BLOCK as usize)));
        map
    }

    /// Writes the bitmap blocks that differ from the disk; returns how many.
    fn write_bitmap(&mut self) -> Result<usize> {
        let mut wrote = 0;
        for i in 0..self.geo.bitmap_blocks as usize {
            let now = self.blocks.as_bytes();
            let start = (i * BLOCK_SIZE).min(now.len());
            let end = ((i + 1) * BLOCK_SIZE).min(now.len());
            if now[start..end] == self.order.disk_blocks.as_bytes()[start..end] {
                continue;
            }
            let mut blk = [0u8; BLOCK_SIZE];
            blk[..end - start].copy_from_slice(&now[start..end]);
            self.cache.discard(1 + i as u32);
            self.dev.write_block(1 + i as u64, &blk)?;
            wrote += 1;
        }
        self.order.disk_blocks = self.blocks.clone();
        Ok(wrote)
    }

    fn write_superblock(&mut self, state: u16) -> Result<()> {
        self.sb.state = state;
        self.sb.write_time = self.now() as u64;
        let mut block0 = [0u8; BLOCK_SIZE];
        self.sb.write(&mut block0);
        self.cache.discard(0);
        self.dev.write_block(0, &block0)?;
        Ok(())
    }
}
