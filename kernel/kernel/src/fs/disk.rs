//! Disks and the mounted root: `DiskDev` adapts a virtio disk to
//! `blockfs::BlockDevice`, and raw byte access for /dev/vdX.

use alloc::vec::Vec;
use blockfs::{BlockDevice, DeviceError, FileSystem, MountOptions, BLOCK_SIZE};
use spin::Mutex;

use crate::drivers::virtio_blk::Disk;
use crate::stats::{Probe, Work};

pub static DISKS: Mutex<Vec<Disk>> = Mutex::new(Vec::new());

/// The disk at an index of [`DISKS`] as a block device.
pub struct DiskDev(pub usize);

const SECTORS_PER_BLOCK: u64 = (BLOCK_SIZE / 512) as u64;

impl BlockDevice for DiskDev {
    fn block_count(&self) -> u64 {
        DISKS
            .lock()
            .get(self.0)
            .map(|d| d.sectors() / SECTORS_PER_BLOCK)
            .unwrap_or(0)
    }

    fn read_block(&mut self, index: u64, buf: &mut [u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        self.read_blocks(index, buf)
    }

    fn write_block(&mut self, index: u64, buf: &[u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        self.write_blocks(index, buf)
    }

    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let probe = Probe::start();
        let mut d = DISKS.lock();
        let disk = d.get_mut(self.0).ok_or(DeviceError::Io)?;
        let r = disk
            .read_sectors(start * SECTORS_PER_BLOCK, buf)
            .map_err(|_| DeviceError::Io);
        probe.work(Work::DiskRead, buf.len() as u64);
        r
    }

    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), DeviceError> {
        let probe = Probe::start();
        let mut d = DISKS.lock();
        let disk = d.get_mut(self.0).ok_or(DeviceError::Io)?;
        let r = disk
            .write_sectors(start * SECTORS_PER_BLOCK, buf)
            .map_err(|_| DeviceError::Io);
        probe.work(Work::DiskWrite, buf.len() as u64);
        r
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        let probe = Probe::start();
        let mut d = DISKS.lock();
        let r = d
            .get_mut(self.0)
            .ok_or(DeviceError::Io)?
            .flush()
            .map_err(|_| DeviceError::Io);
        probe.work(Work::DiskFlush, 0);
        r
    }
}

/// The share of physical memory the root's block cache may hold (its
/// blocks are page frames: see `mm::heap`). File data and the pages that
/// file mappings fault in come through this cache, so rustc and its
/// libraries stay in memory between runs instead of being read again.
const ROOT_CACHE_SHARE: usize = 4;

fn root_mount_options() -> MountOptions {
    let (_, frames) = crate::mm::frame::stats();
    let default = MountOptions::default();
    MountOptions {
        cache_blocks: (frames / ROOT_CACHE_SHARE).max(default.cache_blocks),
        ..default
    }
}

/// Mounts disk 0 (BlockFS) for the root. An image that was not cleanly
/// unmounted (a crash or power cut: the superblock's state) is checked and
/// repaired first, so what the last sync made durable is reachable again.
pub fn mount_root() -> Result<FileSystem<DiskDev>, blockfs::Error> {
    let mut fs = FileSystem::mount(DiskDev(0), root_mount_options())?;
    if !fs.mounted_clean() {
        crate::kprintln!("veridian: / was not cleanly unmounted: running fsck");
        let report = fs.fsck(true)?;
        for p in report.problems.iter().take(20) {
            crate::kprintln!("veridian: fsck: {}", p);
        }
        crate::kprintln!(
            "veridian: fsck: {} problem(s) repaired, {} inodes, {} directories",
            report.problems.len(),
            report.inodes,
            report.directories
        );
    }
    Ok(fs)
}

/// Reads raw bytes of disk `idx` at byte offset `off`.
pub fn read_raw(idx: usize, off: u64, buf: &mut [u8]) -> Result<usize, i32> {
    let mut d = DISKS.lock();
    let disk = d.get_mut(idx).ok_or(veridian_syscall::errno::ENXIO)?;
    let size = disk.sectors() * 512;
    if off >= size {
        return Ok(0);
    }
    let n = (buf.len() as u64).min(size - off) as usize;
    let first = off / 512;
    let last = (off + n as u64).div_ceil(512);
    let mut tmp = alloc::vec![0u8; ((last - first) * 512) as usize];
    disk.read_sectors(first, &mut tmp)
        .map_err(|_| veridian_syscall::errno::EIO)?;
    let skip = (off - first * 512) as usize;
    buf[..n].copy_from_slice(&tmp[skip..skip + n]);
    Ok(n)
}

/// Size in bytes of disk `idx`.
pub fn disk_size(idx: usize) -> Option<u64> {
    DISKS.lock().get(idx).map(|d| d.sectors() * 512)
}

/// Writes raw bytes to disk `idx` at byte offset `off` (read-modify-write
/// of partial sectors).
pub fn write_raw(idx: usize, off: u64, data: &[u8]) -> Result<usize, i32> {
    let mut d = DISKS.lock();
    let disk = d.get_mut(idx).ok_or(veridian_syscall::errno::ENXIO)?;
    let size = disk.sectors() * 512;
    if off >= size {
        return Err(veridian_syscall::errno::ENOSPC);
    }
    let n = (data.len() as u64).min(size - off) as usize;
    let first = off / 512;
    let last = (off + n as u64).div_ceil(512);
    let mut tmp = alloc::vec![0u8; ((last - first) * 512) as usize];
    disk.read_sectors(first, &mut tmp)
        .map_err(|_| veridian_syscall::errno::EIO)?;
    let skip = (off - first * 512) as usize;
    tmp[skip..skip + n].copy_from_slice(&data[..n]);
    disk.write_sectors(first, &tmp)
        .map_err(|_| veridian_syscall::errno::EIO)?;
    Ok(n)
}
