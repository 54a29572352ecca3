//! Futexes: wait queues keyed by (address space, user address).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use spin::Mutex;
use veridian_vfs::Errno;

use super::sched::WaitQueue;
use crate::mm::vma::Mm;

static QUEUES: Mutex<BTreeMap<(usize, u64), Arc<WaitQueue>>> = Mutex::new(BTreeMap::new());

fn key(mm: &Arc<Mutex<Mm>>, uaddr: u64) -> (usize, u64) {
    (Arc::as_ptr(mm) as usize, uaddr)
}

/// Blocks while `*uaddr == val`, until woken or the monotonic deadline
/// (0 = none).
pub fn wait(mm: &Arc<Mutex<Mm>>, uaddr: u64, val: u32, deadline_ns: u64) -> Result<(), Errno> {
    let cur = crate::task::user::read_u32(uaddr)?;
    if cur != val {
        return Err(Errno::EAGAIN);
    }
    if super::exit::interrupted() {
        return Err(Errno::EINTR);
    }
    let q = QUEUES
        .lock()
        .entry(key(mm, uaddr))
        .or_insert_with(|| Arc::new(WaitQueue::new()))
        .clone();
    let timed_out = q.wait(deadline_ns);
    if q.is_empty() {
        let mut m = QUEUES.lock();
        if m.get(&key(mm, uaddr))
            .map(|x| Arc::ptr_eq(x, &q) && x.is_empty())
            .unwrap_or(false)
        {
            m.remove(&key(mm, uaddr));
        }
    }
    if super::exit::interrupted() {
        return Err(Errno::EINTR);
    }
    if timed_out {
        return Err(Errno::ETIMEDOUT);
    }
    Ok(())
}

/// Wakes up to `n` waiters; returns how many.
pub fn wake(mm: &Arc<Mutex<Mm>>, uaddr: u64, n: usize) -> usize {
    let q = QUEUES.lock().get(&key(mm, uaddr)).cloned();
    q.map(|q| q.wake_n(n)).unwrap_or(0)
}
