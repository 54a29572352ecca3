//! `cargo xtask toolchain`: the x86_64-unknown-veridian Rust toolchain.
//!
//! Steps, each skipped when its inputs did not change:
//! 1. [`sysroot`]: musl from Debian's musl-dev plus libgcc, assembled into
//!    `<toolchain>/x86_64-veridian/{include,lib}`, and the
//!    `x86_64-veridian-gcc` wrapper over the host gcc.
//! 2. [`stdsrc`]: a copy of Debian's rust-web-src library with our changes
//!    ([`cfg_rewrite`] plus the hand-written `patches/library/*.patch`).
//! 3. [`stdbuild`]: core … std, panic_abort, proc_macro and test built for
//!    the target with Debian's cargo and rustc, installed into the toolchain.
//! 4. [`install`]: the rustc, cargo and clippy wrappers, the target spec,
//!    and `rustup toolchain link`.

pub mod cfg_rewrite;
mod install;
pub(crate) mod stamp;
pub mod stdbuild;
pub(crate) mod stdsrc;
mod sysroot;
#[cfg(test)]
mod wrapper_tests;

use anyhow::Result;
use std::path::PathBuf;
use std::time::Instant;

use crate::{paths, setup};

/// Stage-0 compiler and cargo: Debian's rustc-web and cargo-web.
pub const HOST_RUSTC: &str = "/usr/bin/rustc";
pub const HOST_CARGO: &str = "/usr/bin/cargo";
/// Debian's clippy for the same compiler (rust-web-clippy).
pub const HOST_CARGO_CLIPPY: &str = "/usr/bin/cargo-clippy";
pub const HOST_CLIPPY_DRIVER: &str = "/usr/bin/clippy-driver";

/// What a built toolchain offers to the other commands.
pub struct Toolchain {
    /// The toolchain folder (rustup's `veridian`).
    pub dir: PathBuf,
}

impl Toolchain {
    /// The wrapper rustc that knows the target.
    pub fn rustc(&self) -> PathBuf {
        self.dir.join("bin").join("rustc")
    }
    /// cargo of this toolchain.
    pub fn cargo(&self) -> PathBuf {
        self.dir.join("bin").join("cargo")
    }
    /// The C compiler for the target.
    pub fn cc(&self) -> PathBuf {
        self.dir.join("bin").join("x86_64-veridian-gcc")
    }
    /// The C sysroot (musl headers and libraries).
    pub fn c_sysroot(&self) -> PathBuf {
        sysroot::c_sysroot(&self.dir)
    }
    /// The folder holding the target's rlibs.
    pub fn target_libdir(&self) -> PathBuf {
        self.dir.join("lib/rustlib").join(paths::TARGET).join("lib")
    }
}

/// The Rust version of the installed source (e.g. "1.96.0"), or "unknown".
pub fn rust_version() -> String {
    stdsrc::installed_version().unwrap_or_else(|_| "unknown".into())
}

/// Builds (or brings up to date) the whole toolchain and links it with rustup.
pub fn build(force: bool) -> Result<Toolchain> {
    setup::ensure_all()?;
    let start = Instant::now();
    println!("toolchain: {}", paths::TARGET);
    let tc = Toolchain {
        dir: paths::toolchain_dir(),
    };
    install::write_wrappers(&tc)?;
    sysroot::assemble(&tc)?;
    let library = stdsrc::prepare(force)?;
    stdbuild::build_and_install(&tc, &library)?;
    install::install_runner(&tc)?;
    install::link_with_rustup(&tc)?;
    println!(
        "toolchain: ready in {:.1} s at {} (rustup name: veridian)",
        start.elapsed().as_secs_f64(),
        tc.dir.display()
    );
    Ok(tc)
}
