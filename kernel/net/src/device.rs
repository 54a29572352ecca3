//! Devices: the loopback device (smoltcp's, plus a "sent something" flag
//! so polling can run until the loop is quiet) and a null device for a
//! stack without external interface.

use smoltcp::phy::{Device, DeviceCapabilities, Loopback, Medium};
use smoltcp::time::Instant;

/// smoltcp's loopback device, remembering whether anything was sent.
pub(crate) struct LoopDevice {
    inner: Loopback,
    sent: bool,
}

impl LoopDevice {
    pub fn new() -> Self {
        LoopDevice {
            inner: Loopback::new(Medium::Ip),
            sent: false,
        }
    }

    /// Whether a packet may have been queued since the last call.
    pub fn take_sent(&mut self) -> bool {
        core::mem::replace(&mut self.sent, false)
    }
}

impl Device for LoopDevice {
    type RxToken<'a> = <Loopback as Device>::RxToken<'a>;
    type TxToken<'a> = <Loopback as Device>::TxToken<'a>;

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let r = self.inner.receive(now);
        if r.is_some() {
            // The pair's tx token may be used for a reply.
            self.sent = true;
        }
        r
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        self.sent = true;
        self.inner.transmit(now)
    }
}

/// A device that never receives or sends: the type parameter of a stack
/// with only the loopback interface.
pub struct NullDevice;

/// Token type of [`NullDevice`] (never produced).
pub enum NullToken {}

impl smoltcp::phy::RxToken for NullToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, _f: F) -> R {
        match self {}
    }
}

impl smoltcp::phy::TxToken for NullToken {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, _len: usize, _f: F) -> R {
        match self {}
    }
}

impl Device for NullDevice {
    type RxToken<'a> = NullToken;
    type TxToken<'a> = NullToken;

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = 1500;
        caps
    }

    fn receive(&mut self, _now: Instant) -> Option<(NullToken, NullToken)> {
        None
    }

    fn transmit(&mut self, _now: Instant) -> Option<NullToken> {
        None
    }
}
