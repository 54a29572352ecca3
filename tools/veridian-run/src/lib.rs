//! Booting VeridianOS in QEMU, shared by `cargo xtask` and the
//! `veridian-run` cargo runner.

pub mod bundle;
pub mod cpus;
pub mod package;
pub mod qemu;
