//! virtio-blk disks over PCI (virtio-drivers), exposed as
//! `blockfs::BlockDevice` and as raw byte devices (/dev/vda, /dev/vdb).

use alloc::vec::Vec;
use core::ptr::NonNull;
use virtio_drivers::device::blk::{VirtIOBlk, SECTOR_SIZE};
use virtio_drivers::transport::pci::bus::{Command, DeviceFunction, PciRoot};
use virtio_drivers::transport::pci::{virtio_device_type, PciTransport};
use virtio_drivers::transport::DeviceType;
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

use super::pci::PortCam;
use crate::mm::{direct_map_end, frame, paging, phys_to_virt, virt_to_phys, PHYS_OFFSET};

/// DMA and address translation for virtio-drivers.
pub struct KernelHal;

// SAFETY: DMA memory comes from the frame allocator (physically contiguous,
// zeroed, exclusively owned until dealloc); shared buffers are kernel
// memory in the direct map or image, both physically contiguous, so their
// physical address is a fixed offset.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _dir: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        match frame::alloc_contiguous(pages) {
            Some(pa) => (
                pa,
                NonNull::new(phys_to_virt(pa)).expect("direct map is non-null"),
            ),
            None => (0, NonNull::dangling()),
        }
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        for i in 0..pages as u64 {
            // SAFETY: virtio-drivers frees exactly the pages `dma_alloc` gave
            // it, each holding the one reference `alloc_contiguous` took.
            unsafe { frame::decref(paddr + i * 4096) };
        }
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        // Disks are probed at boot, before any address space exists.
        assert!(
            paddr + size as u64 <= direct_map_end() || paging::map_mmio(paddr, size as u64),
            "cannot map the MMIO BAR at {paddr:#x}"
        );
        NonNull::new((PHYS_OFFSET + paddr) as *mut u8).expect("direct map is non-null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, _dir: BufferDirection) -> PhysAddr {
        virt_to_phys(buffer.as_ptr() as *mut u8 as u64)
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _dir: BufferDirection) {}
}

/// One virtio-blk disk.
pub struct Disk {
    dev: VirtIOBlk<KernelHal, PciTransport>,
    sectors: u64,
}

/// Largest single request (bytes); longer transfers are split.
const MAX_REQ: usize = 1024 * 1024;

impl Disk {
    pub fn sectors(&self) -> u64 {
        self.sectors
    }

    /// Reads whole sectors starting at `sector` into `buf` (multiple of 512).
    pub fn read_sectors(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), ()> {
        for (i, chunk) in buf.chunks_mut(MAX_REQ).enumerate() {
            let s = sector + (i * MAX_REQ / SECTOR_SIZE) as u64;
            self.dev.read_blocks(s as usize, chunk).map_err(|_| ())?;
        }
        Ok(())
    }

    pub fn write_sectors(&mut self, sector: u64, buf: &[u8]) -> Result<(), ()> {
        for (i, chunk) in buf.chunks(MAX_REQ).enumerate() {
            let s = sector + (i * MAX_REQ / SECTOR_SIZE) as u64;
            self.dev.write_blocks(s as usize, chunk).map_err(|_| ())?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), ()> {
        self.dev.flush().map_err(|_| ())
    }
}

/// Finds every virtio-blk device on bus 0, in slot order.
pub fn probe() -> Vec<Disk> {
    let mut root = PciRoot::new(PortCam);
    let mut found: Vec<DeviceFunction> = Vec::new();
    for (df, info) in root.enumerate_bus(0) {
        if virtio_device_type(&info) == Some(DeviceType::Block) {
            found.push(df);
        }
    }
    let mut disks = Vec::new();
    for df in found {
        root.set_command(
            df,
            Command::IO_SPACE | Command::MEMORY_SPACE | Command::BUS_MASTER,
        );
        match PciTransport::new::<KernelHal, _>(&mut root, df) {
            Ok(t) => match VirtIOBlk::<KernelHal, _>::new(t) {
                Ok(dev) => {
                    let sectors = dev.capacity();
                    disks.push(Disk { dev, sectors });
                }
                Err(e) => crate::kprintln!("veridian: virtio-blk {:?}: {:?}", df, e),
            },
            Err(e) => crate::kprintln!("veridian: virtio-blk {:?}: {:?}", df, e),
        }
    }
    disks
}
