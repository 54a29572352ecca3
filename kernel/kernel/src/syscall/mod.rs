//! System-call dispatch: a table from the Linux x86_64 numbers (from
//! `veridian-syscall`) to handlers, one module per family; the file family
//! is the VFS crate's decoder (`fs`). Unknown numbers return ENOSYS and are
//! logged once each.

mod epoll;
mod epoll_file;
mod eventfd;
mod fs;
mod memory;
mod misc;
mod net;
mod pidfd;
mod poll;
mod prctl;
mod process;
mod select;
mod signal;
mod signalfd;
mod time;
mod timerfd;
mod unix;

use alloc::collections::BTreeSet;
use spin::{Mutex, Once};
use veridian_syscall::clone::{CLONE_VFORK, CLONE_VM};
use veridian_syscall::nr::*;
use veridian_syscall::signal::SIGCHLD;
use veridian_vfs::Errno;

use crate::arch::entry::TrapFrame;

pub type KResult = Result<u64, Errno>;

static LOGGED: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());

/// Installs `file` (an eventfd, epoll or signalfd instance) in the calling
/// task's fd table, named `name` (`anon_inode:[…]`); returns the fd.
fn install_anon(
    file: alloc::sync::Arc<dyn veridian_vfs::SpecialFile>,
    name: &[u8],
    flags: u32,
) -> KResult {
    let t = crate::task::current();
    let (fds, fsx) = (t.files(), t.fsctx());
    drop(t);
    let caller = veridian_vfs::Caller {
        fds: &fds,
        fs: &fsx,
    };
    crate::fs::vfs()
        .install_special(caller, file, name, flags)
        .map(|fd| fd as u64)
}

fn unimplemented(nr: u64) -> KResult {
    if LOGGED.lock().insert(nr) {
        let name = veridian_syscall::nr::name(nr as usize).unwrap_or("unknown");
        crate::kprintln!(
            "veridian: syscall {} ({}) not implemented: Errno::ENOSYS",
            nr,
            name
        );
    }
    Err(Errno::ENOSYS)
}

/// Called by the entry assembly (through `arch::entry`) with the saved user
/// registers.
pub fn syscall_dispatch(f: &mut TrapFrame) {
    let nr = f.rax;
    let a = [f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9];
    let probe = crate::stats::Probe::start_task();
    let r = dispatch(f, nr, a);
    probe.syscall(nr);
    if crate::log::enabled(8) {
        crate::kprintln!(
            "[{}] {}({:#x}, {:#x}, {:#x}) = {:?}",
            crate::task::current_pid(),
            veridian_syscall::nr::name(nr as usize).unwrap_or("?"),
            a[0],
            a[1],
            a[2],
            r
        );
    }
    f.rax = match r {
        Ok(v) => v,
        Err(e) => e.to_ret() as u64,
    };
    if nr as usize != RT_SIGRETURN {
        // SYSCALL's contract: rcx and r11 come back as rip and rflags.
        f.rcx = f.rip;
        f.r11 = f.rflags;
    }
    finish_return(f, Some(nr));
}

/// Last steps before any return to user mode: a pending fatal signal ends
/// the task, a handled one enters its handler, and the context is checked
/// (IRETQ to a non-canonical address would fault in the kernel).
pub fn before_user_return(f: &mut TrapFrame) {
    finish_return(f, None);
}

/// As [`before_user_return`]; `syscall` is the number of the call that is
/// returning (an EINTR from it is restarted for SA_RESTART handlers).
fn finish_return(f: &mut TrapFrame, syscall: Option<u64>) {
    crate::task::exit::check_pending_kill();
    signal::deliver(f, syscall);
    if f.rip >= crate::mm::USER_END || f.rsp >= crate::mm::USER_END {
        crate::kprintln!(
            "veridian: pid {}: bad user context rip {:#x} rsp {:#x}",
            crate::task::current_pid(),
            f.rip,
            f.rsp
        );
        crate::task::exit::kill_current_by_signal(veridian_syscall::signal::SIGSEGV);
    }
}

/// The argument registers of one call (`rdi, rsi, rdx, r10, r8, r9`),
/// read as the type each handler takes, and the saved user context.
pub struct Args<'f> {
    nr: usize,
    regs: [u64; 6],
    pub frame: &'f mut TrapFrame,
}

impl Args<'_> {
    pub fn u64(&self, i: usize) -> u64 {
        self.regs[i]
    }

    /// The low 32 bits (C `unsigned int` arguments: flags, modes).
    pub fn u32(&self, i: usize) -> u32 {
        self.regs[i] as u32
    }

    /// The low 32 bits as signed (C `int` arguments: fds, pids, signals).
    pub fn i32(&self, i: usize) -> i32 {
        self.regs[i] as i32
    }
}

