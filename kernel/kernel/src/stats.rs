//! Counting and timing kernel work for profiles: with `stats` on the
//! kernel command line, every system call (by number), user page fault,
//! disk transfer, idle halt and wait for the big kernel lock adds its
//! count and time here, and the
//! report (`veridian_kcore::stats`) is printed at power-off. Off by
//! default; then each probe costs one relaxed load.
//!
//! Times are on-CPU: a call that blocks is charged its own work, not the
//! time other tasks ran meanwhile (`task::sched` keeps each task's
//! switched-out time).

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use veridian_kcore::stats::{report, Row, Tally};

use crate::mm::vma::Fault;
use crate::time::monotonic_ns;

/// System-call numbers counted (Linux's x86_64 table ends below this).
const SYSCALLS: usize = 512;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Kinds of kernel work other than system calls.
#[derive(Clone, Copy)]
pub enum Work {
    /// A page fault from user mode, by what it did.
    PageFault(Fault),
    DiskRead,
    DiskWrite,
    DiskFlush,
    /// A CPU halted with nothing to run.
    Idle,
    /// A CPU waiting for the big kernel lock (`smp::enter_kernel`).
    LockWait,
}

impl Work {
    fn index(self) -> usize {
        match self {
            Work::PageFault(Fault::AlreadyMapped) => 0,
            Work::PageFault(Fault::CopyOnWrite) => 1,
            Work::PageFault(Fault::File) => 2,
            Work::PageFault(Fault::Anonymous) => 3,
            Work::DiskRead => 4,
            Work::DiskWrite => 5,
            Work::DiskFlush => 6,
            Work::Idle => 7,
            Work::LockWait => 8,
        }
    }
}

/// Report names, in [`Work::index`] order.
const WORK_NAMES: [(&str, &str); 9] = [
    ("fault", "already-mapped"),
    ("fault", "copy-on-write"),
    ("fault", "file-page"),
    ("fault", "zero-page"),
    ("disk", "read"),
    ("disk", "write"),
    ("disk", "flush"),
    ("cpu", "idle"),
    ("cpu", "kernel-lock-wait"),
];

struct Counter {
    count: AtomicU64,
    ns: AtomicU64,
    bytes: AtomicU64,
}

impl Counter {
    const fn new() -> Counter {
        Counter {
            count: AtomicU64::new(0),
            ns: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    fn add(&self, ns: u64, bytes: u64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.ns.fetch_add(ns, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    fn tally(&self) -> Tally {
        Tally {
            count: self.count.load(Ordering::Relaxed),
            ns: self.ns.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

static BY_SYSCALL: [Counter; SYSCALLS] = [const { Counter::new() }; SYSCALLS];
static BY_WORK: [Counter; WORK_NAMES.len()] = [const { Counter::new() }; WORK_NAMES.len()];

/// Turns counting on (from the command line, once at boot).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// A started measurement: the start time and, for work done by a task,
/// that task's switched-out time then, so that the elapsed time leaves
/// out time spent blocked. Empty when counting is off.
pub struct Probe(Option<(u64, Option<u64>)>);

impl Probe {
    /// For work that never switches tasks (the disk driver polls; idle).
    pub fn start() -> Probe {
        Probe(enabled().then(|| (monotonic_ns(), None)))
    }

    /// For work of the running task that may block (system calls, page
    /// faults).
    pub fn start_task() -> Probe {
        Probe(enabled().then(|| (monotonic_ns(), Some(crate::task::off_cpu_ns()))))
    }

    fn elapsed(&self) -> Option<u64> {
        let (t0, off0) = self.0?;
        let wall = monotonic_ns().saturating_sub(t0);
        let away = off0.map_or(0, |off0| crate::task::off_cpu_ns().saturating_sub(off0));
        Some(wall.saturating_sub(away))
    }

    /// Charges the time since [`Probe::start_task`] to system call `nr`.
    pub fn syscall(self, nr: u64) {
        if let (Some(ns), Some(c)) = (self.elapsed(), BY_SYSCALL.get(nr as usize)) {
            c.add(ns, 0);
        }
    }

    /// Charges the time since the start to `work`, which moved `bytes`.
    pub fn work(self, work: Work, bytes: u64) {
        if let Some(ns) = self.elapsed() {
            BY_WORK[work.index()].add(ns, bytes);
        }
    }
}

/// Prints the report if counting is on.
pub fn print_report() {
    if !enabled() {
        return;
    }
    let mut rows = alloc::vec::Vec::new();
    for (nr, c) in BY_SYSCALL.iter().enumerate() {
        let name = veridian_syscall::nr::name(nr).unwrap_or("unknown");
        rows.push(Row {
            group: "syscall",
            name,
            tally: c.tally(),
        });
    }
    for (&(group, name), c) in WORK_NAMES.iter().zip(&BY_WORK) {
        rows.push(Row {
            group,
            name,
            tally: c.tally(),
        });
    }
    let idle = BY_WORK[Work::Idle.index()].tally().ns;
    let text = report(&rows, crate::smp::online(), monotonic_ns(), idle);
    for line in text.lines() {
        crate::kprintln!("{line}");
    }
}
