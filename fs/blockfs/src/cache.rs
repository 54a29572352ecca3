//! A bounded write-back block cache.
//!
//! Blocks are read on first use and kept; writes only mark them dirty.
//! [`BlockCache::flush_where`] writes the dirty blocks a predicate selects in
//! ascending order, merging runs of consecutive blocks into single
//! [`BlockDevice::write_blocks`] calls. When the cache grows past its
//! capacity it drops the least recently used quarter of its clean blocks;
//! dirty blocks are never written behind the file system's back (the order
//! of writes is the file system's to choose), so the cache can outgrow its
//! capacity until the file system syncs ([`BlockCache::dirty_count`]).
//!
//! A block can be *lent for writing* ([`BlockCache::lend`]): someone outside
//! the file system (a process mapping the file shared and writable) may
//! change its bytes at any time. Such a block counts as dirty and is never
//! evicted until the owner's probe ([`BlockCache::set_lent_probe`]) says the
//! buffer is no longer held elsewhere; every flush until then writes it.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::device::{BlockDevice, BLOCK_SIZE};
use crate::error::Result;

/// Longest run handed to the device in one request (1 MiB).
const MAX_RUN: usize = 256;

/// One block's bytes, aligned to its size: a kernel allocator can serve
/// such an allocation with a whole page frame instead of its heap.
#[repr(C, align(4096))]
struct BlockBuf([u8; BLOCK_SIZE]);

impl core::ops::Deref for BlockBuf {
    type Target = [u8; BLOCK_SIZE];
    fn deref(&self) -> &[u8; BLOCK_SIZE] {
        &self.0
    }
}

impl core::ops::DerefMut for BlockBuf {
    fn deref_mut(&mut self) -> &mut [u8; BLOCK_SIZE] {
        &mut self.0
    }
}

struct Slot {
    data: Box<BlockBuf>,
    dirty: bool,
    /// Lent for writing: stays dirty while the probe says it is held.
    lent: bool,
    last_use: u64,
}

/// Whether a block's buffer is still held outside the cache (e.g. mapped
/// into a process); see [`BlockCache::set_lent_probe`].
pub type LentProbe = fn(&[u8; BLOCK_SIZE]) -> bool;

/// The cache; it does not own the device, which is passed to each call.
pub struct BlockCache {
    slots: BTreeMap<u32, Slot>,
    capacity: usize,
    clock: u64,
    /// Slots whose `dirty` flag is set.
    dirty: usize,
    /// Slots whose `lent` flag is set.
    lent: usize,
    still_lent: LentProbe,
}

impl BlockCache {
    /// A cache holding at most `capacity` blocks (at least 16).
    pub fn new(capacity: usize) -> Self {
        BlockCache {
            slots: BTreeMap::new(),
            capacity: capacity.max(16),
            clock: 0,
            dirty: 0,
            lent: 0,
            still_lent: |_| false,
        }
    }

    /// Sets how the cache learns that a lent block's buffer is held by no
    /// one else any more (by default: never lent at all).
    pub fn set_lent_probe(&mut self, probe: LentProbe) {
        self.still_lent = probe;
    }

    /// Lends `block` (loaded first) for writing: from now on it is dirty
    /// and stays in the cache until the probe says it is no longer held.
    /// `None` when half the cache is lent already.
    pub fn lend<D: BlockDevice>(
        &mut self,
        dev: &mut D,
        block: u32,
    ) -> Result<Option<&[u8; BLOCK_SIZE]>> {
        let is_lent = self.slots.get(&block).is_some_and(|s| s.lent);
        if !is_lent && self.lent >= self.capacity / 2 {
            return Ok(None);
        }
        let slot = self.slot(dev, block, true)?;
        let was_dirty = core::mem::replace(&mut slot.dirty, true);
        let was_lent = core::mem::replace(&mut slot.lent, true);
        self.dirty += usize::from(!was_dirty);
        self.lent += usize::from(!was_lent);
        Ok(Some(
            &self.slots.get(&block).expect("slot loaded above").data,
        ))
    }

    /// Number of blocks lent for writing.
    #[cfg(test)]
    pub fn lent_count(&self) -> usize {
        self.lent
    }

