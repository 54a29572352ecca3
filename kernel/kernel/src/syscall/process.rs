//! Process and thread calls: clone/fork/vfork, execve, exit, wait4, waitid, ids,
//! arch_prctl, set_tid_address, futex.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use spin::Mutex;
use veridian_syscall::clone::{CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_THREAD};
use veridian_syscall::futex::{
    FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_CMP_REQUEUE, FUTEX_REQUEUE, FUTEX_WAIT,
    FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET,
};
use veridian_syscall::limits::PATH_MAX;
use veridian_syscall::prctl::{ARCH_GET_FS, ARCH_SET_FS};
use veridian_syscall::resource::RUSAGE_SIZE;
use veridian_syscall::signal::{CLD_DUMPED, CLD_EXITED, CLD_KILLED, SIGCHLD};
use veridian_syscall::wait::{
    exit_code, exit_status, term_signal, P_ALL, P_PGID, P_PID, P_PIDFD, WALL, WCLONE, WCONTINUED,
    WCOREFLAG, WEXITED, WNOHANG, WNOTHREAD, WNOWAIT, WSTOPPED,
};
use veridian_vfs::abi::AT_FDCWD;
use veridian_vfs::Errno;

use super::KResult;
use crate::arch::entry::TrapFrame;
use crate::mm::vma::Mm;
use crate::task::user::{self, In, Out, UserPtr, UserSlice};
use crate::task::{self, current, exec, exit, fork, futex, PROCS};

/// clone(flags, stack, parent_tid, child_tid, tls). `CLONE_PIDFD` stores
/// a pidfd for the child at `parent_tid` (so not with
/// `CLONE_PARENT_SETTID`, nor for a thread: `EINVAL`). The pointer is
/// tried first, so a bad one fails the call before there is a child.
pub fn clone(f: &TrapFrame, flags: u64, stack: u64, ptid: u64, ctid: u64, tls: u64) -> KResult {
    if flags & CLONE_PIDFD == 0 {
        return fork::clone(f, flags, stack, ptid, ctid, tls);
    }
    if flags & (CLONE_THREAD | CLONE_PARENT_SETTID) != 0 {
        return Err(Errno::EINVAL);
    }
    let slot = UserPtr::<i32>::new(ptid);
    slot.write(&-1)?;
    let child = fork::clone(f, flags & !CLONE_PIDFD, stack, ptid, ctid, tls)?;
    let fd = super::pidfd::open_for(child as u32, 0)?;
    slot.write(&(fd as i32))?;
    Ok(child)
}

pub fn execve(f: &mut TrapFrame, dirfd: i32, p: u64, argv: u64, envp: u64) -> KResult {
    let path = user::read_cstr(p, PATH_MAX)?;
    let mut argv = user::read_str_array(argv)?;
    let envp = user::read_str_array(envp)?;
    let (file, size, abs) = open_program(dirfd, path, &mut argv)?;
    let mut mm = Mm::new().ok_or(Errno::ENOMEM)?;
    let open_interp = |name: &[u8]| {
        let t = current();
        let (fds, fsx) = (t.files(), t.fsctx());
        let c = crate::fs::Caller {
            fds: &fds,
            fs: &fsx,
        };
        crate::fs::open_executable(c, AT_FDCWD, name).map(|(f, size, _)| (f, size))
    };
    let file = Arc::new(file);
    let loaded = exec::load(&mut mm, &file, size, &open_interp, &abs, &argv, &envp)?;
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
            *cur.comm.lock() = task::comm_of(&abs);
            p.dumpable = true;
            p.exe = abs;
            p.cmdline = argv
                .iter()
                .flat_map(|a| a.iter().copied().chain(core::iter::once(0)))
                .collect();
            // Handlers go back to SIG_DFL, ignored signals stay ignored;
            // the mask and the pending signals are kept (execve(2)).
            let mut acts = *p.sigactions.lock();
            for a in acts.iter_mut() {
                *a = task::SigAction {
                    handler: veridian_kcore::signal::handler_after_exec(a.handler),
                    ..task::SigAction::default()
                };
            }
            p.sigactions = Arc::new(Mutex::new(acts));
        }
    }
    *cur.altstack.lock() = veridian_kcore::signal::AltStack::default();
    cur.keepcaps.store(false, Ordering::Relaxed);
    cur.fs_base.store(0, Ordering::Relaxed);
    crate::arch::cpu::set_fs_base(0);
    cur.ctx.reset_fpu();
    fork::release_vfork(&cur);
    *f = TrapFrame::user(loaded.entry, loaded.sp);
    Ok(0)
}

