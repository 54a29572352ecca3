//! Per-process descriptor tables.

use alloc::sync::Arc;
use alloc::vec::Vec;
use veridian_syscall::errno::{EBADF, EMFILE};

use super::file::OpenFile;

pub const MAX_FDS: usize = 1024;

#[derive(Clone)]
pub struct Fd {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

#[derive(Clone, Default)]
pub struct FdTable {
    fds: Vec<Option<Fd>>,
}

impl FdTable {
    pub fn new() -> Self {
        FdTable { fds: Vec::new() }
    }

    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, i32> {
        if fd < 0 {
            return Err(EBADF);
        }
        self.fds.get(fd as usize).and_then(|f| f.as_ref()).map(|f| f.file.clone()).ok_or(EBADF)
    }

    pub fn entry_mut(&mut self, fd: i32) -> Result<&mut Fd, i32> {
        if fd < 0 {
            return Err(EBADF);
        }
        self.fds.get_mut(fd as usize).and_then(|f| f.as_mut()).ok_or(EBADF)
    }

    /// Installs at the lowest free slot >= `min`.
    pub fn insert_from(&mut self, min: usize, file: Arc<OpenFile>, cloexec: bool) -> Result<i32, i32> {
        let mut i = min;
        while i < self.fds.len() && self.fds[i].is_some() {
            i += 1;
        }
        if i >= MAX_FDS {
            return Err(EMFILE);
        }
        if i >= self.fds.len() {
            self.fds.resize(i + 1, None);
        }
        self.fds[i] = Some(Fd { file, cloexec });
        Ok(i as i32)
    }

    pub fn insert(&mut self, file: Arc<OpenFile>, cloexec: bool) -> Result<i32, i32> {
        self.insert_from(0, file, cloexec)
    }

    /// Installs at exactly `fd`, returning what was there (closed by the
    /// caller's drop).
    pub fn put(&mut self, fd: i32, file: Arc<OpenFile>, cloexec: bool) -> Result<Option<Fd>, i32> {
        if fd < 0 || fd as usize >= MAX_FDS {
            return Err(EBADF);
        }
        let i = fd as usize;
        if i >= self.fds.len() {
            self.fds.resize(i + 1, None);
        }
        Ok(self.fds[i].replace(Fd { file, cloexec }))
    }

    pub fn remove(&mut self, fd: i32) -> Result<Fd, i32> {
        if fd < 0 {
            return Err(EBADF);
        }
        self.fds.get_mut(fd as usize).and_then(|f| f.take()).ok_or(EBADF)
    }

    /// Closes every close-on-exec descriptor.
    pub fn close_on_exec(&mut self) {
        for f in self.fds.iter_mut() {
            if f.as_ref().map(|f| f.cloexec).unwrap_or(false) {
                *f = None;
            }
        }
    }

    /// Open descriptor numbers.
    pub fn open_fds(&self) -> Vec<i32> {
        self.fds.iter().enumerate().filter(|(_, f)| f.is_some()).map(|(i, _)| i as i32).collect()
    }

    pub fn clear(&mut self) {
        self.fds.clear();
    }
}
