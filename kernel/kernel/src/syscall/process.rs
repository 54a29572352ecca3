//! Process and thread calls: clone/fork/vfork, execve, exit, wait4, waitid, ids,
//! arch_prctl, set_tid_address, futex.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use spin::Mutex;
use veridian_vfs::Errno;

use super::KResult;
use crate::arch::entry::TrapFrame;
use crate::mm::vma::Mm;
use crate::task::user;
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
        crate::fs::open_executable(
            crate::fs::Caller {
                fds: &fds,
                fs: &fsx,
            },
            dirfd,
            &path,
        )
        .map_err(Errno)?
    };
    let mut head = [0u8; 2];
    if crate::fs::pread(&file, 0, &mut head).map_err(Errno)? == 2 && &head == b"#!" {
        return Err(Errno::ENOEXEC);
    }
    let mut mm = Mm::new().ok_or(Errno::ENOMEM)?;
    let loaded = exec::load(
        &mut mm,
        // The loader (task::exec) speaks raw errno values.
        &|off, buf| crate::fs::pread(&file, off, buf),
        size,
        &abs,
        &argv,
        &envp,
    )
    .map_err(Errno)?;
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
            p.cmdline = argv
                .iter()
                .flat_map(|a| a.iter().copied().chain(core::iter::once(0)))
                .collect();
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

const WNOHANG: u32 = 1;
const WSTOPPED: u32 = 2;
const WEXITED: u32 = 4;
const WCONTINUED: u32 = 8;
const WNOWAIT: u32 = 0x0100_0000;
/// `__WNOTHREAD | __WALL | __WCLONE`: accepted, no effect (one waiter set
/// per process, and every child is an ordinary one).
const WTHREAD_BITS: u32 = 0x2000_0000 | 0x4000_0000 | 0x8000_0000;
const RUSAGE_SIZE: usize = 144;

pub fn wait4(pid: i32, status: u64, options: u32, rusage: u64) -> KResult {
    if options & !(WNOHANG | WSTOPPED | WCONTINUED | WTHREAD_BITS) != 0 {
        return Err(Errno::EINVAL);
    }
    let who = match pid {
        -1 => exit::Children::Any,
        0 => exit::Children::Pgid(0),
        n if n > 0 => exit::Children::Pid(n as u32),
        n => exit::Children::Pgid(n.unsigned_abs()),
    };
    let opts = exit::WaitOptions {
        nohang: options & WNOHANG != 0,
        exited: true,
        keep: false,
    };
    let (cpid, st) = exit::wait(who, opts).map_err(Errno)?.unwrap_or((0, 0));
    if cpid != 0 && status != 0 {
        user::write_u32(status, st as u32)?;
    }
    if rusage != 0 {
        user::write_bytes(rusage, &[0u8; RUSAGE_SIZE])?;
    }
    Ok(cpid as u64)
}

/// waitid(idtype, id, infop, options, rusage). Like Linux, `infop` gets
/// `si_signo`, `si_errno`, `si_code`, `si_pid`, `si_uid` and `si_status`
/// whatever the outcome (zeros when no child was reported, errors too);
/// `rusage` (zeros: no accounting) only when a child was.
pub fn waitid(idtype: u32, id: i32, infop: u64, options: u32, rusage: u64) -> KResult {
    let found = waitid_child(idtype, id, options);
    if let (Ok(Some(_)), true) = (&found, rusage != 0) {
        user::write_bytes(rusage, &[0u8; RUSAGE_SIZE])?;
    }
    if infop != 0 {
        let (head, tail) = siginfo(found.as_ref().ok().copied().flatten());
        user::write_bytes(infop, &head)?;
        user::write_bytes(infop.wrapping_add(16), &tail)?;
    }
    found.map(|_| 0)
}

