//! File metadata and its Linux x86_64 byte layouts: `struct stat` (144
//! bytes), `struct statx` (256 bytes) and `struct statfs` (120 bytes).

use crate::abi::*;

/// A point in time, seconds and nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    /// Whole seconds, no fraction.
    pub const fn from_secs(sec: i64) -> Self {
        Timespec { sec, nsec: 0 }
    }
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileKind {
    /// The `S_IF*` bits.
    pub const fn mode_bits(self) -> u32 {
        match self {
            FileKind::Regular => S_IFREG,
            FileKind::Directory => S_IFDIR,
            FileKind::Symlink => S_IFLNK,
            FileKind::CharDevice => S_IFCHR,
            FileKind::BlockDevice => S_IFBLK,
            FileKind::Fifo => S_IFIFO,
            FileKind::Socket => S_IFSOCK,
        }
    }

    /// The `d_type` byte of `linux_dirent64`.
    pub const fn dirent_type(self) -> u8 {
        match self {
            FileKind::Fifo => DT_FIFO,
            FileKind::CharDevice => DT_CHR,
            FileKind::Directory => DT_DIR,
            FileKind::BlockDevice => DT_BLK,
            FileKind::Regular => DT_REG,
            FileKind::Symlink => DT_LNK,
            FileKind::Socket => DT_SOCK,
        }
    }

    /// Decodes the `S_IF*` bits of a mode.
    pub const fn from_mode(mode: u32) -> Option<Self> {
        Some(match mode & S_IFMT {
            S_IFREG => FileKind::Regular,
            S_IFDIR => FileKind::Directory,
            S_IFLNK => FileKind::Symlink,
            S_IFCHR => FileKind::CharDevice,
            S_IFBLK => FileKind::BlockDevice,
            S_IFIFO => FileKind::Fifo,
            S_IFSOCK => FileKind::Socket,
            _ => return None,
        })
    }
}

impl From<blockfs::FileType> for FileKind {
    fn from(t: blockfs::FileType) -> Self {
        match t {
            blockfs::FileType::Regular => FileKind::Regular,
            blockfs::FileType::Directory => FileKind::Directory,
            blockfs::FileType::Symlink => FileKind::Symlink,
            blockfs::FileType::Socket => FileKind::Socket,
        }
    }
}

/// Metadata of a node, what `stat` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Device of the containing file system ([`makedev`] encoding).
    pub dev: u64,
    pub ino: u64,
    pub kind: FileKind,
    /// Permission bits (`0o7777`).
    pub perm: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    /// Device number of a device node.
    pub rdev: u64,
    pub size: u64,
    pub blksize: u32,
    /// 512-byte units allocated.
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    /// Mount id (statx `stx_mnt_id`).
    pub mnt_id: u64,
}

impl Stat {
    /// A blank record for a node of `kind` with permissions `perm`.
    pub const fn new(kind: FileKind, perm: u32) -> Self {
        Stat {
            dev: 0,
            ino: 0,
            kind,
            perm,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            size: 0,
            blksize: 4096,
            blocks: 0,
            atime: Timespec { sec: 0, nsec: 0 },
            mtime: Timespec { sec: 0, nsec: 0 },
            ctime: Timespec { sec: 0, nsec: 0 },
            mnt_id: 0,
        }
    }

    /// `st_mode`: type and permission bits.
    pub const fn mode(&self) -> u32 {
        self.kind.mode_bits() | (self.perm & 0o7777)
    }

    /// The Linux x86_64 `struct stat` bytes (144).
    pub fn to_linux_stat(&self) -> [u8; STRUCT_STAT_SIZE] {
        let mut b = [0u8; STRUCT_STAT_SIZE];
        put64(&mut b, 0, self.dev);
        put64(&mut b, 8, self.ino);
        put64(&mut b, 16, self.nlink as u64);
        put32(&mut b, 24, self.mode());
        put32(&mut b, 28, self.uid);
        put32(&mut b, 32, self.gid);
        put64(&mut b, 40, self.rdev);
        put64(&mut b, 48, self.size);
        put64(&mut b, 56, self.blksize as u64);
        put64(&mut b, 64, self.blocks);
        for (off, t) in [(72, self.atime), (88, self.mtime), (104, self.ctime)] {
            put64(&mut b, off, t.sec as u64);
            put64(&mut b, off + 8, t.nsec as u64);
        }
        b
    }

    /// The Linux `struct statx` bytes (256). Every basic field is always
    /// filled; `stx_mask` reports `STATX_BASIC_STATS | STATX_MNT_ID`
    /// (the caller's request mask only says what it needs at least).
    pub fn to_statx(&self) -> [u8; STRUCT_STATX_SIZE] {
        let mut b = [0u8; STRUCT_STATX_SIZE];
        put32(&mut b, 0, STATX_BASIC_STATS | STATX_MNT_ID);
        put32(&mut b, 4, self.blksize);
        put64(&mut b, 8, 0); // stx_attributes
        put32(&mut b, 16, self.nlink);
        put32(&mut b, 20, self.uid);
        put32(&mut b, 24, self.gid);
        b[28..30].copy_from_slice(&(self.mode() as u16).to_le_bytes());
        put64(&mut b, 32, self.ino);
        put64(&mut b, 40, self.size);
        put64(&mut b, 48, self.blocks);
        put64(&mut b, 56, 0); // stx_attributes_mask
                              // atime, btime (left zero: not in the mask), ctime, mtime.
        for (off, t) in [(64, self.atime), (96, self.ctime), (112, self.mtime)] {
            put64(&mut b, off, t.sec as u64);
            put32(&mut b, off + 8, t.nsec);
        }
        let (rmaj, rmin) = dev_split(self.rdev);
        let (dmaj, dmin) = dev_split(self.dev);
        put32(&mut b, 128, rmaj);
        put32(&mut b, 132, rmin);
        put32(&mut b, 136, dmaj);
        put32(&mut b, 140, dmin);
        put64(&mut b, 144, self.mnt_id);
        b
    }
}

/// Size of `struct stat` on x86_64.
pub const STRUCT_STAT_SIZE: usize = 144;
/// Size of `struct statx`.
pub const STRUCT_STATX_SIZE: usize = 256;
/// Size of `struct statfs` on x86_64.
pub const STRUCT_STATFS_SIZE: usize = 120;

/// File-system figures, what `statfs` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FsStat {
    /// `f_type` magic.
    pub fs_type: u64,
    pub block_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub files: u64,
    pub files_free: u64,
    pub name_max: u64,
    /// `ST_*` mount flags (`ST_RDONLY` = 1).
    pub flags: u64,
    pub fsid: u64,
}

pub use veridian_syscall::stat::ST_RDONLY;

impl FsStat {
    /// The Linux x86_64 `struct statfs` bytes (120).
    pub fn to_linux_statfs(&self) -> [u8; STRUCT_STATFS_SIZE] {
        let mut b = [0u8; STRUCT_STATFS_SIZE];
        put64(&mut b, 0, self.fs_type);
        put64(&mut b, 8, self.block_size);
        put64(&mut b, 16, self.blocks);
        put64(&mut b, 24, self.blocks_free);
        put64(&mut b, 32, self.blocks_free); // f_bavail: no root reserve
        put64(&mut b, 40, self.files);
        put64(&mut b, 48, self.files_free);
        put64(&mut b, 56, self.fsid);
        put64(&mut b, 64, self.name_max);
        put64(&mut b, 72, self.block_size); // f_frsize
        put64(&mut b, 80, self.flags);
        b
    }
}

pub(crate) fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

pub(crate) fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
