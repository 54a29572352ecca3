//! A Rust toolchain whose host is x86_64-unknown-veridian:
//! `cargo xtask llvm` cross-builds libc++ and LLVM + lld for VeridianOS,
//! `cargo xtask rustc` cross-builds rustc, cargo and std with that LLVM.
//!
//! The builds take hours on a small machine, so they live outside the
//! repository (in [`build_root`]) where a later session resumes them: every
//! step is either Ninja/bootstrap (incremental by nature) or guarded by a
//! content stamp. Children run under `nice -n 19`, their output goes to a log
//! in the build folder, and wall time plus peak memory are appended to
//! `timings.txt` there.

pub mod bootstrap_toml;
pub mod chain;
pub mod cmake_args;
pub mod debsrc;
pub mod hosted_std;
pub mod llvm;
pub mod openssl;
pub mod package;
pub mod proof;
pub mod run;
pub mod rustc;
pub mod rustsrc;
pub mod vendor;

use std::path::PathBuf;

/// The environment variable that moves the build folder.
pub const BUILD_DIR_ENV: &str = "VERIDIAN_BUILD_DIR";

/// `${VERIDIAN_BUILD_DIR:-$HOME/.cache/veridian-build}`.
pub fn build_root() -> PathBuf {
    match std::env::var_os(BUILD_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| "/root".into());
            home.join(".cache").join("veridian-build")
        }
    }
}

/// Parallel jobs: `--jobs`, or the number of CPUs.
pub fn jobs(requested: Option<usize>) -> usize {
    requested.filter(|&j| j > 0).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}
