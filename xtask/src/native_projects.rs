//! The projects the native-build rows of `cargo xtask verify` build inside
//! VeridianOS with the hosted cargo, staged into the rootfs with their
//! crates.io dependencies vendored:
//!
//! - `derive-demo` (`guest-projects/derive-demo`): serde, serde_json, clap
//!   and thiserror, three of them through proc-macro derives;
//! - `cc-demo` (`guest-projects/cc-demo`): a build script compiling C with
//!   the cc crate;
//! - `mkfs-blockfs`: this repository's `tools/mkfs-blockfs` and `fs/blockfs`
//!   in a workspace of their own, with the root manifest's shared tables and
//!   versions pinned by the root Cargo.lock.
//!
//! In the image, `/.cargo/config.toml` (cargo's home is `/.cargo`, as the
//! kernel starts init with `HOME=/`) replaces crates.io by the vendored
//! sources, so `cargo build --offline` works in any folder of the guest, and
//! names `veridian-rustc-wrapper` (userland/rustc-wrapper), which compiles
//! crates that know nothing of VeridianOS as Linux/musl.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::criteria::PROJECTS_DIR;
use crate::paths;
use crate::toolchain::stamp;

/// Where the vendored crates live in the image.
pub const VENDOR_DIR: &str = "/usr/local/share/cargo/vendor";

/// The projects of `guest-projects/`.
const GUEST_PROJECTS: &[&str] = &["derive-demo", "cc-demo"];

/// The mkfs-blockfs workspace: the repository's folders it holds.
const MKFS_MEMBERS: &[&str] = &["tools/mkfs-blockfs", "fs/blockfs"];

/// Folders of a member that the guest build does not need.
const SKIPPED: &[&str] = &["target", "fuzz"];

/// `<build root>/native-projects`: the projects as staged, and the vendor
/// folder (kept between runs; vendoring needs crates.io).
fn area() -> PathBuf {
    crate::selfhost::build_root().join("native-projects")
}

/// Lays the projects, the vendored crates and cargo's configuration out in
/// the rootfs staging folder.
pub fn stage(staging: &Path) -> Result<()> {
    let work = area();
    let projects = work.join("projects");
    if projects.exists() {
        fs::remove_dir_all(&projects)?;
    }
    let root = paths::repo_root();
    for project in GUEST_PROJECTS {
        copy_filtered(
            &root.join("guest-projects").join(project),
            &projects.join(project),
        )?;
    }
    mkfs_workspace(&root, &projects.join("mkfs-blockfs"))?;
    let vendor = vendor(&work, &projects)?;

    let in_image = |p: &str| staging.join(p.trim_start_matches('/'));
    copy_filtered(&projects, &in_image(PROJECTS_DIR))?;
    // Whole: a vendored crate may have source folders named like the
    // skipped ones (cc 1.2's `src/target/`).
    crate::rootfs::copy_tree(&vendor, &in_image(VENDOR_DIR))?;
    let config = in_image("/.cargo/config.toml");
    fs::create_dir_all(config.parent().expect("has a parent"))?;
    fs::write(&config, cargo_config())?;
    Ok(())
}

/// The rustc wrapper of the image (userland/rustc-wrapper).
pub const RUSTC_WRAPPER: &str = "/usr/local/bin/veridian-rustc-wrapper";

/// `/.cargo/config.toml` of the image.
pub fn cargo_config() -> String {
    format!(
        "# VeridianOS: crates come from the sources vendored into the image, and\n\
         # crates that know nothing of VeridianOS are compiled as Linux/musl.\n\
         [build]\nrustc-wrapper = \"{RUSTC_WRAPPER}\"\n\n\
         [source.crates-io]\nreplace-with = \"vendored\"\n\n\
         [source.vendored]\ndirectory = \"{VENDOR_DIR}\"\n"
    )
}

/// A workspace of [`MKFS_MEMBERS`]: the root manifest with its member list
/// replaced, the root Cargo.lock (cargo drops the entries it does not use).
pub fn mkfs_workspace(root: &Path, to: &Path) -> Result<()> {
    for member in MKFS_MEMBERS {
        copy_filtered(&root.join(member), &to.join(member))?;
    }
    let manifest = fs::read_to_string(root.join("Cargo.toml"))?;
    fs::write(
        to.join("Cargo.toml"),
        with_members(&manifest, MKFS_MEMBERS)?,
    )?;
    fs::copy(root.join("Cargo.lock"), to.join("Cargo.lock"))?;
    Ok(())
}

