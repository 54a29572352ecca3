//! Clocks and sleeping.

use super::KResult;
use crate::task::user;
use crate::time;
use veridian_vfs::Errno;

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
const CLOCK_MONOTONIC_RAW: u32 = 4;
const CLOCK_REALTIME_COARSE: u32 = 5;
const CLOCK_MONOTONIC_COARSE: u32 = 6;
const CLOCK_BOOTTIME: u32 = 7;

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

fn timespec(ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[0..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..16].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    b
}

fn read_timespec(p: u64) -> Result<u64, Errno> {
    let raw = user::read_bytes(p, 16)?;
    let sec = i64::from_le_bytes(raw[0..8].try_into().unwrap_or_default());
    let nsec = i64::from_le_bytes(raw[8..16].try_into().unwrap_or_default());
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec as u64))
}

pub fn clock_gettime(id: u32, tp: u64) -> KResult {
    let ns = clock_ns(id)?;
    user::write_bytes(tp, &timespec(ns))?;
    Ok(0)
}

pub fn clock_getres(id: u32, tp: u64) -> KResult {
    clock_ns(id)?;
    if tp != 0 {
        user::write_bytes(tp, &timespec(1))?;
    }
    Ok(0)
}

pub fn gettimeofday(tv: u64) -> KResult {
    if tv != 0 {
        let ns = time::realtime_ns();
        let mut b = [0u8; 16];
        b[0..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
        b[8..16].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_le_bytes());
        user::write_bytes(tv, &b)?;
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
    const TIMER_ABSTIME: u32 = 1;
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
    let secs = time::realtime_ns() / 1_000_000_000;
    if out != 0 {
        user::write_u64(out, secs)?;
    }
    Ok(secs)
}

fn timeval(ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[0..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..16].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_le_bytes());
    b
}

fn read_timeval(p: u64) -> Result<u64, Errno> {
    let raw = user::read_bytes(p, 16)?;
    let sec = i64::from_le_bytes(raw[0..8].try_into().unwrap_or_default());
    let usec = i64::from_le_bytes(raw[8..16].try_into().unwrap_or_default());
    if sec < 0 || !(0..1_000_000).contains(&usec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(usec as u64 * 1000))
}

const ITIMER_REAL: u32 = 0;

pub fn alarm(secs: u64) -> KResult {
    let pid = crate::task::current().pid;
    let deadline = if secs == 0 {
        0
    } else {
        time::monotonic_ns().saturating_add(secs.saturating_mul(1_000_000_000))
    };
    let (left, _) = crate::task::alarm::set(pid, deadline, 0);
    Ok(left.div_ceil(1_000_000_000))
}

/// setitimer: ITIMER_REAL only (the virtual/profiling timers: EINVAL).
pub fn setitimer(which: u32, new: u64, old: u64) -> KResult {
    if which != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let pid = crate::task::current().pid;
    let (interval, value) = if new == 0 {
        (0, 0)
    } else {
        (read_timeval(new)?, read_timeval(new + 16)?)
    };
    let deadline = if value == 0 {
        0
    } else {
        time::monotonic_ns().saturating_add(value)
    };
    let (left, iv) = crate::task::alarm::set(pid, deadline, interval);
    if old != 0 {
        let mut b = [0u8; 32];
        b[0..16].copy_from_slice(&timeval(iv));
        b[16..32].copy_from_slice(&timeval(left));
        user::write_bytes(old, &b)?;
    }
    Ok(0)
}

pub fn getitimer(which: u32, out: u64) -> KResult {
    if which != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let (left, iv) = crate::task::alarm::get(crate::task::current().pid);
    let mut b = [0u8; 32];
    b[0..16].copy_from_slice(&timeval(iv));
    b[16..32].copy_from_slice(&timeval(left));
    user::write_bytes(out, &b)?;
    Ok(0)
}

/// times: process CPU times are not accounted (zeros); returns clock ticks
/// (USER_HZ = 100) since boot.
pub fn times(buf: u64) -> KResult {
    if buf != 0 {
        user::write_bytes(buf, &[0u8; 32])?;
    }
    Ok(time::monotonic_ns() / 10_000_000)
}
