//! fork, vfork and clone (threads and processes).

use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use spin::Mutex;
use veridian_kcore::signal::Pending;
use veridian_syscall::clone::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_FILES, CLONE_FS, CLONE_PARENT,
    CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK, CLONE_VM,
};
use veridian_vfs::Errno;

use super::{alloc_id, current, sched, Process, Task, MAX_TASKS, PROCS, TASKS};
use crate::arch::entry::TrapFrame;

/// Creates a task as `clone(2)` describes; returns the new tid.
pub fn clone(
    frame: &TrapFrame,
    flags: u64,
    stack: u64,
    ptid: u64,
    ctid: u64,
    tls: u64,
) -> Result<u64, Errno> {
    if flags & CLONE_THREAD != 0 && (flags & CLONE_SIGHAND == 0 || flags & CLONE_VM == 0) {
        return Err(Errno::EINVAL);
    }
    if stack >= crate::mm::USER_END || (flags & CLONE_SETTLS != 0 && tls >= crate::mm::USER_END) {
        return Err(Errno::EINVAL);
    }
    if TASKS.lock().len() >= MAX_TASKS {
        return Err(Errno::EAGAIN);
    }
    let cur = current();
    let mm = if flags & CLONE_VM != 0 {
        cur.mm()
    } else {
        let child = cur.mm().lock().fork().ok_or(Errno::ENOMEM)?;
        Arc::new(Mutex::new(child))
    };
    let files = if flags & CLONE_FILES != 0 {
        cur.files()
    } else {
        Arc::new(cur.files().fork())
    };
    let fsctx = if flags & CLONE_FS != 0 {
        cur.fsctx()
    } else {
        Arc::new(cur.fsctx().fork())
    };
    let fpu = cur.ctx.current_fpu();
    let tid = alloc_id();
    let thread = flags & CLONE_THREAD != 0;
    let pid = if thread { cur.pid } else { tid };
    let t = Task::new(tid, pid, mm.clone(), files, fsctx, fpu);
    let fs = if flags & CLONE_SETTLS != 0 {
        tls
    } else {
        x86_64::registers::model_specific::FsBase::read().as_u64()
    };
    t.fs_base.store(fs, Ordering::Relaxed);
    t.sigmask
        .store(cur.sigmask.load(Ordering::Relaxed), Ordering::Relaxed);
    *t.comm.lock() = *cur.comm.lock();
    t.timer_slack
        .store(cur.timer_slack.load(Ordering::Relaxed), Ordering::Relaxed);
    t.no_new_privs
        .store(cur.no_new_privs.load(Ordering::Relaxed), Ordering::Relaxed);
    t.keepcaps
        .store(cur.keepcaps.load(Ordering::Relaxed), Ordering::Relaxed);
    // A new thread sharing the memory starts without an alternate stack
    // (it would share the parent's); fork and vfork children keep it.
    if flags & CLONE_VM == 0 || flags & CLONE_VFORK != 0 {
        *t.altstack.lock() = *cur.altstack.lock();
    }
    let mut cf = *frame;
    cf.rax = 0;
    cf.rcx = cf.rip;
    cf.r11 = cf.rflags;
    if stack != 0 {
        cf.rsp = stack;
    }
    t.ctx.prepare(t.kstack_top(), &cf);
    if flags & CLONE_PARENT_SETTID != 0 {
        super::user::UserPtr::<u32>::new(ptid).write(&tid)?;
    }
    if flags & CLONE_CHILD_SETTID != 0 && !mm.lock().write(ctid, &tid.to_le_bytes()) {
        return Err(Errno::EFAULT);
    }
    if flags & CLONE_CHILD_CLEARTID != 0 {
        t.clear_child_tid.store(ctid, Ordering::Relaxed);
    }
    {
        let mut procs = PROCS.lock();
        if thread {
            if let Some(p) = procs.get_mut(&pid) {
                p.threads.push(tid);
            }
        } else {
            let parent = procs.get(&cur.pid).ok_or(Errno::EINVAL)?;
            let ppid = if flags & CLONE_PARENT != 0 {
                parent.ppid
            } else {
                cur.pid
            };
            let sigactions = if flags & CLONE_SIGHAND != 0 {
                parent.sigactions.clone()
            } else {
                Arc::new(Mutex::new(*parent.sigactions.lock()))
            };
            let p = Process {
                pid,
                ppid,
                pgid: parent.pgid,
                sid: parent.sid,
                threads: alloc::vec![tid],
                zombie: None,
                exit_status: None,
                sigactions,
                pending: Pending::new(),
                child_waiters: alloc::vec::Vec::new(),
                exe: parent.exe.clone(),
                cmdline: parent.cmdline.clone(),
                // A child does not inherit the parent-death signal.
                pdeath_sig: 0,
                dumpable: parent.dumpable,
                child_subreaper: false,
                groups: parent.groups.clone(),
            };
            procs.insert(pid, p);
        }
    }
    TASKS.lock().insert(tid, t.clone());
    if flags & CLONE_VFORK != 0 {
        *t.vfork_parent.lock() = Some(cur.clone());
    }
    sched::spawn(t.clone());
    if flags & CLONE_VFORK != 0 {
        while t.vfork_parent.lock().is_some() {
            sched::block();
        }
    }
    Ok(tid as u64)
}

/// Releases a parent blocked in vfork (on exec or exit of `t`).
pub fn release_vfork(t: &Task) {
    if let Some(p) = t.vfork_parent.lock().take() {
        sched::wake(&p);
    }
}
