//! Signal bookkeeping as Linux does it, without tasks or locks: signal
//! sets, pending queues (one per thread, one per process), the siginfo a
//! sender leaves, which thread receives a process-directed signal, what
//! posting and what delivering a signal does, and the alternate stack.
//!
//! Rules followed (signal(7), Linux `kernel/signal.c`):
//! - a standard signal (below `SIGRTMIN`) is pending at most once: a second
//!   send while one is pending is dropped; real-time signals queue, in
//!   order, each with its own siginfo;
//! - a signal ignored by its disposition is discarded when sent, unless the
//!   target thread blocks it (the disposition may change before it is
//!   unblocked); setting a disposition that ignores discards pending ones;
//! - a signal whose default action terminates kills the whole process when
//!   sent, if a thread would take it now; while every thread blocks it, it
//!   stays pending;
//! - `SIGKILL` and `SIGSTOP` cannot be blocked, caught or ignored.

use alloc::vec::Vec;
use veridian_syscall::signal::{
    SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGILL, SIGINFO_SIZE, SIGKILL, SIGNALFD_SIGINFO_SIZE,
    SIGRTMAX, SIGRTMIN, SIGSEGV, SIGSTOP, SIGSYS, SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,
    SIGWINCH, SIG_DFL, SIG_IGN, SI_TKILL, SS_DISABLE, SS_ONSTACK,
};

/// The bit of signal `sig` (1..=64) in a signal set.
pub const fn bit(sig: i32) -> u64 {
    1 << (sig - 1)
}

/// The signals no mask can block (`SIGKILL`, `SIGSTOP`).
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);

/// Signals a fault raises; dequeued before the others (Linux `SYNCHRONOUS_MASK`).
const SYNCHRONOUS: u64 =
    bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGTRAP) | bit(SIGFPE) | bit(SIGSYS);

/// Most real-time signals one queue holds; sends beyond fail with `EAGAIN`
/// (Linux bounds them by `RLIMIT_SIGPENDING`).
pub const MAX_QUEUED: usize = 1024;

/// Whether `sig` is a signal number (1..=`SIGRTMAX`).
pub fn is_signal(sig: i32) -> bool {
    (1..=SIGRTMAX).contains(&sig)
}

/// What a signal does when its disposition is `SIG_DFL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process (core dump or not: no dumps are written).
    Terminate,
    /// Nothing.
    Ignore,
    /// Stop the process; processes never stop here, so nothing happens.
    Stop,
    /// Continue a stopped process; nothing to continue here.
    Continue,
}

/// The default action of `sig` (signal(7)).
pub fn default_action(sig: i32) -> DefaultAction {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGCONT => DefaultAction::Continue,
        _ => DefaultAction::Terminate,
    }
}

/// Whether a signal with this handler (`SIG_DFL`, `SIG_IGN` or an address)
/// does nothing when delivered.
pub fn is_ignored(sig: i32, handler: u64) -> bool {
    match handler {
        SIG_IGN => sig != SIGKILL && sig != SIGSTOP,
        SIG_DFL => default_action(sig) != DefaultAction::Terminate,
        _ => false,
    }
}

/// Whether a signal with this handler ends the process when delivered.
pub fn is_fatal(sig: i32, handler: u64) -> bool {
    sig == SIGKILL || (handler == SIG_DFL && default_action(sig) == DefaultAction::Terminate)
}

/// The handler a disposition has after execve: caught signals go back to
/// `SIG_DFL`, ignored ones stay ignored.
pub fn handler_after_exec(handler: u64) -> u64 {
    if handler == SIG_IGN {
        SIG_IGN
    } else {
        SIG_DFL
    }
}

/// A `siginfo_t` as the kernel fills it (x86_64 layout: `si_signo` at 0,
/// `si_errno` at 4, `si_code` at 8, then the union: `si_pid` at 16,
/// `si_uid` at 20, `si_status` or `si_value` at 24).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigInfo(pub [u8; SIGINFO_SIZE]);

impl SigInfo {
    fn put(&mut self, at: usize, v: i32) {
        self.0[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn get(&self, at: usize) -> i32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.0[at..at + 4]);
        i32::from_le_bytes(b)
    }

    /// A signal from a process (`kill`, `tgkill`: `code` `SI_USER` or
    /// `SI_TKILL`) or the kernel (`SI_KERNEL`, pid and uid 0).
    pub fn sent(sig: i32, code: i32, pid: u32, uid: u32) -> SigInfo {
        let mut i = SigInfo([0; SIGINFO_SIZE]);
        i.put(0, sig);
        i.put(8, code);
        i.put(16, pid as i32);
        i.put(20, uid as i32);
        i
    }

