//! BlockFS, the root file system of VeridianOS.
//!
//! The on-disk format (shared with the VeridianOS project's original
//! kernel and image builder) is: block 0 superblock, then the block bitmap,
//! then a table of 96-byte inodes (42 per 4 KiB block, inode 0 is the root
//! directory), then data. Files address blocks through 12 direct pointers, one
//! indirect and one double-indirect block, up to 4 GiB - 1 bytes.
//!
//! The crate is `no_std` + `alloc`. The `std` feature adds
//! [`FileDevice`] (an image file) and `std::error::Error` impls.
//!
//! # Using it from a kernel
//!
//! Implement [`BlockDevice`] for the disk driver: `read_block` and
//! `write_block` move one 4096-byte block (8 virtio-blk sectors); override
//! `read_blocks`/`write_blocks` to serve runs of consecutive blocks in one
//! request, and `flush` to issue a cache flush. Then:
//!
//! ```
//! use blockfs::{FileSystem, FormatOptions, MemDevice, MountOptions, ROOT_INO};
//! # fn main() -> Result<(), blockfs::Error> {
//! let fs = FileSystem::format(MemDevice::new(1024), &FormatOptions::default())?;
//! let dev = fs.unmount()?;
//! let mut fs = FileSystem::mount(dev, MountOptions::default())?;
//! let etc = fs.mkdir(ROOT_INO, b"etc", 0o755)?;
//! let f = fs.create(etc, b"motd", 0o644)?;
//! fs.write_at(f, 0, b"hello\n")?;
//! assert_eq!(fs.resolve(b"/etc/motd", true)?, f);
//! let mut buf = [0u8; 16];
//! assert_eq!(fs.read_at(f, 0, &mut buf)?, 6);
//! fs.sync()?;
//! # Ok(()) }
//! ```
//!
//! Everything is addressed by inode number (`u32`): [`FileSystem::lookup`]
//! and [`FileSystem::resolve`] turn names into inodes; `create`, `mkdir`,
//! `symlink`, `link`, `unlink`, `rmdir` and `rename` change the name
//! space; `read_at`, `write_at` and `truncate` the data; `metadata`,
//! `set_mode`, `set_owner` and `set_times` the attributes; `readdir` lists
//! a directory with a resumable cookie; `statfs` gives free counts; `sync`
//! writes everything back in a crash-safe order and flushes the device. Errors are [`Error`] values with
//! [`Error::errno`].
//!
//! # Robustness
//!
//! Mounting validates the superblock against the format and the device
//! size. Every pointer, size and directory-entry field read from disk is
//! checked before use; walks are bounded (directory streams always move
//! forward, symlink resolution follows at most 40 links, parent chains at
//! most 4096 levels); no allocation is sized by an unchecked on-disk count.
//! A damaged image yields [`Error::Corrupt`], never a panic.
//!
//! # Writing rules (images stay readable by the VeridianOS project's original kernel)
//!
//! - Directory entries never straddle a block boundary (that kernel parses
//!   each block on its own).
//! - A directory may not grow past its 12 direct blocks (that kernel reads
//!   no more; this crate does): [`Error::DirTooLarge`], unless
//!   [`MountOptions::allow_large_dirs`]. Reading follows indirect blocks.
//! - Symlinks are real (mode 0xA1FF, entry type 7), target in a data block.
//! - Socket nodes (`bind(2)` of an `AF_UNIX` path: mode `0xC000 | perm`,
//!   entry type 6, no data) exist only on images a running VeridianOS
//!   wrote; the original kernel does not know them (its bit tests read
//!   0xC000 as a directory), nor does its image builder write them.
//! - Files are written without holes; holes made by other tools read as
//!   zeros.
//! - The superblock's `free_inodes` is `inode_count - in use` as the
//!   builder writes it, although the table's last slots may be unusable
//!   (the size formula packs 42.67 inodes per block, slots use 42).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod bitmap;
mod cache;
mod device;
mod dir;
mod error;
mod fs;
mod fsck;
mod inode;
mod inode_scan;
mod namespace;
mod superblock;
mod sync;

pub use cache::LentProbe;
#[cfg(feature = "std")]
pub use device::FileDevice;
pub use device::{BlockDevice, MemDevice, BLOCK_SIZE};
pub use dir::{DirEntry, MAX_DIR_SIZE, MAX_NAME};
pub use error::{DeviceError, Error, Result};
pub use fs::{FileSystem, FormatOptions, MountOptions, StatFs, ROOT_INO};
pub use fsck::{FsckReport, Problem, LOST_FOUND};
pub use inode::{FileType, Metadata, SetTimes, MAX_FILE_SIZE};
pub use namespace::{components, MAX_SYMLINKS, MAX_TARGET};
pub use superblock::{default_inode_count, Geometry, Superblock, INODE_SIZE, MAGIC};
pub use sync::{STATE_CLEAN, STATE_DIRTY};
