//! Signal system calls: dispositions, masks, sending (kill, tgkill,
//! rt_sigqueueinfo), waiting (rt_sigtimedwait, rt_sigsuspend, pause),
//! rt_sigpending, sigaltstack; and delivery: a pending signal's handler
//! runs (Linux `rt_sigframe`) when the thread next returns to user mode,
//! rt_sigreturn undoes it.

use core::sync::atomic::Ordering;
use veridian_kcore::signal::{self as rules, AltStackError, Delivery, SigInfo, Target};
use veridian_syscall::signal::{
    MINSIGSTKSZ, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SIGINFO_SIZE, SIGKILL, SIGPIPE,
    SIGSEGV, SIGSET_SIZE, SIGSTOP, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SI_TKILL, SI_USER,
};
use veridian_syscall::wait::{
    PIDFD_SIGNAL_PROCESS_GROUP, PIDFD_SIGNAL_THREAD, PIDFD_SIGNAL_THREAD_GROUP,
};
use veridian_vfs::Errno;

use super::KResult;
use crate::arch::entry::TrapFrame;
use crate::task::signal::{self as post, sig_bit, UNBLOCKABLE};
use crate::task::user::{In, Out, UserPtr, UserSlice};
use crate::task::{current, exit, SigAction, PROCS, TASKS};

/// The kernel's `struct sigaction` on x86_64: handler, flags, restorer,
/// mask, each 8 bytes.
type RawSigAction = [u64; 4];

/// Bytes of a `stack_t` (sigaltstack): `ss_sp`, `ss_flags` (+ padding),
/// `ss_size`.
const STACK_T_SIZE: usize = 24;

use rules::is_signal;

