//! `cargo xtask rootfs`: the VeridianOS root file system image
//! (target/rootfs-rust.img, BlockFS): busybox in /bin, init in /sbin, musl's
//! dynamic loader as /lib/ld-musl-x86_64.so.1, the
//! userland programs in /usr/local/bin, the target's std (or the whole
//! VeridianOS-hosted Rust install tree) and C sysroot under /usr/local,
//! /etc with the verification script, /tmp.
//!
//! A staging tree is assembled under target/rootfs/staging, its manifest
//! (path, kind, mode, size, SHA-256) written next to it, and the image is
//! rebuilt with `mkfs-blockfs --populate` only when the manifest changed.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use walkdir::WalkDir;

use crate::toolchain::Toolchain;
use crate::{conformance, criteria, guest_cc, native_projects, paths, progress};

/// Programs from userland/ that go to /usr/local/bin.
const USERLAND_PROGRAMS: &[&str] = &[
    "hello",
    "std-links",
    "c-interop",
    "conf-io",
    "conf-fs",
    "conf-env",
    "conf-process",
    "conf-thread",
    "conf-time",
    "conf-signal",
    "conf-net",
    "conf-poll",
    "conf-panic",
    "hostile",
    "net-bench",
    "native-build",
    "veridian-rustc-wrapper",
    crate::smp::script::STRESS,
];

/// The default image size: 2 GiB, room for the VeridianOS-hosted rustc,
/// cargo and std (330 MiB) beside everything else.
pub const DEFAULT_SIZE_MB: u32 = 2048;

fn rootfs_dir() -> PathBuf {
    paths::repo_root().join("target/rootfs")
}

/// The staged tree the image was made from (what the image holds).
pub fn staging_dir() -> PathBuf {
    rootfs_dir().join("staging")
}

/// Builds (or reuses) the image; returns its path.
pub fn build(tc: &Toolchain, size_mb: u32) -> Result<PathBuf> {
    build_with(tc, size_mb, None)
}

/// [`build`], with the VeridianOS-hosted Rust toolchain (an install tree
/// laid out like /usr/local, from `cargo xtask rustc`) at /usr/local when
/// `rust_tree` is given. Its std replaces the toolchain's rlibs: rustc
/// refuses a second copy of std built by another compiler.
pub fn build_with(tc: &Toolchain, size_mb: u32, rust_tree: Option<&Path>) -> Result<PathBuf> {
    if let Some(tree) = rust_tree {
        if !tree.join("bin/rustc").is_file() {
            bail!(
                "{} has no bin/rustc: run `cargo xtask rustc` first (hours; resumable)",
                tree.display()
            );
        }
    }
    let bin_dir = conformance::build(tc)?;
    let mkfs = build_mkfs()?;
    let staging = staging_dir();
    progress::run_step("stage the root file system", || {
        stage(tc, &bin_dir, &staging, rust_tree)
    })?;
    let manifest = manifest(&staging)?;
    let manifest_text = manifest.join("\n") + "\n";
    let digest = format!(
        "{:x}",
        Sha256::digest(format!("size={size_mb}\n{manifest_text}"))
    );
    let image = paths::rootfs_image();
    let stamp = rootfs_dir().join("image.stamp");
    fs::write(rootfs_dir().join("manifest.txt"), &manifest_text)?;
    if image.exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(digest.as_str()) {
        println!(
            "  rootfs: {} is up to date ({} entries)",
            image.display(),
            manifest.len()
        );
        return Ok(image);
    }
    let _ = fs::remove_file(&image);
    let mut cmd = Command::new(&mkfs);
    cmd.arg("--output")
        .arg(&image)
        .args(["--size", &size_mb.to_string(), "--populate"])
        .arg(&staging);
    progress::run_logged("write the BlockFS image", "rootfs", &mut cmd)?;
    fs::write(&stamp, digest)?;
    println!(
        "  rootfs: {} ({size_mb} MiB, {} entries; manifest in {})",
        image.display(),
        manifest.len(),
        rootfs_dir().join("manifest.txt").display()
    );
    Ok(image)
}

/// Builds the workspace's mkfs-blockfs; returns the binary.
pub fn build_mkfs() -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "-p", "mkfs-blockfs"])
        .current_dir(paths::repo_root());
    progress::run_logged("build mkfs-blockfs", "mkfs-build", &mut cmd)?;
    Ok(build_mkfs_path())
}

/// Where [`build_mkfs`] leaves the binary.
pub fn build_mkfs_path() -> PathBuf {
    paths::repo_root().join("target/release/mkfs-blockfs")
}

