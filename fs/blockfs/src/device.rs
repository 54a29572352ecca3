//! The block-device trait the file system runs on, and two implementations:
//! [`MemDevice`] (always) and [`FileDevice`] (feature `std`).

use alloc::vec;
use alloc::vec::Vec;

use crate::error::DeviceError;

/// Size of a file-system block, and of every device transfer unit.
pub const BLOCK_SIZE: usize = 4096;

/// A device addressed in whole 4096-byte blocks.
///
/// Block `n` covers bytes `n * 4096 .. (n + 1) * 4096` (eight 512-byte
/// sectors for virtio-blk). Only [`read_block`](Self::read_block),
/// [`write_block`](Self::write_block) and [`block_count`](Self::block_count)
/// are required; a driver that can do larger requests should override
/// [`read_blocks`](Self::read_blocks) and [`write_blocks`](Self::write_blocks):
/// the file system hands them runs of consecutive blocks.
pub trait BlockDevice {
    /// Number of whole blocks on the device.
    fn block_count(&self) -> u64;

    /// Reads block `index` into `buf`.
    fn read_block(&mut self, index: u64, buf: &mut [u8; BLOCK_SIZE]) -> Result<(), DeviceError>;

    /// Writes `buf` to block `index`.
    fn write_block(&mut self, index: u64, buf: &[u8; BLOCK_SIZE]) -> Result<(), DeviceError>;

    /// Reads `buf.len() / 4096` consecutive blocks starting at `start`.
    /// `buf.len()` is always a multiple of [`BLOCK_SIZE`].
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        for (i, chunk) in buf.chunks_exact_mut(BLOCK_SIZE).enumerate() {
            let block: &mut [u8; BLOCK_SIZE] = chunk.try_into().map_err(|_| DeviceError::Io)?;
            self.read_block(start + i as u64, block)?;
        }
        Ok(())
    }

    /// Writes `buf.len() / 4096` consecutive blocks starting at `start`.
    /// `buf.len()` is always a multiple of [`BLOCK_SIZE`].
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), DeviceError> {
        for (i, chunk) in buf.chunks_exact(BLOCK_SIZE).enumerate() {
            let block: &[u8; BLOCK_SIZE] = chunk.try_into().map_err(|_| DeviceError::Io)?;
            self.write_block(start + i as u64, block)?;
        }
        Ok(())
    }

    /// Makes earlier writes durable (e.g. a virtio-blk FLUSH).
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
}

impl<D: BlockDevice + ?Sized> BlockDevice for &mut D {
    fn block_count(&self) -> u64 {
        (**self).block_count()
    }
    fn read_block(&mut self, index: u64, buf: &mut [u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        (**self).read_block(index, buf)
    }
    fn write_block(&mut self, index: u64, buf: &[u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        (**self).write_block(index, buf)
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        (**self).read_blocks(start, buf)
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), DeviceError> {
        (**self).write_blocks(start, buf)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        (**self).flush()
    }
}

/// A device held in memory; a trailing partial block is ignored.
#[derive(Debug, Clone)]
pub struct MemDevice {
    data: Vec<u8>,
}

impl MemDevice {
    /// A zero-filled device of `blocks` blocks.
    pub fn new(blocks: usize) -> Self {
        MemDevice {
            data: vec![0; blocks * BLOCK_SIZE],
        }
    }

    /// Wraps an existing image.
    pub fn from_vec(data: Vec<u8>) -> Self {
        MemDevice { data }
    }

    /// The raw image bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// The raw image bytes, mutable (for tests that corrupt images).
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Returns the image.
    pub fn into_vec(self) -> Vec<u8> {
        self.data
    }

    fn range(&self, start: u64, len: usize) -> Result<core::ops::Range<usize>, DeviceError> {
        let begin = usize::try_from(start)
            .ok()
            .and_then(|s| s.checked_mul(BLOCK_SIZE))
            .ok_or(DeviceError::OutOfRange)?;
        let end = begin.checked_add(len).ok_or(DeviceError::OutOfRange)?;
        if end > self.block_count() as usize * BLOCK_SIZE {
            return Err(DeviceError::OutOfRange);
        }
        Ok(begin..end)
    }
}

impl BlockDevice for MemDevice {
    fn block_count(&self) -> u64 {
        (self.data.len() / BLOCK_SIZE) as u64
    }
    fn read_block(&mut self, index: u64, buf: &mut [u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        self.read_blocks(index, buf)
    }
    fn write_block(&mut self, index: u64, buf: &[u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        self.write_blocks(index, buf)
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let r = self.range(start, buf.len())?;
        buf.copy_from_slice(&self.data[r]);
        Ok(())
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), DeviceError> {
        let r = self.range(start, buf.len())?;
        self.data[r].copy_from_slice(buf);
        Ok(())
    }
}

#[cfg(feature = "std")]
pub use file::FileDevice;

#[cfg(feature = "std")]
mod file {
    use super::{BlockDevice, BLOCK_SIZE};
    use crate::error::DeviceError;
    use std::fs::File;
    use std::os::unix::fs::FileExt;

    /// An image file on the host. Its size is rounded down to whole blocks.
    #[derive(Debug)]
    pub struct FileDevice {
        file: File,
        blocks: u64,
        writable: bool,
    }

    impl FileDevice {
        /// Opens an existing image, read-write or read-only.
        pub fn open(path: &std::path::Path, writable: bool) -> std::io::Result<Self> {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(writable)
                .open(path)?;
            Self::from_file(file, writable)
        }

        /// Creates (or truncates) an image of `blocks` blocks; it starts
        /// sparse and all-zero.
        pub fn create(path: &std::path::Path, blocks: u64) -> std::io::Result<Self> {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)?;
            file.set_len(blocks * BLOCK_SIZE as u64)?;
            Self::from_file(file, true)
        }

        /// Wraps an open file.
        pub fn from_file(file: File, writable: bool) -> std::io::Result<Self> {
            let blocks = file.metadata()?.len() / BLOCK_SIZE as u64;
            Ok(FileDevice {
                file,
                blocks,
                writable,
            })
        }

        fn check(&self, start: u64, len: usize) -> Result<u64, DeviceError> {
            let n = (len / BLOCK_SIZE) as u64;
            match start.checked_add(n) {
                Some(end) if end <= self.blocks => Ok(start * BLOCK_SIZE as u64),
                _ => Err(DeviceError::OutOfRange),
            }
        }
    }

    impl BlockDevice for FileDevice {
        fn block_count(&self) -> u64 {
            self.blocks
        }
        fn read_block(
            &mut self,
            index: u64,
            buf: &mut [u8; BLOCK_SIZE],
        ) -> Result<(), DeviceError> {
            self.read_blocks(index, buf)
        }
        fn write_block(&mut self, index: u64, buf: &[u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
            self.write_blocks(index, buf)
        }
        fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
            let off = self.check(start, buf.len())?;
            self.file
                .read_exact_at(buf, off)
                .map_err(|_| DeviceError::Io)
        }
        fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), DeviceError> {
            if !self.writable {
                return Err(DeviceError::ReadOnly);
            }
            let off = self.check(start, buf.len())?;
            self.file
                .write_all_at(buf, off)
                .map_err(|_| DeviceError::Io)
        }
        fn flush(&mut self) -> Result<(), DeviceError> {
            if self.writable {
                self.file.sync_data().map_err(|_| DeviceError::Io)?;
            }
            Ok(())
        }
    }
}
