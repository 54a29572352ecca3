//! `struct msghdr` and `struct iovec` (x86_64) for sendmsg/recvmsg: the
//! kernel reads the pointers from here, copies the data itself.

use crate::errno::{Errno, Result};

/// `sizeof(struct msghdr)`.
pub const MSGHDR_SIZE: usize = 56;
/// Offset of `msg_namelen` (a `socklen_t`) to write back after recvmsg.
pub const MSG_NAMELEN_OFFSET: usize = 8;
/// Offset of `msg_controllen` (a `size_t`) to write back after recvmsg.
pub const MSG_CONTROLLEN_OFFSET: usize = 40;
/// Offset of `msg_flags` (an `int`) to write back after recvmsg.
pub const MSG_FLAGS_OFFSET: usize = 48;
/// `sizeof(struct mmsghdr)`: a `struct msghdr`, `msg_len`, padding.
pub const MMSGHDR_SIZE: usize = 64;
/// Offset of `msg_len` (an `unsigned int`) in `struct mmsghdr`.
pub const MSG_LEN_OFFSET: usize = 56;
/// `sizeof(struct iovec)`.
pub const IOVEC_SIZE: usize = 16;
/// Most iovecs per call; more gives `EMSGSIZE`.
pub use veridian_syscall::limits::UIO_MAXIOV;

/// The fields of a user's `struct msghdr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgHdr {
    pub name: u64,
    pub namelen: u32,
    pub iov: u64,
    pub iovlen: u64,
    pub control: u64,
    pub controllen: u64,
    pub flags: i32,
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_ne_bytes(a)
}

impl MsgHdr {
    /// Decodes the 56 bytes copied from user memory. `EMSGSIZE` for more
    /// than [`UIO_MAXIOV`] iovecs, `EFAULT` if `b` is short.
    pub fn decode(b: &[u8]) -> Result<Self> {
        if b.len() < MSGHDR_SIZE {
            return Err(Errno::EFAULT);
        }
        let h = MsgHdr {
            name: u64_at(b, 0),
            namelen: u32::from_ne_bytes([b[8], b[9], b[10], b[11]]),
            iov: u64_at(b, 16),
            iovlen: u64_at(b, 24),
            control: u64_at(b, 32),
            controllen: u64_at(b, 40),
            flags: i32::from_ne_bytes([b[48], b[49], b[50], b[51]]),
        };
        if h.iovlen > UIO_MAXIOV as u64 {
            return Err(Errno::EMSGSIZE);
        }
        Ok(h)
    }
}

/// Decodes one `struct iovec`: (base, len).
pub fn iovec(b: &[u8]) -> Result<(u64, u64)> {
    if b.len() < IOVEC_SIZE {
        return Err(Errno::EFAULT);
    }
    Ok((u64_at(b, 0), u64_at(b, 8)))
}
