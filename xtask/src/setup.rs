//! Prerequisites: the Debian packages the project builds with, installed
//! idempotently (`apt-get` only runs when something is missing).

use anyhow::{bail, Context, Result};
use std::process::Command;

/// Debian packages every part of the project may need, with what uses them.
pub const PACKAGES: &[(&str, &str)] = &[
    ("rustc-web", "stage-0 rustc 1.96 (also builds the kernel)"),
    ("cargo-web", "cargo 1.96 for the veridian toolchain"),
    ("rust-web-src", "Rust 1.96 source: the library we patch"),
    (
        "rust-web-clippy",
        "clippy 1.96: `cargo +veridian clippy` and the kernel's lint gate",
    ),
    (
        "musl-dev",
        "libc.a, crt objects and headers for the sysroot",
    ),
    ("musl-tools", "musl-gcc, for C test programs"),
    ("gcc", "the C compiler behind x86_64-veridian-gcc"),
    ("binutils", "ar/ranlib/strip/nm for the target"),
    ("patch", "applies patches/ to the source copy"),
    (
        "qemu-system-x86",
        "boots VeridianOS (with qemu-system-data's qboot firmware)",
    ),
    (
        "qemu-utils",
        "qemu-img: the copy-on-write overlays of verify and the benchmarks",
    ),
    ("lld-19", "links the kernel"),
    ("busybox-static", "the foreign static binary run as /bin/sh"),
    ("e2fsprogs", "mke2fs, the BlockFS benchmark anchor"),
];

/// Makes sure every package in [`PACKAGES`] is installed.
pub fn ensure_all() -> Result<()> {
    let names: Vec<&str> = PACKAGES.iter().map(|(n, _)| *n).collect();
    ensure(&names)
}

/// Installs whichever of `packages` is missing; does nothing when all are there.
pub fn ensure(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !is_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        bail!(
            "missing Debian packages: {m}; run as root or install them: sudo apt-get install -y {m}",
            m = missing.join(" ")
        );
    }
    // Concurrent xtask commands install one at a time; the one that waited
    // finds the packages there.
    let lock_path = crate::paths::veridian_build_dir().join("apt.lock");
    std::fs::create_dir_all(crate::paths::veridian_build_dir())?;
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    let missing: Vec<&str> = missing.into_iter().filter(|p| !is_installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("setup: installing {}", missing.join(" "));
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    apt(&args)?;
    let still: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|p| !is_installed(p))
        .collect();
    if !still.is_empty() {
        bail!("apt-get did not install: {}", still.join(" "));
    }
    Ok(())
}

/// Seconds apt waits for a lock another apt or dpkg holds.
const APT_LOCK_WAIT_S: u32 = 900;

fn apt(args: &[&str]) -> Result<()> {
    let status = Command::new("apt-get")
        .arg(format!("-oDPkg::Lock::Timeout={APT_LOCK_WAIT_S}"))
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("cannot run apt-get (is this Debian?)")?;
    if !status.success() {
        bail!("apt-get {} failed: {status}", args.join(" "));
    }
    Ok(())
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout).contains("install ok installed")
        })
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
