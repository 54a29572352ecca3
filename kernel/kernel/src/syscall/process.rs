//! Process and thread calls: clone/fork/vfork, execve, exit, wait4, ids,
//! arch_prctl, set_tid_address, futex.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use spin::Mutex;
use veridian_syscall::errno::*;

use super::KResult;
use crate::arch::entry::TrapFrame;
use crate::mm::user;
use crate::mm::vma::Mm;
use crate::task::{self, current, exec, exit, fork, futex, PROCS};

pub fn clone(f: &TrapFrame, flags: u64, stack: u64, ptid: u64, ctid: u64, tls: u64) -> KResult {
    fork::clone(f, flags, stack, ptid, ctid, tls)
}

pub fn execve(f: &mut TrapFrame, dirfd: i32, p: u64, argv: u64, envp: u64) -> KResult {
    let path = user::read_cstr(p, 4096)?;
    let argv = user::read_str_array(argv)?;
    let envp = user::read_str_array(envp)?;
    let (file, size, abs) = {
        let t = current();
        let (fds, fsx) = (t.files(), t.fsctx());
        crate::fs::open_executable(crate::fs::Caller { fds: &fds, fs: &fsx }, dirfd, &path)?
    };
    let mut head = [0u8; 2];
    if crate::fs::pread(&file, 0, &mut head)? == 2 && &head == b"#!" {
        return Err(ENOEXEC);
    }
    let mut mm = Mm::new().ok_or(ENOMEM)?;
    let loaded = exec::load(&mut mm, &|off, buf| crate::fs::pread(&file, off, buf), size, &abs, &argv, &envp)?;
    drop(file);
    let cur = current();
    let new_mm = Arc::new(Mutex::new(mm));
    new_mm.lock().space.activate();
    let old = core::mem::replace(&mut *cur.mm.lock(), new_mm);
    drop(old);
    // Private fd table and fs context from now on (vfork children shared them).
    let files = cur.files().fork();
    files.close_on_exec();
    *cur.files.lock() = Arc::new(files);
    {
        let mut procs = PROCS.lock();
        if let Some(p) = procs.get_mut(&cur.pid) {
            p.exe = abs;
            p.cmdline = argv.iter().flat_map(|a| a.iter().copied().chain(core::iter::once(0))).collect();
            let mut acts = *p.sigactions.lock();
            for a in acts.iter_mut() {
                if a.handler > 1 {
                    *a = task::SigAction::default();
                }
            }
            p.sigactions = Arc::new(Mutex::new(acts));
        }
    }
    cur.fs_base.store(0, Ordering::Relaxed);
    crate::arch::cpu::set_fs_base(0);
    cur.ctx.reset_fpu();
    fork::release_vfork(&cur);
    *f = TrapFrame::user(loaded.entry, loaded.sp);
    Ok(0)
}

pub fn exit(code: i32) -> KResult {
    exit::exit_thread(exit::exited(code));
}

pub fn exit_group(code: i32) -> KResult {
    exit::exit_group(code);
}

pub fn wait4(pid: i32, status: u64, options: u32, rusage: u64) -> KResult {
    if options & !(1 | 2 | 8 | 0x4000_0000 | 0x8000_0000 | 0x2000_0000) != 0 {
        return Err(EINVAL);
    }
    let (cpid, st) = exit::wait(pid, options)?;
    if cpid != 0 && status != 0 {
        user::write_u32(status, st as u32)?;
    }
    if rusage != 0 {
        user::write_bytes(rusage, &[0u8; 144])?;
    }
    Ok(cpid as u64)
}

pub fn getpid() -> KResult {
    Ok(current().pid as u64)
}

pub fn gettid() -> KResult {
    Ok(current().tid as u64)
}

pub fn getppid() -> KResult {
    let pid = current().pid;
    Ok(PROCS.lock().get(&pid).map(|p| p.ppid).unwrap_or(0) as u64)
}

