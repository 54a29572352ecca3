//! The 96-byte on-disk inode, file types and mode bits.

use crate::error::{Error, Result};
use crate::superblock::INODE_SIZE;

/// Direct block pointers per inode.
pub const DIRECT: usize = 12;
/// Block pointers per indirect block.
pub const PTRS_PER_BLOCK: u32 = 1024;
/// Largest file size: the size field is a u32.
pub const MAX_FILE_SIZE: u64 = u32::MAX as u64;

/// Type bits of `mode`.
pub const S_IFMT: u16 = 0xF000;
pub const S_IFDIR: u16 = 0x4000;
pub const S_IFREG: u16 = 0x8000;
pub const S_IFLNK: u16 = 0xA000;
/// A named `AF_UNIX` socket: a name only, no data blocks.
pub const S_IFSOCK: u16 = 0xC000;

/// What an inode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    /// A socket node (`bind(2)` of an `AF_UNIX` path), always empty.
    Socket,
}

impl FileType {
    /// Decodes the type bits. The symlink (0xA000) and socket (0xC000)
    /// patterns also contain the regular-file bit, so the whole field is
    /// compared.
    pub fn from_mode(mode: u16) -> Option<Self> {
        match mode & S_IFMT {
            S_IFLNK => Some(FileType::Symlink),
            S_IFSOCK => Some(FileType::Socket),
            S_IFDIR => Some(FileType::Directory),
            S_IFREG => Some(FileType::Regular),
            _ => None,
        }
    }

    /// The type bits for `mode`.
    pub fn mode_bits(self) -> u16 {
        match self {
            FileType::Regular => S_IFREG,
            FileType::Directory => S_IFDIR,
            FileType::Symlink => S_IFLNK,
            FileType::Socket => S_IFSOCK,
        }
    }

    /// The directory-entry `file_type` byte.
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Regular => 1,
            FileType::Directory => 2,
            FileType::Symlink => 7,
            FileType::Socket => 6,
        }
    }
}

/// A decoded inode slot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inode {
    pub mode: u16,
    pub uid: u16,
    pub size: u32,
    pub atime: u32,
    pub ctime: u32,
    pub mtime: u32,
    pub dtime: u32,
    pub gid: u16,
    pub links: u16,
    /// 4 KiB blocks held, data plus indirect.
    pub blocks: u32,
    pub flags: u32,
    pub direct: [u32; DIRECT],
    pub indirect: u32,
    pub double_indirect: u32,
    pub triple_indirect: u32,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

impl Inode {
    /// Decodes a 96-byte slot.
    pub fn parse(b: &[u8; INODE_SIZE]) -> Self {
        let mut direct = [0u32; DIRECT];
        for (i, d) in direct.iter_mut().enumerate() {
            *d = u32_at(b, 36 + 4 * i);
        }
        Inode {
            mode: u16_at(b, 0),
            uid: u16_at(b, 2),
            size: u32_at(b, 4),
            atime: u32_at(b, 8),
            ctime: u32_at(b, 12),
            mtime: u32_at(b, 16),
            dtime: u32_at(b, 20),
            gid: u16_at(b, 24),
            links: u16_at(b, 26),
            blocks: u32_at(b, 28),
            flags: u32_at(b, 32),
            direct,
            indirect: u32_at(b, 84),
            double_indirect: u32_at(b, 88),
            triple_indirect: u32_at(b, 92),
        }
    }

    /// Encodes into a 96-byte slot.
    pub fn write(&self, b: &mut [u8; INODE_SIZE]) {
        b[0..2].copy_from_slice(&self.mode.to_le_bytes());
        b[2..4].copy_from_slice(&self.uid.to_le_bytes());
        b[4..8].copy_from_slice(&self.size.to_le_bytes());
        b[8..12].copy_from_slice(&self.atime.to_le_bytes());
        b[12..16].copy_from_slice(&self.ctime.to_le_bytes());
        b[16..20].copy_from_slice(&self.mtime.to_le_bytes());
        b[20..24].copy_from_slice(&self.dtime.to_le_bytes());
        b[24..26].copy_from_slice(&self.gid.to_le_bytes());
        b[26..28].copy_from_slice(&self.links.to_le_bytes());
        b[28..32].copy_from_slice(&self.blocks.to_le_bytes());
        b[32..36].copy_from_slice(&self.flags.to_le_bytes());
        for (i, d) in self.direct.iter().enumerate() {
            b[36 + 4 * i..40 + 4 * i].copy_from_slice(&d.to_le_bytes());
        }
        b[84..88].copy_from_slice(&self.indirect.to_le_bytes());
        b[88..92].copy_from_slice(&self.double_indirect.to_le_bytes());
        b[92..96].copy_from_slice(&self.triple_indirect.to_le_bytes());
    }

    /// The file type, or `Corrupt` for type bits the format does not know.
    pub fn file_type(&self) -> Result<FileType> {
        FileType::from_mode(self.mode).ok_or(Error::Corrupt("inode has an unknown file type"))
    }

    /// Whether the slot is in use (the kernel's rule: links_count != 0).
    pub fn in_use(&self) -> bool {
        self.links != 0
    }
}

/// Public metadata of an inode (what `stat` reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub ino: u32,
    pub file_type: FileType,
    /// Permission bits only (`mode & 0o7777`).
    pub perm: u16,
    pub uid: u16,
    pub gid: u16,
    pub size: u64,
    pub nlink: u16,
    pub atime: u32,
    pub mtime: u32,
    pub ctime: u32,
    /// 4 KiB blocks held, data plus indirect.
    pub blocks: u32,
}

/// Which timestamps [`FileSystem::set_times`](crate::FileSystem::set_times) changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetTimes {
    pub atime: Option<u32>,
    pub mtime: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_is_tested_before_regular() {
        assert_eq!(FileType::from_mode(0xA1FF), Some(FileType::Symlink));
        assert_eq!(FileType::from_mode(0x81ED), Some(FileType::Regular));
        assert_eq!(FileType::from_mode(0x41ED), Some(FileType::Directory));
        assert_eq!(FileType::from_mode(0x21ED), None);
        assert_eq!(FileType::from_mode(0xC1FF), Some(FileType::Socket));
        assert_eq!(FileType::Socket.dirent_type(), 6);
    }

    #[test]
    fn inode_round_trips() {
        let mut i = Inode {
            mode: 0x81A4,
            size: 5,
            links: 1,
            blocks: 1,
            ..Default::default()
        };
        i.direct[11] = 99;
        i.double_indirect = 7;
        let mut b = [0u8; INODE_SIZE];
        i.write(&mut b);
        assert_eq!(Inode::parse(&b), i);
    }
}
