//! The counter behind an eventfd (Linux `eventfd(2)` semantics), without
//! the waiting: calls that would block return `EAGAIN` and the kernel
//! waits for [`EventCounter::poll`] to change.

use spin::Mutex;

use crate::abi::{POLLIN, POLLOUT};
use crate::errno::{Errno, Result};
use crate::filesystem::PollEvents;

pub use veridian_syscall::eventfd::EFD_SEMAPHORE;

/// The largest value the counter may hold (`u64::MAX` itself is reserved).
const MAX_COUNT: u64 = u64::MAX - 1;

/// An eventfd's 64-bit counter.
pub struct EventCounter {
    state: Mutex<State>,
    semaphore: bool,
}

struct State {
    count: u64,
    /// Bumped on every change, so edge-triggered epoll sees each one.
    changes: u64,
}

impl EventCounter {
    /// A counter starting at `initial`; `flags` may hold [`EFD_SEMAPHORE`].
    pub fn new(initial: u32, flags: u32) -> Self {
        EventCounter {
            state: Mutex::new(State {
                count: initial.into(),
                changes: 0,
            }),
            semaphore: flags & EFD_SEMAPHORE != 0,
        }
    }

    /// `read`: the 8-byte count (or 1 in semaphore mode), which it takes
    /// away. `EINVAL` for buffers under 8 bytes, `EAGAIN` at zero.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut s = self.state.lock();
        if s.count == 0 {
            return Err(Errno::EAGAIN);
        }
        let taken = if self.semaphore { 1 } else { s.count };
        s.count -= taken;
        s.changes += 1;
        buf[..8].copy_from_slice(&taken.to_ne_bytes());
        Ok(8)
    }

    /// `write`: adds the 8-byte value. `EINVAL` for short buffers or
    /// `u64::MAX`, `EAGAIN` while the sum would pass the maximum.
    pub fn write(&self, data: &[u8]) -> Result<usize> {
        let Some(bytes) = data.get(..8) else {
            return Err(Errno::EINVAL);
        };
        let value = u64::from_ne_bytes(bytes.try_into().expect("8 bytes"));
        if value == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let mut s = self.state.lock();
        if value > MAX_COUNT - s.count {
            return Err(Errno::EAGAIN);
        }
        s.count += value;
        s.changes += 1;
        Ok(8)
    }

    /// Readiness: readable above zero, writable below the maximum.
    pub fn poll(&self) -> PollEvents {
        self.state.lock().events()
    }

    /// Readiness with a sequence number that changes with every read or
    /// write (for edge-triggered epoll).
    pub fn poll_seq(&self) -> (PollEvents, u64) {
        let s = self.state.lock();
        (s.events(), s.changes)
    }
}

impl State {
    fn events(&self) -> PollEvents {
        (if self.count > 0 { POLLIN } else { 0 })
            | (if self.count < MAX_COUNT { POLLOUT } else { 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(c: &EventCounter) -> Result<u64> {
        let mut b = [0u8; 8];
        c.read(&mut b).map(|_| u64::from_ne_bytes(b))
    }

    #[test]
    fn counts_up_and_reads_all_at_once() {
        let c = EventCounter::new(2, 0);
        assert_eq!(c.write(&5u64.to_ne_bytes()), Ok(8));
        assert_eq!(c.poll(), POLLIN | POLLOUT);
        assert_eq!(read(&c), Ok(7));
        assert_eq!(read(&c), Err(Errno::EAGAIN));
        assert_eq!(c.poll(), POLLOUT);
    }

    #[test]
    fn semaphore_mode_reads_one_at_a_time() {
        let c = EventCounter::new(2, EFD_SEMAPHORE);
        assert_eq!(read(&c), Ok(1));
        assert_eq!(read(&c), Ok(1));
        assert_eq!(read(&c), Err(Errno::EAGAIN));
    }

    #[test]
    fn bad_sizes_and_values_are_refused() {
        let c = EventCounter::new(0, 0);
        assert_eq!(c.read(&mut [0u8; 7]), Err(Errno::EINVAL));
        assert_eq!(c.write(&[1u8; 4]), Err(Errno::EINVAL));
        assert_eq!(c.write(&u64::MAX.to_ne_bytes()), Err(Errno::EINVAL));
    }

    #[test]
    fn a_full_counter_blocks_writers_not_readers() {
        let c = EventCounter::new(0, 0);
        assert_eq!(c.write(&MAX_COUNT.to_ne_bytes()), Ok(8));
        assert_eq!(c.poll(), POLLIN);
        assert_eq!(c.write(&1u64.to_ne_bytes()), Err(Errno::EAGAIN));
        assert_eq!(read(&c), Ok(MAX_COUNT));
        assert_eq!(c.write(&1u64.to_ne_bytes()), Ok(8));
    }

    #[test]
    fn every_change_moves_the_sequence() {
        let c = EventCounter::new(0, 0);
        let (_, s0) = c.poll_seq();
        c.write(&1u64.to_ne_bytes()).unwrap();
        let (ev, s1) = c.poll_seq();
        assert!(s1 > s0 && ev & POLLIN != 0);
        assert_eq!(c.poll_seq().1, s1, "no change, same sequence");
    }
}
