//! The VeridianOS virtual file system: mounts, path resolution, open
//! files, fd tables, pipes, devfs and procfs, with Linux x86_64
//! file-syscall semantics. `no_std` + `alloc`, no `unsafe`, no user
//! pointers: the kernel copies user memory in and out and calls this
//! crate with plain slices and integers. Errors are [`Errno`] values.
//!
//! # Setting up (at boot)
//!
//! ```
//! use std::sync::Arc;
//! use blockfs::{FileSystem, FormatOptions, MemDevice};
//! use veridian_vfs::*;
//!
//! # fn main() -> Result<()> {
//! let disk = FileSystem::format(MemDevice::new(2048), &FormatOptions::default())?;
//! let vfs = Vfs::new(Arc::new(BlockFsMount::new(disk)?));
//! // devfs and procfs (the kernel implements the device/process traits):
//! struct Rng;
//! impl RandomSource for Rng { fn fill(&self, buf: &mut [u8]) { buf.fill(4) } }
//! let dev = Arc::new(DevFs::new(Arc::new(Rng)));
//! vfs.mount(b"/dev", dev.clone())?;
//!
//! // One per process: fd table and cwd/umask.
//! let fds = FdTable::new();
//! let fsx = FsContext::new(vfs.root());
//! let c = Caller { fds: &fds, fs: &fsx };
//! let fd = vfs.openat(c, abi::AT_FDCWD, b"/hello", abi::O_CREAT | abi::O_WRONLY, 0o644)?;
//! vfs.write(c, fd, b"hi\n")?;
//! assert_eq!(vfs.fstat(c, fd)?.size, 3);
//! vfs.close(c, fd)?;
//! vfs.sync()?; // write back (fsync, power-off)
//! # Ok(()) }
//! ```
//!
//! - [`Vfs::new`] takes the root file system: [`BlockFsMount`] wraps a
//!   mounted `blockfs::FileSystem<D>` over the kernel's virtio-blk
//!   `BlockDevice` (call its `set_clock` first for real time stamps).
//!   [`Vfs::set_clock`] gives the clock for `UTIME_NOW`.
//! - [`Vfs::mount`]`(b"/dev", Arc<DevFs>)` and `(b"/proc", Arc<ProcFs>)`.
//!   [`DevFs`] has `/dev/null`, `zero`, `full`, `random`, `urandom`, `fd`,
//!   `stdin`/`stdout`/`stderr`; register the rest with
//!   [`DevFs::register_char`] (consoles, serial ports: a [`CharDevice`])
//!   and [`DevFs::register_block`] (`vda`, `vdb`: a [`RawBlock`]).
//!   [`ProcFs`] takes a [`ProcessInfo`].
//! - Per process: an `Arc<FdTable>` (share for `CLONE_FILES`,
//!   [`FdTable::fork`] for fork, [`FdTable::close_on_exec`] at execve,
//!   [`FdTable::close_all`] at exit, [`FdTable::set_limit`] for
//!   `RLIMIT_NOFILE`) and an `Arc<FsContext>` (share for `CLONE_FS`,
//!   [`FsContext::fork`] otherwise). Every operation takes a [`Caller`]
//!   borrowing both.
//!
//! # The whole family in one call
//!
//! [`file_syscall`]`(&vfs, caller, &mut user_memory, nr, args)` decodes the
//! raw registers of ~70 file system calls (read … statx, Linux x86_64
//! numbers from `veridian_syscall::nr`), moves user memory only through the
//! kernel's [`UserMemory`] (copy-in/out returning `EFAULT`), and answers
//! [`Sys::Done`] (the `rax` value or errno) or [`Sys::Block`] (sleep on the
//! key until readable/writable, then repeat the call). It returns `None`
//! for numbers outside the family (poll/select, mmap, ...). The per-call
//! methods below stay available for kernels that decode arguments
//! themselves.
//!
//! # Syscalls → methods
//!
//! | syscall | method | kernel side |
//! |---|---|---|
//! | openat/open/creat | [`Vfs::openat`] | `open` = `openat(AT_FDCWD, ..)` |
//! | close, dup, dup2, dup3 | [`Vfs::close`], [`Vfs::dup`], [`Vfs::dup2`], [`Vfs::dup3`] | |
//! | fcntl | [`Vfs::fcntl`] | `F_GETLK` (needs user memory) |
//! | read, write | [`Vfs::read`], [`Vfs::write`] | `EAGAIN`: wait unless `O_NONBLOCK` |
//! | readv, writev | [`Vfs::readv`], [`Vfs::writev`] | |
//! | pread64, pwrite64 | [`Vfs::pread`], [`Vfs::pwrite`] | |
//! | lseek | [`Vfs::lseek`] | |
//! | getdents64 | [`Vfs::getdents64`] | copies `buf` out |
//! | fstat, newfstatat, stat, lstat | [`Vfs::fstat`], [`Vfs::fstatat`] + [`Stat::to_linux_stat`] | |
//! | statx | [`Vfs::fstatat`] + [`Stat::to_statx`] | |
//! | statfs, fstatfs | [`Vfs::statfs`], [`Vfs::fstatfs`] + [`FsStat::to_linux_statfs`] | |
//! | mkdirat, unlinkat, renameat2, linkat, symlinkat, readlinkat | [`Vfs::mkdirat`], [`Vfs::unlinkat`], [`Vfs::renameat2`], [`Vfs::linkat`], [`Vfs::symlinkat`], [`Vfs::readlinkat`] | mkdir, unlink, rmdir, rename(at), link, symlink, readlink map onto these |
//! | bind, connect, sendto of an `AF_UNIX` path | [`Vfs::bind_socket`] (a socket node, held by the returned [`SocketNode`]), [`Vfs::socket_node`] | the socket layer keys bound names by [`SocketNode::node`] |
//! | ftruncate, truncate | [`Vfs::ftruncate`], [`Vfs::truncate`] | |
//! | sendfile, copy_file_range, fallocate | [`Vfs::sendfile`], [`Vfs::copy_file_range`], [`Vfs::fallocate`] | copy offsets in and out |
//! | fsync, fdatasync, sync, syncfs | [`Vfs::fsync`], [`Vfs::sync`] | |
//! | getcwd, chdir, fchdir, umask | [`Vfs::getcwd`], [`Vfs::chdir`], [`Vfs::fchdir`], [`Vfs::umask`] | `ERANGE` if the buffer is short |
//! | access, faccessat(2) | [`Vfs::faccessat`] | |
//! | chmod, fchmod(at), chown family | [`Vfs::fchmodat`], [`Vfs::fchmod`], [`Vfs::fchownat`] | |
//! | utimensat, futimens | [`Vfs::utimensat`] | |
//! | execve, file mmap (kernel) | [`Vfs::open_file`] / [`Vfs::open_kernel`], [`Vfs::pread_file`], [`Vfs::fstat_file`] | `OpenFile::path` is the canonical exe path |
//! | pipe, pipe2 | [`Vfs::pipe2`] | `EPIPE`: also raise `SIGPIPE` |
//! | ioctl | [`Vfs::ioctl`] | copy in [`ioctl_in_len`] bytes, copy out `reply.out` |
//! | poll, select | [`Vfs::poll`], [`Vfs::poll_read_ready`], [`Vfs::poll_write_ready`] | |
//!
//! # Blocking
//!
//! Nothing blocks. A read of an empty pipe (or a console without input)
//! and a write to a full pipe return [`Errno::EAGAIN`]. The kernel returns
//! that to the user if [`OpenFile::is_nonblocking`], and otherwise sleeps
//! on the wait queue keyed by [`OpenFile::wait_key`] until
//! [`Vfs::poll_read_ready`]/[`Vfs::poll_write_ready`] holds, then retries;
//! a blocking write repeats until all bytes are written. Pipes wake their
//! key through the hook given to [`set_wake_hook`]; console drivers wake
//! [`device_key`] of their device.
//!
//! ```ignore
//! // The kernel's read(2), sketched (`wq` is the kernel's wait-queue map):
//! let f = task.fds.get(fd)?;
//! loop {
//!     match vfs.read_file(&f, &mut kbuf) {
//!         Err(e) if e.is_would_block() && !f.is_nonblocking() => {
//!             wq.wait_until(f.wait_key(), || vfs.poll_read_ready(&f))?; // EINTR on signal
//!         }
//!         r => break r,
//!     }
//! }
//! ```
//!
//! Pipe writes of up to [`abi::PIPE_BUF`] bytes are atomic.
//!
//! # Deviations from Linux (deliberate, small)
//!
//! Every process is root: permission bits are reported and stored but
//! only `X_OK` and read-only mounts refuse access. No FIFOs or device
//! nodes on BlockFS (socket nodes exist, made by `bind`), no `RENAME_EXCHANGE`, no
//! `mount`/`umount` syscalls. Time stamps on BlockFS have whole seconds. An
//! `O_TMPFILE` or `memfd_create` file is a hidden name unlinked at once:
//! it cannot be linked into a folder later, and a memfd cannot be sealed.
//! `/proc/<pid>/fd/<n>` links are paths (a pipe's cannot be reopened).
//!
//! # Locking
//!
//! State is behind `spin` locks held only inside one call (never across a
//! return to the kernel), taken in the order fd table → open file offset →
//! file system. A thread must not be preempted by another thread using the
//! VFS while inside a call on the same CPU (run syscalls with preemption
//! off, or make the scheduler skip kernel-mode preemption); interrupt
//! handlers must not call in.
//!
//! # Evidence
//!
//! `cargo test -p veridian-vfs` runs, besides unit tests per operation:
//! the byte layouts against the C definitions (libc crate), a proptest
//! against an in-memory POSIX model, a differential proptest that runs the
//! same random operations on the host's Linux kernel and compares every
//! result and errno, and garbage-argument proptests (methods and raw
//! syscall registers) that must never panic and leave `fsck` clean.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod abi;
mod blockfs_mount;
mod context;
mod devfs;
mod dirent;
mod errno;
mod eventfd;
mod fdtable;
mod file;
mod filesystem;
mod flock;
mod ioctl;
mod ldisc;
pub mod limits;
mod ops_copy;
mod ops_fd;
mod ops_io;
mod ops_meta;
mod ops_ns;
mod ops_open;
mod pipe;
mod procfs;
mod special;
mod stat;
mod sys;
mod vfs;

