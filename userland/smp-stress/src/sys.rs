//! The raw system calls std has no wrapper for: futex wait/wake, poll on
//! one descriptor, anonymous mmap/mprotect/munmap, fork/execve/wait4.

use std::os::veridian::syscall::{
    decode, errno, futex, mman, nr, poll, signal, syscall1, syscall3, syscall4, syscall5, syscall6,
    wait,
};
use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// A kernel `struct timespec`.
#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

impl From<Duration> for Timespec {
    fn from(d: Duration) -> Timespec {
        Timespec {
            sec: d.as_secs() as i64,
            nsec: i64::from(d.subsec_nanos()),
        }
    }
}

/// How a futex wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Woken {
    /// Woken, or the word no longer held the expected value (EAGAIN), or a signal.
    Yes,
    /// The relative timeout passed.
    TimedOut,
}

/// FUTEX_WAIT (shared, relative timeout) on `word` while it holds `expected`.
pub fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) -> Result<Woken, i32> {
    let ts = Timespec::from(timeout);
    // SAFETY: futex(word, FUTEX_WAIT, expected, &ts) reads the word and the
    // timespec, both alive for the call.
    let ret = unsafe {
        syscall4(
            nr::FUTEX,
            word.as_ptr() as usize,
            futex::FUTEX_WAIT as usize,
            expected as usize,
            &ts as *const Timespec as usize,
        )
    };
    match decode(ret) {
        Ok(_) => Ok(Woken::Yes),
        Err(e) if e == errno::EAGAIN || e == errno::EINTR => Ok(Woken::Yes),
        Err(e) if e == errno::ETIMEDOUT => Ok(Woken::TimedOut),
        Err(e) => Err(e),
    }
}

/// FUTEX_WAKE: wakes up to `count` waiters of `word`; returns how many woke.
pub fn futex_wake(word: &AtomicU32, count: u32) -> Result<usize, i32> {
    // SAFETY: futex(word, FUTEX_WAKE, count) only names the word's address.
    decode(unsafe {
        syscall3(
            nr::FUTEX,
            word.as_ptr() as usize,
            futex::FUTEX_WAKE as usize,
            count as usize,
        )
    })
}

/// `struct pollfd`.
#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

/// Waits until `fd` is readable (or hung up); false when `timeout` passed first.
pub fn readable_within(fd: i32, timeout: Duration) -> Result<bool, i32> {
    let mut p = PollFd {
        fd,
        events: poll::POLLIN as i16,
        revents: 0,
    };
    loop {
        // SAFETY: poll(&p, 1, ms) writes only `p.revents`.
        let ret = unsafe {
            syscall3(
                nr::POLL,
                &mut p as *mut PollFd as usize,
                1,
                timeout.as_millis() as usize,
            )
        };
        match decode(ret) {
            Ok(n) => return Ok(n > 0),
            Err(e) if e == errno::EINTR => continue,
            Err(e) => return Err(e),
        }
    }
}

/// An anonymous private mapping of `len` bytes, read-write.
pub fn mmap_anon(len: usize) -> Result<*mut u8, i32> {
    // SAFETY: an anonymous mapping at an address the kernel picks touches
    // no existing memory.
    let ret = unsafe {
        syscall6(
            nr::MMAP,
            0,
            len,
            (mman::PROT_READ | mman::PROT_WRITE) as usize,
            (mman::MAP_PRIVATE | mman::MAP_ANONYMOUS) as usize,
            usize::MAX,
            0,
        )
    };
    decode(ret).map(|a| a as *mut u8)
}

/// mprotect of a mapping this program made; `writable` picks RW or R.
///
/// # Safety
/// `addr..addr+len` is a mapping of this program that no reference points
/// into while it is read-only.
pub unsafe fn mprotect(addr: *mut u8, len: usize, writable: bool) -> Result<(), i32> {
    let prot = if writable {
        mman::PROT_READ | mman::PROT_WRITE
    } else {
        mman::PROT_READ
    };
    // SAFETY: the caller owns the range.
    decode(unsafe { syscall3(nr::MPROTECT, addr as usize, len, prot as usize) }).map(|_| ())
}

/// munmap of a mapping this program made.
///
/// # Safety
/// Nothing uses `addr..addr+len` afterwards.
pub unsafe fn munmap(addr: *mut u8, len: usize) -> Result<(), i32> {
    // SAFETY: the caller gives the range up.
    decode(unsafe { syscall3(nr::MUNMAP, addr as usize, len, 0) }).map(|_| ())
}

/// fork (as clone with SIGCHLD) whose child calls execve(path, argv, envp)
/// at once and exits 127 if that fails. `argv`/`envp` are NULL-terminated
/// arrays of C strings, built before the fork: between fork and execve the
/// child of a multi-threaded program may not allocate.
pub fn fork_exec(path: *const u8, argv: &[*const u8], envp: &[*const u8]) -> Result<i32, i32> {
    // SAFETY: clone without CLONE_VM gives the child a copy of this address
    // space; the child only makes the two system calls below.
    let ret = unsafe { syscall5(nr::CLONE, signal::SIGCHLD as usize, 0, 0, 0, 0) };
    match decode(ret)? {
        0 => {
            // SAFETY: execve reads the strings and arrays, which the
            // child's copy of memory holds; exit_group does not return.
            unsafe {
                syscall3(
                    nr::EXECVE,
                    path as usize,
                    argv.as_ptr() as usize,
                    envp.as_ptr() as usize,
                );
                syscall1(nr::EXIT_GROUP, 127);
            }
            unreachable!("exit_group returned")
        }
        pid => Ok(pid as i32),
    }
}

/// wait4(pid, WNOHANG): the raw wait status once the child has ended.
pub fn try_wait(pid: i32) -> Result<Option<i32>, i32> {
    let mut status = 0i32;
    // SAFETY: wait4 writes only `status`.
    let ret = unsafe {
        syscall4(
            nr::WAIT4,
            pid as usize,
            &mut status as *mut i32 as usize,
            wait::WNOHANG as usize,
            0,
        )
    };
    match decode(ret) {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(status)),
        Err(e) if e == errno::EINTR => Ok(None),
        Err(e) => Err(e),
    }
}

/// kill(pid, SIGKILL), for a child that overran its time.
pub fn kill(pid: i32) {
    // SAFETY: signals our own child.
    unsafe {
        syscall3(nr::KILL, pid as usize, signal::SIGKILL as usize, 0);
    }
}
