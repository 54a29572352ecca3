//! The root file system of `cargo xtask self-rebuild`: the rootfs staging
//! tree (busybox, the hosted rustc and cargo at /usr/local), hard-linked,
//! plus under /usr/local/src this repository at HEAD, the mkfs-blockfs
//! workspace cut from it, the crates all three builds need (vendored), and
//! the build script; the std source the hosted compiler was built from goes
//! where build-std looks for it, `/usr/local/lib/rustlib/src/rust/library`.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::script;
use crate::{native_projects, paths, progress, selfhost};

/// `/usr/local/src/.cargo/config.toml`: deeper than the image's own
/// `/.cargo/config.toml`, so its source replacement wins for builds under
/// /usr/local/src.
const CARGO_CONFIG: &str = "# cargo xtask self-rebuild: crates come from /usr/local/src/vendor.\n\
    [source.crates-io]\nreplace-with = \"self-rebuild\"\n\n\
    [source.self-rebuild]\ndirectory = \"/usr/local/src/vendor\"\n";

/// Lays the tree out at `<area>/root` (replacing any earlier one); returns it.
pub fn prepare(area: &Path, staging: &Path) -> Result<PathBuf> {
    let root = base(area, staging)?;
    let src = root.join("usr/local/src");
    let repo = src.join("veridian");
    fs::create_dir_all(&repo)?;
    archive_head(&repo)?;
    native_projects::mkfs_workspace(&repo, &src.join("mkfs-blockfs"))?;
    let library = root.join("usr/local/lib/rustlib/src/rust/library");
    fs::create_dir_all(library.parent().expect("has a parent"))?;
    run(Command::new("cp")
        .arg("-r")
        .arg(selfhost::rustsrc::src_dir().join("library"))
        .arg(&library))?;
    vendor(&src, &library)?;
    use_vendored_crates(&src)?;
    fs::write(
        root.join(script::PATH.trim_start_matches('/')),
        script::text(),
    )?;
    Ok(root)
}

/// `<area>/root`, replacing any earlier one: the staging tree, hard-linked
/// (builds write only new files, never into the staged ones).
pub fn base(area: &Path, staging: &Path) -> Result<PathBuf> {
    let root = area.join("root");
    if root.exists() {
        fs::remove_dir_all(&root).with_context(|| format!("cannot remove {}", root.display()))?;
    }
    fs::create_dir_all(area)?;
    run(Command::new("cp").arg("-al").arg(staging).arg(&root))?;
    Ok(root)
}

/// Points cargo, for builds under `src` (= /usr/local/src), at `src/vendor`.
pub fn use_vendored_crates(src: &Path) -> Result<()> {
    fs::create_dir_all(src.join(".cargo"))?;
    fs::write(src.join(".cargo/config.toml"), CARGO_CONFIG)?;
    Ok(())
}

/// The commit being rebuilt.
pub fn head_commit() -> Result<String> {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(paths::repo_root())
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!("git rev-parse HEAD failed: is this a git checkout?");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `git archive HEAD`, unpacked into `to`: committed files only.
fn archive_head(to: &Path) -> Result<()> {
    let mut git = Command::new("git")
        .args(["archive", "--format=tar", "HEAD"])
        .current_dir(paths::repo_root())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git archive")?;
    let status = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(to)
        .stdin(git.stdout.take().expect("piped"))
        .status()
        .context("cannot run tar")?;
    if !git.wait()?.success() || !status.success() {
        bail!("git archive HEAD | tar -x failed");
    }
    Ok(())
}

/// `cargo vendor` of the kernel, userland and mkfs-blockfs workspaces and
/// of std's own workspace (build-std resolves it) into `<src>/vendor`;
/// cargo writes each workspace's lock file as it resolved it.
fn vendor(src: &Path, library: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    // std's manifest uses unstable cargo features.
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .args(["vendor", "--versioned-dirs", "--quiet", "--manifest-path"])
        .arg(src.join("veridian/kernel/kernel/Cargo.toml"));
    for manifest in [
        src.join("veridian/userland/Cargo.toml"),
        src.join("mkfs-blockfs/Cargo.toml"),
        library.join("Cargo.toml"),
    ] {
        cmd.arg("--sync").arg(manifest);
    }
    cmd.arg(src.join("vendor"));
    progress::run_logged(
        "vendor the rebuild's crates",
        "self-rebuild-vendor",
        &mut cmd,
    )?;
    Ok(())
}

pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}
