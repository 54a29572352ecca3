//! The C and C++ compiler of the guest: clang, lld and llvm-ar for host
//! x86_64-unknown-veridian from `cargo xtask llvm`, with musl's headers and
//! crt files (already at /usr/local), libc++ and the Linux UAPI headers.
//! `cc`, `c++`, `clang` and `clang++` are the same wrappers the build machine
//! uses for the target (`selfhost::rustc::wrapper_script`) with /usr/local as
//! the sysroot; `ar` and `ranlib` are llvm-ar; `ld.lld` is the toolchain's
//! `rust-lld` (the same lld) when the hosted Rust toolchain is in the image.

use anyhow::{Context, Result};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use crate::paths;
use crate::rootfs::copy_tree;
use crate::selfhost::{llvm, rustc};

/// The compiler driver in the image, and its C++ name (clang picks its
/// mode from the name it is called by).
const CLANG: &str = "/usr/local/bin/clang-22";
const CLANGXX: &str = "/usr/local/bin/clang++-22";

/// Whether `cargo xtask llvm` built clang on this machine.
pub fn available() -> bool {
    llvm::install_dir().join("bin/clang").exists()
}

/// Puts the compiler into the staging tree (a no-op without clang); the
/// rootfs does this beside the hosted Rust toolchain.
pub fn stage(staging: &Path) -> Result<()> {
    if !available() {
        return Ok(());
    }
    let install = llvm::install_dir();
    let local = staging.join("usr/local");
    let bin = local.join("bin");
    fs::create_dir_all(&bin)?;
    fs::copy(
        install.join("bin/clang"),
        staging.join(CLANG.trim_start_matches('/')),
    )
    .context("cannot copy clang")?;
    symlink("clang-22", staging.join(CLANGXX.trim_start_matches('/')))?;
    fs::copy(install.join("bin/llvm-ar"), bin.join("llvm-ar")).context("cannot copy llvm-ar")?;
    for name in ["ar", "ranlib"] {
        symlink("llvm-ar", bin.join(name))?;
    }
    let rust_lld = format!("../lib/rustlib/{}/bin/rust-lld", paths::TARGET);
    if bin.join(&rust_lld).exists() {
        symlink(&rust_lld, bin.join("ld.lld"))?;
    } else {
        fs::copy(install.join("bin/lld"), bin.join("ld.lld")).context("cannot copy lld")?;
    }
    // clang finds its resource headers (stddef.h, ...) at ../lib/clang.
    copy_tree(&install.join("lib/clang"), &local.join("lib/clang"))?;
    copy_tree(
        &llvm::cxx_dir().join("include/c++"),
        &local.join("include/c++"),
    )?;
    for lib in ["libc++.a", "libc++abi.a"] {
        fs::copy(
            llvm::cxx_dir().join("lib").join(lib),
            local.join("lib").join(lib),
        )
        .with_context(|| format!("cannot copy {lib}"))?;
    }
    for dir in ["linux", "asm", "asm-generic"] {
        copy_tree(
            &llvm::kernel_headers_dir().join(dir),
            &local.join("include").join(dir),
        )?;
    }
    let sysroot = Path::new("/usr/local");
    let headers = Path::new("/usr/local/include");
    for (name, cxx) in [
        ("cc", false),
        ("clang", false),
        ("c++", true),
        ("clang++", true),
    ] {
        let driver = if cxx { CLANGXX } else { CLANG };
        let script = rustc::wrapper_script(driver, sysroot, headers, cxx);
        fs::write(bin.join(name), script)?;
        fs::set_permissions(bin.join(name), fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}
