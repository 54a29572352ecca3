//! Round-robin scheduler for one CPU. The kernel itself is not preempted:
//! it runs with interrupts disabled and gives up the CPU only by blocking;
//! user mode is preempted by the timer. Blocking primitives: [`WaitQueue`]
//! and timed sleeps.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use spin::Mutex;

use super::{State, Task};
use crate::arch::cpu;
use crate::arch::entry::{self, Context};

struct Sched {
    current: Option<Arc<Task>>,
    runq: VecDeque<Arc<Task>>,
    sleepers: Vec<Arc<Task>>,
    /// The last task that exited, dropped once we run on another stack.
    reap: Option<Arc<Task>>,
}

/// Tick at which the running task got the CPU.
static SLICE_START: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

static SCHED: Mutex<Sched> = Mutex::new(Sched {
    current: None,
    runq: VecDeque::new(),
    sleepers: Vec::new(),
    reap: None,
});

pub fn current() -> Arc<Task> {
    SCHED
        .lock()
        .current
        .clone()
        .expect("called from task context")
}

pub fn try_current() -> Option<Arc<Task>> {
    SCHED.lock().current.clone()
}

/// Makes a blocked (or new) task runnable.
pub fn wake(t: &Arc<Task>) {
    let mut st = t.state.lock();
    if *st == State::Blocked {
        *st = State::Runnable;
        drop(st);
        SCHED.lock().runq.push_back(t.clone());
    }
}

/// Queues a new task.
pub fn spawn(t: Arc<Task>) {
    *t.state.lock() = State::Runnable;
    SCHED.lock().runq.push_back(t);
}

/// Leaves the boot stack for the first task; never returns.
pub fn start(first: Arc<Task>) -> ! {
    SCHED.lock().current = Some(first.clone());
    enter(&first);
    entry::enter_first(&first.ctx)
}

/// Loads a task's CPU context other than its stack.
fn enter(t: &Arc<Task>) {
    t.ctx.restore_fpu();
    cpu::set_fs_base(t.fs_base.load(Ordering::Relaxed));
    t.mm().lock().space.activate();
    entry::set_kernel_stack(t.kstack_top());
}

/// Switches to the next runnable task; returns when the current task runs
/// again. If nothing is runnable and the current task may not continue,
/// idles until an interrupt makes something runnable.
pub fn schedule() {
    let cur = current();
    let next = loop {
        let n = SCHED.lock().runq.pop_front();
        match n {
            Some(t) if *t.state.lock() == State::Runnable => break t,
            Some(_) => continue,
            None => {
                if *cur.state.lock() == State::Runnable {
                    return;
                }
                cpu::idle();
            }
        }
    };
    if Arc::ptr_eq(&next, &cur) {
        return;
    }
    cur.ctx.save_fpu();
    cur.fs_base.store(
        x86_64::registers::model_specific::FsBase::read().as_u64(),
        Ordering::Relaxed,
    );
    enter(&next);
    SLICE_START.store(crate::time::ticks(), Ordering::Relaxed);
    {
        let mut s = SCHED.lock();
        s.current = Some(next.clone());
        if *cur.state.lock() == State::Dead {
            s.reap = Some(cur.clone());
        }
    }
    // Both tasks stay alive across the switch: `cur` through `reap` or the
    // task table, `next` through `current`.
    let (from, to) = (&cur.ctx as *const Context, &next.ctx as *const Context);
    drop(next);
    drop(cur);
    entry::switch_context(from, to);
}

/// Timer preemption of user mode.
pub fn preempt() {
    if crate::time::ticks().wrapping_sub(SLICE_START.load(Ordering::Relaxed))
        < crate::time::SLICE_TICKS
    {
        super::exit::check_pending_kill();
        return;
    }
    let cur = current();
    let others = !SCHED.lock().runq.is_empty();
    if others {
        SCHED.lock().runq.push_back(cur.clone());
        drop(cur);
        schedule();
    } else {
        drop(cur);
    }
    super::exit::check_pending_kill();
}

/// Gives up the CPU to other runnable tasks.
pub fn yield_now() {
    let cur = current();
    SCHED.lock().runq.push_back(cur);
    schedule();
}

/// Blocks the current task until woken.
pub fn block() {
    let cur = current();
    *cur.state.lock() = State::Blocked;
    drop(cur);
    schedule();
}

/// Blocks until woken or until monotonic time `deadline_ns` (0 = never);
/// returns true if the deadline passed.
pub fn block_until(deadline_ns: u64) -> bool {
    let cur = current();
    if deadline_ns != 0 {
        if crate::time::monotonic_ns() >= deadline_ns {
            return true;
        }
        cur.deadline.store(deadline_ns, Ordering::Relaxed);
        SCHED.lock().sleepers.push(cur.clone());
    }
    *cur.state.lock() = State::Blocked;
    schedule();
    if deadline_ns != 0 {
        cur.deadline.store(0, Ordering::Relaxed);
        SCHED.lock().sleepers.retain(|t| !Arc::ptr_eq(t, &cur));
        return crate::time::monotonic_ns() >= deadline_ns;
    }
    false
}

/// Wakes every sleeper whose deadline is at or before `now`.
pub fn wake_sleepers(now: u64) {
    let due: Vec<Arc<Task>> = {
        let mut s = SCHED.lock();
        let mut due = Vec::new();
        s.sleepers.retain(|t| {
            let d = t.deadline.load(Ordering::Relaxed);
            if d != 0 && d <= now {
                due.push(t.clone());
                false
            } else {
                true
            }
        });
        due
    };
    for t in due {
        wake(&t);
    }
}

/// Tasks waiting for an event.
pub struct WaitQueue {
    waiters: Mutex<Vec<Arc<Task>>>,
}

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue {
            waiters: Mutex::new(Vec::new()),
        }
    }

    /// Blocks the current task on this queue (until woken or the deadline,
    /// 0 = none); returns true on timeout.
    pub fn wait(&self, deadline_ns: u64) -> bool {
        let cur = current();
        self.waiters.lock().push(cur.clone());
        let timed_out = block_until(deadline_ns);
        self.waiters.lock().retain(|t| !Arc::ptr_eq(t, &cur));
        timed_out
    }

    pub fn wake_all(&self) {
        let ws: Vec<Arc<Task>> = core::mem::take(&mut *self.waiters.lock());
        for t in ws {
            wake(&t);
        }
    }

    /// Wakes up to `n` waiters; returns how many.
    pub fn wake_n(&self, n: usize) -> usize {
        let ws: Vec<Arc<Task>> = {
            let mut w = self.waiters.lock();
            let k = n.min(w.len());
            w.drain(..k).collect()
        };
        let k = ws.len();
        for t in ws {
            wake(&t);
        }
        k
    }

    pub fn is_empty(&self) -> bool {
        self.waiters.lock().is_empty()
    }
}

/// Wakes a task that may be sleeping with a deadline (for kills).
pub fn interrupt(t: &Arc<Task>) {
    SCHED.lock().sleepers.retain(|s| !Arc::ptr_eq(s, t));
    wake(t);
}
