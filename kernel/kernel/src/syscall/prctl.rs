//! prctl(2): the thread's name, parent-death signal, dumpable flag, child
//! subreaper, keep-capabilities flag, timer slack, no-new-privs and the
//! `clear_child_tid` address. Other options give `EINVAL`, as Linux does
//! for options it does not know.

use core::sync::atomic::Ordering;
use veridian_kcore::signal::is_signal;
use veridian_syscall::prctl::*;
use veridian_vfs::Errno;

use super::KResult;
use crate::task::user::{In, Out, UserPtr, UserSlice};
use crate::task::{current, DEFAULT_TIMER_SLACK_NS, PROCS};

/// Runs `f` on the calling process's entry.
fn with_process<R>(f: impl FnOnce(&mut crate::task::Process) -> R) -> Result<R, Errno> {
    let pid = current().pid;
    PROCS.lock().get_mut(&pid).map(f).ok_or(Errno::ESRCH)
}

/// Writes `v` as a C `int` at `at` (the GET options that report through
/// their second argument).
fn put_int(at: u64, v: i32) -> KResult {
    UserPtr::<i32>::new(at).write(&v).map(|_| 0)
}

/// A flag argument: 0 or 1, else `EINVAL`.
fn flag(arg: u64) -> Result<bool, Errno> {
    match arg {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Errno::EINVAL),
    }
}

pub fn prctl(option: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> KResult {
    let cur = current();
    match option {
        PR_SET_NAME => {
            let raw =
                crate::task::user::read_cstr(a2, crate::task::COMM_LEN - 1).or_else(
                    |e| match e {
                        // A name longer than 15 bytes is cut, not refused.
                        Errno::ENAMETOOLONG => {
                            UserSlice::<In>::new(a2, crate::task::COMM_LEN - 1).read()
                        }
                        e => Err(e),
                    },
                )?;
            let mut name = [0u8; crate::task::COMM_LEN];
            let n = raw.len().min(crate::task::COMM_LEN - 1);
            name[..n].copy_from_slice(&raw[..n]);
            *cur.comm.lock() = name;
            Ok(0)
        }
        PR_GET_NAME => {
            let name = *cur.comm.lock();
            UserSlice::<Out>::new(a2, name.len())
                .write(&name)
                .map(|_| 0)
        }
        PR_SET_PDEATHSIG => {
            let sig = i32::try_from(a2).map_err(|_| Errno::EINVAL)?;
            if sig != 0 && !is_signal(sig) {
                return Err(Errno::EINVAL);
            }
            with_process(|p| p.pdeath_sig = sig).map(|_| 0)
        }
        PR_GET_PDEATHSIG => put_int(a2, with_process(|p| p.pdeath_sig)?),
        PR_SET_DUMPABLE => {
            let on = flag(a2)?;
            with_process(|p| p.dumpable = on).map(|_| 0)
        }
        PR_GET_DUMPABLE => with_process(|p| p.dumpable as u64),
        PR_SET_CHILD_SUBREAPER => {
            let on = a2 != 0;
            with_process(|p| p.child_subreaper = on).map(|_| 0)
        }
        PR_GET_CHILD_SUBREAPER => put_int(a2, with_process(|p| p.child_subreaper as i32)?),
        PR_SET_KEEPCAPS => {
            cur.keepcaps.store(flag(a2)?, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_KEEPCAPS => Ok(cur.keepcaps.load(Ordering::Relaxed) as u64),
        PR_SET_TIMERSLACK => {
            // 0 (or a negative long) restores the default.
            let ns = if (a2 as i64) <= 0 {
                DEFAULT_TIMER_SLACK_NS
            } else {
                a2
            };
            cur.timer_slack.store(ns, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_TIMERSLACK => Ok(cur.timer_slack.load(Ordering::Relaxed)),
        PR_SET_NO_NEW_PRIVS => {
            if a2 != 1 || a3 != 0 || a4 != 0 || a5 != 0 {
                return Err(Errno::EINVAL);
            }
            cur.no_new_privs.store(true, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => {
            if a2 != 0 || a3 != 0 || a4 != 0 || a5 != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(cur.no_new_privs.load(Ordering::Relaxed) as u64)
        }
        PR_GET_TID_ADDRESS => {
            let addr = cur.clear_child_tid.load(Ordering::Relaxed);
            UserPtr::<u64>::new(a2).write(&addr).map(|_| 0)
        }
        _ => Err(Errno::EINVAL),
    }
}
