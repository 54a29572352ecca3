//! System-call dispatch: the Linux x86_64 numbers (from `veridian-syscall`)
//! mapped to handlers, one module per family. Unknown numbers return ENOSYS
//! and are logged once each.

mod epoll;
mod fs;
mod memory;
mod misc;
mod net;
mod poll;
mod process;
mod select;
mod signal;
mod time;
mod unix;

use alloc::collections::BTreeSet;
use spin::Mutex;
use veridian_syscall::errno::ENOSYS;
use veridian_syscall::nr::*;

use crate::arch::entry::TrapFrame;

pub type KResult = Result<u64, i32>;

static LOGGED: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());

fn unimplemented(nr: u64) -> KResult {
    if LOGGED.lock().insert(nr) {
        let name = veridian_syscall::nr::name(nr as usize).unwrap_or("unknown");
        crate::kprintln!(
            "veridian: syscall {} ({}) not implemented: ENOSYS",
            nr,
            name
        );
    }
    Err(ENOSYS)
}

/// Called by the entry assembly (through `arch::entry`) with the saved user
/// registers.
pub fn syscall_dispatch(f: &mut TrapFrame) {
    let nr = f.rax;
    let a = [f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9];
    let r = dispatch(f, nr, a);
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
        Err(e) => (-(e as i64)) as u64,
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
        crate::task::exit::kill_current_by_signal(11);
    }
}

