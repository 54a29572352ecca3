//! Posting signals to processes (kill, alarms, SIGPIPE): the default action
//! (terminate or ignore), or pending for the handler with blocked threads
//! interrupted so it runs soon. Delivery itself is `syscall::signal`.

use alloc::vec::Vec;
use veridian_syscall::signal::{
    SIGCHLD, SIGCONT, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH, SIG_DFL,
    SIG_IGN,
};
use veridian_vfs::Errno;

use super::{exit, sched, PROCS, TASKS};

/// The bit of signal `sig` (1..=64) in a signal set (mask or pending).
pub const fn sig_bit(sig: i32) -> u64 {
    1 << (sig - 1)
}

/// The signals no mask can block (`SIGKILL`, `SIGSTOP`).
pub const UNBLOCKABLE: u64 = sig_bit(SIGKILL) | sig_bit(SIGSTOP);

/// Signals whose default action here is to do nothing: those Linux
/// ignores by default, and the stop signals (processes do not stop).
fn default_ignored(sig: i32) -> bool {
    matches!(
        sig,
        SIGCHLD | SIGCONT | SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU | SIGURG | SIGWINCH
    )
}

/// The first process; it gets only the signals it has a handler for.
pub const INIT_PID: u32 = 1;

/// Sends `sig` to every process of group `pgid`; `ESRCH` if it has none.
pub fn post_group(pgid: u32, sig: i32) -> Result<(), Errno> {
    let members: Vec<u32> = PROCS
        .lock()
        .values()
        .filter(|p| p.pgid == pgid)
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

/// Sends `sig` (0 = existence check) to process `pid`; `ESRCH` if there is
/// no such process.
pub fn post(pid: u32, sig: i32) -> Result<(), Errno> {
    let handler = {
        let procs = PROCS.lock();
        let p = procs.get(&pid).ok_or(Errno::ESRCH)?;
        if p.zombie.is_some() || sig == 0 {
            return Ok(());
        }
        let h = p.sigactions.lock()[sig as usize].handler;
        h
    };
    if pid == INIT_PID && handler == SIG_DFL {
        // Linux's rule for init: only signals it handles reach it.
        return Ok(());
    }
    if sig == SIGKILL || (handler == SIG_DFL && !default_ignored(sig)) {
        exit::terminate_process(pid, sig);
    } else if handler != SIG_IGN && handler != SIG_DFL {
        let threads = match PROCS.lock().get_mut(&pid) {
            Some(p) => {
                p.pending |= sig_bit(sig);
                p.threads.clone()
            }
            None => Vec::new(),
        };
        for tid in threads {
            let t = TASKS.lock().get(&tid).cloned();
            if let Some(t) = t {
                sched::interrupt(&t);
            }
        }
    }
    Ok(())
}
