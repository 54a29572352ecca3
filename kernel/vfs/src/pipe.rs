//! Pipes: a bounded byte ring shared by a read end and a write end.
//!
//! Nothing here blocks: an empty pipe with writers reads `EAGAIN`, a full
//! one writes `EAGAIN`; the kernel waits on [`Pipe::poll`] readiness and
//! retries (or returns `EAGAIN` for `O_NONBLOCK`).

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use spin::{Mutex, RwLock};

use crate::abi::{PIPE_BUF, PIPE_CAPACITY, POLLERR, POLLHUP, POLLIN, POLLOUT};
use crate::errno::{Errno, Result};
use crate::filesystem::PollEvents;

static WAKE_HOOK: RwLock<Option<fn(usize)>> = RwLock::new(None);

/// Installs the kernel's wake-up function: called with a wait key
/// ([`crate::OpenFile::wait_key`]) whenever what waiters on it wait for may
/// have changed, so they can retry: a pipe's [`PipeEnd::id`] (data
/// written, space freed, an end closed), a file whose flock was released.
pub fn set_wake_hook(hook: fn(usize)) {
    *WAKE_HOOK.write() = Some(hook);
}

fn wake(pipe: &Pipe) {
    wake_key(pipe as *const Pipe as usize);
}

/// Calls the kernel's wake-up function (see [`set_wake_hook`]) for `key`.
pub(crate) fn wake_key(key: usize) {
    let hook = *WAKE_HOOK.read();
    if let Some(h) = hook {
        h(key);
    }
}

/// The shared buffer of one pipe.
pub struct Pipe {
    state: Mutex<State>,
}

struct State {
    buf: VecDeque<u8>,
    readers: usize,
    writers: usize,
    /// Moves at every change (bytes in or out, an end closed): the edge
    /// counter of [`Pipe::poll_seq`].
    seq: u64,
}

impl Pipe {
    /// A new pipe and its two ends (read, write).
    pub fn new_pair() -> (PipeEnd, PipeEnd) {
        let pipe = Arc::new(Pipe {
            state: Mutex::new(State {
                buf: VecDeque::new(),
                readers: 1,
                writers: 1,
                seq: 0,
            }),
        });
        (
            PipeEnd {
                pipe: pipe.clone(),
                write: false,
            },
            PipeEnd { pipe, write: true },
        )
    }

    /// Bytes waiting to be read (`FIONREAD`).
    pub fn available(&self) -> usize {
        self.state.lock().buf.len()
    }

    /// Reads what is there; 0 at EOF (no writers left), `EAGAIN` if empty.
    pub fn read(&self, out: &mut [u8]) -> Result<usize> {
        let mut s = self.state.lock();
        if out.is_empty() {
            return Ok(0);
        }
        if s.buf.is_empty() {
            return if s.writers == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let n = out.len().min(s.buf.len());
        let (front, back) = s.buf.as_slices();
        let k = n.min(front.len());
        out[..k].copy_from_slice(&front[..k]);
        out[k..n].copy_from_slice(&back[..n - k]);
        s.buf.drain(..n);
        s.seq += 1;
        drop(s);
        wake(self);
        Ok(n)
    }

    /// Writes as much as fits: `EPIPE` without readers (the caller raises
    /// SIGPIPE), `EAGAIN` when nothing fits, and writes of at most
    /// [`PIPE_BUF`] bytes land whole or not at all.
    pub fn write(&self, data: &[u8]) -> Result<usize> {
        let mut s = self.state.lock();
        if s.readers == 0 {
            return Err(Errno::EPIPE);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let space = PIPE_CAPACITY - s.buf.len();
        if space == 0 || (data.len() <= PIPE_BUF && space < data.len()) {
            return Err(Errno::EAGAIN);
        }
        let n = space.min(data.len());
        s.buf.extend(&data[..n]);
        s.seq += 1;
        drop(s);
        wake(self);
        Ok(n)
    }

    /// [`Pipe::poll`] and a counter that moves whenever the pipe changes,
    /// for edge-triggered epoll: a new edge after every write, read or
    /// close, none while nothing happens.
    pub fn poll_seq(&self, write: bool) -> (PollEvents, u64) {
        let seq = self.state.lock().seq;
        (self.poll(write), seq)
    }

    /// Readiness of the read end (`write` false) or the write end.
    pub fn poll(&self, write: bool) -> PollEvents {
        let s = self.state.lock();
        if write {
            if s.readers == 0 {
                POLLOUT | POLLERR
            } else if PIPE_CAPACITY - s.buf.len() >= PIPE_BUF {
                POLLOUT
            } else {
                0
            }
        } else {
            let mut ev = if s.buf.is_empty() { 0 } else { POLLIN };
            if s.writers == 0 {
                ev |= POLLHUP;
            }
            ev
        }
    }
}

/// One end of a pipe; dropping it closes that end.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    write: bool,
}

impl PipeEnd {
    /// The shared pipe.
    pub fn pipe(&self) -> &Arc<Pipe> {
        &self.pipe
    }

    /// Whether this is the write end.
    pub fn is_write_end(&self) -> bool {
        self.write
    }

    /// A stable identity for the pipe (wait-queue key, `pipe:[N]`).
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.pipe) as usize
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        {
            let mut s = self.pipe.state.lock();
            if self.write {
                s.writers -= 1;
            } else {
                s.readers -= 1;
            }
            s.seq += 1;
        }
        wake(&self.pipe);
    }
}
