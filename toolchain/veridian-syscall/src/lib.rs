//! The VeridianOS system-call ABI, the single source of truth shared by the
//! kernel, the patched std (`std::os::veridian::syscall`) and test programs.
//!
//! Every Linux x86_64 value the kernel and its crates use is defined here
//! once: system-call numbers ([`nr`]), errno values ([`errno`]), and the
//! argument constants grouped by topic ([`fcntl`], [`stat`], [`poll`],
//! [`signal`], [`wait`], [`clone`], [`socket`], [`ioctl`], [`mman`],
//! [`eventfd`], [`termios`], [`time`], [`futex`], [`prctl`], [`random`], [`auxv`],
//! [`resource`], [`limits`]). `tests/linux_abi.rs` checks them against the host's libc.
//!
//! VeridianOS uses the Linux x86_64 calling convention and numbering: the
//! number goes in `rax`, arguments in `rdi, rsi, rdx, r10, r8, r9`, the result
//! comes back in `rax`, and a value in `-4095..=-1` is a negated errno.
#![cfg_attr(not(test), no_std)]
#![cfg_attr(feature = "rustc-dep-of-std", feature(staged_api))]
#![cfg_attr(feature = "rustc-dep-of-std", allow(internal_features))]
#![cfg_attr(
    feature = "rustc-dep-of-std",
    stable(feature = "veridian_syscall", since = "1.96.0")
)]

#[macro_use]
mod macros;

stable! { pub mod errno; }
stable! { pub mod nr; }

stable! { pub mod auxv; }
stable! { pub mod clone; }
stable! { pub mod eventfd; }
stable! { pub mod fcntl; }
stable! { pub mod futex; }
stable! { pub mod ioctl; }
stable! { pub mod limits; }
stable! { pub mod mman; }
stable! { pub mod poll; }
stable! { pub mod prctl; }
stable! { pub mod random; }
stable! { pub mod resource; }
stable! { pub mod signal; }
stable! { pub mod socket; }
stable! { pub mod stat; }
stable! { pub mod termios; }
stable! { pub mod time; }
stable! { pub mod wait; }

#[cfg(target_arch = "x86_64")]
mod raw;
#[cfg(target_arch = "x86_64")]
stable! { pub use raw::*; }

stable! {
    /// Splits a raw syscall return value into a result: values in
    /// `-4095..=-1` are negated errno codes, everything else is success.
    #[inline]
    pub fn decode(ret: isize) -> Result<usize, i32> {
        if (-4095..0).contains(&ret) {
            Err(-ret as i32)
        } else {
            Ok(ret as usize)
        }
    }
}

stable! {
    /// Encodes a handler result the way the kernel returns it in `rax`.
    #[inline]
    pub fn encode(result: Result<usize, i32>) -> isize {
        match result {
            Ok(v) => v as isize,
            Err(e) => -(e as isize),
        }
    }
}