/// The checks and the wait of [`waitid`]: the child reported, if any.
fn waitid_child(idtype: u32, id: i32, options: u32) -> Result<Option<(u32, i32)>, Errno> {
    const P_ALL: u32 = 0;
    const P_PID: u32 = 1;
    const P_PGID: u32 = 2;
    const P_PIDFD: u32 = 3;
    if options & !(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | WTHREAD_BITS) != 0
        || options & (WEXITED | WSTOPPED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let who = match idtype {
        P_ALL => exit::Children::Any,
        P_PID if id > 0 => exit::Children::Pid(id as u32),
        P_PGID if id >= 0 => exit::Children::Pgid(id as u32),
        // There are no pidfds (pidfd_open is ENOSYS), so an open fd is not
        // one: Linux answers EBADF for that as for a closed fd.
        P_PIDFD if id >= 0 => return Err(Errno::EBADF),
        _ => return Err(Errno::EINVAL),
    };
    let opts = exit::WaitOptions {
        nohang: options & WNOHANG != 0,
        exited: options & WEXITED != 0,
        keep: options & WNOWAIT != 0,
    };
    exit::wait(who, opts).map_err(Errno)
}

/// The parts of a `siginfo_t` waitid writes: bytes 0..12 (`si_signo`,
/// `si_errno`, `si_code`) and 16..28 (`si_pid`, `si_uid`, `si_status`);
/// all zero without a child.
fn siginfo(child: Option<(u32, i32)>) -> ([u8; 12], [u8; 12]) {
    const CLD_EXITED: i32 = 1;
    const CLD_KILLED: i32 = 2;
    const CLD_DUMPED: i32 = 3;
    let (signo, code, pid, status) = match child {
        None => (0, 0, 0, 0),
        Some((pid, st)) => {
            let (code, status) = match st & 0x7f {
                0 => (CLD_EXITED, (st >> 8) & 0xff),
                sig if st & 0x80 != 0 => (CLD_DUMPED, sig),
                sig => (CLD_KILLED, sig),
            };
            (exit::SIGCHLD, code, pid as i32, status)
        }
    };
    let words = |a: i32, b: i32, c: i32| {
        let mut out = [0u8; 12];
        for (chunk, v) in out.chunks_exact_mut(4).zip([a, b, c]) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        out
    };
    // si_uid: every process runs as root.
    (words(signo, 0, code), words(pid, 0, status))
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
    PROCS
        .lock()
        .get(&pid)
        .map(|p| p.pgid as u64)
        .ok_or(Errno::ESRCH)
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
            procs.get_mut(&pid).ok_or(Errno::ESRCH)?.pgid = pgid;
            Ok(0)
        }
        SETSID => {
            let p = procs.get_mut(&me).ok_or(Errno::ESRCH)?;
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
                return Err(Errno::EPERM);
            }
            current().fs_base.store(addr, Ordering::Relaxed);
            crate::arch::cpu::set_fs_base(addr);
            Ok(0)
        }
        ARCH_GET_FS => {
            user::write_u64(addr, current().fs_base.load(Ordering::Relaxed))?;
            Ok(0)
        }
        ARCH_SET_GS => Err(Errno::EINVAL),
        _ => Err(Errno::EINVAL),
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
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
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
                    return Err(Errno::EINVAL);
                }
                let ns = (sec as u64)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(nsec as u64);
                let now = crate::time::monotonic_ns();
                if op & 127 == WAIT {
                    now.saturating_add(ns).max(1)
                } else if op & CLOCK_REALTIME_FLAG != 0 {
                    now.saturating_add(ns.saturating_sub(crate::time::realtime_ns()))
                        .max(1)
                } else {
                    ns.max(1)
                }
            };
            futex::wait(&mm, uaddr, val, deadline).map(|_| 0)
        }
        WAKE | WAKE_BITSET => Ok(futex::wake(&mm, uaddr, val as usize) as u64),
        REQUEUE | CMP_REQUEUE => Ok(futex::wake(&mm, uaddr, usize::MAX) as u64),
        _ => Err(Errno::ENOSYS),
    }
}