/// The `sigsetsize` argument of the `rt_sig*` calls: `EINVAL` unless it is
/// the kernel's `sigset_t` size.
fn check_sigset_size(size: u64) -> Result<(), Errno> {
    if size == SIGSET_SIZE as u64 {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

pub fn rt_sigaction(sig: i32, act: u64, old: u64, size: u64) -> KResult {
    if !is_signal(sig) {
        return Err(Errno::EINVAL);
    }
    check_sigset_size(size)?;
    let pid = current().pid;
    let acts = PROCS
        .lock()
        .get(&pid)
        .map(|p| p.sigactions.clone())
        .ok_or(Errno::ESRCH)?;
    let prev = acts.lock()[sig as usize];
    if let Some(old) = UserPtr::<RawSigAction>::non_null(old) {
        old.write(&[prev.handler, prev.flags, prev.restorer, prev.mask])?;
    }
    if let Some(act) = UserPtr::<RawSigAction>::non_null(act) {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        let [handler, flags, restorer, mask] = act.read()?;
        acts.lock()[sig as usize] = SigAction {
            handler,
            flags,
            restorer,
            mask: rules::sanitize_mask(mask),
        };
        // POSIX: an action that ignores discards the pending instances,
        // blocked or not.
        if rules::is_ignored(sig, handler) {
            post::discard(pid, sig);
        }
    }
    Ok(0)
}

pub fn rt_sigprocmask(how: i32, set: u64, old: u64, size: u64) -> KResult {
    check_sigset_size(size)?;
    let cur = current();
    let prev = cur.sigmask.load(Ordering::Relaxed);
    if let Some(set) = UserPtr::<u64>::non_null(set) {
        let s = set.read()? & !UNBLOCKABLE;
        let new = match how {
            SIG_BLOCK => prev | s,
            SIG_UNBLOCK => prev & !s,
            SIG_SETMASK => s,
            _ => return Err(Errno::EINVAL),
        };
        cur.sigmask.store(new, Ordering::Relaxed);
    }
    if let Some(old) = UserPtr::<u64>::non_null(old) {
        old.write(&prev)?;
    }
    Ok(0)
}

/// sigaltstack: reads the caller's alternate stack into `old` (`stack_t`:
/// `ss_sp`, `ss_flags`, `ss_size`) and sets it from `ss`.
pub fn sigaltstack(f: &TrapFrame, ss: u64, old: u64) -> KResult {
    let cur = current();
    let prev = *cur.altstack.lock();
    if ss != 0 {
        let b = UserSlice::<In>::new(ss, STACK_T_SIZE).read()?;
        let w = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
        let flags = i32::from_le_bytes(b[8..12].try_into().unwrap_or_default());
        let new = prev
            .change(f.rsp, w(0), flags, w(16), MINSIGSTKSZ as u64)
            .map_err(|e| match e {
                AltStackError::BadFlags => Errno::EINVAL,
                AltStackError::TooSmall => Errno::ENOMEM,
                AltStackError::InUse => Errno::EPERM,
            })?;
        if old != 0 {
            write_stack_t(old, &prev, f.rsp)?;
        }
        *cur.altstack.lock() = new;
    } else if old != 0 {
        write_stack_t(old, &prev, f.rsp)?;
    }
    Ok(0)
}

/// `s` as a `stack_t` for a thread at `rsp`, at user address `at`.
fn write_stack_t(at: u64, s: &rules::AltStack, rsp: u64) -> Result<(), Errno> {
    UserSlice::<Out>::new(at, STACK_T_SIZE)
        .write(&stack_t(s, rsp))
        .map(|_| ())
}

/// The bytes of a `stack_t` describing `s` for a thread at `rsp`.
fn stack_t(s: &rules::AltStack, rsp: u64) -> [u8; STACK_T_SIZE] {
    let mut b = [0u8; STACK_T_SIZE];
    b[0..8].copy_from_slice(&s.sp.to_le_bytes());
    b[8..12].copy_from_slice(&s.flags(rsp).to_le_bytes());
    b[16..24].copy_from_slice(&s.size.to_le_bytes());
    b
}

/// Sends SIGPIPE to the calling thread (a write or send on a pipe or
/// stream whose reading side is gone).
pub fn raise_sigpipe() {
    let t = current();
    let (pid, tid) = (t.pid as i32, t.tid as i32);
    drop(t);
    let _ = tgkill(pid, tid, SIGPIPE);
}

/// The siginfo of a signal the calling process sends with `code`.
fn from_caller(sig: i32, code: i32) -> SigInfo {
    SigInfo::sent(sig, code, current().pid, 0)
}

pub fn kill(pid: i32, sig: i32) -> KResult {
    if sig != 0 && !is_signal(sig) {
        return Err(Errno::EINVAL);
    }
    let info = from_caller(sig, SI_USER);
    if pid > 0 {
        return post::post_info(pid as u32, Target::Process, info).map(|_| 0);
    }
    let me = current().pid;
    let targets: alloc::vec::Vec<u32> = {
        let procs = PROCS.lock();
        let my_pgid = procs.get(&me).map(|p| p.pgid).unwrap_or(0);
        procs
            .values()
            .filter(|p| p.zombie.is_none())
            .filter(|p| match pid {
                0 => p.pgid == my_pgid,
                -1 => p.pid != crate::task::signal::INIT_PID && p.pid != me,
                n => p.pgid == n.unsigned_abs(),
            })
            .map(|p| p.pid)
            .collect()
    };
    if targets.is_empty() && pid != -1 {
        return Err(Errno::ESRCH);
    }
    // The caller last, so a fatal signal reaches every other one first.
    let (mine, others): (alloc::vec::Vec<u32>, _) = targets.into_iter().partition(|&p| p == me);
    for t in others.into_iter().chain(mine) {
        post::post_info(t, Target::Process, info)?;
    }
    Ok(0)
}

/// The process of thread `tid`, checked against `tgid` (> 0) when given.
fn thread_group(tgid: i32, tid: i32) -> Result<u32, Errno> {
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let pid = TASKS
        .lock()
        .get(&(tid as u32))
        .map(|t| t.pid)
        .ok_or(Errno::ESRCH)?;
    if tgid > 0 && pid != tgid as u32 {
        return Err(Errno::ESRCH);
    }
    Ok(pid)
}

/// tgkill (and tkill, `tgid` -1): `sig` to thread `tid` only.
pub fn tgkill(tgid: i32, tid: i32, sig: i32) -> KResult {
    if (sig != 0 && !is_signal(sig)) || tid <= 0 || tgid == 0 || tgid < -1 {
        return Err(Errno::EINVAL);
    }
    let pid = thread_group(tgid, tid)?;
    let info = from_caller(sig, SI_TKILL);
    post::post_info(pid, Target::Thread(tid as u32), info).map(|_| 0)
}

/// The siginfo rt_sigqueueinfo/rt_tgsigqueueinfo send: the caller's, which
/// may not pose as kill or tgkill (`si_code` >= 0 or `SI_TKILL`: `EPERM`)
/// unless it signals itself.
fn queued_info(sig: i32, uinfo: u64, to_self: bool) -> Result<SigInfo, Errno> {
    let b = UserSlice::<In>::new(uinfo, SIGINFO_SIZE).read()?;
    let mut raw = [0u8; SIGINFO_SIZE];
    raw.copy_from_slice(&b);
    let info = SigInfo::queued(sig, raw);
    if (info.code() >= 0 || info.code() == SI_TKILL) && !to_self {
        return Err(Errno::EPERM);
    }
    Ok(info)
}

pub fn rt_sigqueueinfo(tgid: i32, sig: i32, uinfo: u64) -> KResult {
    if !is_signal(sig) && sig != 0 {
        return Err(Errno::EINVAL);
    }
    if tgid <= 0 {
        return Err(Errno::ESRCH);
    }
    let info = queued_info(sig, uinfo, tgid as u32 == current().pid)?;
    post::post_info(tgid as u32, Target::Process, info).map(|_| 0)
}

pub fn rt_tgsigqueueinfo(tgid: i32, tid: i32, sig: i32, uinfo: u64) -> KResult {
    if (!is_signal(sig) && sig != 0) || tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let pid = thread_group(tgid, tid)?;
    let info = queued_info(sig, uinfo, pid == current().pid)?;
    post::post_info(pid, Target::Thread(tid as u32), info).map(|_| 0)
}

/// pidfd_send_signal(pidfd, sig, info, flags): as kill (`info` NULL) or
/// rt_sigqueueinfo to the process of `pidfd`; `flags` may ask for its
/// thread (the pidfd's id is its first thread's) or its process group
/// instead. A process that ended but was not reaped takes the call and
/// drops the signal; a reaped one is `ESRCH`.
pub fn pidfd_send_signal(pidfd: i32, sig: i32, uinfo: u64, flags: u32) -> KResult {
    let scope = match flags {
        0 | PIDFD_SIGNAL_THREAD_GROUP => Target::Process,
        PIDFD_SIGNAL_THREAD => Target::Thread(0),
        PIDFD_SIGNAL_PROCESS_GROUP => return pidfd_signal_group(pidfd, sig, uinfo),
        _ => return Err(Errno::EINVAL),
    };
    if sig != 0 && !is_signal(sig) {
        return Err(Errno::EINVAL);
    }
    let pid = super::pidfd::pid_of(pidfd)?;
    let info = match uinfo {
        0 => from_caller(sig, SI_USER),
        _ => queued_info(sig, uinfo, pid == current().pid)?,
    };
    let target = match scope {
        Target::Thread(_) => Target::Thread(pid),
        t => t,
    };
    post::post_info(pid, target, info).map(|_| 0)
}

/// `PIDFD_SIGNAL_PROCESS_GROUP`: kill(-pgid) of the pidfd's process
/// group (`info` must be NULL here: `EINVAL` otherwise).
fn pidfd_signal_group(pidfd: i32, sig: i32, uinfo: u64) -> KResult {
    let pid = super::pidfd::pid_of(pidfd)?;
    if uinfo != 0 {
        return Err(Errno::EINVAL);
    }
    let pgid = PROCS.lock().get(&pid).map(|p| p.pgid).ok_or(Errno::ESRCH)?;
    kill(-(pgid as i32), sig)
}

/// rt_sigpending: the signals pending for the caller (its own and its
/// process's) that it blocks.
pub fn rt_sigpending(set: u64, size: u64) -> KResult {
    if size > SIGSET_SIZE as u64 {
        return Err(Errno::EINVAL);
    }
    let cur = current();
    let pending = {
        let procs = PROCS.lock();
        post::pending_set(&cur, procs.get(&cur.pid))
    } & cur.sigmask.load(Ordering::Relaxed);
    UserSlice::<Out>::new(set, size as usize).write(&pending.to_le_bytes()[..size as usize])?;
    Ok(0)
}

/// rt_sigtimedwait: takes a pending signal of `set` (blocked or not) and
/// returns its number, its siginfo in `uinfo`; waits up to the timeout
/// (`EAGAIN` when it passes), `EINTR` if a signal outside `set` is to be
/// handled first.
pub fn rt_sigtimedwait(set: u64, uinfo: u64, timeout: u64, size: u64) -> KResult {
    check_sigset_size(size)?;
    let wanted = rules::sanitize_mask(UserPtr::<u64>::new(set).read()?);
    let deadline = match timeout {
        0 => None,
        t => Some(crate::time::monotonic_ns().saturating_add(super::time::read_timespec(t)?)),
    };
    let cur = current();
    let taken = loop {
        if let Some(info) = post::take(&cur, wanted) {
            break info;
        }
        if deadline.is_some_and(|d| crate::time::monotonic_ns() >= d) {
            return Err(Errno::EAGAIN);
        }
        if exit::interrupted() {
            return Err(Errno::EINTR);
        }
        cur.sigwait.store(wanted, Ordering::Relaxed);
        crate::task::sched::block_until(deadline.unwrap_or(0));
        cur.sigwait.store(0, Ordering::Relaxed);
    };
    if let Some(out) = UserPtr::<[u8; SIGINFO_SIZE]>::non_null(uinfo) {
        out.write(&taken.0)?;
    }
    Ok(taken.signo() as u64)
}

/// Bytes of the kernel's `struct ucontext` on x86_64 (`uc_flags`,
/// `uc_link`, `uc_stack`, `uc_mcontext`, `uc_sigmask`).
const UC_SIZE: u64 = 304;
/// [`SIGINFO_SIZE`] for address arithmetic.
const SIGINFO_BYTES: u64 = SIGINFO_SIZE as u64;

/// The next pending signal `mask` lets through whose delivery runs a
/// handler, taken off its queue, with its action. Signals the disposition
/// ignores are dropped on the way; one whose default action terminates
/// ends the process.
fn take_deliverable(mask: u64) -> Option<(SigInfo, SigAction)> {
    let cur = current();
    loop {
        let info = post::take(&cur, !mask)?;
        let sig = info.signo();
        let acts = PROCS.lock().get(&cur.pid)?.sigactions.clone();
        let mut acts = acts.lock();
        let act = acts[sig as usize];
        match rules::deliver(sig, act.handler) {
            Delivery::Discard => continue,
            Delivery::Kill => {
                drop(acts);
                drop(cur);
                exit::kill_current_by_signal(sig);
            }
            Delivery::Handler => {
                if act.flags & SA_RESETHAND != 0 {
                    acts[sig as usize] = SigAction::default();
                }
                return Some((info, act));
            }
        }
    }
}

/// Whether SA_RESTART may re-run call `nr` after a handler. As on Linux
/// (signal(7)), the waits for readiness, the sleeps and the signal waits
/// never are: they return EINTR.
fn restartable(nr: u64) -> bool {
    use veridian_syscall::nr::*;
    !matches!(
        nr as usize,
        SELECT
            | PSELECT6
            | POLL
            | PPOLL
            | EPOLL_WAIT
            | EPOLL_PWAIT
            | EPOLL_PWAIT2
            | NANOSLEEP
            | CLOCK_NANOSLEEP
            | PAUSE
            | RT_SIGSUSPEND
    )
}

/// Before returning to user mode from a syscall: runs the handler of a
/// pending signal by building a Linux `rt_sigframe` on the user stack.
pub fn deliver(f: &mut TrapFrame, syscall: Option<u64>) {
    let cur = current();
    let mask = cur.sigmask.load(Ordering::Relaxed);
    let Some((info, act)) = take_deliverable(mask) else {
        // rt_sigsuspend's mask lasts until a handler runs, or until now.
        let saved = cur.suspend_mask.swap(u64::MAX, Ordering::Relaxed);
        if saved != u64::MAX {
            cur.sigmask.store(saved, Ordering::Relaxed);
        }
        return;
    };
    let sig = info.signo();
    if let Some(nr) = syscall {
        if act.flags & SA_RESTART != 0
            && restartable(nr)
            && f.rax == Errno::EINTR.to_ret() as u64
            && f.rip >= 2
        {
            // Back up over the 2-byte SYSCALL: it runs again after the
            // handler returns.
            f.rax = nr;
            f.rip -= 2;
            f.rcx = f.rip;
        }
    }
    let old_mask = match cur.suspend_mask.swap(u64::MAX, Ordering::Relaxed) {
        u64::MAX => mask,
        m => m,
    };
    // Below the red zone, or at the top of the alternate stack.
    let alt = *cur.altstack.lock();
    let top = alt.frame_top(f.rsp.wrapping_sub(128), act.flags & SA_ONSTACK != 0);
    let fp_addr = (top.wrapping_sub(512)) & !63;
    let sp = (fp_addr.wrapping_sub(UC_SIZE + SIGINFO_BYTES + 8) & !15).wrapping_sub(8);
    let (uc, info_at) = (sp + 8, sp + 8 + UC_SIZE);
    let mut frame = alloc::vec![0u8; (8 + UC_SIZE + SIGINFO_BYTES) as usize];
    frame[0..8].copy_from_slice(&act.restorer.to_le_bytes());
    frame[8 + 16..8 + 40].copy_from_slice(&stack_t(&alt, f.rsp)); // uc_stack
    let regs = [
        f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15, f.rdi, f.rsi, f.rbp, f.rbx, f.rdx,
        f.rax, f.rcx, f.rsp, f.rip, f.rflags,
    ];
    for (i, r) in regs.iter().enumerate() {
        let o = 8 + 40 + i * 8;
        frame[o..o + 8].copy_from_slice(&r.to_le_bytes());
    }
    let mc = 8 + 40;
    frame[mc + 144..mc + 146].copy_from_slice(&(crate::arch::gdt::USER_CS).to_le_bytes());
    frame[mc + 184..mc + 192].copy_from_slice(&fp_addr.to_le_bytes());
    frame[8 + 296..8 + 304].copy_from_slice(&old_mask.to_le_bytes());
    let si = (8 + UC_SIZE) as usize;
    frame[si..si + SIGINFO_SIZE].copy_from_slice(&info.0);
    let fpu = crate::arch::entry::FpuState::live();
    if sp >= crate::mm::USER_END
        || UserSlice::<Out>::new(fp_addr, fpu.0.len())
            .write(&fpu.0)
            .is_err()
        || UserSlice::<Out>::new(sp, frame.len())
            .write(&frame)
            .is_err()
    {
        drop(cur);
        exit::kill_current_by_signal(SIGSEGV);
    }
    let mut new_mask = mask | act.mask;
    if act.flags & SA_NODEFER == 0 {
        new_mask |= sig_bit(sig);
    }
    cur.sigmask.store(new_mask, Ordering::Relaxed);
    f.rip = act.handler;
    f.rsp = sp;
    f.rdi = sig as u64;
    f.rsi = info_at;
    f.rdx = uc;
    f.rax = 0;
    f.rflags &= !0x0500;
}

/// rt_sigreturn: restores what [`deliver`] saved (the ucontext is at the
/// stack pointer after the handler's `ret` into the restorer).
pub fn rt_sigreturn(f: &mut TrapFrame) -> KResult {
    let uc = f.rsp;
    let raw = match UserSlice::<In>::new(uc, UC_SIZE as usize).read() {
        Ok(r) => r,
        Err(_) => exit::kill_current_by_signal(SIGSEGV),
    };
    let w = |o: usize| u64::from_le_bytes(raw[o..o + 8].try_into().unwrap_or_default());
    let mc = 40;
    let r = |i: usize| w(mc + i * 8);
    let (rip, rsp) = (r(16), r(15));
    if rip >= crate::mm::USER_END || rsp >= crate::mm::USER_END {
        exit::kill_current_by_signal(SIGSEGV);
    }
    f.r8 = r(0);
    f.r9 = r(1);
    f.r10 = r(2);
    f.r11 = r(3);
    f.r12 = r(4);
    f.r13 = r(5);
    f.r14 = r(6);
    f.r15 = r(7);
    f.rdi = r(8);
    f.rsi = r(9);
    f.rbp = r(10);
    f.rbx = r(11);
    f.rdx = r(12);
    let rax = r(13);
    f.rcx = r(14);
    f.rsp = rsp;
    f.rip = rip;
    f.rflags = (r(17) & 0x0DD5) | 0x202;
    let fp = w(mc + 184);
    if fp != 0 {
        if let Ok(bytes) = UserSlice::<In>::new(fp, 512).read() {
            let mut st = crate::arch::entry::FpuState([0; 512]);
            st.0.copy_from_slice(&bytes);
            st.sanitize();
            st.restore();
        }
    }
    current()
        .sigmask
        .store(w(296) & !UNBLOCKABLE, Ordering::Relaxed);
    Ok(rax)
}

/// rt_sigsuspend: waits with `mask` until a signal is pending; EINTR.
pub fn rt_sigsuspend(mask: u64, size: u64) -> KResult {
    check_sigset_size(size)?;
    let new = UserPtr::<u64>::new(mask).read()? & !UNBLOCKABLE;
    let cur = current();
    let old = cur.sigmask.swap(new, Ordering::Relaxed);
    cur.suspend_mask.store(old, Ordering::Relaxed);
    drop(cur);
    while !exit::interrupted() {
        crate::task::sched::block_until(crate::time::monotonic_ns() + 100_000_000);
    }
    Err(Errno::EINTR)
}

/// pause: waits until a signal is pending; EINTR.
pub fn pause() -> KResult {
    while !exit::interrupted() {
        crate::task::sched::block_until(crate::time::monotonic_ns() + 100_000_000);
    }
    Err(Errno::EINTR)
}
