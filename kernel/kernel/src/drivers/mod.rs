//! Device drivers: UARTs, PCI config access, virtio-blk, virtio-net, power-off.

pub mod pci;
pub mod port;
pub mod power;
pub mod serial;
pub mod virtio_blk;
pub mod virtio_net;