    /// `SIGCHLD` for child `pid`: `code` is a `CLD_*` value, `status` the
    /// exit code or the signal.
    pub fn child(pid: u32, uid: u32, code: i32, status: i32) -> SigInfo {
        let mut i = SigInfo::sent(SIGCHLD, code, pid, uid);
        i.put(24, status);
        i
    }

    /// What rt_sigqueueinfo passes on: the caller's bytes, with `si_signo`
    /// set to `sig`.
    pub fn queued(sig: i32, raw: [u8; SIGINFO_SIZE]) -> SigInfo {
        let mut i = SigInfo(raw);
        i.put(0, sig);
        i
    }

    pub fn signo(&self) -> i32 {
        self.get(0)
    }

    pub fn code(&self) -> i32 {
        self.get(8)
    }

    pub fn pid(&self) -> u32 {
        self.get(16) as u32
    }

    pub fn uid(&self) -> u32 {
        self.get(20) as u32
    }

    /// The `struct signalfd_siginfo` a signalfd read returns for this
    /// signal (`ssi_signo` at 0, `ssi_errno` 4, `ssi_code` 8, `ssi_pid`
    /// 12, `ssi_uid` 16, `ssi_status` 40, `ssi_int` 44, `ssi_ptr` 48):
    /// `SIGCHLD` carries its status, queued signals their value.
    pub fn to_signalfd(&self) -> [u8; SIGNALFD_SIGINFO_SIZE] {
        let mut out = [0u8; SIGNALFD_SIGINFO_SIZE];
        out[0..12].copy_from_slice(&self.0[0..12]);
        out[12..20].copy_from_slice(&self.0[16..24]);
        if self.signo() == SIGCHLD && self.code() > 0 {
            out[40..44].copy_from_slice(&self.0[24..28]);
        } else if self.code() < 0 && self.code() != SI_TKILL {
            out[44..48].copy_from_slice(&self.0[24..28]);
            out[48..56].copy_from_slice(&self.0[24..32]);
        }
        out
    }
}

/// Why a signal could not be queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFull;

/// A pending set: the signals sent and not yet taken, with their siginfo,
/// in order of arrival.
#[derive(Clone, Debug, Default)]
pub struct Pending {
    queue: Vec<SigInfo>,
    set: u64,
}

impl Pending {
    pub const fn new() -> Pending {
        Pending {
            queue: Vec::new(),
            set: 0,
        }
    }

    /// The signals pending, as a set.
    pub fn set(&self) -> u64 {
        self.set
    }

    /// Adds `info`. A standard signal already pending is not added again
    /// (`Ok(false)`); a real-time one queues unless [`MAX_QUEUED`] are.
    pub fn add(&mut self, info: SigInfo) -> Result<bool, QueueFull> {
        let sig = info.signo();
        if sig < SIGRTMIN && self.set & bit(sig) != 0 {
            return Ok(false);
        }
        if self.queue.len() >= MAX_QUEUED {
            return Err(QueueFull);
        }
        self.queue.push(info);
        self.set |= bit(sig);
        Ok(true)
    }

    /// The signal to take next among those in `allowed`: a synchronous one
    /// first, else the lowest number.
    pub fn next(&self, allowed: u64) -> Option<i32> {
        let ready = self.set & allowed;
        let pick = if ready & SYNCHRONOUS != 0 {
            ready & SYNCHRONOUS
        } else {
            ready
        };
        (pick != 0).then(|| pick.trailing_zeros() as i32 + 1)
    }

    /// Takes the oldest instance of the signal [`Pending::next`] picks.
    pub fn take(&mut self, allowed: u64) -> Option<SigInfo> {
        let sig = self.next(allowed)?;
        let at = self.queue.iter().position(|i| i.signo() == sig)?;
        let info = self.queue.remove(at);
        if !self.queue.iter().any(|i| i.signo() == sig) {
            self.set &= !bit(sig);
        }
        Some(info)
    }

    /// Drops every instance of the signals in `set`.
    pub fn discard(&mut self, set: u64) {
        self.queue.retain(|i| set & bit(i.signo()) == 0);
        self.set &= !set;
    }

    /// Drops everything (a forked child starts with nothing pending).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.set = 0;
    }
}

/// What the posting logic needs to know of a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadView {
    pub tid: u32,
    /// Its signal mask.
    pub blocked: u64,
    /// The set it waits for in sigwait/sigtimedwait (0 when not waiting):
    /// those signals reach it even though it blocks them.
    pub waiting: u64,
}

impl ThreadView {
    /// Whether it would take `sig` now (handle it or have it returned by a
    /// sigwait).
    pub fn takes(&self, sig: i32) -> bool {
        (self.blocked & !self.waiting) & bit(sig) == 0
    }

    pub fn blocks(&self, sig: i32) -> bool {
        self.blocked & bit(sig) != 0
    }
}

/// Whom a signal is sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// kill, rt_sigqueueinfo: the process, any thread may take it.
    Process,
    /// tgkill, tkill, rt_tgsigqueueinfo: that thread only.
    Thread(u32),
}

