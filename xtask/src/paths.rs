//! Where things live: the repository and the build folders under `target/`.

use std::path::{Path, PathBuf};

/// The repository root (the folder holding the workspace Cargo.toml).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}

/// `target/veridian`: everything the toolchain build produces.
pub fn veridian_build_dir() -> PathBuf {
    repo_root().join("target").join("veridian")
}

/// The installed toolchain (linked with rustup as `veridian`).
pub fn toolchain_dir() -> PathBuf {
    veridian_build_dir().join("toolchain")
}

/// Build logs, one file per step.
pub fn log_dir() -> PathBuf {
    veridian_build_dir().join("logs")
}

/// The bootable kernel image `cargo xtask kernel` leaves.
pub fn kernel_image() -> PathBuf {
    veridian_build_dir().join("kernel.elf")
}

/// The root file system image (`cargo xtask rootfs` writes it; the
/// `veridian-run.conf` of the toolchain names it).
pub fn rootfs_image() -> PathBuf {
    repo_root().join("target/rootfs-rust.img")
}

/// The target triple this project adds.
pub const TARGET: &str = "x86_64-unknown-veridian";

/// The UEFI-bootable GPT disk image (`cargo xtask uefi` writes it): an EFI
/// system partition with GRUB and the kernel.
pub fn uefi_image() -> PathBuf {
    veridian_build_dir().join("veridian-uefi.img")
}
