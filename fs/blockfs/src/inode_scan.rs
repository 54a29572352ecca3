//! Finding the free inode slots by reading the inode table (a slot is free
//! when its links_count is 0), on demand rather than all at mount.
//!
//! Images fill their table from the front (the builder hands out numbers
//! from 1, allocation takes the lowest free slot), so the table's first
//! blocks usually hold every slot in use. A cleanly unmounted image is
//! therefore mounted with only what its superblock says: slots not yet
//! read count as used in the bitmap, and how many of them are free comes
//! from the superblock's `free_inodes`. Allocation reads further blocks
//! of the table when the part already read has no free slot; fsck and an
//! image that was not cleanly unmounted read it all first.

use crate::device::{BlockDevice, BLOCK_SIZE};
use crate::error::Result;
use crate::fs::{FileSystem, ROOT_INO};
use crate::superblock::{INODES_PER_BLOCK, INODE_SIZE};

/// Table blocks read per step (1 MiB).
const SCAN_BLOCKS: u32 = 256;

/// Byte offset of links_count in an inode.
const LINKS_OFFSET: usize = 26;

/// How far the inode table has been read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InodeScan {
    /// Table blocks read so far (from the first).
    pub(crate) blocks_read: u32,
    /// Free slots among those not read yet, as the superblock gave them
    /// (zero once the whole table is read).
    pub(crate) unread_free: u32,
}

impl InodeScan {
    /// The whole table is known (a fresh image, or after a full read).
    pub(crate) fn complete(table_blocks: u32) -> Self {
        InodeScan {
            blocks_read: table_blocks,
            unread_free: 0,
        }
    }
}

/// Whether the inode in `slot` of a table block is free (links_count 0).
fn slot_is_free(block: &[u8], slot: usize) -> bool {
    let at = slot * INODE_SIZE + LINKS_OFFSET;
    block[at] == 0 && block[at + 1] == 0
}

impl<D: BlockDevice> FileSystem<D> {
    /// Free inode slots: those known free plus the unread ones the
    /// superblock counts as free.
    pub(crate) fn free_inode_slots(&self) -> u32 {
        self.inodes.free() + self.inode_scan.unread_free
    }

    /// Reads the next blocks of the inode table and frees the bits of the
    /// free slots in them; `false` when the whole table was read already.
    /// A cached block is taken from the cache (it may be newer than the
    /// disk), and slots freed since the last sync stay used until it.
    pub(crate) fn read_more_inodes(&mut self) -> Result<bool> {
        let first = self.inode_scan.blocks_read;
        let table = self.geo.inode_table_blocks;
        if first >= table {
            return Ok(false);
        }
        let n = (table - first).min(SCAN_BLOCKS);
        let mut buffer = core::mem::take(&mut self.run_buffer);
        buffer.resize(n as usize * BLOCK_SIZE, 0);
        let read = self
            .dev
            .read_blocks((self.geo.inode_table_start + first) as u64, &mut buffer);
        if let Err(e) = read {
            self.run_buffer = buffer;
            return Err(e.into());
        }
        let usable = self.geo.usable_inodes();
        for (i, from_disk) in buffer.chunks_exact(BLOCK_SIZE).enumerate() {
            let blk = first + i as u32;
            let block = self
                .cache
                .peek(self.geo.inode_table_start + blk)
                .map_or(from_disk, |cached| &cached[..]);
            for slot in 0..INODES_PER_BLOCK as usize {
                let ino = blk * INODES_PER_BLOCK + slot as u32;
                if ino >= usable || ino == ROOT_INO || !slot_is_free(block, slot) {
                    continue;
                }
                if !self.order.freed_inodes.contains(&ino) && self.inodes.set(ino, false) {
                    self.inode_scan.unread_free = self.inode_scan.unread_free.saturating_sub(1);
                }
            }
        }
        self.run_buffer = buffer;
        self.inode_scan.blocks_read = first + n;
        if self.inode_scan.blocks_read == table {
            // The bitmap is exact now, whatever the superblock claimed.
            self.inode_scan.unread_free = 0;
        }
        Ok(true)
    }

