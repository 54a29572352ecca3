//! A smoltcp `Device` over a plain frame driver: the kernel implements
//! [`FrameIo`] for its NIC (virtio-net: receive into a buffer, send a
//! frame) and hands `FrameDevice::new(driver)` to
//! [`crate::NetStack::with_device`].

use alloc::vec;
use alloc::vec::Vec;

use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::time::Instant;

/// What the NIC driver provides.
pub trait FrameIo {
    /// Copies the next received frame into `buf` and returns its length,
    /// or `None` if nothing is waiting. A frame longer than `buf` is
    /// dropped by the driver.
    fn recv_frame(&mut self, buf: &mut [u8]) -> Option<usize>;
    /// Whether a frame can be queued for sending now.
    fn can_send(&mut self) -> bool;
    /// Queues one frame; `false` if it could not (the stack retransmits
    /// TCP; a UDP datagram is lost, as on a busy wire).
    fn send_frame(&mut self, frame: &[u8]) -> bool;
    /// Largest frame, link header included (1514 for Ethernet).
    fn max_frame(&self) -> usize {
        1514
    }
    /// Link type: Ethernet for virtio-net.
    fn medium(&self) -> Medium {
        Medium::Ethernet
    }
}

/// Adapts a [`FrameIo`] driver to smoltcp.
pub struct FrameDevice<T: FrameIo> {
    io: T,
    rx: Vec<u8>,
    tx: Vec<u8>,
}

impl<T: FrameIo> FrameDevice<T> {
    pub fn new(io: T) -> Self {
        let n = io.max_frame();
        FrameDevice {
            io,
            rx: vec![0u8; n],
            tx: vec![0u8; n],
        }
    }

    /// The driver (for interrupt acknowledgement and the like).
    pub fn driver(&mut self) -> &mut T {
        &mut self.io
    }
}

/// A received frame, borrowed from the device's buffer.
pub struct FrameRx<'a>(&'a [u8]);

/// Permission to send one frame.
pub struct FrameTx<'a, T: FrameIo> {
    io: &'a mut T,
    buf: &'a mut Vec<u8>,
}

impl RxToken for FrameRx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl<T: FrameIo> TxToken for FrameTx<'_, T> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        if self.buf.len() < len {
            self.buf.resize(len, 0);
        }
        let r = f(&mut self.buf[..len]);
        let _ = self.io.send_frame(&self.buf[..len]);
        r
    }
}

impl<T: FrameIo> Device for FrameDevice<T> {
    type RxToken<'a>
        = FrameRx<'a>
    where
        T: 'a;
    type TxToken<'a>
        = FrameTx<'a, T>
    where
        T: 'a;

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = self.io.medium();
        c.max_transmission_unit = self.io.max_frame();
        c
    }

    fn receive(&mut self, _now: Instant) -> Option<(FrameRx<'_>, FrameTx<'_, T>)> {
        let FrameDevice { io, rx, tx } = self;
        let n = io.recv_frame(rx)?.min(rx.len());
        Some((FrameRx(&rx[..n]), FrameTx { io, buf: tx }))
    }

    fn transmit(&mut self, _now: Instant) -> Option<FrameTx<'_, T>> {
        if !self.io.can_send() {
            return None;
        }
        Some(FrameTx {
            io: &mut self.io,
            buf: &mut self.tx,
        })
    }
}
