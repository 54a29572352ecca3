//! Signals: dispositions and masks; kill/tgkill apply the default action
//! (terminate, or ignore for SIGCHLD-like signals) or mark the signal
//! pending for its handler, which runs (Linux `rt_sigframe`) when the
//! process next returns from a system call; rt_sigreturn undoes it.

use core::sync::atomic::Ordering;
use veridian_syscall::signal::{
    SA_NODEFER, SA_RESETHAND, SA_RESTART, SIGINFO_SIZE, SIGKILL, SIGPIPE, SIGRTMAX, SIGSEGV,
    SIGSET_SIZE, SIGSTOP, SIG_BLOCK, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SS_DISABLE,
};
use veridian_vfs::Errno;

use super::KResult;
use crate::arch::entry::TrapFrame;
use crate::task::signal::{sig_bit, UNBLOCKABLE};
use crate::task::user::{In, Out, UserPtr, UserSlice};
use crate::task::{current, exit, SigAction, PROCS, TASKS};

/// The kernel's `struct sigaction` on x86_64: handler, flags, restorer,
/// mask, each 8 bytes.
type RawSigAction = [u64; 4];

/// Bytes of a `stack_t` (sigaltstack): `ss_sp`, `ss_flags` (+ padding),
/// `ss_size`.
const STACK_T_SIZE: usize = 24;

/// Whether `sig` is a signal number (0, the existence check, is not).
fn is_signal(sig: i32) -> bool {
    (1..=SIGRTMAX).contains(&sig)
}

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
            mask,
        };
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

/// sigaltstack: accepted, never used; the old stack reads as disabled.
pub fn sigaltstack(ss: u64, old: u64) -> KResult {
    if old != 0 {
        let mut b = [0u8; STACK_T_SIZE];
        b[8..12].copy_from_slice(&SS_DISABLE.to_le_bytes());
        UserSlice::<Out>::new(old, STACK_T_SIZE).write(&b)?;
    }
    if ss != 0 {
        UserSlice::<In>::new(ss, STACK_T_SIZE).read()?;
    }
    Ok(0)
}

/// Sends SIGPIPE to the calling thread (a write or send on a pipe or
/// stream whose reading side is gone).
pub fn raise_sigpipe() {
    let t = current();
    let (pid, tid) = (t.pid as i32, t.tid as i32);
    drop(t);
    let _ = tgkill(pid, tid, SIGPIPE);
}

/// Applies `sig` to process `pid`.
fn send(pid: u32, sig: i32) -> KResult {
    crate::task::signal::post(pid, sig).map(|_| 0)
}

pub fn kill(pid: i32, sig: i32) -> KResult {
    if sig != 0 && !is_signal(sig) {
        return Err(Errno::EINVAL);
    }
    if pid > 0 {
        return send(pid as u32, sig);
    }
    let me = current().pid;
    if pid != -1 {
        let group = match pid {
            0 => PROCS.lock().get(&me).map(|p| p.pgid).unwrap_or(0),
            n => n.unsigned_abs(),
        };
        return crate::task::signal::post_group(group, sig).map(|_| 0);
    }
    let everyone: alloc::vec::Vec<u32> = PROCS
        .lock()
        .values()
        .filter(|p| p.pid != crate::task::signal::INIT_PID && p.pid != me)
        .map(|p| p.pid)
        .collect();
    for t in everyone {
        send(t, sig)?;
    }
    Ok(0)
}

pub fn tgkill(tgid: i32, tid: i32, sig: i32) -> KResult {
    if (sig != 0 && !is_signal(sig)) || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let t = TASKS
        .lock()
        .get(&(tid as u32))
        .cloned()
        .ok_or(Errno::ESRCH)?;
    if tgid > 0 && t.pid != tgid as u32 {
        return Err(Errno::ESRCH);
    }
    send(t.pid, sig)
}

/// Bytes of the kernel's `struct ucontext` on x86_64 (`uc_flags`,
/// `uc_link`, `uc_stack`, `uc_mcontext`, `uc_sigmask`).
const UC_SIZE: u64 = 304;
/// [`SIGINFO_SIZE`] for address arithmetic.
const SIGINFO_BYTES: u64 = SIGINFO_SIZE as u64;

/// The lowest pending, unmasked signal with a handler, taken off the
/// pending set, with its action.
fn take_deliverable(mask: u64) -> Option<(i32, SigAction)> {
    let pid = current().pid;
    let mut procs = PROCS.lock();
    let p = procs.get_mut(&pid)?;
    let ready = p.pending & !mask;
    if ready == 0 {
        return None;
    }
    let sig = ready.trailing_zeros() as i32 + 1;
    p.pending &= !sig_bit(sig);
    let mut acts = p.sigactions.lock();
    let act = acts[sig as usize];
    if act.flags & SA_RESETHAND != 0 {
        acts[sig as usize] = SigAction::default();
    }
    Some((sig, act))
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
    let Some((sig, act)) = take_deliverable(mask) else {
        return;
    };
    if act.handler <= SIG_IGN {
        return;
    }
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
    let fp_addr = (f.rsp.wrapping_sub(128 + 512)) & !63;
    let sp = ((fp_addr - UC_SIZE - SIGINFO_BYTES - 8) & !15) - 8;
    let (uc, info) = (sp + 8, sp + 8 + UC_SIZE);
    let mut frame = alloc::vec![0u8; (8 + UC_SIZE + SIGINFO_BYTES) as usize];
    frame[0..8].copy_from_slice(&act.restorer.to_le_bytes());
    frame[24..28].copy_from_slice(&SS_DISABLE.to_le_bytes()); // uc_stack.ss_flags
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
    frame[si..si + 4].copy_from_slice(&sig.to_le_bytes());
    frame[si + 16..si + 20].copy_from_slice(&cur.pid.to_le_bytes());
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
    f.rsi = info;
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