pub fn getpgid(pid: u32) -> KResult {
    let pid = if pid == 0 { current().pid } else { pid };
    PROCS.lock().get(&pid).map(|p| p.pgid as u64).ok_or(ESRCH)
}

pub fn getsid() -> KResult {
    let pid = current().pid;
    Ok(PROCS.lock().get(&pid).map(|p| p.sid).unwrap_or(0) as u64)
}

pub fn setids(nr: usize, a0: u64, a1: u64) -> KResult {
    use veridian_syscall::nr::{SETPGID, SETSID};
    let me = current().pid;
    let mut procs = PROCS.lock();
    match nr {
        SETPGID => {
            let pid = if a0 == 0 { me } else { a0 as u32 };
            let pgid = if a1 == 0 { pid } else { a1 as u32 };
            procs.get_mut(&pid).ok_or(ESRCH)?.pgid = pgid;
            Ok(0)
        }
        SETSID => {
            let p = procs.get_mut(&me).ok_or(ESRCH)?;
            p.sid = me;
            p.pgid = me;
            Ok(me as u64)
        }
        _ => Ok(0),
    }
}

pub fn arch_prctl(code: u64, addr: u64) -> KResult {
    const ARCH_SET_GS: u64 = 0x1001;
    const ARCH_SET_FS: u64 = 0x1002;
    const ARCH_GET_FS: u64 = 0x1003;
    match code {
        ARCH_SET_FS => {
            if addr >= crate::mm::USER_END {
                return Err(EPERM);
            }
            current().fs_base.store(addr, Ordering::Relaxed);
            crate::arch::cpu::set_fs_base(addr);
            Ok(0)
        }
        ARCH_GET_FS => {
            user::write_u64(addr, current().fs_base.load(Ordering::Relaxed))?;
            Ok(0)
        }
        ARCH_SET_GS => Err(EINVAL),
        _ => Err(EINVAL),
    }
}

pub fn set_tid_address(addr: u64) -> KResult {
    let cur = current();
    cur.clear_child_tid.store(addr, Ordering::Relaxed);
    Ok(cur.tid as u64)
}

pub fn futex(uaddr: u64, op: u32, val: u32, timeout: u64, _uaddr2: u64, _val3: u32) -> KResult {
    const WAIT: u32 = 0;
    const WAKE: u32 = 1;
    const REQUEUE: u32 = 3;
    const CMP_REQUEUE: u32 = 4;
    const WAIT_BITSET: u32 = 9;
    const WAKE_BITSET: u32 = 10;
    const CLOCK_REALTIME_FLAG: u32 = 256;
    if uaddr % 4 != 0 {
        return Err(EINVAL);
    }
    let mm = task::current_mm();
    match op & 127 {
        WAIT | WAIT_BITSET => {
            let deadline = if timeout == 0 {
                0
            } else {
                let raw = user::read_bytes(timeout, 16)?;
                let sec = i64::from_le_bytes(raw[0..8].try_into().unwrap_or_default());
                let nsec = i64::from_le_bytes(raw[8..16].try_into().unwrap_or_default());
                if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
                    return Err(EINVAL);
                }
                let ns = (sec as u64).saturating_mul(1_000_000_000).saturating_add(nsec as u64);
                let now = crate::time::monotonic_ns();
                if op & 127 == WAIT {
                    now.saturating_add(ns).max(1)
                } else if op & CLOCK_REALTIME_FLAG != 0 {
                    now.saturating_add(ns.saturating_sub(crate::time::realtime_ns())).max(1)
                } else {
                    ns.max(1)
                }
            };
            futex::wait(&mm, uaddr, val, deadline).map(|_| 0)
        }
        WAKE | WAKE_BITSET => Ok(futex::wake(&mm, uaddr, val as usize) as u64),
        REQUEUE | CMP_REQUEUE => Ok(futex::wake(&mm, uaddr, usize::MAX) as u64),
        _ => Err(ENOSYS),
    }
}
