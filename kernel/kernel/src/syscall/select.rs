//! select(2) and pselect6(2) over the ppoll machinery: the sets are
//! decoded and checked by `veridian_net::select`, readiness comes from
//! [`super::poll`], sleeping from `crate::wait`. Like Linux, both write the time left back
//! into the caller's timeout (unless it was zero); a fault there is ignored.

use veridian_net::select::{self, fd_set_bytes, Selection};
use veridian_vfs::Errno;

use super::poll::{fd_readiness, with_sigmask};
use super::KResult;
use crate::task::current;
use crate::task::user::{In, Out, UserPtr, UserSlice};

/// How the caller's timeout is laid out, for the write-back.
#[derive(Clone, Copy)]
enum Format {
    Timeval,
    Timespec,
}

/// A timeout read from the user: its absolute deadline, or `None` for a
/// NULL pointer.
struct Timeout {
    /// Where to write the time left (0: nowhere, also for a zero timeout).
    ptr: u64,
    deadline: Option<u64>,
    format: Format,
}

impl Timeout {
    fn read(ptr: u64, format: Format) -> Result<Self, Errno> {
        if ptr == 0 {
            return Ok(Timeout {
                ptr,
                deadline: None,
                format,
            });
        }
        let [sec, frac] = read_pair(ptr)?;
        let ns = match format {
            Format::Timeval => select::timeval_ns(sec, frac),
            Format::Timespec => select::timespec_ns(sec, frac),
        }?;
        // A zero timeout is not written back (Linux's "no update").
        let ptr = if ns == 0 { 0 } else { ptr };
        Ok(Timeout {
            ptr,
            deadline: Some(crate::time::monotonic_ns().saturating_add(ns)),
            format,
        })
    }

    /// Stores the time left, whatever the call's result.
    fn write_back(&self) {
        let Some(deadline) = self.deadline.filter(|_| self.ptr != 0) else {
            return;
        };
        let left = select::time_left(deadline, crate::time::monotonic_ns());
        let bytes = match self.format {
            Format::Timeval => select::encode_timeval(left),
            Format::Timespec => select::encode_timespec(left),
        };
        let _ = UserSlice::<Out>::new(self.ptr, bytes.len()).write(&bytes);
    }
}

/// Two user `i64`s at `p` (a timeval, a timespec, pselect6's argument pair).
fn read_pair(p: u64) -> Result<[i64; 2], Errno> {
    UserPtr::<[i64; 2]>::new(p).read()
}

/// select(nfds, readfds, writefds, exceptfds, timeout).
pub fn select(nfds: i32, r: u64, w: u64, e: u64, tvp: u64) -> KResult {
    let timeout = Timeout::read(tvp, Format::Timeval)?;
    let res = select_until(nfds, [r, w, e], timeout.deadline);
    timeout.write_back();
    res
}

/// pselect6(nfds, readfds, writefds, exceptfds, timeout, sig), `sig`
/// pointing at `{ const sigset_t *ss; size_t ss_len }` (NULL: no mask).
pub fn pselect6(nfds: i32, r: u64, w: u64, e: u64, tsp: u64, sig: u64) -> KResult {
    let [mask, size] = if sig == 0 {
        [0, 0]
    } else {
        read_pair(sig)?.map(|v| v as u64)
    };
    let timeout = Timeout::read(tsp, Format::Timespec)?;
    let mut waited = false;
    let res = with_sigmask(mask, size, || {
        waited = true;
        select_until(nfds, [r, w, e], timeout.deadline)
    });
    // A bad mask fails before the wait, without a write-back (Linux).
    if waited {
        timeout.write_back();
    }
    res
}

/// The wait itself: copies the sets in, re-checks them until something is
/// ready, a signal arrives (`EINTR`) or the deadline passes, and copies the
/// result sets out.
fn select_until(nfds: i32, ptrs: [u64; 3], deadline: Option<u64>) -> KResult {
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    // Linux looks at no fd past its table's size, whatever nfds says.
    let n = (nfds as usize).min(current().files().max_fds());
    let copy_in = |p: u64| {
        if p == 0 {
            Ok(None)
        } else {
            UserSlice::<In>::new(p, fd_set_bytes(n)).read().map(Some)
        }
    };
    let [r, w, e] = [copy_in(ptrs[0])?, copy_in(ptrs[1])?, copy_in(ptrs[2])?];
    let sel = Selection::decode(n, r.as_deref(), w.as_deref(), e.as_deref())?;
    loop {
        let mut all_announce = true;
        let ready = sel.check(|fd| {
            let (bits, announces) = fd_readiness(fd);
            all_announce &= announces;
            bits
        })?;
        // Linux's order: ready fds win over a signal, a signal over the timeout.
        if ready.count == 0 {
            if crate::wait::interrupted() {
                return Err(Errno::EINTR);
            }
            if deadline.is_none_or(|d| crate::time::monotonic_ns() < d) {
                crate::wait::sleep_until_change(deadline, all_announce);
                continue;
            }
        }
        for (p, set) in ptrs.iter().zip(ready.sets.iter()) {
            if let Some(set) = set {
                let bytes = set.encode();
                UserSlice::<Out>::new(*p, bytes.len()).write(&bytes)?;
            }
        }
        return Ok(ready.count);
    }
}
