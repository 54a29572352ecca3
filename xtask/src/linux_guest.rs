//! The side-by-side anchor for boot benchmarks: Debian's Linux kernel
//! (`linux-image-amd64`) booting an initramfs whose `/init` is one of our
//! static programs, in the same QEMU settings VeridianOS gets.
//!
//! The kernel package is downloaded with `apt-get download` and only its
//! `vmlinuz` is unpacked under `target/veridian/linux-guest`; nothing is
//! installed on the host.

use anyhow::{bail, Context, Result};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::paths;

/// Debian's metapackage naming the current kernel image package.
const META_PACKAGE: &str = "linux-image-amd64";

fn guest_dir() -> PathBuf {
    paths::veridian_build_dir().join("linux-guest")
}

/// Returns Debian's bzImage, fetching it on first use.
pub fn kernel() -> Result<PathBuf> {
    let dir = guest_dir();
    let vmlinuz = dir.join("vmlinuz");
    if vmlinuz.is_file() {
        return Ok(vmlinuz);
    }
    fs::create_dir_all(&dir)?;
    let package = image_package()?;
    download(&package, &dir)?;
    let deb = find_deb(&dir, &package)?;
    extract_vmlinuz(&deb, &vmlinuz)?;
    fs::remove_file(&deb).ok();
    Ok(vmlinuz)
}

/// The versioned package `linux-image-amd64` depends on.
fn image_package() -> Result<String> {
    let out = Command::new("apt-cache")
        .args(["depends", META_PACKAGE])
        .output()
        .context("cannot run apt-cache")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .find(|p| p.starts_with("linux-image-"))
        .map(str::to_string)
        .with_context(|| {
            format!("apt-cache names no kernel image for {META_PACKAGE} (run apt-get update?)")
        })
}

fn download(package: &str, dir: &Path) -> Result<()> {
    let fetch = || {
        Command::new("apt-get")
            .args(["download", "-qq", package])
            .current_dir(dir)
            .status()
    };
    if fetch().context("cannot run apt-get")?.success() {
        return Ok(());
    }
    // A fresh machine may have stale package lists.
    Command::new("apt-get")
        .args(["update", "-qq"])
        .status()
        .context("cannot run apt-get update")?;
    if !fetch()?.success() {
        bail!("apt-get download {package} failed");
    }
    Ok(())
}

fn find_deb(dir: &Path, package: &str) -> Result<PathBuf> {
    fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with(package) && name.ends_with(".deb")
        })
        .with_context(|| format!("no {package}*.deb in {}", dir.display()))
}

/// Pipes the package's data tarball through `tar` to pull out `boot/vmlinuz-*`.
fn extract_vmlinuz(deb: &Path, out: &Path) -> Result<()> {
    let mut dpkg = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run dpkg-deb")?;
    let tar_input = dpkg.stdout.take().expect("piped");
    let extracted = Command::new("tar")
        .args(["-x", "-O", "--wildcards", "./boot/vmlinuz-*"])
        .stdin(tar_input)
        .output()
        .context("cannot run tar")?;
    dpkg.wait()?;
    if !extracted.status.success() || extracted.stdout.len() < 1 << 20 {
        bail!(
            "no vmlinuz in {}: {}",
            deb.display(),
            String::from_utf8_lossy(&extracted.stderr)
        );
    }
    fs::write(out, &extracted.stdout)?;
    Ok(())
}

/// Writes a newc initramfs holding `/init` (a copy of `program`) and the
/// `/dev/console` node the kernel opens for init's standard streams.
pub fn initramfs(program: &Path, out: &Path) -> Result<()> {
    let bytes = fs::read(program).with_context(|| format!("cannot read {}", program.display()))?;
    let mut w = BufWriter::new(
        File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
    );
    let node = |name: &str, ino: u32, mode: u32| {
        cpio::newc::Builder::new(name).ino(ino).mode(mode).nlink(1)
    };
    w = node("dev", 1, 0o040755).write(w, 0).finish()?;
    w = node("dev/console", 2, 0o020600)
        .rdev_major(5)
        .rdev_minor(1)
        .write(w, 0)
        .finish()?;
    let mut init = node("init", 3, 0o100755).write(w, u32::try_from(bytes.len())?);
    init.write_all(&bytes)?;
    w = init.finish()?;
    cpio::newc::trailer(w)?.flush()?;
    Ok(())
}

/// Kernel command line: serial console, no noise, power off when init exits
/// (init's exit panics the kernel; `panic=-1` reboots, which `-no-reboot` turns into an exit).
pub const CMDLINE: &str = "console=ttyS0 quiet panic=-1 rdinit=/init";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initramfs_holds_console_node_and_executable_init() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("prog");
        fs::write(&program, b"\x7fELF-not-really").unwrap();
        let image = dir.path().join("initrd");
        initramfs(&program, &image).unwrap();

        let mut names = Vec::new();
        let mut reader = File::open(&image).unwrap();
        loop {
            let entry = cpio::NewcReader::new(reader).unwrap();
            if entry.entry().is_trailer() {
                break;
            }
            let e = entry.entry();
            names.push((
                e.name().to_string(),
                e.mode(),
                e.rdev_major(),
                e.rdev_minor(),
                e.file_size(),
            ));
            reader = entry.finish().unwrap();
        }
        assert_eq!(
            names,
            vec![
                ("dev".into(), 0o040755, 0, 0, 0),
                ("dev/console".into(), 0o020600, 5, 1, 0),
                ("init".into(), 0o100755, 0, 0, 15),
            ]
        );
    }
}
