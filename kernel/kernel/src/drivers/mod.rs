//! Device drivers: ACPI's processor list, UARTs, PCI config access, virtio-blk, virtio-net, power-off.

// The drivers that program I/O ports, hand memory to devices (DMA) or
// read firmware tables in physical memory.
#[allow(unsafe_code)]
pub mod acpi;
#[allow(unsafe_code)]
pub mod pci;
#[allow(unsafe_code)]
pub mod port;
#[allow(unsafe_code)]
pub mod power;
#[allow(unsafe_code)]
pub mod serial;
#[allow(unsafe_code)]
pub mod virtio_blk;
pub mod virtio_net;
