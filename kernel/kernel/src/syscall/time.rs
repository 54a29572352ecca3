//! Clocks and sleeping.

use veridian_syscall::time::{
    CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW,
    CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_THREAD_CPUTIME_ID,
    ITIMER_REAL, TIMER_ABSTIME, USER_HZ,
};
use veridian_vfs::Errno;

use super::KResult;
use crate::task::user::{Out, UserPtr, UserSlice};
use crate::time;

const NS_PER_SEC: u64 = 1_000_000_000;
const NS_PER_USEC: u64 = 1000;

/// A `struct timespec` or `struct timeval` in user memory: two `i64`s,
/// seconds and nano- or microseconds.
type TimePair = UserPtr<[i64; 2]>;
/// A `struct itimerval`: the interval, then the value (two timevals).
type ItimerVal = UserPtr<[[i64; 2]; 2]>;

fn clock_ns(id: u32) -> Result<u64, Errno> {
    match id {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(time::realtime_ns()),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            Ok(time::monotonic_ns())
        }
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => Ok(time::monotonic_ns()),
        _ => Err(Errno::EINVAL),
    }
}

/// `ns` as a `struct timespec`.
pub(super) fn timespec(ns: u64) -> [i64; 2] {
    [(ns / NS_PER_SEC) as i64, (ns % NS_PER_SEC) as i64]
}

/// `ns` as the 16 bytes of a `struct timespec`.
pub(super) fn timespec_bytes(ns: u64) -> [u8; 16] {
    let [s, n] = timespec(ns);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&s.to_ne_bytes());
    b[8..].copy_from_slice(&n.to_ne_bytes());
    b
}

/// `ns` as a `struct timeval` (microseconds, rounded down).
fn timeval(ns: u64) -> [i64; 2] {
    [
        (ns / NS_PER_SEC) as i64,
        ((ns % NS_PER_SEC) / NS_PER_USEC) as i64,
    ]
}

/// A user `struct timespec` in nanoseconds; `EINVAL` if negative or
/// `tv_nsec` is out of range.
pub(super) fn read_timespec(p: u64) -> Result<u64, Errno> {
    let [sec, nsec] = TimePair::new(p).read()?;
    veridian_net::select::timespec_ns(sec, nsec)
}

/// A user `struct timeval` in nanoseconds; `EINVAL` if negative or
/// `tv_usec` is out of range.
fn timeval_ns([sec, usec]: [i64; 2]) -> Result<u64, Errno> {
    if !(0..1_000_000).contains(&usec) {
        return Err(Errno::EINVAL);
    }
    veridian_net::select::timespec_ns(sec, usec * NS_PER_USEC as i64)
}

pub fn clock_gettime(id: u32, tp: u64) -> KResult {
    let ns = clock_ns(id)?;
    TimePair::new(tp).write(&timespec(ns))?;
    Ok(0)
}

pub fn clock_getres(id: u32, tp: u64) -> KResult {
    clock_ns(id)?;
    if let Some(tp) = TimePair::non_null(tp) {
        tp.write(&timespec(1))?;
    }
    Ok(0)
}

pub fn gettimeofday(tv: u64) -> KResult {
    if let Some(tv) = TimePair::non_null(tv) {
        tv.write(&timeval(time::realtime_ns()))?;
    }
    Ok(0)
}

/// Sleeps until monotonic `deadline`; EINTR if a fatal signal arrives.
fn sleep_until(deadline: u64) -> Result<(), Errno> {
    while time::monotonic_ns() < deadline {
        if crate::task::exit::interrupted() {
            return Err(Errno::EINTR);
        }
        crate::task::sched::block_until(deadline);
    }
    Ok(())
}

pub fn nanosleep(req: u64, _rem: u64) -> KResult {
    let ns = read_timespec(req)?;
    sleep_until(time::monotonic_ns().saturating_add(ns))?;
    Ok(0)
}

pub fn clock_nanosleep(id: u32, flags: u32, req: u64, _rem: u64) -> KResult {
    let ns = read_timespec(req)?;
    let now = clock_ns(id)?;
    let mono = time::monotonic_ns();
    let deadline = if flags & TIMER_ABSTIME != 0 {
        mono.saturating_add(ns.saturating_sub(now))
    } else {
        mono.saturating_add(ns)
    };
    sleep_until(deadline)?;
    Ok(0)
}

pub fn time(out: u64) -> KResult {
    let secs = time::realtime_ns() / NS_PER_SEC;
    if let Some(out) = UserPtr::<u64>::non_null(out) {
        out.write(&secs)?;
    }
    Ok(secs)
}

pub fn alarm(secs: u64) -> KResult {
    let pid = crate::task::current().pid;
    let deadline = if secs == 0 {
        0
    } else {
        time::monotonic_ns().saturating_add(secs.saturating_mul(NS_PER_SEC))
    };
    let (left, _) = crate::task::alarm::set(pid, deadline, 0);
    Ok(left.div_ceil(NS_PER_SEC))
}

/// setitimer: ITIMER_REAL only (the virtual/profiling timers: EINVAL).
pub fn setitimer(which: u32, new: u64, old: u64) -> KResult {
    if which != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let pid = crate::task::current().pid;
    let (interval, value) = match ItimerVal::non_null(new) {
        None => (0, 0),
        Some(new) => {
            let [interval, value] = new.read()?;
            (timeval_ns(interval)?, timeval_ns(value)?)
        }
    };
    let deadline = if value == 0 {
        0
    } else {
        time::monotonic_ns().saturating_add(value)
    };
    let (left, iv) = crate::task::alarm::set(pid, deadline, interval);
    if let Some(old) = ItimerVal::non_null(old) {
        old.write(&[timeval(iv), timeval(left)])?;
    }
    Ok(0)
}

pub fn getitimer(which: u32, out: u64) -> KResult {
    if which != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let (left, iv) = crate::task::alarm::get(crate::task::current().pid);
    ItimerVal::new(out).write(&[timeval(iv), timeval(left)])?;
    Ok(0)
}

/// Bytes of a `struct tms` (four `clock_t`s).
const TMS_SIZE: usize = 32;

/// times: process CPU times are not accounted (zeros); returns clock ticks
/// (`USER_HZ` per second) since boot.
pub fn times(buf: u64) -> KResult {
    if buf != 0 {
        UserSlice::<Out>::new(buf, TMS_SIZE).write(&[0u8; TMS_SIZE])?;
    }
    Ok(time::monotonic_ns() / (NS_PER_SEC / USER_HZ))
}
