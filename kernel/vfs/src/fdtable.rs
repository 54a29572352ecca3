//! Per-process file descriptor tables.
//!
//! A table is internally locked; share one `Arc<FdTable>` between threads
//! created with `CLONE_FILES`, and give a forked child [`FdTable::fork`].

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

use crate::abi::{DEFAULT_NOFILE, NR_OPEN, O_CLOEXEC};
use crate::errno::{Errno, Result};
use crate::file::OpenFile;

#[derive(Clone)]
struct Entry {
    file: Arc<OpenFile>,
    cloexec: bool,
}

struct Inner {
    slots: Vec<Option<Entry>>,
    limit: usize,
}

/// A file descriptor table.
pub struct FdTable {
    inner: Mutex<Inner>,
}

impl Default for FdTable {
    fn default() -> Self {
        Self::new()
    }
}

fn index(fd: i32) -> Result<usize> {
    usize::try_from(fd).map_err(|_| Errno::EBADF)
}

impl FdTable {
    /// An empty table with the default limit ([`DEFAULT_NOFILE`]).
    pub fn new() -> Self {
        FdTable {
            inner: Mutex::new(Inner {
                slots: Vec::new(),
                limit: DEFAULT_NOFILE,
            }),
        }
    }

    /// A copy for a forked child: same open files, same close-on-exec bits.
    pub fn fork(&self) -> FdTable {
        let g = self.inner.lock();
        FdTable {
            inner: Mutex::new(Inner {
                slots: g.slots.clone(),
                limit: g.limit,
            }),
        }
    }

    /// `RLIMIT_NOFILE`: fds must stay below it (`EMFILE`).
    pub fn limit(&self) -> usize {
        self.inner.lock().limit
    }

    /// Sets `RLIMIT_NOFILE`, capped at [`NR_OPEN`] (open fds above it
    /// stay open, as on Linux).
    pub fn set_limit(&self, limit: usize) {
        self.inner.lock().limit = limit.min(NR_OPEN);
    }

    /// The open file behind `fd` (`EBADF`).
    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>> {
        let g = self.inner.lock();
        match g.slots.get(index(fd)?) {
            Some(Some(e)) => Ok(e.file.clone()),
            _ => Err(Errno::EBADF),
        }
    }

    /// Installs `file` at the lowest free fd >= `min` (`EMFILE` if none
    /// below the limit, `EINVAL` if `min` is past it).
    pub fn insert_from(&self, min: usize, file: Arc<OpenFile>, cloexec: bool) -> Result<i32> {
        let mut g = self.inner.lock();
        if min >= g.limit {
            return Err(Errno::EINVAL);
        }
        let limit = g.limit;
        let free = (min..limit).find(|&i| g.slots.get(i).is_none_or(|s| s.is_none()));
        let fd = free.ok_or(Errno::EMFILE)?;
        if fd >= g.slots.len() {
            g.slots.resize(fd + 1, None);
        }
        g.slots[fd] = Some(Entry { file, cloexec });
        Ok(fd as i32)
    }

    /// Installs `file` at the lowest free fd.
    pub fn insert(&self, file: Arc<OpenFile>, cloexec: bool) -> Result<i32> {
        self.insert_from(0, file, cloexec)
    }

    /// Puts `file` at exactly `fd`, closing what was there (`EBADF` if
    /// `fd` is at or past the limit).
    pub fn install(&self, fd: i32, file: Arc<OpenFile>, cloexec: bool) -> Result<i32> {
        let i = index(fd)?;
        let old = {
            let mut g = self.inner.lock();
            if i >= g.limit {
                return Err(Errno::EBADF);
            }
            if i >= g.slots.len() {
                g.slots.resize(i + 1, None);
            }
            g.slots[i].replace(Entry { file, cloexec })
        };
        drop(old); // outside the lock: closing may reach a file system
        Ok(fd)
    }

