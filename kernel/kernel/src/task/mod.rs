//! Tasks (threads) and processes. A task owns a kernel stack and saved CPU
//! state; the memory map, fd table and fs context are shared between tasks
//! as `clone` flags say. Processes (thread groups) live in [`PROCS`].

pub mod alarm;
pub mod exec;
pub mod exit;
pub mod fork;
pub mod futex;
pub mod procinfo;
pub mod sched;
pub mod signal;
pub mod user;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use spin::Mutex;
use veridian_kcore::signal::{AltStack, Pending};
use veridian_syscall::signal::{SIGRTMAX, SIG_DFL};

use crate::arch::entry::{Context, FpuState};
use crate::fs::{FdTable, FsContext};
use crate::mm::vma::Mm;

pub const KSTACK_SIZE: usize = 64 * 1024;
/// Bytes of a thread name with its NUL (`TASK_COMM_LEN`).
pub const COMM_LEN: usize = 16;
/// A new thread's timer slack (Linux's default, 50 µs).
pub const DEFAULT_TIMER_SLACK_NS: u64 = 50_000;
/// Upper bound on live tasks (fork bombs get EAGAIN).
pub const MAX_TASKS: usize = 512;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    Runnable,
    Blocked,
    Dead,
}

/// Per-signal disposition as stored by rt_sigaction.
#[derive(Clone, Copy, Default)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// A process's dispositions, indexed by signal number (1..=`SIGRTMAX`;
/// index 0 is unused).
pub type SigActions = [SigAction; SIGRTMAX as usize + 1];

/// Every signal at its default action (`SIG_DFL`, no flags, empty mask).
pub const DEFAULT_SIGACTIONS: SigActions = [SigAction {
    handler: SIG_DFL,
    flags: 0,
    restorer: 0,
    mask: 0,
}; SIGRTMAX as usize + 1];

/// A thread.
pub struct Task {
    pub tid: u32,
    /// Thread-group id (the process id).
    pub pid: u32,
    kstack: Box<[u8]>,
    /// Saved stack pointer and FPU state while switched out.
    pub ctx: Context,
    pub fs_base: AtomicU64,
    pub state: Mutex<State>,
    pub mm: Mutex<Arc<Mutex<Mm>>>,
    pub files: Mutex<Arc<FdTable>>,
    pub fsctx: Mutex<Arc<FsContext>>,
    pub clear_child_tid: AtomicU64,
    pub sigmask: AtomicU64,
    /// Signals sent to this thread only (tgkill, tkill, rt_tgsigqueueinfo).
    pub pending: Mutex<Pending>,
    /// The set an rt_sigtimedwait in progress waits for (else 0).
    pub sigwait: AtomicU64,
    /// The alternate signal stack (sigaltstack).
    pub altstack: Mutex<AltStack>,
    /// The thread's name (`comm`: up to 15 bytes, NUL-padded).
    pub comm: Mutex<[u8; COMM_LEN]>,
    /// Timer slack in nanoseconds (PR_SET_TIMERSLACK; kept, not applied:
    /// timers here fire at the next tick).
    pub timer_slack: AtomicU64,
    /// PR_SET_NO_NEW_PRIVS: set once, inherited, never cleared.
    pub no_new_privs: AtomicBool,
    /// PR_SET_KEEPCAPS (cleared by execve).
    pub keepcaps: AtomicBool,
    /// Mask to report as the interrupted one after rt_sigsuspend (else
    /// `u64::MAX`).
    pub suspend_mask: AtomicU64,
    /// Signal that will terminate the task at its next return to user mode.
    pub pending_kill: AtomicU32,
    /// Sleep deadline (monotonic ns), 0 = none; set by timed waits.
    pub deadline: AtomicU64,
    /// The task blocked in vfork waiting for this one to exec or exit.
    pub vfork_parent: Mutex<Option<Arc<Task>>>,
    /// Nanoseconds spent switched out in the kernel (kept only while
    /// `stats` counts: see [`crate::stats`]).
    pub off_cpu_ns: AtomicU64,
}