/// `manifest` with its `[workspace]` `members = [...]` array replaced by
/// `members` and its `exclude` line dropped.
fn with_members(manifest: &str, members: &[&str]) -> Result<String> {
    let mut out = String::new();
    let mut lines = manifest.lines();
    let mut replaced = false;
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("members = [") && !replaced {
            if !line.contains(']') {
                for rest in lines.by_ref() {
                    if rest.contains(']') {
                        break;
                    }
                }
            }
            let quoted: Vec<String> = members.iter().map(|m| format!("\"{m}\"")).collect();
            out.push_str(&format!("members = [{}]\n", quoted.join(", ")));
            replaced = true;
        } else if !line.trim_start().starts_with("exclude = [") {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        bail!("the root Cargo.toml has no `members = [` line");
    }
    Ok(out)
}

/// `cargo vendor --versioned-dirs` of every project into `<area>/vendor`,
/// rerun only when a manifest or lock file changed; writes the trimmed
/// Cargo.lock of each project back into `projects`.
fn vendor(work: &Path, projects: &Path) -> Result<PathBuf> {
    let vendor = work.join("vendor");
    let locks = work.join("locks");
    let manifests: Vec<&str> = GUEST_PROJECTS
        .iter()
        .copied()
        .chain(["mkfs-blockfs"])
        .collect();
    let mut inputs = stamp::Inputs::default();
    for project in &manifests {
        for file in ["Cargo.toml", "Cargo.lock"] {
            inputs = inputs.text(
                file,
                &fs::read_to_string(projects.join(project).join(file))?,
            );
        }
    }
    for member in MKFS_MEMBERS {
        let manifest = projects
            .join("mkfs-blockfs")
            .join(member)
            .join("Cargo.toml");
        inputs = inputs.text(member, &fs::read_to_string(manifest)?);
    }
    let digest = inputs.digest();
    let stamp_file = work.join("vendor.stamp");
    if !stamp::is_current(&stamp_file, &digest) {
        if vendor.exists() {
            fs::remove_dir_all(&vendor)?;
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["vendor", "--versioned-dirs", "--quiet", "--manifest-path"])
            .arg(projects.join(manifests[0]).join("Cargo.toml"));
        for project in &manifests[1..] {
            cmd.arg("--sync")
                .arg(projects.join(project).join("Cargo.toml"));
        }
        cmd.arg(&vendor);
        crate::progress::run_logged(
            "vendor the native-build projects' crates",
            "native-vendor",
            &mut cmd,
        )?;
        fs::create_dir_all(&locks)?;
        for project in &manifests {
            fs::copy(
                projects.join(project).join("Cargo.lock"),
                locks.join(format!("{project}.lock")),
            )?;
        }
        stamp::record(&stamp_file, &digest)?;
    }
    // The locks as vendoring resolved them, which `--locked` builds need.
    for project in &manifests {
        fs::copy(
            locks.join(format!("{project}.lock")),
            projects.join(project).join("Cargo.lock"),
        )
        .with_context(|| format!("no vendored lock file for {project}"))?;
    }
    Ok(vendor)
}

/// Copies a tree, leaving out [`SKIPPED`] folders.
fn copy_filtered(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let target = to.join(&name);
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if SKIPPED.iter().any(|s| name == *s) {
                continue;
            }
            copy_filtered(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path())?, &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_replaced_and_excludes_dropped() {
        let root = "[workspace]\nresolver = \"2\"\nmembers = [\n    \"a\",\n    \"b\",\n]\nexclude = [\"k\"]\n\n[workspace.package]\nedition = \"2021\"\n";
        let out = with_members(root, &["x/y", "z"]).unwrap();
        assert_eq!(
            out,
            "[workspace]\nresolver = \"2\"\nmembers = [\"x/y\", \"z\"]\n\n[workspace.package]\nedition = \"2021\"\n"
        );
        let one_line = with_members("[workspace]\nmembers = [\"a\"]\n", &["q"]).unwrap();
        assert_eq!(one_line, "[workspace]\nmembers = [\"q\"]\n");
        assert!(with_members("[package]\nname = \"p\"\n", &["q"]).is_err());
    }

    #[test]
    fn the_repository_manifest_gives_a_mkfs_workspace() {
        let manifest = fs::read_to_string(paths::repo_root().join("Cargo.toml")).unwrap();
        let out = with_members(&manifest, MKFS_MEMBERS).unwrap();
        assert!(out.contains("members = [\"tools/mkfs-blockfs\", \"fs/blockfs\"]"));
        assert!(out.contains("[workspace.lints.rust]") && !out.contains("exclude"));
        for member in MKFS_MEMBERS {
            assert!(paths::repo_root().join(member).join("Cargo.toml").is_file());
        }
    }

    #[test]
    fn cargo_config_replaces_crates_io() {
        let text = cargo_config();
        assert!(text.contains("replace-with = \"vendored\""));
        assert!(text.contains(&format!("directory = \"{VENDOR_DIR}\"")));
        assert!(text.contains(&format!("rustc-wrapper = \"{RUSTC_WRAPPER}\"")));
    }
}
