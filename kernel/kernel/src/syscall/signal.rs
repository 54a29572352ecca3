//! Minimal signals: dispositions and masks are stored; kill/tgkill apply
//! the default action (terminate, or ignore for SIGCHLD-like signals);
//! signals with an installed handler are recorded as pending (handlers are
//! not invoked yet).

use core::sync::atomic::Ordering;
use veridian_syscall::errno::*;

use super::KResult;
use crate::mm::user;
use crate::task::{current, exit, SigAction, PROCS, TASKS};

const SIG_IGN: u64 = 1;
const SIGKILL: i32 = 9;
const SIGSTOP: i32 = 19;

/// Signals whose default action is to do nothing.
fn default_ignored(sig: i32) -> bool {
    matches!(sig, 17 | 18 | 20 | 21 | 22 | 23 | 28) || sig == SIGSTOP
}

pub fn rt_sigaction(sig: i32, act: u64, old: u64, size: u64) -> KResult {
    if !(1..=64).contains(&sig) || size != 8 {
        return Err(EINVAL);
    }
    let pid = current().pid;
    let acts = PROCS.lock().get(&pid).map(|p| p.sigactions.clone()).ok_or(ESRCH)?;
    let prev = acts.lock()[sig as usize];
    if old != 0 {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&prev.handler.to_le_bytes());
        b[8..16].copy_from_slice(&prev.flags.to_le_bytes());
        b[16..24].copy_from_slice(&prev.restorer.to_le_bytes());
        b[24..32].copy_from_slice(&prev.mask.to_le_bytes());
        user::write_bytes(old, &b)?;
    }
    if act != 0 {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(EINVAL);
        }
        let raw = user::read_bytes(act, 32)?;
        let w = |i: usize| u64::from_le_bytes(raw[i..i + 8].try_into().unwrap_or_default());
        acts.lock()[sig as usize] = SigAction { handler: w(0), flags: w(8), restorer: w(16), mask: w(24) };
    }
    Ok(0)
}

pub fn rt_sigprocmask(how: i32, set: u64, old: u64, size: u64) -> KResult {
    if size != 8 {
        return Err(EINVAL);
    }
    let cur = current();
    let prev = cur.sigmask.load(Ordering::Relaxed);
    if set != 0 {
        let s = user::read_u64(set)? & !((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));
        let new = match how {
            0 => prev | s,
            1 => prev & !s,
            2 => s,
            _ => return Err(EINVAL),
        };
        cur.sigmask.store(new, Ordering::Relaxed);
    }
    if old != 0 {
        user::write_u64(old, prev)?;
    }
    Ok(0)
}

pub fn sigaltstack(ss: u64, old: u64) -> KResult {
    if old != 0 {
        let mut b = [0u8; 24];
        b[8..12].copy_from_slice(&2u32.to_le_bytes());
        user::write_bytes(old, &b)?;
    }
    if ss != 0 {
        user::read_bytes(ss, 24)?;
    }
    Ok(0)
}


/// Applies `sig` to process `pid`.
fn send(pid: u32, sig: i32) -> KResult {
    let handler = {
        let procs = PROCS.lock();
        let p = procs.get(&pid).ok_or(ESRCH)?;
        if p.zombie.is_some() {
            return Ok(0);
        }
        if sig == 0 {
            return Ok(0);
        }
        let h = p.sigactions.lock()[sig as usize].handler;
        h
    };
    if sig == SIGKILL || (handler == 0 && !default_ignored(sig)) {
        exit::terminate_process(pid, sig);
    } else if handler != SIG_IGN && handler != 0 {
        if let Some(p) = PROCS.lock().get_mut(&pid) {
            p.pending |= 1 << (sig - 1);
        }
    }
    Ok(0)
}

pub fn kill(pid: i32, sig: i32) -> KResult {
    if !(0..=64).contains(&sig) {
        return Err(EINVAL);
    }
    if pid > 0 {
        return send(pid as u32, sig);
    }
    let me = current().pid;
    let targets: alloc::vec::Vec<u32> = {
        let procs = PROCS.lock();
        let my_pgid = procs.get(&me).map(|p| p.pgid).unwrap_or(0);
        procs
            .values()
            .filter(|p| match pid {
                0 => p.pgid == my_pgid,
                -1 => p.pid != 1 && p.pid != me,
                n => p.pgid == (-n) as u32,
            })
            .map(|p| p.pid)
            .collect()
    };
    if targets.is_empty() && pid != -1 {
        return Err(ESRCH);
    }
    for t in targets {
        send(t, sig)?;
    }
    Ok(0)
}

pub fn tgkill(tgid: i32, tid: i32, sig: i32) -> KResult {
    if !(0..=64).contains(&sig) || tid <= 0 {
        return Err(EINVAL);
    }
    let t = TASKS.lock().get(&(tid as u32)).cloned().ok_or(ESRCH)?;
    if tgid > 0 && t.pid != tgid as u32 {
        return Err(ESRCH);
    }
    send(t.pid, sig)
}
