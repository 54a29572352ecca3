//! flock(2): whole-file advisory locks, shared or exclusive, held by an
//! open file description (so shared by its dups and across `fork`) and
//! released by `LOCK_UN` or when the description's last fd is closed.
//! As on Linux, changing a held lock's mode first drops it, so a refused
//! upgrade leaves no lock.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

use crate::abi::*;
use crate::context::Caller;
use crate::errno::{Errno, Result};
use crate::file::{NodeRef, OpenFile, Target};
use crate::vfs::Vfs;

/// What a lock is on: a file-system node, or a pipe or special file (by
/// its wait key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LockKey {
    Node(NodeRef),
    Object(usize),
}

/// The holders of one file's lock: open file descriptions by address.
#[derive(Default)]
struct Holders {
    exclusive: Option<usize>,
    shared: Vec<usize>,
}

impl Holders {
    fn is_empty(&self) -> bool {
        self.exclusive.is_none() && self.shared.is_empty()
    }
}

/// Every flock held in one VFS.
#[derive(Default)]
pub(crate) struct FlockTable {
    held: Mutex<BTreeMap<LockKey, Holders>>,
}

impl FlockTable {
    /// Takes the lock for `owner` unless another holder conflicts (any
    /// other holder for an exclusive lock, an exclusive one for a shared).
    fn try_take(&self, key: LockKey, owner: usize, exclusive: bool) -> bool {
        let mut held = self.held.lock();
        let h = held.entry(key).or_default();
        let other_exclusive = h.exclusive.is_some_and(|o| o != owner);
        let other_shared = h.shared.iter().any(|&o| o != owner);
        if other_exclusive || (exclusive && other_shared) {
            if h.is_empty() {
                held.remove(&key);
            }
            return false;
        }
        if exclusive {
            h.exclusive = Some(owner);
        } else {
            h.shared.push(owner);
        }
        true
    }

    fn release(&self, key: LockKey, owner: usize) {
        let mut held = self.held.lock();
        if let Some(h) = held.get_mut(&key) {
            if h.exclusive == Some(owner) {
                h.exclusive = None;
            }
            h.shared.retain(|&o| o != owner);
            if h.is_empty() {
                held.remove(&key);
            }
        }
    }
}

/// A lock an open file description holds; dropping it releases the lock
/// and wakes those waiting for it.
pub(crate) struct FlockGuard {
    table: Arc<FlockTable>,
    key: LockKey,
    owner: usize,
    exclusive: bool,
    wake_key: usize,
}

impl Drop for FlockGuard {
    fn drop(&mut self) {
        self.table.release(self.key, self.owner);
        crate::pipe::wake_key(self.wake_key);
    }
}

fn lock_key(f: &OpenFile) -> LockKey {
    match &f.target {
        Target::Node(h) => LockKey::Node(h.node),
        Target::Pipe(_) | Target::Special(_) => LockKey::Object(f.wait_key()),
    }
}

impl Vfs {
    /// `flock(fd, op)`: `LOCK_SH`, `LOCK_EX` or `LOCK_UN`, optionally with
    /// `LOCK_NB`. `EAGAIN` (`EWOULDBLOCK`) when another open file
    /// description holds a conflicting lock, with or without `LOCK_NB`:
    /// without it the caller sleeps on [`OpenFile::wait_key`], which a
    /// release wakes, and tries again. `EINVAL` for another operation,
    /// `EBADF` for an `O_PATH` fd.
    pub fn flock(&self, c: Caller<'_>, fd: i32, op: u32) -> Result<()> {
        let f = c.fds.get(fd)?;
        let want = match op & !LOCK_NB {
            LOCK_SH => Some(false),
            LOCK_EX => Some(true),
            LOCK_UN => None,
            _ => return Err(Errno::EINVAL),
        };
        if f.flags() & O_PATH != 0 {
            return Err(Errno::EBADF);
        }
        let mut slot = f.flock.lock();
        if let (Some(exclusive), Some(g)) = (want, slot.as_ref()) {
            if g.exclusive == exclusive {
                return Ok(());
            }
        }
        // Unlock, or the first half of a change of mode.
        *slot = None;
        let Some(exclusive) = want else {
            return Ok(());
        };
        let (key, owner) = (lock_key(&f), Arc::as_ptr(&f) as usize);
        if !self.flocks.try_take(key, owner, exclusive) {
            return Err(Errno::EAGAIN);
        }
        *slot = Some(FlockGuard {
            table: self.flocks.clone(),
            key,
            owner,
            exclusive,
            wake_key: f.wait_key(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: LockKey = LockKey::Object(1);

    #[test]
    fn shared_locks_coexist_and_exclude_an_exclusive_one() {
        let t = FlockTable::default();
        assert!(t.try_take(A, 10, false));
        assert!(t.try_take(A, 11, false));
        assert!(!t.try_take(A, 12, true));
        t.release(A, 10);
        assert!(!t.try_take(A, 12, true), "11 still holds it");
        t.release(A, 11);
        assert!(t.try_take(A, 12, true));
        assert!(!t.try_take(A, 10, false));
        assert!(t.try_take(LockKey::Object(2), 10, true), "another file");
        t.release(A, 12);
        t.release(LockKey::Object(2), 10);
        assert!(t.held.lock().is_empty(), "nothing left behind");
    }

    #[test]
    fn a_refused_lock_leaves_no_entry() {
        let t = FlockTable::default();
        assert!(t.try_take(A, 1, true));
        assert!(!t.try_take(LockKey::Object(1), 2, true));
        t.release(A, 1);
        assert!(t.held.lock().is_empty());
    }
}
