//! PCI configuration space through the legacy 0xCF8/0xCFC ports (QEMU's
//! i440fx has no ECAM), for virtio-drivers' bus code.

use alloc::vec::Vec;
use veridian_kcore::pci_window::{BarWindow, PCI_HOLE};
use virtio_drivers::transport::pci::bus::{
    BarInfo, ConfigurationAccess, DeviceFunction, MemoryBarType, PciRoot,
};
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

/// Gives each memory BAR on bus 0 that the firmware left at address 0 a
/// place in the PCI hole (under qboot virtio's 64-bit BAR 4 is one;
/// SeaBIOS assigns every BAR, and then nothing changes). Runs once at boot, before any driver
/// enables a device's memory decoding.
pub fn assign_unset_memory_bars() {
    let mut root = PciRoot::new(PortCam);
    let functions: Vec<DeviceFunction> = root.enumerate_bus(0).map(|(df, _)| df).collect();
    let mut window = BarWindow::new(PCI_HOLE);
    let mut unset = Vec::new();
    for &df in &functions {
        let Ok(bars) = root.bars(df) else { continue };
        for (index, bar) in bars.iter().enumerate() {
            if let Some(BarInfo::Memory {
                address_type,
                address,
                size,
                ..
            }) = *bar
            {
                if address != 0 {
                    window.reserve(address..address.saturating_add(size));
                } else if address_type != MemoryBarType::Below1MiB {
                    unset.push((df, index as u8, address_type, size));
                }
            }
        }
    }
    // Largest first, so that alignment wastes the least of the window.
    unset.sort_by_key(|&(.., size)| core::cmp::Reverse(size));
    for (df, index, address_type, size) in unset {
        match window.place(size) {
            Some(at) if address_type == MemoryBarType::Width64 => root.set_bar_64(df, index, at),
            Some(at) => root.set_bar_32(df, index, at as u32),
            None => crate::kprintln!(
                "veridian: PCI {:?}: no room for BAR{} ({} bytes)",
                df,
                index,
                size
            ),
        }
    }
}