impl Task {
    pub fn new(
        tid: u32,
        pid: u32,
        mm: Arc<Mutex<Mm>>,
        files: Arc<FdTable>,
        fsctx: Arc<FsContext>,
        fpu: FpuState,
    ) -> Arc<Task> {
        Arc::new(Task {
            tid,
            pid,
            kstack: vec![0u8; KSTACK_SIZE].into_boxed_slice(),
            ctx: Context::new(fpu),
            fs_base: AtomicU64::new(0),
            state: Mutex::new(State::Runnable),
            mm: Mutex::new(mm),
            files: Mutex::new(files),
            fsctx: Mutex::new(fsctx),
            clear_child_tid: AtomicU64::new(0),
            sigmask: AtomicU64::new(0),
            pending: Mutex::new(Pending::new()),
            sigwait: AtomicU64::new(0),
            altstack: Mutex::new(AltStack::default()),
            comm: Mutex::new([0; COMM_LEN]),
            timer_slack: AtomicU64::new(DEFAULT_TIMER_SLACK_NS),
            no_new_privs: AtomicBool::new(false),
            keepcaps: AtomicBool::new(false),
            suspend_mask: AtomicU64::new(u64::MAX),
            pending_kill: AtomicU32::new(0),
            deadline: AtomicU64::new(0),
            vfork_parent: Mutex::new(None),
            off_cpu_ns: AtomicU64::new(0),
        })
    }

    pub fn kstack_top(&self) -> u64 {
        (self.kstack.as_ptr() as u64 + self.kstack.len() as u64) & !15
    }

    pub fn mm(&self) -> Arc<Mutex<Mm>> {
        self.mm.lock().clone()
    }

    pub fn files(&self) -> Arc<FdTable> {
        self.files.lock().clone()
    }

    pub fn fsctx(&self) -> Arc<FsContext> {
        self.fsctx.lock().clone()
    }
}

/// A process (thread group).
pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    pub pgid: u32,
    pub sid: u32,
    pub threads: Vec<u32>,
    /// `Some(wait status)` once every thread has exited.
    pub zombie: Option<i32>,
    /// Status set by exit_group / a fatal signal, used by the last thread.
    pub exit_status: Option<i32>,
    pub sigactions: Arc<Mutex<SigActions>>,
    /// Signals sent to the process (kill, rt_sigqueueinfo, alarms) that no
    /// thread has taken yet.
    pub pending: Pending,
    /// Tasks blocked in wait4 on this process's children.
    pub child_waiters: Vec<Arc<Task>>,
    pub exe: Vec<u8>,
    /// argv, each NUL-terminated (/proc/PID/cmdline).
    pub cmdline: Vec<u8>,
    /// Signal sent to this process when its parent ends (0: none).
    pub pdeath_sig: i32,
    /// PR_SET_DUMPABLE (no core dumps are written either way).
    pub dumpable: bool,
    /// Orphaned descendants are re-parented here rather than to init.
    pub child_subreaper: bool,
    /// Supplementary group ids (setgroups/getgroups), inherited by children.
    pub groups: Vec<u32>,
}

/// The name a thread gets from the file it executes: the last path
/// component, cut to 15 bytes.
pub fn comm_of(path: &[u8]) -> [u8; COMM_LEN] {
    let base = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let mut c = [0u8; COMM_LEN];
    let n = base.len().min(COMM_LEN - 1);
    c[..n].copy_from_slice(&base[..n]);
    c
}

pub static PROCS: Mutex<BTreeMap<u32, Process>> = Mutex::new(BTreeMap::new());
pub static TASKS: Mutex<BTreeMap<u32, Arc<Task>>> = Mutex::new(BTreeMap::new());
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// A fresh thread/process id.
pub fn alloc_id() -> u32 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The running task.
pub fn current() -> Arc<Task> {
    sched::current()
}

/// The running task's switched-out nanoseconds (0 outside a task).
pub fn off_cpu_ns() -> u64 {
    sched::try_current().map_or(0, |t| t.off_cpu_ns.load(Ordering::Relaxed))
}

pub fn current_mm() -> Arc<Mutex<Mm>> {
    current().mm()
}

pub fn current_pid() -> u32 {
    sched::try_current().map(|t| t.pid).unwrap_or(0)
}
