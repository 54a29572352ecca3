//! The socket layer in the kernel: one `veridian-net` stack behind one
//! lock, its millisecond clock, the timer hook that drives it, and the
//! wait queue socket calls sleep on until the stack reports a change.

pub mod block;
pub mod epoll_file;
pub mod socket_file;

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use spin::{Mutex, Once};
use veridian_net::{NetConfig, NetStack};

use crate::task::sched::WaitQueue;

static STACK: Once<Mutex<NetStack>> = Once::new();
/// Socket syscalls sleep here; woken whenever a poll changed something.
pub static WAITERS: WaitQueue = WaitQueue::new();
/// `crate::fs::wait` key of every socket fd (read/write/poll through the
/// VFS). Heap and pipe keys are addresses, so this top value is free.
pub const WAIT_KEY: usize = usize::MAX - 0x6e_6574;
/// When the stack next wants a poll for its timers (ms, `u64::MAX`: never).
static NEXT_POLL_MS: AtomicU64 = AtomicU64::new(u64::MAX);
/// A socket was closed outside the lock: poll at the next tick.
static DIRTY: AtomicBool = AtomicBool::new(false);

/// Monotonic milliseconds, the stack's clock.
pub fn now_ms() -> u64 {
    crate::time::monotonic_ns() / 1_000_000
}

/// Sets up the loopback stack. Socket buffers together may take an
/// eighth of the page-frame memory (the kernel heap is about a quarter of
/// RAM), so sockets cannot starve the kernel.
pub fn init() {
    let (_, frames) = crate::mm::frame::stats();
    let budget = frames.saturating_mul(4096) / 8;
    let mut seed = [0u8; 8];
    crate::random::fill(&mut seed);
    let defaults = NetConfig::default();
    let cfg = NetConfig {
        random_seed: u64::from_le_bytes(seed),
        max_buffer_bytes: defaults.max_buffer_bytes.min(budget),
        ..defaults
    };
    STACK.call_once(|| Mutex::new(NetStack::new(cfg)));
}

fn stack() -> &'static Mutex<NetStack> {
    STACK.get().expect("the network stack is set up at boot")
}

/// Polls (the lock is held) and remembers when to poll again; returns
/// whether waiters must be woken.
fn poll_locked(n: &mut NetStack, now: u64) -> bool {
    let changed = n.poll(now);
    let next = n.poll_delay(now).map_or(u64::MAX, |d| now.saturating_add(d.max(1)));
    NEXT_POLL_MS.store(next, Ordering::Relaxed);
    changed
}

/// Wakes every task waiting on a socket.
pub fn wake() {
    WAITERS.wake_all();
    crate::fs::wait::wake(WAIT_KEY);
}

/// Runs a socket operation under the lock, then polls the stack so its
/// effects (packets, state changes) happen now, and wakes waiters if
/// anything changed.
pub fn with<T>(op: impl FnOnce(&mut NetStack) -> T) -> T {
    let mut n = stack().lock();
    let r = op(&mut n);
    let changed = poll_locked(&mut n, now_ms());
    drop(n);
    if changed {
        wake();
    }
    r
}

/// A read-only look at the stack (readiness, options) without polling.
pub fn peek<T>(op: impl FnOnce(&mut NetStack) -> T) -> T {
    op(&mut stack().lock())
}

/// Marks that a socket was dropped; the next tick (or call) closes it.
pub fn mark_dirty() {
    DIRTY.store(true, Ordering::Relaxed);
}

/// Timer hook (every PIT tick, interrupt context): polls the stack when
/// its timers are due or a socket was dropped. Skips the tick if the lock
/// is held (the holder polls anyway).
pub fn tick(now_ns: u64) {
    let now = now_ns / 1_000_000;
    if !DIRTY.load(Ordering::Relaxed) && now < NEXT_POLL_MS.load(Ordering::Relaxed) {
        return;
    }
    let Some(s) = STACK.get() else { return };
    let Some(mut n) = s.try_lock() else { return };
    DIRTY.store(false, Ordering::Relaxed);
    let changed = poll_locked(&mut n, now);
    drop(n);
    if changed {
        wake();
    }
}