/// Opens the program execve runs: `path`, or, for a `#!` script, its
/// interpreter (which may be a script too, up to
/// [`veridian_kcore::script::MAX_DEPTH`] files in all: then `ELOOP`), with
/// `argv` rewritten as Linux does: the interpreter, its argument if the
/// line has one, the script's path, then the script's arguments after
/// `argv[0]`.
fn open_program(
    mut dirfd: i32,
    mut path: alloc::vec::Vec<u8>,
    argv: &mut alloc::vec::Vec<alloc::vec::Vec<u8>>,
) -> Result<(veridian_vfs::OpenFile, u64, alloc::vec::Vec<u8>), Errno> {
    use veridian_kcore::script::{self, HEAD_LEN, MAX_DEPTH};
    for _ in 0..MAX_DEPTH {
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
            )?
        };
        let mut head = [0u8; HEAD_LEN];
        let n = crate::fs::pread(&file, 0, &mut head)?;
        let Some(line) = script::parse(&head[..n]) else {
            return Ok((file, size, abs));
        };
        let line = line.map_err(|_| Errno::ENOEXEC)?;
        // The script by the name it was run by, if the interpreter can
        // reach it that way; else by its absolute path.
        let script_path = if dirfd == AT_FDCWD || path.first() == Some(&b'/') {
            path
        } else {
            abs
        };
        let mut new_argv = alloc::vec![line.interpreter.to_vec()];
        new_argv.extend(line.arg.map(|a| a.to_vec()));
        new_argv.push(script_path);
        new_argv.extend(argv.drain(..).skip(1));
        *argv = new_argv;
        path = line.interpreter.to_vec();
        dirfd = AT_FDCWD;
    }
    Err(Errno::ELOOP)
}

pub fn exit(code: i32) -> KResult {
    exit::exit_thread(exit_status(code));
}

pub fn exit_group(code: i32) -> KResult {
    exit::exit_group(code);
}

/// `__WNOTHREAD | __WALL | __WCLONE`: accepted, no effect (one waiter set
/// per process, and every child is an ordinary one).
const WTHREAD_BITS: u32 = WNOTHREAD | WALL | WCLONE;

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
    let (cpid, st) = exit::wait(who, opts)?.unwrap_or((0, 0));
    if let (true, Some(status)) = (cpid != 0, UserPtr::<i32>::non_null(status)) {
        status.write(&st)?;
    }
    if rusage != 0 {
        no_rusage(rusage)?;
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
        no_rusage(rusage)?;
    }
    if let Some(info) = UserPtr::<[i32; 3]>::non_null(infop) {
        let (head, tail) = siginfo(found.as_ref().ok().copied().flatten());
        info.write(&head)?;
        // si_pid, si_uid, si_status at offset 16 (after a 4-byte hole,
        // which Linux leaves alone).
        UserPtr::<[i32; 3]>::new(infop.wrapping_add(16)).write(&tail)?;
    }
    found.map(|_| 0)
}

/// Fills a `struct rusage` with zeros: there is no usage accounting.
pub fn no_rusage(addr: u64) -> Result<(), Errno> {
    UserSlice::<Out>::new(addr, RUSAGE_SIZE)
        .write(&[0u8; RUSAGE_SIZE])
        .map(|_| ())
}

