//! The Linux x86_64 constants of the file syscalls, in one module for the
//! VFS and its callers: re-exported from `veridian_syscall`, where each is
//! defined, together with the VFS's own limits ([`crate::limits`]).

pub use crate::limits::*;
pub use veridian_syscall::fcntl::*;
pub use veridian_syscall::ioctl::*;
pub use veridian_syscall::limits::{NAME_MAX, PATH_MAX, PIPE_BUF};
pub use veridian_syscall::poll::*;
pub use veridian_syscall::stat::*;