pub use blockfs_mount::{BlockFsMount, ORPHAN_DIR};
pub use context::{Caller, FsContext};
pub use devfs::{device_key, CharDevice, DevFs, RandomSource, RawBlock};
pub use dirent::{record_len, DirEntry, DIRENT_NAME_OFFSET};
pub use errno::{Errno, Result};
pub use eventfd::{EventCounter, EFD_SEMAPHORE};
pub use fdtable::FdTable;
pub use file::{NodeRef, OpenFile, SocketNode};
pub use filesystem::{Filesystem, Ino, PollEvents};
pub use ioctl::{ioctl_in_len, IoctlReply, Termios, WinSize, TERMIOS_SIZE};
pub use ldisc::{LineDiscipline, INPUT_LIMIT, MAX_CANON};
pub use pipe::{set_wake_hook, Pipe, PipeEnd};
pub use procfs::{MemInfo, ProcFs, ProcessInfo};
pub use special::SpecialFile;
pub use stat::{
    FileKind, FsStat, Stat, Timespec, STRUCT_STATFS_SIZE, STRUCT_STATX_SIZE, STRUCT_STAT_SIZE,
    ST_RDONLY,
};
pub use sys::{file_syscall, resume_file_syscall, Sys, UserMemory, FILE_SYSCALLS};
pub use vfs::Vfs;

/// The page size of the mappings file systems lend pages to
/// ([`Filesystem::with_cached_page`]): BlockFS's block size.
pub const PAGE_SIZE: usize = blockfs::BLOCK_SIZE;
