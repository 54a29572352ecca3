//! poll(2) and ppoll(2) over any fds (files, pipes, devices, sockets), and
//! the pieces select and epoll share with them: per-fd readiness, timeouts
//! and the temporary signal mask. Sleeping is `crate::wait`'s.

use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use veridian_net::abi::{POLLFD_SIZE, POLLNVAL};
use veridian_net::PollFd;
use veridian_syscall::signal::SIGSET_SIZE;
use veridian_vfs::Errno;
use veridian_vfs::OpenFile;

use super::KResult;
use crate::fs::vfs;
use crate::net::socket_file::SocketFile;
use crate::task::current;
use crate::task::signal::UNBLOCKABLE;
use crate::task::user::{InOut, UserPtr, UserSlice};

/// Most fds one poll may name (Linux: `RLIMIT_NOFILE`).
const MAX_FDS: u64 = 4096;

/// Whether `f` is a socket, inet or an `AF_UNIX` pair end.
pub fn is_socket(f: &OpenFile) -> bool {
    f.special().is_some_and(|s| s.as_any().is::<SocketFile>()) || super::unix::is_unix(f)
}

/// Whether every readiness change of `f` wakes `crate::wait`'s readiness
/// queue (sockets, unix pair ends, eventfds and timerfds), so a waiter
/// need not re-check it.
pub fn announces_readiness(f: &OpenFile) -> bool {
    is_socket(f)
        || crate::fs::eventfd::as_eventfd(f).is_some()
        || crate::fs::timerfd::as_timerfd(f).is_some()
}

/// Readiness of `fd` in the current process (`POLLNVAL` if closed), and
/// whether it announces its changes.
pub fn fd_readiness(fd: i32) -> (u16, bool) {
    match current().files().get(fd) {
        Ok(f) => (vfs().poll_file(&f), announces_readiness(&f)),
        Err(_) => (POLLNVAL, true),
    }
}

/// A relative `struct timespec` as an absolute monotonic deadline
/// (`None`: a NULL pointer, wait forever). `EINVAL` if malformed.
pub fn timespec_deadline(p: u64) -> Result<Option<u64>, Errno> {
    if p == 0 {
        return Ok(None);
    }
    let [sec, nsec] = UserPtr::<[i64; 2]>::new(p).read()?;
    let ns = veridian_net::select::timespec_ns(sec, nsec)?;
    Ok(Some(crate::time::monotonic_ns().saturating_add(ns)))
}

/// A millisecond timeout (negative: forever) as a deadline.
pub fn ms_deadline(ms: i32) -> Option<u64> {
    (ms >= 0).then(|| crate::time::monotonic_ns() + ms as u64 * 1_000_000)
}

/// Runs `f` with the signal mask at `mask` (a user `sigset_t`, 0 = keep),
/// as ppoll/epoll_pwait do. On `EINTR` the old mask comes back after the
/// handler runs (as rt_sigsuspend); otherwise at once.
pub fn with_sigmask(mask: u64, size: u64, f: impl FnOnce() -> KResult) -> KResult {
    if mask == 0 {
        return f();
    }
    if size != SIGSET_SIZE as u64 {
        return Err(Errno::EINVAL);
    }
    let new = UserPtr::<u64>::new(mask).read()? & !UNBLOCKABLE;
    let old = current().sigmask.swap(new, Ordering::Relaxed);
    let r = f();
    let cur = current();
    if r == Err(Errno::EINTR) {
        cur.suspend_mask.store(old, Ordering::Relaxed);
    } else {
        cur.sigmask.store(old, Ordering::Relaxed);
    }
    r
}

/// poll/ppoll: fills `revents` until something is ready or the deadline.
pub fn poll_until(fds: u64, n: u64, deadline: Option<u64>) -> KResult {
    if n > MAX_FDS {
        return Err(Errno::EINVAL);
    }
    let user_fds = UserSlice::<InOut>::new(fds, n as usize * POLLFD_SIZE);
    let raw = user_fds.read()?;
    let mut pfds: Vec<PollFd> = raw
        .chunks_exact(POLLFD_SIZE)
        .map(PollFd::decode)
        .collect::<Result<_, _>>()?;
    loop {
        let mut all_announce = true;
        let mut ready = 0;
        for p in pfds.iter_mut() {
            let counts = p.update(|fd| {
                let (ev, announces) = fd_readiness(fd);
                all_announce &= announces;
                ev
            });
            ready += counts as u64;
        }
        let expired = deadline.is_some_and(|d| crate::time::monotonic_ns() >= d);
        if ready > 0 || expired {
            let out: Vec<u8> = pfds.iter().flat_map(|p| p.encode()).collect();
            user_fds.write(&out)?;
            return Ok(ready);
        }
        if crate::wait::interrupted() {
            return Err(Errno::EINTR);
        }
        crate::wait::sleep_until_change(deadline, all_announce);
    }
}

/// poll(fds, n, timeout_ms): a negative timeout waits forever.
pub fn poll(fds: u64, n: u64, timeout_ms: i32) -> KResult {
    poll_until(fds, n, ms_deadline(timeout_ms))
}

/// ppoll(fds, n, timeout, sigmask, sigsetsize).
pub fn ppoll(fds: u64, n: u64, tsp: u64, mask: u64, size: u64) -> KResult {
    let deadline = timespec_deadline(tsp)?;
    with_sigmask(mask, size, || poll_until(fds, n, deadline))
}
