//! Blocking in the kernel, in one place: wait queues keyed by an open
//! file's wait key (pipes, eventfds, socket ends and the socket stack wake
//! their keys), one queue that every readiness change of a socket, pair
//! end or eventfd wakes (poll, select, epoll and socket calls sleep on it),
//! and the one re-check period for files that announce no changes
//! (devices such as the console are polled at this rate).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use spin::Mutex;

use crate::task::sched::WaitQueue;

/// Longest sleep before a waiter looks again at a file that does not wake
/// anybody when its readiness changes.
pub const RECHECK_NS: u64 = 10_000_000;

static KEYED: Mutex<BTreeMap<usize, Arc<WaitQueue>>> = Mutex::new(BTreeMap::new());

/// Woken by every readiness change of a socket, pair end or eventfd.
static CHANGED: WaitQueue = WaitQueue::new();

/// Wakes everything sleeping on `key`.
pub fn wake_key(key: usize) {
    let q = KEYED.lock().get(&key).cloned();
    if let Some(q) = q {
        q.wake_all();
    }
}

/// Wakes every poll/select/epoll and socket waiter.
pub fn wake_changed() {
    CHANGED.wake_all();
}

/// Sleeps on `key` until woken, or for at most [`RECHECK_NS`] when
/// `recheck` (the file does not wake its key).
pub fn sleep_on_key(key: usize, recheck: bool) {
    let q = KEYED
        .lock()
        .entry(key)
        .or_insert_with(|| Arc::new(WaitQueue::new()))
        .clone();
    q.wait(if recheck {
        crate::time::monotonic_ns() + RECHECK_NS
    } else {
        0
    });
    let mut m = KEYED.lock();
    if m.get(&key)
        .is_some_and(|x| x.is_empty() && Arc::strong_count(x) <= 2)
    {
        m.remove(&key);
    }
}

/// Sleeps until a readiness change, the monotonic `deadline` (`None`:
/// none), or, unless every watched file announces its changes, the next
/// re-check. `true` if the deadline had already passed (no sleep).
pub fn sleep_until_change(deadline: Option<u64>, all_announce: bool) -> bool {
    let now = crate::time::monotonic_ns();
    if deadline.is_some_and(|d| now >= d) {
        return true;
    }
    let cap = (!all_announce).then(|| now + RECHECK_NS);
    let wake_at = match (cap, deadline) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(0),
    };
    // One CPU, interrupts off in the kernel: no wakeup can slip in
    // between the caller's readiness check and going to sleep.
    CHANGED.wait(wake_at);
    false
}

/// Whether the current task must stop waiting: a signal to handle or a
/// kill is pending (the call returns `EINTR`).
pub fn interrupted() -> bool {
    crate::task::exit::interrupted()
}
