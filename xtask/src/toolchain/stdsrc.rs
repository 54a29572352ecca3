//! The patched std source: a copy of Debian's rust-web-src `library/` (the
//! system copy is never modified) with [`cfg_rewrite`] and the hand-written
//! `patches/library/*.patch` applied, and our syscall crate added.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{cfg_rewrite, stamp, sysroot::copy_tree};
use crate::{paths, progress};

/// Where Debian's rust-web-src installs the Rust source tree.
pub const RUST_SRC: &str = "/usr/lib/rustlib/src/rust";

/// The patched library folder (also what `rust-src` of the toolchain shows).
pub fn library_dir() -> PathBuf {
    paths::veridian_build_dir().join("rust-src").join("library")
}

/// Makes the patched copy if its inputs changed; returns its `library/` path.
pub fn prepare(force: bool) -> Result<PathBuf> {
    let root = paths::repo_root();
    let expected = fs::read_to_string(root.join("patches/rust-version"))?
        .trim()
        .to_string();
    let found = installed_version()?;
    if found != expected {
        bail!(
            "the patches in patches/ are for Rust {expected}, but rust-web-src installed Rust {found} \
             at {RUST_SRC}; install rust-web-src {expected} or port the patches"
        );
    }
    let library = library_dir();
    let digest = stamp::Inputs::default()
        .text("rust", &found)
        .text("rewrite", include_str!("cfg_rewrite.rs"))
        // Only the library's patches: patches/llvm and patches/rust belong to
        // the self-hosted build and must not rebuild std.
        .tree(&root.join("patches/library"))?
        .text("rust-version", &expected)
        .tree(&root.join("toolchain/veridian-syscall/src"))?
        .tree(&root.join("toolchain/veridian-syscall/Cargo.toml"))?
        .digest();
    let stamp_file = library.with_file_name(".stamp");
    if !force && stamp::is_current(&stamp_file, &digest) {
        return Ok(library);
    }
    progress::run_step("copy and patch the std source", || {
        let copy_root = library.parent().expect("library has a parent");
        if copy_root.exists() {
            fs::remove_dir_all(copy_root)?;
        }
        fs::create_dir_all(copy_root)?;
        copy_tree(&Path::new(RUST_SRC).join("library"), &library)?;
        let libc = libc_dir(&library)?;
        let rewritten = cfg_rewrite::rewrite_library(&library, &libc)?;
        println!("  cfg rewrite: {rewritten} predicates now include target_os = \"veridian\"");
        apply_patches(&library, &root.join("patches/library"))?;
        add_syscall_crate(&library, &root)?;
        stamp::record(&stamp_file, &digest)
    })?;
    Ok(library)
}

/// The Rust version of the installed rust-web-src.
pub fn installed_version() -> Result<String> {
    let file = Path::new(RUST_SRC).join("src/version");
    Ok(fs::read_to_string(&file)
        .with_context(|| {
            format!(
                "cannot read {} (is rust-web-src installed?)",
                file.display()
            )
        })?
        .trim()
        .to_string())
}

/// The vendored libc crate's folder name (e.g. `libc-0.2.183`).
fn libc_dir(library: &Path) -> Result<String> {
    let mut found: Vec<String> = fs::read_dir(library.join("vendor"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("libc-0.2."))
        .collect();
    found.sort();
    found
        .pop()
        .context("library/vendor holds no libc-0.2.* crate")
}

/// Applies each `*.patch` (in name order) with `patch -p1` inside `library/`.
fn apply_patches(library: &Path, patches: &Path) -> Result<()> {
    let mut list: Vec<PathBuf> = fs::read_dir(patches)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "patch"))
        .collect();
    list.sort();
    for patch in list {
        let out = Command::new("patch")
            .args([
                "-p1",
                "--batch",
                "--forward",
                "--no-backup-if-mismatch",
                "-i",
            ])
            .arg(&patch)
            .current_dir(library)
            .output()
            .context("cannot run patch")?;
        if !out.status.success() {
            bail!(
                "{} does not apply:\n{}{}",
                patch.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    Ok(())
}

/// Copies toolchain/veridian-syscall next to std (std depends on it by path).
fn add_syscall_crate(library: &Path, root: &Path) -> Result<()> {
    let dest = library.join("veridian-syscall");
    fs::create_dir_all(&dest)?;
    let src = root.join("toolchain/veridian-syscall");
    fs::copy(src.join("Cargo.toml"), dest.join("Cargo.toml"))?;
    copy_tree(&src.join("src"), &dest.join("src"))
}
