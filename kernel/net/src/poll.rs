//! `poll`/`ppoll` helpers: `struct pollfd` layout and the `revents` rule.

use crate::abi::{POLLERR, POLLHUP, POLLNVAL};
use crate::errno::{Errno, Result};

/// Size of `struct pollfd`.
pub const POLLFD_SIZE: usize = 8;

/// `struct pollfd`: `int fd; short events; short revents;`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollFd {
    pub fd: i32,
    pub events: u16,
    pub revents: u16,
}

impl PollFd {
    /// Decodes one entry of the user's array.
    pub fn decode(b: &[u8]) -> Result<Self> {
        if b.len() < POLLFD_SIZE {
            return Err(Errno::EINVAL);
        }
        Ok(PollFd {
            fd: i32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            events: u16::from_ne_bytes([b[4], b[5]]),
            revents: u16::from_ne_bytes([b[6], b[7]]),
        })
    }

    /// The 8 bytes to copy back.
    pub fn encode(&self) -> [u8; POLLFD_SIZE] {
        let mut out = [0u8; POLLFD_SIZE];
        out[..4].copy_from_slice(&self.fd.to_ne_bytes());
        out[4..6].copy_from_slice(&self.events.to_ne_bytes());
        out[6..8].copy_from_slice(&self.revents.to_ne_bytes());
        out
    }

    /// Fills `revents` from the file's readiness (see [`revents`]); a
    /// negative fd is skipped (revents 0), as Linux does. Returns whether
    /// the entry counts towards poll's result.
    pub fn update(&mut self, ready: impl FnOnce(i32) -> u16) -> bool {
        self.revents = if self.fd < 0 {
            0
        } else {
            revents(ready(self.fd), self.events)
        };
        self.revents != 0
    }
}

/// `revents` for a file with readiness `ready` polled for `requested`:
/// the requested bits plus `POLLERR`, `POLLHUP` and `POLLNVAL`, which are
/// always reported.
pub fn revents(ready: u16, requested: u16) -> u16 {
    ready & (requested | POLLERR | POLLHUP | POLLNVAL)
}
