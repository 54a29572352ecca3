//! The blocking model of socket calls: the stack never blocks, so a call
//! that would block (`EAGAIN`) sleeps in `crate::wait` until the socket
//! has the readiness it waits for, then retries; bounded by
//! `SO_RCVTIMEO`/`SO_SNDTIMEO` (`EAGAIN` on expiry, as Linux) and cut
//! short by signals (`EINTR`).

use veridian_net::abi::{POLLERR, POLLHUP};
use veridian_net::{Errno, SocketId};

/// How a blocking call waits.
pub struct Wait {
    pub id: SocketId,
    /// `poll` bits that end the wait (`POLLERR`/`POLLHUP` always do).
    pub want: u16,
    /// `SO_RCVTIMEO`/`SO_SNDTIMEO` in microseconds (`None`: forever).
    pub timeout_us: Option<u64>,
    /// `O_NONBLOCK` or `MSG_DONTWAIT`: return `EAGAIN` at once.
    pub nonblocking: bool,
}

/// Runs `op` until it does not report `EAGAIN` (see the module doc).
pub fn blocking<T>(
    w: &Wait,
    mut op: impl FnMut(&mut super::Stack) -> veridian_net::Result<T>,
) -> Result<T, Errno> {
    let start = crate::time::monotonic_ns();
    let deadline = w
        .timeout_us
        .filter(|&us| us > 0)
        .map(|us| start.saturating_add(us.saturating_mul(1000)));
    loop {
        match super::with(&mut op) {
            Err(e) if e == Errno::EAGAIN && !w.nonblocking => {}
            r => return r,
        }
        if crate::wait::interrupted() {
            return Err(Errno::EINTR);
        }
        // Readiness says "ready" yet the call would block: should not
        // happen; the re-check period keeps it from spinning.
        let ready = super::peek(|n| n.readiness(w.id)) & (w.want | POLLERR | POLLHUP) != 0;
        if crate::wait::sleep_until_change(deadline, !ready) {
            return Err(Errno::EAGAIN);
        }
    }
}
