//! Block 0: the superblock, and the layout (geometry) it implies.

use crate::device::BLOCK_SIZE;
use crate::error::{Error, Result};

/// "BLKF" as a big-endian word, stored little-endian.
pub const MAGIC: u32 = 0x424C_4B46;
/// Bytes per on-disk inode.
pub const INODE_SIZE: usize = 96;
/// Inode slots per inode-table block (the last 64 bytes stay unused).
pub const INODES_PER_BLOCK: u32 = (BLOCK_SIZE / INODE_SIZE) as u32;

/// Where each region of an image lives, derived from the two counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Total blocks in the file system.
    pub block_count: u32,
    /// Slots in the inode table (as recorded in the superblock).
    pub inode_count: u32,
    /// Blocks of the block bitmap (starting at block 1).
    pub bitmap_blocks: u32,
    /// First block of the inode table.
    pub inode_table_start: u32,
    /// Blocks of the inode table.
    pub inode_table_blocks: u32,
    /// First block that may hold data.
    pub first_data_block: u32,
}

impl Geometry {
    /// Computes the layout; fails when the regions do not fit with at least
    /// one data block to spare.
    pub fn new(block_count: u32, inode_count: u32) -> Result<Self> {
        let bits_bytes = (block_count as u64).div_ceil(8);
        let bitmap_blocks = bits_bytes.div_ceil(BLOCK_SIZE as u64);
        let table_blocks = (inode_count as u64 * INODE_SIZE as u64).div_ceil(BLOCK_SIZE as u64);
        let first_data = 1 + bitmap_blocks + table_blocks;
        if inode_count == 0 {
            return Err(Error::Corrupt("inode count is zero"));
        }
        if first_data >= block_count as u64 {
            return Err(Error::Corrupt("metadata does not leave room for data"));
        }
        Ok(Geometry {
            block_count,
            inode_count,
            bitmap_blocks: bitmap_blocks as u32,
            inode_table_start: 1 + bitmap_blocks as u32,
            inode_table_blocks: table_blocks as u32,
            first_data_block: first_data as u32,
        })
    }

    /// Inode numbers that have a slot inside the table. The format's size
    /// formula packs 42.67 inodes per block while slots use 42 per block, so
    /// the last few recorded inodes can fall outside the table; they are
    /// never used.
    pub fn usable_inodes(&self) -> u32 {
        let slots = self.inode_table_blocks as u64 * INODES_PER_BLOCK as u64;
        slots.min(self.inode_count as u64) as u32
    }

    /// Block and byte offset of inode `ino`'s slot.
    pub fn inode_location(&self, ino: u32) -> (u32, usize) {
        (
            self.inode_table_start + ino / INODES_PER_BLOCK,
            (ino % INODES_PER_BLOCK) as usize * INODE_SIZE,
        )
    }

    /// Whether `block` may be used for file data.
    pub fn is_data_block(&self, block: u32) -> bool {
        block >= self.first_data_block && block < self.block_count
    }
}

/// The superblock fields, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superblock {
    pub magic: u32,
    pub block_count: u32,
    pub inode_count: u32,
    pub free_blocks: u32,
    pub free_inodes: u32,
    pub first_data_block: u32,
    pub block_size: u32,
    pub inode_size: u16,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub mount_time: u64,
    pub write_time: u64,
    pub mount_count: u16,
    pub max_mount_count: u16,
    pub state: u16,
    pub errors: u16,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    (u32_at(b, o) as u64) | ((u32_at(b, o + 4) as u64) << 32)
}

impl Superblock {
    /// A fresh superblock for `geo`, as the VeridianOS builder writes it.
    pub fn new(geo: &Geometry) -> Self {
        Superblock {
            magic: MAGIC,
            block_count: geo.block_count,
            inode_count: geo.inode_count,
            free_blocks: 0,
            free_inodes: 0,
            first_data_block: geo.first_data_block,
            block_size: BLOCK_SIZE as u32,
            inode_size: INODE_SIZE as u16,
            blocks_per_group: 8192,
            inodes_per_group: 2048,
            mount_time: 0,
            write_time: 0,
            mount_count: 0,
            max_mount_count: 100,
            state: 1,
            errors: 0,
        }
    }

