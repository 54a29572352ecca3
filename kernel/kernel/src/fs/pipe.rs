//! Pipes: a bounded byte queue with blocking readers and writers.

use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicUsize, Ordering};
use spin::Mutex;
use veridian_syscall::errno::{EAGAIN, EINTR, EPIPE};

use crate::task::sched::WaitQueue;

const CAPACITY: usize = 64 * 1024;

pub struct Pipe {
    buf: Mutex<VecDeque<u8>>,
    pub readers: AtomicUsize,
    pub writers: AtomicUsize,
    readq: WaitQueue,
    writeq: WaitQueue,
}

impl Pipe {
    pub fn new() -> Self {
        Pipe {
            buf: Mutex::new(VecDeque::new()),
            readers: AtomicUsize::new(1),
            writers: AtomicUsize::new(1),
            readq: WaitQueue::new(),
            writeq: WaitQueue::new(),
        }
    }

    /// Reads what is there, blocking while empty and writers remain.
    pub fn read(&self, out: &mut [u8], nonblock: bool) -> Result<usize, i32> {
        loop {
            {
                let mut b = self.buf.lock();
                if !b.is_empty() {
                    let n = out.len().min(b.len());
                    for (i, byte) in b.drain(..n).enumerate() {
                        out[i] = byte;
                    }
                    drop(b);
                    self.writeq.wake_all();
                    return Ok(n);
                }
            }
            if self.writers.load(Ordering::Relaxed) == 0 || out.is_empty() {
                return Ok(0);
            }
            if nonblock {
                return Err(EAGAIN);
            }
            if crate::task::exit::kill_pending() {
                return Err(EINTR);
            }
            self.readq.wait(0);
        }
    }

    /// Writes everything, blocking while full; EPIPE without readers.
    pub fn write(&self, data: &[u8], nonblock: bool) -> Result<usize, i32> {
        let mut done = 0;
        while done < data.len() {
            if self.readers.load(Ordering::Relaxed) == 0 {
                return if done > 0 { Ok(done) } else { Err(EPIPE) };
            }
            {
                let mut b = self.buf.lock();
                let room = CAPACITY - b.len();
                if room > 0 {
                    let n = room.min(data.len() - done);
                    b.extend(&data[done..done + n]);
                    done += n;
                    drop(b);
                    self.readq.wake_all();
                    continue;
                }
            }
            if nonblock {
                return if done > 0 { Ok(done) } else { Err(EAGAIN) };
            }
            if crate::task::exit::kill_pending() {
                return if done > 0 { Ok(done) } else { Err(EINTR) };
            }
            self.writeq.wait(0);
        }
        Ok(done)
    }

    pub fn available(&self) -> usize {
        self.buf.lock().len()
    }

    pub fn close_reader(&self) {
        self.readers.fetch_sub(1, Ordering::Relaxed);
        self.writeq.wake_all();
    }

    pub fn close_writer(&self) {
        self.writers.fetch_sub(1, Ordering::Relaxed);
        self.readq.wake_all();
    }
}
