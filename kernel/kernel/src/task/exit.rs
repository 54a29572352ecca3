//! Thread and process exit, fatal signals, zombies and waiting for them
//! (wait4, waitid).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use veridian_kcore::signal::{SigInfo, Target};
use veridian_syscall::signal::{CLD_DUMPED, CLD_EXITED, CLD_KILLED, SIGKILL, SI_USER};
use veridian_syscall::wait::{exit_code, exit_status, signal_status, term_signal, WCOREFLAG};
use veridian_vfs::Errno;

use super::{current, fork, futex, sched, State, PROCS, TASKS};
use crate::fs::FdTable;

/// Ends the current thread; the process ends with `wstatus` if this was its
/// last thread.
pub fn exit_thread(wstatus: i32) -> ! {
    let cur = current();
    let ctid = cur.clear_child_tid.swap(0, Ordering::Relaxed);
    if ctid != 0 && cur.mm().lock().write(ctid, &0u32.to_le_bytes()) {
        futex::wake(&cur.mm(), ctid, 1);
    }
    fork::release_vfork(&cur);
    TASKS.lock().remove(&cur.tid);
    let last = {
        let mut procs = PROCS.lock();
        match procs.get_mut(&cur.pid) {
            Some(p) => {
                p.threads.retain(|&t| t != cur.tid);
                p.threads.is_empty()
            }
            None => true,
        }
    };
    // Close descriptors now (pipe ends must see EOF).
    *cur.files.lock() = Arc::new(FdTable::new());
    if last {
        exit_process(cur.pid, wstatus);
    }
    *cur.state.lock() = State::Dead;
    drop(cur);
    sched::schedule();
    unreachable!("a dead task was scheduled");
}

fn exit_process(pid: u32, wstatus: i32) {
    super::alarm::set(pid, 0, 0);
    let status = {
        let mut procs = PROCS.lock();
        let status = procs
            .get(&pid)
            .and_then(|p| p.exit_status)
            .unwrap_or(wstatus);
        let mut waiters = Vec::new();
        let ppid = procs.get(&pid).map(|p| p.ppid).unwrap_or(0);
        let orphans: Vec<u32> = procs
            .values()
            .filter(|p| p.ppid == pid)
            .map(|p| p.pid)
            .collect();
        let reaper = new_parent(&procs, pid);
        let mut death_signals = Vec::new();
        for o in orphans {
            if let Some(p) = procs.get_mut(&o) {
                p.ppid = reaper;
                if p.pdeath_sig != 0 && p.zombie.is_none() {
                    death_signals.push((o, p.pdeath_sig));
                }
            }
        }
        if let Some(p) = procs.get_mut(&pid) {
            p.zombie = Some(status);
        }
        if let Some(parent) = procs.get_mut(&ppid) {
            waiters.append(&mut parent.child_waiters);
        }
        if let Some(init) = procs.get_mut(&1) {
            waiters.append(&mut init.child_waiters);
        }
        drop(procs);
        for w in waiters {
            sched::interrupt(&w);
        }
        if ppid != 0 {
            let _ = super::signal::post_info(ppid, Target::Process, sigchld_info(pid, status));
        }
        for (child, sig) in death_signals {
            let info = SigInfo::sent(sig, SI_USER, pid, 0);
            let _ = super::signal::post_info(child, Target::Process, info);
        }
        status
    };
    if pid == 1 {
        let code = match term_signal(status) {
            0 => exit_code(status),
            sig => 128 + sig,
        };
        crate::kprintln!("veridian: init exited with status {}", code);
        crate::fs::sync();
        crate::drivers::power::power_off(code as u8);
    }
}

/// Where the children of exiting process `pid` go: its nearest living
/// ancestor marked as child subreaper, else init.
fn new_parent(procs: &alloc::collections::BTreeMap<u32, super::Process>, pid: u32) -> u32 {
    let mut at = procs.get(&pid).map_or(0, |p| p.ppid);
    for _ in 0..procs.len() {
        match procs.get(&at) {
            Some(p) if p.child_subreaper && p.zombie.is_none() => return at,
            Some(p) if p.ppid != 0 && p.ppid != at => at = p.ppid,
            _ => break,
        }
    }
    1
}

/// The SIGCHLD a parent gets when child `pid` ends with wait status `status`.
fn sigchld_info(pid: u32, status: i32) -> SigInfo {
    match term_signal(status) {
        0 => SigInfo::child(pid, 0, CLD_EXITED, exit_code(status)),
        sig if status & WCOREFLAG != 0 => SigInfo::child(pid, 0, CLD_DUMPED, sig),
        sig => SigInfo::child(pid, 0, CLD_KILLED, sig),
    }
}

/// Terminates the whole current process by signal `sig`.
pub fn kill_current_by_signal(sig: i32) -> ! {
    let pid = current().pid;
    terminate_process(pid, sig);
    exit_thread(signal_status(sig));
}

