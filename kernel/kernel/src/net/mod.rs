//! The socket layer in the kernel: one `veridian-net` stack behind one
//! lock (loopback, plus virtio-net as 10.0.2.15/24 via 10.0.2.2 when QEMU
//! gives the machine one), its millisecond clock, the timer hook that
//! drives it; socket calls sleep in `crate::wait` until the stack reports
//! a change.

pub mod block;
pub mod socket_file;
pub mod unix_file;

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use spin::{Mutex, Once};
use veridian_net::smoltcp::wire::{EthernetAddress, HardwareAddress};
use veridian_net::{ExternalConfig, FrameDevice, NetConfig, NetStack};
use veridian_vfs::IoctlReply;

use crate::drivers::virtio_net::Nic;

/// The kernel's stack type: loopback plus, when present, the NIC.
pub type Stack = NetStack<FrameDevice<Nic>>;

static STACK: Once<Mutex<Stack>> = Once::new();
/// A NIC is attached: poll every tick for received frames.
static HAS_NIC: AtomicBool = AtomicBool::new(false);
/// `crate::wait` key of every socket fd (read/write/poll through the
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

/// The stack's settings. Socket buffers together may take an eighth of
/// the page-frame memory (the kernel heap is about a quarter of RAM), so
/// sockets cannot starve the kernel.
fn config() -> NetConfig {
    let (_, frames) = crate::mm::frame::stats();
    let budget = frames.saturating_mul(4096) / 8;
    let mut seed = [0u8; 8];
    crate::random::fill(&mut seed);
    let defaults = NetConfig::default();
    NetConfig {
        random_seed: u64::from_le_bytes(seed),
        max_buffer_bytes: defaults.max_buffer_bytes.min(budget),
        ..defaults
    }
}

/// Brings up virtio-net as the stack's device when QEMU gives the machine
/// one. Without a NIC the loopback-only stack is set up by the first
/// socket call instead, so a boot that never uses sockets skips it.
pub fn init() {
    let Some(nic) = crate::drivers::virtio_net::probe() else {
        return;
    };
    let ext = ExternalConfig::qemu_user(HardwareAddress::Ethernet(EthernetAddress(nic.mac())));
    let stack = match NetStack::with_device(config(), FrameDevice::new(nic), ext) {
        Ok(s) => {
            crate::kprintln!("veridian: virtio-net up as {}/{}", ext.addr, ext.prefix_len);
            HAS_NIC.store(true, Ordering::Relaxed);
            s
        }
        Err(e) => {
            crate::kprintln!("veridian: virtio-net not used: {}", e.0);
            NetStack::without_device(config())
        }
    };
    STACK.call_once(|| Mutex::new(stack));
}

fn stack() -> &'static Mutex<Stack> {
    STACK.call_once(|| Mutex::new(NetStack::without_device(config())))
}

/// Polls (the lock is held) and remembers when to poll again; returns
/// whether waiters must be woken.
fn poll_locked(n: &mut Stack, now: u64) -> bool {
    let changed = n.poll(now);
    let next = n
        .poll_delay(now)
        .map_or(u64::MAX, |d| now.saturating_add(d.max(1)));
    NEXT_POLL_MS.store(next, Ordering::Relaxed);
    changed
}

/// Wakes every task waiting on a socket.
pub fn wake() {
    crate::wait::wake_changed();
    crate::wait::wake_key(WAIT_KEY);
}

/// Runs a socket operation under the lock, then polls the stack so its
/// effects (packets, state changes) happen now, and wakes waiters if
/// anything changed.
pub fn with<T>(op: impl FnOnce(&mut Stack) -> T) -> T {
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
pub fn peek<T>(op: impl FnOnce(&mut Stack) -> T) -> T {
    op(&mut stack().lock())
}

/// An interface request (`SIOCGIFINDEX`, `SIOCGIFNAME`), which every
/// socket answers whatever its family; `None` for other requests.
pub fn interface_ioctl(cmd: u32, arg: &[u8]) -> Option<veridian_vfs::Result<IoctlReply>> {
    peek(|n| n.interface_ioctl(cmd, arg)).map(|r| r.map(IoctlReply::with))
}

/// Marks that a socket was dropped; the next tick (or call) closes it.
pub fn mark_dirty() {
    DIRTY.store(true, Ordering::Relaxed);
}

/// Timer hook (every PIT tick, interrupt context): polls the stack when
/// its timers are due, a socket was dropped, or a NIC may have frames. Skips the tick if the lock
/// is held (the holder polls anyway).
pub fn tick(now_ns: u64) {
    let now = now_ns / 1_000_000;
    let due = DIRTY.load(Ordering::Relaxed) || HAS_NIC.load(Ordering::Relaxed);
    if !due && now < NEXT_POLL_MS.load(Ordering::Relaxed) {
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
