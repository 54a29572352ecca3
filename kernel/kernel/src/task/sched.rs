//! Round-robin scheduler over every CPU: one run queue, a current task per
//! CPU. The kernel itself is not preempted: it runs with interrupts
//! disabled under the big kernel lock ([`crate::smp`]) and gives up the CPU
//! only by blocking; user mode is preempted by the timer. A CPU with nothing
//! to run switches to its idle context ([`idle_loop`], on the stack the CPU
//! booted on), so a blocked task's kernel stack is never in use while
//! another CPU may resume it. Blocking primitives: [`WaitQueue`] and timed
//! sleeps.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

use super::{State, Task};
use crate::arch::cpu;
use crate::arch::entry::{self, Context, FpuState};
use crate::smp::{self, MAX_CPUS};

struct Sched {
    current: [Option<Arc<Task>>; MAX_CPUS],
    runq: VecDeque<Arc<Task>>,
    sleepers: Vec<Arc<Task>>,
    /// The last task that exited on each CPU, dropped once that CPU runs
    /// on another stack.
    reap: [Option<Arc<Task>>; MAX_CPUS],
}

/// When the task running on each CPU got it (monotonic ns).
static SLICE_START: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

static SCHED: Mutex<Sched> = Mutex::new(Sched {
    current: [const { None }; MAX_CPUS],
    runq: VecDeque::new(),
    sleepers: Vec::new(),
    reap: [const { None }; MAX_CPUS],
});

/// Each CPU's idle context (made on first use).
static IDLE_CTX: spin::Once<Vec<Context>> = spin::Once::new();

fn idle_ctx(cpu: usize) -> &'static Context {
    &IDLE_CTX.call_once(|| {
        (0..MAX_CPUS)
            .map(|_| Context::new(FpuState::initial()))
            .collect()
    })[cpu]
}

pub fn current() -> Arc<Task> {
    try_current().expect("called from task context")
}

pub fn try_current() -> Option<Arc<Task>> {
    SCHED.lock().current[smp::cpu()].clone()
}

fn make_runnable(t: Arc<Task>) {
    SCHED.lock().runq.push_back(t);
    smp::kick_idle_cpu();
}

/// Makes a blocked (or new) task runnable.
pub fn wake(t: &Arc<Task>) {
    let mut st = t.state.lock();
    if *st == State::Blocked {
        *st = State::Runnable;
        drop(st);
        make_runnable(t.clone());
    }
}

/// Queues a new task.
pub fn spawn(t: Arc<Task>) {
    *t.state.lock() = State::Runnable;
    make_runnable(t);
}

/// Queues the first task and makes the boot CPU idle until it runs.
pub fn start(first: Arc<Task>) -> ! {
    spawn(first);
    idle_loop()
}

/// Loads a task's CPU context other than its stack.
fn enter(t: &Arc<Task>) {
    t.ctx.restore_fpu();
    cpu::set_fs_base(t.fs_base.load(Ordering::Relaxed));
    t.mm().lock().space.activate();
    entry::set_kernel_stack(t.kstack_top());
}

/// The next runnable task from the run queue.
fn pop_runnable() -> Option<Arc<Task>> {
    loop {
        let n = SCHED.lock().runq.pop_front()?;
        if *n.state.lock() == State::Runnable {
            return Some(n);
        }
    }
}

/// Makes `next` this CPU's task and switches from the context `from` to
/// it; returns when `from` runs again.
fn switch_to(from: *const Context, next: Arc<Task>) {
    let me = smp::cpu();
    enter(&next);
    SLICE_START[me].store(crate::time::monotonic_ns(), Ordering::Relaxed);
    SCHED.lock().current[me] = Some(next.clone());
    let to = &next.ctx as *const Context;
    // `next` stays alive through `current`.
    drop(next);
    entry::switch_context(from, to);
    drop_reaped();
}

/// Drops the task that exited on this CPU, now that it runs elsewhere.
fn drop_reaped() {
    let dead = SCHED.lock().reap[smp::cpu()].take();
    drop(dead);
}

/// A CPU's loop when no task runs on it: run whatever is runnable, else
/// give the kernel lock back and halt until an interrupt. Entered by each
/// CPU once, holding the kernel lock; never returns.
pub fn idle_loop() -> ! {
    let me = smp::cpu();
    loop {
        crate::time::tick_if_due();
        if let Some(next) = pop_runnable() {
            switch_to(idle_ctx(me), next);
            continue;
        }
        crate::mm::paging::activate_kernel();
        smp::set_idle(true);
        smp::leave_kernel();
        let tick = wait_for_work();
        smp::enter_kernel();
        smp::set_idle(false);
        if let Some(now) = tick {
            crate::time::tick(now);
        }
    }
}

/// Halts (without the kernel lock) until this CPU is asked to look at the
/// run queue, it claims the system-wide tick (`Some(now)`: the caller runs
/// it), or a slice has passed: an idle CPU's timer interrupts mostly end
/// here instead of in the kernel lock.
fn wait_for_work() -> Option<u64> {
    let since = crate::time::monotonic_ns();
    loop {
        let idle = crate::stats::Probe::start();
        cpu::idle();
        idle.work(crate::stats::Work::Idle, 0);
        let now = crate::time::monotonic_ns();
        if crate::time::claim_tick(now) {
            return Some(now);
        }
        if smp::take_attention() || now.saturating_sub(since) >= crate::time::SLICE_NS {
            return None;
        }
    }
}

/// Whether the task on this CPU has used up its slice at `now` (read
/// without the kernel lock).
pub fn slice_over(now: u64) -> bool {
    now.saturating_sub(SLICE_START[smp::cpu()].load(Ordering::Relaxed)) >= crate::time::SLICE_NS
}

/// Switches to the next runnable task; returns when the current task runs
/// again. If nothing is runnable and the current task may not continue,
/// this CPU goes idle.
pub fn schedule() {
    let cur = current();
    let next = pop_runnable();
    if next.is_none() && *cur.state.lock() == State::Runnable {
        return;
    }
    if next.as_ref().is_some_and(|n| Arc::ptr_eq(n, &cur)) {
        return;
    }
    cur.ctx.save_fpu();
    cur.fs_base.store(
        x86_64::registers::model_specific::FsBase::read().as_u64(),
        Ordering::Relaxed,
    );
    let me = smp::cpu();
    {
        let mut s = SCHED.lock();
        s.current[me] = None;
        if *cur.state.lock() == State::Dead {
            s.reap[me] = Some(cur.clone());
        }
    }
    // `cur` stays alive across the switch through `reap` or the task table.
    let from = &cur.ctx as *const Context;
    let left_at = crate::stats::enabled().then(crate::time::monotonic_ns);
    drop(cur);
    match next {
        Some(next) => switch_to(from, next),
        None => {
            entry::switch_context(from, idle_ctx(me));
            drop_reaped();
        }
    }
    if let Some(t0) = left_at {
        let away = crate::time::monotonic_ns().saturating_sub(t0);
        current().off_cpu_ns.fetch_add(away, Ordering::Relaxed);
    }
}

/// Timer preemption of user mode.
pub fn preempt() {
    if !slice_over(crate::time::monotonic_ns()) {
        super::exit::check_pending_kill();
        return;
    }
    let others = !SCHED.lock().runq.is_empty();
    if others {
        let cur = current();
        SCHED.lock().runq.push_back(cur);
        schedule();
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
    smp::request_attention_everywhere();
}
