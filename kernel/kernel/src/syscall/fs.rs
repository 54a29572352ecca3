//! The file system calls: `veridian_vfs::file_syscall` decodes and carries
//! them out (the code the VFS crate's host tests run); this module adds
//! what only the kernel can do: the current process's memory, sleeping
//! when a call would block, `SIGPIPE` after `EPIPE`, and reads and writes
//! on sockets, which go to the socket calls.

use alloc::vec::Vec;
use veridian_syscall::nr;
use veridian_vfs::Errno;
use veridian_vfs::{resume_file_syscall, Caller, Sys, UserMemory};

use super::KResult;
use crate::fs::vfs;
use crate::task::current;
use crate::task::user;

/// The calling process's memory, as the VFS decoder reaches it.
struct ProcessMemory;

impl UserMemory for ProcessMemory {
    fn copy_in(&mut self, addr: u64, buf: &mut [u8]) -> veridian_vfs::Result<()> {
        user::read_into(addr, buf)
    }

    fn copy_out(&mut self, addr: u64, data: &[u8]) -> veridian_vfs::Result<()> {
        user::write_bytes(addr, data)
    }

    fn copy_in_str(&mut self, addr: u64, max: usize) -> veridian_vfs::Result<Vec<u8>> {
        user::read_cstr(addr, max)
    }
}

/// Calls whose `EPIPE` raises `SIGPIPE`.
fn is_write(n: usize) -> bool {
    matches!(
        n,
        nr::WRITE | nr::WRITEV | nr::PWRITE64 | nr::PWRITEV | nr::SENDFILE
    )
}

/// Carries out file system call `n`; `None` if it is not one.
pub fn file_call(n: usize, a: [u64; 6]) -> Option<KResult> {
    if let Some(r) = super::net::stream_io(n, a) {
        return Some(r);
    }
    let t = current();
    let (fds, fsx) = (t.files(), t.fsctx());
    drop(t);
    let c = Caller {
        fds: &fds,
        fs: &fsx,
    };
    let mut done = 0;
    loop {
        match resume_file_syscall(vfs(), c, &mut ProcessMemory, n, a, done)? {
            Sys::Done(r) => {
                if r == Err(Errno::EPIPE) && is_write(n) {
                    super::signal::raise_sigpipe();
                }
                return Some(r);
            }
            Sys::Block {
                key,
                done: d,
                recheck,
                ..
            } => {
                done = d;
                if crate::wait::interrupted() {
                    return Some(if done > 0 {
                        Ok(done)
                    } else {
                        Err(Errno::EINTR)
                    });
                }
                crate::wait::sleep_on_key(key, recheck);
            }
        }
    }
}