/// The checks and the wait of [`waitid`]: the child reported, if any.
fn waitid_child(idtype: u32, id: i32, options: u32) -> Result<Option<(u32, i32)>, Errno> {
    if options & !(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | WTHREAD_BITS) != 0
        || options & (WEXITED | WSTOPPED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let who = match idtype {
        P_ALL => exit::Children::Any,
        P_PID if id > 0 => exit::Children::Pid(id as u32),
        P_PGID if id >= 0 => exit::Children::Pgid(id as u32),
        P_PIDFD if id >= 0 => exit::Children::Pid(super::pidfd::pid_of(id)?),
        _ => return Err(Errno::EINVAL),
    };
    let opts = exit::WaitOptions {
        nohang: options & WNOHANG != 0,
        exited: options & WEXITED != 0,
        keep: options & WNOWAIT != 0,
    };
    exit::wait(who, opts)
}

/// The parts of a `siginfo_t` waitid writes: bytes 0..12 (`si_signo`,
/// `si_errno`, `si_code`) and 16..28 (`si_pid`, `si_uid`, `si_status`);
/// all zero without a child.
fn siginfo(child: Option<(u32, i32)>) -> ([i32; 3], [i32; 3]) {
    let (signo, code, pid, status) = match child {
        None => (0, 0, 0, 0),
        Some((pid, st)) => {
            let (code, status) = match term_signal(st) {
                0 => (CLD_EXITED, exit_code(st)),
                sig if st & WCOREFLAG != 0 => (CLD_DUMPED, sig),
                sig => (CLD_KILLED, sig),
            };
            (SIGCHLD, code, pid as i32, status)
        }
    };
    // si_uid: every process runs as root.
    ([signo, 0, code], [pid, 0, status])
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

/// getresuid and getresgid: real, effective and saved ids, all 0 (every
/// process is root, whatever setuid/setgid were given).
pub fn getres_ids(real: u64, effective: u64, saved: u64) -> KResult {
    for p in [real, effective, saved] {
        UserPtr::<u32>::new(p).write(&0)?;
    }
    Ok(0)
}

/// Linux's cap on supplementary groups (`NGROUPS_MAX`).
const NGROUPS_MAX: usize = 65536;

/// getgroups(size, list): the count with `size` 0, else the groups
/// (`EINVAL` if `size` is negative or too small).
pub fn getgroups(size: i32, list: u64) -> KResult {
    let groups = {
        let procs = PROCS.lock();
        procs
            .get(&current().pid)
            .map(|p| p.groups.clone())
            .unwrap_or_default()
    };
    if size == 0 {
        return Ok(groups.len() as u64);
    }
    if size < 0 || (size as usize) < groups.len() {
        return Err(Errno::EINVAL);
    }
    let bytes: alloc::vec::Vec<u8> = groups.iter().flat_map(|g| g.to_ne_bytes()).collect();
    UserSlice::<Out>::new(list, bytes.len()).write(&bytes)?;
    Ok(groups.len() as u64)
}

/// setgroups(size, list): replaces the supplementary groups (root may;
/// `EINVAL` past `NGROUPS_MAX` or for a negative size), kept sorted as
/// Linux keeps them.
pub fn setgroups(size: i32, list: u64) -> KResult {
    if size < 0 || size as usize > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let bytes = UserSlice::<In>::new(list, size as usize * 4).read()?;
    let mut groups: alloc::vec::Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    groups.sort_unstable();
    if let Some(p) = PROCS.lock().get_mut(&current().pid) {
        p.groups = groups;
    }
    Ok(0)
}

/// arch_prctl: the fs base (TLS) only; the gs base and everything else
/// are `EINVAL`.
pub fn arch_prctl(code: u64, addr: u64) -> KResult {
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
            UserPtr::<u64>::new(addr).write(&current().fs_base.load(Ordering::Relaxed))?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn set_tid_address(addr: u64) -> KResult {
    let cur = current();
    cur.clear_child_tid.store(addr, Ordering::Relaxed);
    Ok(cur.tid as u64)
}

pub fn futex(uaddr: u64, op: u32, val: u32, timeout: u64, _uaddr2: u64, _val3: u32) -> KResult {
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let mm = task::current_mm();
    let cmd = op & FUTEX_CMD_MASK;
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let deadline = match UserPtr::<[i64; 2]>::non_null(timeout) {
                None => 0,
                Some(ts) => {
                    let [sec, nsec] = ts.read()?;
                    let ns = veridian_net::select::timespec_ns(sec, nsec)?;
                    let now = crate::time::monotonic_ns();
                    if cmd == FUTEX_WAIT {
                        // FUTEX_WAIT's timeout is relative.
                        now.saturating_add(ns).max(1)
                    } else if op & FUTEX_CLOCK_REALTIME != 0 {
                        now.saturating_add(ns.saturating_sub(crate::time::realtime_ns()))
                            .max(1)
                    } else {
                        ns.max(1)
                    }
                }
            };
            futex::wait(&mm, uaddr, val, deadline).map(|_| 0)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => Ok(futex::wake(&mm, uaddr, val as usize) as u64),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => Ok(futex::wake(&mm, uaddr, usize::MAX) as u64),
        _ => Err(Errno::ENOSYS),
    }
}
