//! ioctl requests the VFS understands, as bytes the kernel copies to and
//! from the user's `arg` pointer: terminal attributes, window size,
//! `FIONREAD`.

use alloc::vec::Vec;

use crate::abi::*;
use veridian_syscall::termios::{
    B38400, CREAD, CS8, ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, HUPCL, ICANON, ICRNL, IEXTEN, ISIG,
    IXON, ONLCR, OPOST,
};

/// What an ioctl produced: the syscall's return value and the bytes to
/// copy out to `arg` (empty: nothing to copy).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IoctlReply {
    pub ret: i64,
    pub out: Vec<u8>,
}

impl IoctlReply {
    /// Success with nothing to copy out.
    pub fn ok() -> Self {
        IoctlReply::default()
    }

    /// Success with `out` to copy to `arg`.
    pub fn with(out: Vec<u8>) -> Self {
        IoctlReply { ret: 0, out }
    }
}

/// Bytes the kernel must copy in from `arg` before calling
/// [`crate::Vfs::ioctl`] for `cmd` (0 for requests that only write to
/// `arg` or take none).
pub const fn ioctl_in_len(cmd: u32) -> usize {
    match cmd {
        TCSETS | TCSETSW | TCSETSF => TERMIOS_SIZE,
        TIOCSWINSZ => 8,
        FIONBIO | TIOCSPGRP => 4,
        SIOCGIFINDEX | SIOCGIFNAME => IFREQ_SIZE,
        _ => 0,
    }
}

/// Size of the kernel `struct termios` (what `TCGETS` copies).
pub const TERMIOS_SIZE: usize = 36;

/// The kernel `struct termios`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; 19],
}

impl Default for Termios {
    /// Linux's defaults for a fresh tty: cooked mode with echo, ICRNL,
    /// OPOST|ONLCR, 38400 baud CS8.
    fn default() -> Self {
        Termios {
            iflag: ICRNL | IXON,
            oflag: OPOST | ONLCR,
            cflag: B38400 | CS8 | CREAD | HUPCL,
            lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            line: 0,
            cc: [
                3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0, 0,
                0,
            ],
        }
    }
}

impl Termios {
    /// The 36 bytes of the kernel layout.
    pub fn to_bytes(&self) -> [u8; TERMIOS_SIZE] {
        let mut b = [0u8; TERMIOS_SIZE];
        for (i, v) in [self.iflag, self.oflag, self.cflag, self.lflag]
            .into_iter()
            .enumerate()
        {
            b[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        b[16] = self.line;
        b[17..].copy_from_slice(&self.cc);
        b
    }

    /// Parses the kernel layout; `None` if `b` is short.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let b = b.get(..TERMIOS_SIZE)?;
        let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut cc = [0u8; 19];
        cc.copy_from_slice(&b[17..]);
        Some(Termios {
            iflag: w(0),
            oflag: w(4),
            cflag: w(8),
            lflag: w(12),
            line: b[16],
            cc,
        })
    }
}

/// `struct winsize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WinSize {
    pub rows: u16,
    pub cols: u16,
    pub xpixel: u16,
    pub ypixel: u16,
}

impl Default for WinSize {
    /// The VGA-sized 80x25 console.
    fn default() -> Self {
        WinSize {
            rows: 25,
            cols: 80,
            xpixel: 0,
            ypixel: 0,
        }
    }
}

impl WinSize {
    /// The 8 bytes of `struct winsize`.
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        for (i, v) in [self.rows, self.cols, self.xpixel, self.ypixel]
            .into_iter()
            .enumerate()
        {
            b[i * 2..i * 2 + 2].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// Parses `struct winsize`; `None` if `b` is short.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let b = b.get(..8)?;
        let h = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Some(WinSize {
            rows: h(0),
            cols: h(2),
            xpixel: h(4),
            ypixel: h(6),
        })
    }
}

/// Reads the `int` argument of `FIONBIO`-style requests.
pub(crate) fn int_arg(arg: &[u8]) -> Option<i32> {
    Some(i32::from_le_bytes(arg.get(..4)?.try_into().ok()?))
}
