//! ITIMER_REAL / alarm: one real-time timer per process, checked on every
//! tick; expiry posts SIGALRM (and re-arms with the interval).

use alloc::collections::BTreeMap;
use spin::Mutex;
use veridian_syscall::signal::SIGALRM;

/// pid -> (deadline, interval), monotonic nanoseconds.
static ALARMS: Mutex<BTreeMap<u32, (u64, u64)>> = Mutex::new(BTreeMap::new());

/// Arms (deadline 0 = disarms) the timer of `pid`; returns the previous
/// (remaining, interval).
pub fn set(pid: u32, deadline: u64, interval: u64) -> (u64, u64) {
    let now = crate::time::monotonic_ns();
    let mut a = ALARMS.lock();
    let old = a
        .get(&pid)
        .map(|&(d, i)| (d.saturating_sub(now).max(1), i))
        .unwrap_or((0, 0));
    if deadline == 0 {
        a.remove(&pid);
    } else {
        a.insert(pid, (deadline, interval));
    }
    old
}

/// The (remaining, interval) of `pid`'s timer.
pub fn get(pid: u32) -> (u64, u64) {
    let now = crate::time::monotonic_ns();
    ALARMS
        .lock()
        .get(&pid)
        .map(|&(d, i)| (d.saturating_sub(now).max(1), i))
        .unwrap_or((0, 0))
}

/// Timer tick: fires due timers.
pub fn tick(now: u64) {
    let due: alloc::vec::Vec<u32> = {
        let mut a = ALARMS.lock();
        if a.is_empty() {
            return;
        }
        let mut due = alloc::vec::Vec::new();
        a.retain(|&pid, (d, i)| {
            if *d > now {
                return true;
            }
            due.push(pid);
            if *i > 0 {
                *d = now + *i;
                true
            } else {
                false
            }
        });
        due
    };
    for pid in due {
        if super::signal::post(pid, SIGALRM).is_err() {
            ALARMS.lock().remove(&pid);
        }
    }
}
