//! `cargo xtask kernel`: builds the VeridianOS kernel (`kernel/kernel`)
//! with Debian's stage-0 rustc (build-std for x86_64-unknown-none, linked by
//! ld.lld-19) and copies the Multiboot image to `target/veridian/kernel.elf`.

use anyhow::{Context, Result};
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::toolchain::{HOST_CARGO, HOST_RUSTC};
use crate::{paths, progress, setup};

/// Builds the kernel; returns the installed image path.
pub fn build() -> Result<PathBuf> {
    setup::ensure(&[
        "rustc-web",
        "cargo-web",
        "rust-web-src",
        "lld-19",
        "qemu-system-x86",
    ])?;
    let mut cmd = cargo_command(HOST_CARGO);
    cmd.args(["build", "--release"]);
    progress::run_logged("kernel build", "kernel", &mut cmd)?;
    let built = target_dir().join("x86_64-unknown-none/release/veridian-kernel");
    let image = paths::kernel_image();
    if let Some(parent) = image.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::copy(&built, &image)
        .with_context(|| format!("cannot copy {} to {}", built.display(), image.display()))?;
    println!("kernel: {}", image.display());
    Ok(image)
}

/// `program` (Debian's cargo, or a cargo subcommand such as cargo-clippy)
/// run in kernel/kernel with Debian's rustc and the kernel's target folder;
/// the caller adds the subcommand's arguments.
pub fn cargo_command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(paths::repo_root().join("kernel").join("kernel"))
        .env("CARGO_TARGET_DIR", target_dir())
        .env("RUSTC", HOST_RUSTC)
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTUP_TOOLCHAIN");
    cmd
}

fn target_dir() -> PathBuf {
    paths::veridian_build_dir().join("kernel-build")
}
