//! timerfd_create(2), timerfd_settime(2) and timerfd_gettime(2) over
//! `crate::fs::timerfd::TimerFd`.

use alloc::sync::Arc;
use veridian_syscall::time::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
    TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET,
};
use veridian_vfs::abi::{O_CLOEXEC, O_NONBLOCK};
use veridian_vfs::Errno;

use super::time::timespec;
use super::KResult;
use crate::fs::timerfd::{as_timerfd, TimerFd};
use crate::task::current;
use crate::task::user::UserPtr;
use crate::time;
use veridian_kcore::timer::Timer;

/// A `struct itimerspec`: the interval, then the value (two timespecs).
type ItimerSpec = UserPtr<[[i64; 2]; 2]>;

/// `timerfd_create(clockid, flags)`: `TFD_NONBLOCK`, `TFD_CLOEXEC`.
pub fn timerfd_create(clock: u32, flags: u32) -> KResult {
    match clock {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_REALTIME_ALARM
        | CLOCK_BOOTTIME_ALARM => {}
        _ => return Err(Errno::EINVAL),
    }
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    super::install_anon(
        Arc::new(TimerFd::new(clock)),
        b"anon_inode:[timerfd]",
        flags,
    )
}

/// `timerfd_settime(fd, flags, new, old)`: a zero value disarms; with
/// `TFD_TIMER_ABSTIME` the value is a time on the timer's clock (one
/// already past expires at once). The real-time clock is never set here,
/// so `TFD_TIMER_CANCEL_ON_SET` never cancels.
pub fn timerfd_settime(fd: i32, flags: u32, new: u64, old: u64) -> KResult {
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let f = current().files().get(fd)?;
    let timer = as_timerfd(&f).ok_or(Errno::EINVAL)?;
    let [interval, value] = ItimerSpec::new(new).read()?;
    let interval = veridian_net::select::timespec_ns(interval[0], interval[1])?;
    let value = veridian_net::select::timespec_ns(value[0], value[1])?;
    let now = time::monotonic_ns();
    let setting = if value == 0 {
        Timer::default()
    } else {
        let wait = if flags & TFD_TIMER_ABSTIME != 0 {
            value.saturating_sub(clock_now(timer.clock))
        } else {
            value
        };
        Timer {
            next: now.saturating_add(wait),
            interval,
        }
    };
    let previous = timer.arm(now, setting);
    if let Some(old) = ItimerSpec::non_null(old) {
        old.write(&itimerspec(previous, now))?;
    }
    Ok(0)
}

/// `timerfd_gettime(fd, curr)`: the time left and the interval.
pub fn timerfd_gettime(fd: i32, curr: u64) -> KResult {
    let f = current().files().get(fd)?;
    let timer = as_timerfd(&f).ok_or(Errno::EINVAL)?;
    let now = time::monotonic_ns();
    ItimerSpec::new(curr).write(&itimerspec(timer.setting(now), now))?;
    Ok(0)
}

fn clock_now(clock: u32) -> u64 {
    match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM => time::realtime_ns(),
        _ => time::monotonic_ns(),
    }
}

/// A setting as `struct itimerspec` at `now`: an armed timer has at least
/// 1 ns left (zero would read as disarmed).
fn itimerspec(s: Timer, now: u64) -> [[i64; 2]; 2] {
    let left = if s.next == 0 {
        0
    } else {
        s.next.saturating_sub(now).max(1)
    };
    [timespec(s.interval), timespec(left)]
}
