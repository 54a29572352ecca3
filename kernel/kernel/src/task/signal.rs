//! Posting signals to processes (kill, alarms, SIGPIPE): the default action
//! (terminate or ignore), or pending for the handler with blocked threads
//! interrupted so it runs soon. Delivery itself is `syscall::signal`.

use alloc::vec::Vec;
use veridian_syscall::errno::ESRCH;

use super::{exit, sched, PROCS, TASKS};

const SIGKILL: i32 = 9;
const SIGSTOP: i32 = 19;
const SIG_IGN: u64 = 1;

/// Signals whose default action is to do nothing.
fn default_ignored(sig: i32) -> bool {
    matches!(sig, 17 | 18 | 20 | 21 | 22 | 23 | 28) || sig == SIGSTOP
}

/// Sends `sig` (0 = existence check) to process `pid`.
pub fn post(pid: u32, sig: i32) -> Result<(), i32> {
    let handler = {
        let procs = PROCS.lock();
        let p = procs.get(&pid).ok_or(ESRCH)?;
        if p.zombie.is_some() || sig == 0 {
            return Ok(());
        }
        let h = p.sigactions.lock()[sig as usize].handler;
        h
    };
    if sig == SIGKILL || (handler == 0 && !default_ignored(sig)) {
        exit::terminate_process(pid, sig);
    } else if handler != SIG_IGN && handler != 0 {
        let threads = match PROCS.lock().get_mut(&pid) {
            Some(p) => {
                p.pending |= 1 << (sig - 1);
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