    /// Whether `block` is cached.
    pub fn contains(&self, block: u32) -> bool {
        self.slots.contains_key(&block)
    }

    fn slot<D: BlockDevice>(&mut self, dev: &mut D, block: u32, load: bool) -> Result<&mut Slot> {
        self.clock += 1;
        if !self.slots.contains_key(&block) {
            self.make_room(dev)?;
            let mut data = Box::new(BlockBuf([0u8; BLOCK_SIZE]));
            if load {
                dev.read_block(block as u64, &mut data)?;
            }
            self.slots.insert(
                block,
                Slot {
                    data,
                    dirty: false,
                    lent: false,
                    last_use: 0,
                },
            );
        }
        let clock = self.clock;
        let slot = self.slots.get_mut(&block).expect("slot inserted above");
        slot.last_use = clock;
        Ok(slot)
    }

    /// The contents of `block`.
    pub fn read<D: BlockDevice>(&mut self, dev: &mut D, block: u32) -> Result<&[u8; BLOCK_SIZE]> {
        Ok(&*self.slot(dev, block, true)?.data)
    }

    /// Mutable contents of `block` (loaded first), marked dirty.
    pub fn modify<D: BlockDevice>(
        &mut self,
        dev: &mut D,
        block: u32,
    ) -> Result<&mut [u8; BLOCK_SIZE]> {
        let slot = self.slot(dev, block, true)?;
        let was_dirty = core::mem::replace(&mut slot.dirty, true);
        if !was_dirty {
            self.dirty += 1;
        }
        Ok(&mut self.slots.get_mut(&block).expect("slot loaded above").data)
    }

    /// Mutable contents of `block`, zero-filled without reading the device
    /// (for freshly allocated blocks), marked dirty.
    pub fn zeroed<D: BlockDevice>(
        &mut self,
        dev: &mut D,
        block: u32,
    ) -> Result<&mut [u8; BLOCK_SIZE]> {
        let slot = self.slot(dev, block, false)?;
        slot.data.fill(0);
        let was_dirty = core::mem::replace(&mut slot.dirty, true);
        if !was_dirty {
            self.dirty += 1;
        }
        Ok(&mut self.slots.get_mut(&block).expect("slot loaded above").data)
    }

    /// Adds `block` holding `data` (its bytes on the device) unless it is
    /// cached already; `data` is one block long.
    pub fn insert_clean<D: BlockDevice>(
        &mut self,
        dev: &mut D,
        block: u32,
        data: &[u8],
    ) -> Result<()> {
        if !self.slots.contains_key(&block) {
            self.slot(dev, block, false)?.data.copy_from_slice(data);
        }
        Ok(())
    }

    /// Drops `block` without writing it (it was freed or overwritten on
    /// the device directly).
    pub fn discard(&mut self, block: u32) {
        if let Some(s) = self.slots.remove(&block) {
            self.dirty -= usize::from(s.dirty);
            self.lent -= usize::from(s.lent);
        }
    }

    /// Number of dirty blocks.
    pub fn dirty_count(&self) -> usize {
        self.dirty
    }

    /// The capacity given to [`BlockCache::new`] (at least 16).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The dirty blocks in `range`, ascending.
    pub fn dirty_in(&self, range: core::ops::Range<u32>) -> Vec<u32> {
        self.slots
            .range(range)
            .filter(|(_, s)| s.dirty)
            .map(|(&b, _)| b)
            .collect()
    }

    /// The cached contents of `block`, if cached.
    pub fn peek(&self, block: u32) -> Option<&[u8; BLOCK_SIZE]> {
        self.slots.get(&block).map(|s| &s.data.0)
    }

    /// Writes every dirty block, coalescing consecutive ones; returns how
    /// many were written.
    #[cfg(test)]
    pub fn flush<D: BlockDevice>(&mut self, dev: &mut D) -> Result<usize> {
        self.flush_where(dev, |_| true)
    }