fn dispatch(f: &mut TrapFrame, nr: u64, a: [u64; 6]) -> KResult {
    let n = nr as usize;
    if crate::mm::heap::low()
        && matches!(
            n,
            CLONE | FORK | VFORK | PIPE | PIPE2 | OPEN | OPENAT | DUP | DUP2 | DUP3 | MMAP
        )
    {
        return Err(veridian_syscall::errno::ENOMEM);
    }
    match n {
        READ => fs::read(a[0] as i32, a[1], a[2]),
        WRITE => fs::write(a[0] as i32, a[1], a[2]),
        OPEN => fs::openat(fs::AT_FDCWD, a[0], a[1] as u32, a[2] as u32),
        CLOSE => fs::close(a[0] as i32),
        STAT => fs::fstatat(fs::AT_FDCWD, a[0], a[1], 0),
        FSTAT => fs::fstat(a[0] as i32, a[1]),
        LSTAT => fs::fstatat(fs::AT_FDCWD, a[0], a[1], fs::AT_SYMLINK_NOFOLLOW),
        LSEEK => fs::lseek(a[0] as i32, a[1] as i64, a[2] as u32),
        MMAP => memory::mmap(a[0], a[1], a[2] as u32, a[3] as u32, a[4] as i32, a[5]),
        MPROTECT => memory::mprotect(a[0], a[1], a[2] as u32),
        MUNMAP => memory::munmap(a[0], a[1]),
        MREMAP => memory::mremap(a[0], a[1], a[2], a[3] as u32, a[4]),
        FLOCK => fs::flock(a[0] as i32, a[1] as u32),
        ALARM => time::alarm(a[0]),
        SETITIMER => time::setitimer(a[0] as u32, a[1], a[2]),
        GETITIMER => time::getitimer(a[0] as u32, a[1]),
        TIMES => time::times(a[0]),
        GETCPU => misc::getcpu(a[0], a[1]),
        COPY_FILE_RANGE => {
            fs::copy_file_range(a[0] as i32, a[1], a[2] as i32, a[3], a[4], a[5] as u32)
        }
        FALLOCATE => fs::fallocate(a[0] as i32, a[1] as u32, a[2] as i64, a[3] as i64),
        BRK => memory::brk(a[0]),
        RT_SIGACTION => signal::rt_sigaction(a[0] as i32, a[1], a[2], a[3]),
        RT_SIGPROCMASK => signal::rt_sigprocmask(a[0] as i32, a[1], a[2], a[3]),
        RT_SIGRETURN => signal::rt_sigreturn(f),
        RT_SIGSUSPEND => signal::rt_sigsuspend(a[0], a[1]),
        PAUSE => signal::pause(),
        IOCTL => fs::ioctl(a[0] as i32, a[1], a[2]),
        PREAD64 => fs::pread(a[0] as i32, a[1], a[2], a[3]),
        PWRITE64 => fs::pwrite(a[0] as i32, a[1], a[2], a[3]),
        READV => fs::readv(a[0] as i32, a[1], a[2]),
        WRITEV => fs::writev(a[0] as i32, a[1], a[2]),
        ACCESS => fs::faccessat(fs::AT_FDCWD, a[0], a[1] as u32, 0),
        PIPE => fs::pipe2(a[0], 0),
        SCHED_YIELD => {
            crate::task::sched::yield_now();
            Ok(0)
        }
        MADVISE => memory::madvise(a[0], a[1], a[2] as u32),
        DUP => fs::dup(a[0] as i32),
        DUP2 => fs::dup2(a[0] as i32, a[1] as i32),
        NANOSLEEP => time::nanosleep(a[0], a[1]),
        GETPID => process::getpid(),
        CLONE => process::clone(f, a[0], a[1], a[2], a[3], a[4]),
        FORK => process::clone(f, 17, 0, 0, 0, 0),
        VFORK => process::clone(f, 0x4000 | 0x100 | 17, 0, 0, 0, 0),
        EXECVE => process::execve(f, fs::AT_FDCWD, a[0], a[1], a[2]),
        EXIT => process::exit(a[0] as i32),
        WAIT4 => process::wait4(a[0] as i32, a[1], a[2] as u32, a[3]),
        WAITID => process::waitid(a[0] as u32, a[1] as i32, a[2], a[3] as u32, a[4]),
        KILL => signal::kill(a[0] as i32, a[1] as i32),
        UNAME => misc::uname(a[0]),
        FCNTL => fs::fcntl(a[0] as i32, a[1] as u32, a[2]),
        FSYNC | FDATASYNC => fs::fsync(a[0] as i32),
        TRUNCATE => fs::truncate(a[0], a[1]),
        FTRUNCATE => fs::ftruncate(a[0] as i32, a[1]),
        GETCWD => fs::getcwd(a[0], a[1]),
        CHDIR => fs::chdir(a[0]),
        FCHDIR => fs::fchdir(a[0] as i32),
        RENAME => fs::renameat(fs::AT_FDCWD, a[0], fs::AT_FDCWD, a[1], 0),
        MKDIR => fs::mkdirat(fs::AT_FDCWD, a[0], a[1] as u32),
        RMDIR => fs::unlinkat(fs::AT_FDCWD, a[0], fs::AT_REMOVEDIR),
        LINK => fs::linkat(fs::AT_FDCWD, a[0], fs::AT_FDCWD, a[1], 0),
        UNLINK => fs::unlinkat(fs::AT_FDCWD, a[0], 0),
        SYMLINK => fs::symlinkat(a[0], fs::AT_FDCWD, a[1]),
        READLINK => fs::readlinkat(fs::AT_FDCWD, a[0], a[1], a[2]),
        CHMOD => fs::fchmodat(fs::AT_FDCWD, a[0], a[1] as u32, 0),
        FCHMOD => fs::fchmod(a[0] as i32, a[1] as u32),
        CHOWN => fs::fchownat(fs::AT_FDCWD, a[0], a[1] as u32, a[2] as u32, 0),
        LCHOWN => fs::fchownat(
            fs::AT_FDCWD,
            a[0],
            a[1] as u32,
            a[2] as u32,
            fs::AT_SYMLINK_NOFOLLOW,
        ),
        FCHOWN => fs::fchownat(a[0] as i32, 0, a[1] as u32, a[2] as u32, 0x1000),
        FCHOWNAT => fs::fchownat(a[0] as i32, a[1], a[2] as u32, a[3] as u32, a[4] as u32),
        UMASK => fs::umask(a[0] as u32),
        GETTIMEOFDAY => time::gettimeofday(a[0]),
        TIME => time::time(a[0]),
        PRCTL => misc::prctl(a[0], a[1]),
        GETRLIMIT => misc::getrlimit(a[0] as u32, a[1]),
        GETRUSAGE => misc::getrusage(a[1]),
        SYSINFO => misc::sysinfo(a[0]),
        GETUID | GETGID | GETEUID | GETEGID => Ok(0),
        SETUID | SETGID | SETPGID | SETSID => process::setids(n, a[0], a[1]),
        GETPPID => process::getppid(),
        GETPGRP => process::getpgid(0),
        GETPGID => process::getpgid(a[0] as u32),
        GETSID => process::getsid(),
        SIGALTSTACK => signal::sigaltstack(a[0], a[1]),
        ARCH_PRCTL => process::arch_prctl(a[0], a[1]),
        GETTID => process::gettid(),
        TKILL => signal::tgkill(-1, a[0] as i32, a[1] as i32),
        FUTEX => process::futex(a[0], a[1] as u32, a[2] as u32, a[3], a[4], a[5] as u32),
        SCHED_GETAFFINITY => misc::sched_getaffinity(a[0], a[1], a[2]),
        SCHED_SETAFFINITY => Ok(0),
        GETDENTS64 => fs::getdents64(a[0] as i32, a[1], a[2]),
        SET_TID_ADDRESS => process::set_tid_address(a[0]),
        CLOCK_GETTIME => time::clock_gettime(a[0] as u32, a[1]),
        CLOCK_GETRES => time::clock_getres(a[0] as u32, a[1]),
        CLOCK_NANOSLEEP => time::clock_nanosleep(a[0] as u32, a[1] as u32, a[2], a[3]),
        EXIT_GROUP => process::exit_group(a[0] as i32),
        TGKILL => signal::tgkill(a[0] as i32, a[1] as i32, a[2] as i32),
        OPENAT => fs::openat(a[0] as i32, a[1], a[2] as u32, a[3] as u32),
        MKDIRAT => fs::mkdirat(a[0] as i32, a[1], a[2] as u32),
        NEWFSTATAT => fs::fstatat(a[0] as i32, a[1], a[2], a[3] as u32),
        UNLINKAT => fs::unlinkat(a[0] as i32, a[1], a[2] as u32),
        RENAMEAT => fs::renameat(a[0] as i32, a[1], a[2] as i32, a[3], 0),
        RENAMEAT2 => fs::renameat(a[0] as i32, a[1], a[2] as i32, a[3], a[4] as u32),
        LINKAT => fs::linkat(a[0] as i32, a[1], a[2] as i32, a[3], a[4] as u32),
        SYMLINKAT => fs::symlinkat(a[0], a[1] as i32, a[2]),
        READLINKAT => fs::readlinkat(a[0] as i32, a[1], a[2], a[3]),
        FCHMODAT => fs::fchmodat(a[0] as i32, a[1], a[2] as u32, 0),
        FACCESSAT => fs::faccessat(a[0] as i32, a[1], a[2] as u32, 0),
        FACCESSAT2 => fs::faccessat(a[0] as i32, a[1], a[2] as u32, a[3] as u32),
        SET_ROBUST_LIST => Ok(0),
        UTIMENSAT => fs::utimensat(a[0] as i32, a[1], a[2], a[3] as u32),
        DUP3 => fs::dup3(a[0] as i32, a[1] as i32, a[2] as u32),
        PIPE2 => fs::pipe2(a[0], a[1] as u32),
        EVENTFD => crate::fs::eventfd::eventfd2(a[0] as u32, 0),
        EVENTFD2 => crate::fs::eventfd::eventfd2(a[0] as u32, a[1] as u32),
        PRLIMIT64 => misc::prlimit64(a[0] as u32, a[1] as u32, a[2], a[3]),
        GETRANDOM => misc::getrandom(a[0], a[1], a[2] as u32),
        STATX => fs::statx(a[0] as i32, a[1], a[2] as u32, a[4]),
        RSEQ => Err(ENOSYS),
        SENDFILE => fs::sendfile(a[0] as i32, a[1] as i32, a[2], a[3]),
        SYNC | SYNCFS => fs::sync(),
        STATFS => fs::statfs(a[0], a[1]),
        FSTATFS => fs::fstatfs(a[0] as i32, a[1]),
        CREAT => fs::openat(fs::AT_FDCWD, a[0], 0o1101, a[1] as u32),
        POLL => fs::poll(a[0], a[1], a[2] as i64),
        SOCKET => net::socket(a[0] as i32, a[1] as u32, a[2] as i32),
        CONNECT => net::connect(a[0] as i32, a[1], a[2]),
        ACCEPT => net::accept4(a[0] as i32, a[1], a[2], 0),
        ACCEPT4 => net::accept4(a[0] as i32, a[1], a[2], a[3] as u32),
        SENDTO => net::sendto(a[0] as i32, a[1], a[2], a[3] as u32, a[4], a[5]),
        RECVFROM => net::recvfrom(a[0] as i32, a[1], a[2], a[3] as u32, a[4], a[5]),
        SENDMSG => net::sendmsg(a[0] as i32, a[1], a[2] as u32),
        RECVMSG => net::recvmsg(a[0] as i32, a[1], a[2] as u32),
        SHUTDOWN => net::shutdown(a[0] as i32, a[1] as u32),
        BIND => net::bind(a[0] as i32, a[1], a[2]),
        LISTEN => net::listen(a[0] as i32, a[1] as i32),
        GETSOCKNAME => net::sockname(a[0] as i32, a[1], a[2], false),
        GETPEERNAME => net::sockname(a[0] as i32, a[1], a[2], true),
        SOCKETPAIR => net::socketpair(a[0] as i32, a[1] as u32, a[2] as i32, a[3]),
        SETSOCKOPT => net::setsockopt(a[0] as i32, a[1] as i32, a[2] as i32, a[3], a[4]),
        GETSOCKOPT => net::getsockopt(a[0] as i32, a[1] as i32, a[2] as i32, a[3], a[4]),
        PPOLL => poll::ppoll(a[0], a[1], a[2], a[3], a[4]),
        SELECT => select::select(a[0] as i32, a[1], a[2], a[3], a[4]),
        PSELECT6 => select::pselect6(a[0] as i32, a[1], a[2], a[3], a[4], a[5]),
        213 => epoll::epoll_create(a[0] as i32), // epoll_create (not in the nr table)
        EPOLL_CREATE1 => epoll::epoll_create1(a[0] as u32),
        EPOLL_CTL => epoll::epoll_ctl(a[0] as i32, a[1] as i32, a[2] as i32, a[3]),
        EPOLL_WAIT => epoll::epoll_wait(a[0] as i32, a[1], a[2] as i32, a[3] as i32),
        EPOLL_PWAIT => epoll::epoll_pwait(a[0] as i32, a[1], a[2] as i32, a[3] as i32, a[4], a[5]),
        EPOLL_PWAIT2 => epoll::epoll_pwait2(a[0] as i32, a[1], a[2] as i32, a[3], a[4], a[5]),
        _ => unimplemented(nr),
    }
}
