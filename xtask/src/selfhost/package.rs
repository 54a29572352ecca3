//! The install tree of the VeridianOS-hosted toolchain, from bootstrap's
//! dist tarballs: `bin/rustc`, `bin/cargo`, `lib/rustlib/...`, plus our lld
//! as the target's `rust-lld` (rustc's self-contained linker), and a size
//! report.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use walkdir::WalkDir;

use super::{llvm, run, rustsrc};
use crate::paths;

/// The dist components installed, in order (the target's std is built
/// afterwards by the hosted rustc itself).
pub const COMPONENTS: &[&str] = &["rustc", "cargo"];

/// `<build root>/rust/install` (laid out like /usr/local).
pub fn install_dir() -> PathBuf {
    rustsrc::area().join("install")
}

/// The dist tarball name of a component for the target.
pub fn tarball_name(component: &str, version: &str) -> String {
    format!("{component}-{version}-{}.tar.xz", paths::TARGET)
}

/// Unpacks each dist tarball and runs its install.sh into the install tree.
pub fn install(dist_dir: &Path, version: &str) -> Result<PathBuf> {
    let prefix = install_dir();
    if prefix.exists() {
        fs::remove_dir_all(&prefix)?;
    }
    let staging = rustsrc::area().join("dist-staging");
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir_all(&staging)?;
    for component in COMPONENTS {
        let tarball = dist_dir.join(tarball_name(component, version));
        if !tarball.exists() {
            bail!("{} is missing (did `x.py dist` run?)", tarball.display());
        }
        run::output(
            Command::new("tar")
                .arg("-xJf")
                .arg(&tarball)
                .arg("-C")
                .arg(&staging),
        )?;
        let dir = staging.join(tarball_name(component, version).trim_end_matches(".tar.xz"));
        run::output(
            Command::new("sh")
                .arg(dir.join("install.sh"))
                .arg(format!("--prefix={}", prefix.display()))
                .arg("--disable-ldconfig"),
        )?;
    }
    let tools = prefix.join("lib/rustlib").join(paths::TARGET).join("bin");
    fs::create_dir_all(&tools)?;
    fs::copy(llvm::install_dir().join("bin/lld"), tools.join("rust-lld"))
        .context("cannot install rust-lld")?;
    fs::remove_dir_all(&staging)?;
    Ok(prefix)
}

/// Sizes in bytes of the interesting parts of the tree, and its total.
pub fn sizes(prefix: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let parts = [
        "bin/rustc".to_string(),
        "bin/cargo".to_string(),
        format!("lib/rustlib/{}/bin/rust-lld", paths::TARGET),
        format!("lib/rustlib/{}/lib", paths::TARGET),
        String::new(),
    ];
    for part in parts {
        let path = if part.is_empty() {
            prefix.to_path_buf()
        } else {
            prefix.join(&part)
        };
        let bytes: u64 = WalkDir::new(&path)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| e.metadata().ok().map(|m| m.len()))
            .sum();
        out.push((
            if part.is_empty() {
                "total".into()
            } else {
                part
            },
            bytes,
        ));
    }
    out
}

/// The size report as text (also written to `<install>/SIZES.txt`).
pub fn size_report(prefix: &Path) -> Result<String> {
    let mut text = String::from("# install tree of the VeridianOS-hosted Rust toolchain\n");
    for (part, bytes) in sizes(prefix) {
        text.push_str(&format!(
            "{:>10.1} MiB  {part}\n",
            bytes as f64 / (1024.0 * 1024.0)
        ));
    }
    fs::write(prefix.join("SIZES.txt"), &text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarballs_and_sizes() {
        assert_eq!(
            tarball_name("rustc", "1.96.0"),
            "rustc-1.96.0-x86_64-unknown-veridian.tar.xz"
        );
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("bin")).unwrap();
        fs::write(tmp.path().join("bin/rustc"), vec![0u8; 3000]).unwrap();
        fs::write(tmp.path().join("bin/cargo"), vec![0u8; 1000]).unwrap();
        let s = sizes(tmp.path());
        assert_eq!(s[0], ("bin/rustc".into(), 3000));
        assert_eq!(s.last().unwrap(), &("total".to_string(), 4000));
        assert!(size_report(tmp.path()).unwrap().contains("total"));
    }
}
