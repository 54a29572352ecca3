//! Device drivers: UARTs, PCI config access, virtio-blk, power-off.

pub mod pci;
pub mod port;
pub mod power;
pub mod serial;
pub mod virtio_blk;
