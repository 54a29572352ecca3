//! The blocking model of socket calls: the stack never blocks, so a call
//! that would block (`EAGAIN`) sleeps on [`super::WAITERS`] until the
//! socket has the readiness it waits for, then retries; bounded by
//! `SO_RCVTIMEO`/`SO_SNDTIMEO` (`EAGAIN` on expiry, as Linux) and cut
//! short by signals (`EINTR`).

use veridian_net::abi::{POLLERR, POLLHUP};
use veridian_net::{Errno, SocketId};
use veridian_syscall::errno::{EAGAIN, EINTR};

/// Re-check period when readiness says "ready" but the call still would
/// block (should not happen; keeps such a case from spinning).
const RECHECK_NS: u64 = 10_000_000;

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
) -> Result<T, i32> {
    let start = crate::time::monotonic_ns();
    let deadline = w
        .timeout_us
        .filter(|&us| us > 0)
        .map(|us| start.saturating_add(us.saturating_mul(1000)));
    loop {
        match super::with(&mut op) {
            Err(e) if e == Errno::EAGAIN && !w.nonblocking => {}
            r => return r.map_err(|e| e.0),
        }
        if crate::task::exit::interrupted() {
            return Err(EINTR);
        }
        let now = crate::time::monotonic_ns();
        if deadline.is_some_and(|d| now >= d) {
            return Err(EAGAIN);
        }
        let ready = super::peek(|n| n.readiness(w.id)) & (w.want | POLLERR | POLLHUP) != 0;
        let until = if ready { Some(now + RECHECK_NS) } else { None };
        let wake_at = match (until, deadline) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(0),
        };
        // One CPU, interrupts off in the kernel: no wakeup can slip in
        // between the readiness check and going to sleep.
        super::WAITERS.wait(wake_at);
    }
}
