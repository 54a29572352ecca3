//! Sending signals to processes and threads (kill, tgkill, sigqueue,
//! alarms, SIGCHLD, SIGPIPE) and taking pending ones off the queues. The
//! rules are `veridian_kcore::signal`'s; this module applies them to the
//! task and process tables. Running a handler is `syscall::signal`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use veridian_kcore::signal::{self as rules, PostOutcome, SigInfo, Target, ThreadView};
use veridian_syscall::signal::{SIG_DFL, SI_KERNEL};
use veridian_vfs::Errno;

use super::{exit, sched, Process, Task, PROCS, TASKS};

pub use rules::{bit as sig_bit, UNBLOCKABLE};

/// The live threads of `p`, its main thread first.
fn threads_of(p: &Process) -> Vec<Arc<Task>> {
    let tasks = TASKS.lock();
    let mut ts: Vec<Arc<Task>> = p
        .threads
        .iter()
        .filter_map(|t| tasks.get(t).cloned())
        .collect();
    ts.sort_by_key(|t| t.tid != p.pid);
    ts
}

/// What the posting rules see of a thread.
fn view(t: &Task) -> ThreadView {
    ThreadView {
        tid: t.tid,
        blocked: t.sigmask.load(Ordering::Relaxed),
        waiting: t.sigwait.load(Ordering::Relaxed),
    }
}

/// Sends `info` (signal `info.signo()`; 0 = existence check) to process
/// `pid`, or to its thread `Target::Thread(tid)`. `ESRCH` if there is no
/// such process or thread, `EAGAIN` if the real-time queue is full.
pub fn post_info(pid: u32, target: Target, info: SigInfo) -> Result<(), Errno> {
    let sig = info.signo();
    let (outcome, wake) = {
        let mut procs = PROCS.lock();
        let p = procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
        let threads = threads_of(p);
        if let Target::Thread(tid) = target {
            if !threads.iter().any(|t| t.tid == tid) {
                return Err(Errno::ESRCH);
            }
        }
        if p.zombie.is_some() || sig == 0 {
            return Ok(());
        }
        let handler = p.sigactions.lock()[sig as usize].handler;
        if pid == INIT_PID && handler == SIG_DFL {
            // Linux's rule for init: only signals it handles reach it.
            return Ok(());
        }
        let views: Vec<ThreadView> = threads.iter().map(|t| view(t)).collect();
        let outcome = rules::post(sig, handler, target, &views);
        if let PostOutcome::Queue { .. } = outcome {
            let queued = match target {
                Target::Process => p.pending.add(info),
                Target::Thread(tid) => match threads.iter().find(|t| t.tid == tid) {
                    Some(t) => t.pending.lock().add(info),
                    None => return Err(Errno::ESRCH),
                },
            };
            queued.map_err(|_| Errno::EAGAIN)?;
        }
        let wake = match outcome {
            PostOutcome::Queue { wake: Some(w) } => threads.into_iter().find(|t| t.tid == w),
            _ => None,
        };
        (outcome, wake)
    };
    match outcome {
        PostOutcome::Kill => exit::terminate_process(pid, sig),
        PostOutcome::Queue { .. } => {
            match wake {
                Some(t) => sched::interrupt(&t),
                // A thread running on another CPU takes it at its next tick.
                None => crate::smp::request_attention_everywhere(),
            }
            // signalfd readers and their poll/epoll waiters.
            crate::wait::wake_key(crate::fs::signalfd::wait_key());
            crate::wait::wake_changed();
        }
        PostOutcome::Discard => {}
    }
    Ok(())
}

/// Sends `sig` from the kernel (`SI_KERNEL`) to process `pid` (alarms).
pub fn post(pid: u32, sig: i32) -> Result<(), Errno> {
    post_info(pid, Target::Process, SigInfo::sent(sig, SI_KERNEL, 0, 0))
}

/// The first process; it gets only the signals it has a handler for.
pub const INIT_PID: u32 = 1;

/// Sends `sig` from the kernel to every process of group `pgid` (the
/// terminal's `^C`); `ESRCH` if the group has none.
pub fn post_group(pgid: u32, sig: i32) -> Result<(), Errno> {
    let members: Vec<u32> = PROCS
        .lock()
        .values()
        .filter(|p| p.pgid == pgid && p.zombie.is_none())
        .map(|p| p.pid)
        .collect();
    if members.is_empty() {
        return Err(Errno::ESRCH);
    }
    for pid in members {
        post(pid, sig)?;
    }
    Ok(())
}

/// The signals pending for `t` (its own and its process's).
pub fn pending_set(t: &Task, p: Option<&Process>) -> u64 {
    t.pending.lock().set() | p.map_or(0, |p| p.pending.set())
}

/// Whether `t` has a pending signal it does not block (it should leave a
/// blocking call with EINTR so the signal is delivered).
pub fn has_deliverable(t: &Task) -> bool {
    let mask = t.sigmask.load(Ordering::Relaxed);
    let procs = PROCS.lock();
    pending_set(t, procs.get(&t.pid)) & !mask != 0
}

/// Takes the next pending signal of `t` among `allowed`: its own first,
/// then its process's.
pub fn take(t: &Task, allowed: u64) -> Option<SigInfo> {
    let mut procs = PROCS.lock();
    if let Some(i) = t.pending.lock().take(allowed) {
        return Some(i);
    }
    procs.get_mut(&t.pid)?.pending.take(allowed)
}

/// Drops the pending instances of `sig` everywhere in process `pid`
/// (its disposition now ignores it).
pub fn discard(pid: u32, sig: i32) {
    let mut procs = PROCS.lock();
    let Some(p) = procs.get_mut(&pid) else { return };
    p.pending.discard(sig_bit(sig));
    for t in threads_of(p) {
        t.pending.lock().discard(sig_bit(sig));
    }
}