/// What sending a signal does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostOutcome {
    /// Nothing (ignored and not blocked).
    Discard,
    /// The process ends by the signal.
    Kill,
    /// The signal joins the pending set (the thread's for
    /// [`Target::Thread`], the process's otherwise); `wake` is the thread
    /// to wake so it takes it, if any takes it now.
    Queue { wake: Option<u32> },
}

/// Decides what sending `sig` with disposition `handler` to `target` does.
/// `threads` lists the process's threads, its main thread first (the one
/// whose mask decides whether a process-directed ignored signal is kept).
pub fn post(sig: i32, handler: u64, target: Target, threads: &[ThreadView]) -> PostOutcome {
    if sig == SIGKILL {
        return PostOutcome::Kill;
    }
    let addressee = match target {
        Target::Thread(tid) => threads.iter().find(|t| t.tid == tid),
        Target::Process => threads.first(),
    };
    let kept_blocked = addressee.is_some_and(|t| t.blocks(sig)) && sig != SIGSTOP;
    if is_ignored(sig, handler) && !kept_blocked {
        return PostOutcome::Discard;
    }
    let receiver = match target {
        Target::Thread(_) => addressee.filter(|t| t.takes(sig)),
        Target::Process => threads.iter().find(|t| t.takes(sig)),
    };
    match receiver {
        // A sigwait for a signal the waiter blocks takes it, fatal or not.
        Some(r) if is_fatal(sig, handler) && !r.blocks(sig) => PostOutcome::Kill,
        r => PostOutcome::Queue {
            wake: r.map(|t| t.tid),
        },
    }
}

/// What taking a pending signal off a queue (on the way back to user
/// mode) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing: ignored, or a default action that does nothing here.
    Discard,
    /// The process ends by the signal.
    Kill,
    /// The handler runs.
    Handler,
}

/// What delivering `sig` with disposition `handler` does.
pub fn deliver(sig: i32, handler: u64) -> Delivery {
    if is_fatal(sig, handler) {
        Delivery::Kill
    } else if is_ignored(sig, handler) {
        Delivery::Discard
    } else {
        Delivery::Handler
    }
}

/// A mask as a thread may hold it: without `SIGKILL` and `SIGSTOP`.
pub fn sanitize_mask(mask: u64) -> u64 {
    mask & !UNBLOCKABLE
}

/// A thread's alternate signal stack (sigaltstack).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    /// Whether one is set (else `SS_DISABLE`).
    pub enabled: bool,
}

/// Why sigaltstack refuses a new stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AltStackError {
    /// Flags other than 0, `SS_ONSTACK`, `SS_DISABLE` (EINVAL).
    BadFlags,
    /// Smaller than `MINSIGSTKSZ` (ENOMEM).
    TooSmall,
    /// The thread is running on it (EPERM).
    InUse,
}

impl AltStack {
    /// Whether `rsp` lies in the stack (which grows down from `sp + size`).
    pub fn contains(&self, rsp: u64) -> bool {
        self.enabled && rsp > self.sp && rsp - self.sp <= self.size
    }

    /// `ss_flags` as sigaltstack reports it for a thread at `rsp`.
    pub fn flags(&self, rsp: u64) -> i32 {
        if !self.enabled {
            SS_DISABLE
        } else if self.contains(rsp) {
            SS_ONSTACK
        } else {
            0
        }
    }

    /// The stack a sigaltstack call with (`sp`, `flags`, `size`) sets for a
    /// thread at `rsp` (Linux `do_sigaltstack`: `SS_ONSTACK` is accepted
    /// and means nothing; the upper flag `SS_AUTODISARM` is refused here).
    pub fn change(
        &self,
        rsp: u64,
        sp: u64,
        flags: i32,
        size: u64,
        min: u64,
    ) -> Result<AltStack, AltStackError> {
        if self.contains(rsp) {
            return Err(AltStackError::InUse);
        }
        match flags {
            SS_DISABLE => Ok(AltStack::default()),
            0 | SS_ONSTACK if size < min => Err(AltStackError::TooSmall),
            0 | SS_ONSTACK => Ok(AltStack {
                sp,
                size,
                enabled: true,
            }),
            _ => Err(AltStackError::BadFlags),
        }
    }

    /// The stack pointer a handler frame is built below: the top of the
    /// alternate stack when the action asks for it (`on_stack`) and the
    /// thread is not already on it, else `rsp`.
    pub fn frame_top(&self, rsp: u64, on_stack: bool) -> u64 {
        if on_stack && self.enabled && !self.contains(rsp) {
            // Any user value: a wrapped top fails the caller's user-range
            // check instead of overflowing here.
            self.sp.wrapping_add(self.size)
        } else {
            rsp
        }
    }
}

#[cfg(test)]
mod tests;
