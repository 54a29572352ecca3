//! epoll_create(1), epoll_ctl, epoll_wait/epoll_pwait/epoll_pwait2 over
//! [`super::epoll_file`]. Nested epoll fds are refused (`ELOOP`), a
//! deliberate limit that also rules out cycles.

use alloc::sync::Arc;
use alloc::vec::Vec;
use veridian_net::abi::{EPOLL_CLOEXEC, EPOLL_CTL_DEL, EPOLL_EVENT_SIZE};
use veridian_net::EpollEvent;
use veridian_vfs::Errno;
use veridian_vfs::{FileKind, OpenFile};

use super::epoll_file::{key, EpollFile, FdSource};
use super::poll::{ms_deadline, timespec_deadline, with_sigmask};
use super::KResult;
use crate::fs::vfs;
use crate::task::current;
use crate::task::user;

fn epoll_of(f: &OpenFile) -> Option<&EpollFile> {
    f.special_as::<EpollFile>()
}

pub fn epoll_create1(flags: u32) -> KResult {
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    super::install_anon(Arc::new(EpollFile::new()), b"anon_inode:[eventpoll]", flags)
}

pub fn epoll_create(size: i32) -> KResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    epoll_create1(0)
}

pub fn epoll_ctl(epfd: i32, op: i32, fd: i32, event: u64) -> KResult {
    let files = current().files();
    let ep = files.get(epfd)?;
    let target = files.get(fd)?;
    let set = epoll_of(&ep).ok_or(Errno::EINVAL)?;
    if fd == epfd {
        return Err(Errno::EINVAL);
    }
    if epoll_of(&target).is_some() {
        return Err(Errno::ELOOP);
    }
    if target.node().is_some() {
        // Regular files and directories are always ready: Linux refuses them.
        let kind = vfs().fstat_file(&target)?.kind;
        if matches!(kind, FileKind::Regular | FileKind::Directory) {
            return Err(Errno::EPERM);
        }
    }
    let ev = if op == EPOLL_CTL_DEL {
        EpollEvent { events: 0, data: 0 }
    } else {
        EpollEvent::decode(&user::read_bytes(event, EPOLL_EVENT_SIZE)?)?
    };
    set.set.lock().ctl(op, key(fd, &target), ev)?;
    // A thread already waiting on this instance looks again.
    crate::net::wake();
    Ok(0)
}

/// Waits for events until the deadline (`None`: forever).
fn wait_until(epfd: i32, events: u64, max: i32, deadline: Option<u64>) -> KResult {
    if max <= 0 || max as usize > i32::MAX as usize / EPOLL_EVENT_SIZE {
        return Err(Errno::EINVAL);
    }
    let files = current().files();
    let ep = files.get(epfd)?;
    let set = epoll_of(&ep).ok_or(Errno::EINVAL)?;
    loop {
        let mut src = FdSource::new(files.clone());
        let got = set.set.lock().wait(&mut src, max as usize)?;
        if !got.is_empty() {
            let out: Vec<u8> = got.iter().flat_map(|e| e.encode()).collect();
            user::write_bytes(events, &out)?;
            return Ok(got.len() as u64);
        }
        if deadline.is_some_and(|d| crate::time::monotonic_ns() >= d) {
            return Ok(0);
        }
        if crate::wait::interrupted() {
            return Err(Errno::EINTR);
        }
        crate::wait::sleep_until_change(deadline, src.all_announce);
    }
}

pub fn epoll_wait(epfd: i32, events: u64, max: i32, timeout_ms: i32) -> KResult {
    wait_until(epfd, events, max, ms_deadline(timeout_ms))
}

pub fn epoll_pwait(
    epfd: i32,
    events: u64,
    max: i32,
    timeout_ms: i32,
    mask: u64,
    size: u64,
) -> KResult {
    let d = ms_deadline(timeout_ms);
    with_sigmask(mask, size, || wait_until(epfd, events, max, d))
}

pub fn epoll_pwait2(epfd: i32, events: u64, max: i32, tsp: u64, mask: u64, size: u64) -> KResult {
    let d = timespec_deadline(tsp)?;
    with_sigmask(mask, size, || wait_until(epfd, events, max, d))
}
