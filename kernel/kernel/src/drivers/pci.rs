//! PCI configuration space through the legacy 0xCF8/0xCFC ports (QEMU's
//! i440fx has no ECAM), for virtio-drivers' bus code.

use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction};
use x86_64::instructions::port::Port;

/// Port-I/O configuration mechanism #1.
pub struct PortCam;

fn address(df: DeviceFunction, offset: u8) -> u32 {
    0x8000_0000
        | (df.bus as u32) << 16
        | (df.device as u32) << 11
        | (df.function as u32) << 8
        | (offset as u32 & 0xFC)
}

impl ConfigurationAccess for PortCam {
    fn read_word(&self, df: DeviceFunction, offset: u8) -> u32 {
        // SAFETY: CONFIG_ADDRESS/CONFIG_DATA are the PCI host bridge's ports;
        // the kernel is single-CPU with interrupts off, so the pair is atomic.
        unsafe {
            Port::<u32>::new(0xCF8).write(address(df, offset));
            Port::<u32>::new(0xCFC).read()
        }
    }

    fn write_word(&mut self, df: DeviceFunction, offset: u8, data: u32) {
        // SAFETY: as in `read_word`.
        unsafe {
            Port::<u32>::new(0xCF8).write(address(df, offset));
            Port::<u32>::new(0xCFC).write(data);
        }
    }

    unsafe fn unsafe_clone(&self) -> Self {
        PortCam
    }
}
