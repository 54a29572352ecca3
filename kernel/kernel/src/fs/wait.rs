//! Wait queues keyed by `OpenFile::wait_key` (pipes wake them through the
//! VFS's hook), and the blocking retry loop for would-block operations.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use spin::Mutex;
use veridian_syscall::errno::{EAGAIN, EINTR};
use veridian_vfs::OpenFile;

use crate::task::sched::WaitQueue;

static QUEUES: Mutex<BTreeMap<usize, Arc<WaitQueue>>> = Mutex::new(BTreeMap::new());

/// Longest sleep before re-polling (devices without interrupts, e.g. the
/// console, are polled at this rate).
const POLL_NS: u64 = 10_000_000;

/// Wakes everything waiting on `key`.
pub fn wake(key: usize) {
    let q = QUEUES.lock().get(&key).cloned();
    if let Some(q) = q {
        q.wake_all();
    }
}

/// Sleeps on `key` until woken, or for at most [`POLL_NS`] when `poll`.
fn wait(key: usize, poll: bool) {
    let q = QUEUES
        .lock()
        .entry(key)
        .or_insert_with(|| Arc::new(WaitQueue::new()))
        .clone();
    q.wait(if poll {
        crate::time::monotonic_ns() + POLL_NS
    } else {
        0
    });
    let mut m = QUEUES.lock();
    if m.get(&key)
        .map(|x| x.is_empty() && Arc::strong_count(x) <= 2)
        .unwrap_or(false)
    {
        m.remove(&key);
    }
}

/// Runs `op` until it stops reporting EAGAIN, sleeping in between, unless
/// the file is non-blocking. EINTR when a fatal signal is pending.
pub fn blocking<T>(
    f: &OpenFile,
    write: bool,
    mut op: impl FnMut() -> veridian_vfs::Result<T>,
) -> Result<T, i32> {
    loop {
        match op() {
            Err(e) if e.0 == EAGAIN && !f.is_nonblocking() => {
                if crate::task::exit::interrupted() {
                    return Err(EINTR);
                }
                let v = super::vfs();
                let ready = if write {
                    v.poll_write_ready(f)
                } else {
                    v.poll_read_ready(f)
                };
                if !ready {
                    // Pipes wake their key; devices are polled.
                    wait(f.wait_key(), f.node().is_some());
                }
            }
            r => return r.map_err(|e| e.0),
        }
    }
}
