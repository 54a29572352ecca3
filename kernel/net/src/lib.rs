#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod abi;
mod config;
mod device;
pub mod epoll;
mod errno;
mod frame;
mod ifreq;
pub mod msghdr;
mod ops;
mod options;
pub mod poll;
mod ports;
pub mod select;
pub mod sockaddr;
mod socket;
mod stack;
mod table;
mod tcp;
mod udp;
pub mod unix;

pub use config::{ExternalConfig, NetConfig};
pub use device::NullDevice;
pub use epoll::{EpollEvent, EpollSet, ReadySource};
pub use errno::{Errno, Result};
pub use frame::{FrameDevice, FrameIo, FrameRx, FrameTx};
pub use options::{BufLimits, OptValue, SockOpts, SockType};
pub use poll::{revents, PollFd};
/// The smoltcp version this crate uses (for the kernel's `Device`).
pub use smoltcp;
pub use sockaddr::{SockAddr, Unspec};
pub use stack::{NetStack, NetStats, LOCALHOST};
pub use table::{OwnedSocket, SocketId};
pub use udp::{RecvInfo, MAX_UDP_PAYLOAD};