    /// Writes the dirty blocks `pick` selects, coalescing consecutive
    /// ones, and marks each run clean once it is written (a lent block
    /// still held stays dirty); returns how many were written. After a
    /// device error the blocks not yet written stay dirty.
    pub fn flush_where<D: BlockDevice>(
        &mut self,
        dev: &mut D,
        pick: impl Fn(u32) -> bool,
    ) -> Result<usize> {
        let picked: Vec<u32> = self
            .slots
            .iter()
            .filter(|(&b, s)| s.dirty && pick(b))
            .map(|(&b, _)| b)
            .collect();
        let runs = picked
            .chunk_by(|a, b| a.checked_add(1) == Some(*b))
            .flat_map(|run| run.chunks(MAX_RUN));
        let mut bytes: Vec<u8> = Vec::new();
        let mut written = 0;
        for run in runs {
            bytes.clear();
            for b in run {
                bytes.extend_from_slice(&self.slots[b].data[..]);
            }
            dev.write_blocks(run[0] as u64, &bytes)?;
            for b in run {
                self.settle_written(*b);
            }
            written += run.len();
        }
        Ok(written)
    }

    /// A dirty block that was just written becomes clean, and a lent one
    /// is returned, unless a mapping still holds it.
    fn settle_written(&mut self, block: u32) {
        let still_lent = self.still_lent;
        let Some(slot) = self.slots.get_mut(&block) else {
            return;
        };
        if slot.lent && still_lent(&slot.data) {
            return;
        }
        if core::mem::replace(&mut slot.lent, false) {
            self.lent -= 1;
        }
        if core::mem::replace(&mut slot.dirty, false) {
            self.dirty -= 1;
        }
    }

    /// Marks `block` clean (its contents reached the device another way).
    pub fn mark_clean(&mut self, block: u32) {
        if let Some(s) = self.slots.get_mut(&block).filter(|s| !s.lent) {
            if core::mem::replace(&mut s.dirty, false) {
                self.dirty -= 1;
            }
        }
    }