/// A system-call handler.
type Handler = fn(&mut Args<'_>) -> KResult;

/// Table size: every Linux x86_64 number is below it.
const TABLE_LEN: usize = 512;

/// The handlers by number; the file family (`veridian_vfs::FILE_SYSCALLS`)
/// is [`fs::file_call`]'s.
const HANDLERS: &[(usize, Handler)] = &[
    (MMAP, |a| {
        memory::mmap(a.u64(0), a.u64(1), a.u32(2), a.u32(3), a.i32(4), a.u64(5))
    }),
    (MPROTECT, |a| memory::mprotect(a.u64(0), a.u64(1), a.u32(2))),
    (MUNMAP, |a| memory::munmap(a.u64(0), a.u64(1))),
    (MSYNC, |a| memory::msync(a.u64(0), a.u64(1), a.u32(2))),
    (MREMAP, |a| {
        memory::mremap(a.u64(0), a.u64(1), a.u64(2), a.u32(3), a.u64(4))
    }),
    (ALARM, |a| time::alarm(a.u64(0))),
    (SETITIMER, |a| time::setitimer(a.u32(0), a.u64(1), a.u64(2))),
    (GETITIMER, |a| time::getitimer(a.u32(0), a.u64(1))),
    (TIMES, |a| time::times(a.u64(0))),
    (GETCPU, |a| misc::getcpu(a.u64(0), a.u64(1))),
    (BRK, |a| memory::brk(a.u64(0))),
    (RT_SIGACTION, |a| {
        signal::rt_sigaction(a.i32(0), a.u64(1), a.u64(2), a.u64(3))
    }),
    (RT_SIGPROCMASK, |a| {
        signal::rt_sigprocmask(a.i32(0), a.u64(1), a.u64(2), a.u64(3))
    }),
    (RT_SIGRETURN, |a| signal::rt_sigreturn(a.frame)),
    (RT_SIGSUSPEND, |a| signal::rt_sigsuspend(a.u64(0), a.u64(1))),
    (RT_SIGPENDING, |a| signal::rt_sigpending(a.u64(0), a.u64(1))),
    (RT_SIGTIMEDWAIT, |a| {
        signal::rt_sigtimedwait(a.u64(0), a.u64(1), a.u64(2), a.u64(3))
    }),
    (RT_SIGQUEUEINFO, |a| {
        signal::rt_sigqueueinfo(a.i32(0), a.i32(1), a.u64(2))
    }),
    (RT_TGSIGQUEUEINFO, |a| {
        signal::rt_tgsigqueueinfo(a.i32(0), a.i32(1), a.i32(2), a.u64(3))
    }),
    (PAUSE, |_| signal::pause()),
    (MADVISE, |a| memory::madvise(a.u64(0), a.u64(1), a.u32(2))),
    (NANOSLEEP, |a| time::nanosleep(a.u64(0), a.u64(1))),
    (GETPID, |_| process::getpid()),
    (CLONE, |a| {
        process::clone(a.frame, a.u64(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4))
    }),
    (FORK, |a| {
        process::clone(a.frame, SIGCHLD as u64, 0, 0, 0, 0)
    }),
    (VFORK, |a| {
        process::clone(a.frame, CLONE_VM | CLONE_VFORK | SIGCHLD as u64, 0, 0, 0, 0)
    }),
    (EXECVE, |a| {
        process::execve(
            a.frame,
            veridian_vfs::abi::AT_FDCWD,
            a.u64(0),
            a.u64(1),
            a.u64(2),
        )
    }),
    (EXIT, |a| process::exit(a.i32(0))),
    (WAIT4, |a| {
        process::wait4(a.i32(0), a.u64(1), a.u32(2), a.u64(3))
    }),
    (WAITID, |a| {
        process::waitid(a.u32(0), a.i32(1), a.u64(2), a.u32(3), a.u64(4))
    }),
    (KILL, |a| signal::kill(a.i32(0), a.i32(1))),
    (UNAME, |a| misc::uname(a.u64(0))),
    (GETTIMEOFDAY, |a| time::gettimeofday(a.u64(0))),
    (TIME, |a| time::time(a.u64(0))),
    (PRCTL, |a| {
        prctl::prctl(a.u64(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4))
    }),
    (GETRLIMIT, |a| misc::getrlimit(a.u32(0), a.u64(1))),
    (GETRUSAGE, |a| misc::getrusage(a.u64(1))),
    (SYSINFO, |a| misc::sysinfo(a.u64(0))),
    (GETUID, |_| Ok(0)),
    (GETGID, |_| Ok(0)),
    (GETEUID, |_| Ok(0)),
    (GETEGID, |_| Ok(0)),
    (GETRESUID, |a| {
        process::getres_ids(a.u64(0), a.u64(1), a.u64(2))
    }),
    (GETRESGID, |a| {
        process::getres_ids(a.u64(0), a.u64(1), a.u64(2))
    }),
    (GETGROUPS, |a| process::getgroups(a.i32(0), a.u64(1))),
    (SETGROUPS, |a| process::setgroups(a.i32(0), a.u64(1))),
    (SETUID, |a| process::setids(SETUID, a.u64(0), a.u64(1))),
    (SETGID, |a| process::setids(SETGID, a.u64(0), a.u64(1))),
    (SETPGID, |a| process::setids(SETPGID, a.u64(0), a.u64(1))),
    (SETSID, |a| process::setids(SETSID, a.u64(0), a.u64(1))),
    (GETPPID, |_| process::getppid()),
    (GETPGRP, |_| process::getpgid(0)),
    (GETPGID, |a| process::getpgid(a.u32(0))),
    (GETSID, |_| process::getsid()),
    (SIGALTSTACK, |a| {
        signal::sigaltstack(a.frame, a.u64(0), a.u64(1))
    }),
    (ARCH_PRCTL, |a| process::arch_prctl(a.u64(0), a.u64(1))),
    (GETTID, |_| process::gettid()),
    (TKILL, |a| signal::tgkill(-1, a.i32(0), a.i32(1))),
    (FUTEX, |a| {
        process::futex(a.u64(0), a.u32(1), a.u32(2), a.u64(3), a.u64(4), a.u32(5))
    }),
    (SCHED_GETAFFINITY, |a| {
        misc::sched_getaffinity(a.u64(0), a.u64(1), a.u64(2))
    }),
    (SCHED_SETAFFINITY, |_| Ok(0)),
    (SET_TID_ADDRESS, |a| process::set_tid_address(a.u64(0))),
    (CLOCK_GETTIME, |a| time::clock_gettime(a.u32(0), a.u64(1))),
    (CLOCK_GETRES, |a| time::clock_getres(a.u32(0), a.u64(1))),
    (CLOCK_NANOSLEEP, |a| {
        time::clock_nanosleep(a.u32(0), a.u32(1), a.u64(2), a.u64(3))
    }),
    (EXIT_GROUP, |a| process::exit_group(a.i32(0))),
    (TGKILL, |a| signal::tgkill(a.i32(0), a.i32(1), a.i32(2))),
    (SET_ROBUST_LIST, |_| Ok(0)),
    (EVENTFD, |a| eventfd::eventfd2(a.u32(0), 0)),
    (EVENTFD2, |a| eventfd::eventfd2(a.u32(0), a.u32(1))),
    (PIDFD_OPEN, |a| pidfd::pidfd_open(a.i32(0), a.u32(1))),
    (PIDFD_SEND_SIGNAL, |a| {
        signal::pidfd_send_signal(a.i32(0), a.i32(1), a.u64(2), a.u32(3))
    }),
    (TIMERFD_CREATE, |a| {
        timerfd::timerfd_create(a.u32(0), a.u32(1))
    }),
    (TIMERFD_SETTIME, |a| {
        timerfd::timerfd_settime(a.i32(0), a.u32(1), a.u64(2), a.u64(3))
    }),
    (TIMERFD_GETTIME, |a| {
        timerfd::timerfd_gettime(a.i32(0), a.u64(1))
    }),
    (SIGNALFD, |a| {
        signalfd::signalfd4(a.i32(0), a.u64(1), a.u64(2), 0)
    }),
    (SIGNALFD4, |a| {
        signalfd::signalfd4(a.i32(0), a.u64(1), a.u64(2), a.u32(3))
    }),
    (PRLIMIT64, |a| {
        misc::prlimit64(a.u32(0), a.u32(1), a.u64(2), a.u64(3))
    }),
    (GETRANDOM, |a| misc::getrandom(a.u64(0), a.u64(1), a.u32(2))),
    (RSEQ, |_| Err(Errno::ENOSYS)),
    (SOCKET, |a| net::socket(a.i32(0), a.u32(1), a.i32(2))),
    (CONNECT, |a| net::connect(a.i32(0), a.u64(1), a.u64(2))),
    (ACCEPT, |a| net::accept4(a.i32(0), a.u64(1), a.u64(2), 0)),
    (ACCEPT4, |a| {
        net::accept4(a.i32(0), a.u64(1), a.u64(2), a.u32(3))
    }),
    (SENDTO, |a| {
        net::sendto(a.i32(0), a.u64(1), a.u64(2), a.u32(3), a.u64(4), a.u64(5))
    }),
    (RECVFROM, |a| {
        net::recvfrom(a.i32(0), a.u64(1), a.u64(2), a.u32(3), a.u64(4), a.u64(5))
    }),
    (SENDMSG, |a| net::sendmsg(a.i32(0), a.u64(1), a.u32(2))),
    (RECVMSG, |a| net::recvmsg(a.i32(0), a.u64(1), a.u32(2))),
    (SENDMMSG, |a| {
        net::sendmmsg(a.i32(0), a.u64(1), a.u32(2), a.u32(3))
    }),
    (RECVMMSG, |a| {
        net::recvmmsg(a.i32(0), a.u64(1), a.u32(2), a.u32(3), a.u64(4))
    }),
    (SHUTDOWN, |a| net::shutdown(a.i32(0), a.u32(1))),
    (BIND, |a| net::bind(a.i32(0), a.u64(1), a.u64(2))),
    (LISTEN, |a| net::listen(a.i32(0), a.i32(1))),
    (GETSOCKNAME, |a| {
        net::sockname(a.i32(0), a.u64(1), a.u64(2), false)
    }),
    (GETPEERNAME, |a| {
        net::sockname(a.i32(0), a.u64(1), a.u64(2), true)
    }),
    (SOCKETPAIR, |a| {
        net::socketpair(a.i32(0), a.u32(1), a.i32(2), a.u64(3))
    }),
    (SETSOCKOPT, |a| {
        net::setsockopt(a.i32(0), a.i32(1), a.i32(2), a.u64(3), a.u64(4))
    }),
    (GETSOCKOPT, |a| {
        net::getsockopt(a.i32(0), a.i32(1), a.i32(2), a.u64(3), a.u64(4))
    }),
    (POLL, |a| poll::poll(a.u64(0), a.u64(1), a.i32(2))),
    (PPOLL, |a| {
        poll::ppoll(a.u64(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4))
    }),
    (SELECT, |a| {
        select::select(a.i32(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4))
    }),
    (PSELECT6, |a| {
        select::pselect6(a.i32(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4), a.u64(5))
    }),
    (EPOLL_CREATE, |a| epoll::epoll_create(a.i32(0))),
    (EPOLL_CREATE1, |a| epoll::epoll_create1(a.u32(0))),
    (EPOLL_CTL, |a| {
        epoll::epoll_ctl(a.i32(0), a.i32(1), a.i32(2), a.u64(3))
    }),
    (EPOLL_WAIT, |a| {
        epoll::epoll_wait(a.i32(0), a.u64(1), a.i32(2), a.i32(3))
    }),
    (EPOLL_PWAIT, |a| {
        epoll::epoll_pwait(a.i32(0), a.u64(1), a.i32(2), a.i32(3), a.u64(4), a.u64(5))
    }),
    (EPOLL_PWAIT2, |a| {
        epoll::epoll_pwait2(a.i32(0), a.u64(1), a.i32(2), a.u64(3), a.u64(4), a.u64(5))
    }),
    (SCHED_YIELD, |_| {
        crate::task::sched::yield_now();
        Ok(0)
    }),
];

/// Calls that allocate kernel memory for a new object: `ENOMEM` at once
/// when the heap runs low.
const NEED_HEAP: &[usize] = &[
    CLONE, FORK, VFORK, PIPE, PIPE2, OPEN, OPENAT, DUP, DUP2, DUP3, MMAP,
];

static TABLE: Once<[Option<Handler>; TABLE_LEN]> = Once::new();

fn file(a: &mut Args<'_>) -> KResult {
    fs::file_call(a.nr, a.regs).unwrap_or_else(|| unimplemented(a.nr as u64))
}

fn table() -> &'static [Option<Handler>; TABLE_LEN] {
    TABLE.call_once(|| {
        let mut t: [Option<Handler>; TABLE_LEN] = [None; TABLE_LEN];
        for &n in veridian_vfs::FILE_SYSCALLS {
            t[n] = Some(file);
        }
        for &(n, h) in HANDLERS {
            t[n] = Some(h);
        }
        t
    })
}

fn dispatch(f: &mut TrapFrame, nr: u64, regs: [u64; 6]) -> KResult {
    let n = nr as usize;
    if crate::mm::heap::low() && NEED_HEAP.contains(&n) {
        return Err(Errno::ENOMEM);
    }
    match table().get(n).copied().flatten() {
        Some(h) => h(&mut Args {
            nr: n,
            regs,
            frame: f,
        }),
        None => unimplemented(nr),
    }
}
