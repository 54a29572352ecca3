//! virtio-net over PCI (virtio-drivers) as the socket layer's frame
//! device: QEMU's user-mode networking when the machine has the NIC.

use veridian_net::FrameIo;
use virtio_drivers::device::net::VirtIONet;
use virtio_drivers::transport::pci::bus::{Command, PciRoot};
use virtio_drivers::transport::pci::{virtio_device_type, PciTransport};
use virtio_drivers::transport::DeviceType;

use super::pci::PortCam;
use super::virtio_blk::KernelHal;

/// Receive/transmit ring size.
const QUEUE: usize = 16;
/// Receive buffer size (an Ethernet frame plus the virtio-net header).
const RX_BUF: usize = 2048;

/// The first virtio-net NIC.
pub struct Nic {
    dev: VirtIONet<KernelHal, PciTransport, QUEUE>,
}

impl Nic {
    pub fn mac(&self) -> [u8; 6] {
        self.dev.mac_address()
    }
}

impl FrameIo for Nic {
    fn recv_frame(&mut self, buf: &mut [u8]) -> Option<usize> {
        while self.dev.can_recv() {
            let rx = self.dev.receive().ok()?;
            let p = rx.packet();
            let n = p.len();
            let fits = n <= buf.len();
            if fits {
                buf[..n].copy_from_slice(p);
            }
            let _ = self.dev.recycle_rx_buffer(rx);
            if fits {
                return Some(n);
            }
        }
        None
    }

    fn can_send(&mut self) -> bool {
        self.dev.can_send()
    }

    fn send_frame(&mut self, frame: &[u8]) -> bool {
        let mut tx = self.dev.new_tx_buffer(frame.len());
        tx.packet_mut().copy_from_slice(frame);
        self.dev.send(tx).is_ok()
    }
}

/// The first virtio-net device on bus 0, if any.
pub fn probe() -> Option<Nic> {
    let mut root = PciRoot::new(PortCam);
    let df = root
        .enumerate_bus(0)
        .find(|(_, info)| virtio_device_type(info) == Some(DeviceType::Network))
        .map(|(df, _)| df)?;
    root.set_command(
        df,
        Command::IO_SPACE | Command::MEMORY_SPACE | Command::BUS_MASTER,
    );
    let t = PciTransport::new::<KernelHal, _>(&mut root, df)
        .map_err(|e| crate::kprintln!("veridian: virtio-net {:?}: {:?}", df, e))
        .ok()?;
    match VirtIONet::new(t, RX_BUF) {
        Ok(dev) => Some(Nic { dev }),
        Err(e) => {
            crate::kprintln!("veridian: virtio-net {:?}: {:?}", df, e);
            None
        }
    }
}