/// Marks every thread of `pid` to die by `sig` and wakes them.
pub fn terminate_process(pid: u32, sig: i32) {
    let threads = {
        let mut procs = PROCS.lock();
        let Some(p) = procs.get_mut(&pid) else { return };
        if p.exit_status.is_none() {
            p.exit_status = Some(signal_status(sig));
        }
        p.threads.clone()
    };
    let tasks: Vec<_> = {
        let t = TASKS.lock();
        threads
            .iter()
            .filter_map(|tid| t.get(tid).cloned())
            .collect()
    };
    for t in tasks {
        t.pending_kill.store(sig as u32, Ordering::Relaxed);
        sched::interrupt(&t);
    }
}

/// Ends the whole process with exit code `code` (exit_group).
pub fn exit_group(code: i32) -> ! {
    let cur = current();
    let others: Vec<u32> = {
        let mut procs = PROCS.lock();
        match procs.get_mut(&cur.pid) {
            Some(p) => {
                if p.exit_status.is_none() {
                    p.exit_status = Some(exit_status(code));
                }
                p.threads
                    .iter()
                    .copied()
                    .filter(|&t| t != cur.tid)
                    .collect()
            }
            None => Vec::new(),
        }
    };
    for tid in others {
        let t = TASKS.lock().get(&tid).cloned();
        if let Some(t) = t {
            t.pending_kill.store(SIGKILL as u32, Ordering::Relaxed);
            sched::interrupt(&t);
        }
    }
    drop(cur);
    exit_thread(exit_status(code));
}

/// True when the current task has been told to die or has a signal to
/// handle: blocking calls return EINTR so either happens promptly.
pub fn interrupted() -> bool {
    let Some(t) = sched::try_current() else {
        return false;
    };
    t.pending_kill.load(Ordering::Relaxed) != 0 || super::signal::has_deliverable(&t)
}

/// Exits now if a fatal signal is pending for the current task.
pub fn check_pending_kill() {
    let cur = current();
    let sig = cur.pending_kill.load(Ordering::Relaxed);
    if sig != 0 {
        let status = PROCS
            .lock()
            .get(&cur.pid)
            .and_then(|p| p.exit_status)
            .unwrap_or(signal_status(sig as i32));
        drop(cur);
        exit_thread(status);
    }
}

/// Which children a wait is for.
#[derive(Clone, Copy)]
pub enum Children {
    Any,
    Pid(u32),
    /// Those in this process group (0: the caller's own).
    Pgid(u32),
}

/// How a wait behaves (wait4 always reports exits and reaps).
#[derive(Clone, Copy)]
pub struct WaitOptions {
    /// Return `None` instead of blocking (WNOHANG).
    pub nohang: bool,
    /// Report children that exited (WEXITED). Processes never stop here,
    /// so there is nothing else to report.
    pub exited: bool,
    /// Leave the reported child waitable (WNOWAIT).
    pub keep: bool,
}

/// wait4/waitid: the first zombie among the caller's children that `who`
/// selects, as (pid, wait status), reaped unless `keep`; blocks until one
/// exits unless `nohang` (then `None`). `ECHILD` if no child matches (or
/// only zombies do and exits are not asked for), `EINTR` on a signal.
pub fn wait(who: Children, opts: WaitOptions) -> Result<Option<(u32, i32)>, Errno> {
    let me = current();
    loop {
        {
            let mut procs = PROCS.lock();
            let own_pgid = procs.get(&me.pid).map(|p| p.pgid).unwrap_or(0);
            let matches = |p: &super::Process| {
                p.ppid == me.pid
                    && match who {
                        Children::Any => true,
                        Children::Pid(pid) => p.pid == pid,
                        Children::Pgid(0) => p.pgid == own_pgid,
                        Children::Pgid(pgid) => p.pgid == pgid,
                    }
            };
            let mut any = false;
            let mut found = None;
            for p in procs.values().filter(|p| matches(p)) {
                match p.zombie {
                    // Without WEXITED a zombie is nothing to wait for (Linux).
                    Some(_) if !opts.exited => continue,
                    Some(s) => {
                        found = Some((p.pid, s));
                        break;
                    }
                    None => any = true,
                }
            }
            if let Some((cpid, status)) = found {
                if !opts.keep {
                    procs.remove(&cpid);
                }
                return Ok(Some((cpid, status)));
            }
            if !any {
                return Err(Errno::ECHILD);
            }
            if opts.nohang {
                return Ok(None);
            }
            if me.pending_kill.load(Ordering::Relaxed) != 0 {
                return Err(Errno::EINTR);
            }
            let mask = me.sigmask.load(Ordering::Relaxed);
            if super::signal::pending_set(&me, procs.get(&me.pid)) & !mask != 0 {
                return Err(Errno::EINTR);
            }
            match procs.get_mut(&me.pid) {
                Some(p) => p.child_waiters.push(me.clone()),
                None => return Err(Errno::ESRCH),
            }
        }
        sched::block();
    }
}