    /// Decodes block 0 (no validation; see [`Superblock::geometry`]).
    pub fn parse(b: &[u8; BLOCK_SIZE]) -> Self {
        Superblock {
            magic: u32_at(b, 0),
            block_count: u32_at(b, 4),
            inode_count: u32_at(b, 8),
            free_blocks: u32_at(b, 12),
            free_inodes: u32_at(b, 16),
            first_data_block: u32_at(b, 20),
            block_size: u32_at(b, 24),
            inode_size: u16_at(b, 28),
            blocks_per_group: u32_at(b, 30),
            inodes_per_group: u32_at(b, 34),
            mount_time: u64_at(b, 38),
            write_time: u64_at(b, 46),
            mount_count: u16_at(b, 54),
            max_mount_count: u16_at(b, 56),
            state: u16_at(b, 58),
            errors: u16_at(b, 60),
        }
    }

    /// Encodes into a whole block (bytes past 62 are zero).
    pub fn write(&self, b: &mut [u8; BLOCK_SIZE]) {
        b.fill(0);
        b[0..4].copy_from_slice(&self.magic.to_le_bytes());
        b[4..8].copy_from_slice(&self.block_count.to_le_bytes());
        b[8..12].copy_from_slice(&self.inode_count.to_le_bytes());
        b[12..16].copy_from_slice(&self.free_blocks.to_le_bytes());
        b[16..20].copy_from_slice(&self.free_inodes.to_le_bytes());
        b[20..24].copy_from_slice(&self.first_data_block.to_le_bytes());
        b[24..28].copy_from_slice(&self.block_size.to_le_bytes());
        b[28..30].copy_from_slice(&self.inode_size.to_le_bytes());
        b[30..34].copy_from_slice(&self.blocks_per_group.to_le_bytes());
        b[34..38].copy_from_slice(&self.inodes_per_group.to_le_bytes());
        b[38..46].copy_from_slice(&self.mount_time.to_le_bytes());
        b[46..54].copy_from_slice(&self.write_time.to_le_bytes());
        b[54..56].copy_from_slice(&self.mount_count.to_le_bytes());
        b[56..58].copy_from_slice(&self.max_mount_count.to_le_bytes());
        b[58..60].copy_from_slice(&self.state.to_le_bytes());
        b[60..62].copy_from_slice(&self.errors.to_le_bytes());
    }

    /// Validates every structural field against the format and the device
    /// size, and returns the layout.
    pub fn geometry(&self, device_blocks: u64) -> Result<Geometry> {
        if self.magic != MAGIC {
            return Err(Error::Corrupt("bad magic (not a BlockFS image)"));
        }
        if self.block_size != BLOCK_SIZE as u32 {
            return Err(Error::Corrupt("block_size is not 4096"));
        }
        if self.inode_size != INODE_SIZE as u16 {
            return Err(Error::Corrupt("inode_size is not 96"));
        }
        if self.block_count as u64 > device_blocks {
            return Err(Error::Corrupt("block_count exceeds the device size"));
        }
        let geo = Geometry::new(self.block_count, self.inode_count)?;
        if geo.first_data_block != self.first_data_block {
            return Err(Error::Corrupt(
                "first_data_block does not match the layout formula",
            ));
        }
        Ok(geo)
    }
}

/// Default inode count for a file system of `block_count` blocks.
pub fn default_inode_count(block_count: u32) -> u32 {
    (block_count / 4).clamp(672, 65536)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_of_a_2gib_image() {
        let g = Geometry::new(2048 * 256, default_inode_count(2048 * 256)).unwrap();
        assert_eq!(g.bitmap_blocks, 16);
        assert_eq!(g.inode_table_blocks, 1536);
        assert_eq!(g.first_data_block, 1 + 16 + 1536);
        // 1536 * 42 slots < 65536 recorded inodes.
        assert_eq!(g.usable_inodes(), 1536 * 42);
    }

    #[test]
    fn superblock_round_trips() {
        let g = Geometry::new(4096, 1024).unwrap();
        let mut sb = Superblock::new(&g);
        sb.free_blocks = 77;
        let mut blk = [0u8; BLOCK_SIZE];
        sb.write(&mut blk);
        assert_eq!(&blk[0..4], &[0x46, 0x4B, 0x4C, 0x42]);
        assert_eq!(Superblock::parse(&blk), sb);
        assert_eq!(sb.geometry(4096).unwrap(), g);
        assert!(sb.geometry(4095).is_err());
    }
}