    /// Reads the rest of the inode table.
    pub(crate) fn read_all_inodes(&mut self) -> Result<()> {
        while self.read_more_inodes()? {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::MemDevice;
    use crate::fs::{FormatOptions, MountOptions};
    use crate::fsck::Problem;
    use alloc::format;
    use alloc::vec::Vec;

    /// Files per folder (a folder stays within its 12 direct blocks).
    const PER_DIR: u32 = 1000;

    /// An image whose first `files` inodes (after the folders') are files,
    /// more than one scan step of table blocks, cleanly unmounted.
    fn image_with(files: u32) -> (MemDevice, Vec<(u32, u32)>) {
        let opts = FormatOptions {
            inode_count: Some(30_000),
            ..FormatOptions::default()
        };
        let mut fs = FileSystem::format(MemDevice::new(16_384), &opts).unwrap();
        let mut made = Vec::new();
        let mut dir = ROOT_INO;
        for i in 0..files {
            if i % PER_DIR == 0 {
                dir = fs
                    .mkdir(ROOT_INO, format!("d{i}").as_bytes(), 0o755)
                    .unwrap();
            }
            let ino = fs.create(dir, format!("f{i}").as_bytes(), 0o644).unwrap();
            made.push((dir, ino));
        }
        (fs.unmount().unwrap(), made)
    }

    fn mount(dev: MemDevice) -> FileSystem<MemDevice> {
        FileSystem::mount(dev, MountOptions::default()).unwrap()
    }

    #[test]
    fn a_clean_mount_reads_the_table_only_as_allocation_needs_it() {
        let (dev, made) = image_with(12_000);
        let highest = made.iter().map(|&(_, ino)| ino).max().unwrap();
        assert!(highest / INODES_PER_BLOCK > SCAN_BLOCKS, "spans two steps");
        let mut fs = mount(dev);
        assert_eq!(fs.inode_scan.blocks_read, 0);
        let free_before = fs.statfs().free_inodes;
        assert_eq!(free_before, fs.geo.usable_inodes() - 1 - highest);
        let ino = fs.create(ROOT_INO, b"next", 0o644).unwrap();
        assert_eq!(ino, highest + 1, "the lowest free slot");
        assert_eq!(fs.statfs().free_inodes, free_before - 1);
        assert!(fs.inode_scan.blocks_read < fs.geo.inode_table_blocks);
        let report = fs.fsck(false).unwrap();
        assert!(report.is_clean(), "{:?}", report.problems);
        assert_eq!(fs.inode_scan.blocks_read, fs.geo.inode_table_blocks);
    }

    #[test]
    fn a_slot_freed_before_the_scan_reaches_it_is_reused_after_the_sync() {
        let (dev, made) = image_with(12_000);
        let mut fs = mount(dev);
        let (dir, victim) = made[11_000];
        fs.unlink(dir, b"f11000").unwrap();
        let free = fs.statfs().free_inodes;
        // Not handed out again before a sync makes the free slot durable.
        let first = fs.create(ROOT_INO, b"a", 0o644).unwrap();
        assert_ne!(first, victim);
        fs.sync().unwrap();
        let second = fs.create(ROOT_INO, b"b", 0o644).unwrap();
        assert_eq!(second, victim, "the lowest free slot is the freed one");
        assert_eq!(fs.statfs().free_inodes, free - 2);
        let report = fs.fsck(false).unwrap();
        assert!(report.is_clean(), "{:?}", report.problems);
    }

    #[test]
    fn a_superblock_that_undercounts_free_slots_does_not_stop_allocation() {
        let (mut dev, made) = image_with(500);
        let mut block0 = [0u8; BLOCK_SIZE];
        dev.read_block(0, &mut block0).unwrap();
        let mut sb = crate::superblock::Superblock::parse(&block0);
        let recorded = sb.free_inodes;
        sb.free_inodes = 0;
        sb.write(&mut block0);
        dev.write_block(0, &block0).unwrap();
        let mut fs = mount(dev);
        assert_eq!(fs.statfs().free_inodes, 0);
        let ino = fs.create(ROOT_INO, b"x", 0o644).unwrap();
        assert_eq!(ino, made.last().unwrap().1 + 1);
        let report = fs.fsck(false).unwrap();
        assert!(report.problems.iter().any(|p| matches!(
            p,
            Problem::FreeCountWrong {
                field: "free_inodes",
                ..
            }
        )));
        // The whole table is read now: the count is exact again.
        let unusable = fs.geo.inode_count - fs.geo.usable_inodes();
        assert_eq!(fs.statfs().free_inodes, recorded - unusable - 1);
    }

    #[test]
    fn a_full_table_hands_out_a_freed_slot_once_it_is_synced() {
        let mut fs = FileSystem::format(MemDevice::new(1024), &FormatOptions::default()).unwrap();
        let mut made = Vec::new();
        loop {
            match fs.create(ROOT_INO, format!("f{}", made.len()).as_bytes(), 0o644) {
                Ok(ino) => made.push(ino),
                Err(crate::Error::NoInodes) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        let mut fs = mount(fs.unmount().unwrap());
        assert_eq!(fs.statfs().free_inodes, 0);
        fs.unlink(ROOT_INO, b"f7").unwrap();
        // The whole table is read, nothing is free yet: the unlink is
        // synced and its slot handed out.
        assert_eq!(fs.create(ROOT_INO, b"again", 0o644).unwrap(), made[7]);
        assert!(matches!(
            fs.create(ROOT_INO, b"more", 0o644),
            Err(crate::Error::NoInodes)
        ));
        let report = fs.fsck(false).unwrap();
        assert!(report.is_clean(), "{:?}", report.problems);
    }
}