/// Lays out the image's tree in `staging` (recreated from scratch: cheap, and
/// nothing stale survives).
fn stage(tc: &Toolchain, bin_dir: &Path, staging: &Path, rust_tree: Option<&Path>) -> Result<()> {
    if staging.exists() {
        fs::remove_dir_all(staging)?;
    }
    for dir in [
        "bin",
        "sbin",
        "etc",
        "usr/local/bin",
        "usr/local/lib",
        "usr/local/include",
        "dev",
        "proc",
    ] {
        fs::create_dir_all(staging.join(dir))?;
    }
    let tmp = staging.join("tmp");
    fs::create_dir_all(&tmp)?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o1777))?;

    copy_file(&bin_dir.join("init"), &staging.join("sbin/init"))?;
    for program in USERLAND_PROGRAMS {
        copy_file(
            &bin_dir.join(program),
            &staging.join("usr/local/bin").join(program),
        )?;
    }
    stage_busybox(staging)?;

    match rust_tree {
        Some(tree) => {
            copy_tree(tree, &staging.join("usr/local"))?;
            native_projects::stage(staging)?;
            guest_cc::stage(staging)?;
        }
        None => {
            let rustlib = staging
                .join("usr/local/lib/rustlib")
                .join(paths::TARGET)
                .join("lib");
            fs::create_dir_all(&rustlib)?;
            for entry in fs::read_dir(tc.target_libdir())? {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "rlib") {
                    copy_file(
                        &path,
                        &rustlib.join(path.file_name().expect("file has a name")),
                    )?;
                }
            }
        }
    }
    let c_lib = tc.c_sysroot().join("lib");
    for entry in fs::read_dir(&c_lib)? {
        let path = entry?.path();
        let keep = path
            .extension()
            .is_some_and(|e| e == "a" || e == "o" || e == "so");
        if keep {
            copy_file(
                &path,
                &staging
                    .join("usr/local/lib")
                    .join(path.file_name().expect("named")),
            )?;
        }
    }
    stage_musl_loader(tc, staging)?;
    let status = Command::new("cp")
        .arg("-rL")
        .arg(tc.c_sysroot().join("include/."))
        .arg(staging.join("usr/local/include"))
        .status()?;
    if !status.success() {
        bail!("copying the C headers failed");
    }
    fs::write(staging.join("etc/os-release"), os_release())?;
    fs::write(staging.join("etc/passwd"), PASSWD)?;
    fs::write(staging.join("etc/group"), GROUP)?;
    fs::write(staging.join("etc/hosts"), HOSTS)?;
    stage_smp_script(staging)?;
    stage_verify_script(staging)
}

/// musl's dynamic loader (its libc.so) at the path musl programs name in
/// `PT_INTERP`, `/lib/ld-musl-x86_64.so.1`.
fn stage_musl_loader(tc: &Toolchain, staging: &Path) -> Result<()> {
    let loader = staging.join(crate::dynlink::MUSL_LOADER.trim_start_matches('/'));
    fs::create_dir_all(loader.parent().expect("in /lib"))?;
    copy_file(&tc.c_sysroot().join("lib/libc.so"), &loader)?;
    fs::set_permissions(&loader, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// The self-hosting criteria as `init --script` input, plus the sources they compile.
fn stage_verify_script(staging: &Path) -> Result<()> {
    let share = staging.join(criteria::SHARE_DIR.trim_start_matches('/'));
    fs::create_dir_all(&share)?;
    fs::write(share.join("hello.rs"), criteria::HELLO_RS)?;
    fs::write(share.join("core_test.rs"), criteria::CORE_TEST_RS)?;
    let script = staging.join(criteria::SCRIPT_PATH.trim_start_matches('/'));
    fs::create_dir_all(script.parent().expect("script has a folder"))?;
    fs::write(
        &script,
        criteria::script(|p| staging.join(p.trim_start_matches('/')).exists()),
    )?;
    Ok(())
}

/// The SMP rows' script (conformance suite + smp-stress in one boot).
fn stage_smp_script(staging: &Path) -> Result<()> {
    let script = staging.join(crate::smp::script::SCRIPT_PATH.trim_start_matches('/'));
    fs::create_dir_all(script.parent().expect("script has a folder"))?;
    fs::write(&script, crate::smp::script::text())?;
    Ok(())
}

/// Debian's busybox-static as /bin/busybox, /bin/sh and its applet links.
fn stage_busybox(staging: &Path) -> Result<()> {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        println!("  rootfs: /bin/busybox not on this host (package busybox-static): no shell in the image");
        return Ok(());
    }
    copy_file(busybox, &staging.join("bin/busybox"))?;
    let list = Command::new(busybox)
        .arg("--list")
        .output()
        .context("busybox --list")?;
    for applet in String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let link = staging.join("bin").join(applet);
        if applet != "busybox" && !link.exists() && !applet.contains('/') {
            symlink("busybox", &link)?;
        }
    }
    Ok(())
}

/// The accounts VeridianOS has: programs run as root (uid 0), `nobody` is
/// the usual unprivileged name. getpwnam/getgrgid read these.
const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

/// Names resolved without DNS (musl reads this first): both loopbacks,
/// with Debian's names for IPv6's.
const HOSTS: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

pub fn os_release() -> String {
    format!(
        "NAME=\"VeridianOS\"\nID=veridian\nPRETTY_NAME=\"VeridianOS (Rust {} toolchain)\"\n\
         VERSION_ID=\"0.1\"\nHOME_URL=\"\"\n",
        crate::toolchain::rust_version()
    )
}

/// `cp -a from/. to` (modes, symlinks and times kept).
/// Copies the contents of `from` into `to` (`cp -a`: modes, links, times).
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    let status = Command::new("cp")
        .arg("-a")
        .arg(from.join("."))
        .arg(to)
        .status()?;
    if !status.success() {
        bail!("copying {} into the rootfs failed", from.display());
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// One line per entry: `path kind mode size sha256` (symlinks give their target).
fn manifest(staging: &Path) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for entry in WalkDir::new(staging).sort_by_file_name().min_depth(1) {
        let entry = entry?;
        let rel = entry
            .path()
            .strip_prefix(staging)
            .expect("below staging")
            .display()
            .to_string();
        let meta = entry.path().symlink_metadata()?;
        let mode = meta.permissions().mode() & 0o7777;
        let line = if meta.file_type().is_symlink() {
            format!(
                "/{rel} link {mode:o} -> {}",
                fs::read_link(entry.path())?.display()
            )
        } else if meta.is_dir() {
            format!("/{rel} dir {mode:o}")
        } else {
            let hash = Sha256::digest(fs::read(entry.path())?);
            format!("/{rel} file {mode:o} {} {hash:x}", meta.len())
        };
        lines.push(line);
    }
    Ok(lines)
}
