//! The open-file object of a timerfd: a timer whose expirations are read
//! as a count. Expirations are counted from the clock when the timer is
//! read or polled; the system tick only wakes readers and poll/epoll
//! waiters when a deadline passes ([`tick`]). The system calls are
//! `syscall::timerfd`.

use alloc::collections::BTreeMap;
use core::any::Any;
use spin::Mutex;
use veridian_syscall::poll::POLLIN;
use veridian_vfs::{Errno, OpenFile, PollEvents, SpecialFile, Stat};

/// A timer's setting, in monotonic nanoseconds.
use veridian_kcore::timer::Timer;

#[derive(Default)]
struct State {
    setting: Timer,
    /// Expirations not read yet.
    expired: u64,
}

impl State {
    /// Counts the expirations up to `now`.
    fn catch_up(&mut self, now: u64) {
        self.expired = self.expired.saturating_add(self.setting.expire_until(now));
    }
}

/// The open-file object of a timerfd.
pub struct TimerFd {
    /// The clock it was created on (`CLOCK_REALTIME` or a monotonic one).
    pub clock: u32,
    state: Mutex<State>,
}

/// The next deadline and the period of armed timers, by wait key, for
/// [`tick`].
static ARMED: Mutex<BTreeMap<usize, Timer>> = Mutex::new(BTreeMap::new());

impl TimerFd {
    pub fn new(clock: u32) -> Self {
        TimerFd {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    /// The setting as of `now` (expirations up to `now` counted).
    pub fn setting(&self, now: u64) -> Timer {
        let mut st = self.state.lock();
        st.catch_up(now);
        st.setting
    }

    /// Replaces the setting (a `next` of 0 disarms); the expirations not
    /// read are dropped, as Linux does. Returns the setting it replaced.
    pub fn arm(&self, now: u64, setting: Timer) -> Timer {
        let old = {
            let mut st = self.state.lock();
            st.catch_up(now);
            let old = st.setting;
            *st = State {
                setting,
                expired: 0,
            };
            old
        };
        let mut armed = ARMED.lock();
        if setting.next == 0 {
            armed.remove(&self.wait_key());
        } else {
            armed.insert(self.wait_key(), setting);
        }
        old
    }
}

impl Drop for TimerFd {
    fn drop(&mut self) {
        ARMED.lock().remove(&self.wait_key());
    }
}

impl SpecialFile for TimerFd {
    /// The number of expirations since the last read, as 8 bytes; `EAGAIN`
    /// (the caller sleeps unless non-blocking) when there was none.
    fn read(&self, buf: &mut [u8]) -> veridian_vfs::Result<usize> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut st = self.state.lock();
        st.catch_up(crate::time::monotonic_ns());
        if st.expired == 0 {
            return Err(Errno::EAGAIN);
        }
        buf[..8].copy_from_slice(&st.expired.to_ne_bytes());
        st.expired = 0;
        Ok(8)
    }

    fn write(&self, _data: &[u8]) -> veridian_vfs::Result<usize> {
        Err(Errno::EINVAL)
    }

    fn poll(&self) -> PollEvents {
        let mut st = self.state.lock();
        st.catch_up(crate::time::monotonic_ns());
        if st.expired > 0 {
            POLLIN
        } else {
            0
        }
    }

    fn stat(&self) -> Stat {
        crate::fs::anon_inode_stat()
    }

    fn wait_key(&self) -> usize {
        self as *const Self as usize
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The timerfd behind an open file, if it is one.
pub fn as_timerfd(f: &OpenFile) -> Option<&TimerFd> {
    f.special_as::<TimerFd>()
}

/// System tick: wakes the readers and poll waiters of every timer whose
/// deadline has passed; a periodic one stays armed for its next deadline.
pub fn tick(now: u64) {
    let due: alloc::vec::Vec<usize> = {
        let mut armed = ARMED.lock();
        if armed.is_empty() {
            return;
        }
        let mut due = alloc::vec::Vec::new();
        armed.retain(|&key, s| {
            if s.expire_until(now) > 0 {
                due.push(key);
            }
            s.next != 0
        });
        due
    };
    if due.is_empty() {
        return;
    }
    for key in due {
        crate::wait::wake_key(key);
    }
    crate::wait::wake_changed();
}