    /// Drops the least recently used quarter of the clean blocks when the
    /// cache is full; dirty blocks stay.
    fn make_room<D: BlockDevice>(&mut self, _dev: &mut D) -> Result<()> {
        if self.slots.len() < self.capacity {
            return Ok(());
        }
        let mut ages: Vec<u64> = self
            .slots
            .values()
            .filter(|s| !s.dirty)
            .map(|s| s.last_use)
            .collect();
        if ages.is_empty() {
            return Ok(());
        }
        ages.sort_unstable();
        let cutoff = ages[ages.len() / 4];
        self.slots.retain(|_, s| s.dirty || s.last_use > cutoff);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::MemDevice;
    use crate::error::DeviceError;

    /// Counts device write requests; fails the one numbered `fail_at`.
    struct Counting {
        inner: MemDevice,
        writes: usize,
        fail_at: Option<usize>,
    }

    impl BlockDevice for Counting {
        fn block_count(&self) -> u64 {
            self.inner.block_count()
        }
        fn read_block(
            &mut self,
            i: u64,
            b: &mut [u8; BLOCK_SIZE],
        ) -> core::result::Result<(), DeviceError> {
            self.inner.read_block(i, b)
        }
        fn write_block(
            &mut self,
            i: u64,
            b: &[u8; BLOCK_SIZE],
        ) -> core::result::Result<(), DeviceError> {
            self.writes += 1;
            self.inner.write_block(i, b)
        }
        fn write_blocks(&mut self, s: u64, b: &[u8]) -> core::result::Result<(), DeviceError> {
            self.writes += 1;
            if self.fail_at == Some(self.writes) {
                return Err(DeviceError::Io);
            }
            self.inner.write_blocks(s, b)
        }
    }

    #[test]
    fn flush_coalesces_consecutive_blocks() {
        let mut dev = Counting {
            inner: MemDevice::new(64),
            writes: 0,
            fail_at: None,
        };
        let mut cache = BlockCache::new(64);
        for b in [3u32, 4, 5, 6, 10, 11, 40] {
            cache.zeroed(&mut dev, b).unwrap()[0] = b as u8;
        }
        cache.flush(&mut dev).unwrap();
        assert_eq!(dev.writes, 3);
        assert_eq!(dev.inner.as_bytes()[5 * BLOCK_SIZE], 5);
        assert_eq!(dev.inner.as_bytes()[40 * BLOCK_SIZE], 40);
        cache.flush(&mut dev).unwrap();
        assert_eq!(dev.writes, 3, "clean blocks are not rewritten");
    }

    #[test]
    fn blocks_a_failed_flush_did_not_write_stay_dirty() {
        let mut dev = Counting {
            inner: MemDevice::new(64),
            writes: 0,
            fail_at: Some(2),
        };
        let mut cache = BlockCache::new(64);
        for b in [3u32, 4, 10, 11, 40] {
            cache.zeroed(&mut dev, b).unwrap()[0] = b as u8;
        }
        assert!(cache.flush(&mut dev).is_err());
        // The first run (3, 4) was written; 10, 11 failed; 40 never went.
        assert_eq!(cache.dirty_count(), 3);
        assert_eq!(cache.flush(&mut dev).unwrap(), 3);
        assert_eq!(cache.dirty_count(), 0);
        assert_eq!(dev.inner.as_bytes()[11 * BLOCK_SIZE], 11);
        assert_eq!(dev.inner.as_bytes()[40 * BLOCK_SIZE], 40);
    }

    #[test]
    fn eviction_never_writes_dirty_blocks() {
        let mut dev = Counting {
            inner: MemDevice::new(100),
            writes: 0,
            fail_at: None,
        };
        let mut cache = BlockCache::new(16);
        for b in 0..100u32 {
            cache.zeroed(&mut dev, b).unwrap()[1] = b as u8 + 1;
        }
        assert_eq!(
            dev.writes, 0,
            "no write happens before the file system asks"
        );
        assert_eq!(cache.dirty_count(), 100);
        cache.flush(&mut dev).unwrap();
        assert_eq!(cache.dirty_count(), 0);
        cache.read(&mut dev, 0).unwrap();
        assert!(cache.slots.len() <= 100);
        for b in 0..100u32 {
            assert_eq!(cache.read(&mut dev, b).unwrap()[1], b as u8 + 1);
        }
    }

    /// Whether lent buffers are held, for the tests' probe.
    static HELD: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(true);

    fn held(_: &[u8; BLOCK_SIZE]) -> bool {
        HELD.load(core::sync::atomic::Ordering::Relaxed)
    }

    #[test]
    fn a_lent_block_is_written_at_every_flush_until_it_is_returned() {
        let mut dev = Counting {
            inner: MemDevice::new(64),
            writes: 0,
            fail_at: None,
        };
        let mut cache = BlockCache::new(16);
        cache.set_lent_probe(held);
        HELD.store(true, core::sync::atomic::Ordering::Relaxed);
        assert!(cache.lend(&mut dev, 7).unwrap().is_some());
        assert_eq!((cache.dirty_count(), cache.lent_count()), (1, 1));
        cache.flush(&mut dev).unwrap();
        assert_eq!(dev.writes, 1);
        assert_eq!(cache.dirty_count(), 1, "still held, so still dirty");
        // The borrower may have written meanwhile: each flush writes it.
        cache.flush(&mut dev).unwrap();
        assert_eq!(dev.writes, 2);
        HELD.store(false, core::sync::atomic::Ordering::Relaxed);
        let writes = dev.writes;
        cache.flush(&mut dev).unwrap();
        assert_eq!(dev.writes, writes + 1, "written once more when returned");
        assert_eq!((cache.dirty_count(), cache.lent_count()), (0, 0));
        cache.flush(&mut dev).unwrap();
        assert_eq!(dev.writes, writes + 1, "then clean");
    }

    #[test]
    fn lent_blocks_are_never_evicted_and_at_most_half_the_cache_is_lent() {
        let mut dev = MemDevice::new(200);
        let mut cache = BlockCache::new(16);
        cache.set_lent_probe(|_| true);
        for b in 0..8u32 {
            assert!(cache.lend(&mut dev, b).unwrap().is_some());
        }
        assert!(cache.lend(&mut dev, 8).unwrap().is_none());
        assert!(cache.lend(&mut dev, 3).unwrap().is_some(), "lent already");
        for b in 100..200u32 {
            cache.read(&mut dev, b).unwrap();
        }
        for b in 0..8u32 {
            assert!(cache.contains(b));
        }
        cache.discard(2);
        assert_eq!((cache.dirty_count(), cache.lent_count()), (7, 7));
        cache.mark_clean(3);
        assert_eq!(cache.dirty_count(), 7, "a lent block stays dirty");
    }
}