    /// Closes `fd`.
    pub fn close(&self, fd: i32) -> Result<()> {
        let i = index(fd)?;
        let old = {
            let mut g = self.inner.lock();
            g.slots.get_mut(i).and_then(Option::take)
        };
        old.map(drop).ok_or(Errno::EBADF)
    }

    /// `dup`: the lowest free fd, close-on-exec clear.
    pub fn dup(&self, fd: i32) -> Result<i32> {
        self.insert(self.get(fd)?, false)
    }

    /// `dup2`: `new` refers to `old`'s file; nothing happens if equal.
    pub fn dup2(&self, old: i32, new: i32) -> Result<i32> {
        let file = self.get(old)?;
        if old == new {
            return Ok(new);
        }
        self.install(new, file, false)
    }

    /// `dup3`: like `dup2` but `EINVAL` if equal; `flags` may hold only
    /// `O_CLOEXEC`.
    pub fn dup3(&self, old: i32, new: i32, flags: u32) -> Result<i32> {
        if flags & !O_CLOEXEC != 0 || old == new {
            return Err(Errno::EINVAL);
        }
        let file = self.get(old)?;
        self.install(new, file, flags & O_CLOEXEC != 0)
    }

    /// `F_DUPFD` / `F_DUPFD_CLOEXEC`.
    pub fn dup_from(&self, fd: i32, min: i64, cloexec: bool) -> Result<i32> {
        let file = self.get(fd)?;
        let min = usize::try_from(min).map_err(|_| Errno::EINVAL)?;
        self.insert_from(min, file, cloexec)
    }

    /// The close-on-exec bit (`F_GETFD`).
    pub fn cloexec(&self, fd: i32) -> Result<bool> {
        let g = self.inner.lock();
        match g.slots.get(index(fd)?) {
            Some(Some(e)) => Ok(e.cloexec),
            _ => Err(Errno::EBADF),
        }
    }

    /// Sets the close-on-exec bit (`F_SETFD`).
    pub fn set_cloexec(&self, fd: i32, on: bool) -> Result<()> {
        let mut g = self.inner.lock();
        match g.slots.get_mut(index(fd)?) {
            Some(Some(e)) => {
                e.cloexec = on;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// Closes every close-on-exec fd (at `execve`).
    pub fn close_on_exec(&self) {
        let mut closed = Vec::new();
        {
            let mut g = self.inner.lock();
            for slot in g.slots.iter_mut() {
                if slot.as_ref().is_some_and(|e| e.cloexec) {
                    closed.push(slot.take());
                }
            }
        }
        drop(closed);
    }

    /// Closes every fd (at process exit).
    pub fn close_all(&self) {
        let slots = core::mem::take(&mut self.inner.lock().slots);
        drop(slots);
    }

    /// `close_range(first, last)`; with `cloexec` only marks them.
    pub fn close_range(&self, first: u32, last: u32, cloexec: bool) {
        let mut closed = Vec::new();
        {
            let mut g = self.inner.lock();
            let end = (last as usize).saturating_add(1).min(g.slots.len());
            for slot in g.slots.iter_mut().take(end).skip(first as usize) {
                if cloexec {
                    if let Some(e) = slot {
                        e.cloexec = true;
                    }
                } else {
                    closed.push(slot.take());
                }
            }
        }
        drop(closed);
    }

    /// Every open fd in ascending order (for `/proc/<pid>/fd`).
    pub fn list(&self) -> Vec<(i32, Arc<OpenFile>)> {
        let g = self.inner.lock();
        g.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|e| (i as i32, e.file.clone())))
            .collect()
    }

    /// The table's size as Linux counts it (`max_fds`): a power of two, at
    /// least 64, above every fd used since the table was made (it never
    /// shrinks). select(2) looks at no fd past it.
    pub fn max_fds(&self) -> usize {
        self.inner.lock().slots.len().next_power_of_two().max(64)
    }

    /// Number of open fds.
    pub fn count(&self) -> usize {
        self.inner
            .lock()
            .slots
            .iter()
            .filter(|s| s.is_some())
            .count()
    }
}
