//! OpenSSL for VeridianOS, static, from Debian's `openssl` source package:
//! cargo's HTTP (curl) and git (libgit2) crates link it. Debian's own
//! libssl.a is built for glibc (fortified `__*_chk` calls), so it cannot be
//! linked against musl.

use anyhow::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{build_root, debsrc, run};

/// The Debian source package version (upstream) we pin.
pub const VERSION: &str = "3.0.20";

/// `<build root>/openssl`.
pub fn area() -> PathBuf {
    build_root().join("openssl")
}

/// The install prefix (include/, lib/libssl.a, lib/libcrypto.a).
pub fn install_dir() -> PathBuf {
    area().join("install")
}

/// OpenSSL's `Configure` arguments for the target.
pub fn configure_args(prefix: &Path, cc: &Path) -> Vec<String> {
    vec![
        "linux-x86_64".into(),
        "no-shared".into(),
        "no-dso".into(),
        "no-module".into(),
        "no-tests".into(),
        "no-afalgeng".into(),
        "-fPIC".into(),
        format!("--prefix={}", prefix.display()),
        "--libdir=lib".into(),
        format!("CC={}", cc.display()),
        "AR=llvm-ar-22".into(),
        "RANLIB=llvm-ranlib-22".into(),
    ]
}

/// Builds and installs OpenSSL unless `lib/libssl.a` is already installed.
pub fn build(cc: &Path, jobs: usize) -> Result<PathBuf> {
    let prefix = install_dir();
    if prefix.join("lib/libssl.a").exists() && prefix.join("lib/libcrypto.a").exists() {
        return Ok(prefix);
    }
    let dl = area().join("src");
    let rec = debsrc::download("openssl", VERSION, ".orig.tar.gz", &dl)?;
    let orig = rec
        .files
        .iter()
        .find(|(n, _, _)| n.ends_with(".orig.tar.gz"))
        .context("openssl source has no .orig.tar.gz")?;
    let tree = dl.join(format!("openssl-{VERSION}"));
    if !tree.join("Configure").exists() {
        run::output(
            Command::new("tar")
                .arg("-xzf")
                .arg(dl.join(&orig.0))
                .arg("-C")
                .arg(&dl),
        )?;
    }
    let logs = run::log_dir(&area());
    if !tree.join("Makefile").exists() {
        let mut cfg = Command::new("perl");
        cfg.arg("Configure")
            .args(configure_args(&prefix, cc))
            .current_dir(&tree);
        run::run_long("configure OpenSSL", &logs, "configure", &cfg)?;
    }
    let mut make = run::niced("make");
    make.arg(format!("-j{jobs}"))
        .arg("build_libs")
        .current_dir(&tree);
    run::run_long("OpenSSL for VeridianOS", &logs, "build", &make)?;
    let mut install = Command::new("make");
    install.arg("install_dev").current_dir(&tree);
    run::run_long("install OpenSSL", &logs, "install", &install)?;
    fs::metadata(prefix.join("lib/libssl.a")).context("OpenSSL installed no libssl.a")?;
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_linux_abi_configuration() {
        let a = configure_args(Path::new("/p"), Path::new("/w/cc"));
        assert_eq!(a[0], "linux-x86_64", "VeridianOS is Linux's ABI");
        for want in ["no-shared", "no-dso", "--prefix=/p", "CC=/w/cc"] {
            assert!(a.iter().any(|x| x == want), "{want}");
        }
    }
}
