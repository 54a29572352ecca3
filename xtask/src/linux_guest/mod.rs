//! The side-by-side anchor for benchmarks: Debian's Linux kernel
//! (`linux-image-amd64`) booting an initramfs whose `/init` is one of our
//! static programs, in the same QEMU settings VeridianOS gets.
//!
//! The kernel package is downloaded with `apt-get download`; only its
//! `vmlinuz` and the modules a virtio disk with ext4 needs ([`modules`])
//! are unpacked, together, under `linux-guest` in the build folder; nothing
//! is installed on the host.

mod initramfs;
mod modules;

pub use initramfs::Initramfs;

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::paths;

/// Debian's metapackage naming the current kernel image package.
const META_PACKAGE: &str = "linux-image-amd64";

fn guest_dir() -> PathBuf {
    paths::veridian_build_dir().join("linux-guest")
}

/// Where [`disk_modules`] keeps the modules, and the file naming them in
/// load order. The guest's init (`native-build`'s `linux_init`) reads the
/// same two names from its initramfs.
const MODULES_DIR: &str = "modules";
const MODULES_ORDER: &str = "modules/order";

/// Returns Debian's bzImage, fetching it on first use.
pub fn kernel() -> Result<PathBuf> {
    Ok(unpacked()?.join("vmlinuz"))
}

/// The modules that let [`kernel`] mount an ext4 virtio disk, in the
/// order to load them (from the same package as the kernel).
pub fn disk_modules() -> Result<Vec<PathBuf>> {
    let dir = unpacked()?;
    let order = fs::read_to_string(dir.join(MODULES_ORDER))?;
    Ok(order
        .lines()
        .map(|name| dir.join(MODULES_DIR).join(name))
        .collect())
}

/// The folder holding `vmlinuz` and the modules of one kernel package.
/// Both are unpacked from the same download whenever either is missing, so
/// they always match.
fn unpacked() -> Result<PathBuf> {
    let dir = guest_dir();
    let vmlinuz = dir.join("vmlinuz");
    if vmlinuz.is_file() && dir.join(MODULES_ORDER).is_file() {
        return Ok(dir);
    }
    fs::create_dir_all(&dir)?;
    let package = image_package()?;
    download(&package, &dir)?;
    let deb = find_deb(&dir, &package)?;
    extract_vmlinuz(&deb, &vmlinuz)?;
    extract_modules(&deb, &dir.join(MODULES_DIR))?;
    fs::remove_file(&deb).ok();
    Ok(dir)
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

/// Runs `tar` with `args` on the data tarball of `deb` (from `dpkg-deb`).
fn tar_of_deb(deb: &Path, args: &[String]) -> Result<std::process::Output> {
    let mut dpkg = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run dpkg-deb")?;
    let tar_input = dpkg.stdout.take().expect("piped");
    let output = Command::new("tar")
        .args(args)
        .stdin(tar_input)
        .stderr(Stdio::piped())
        .output()
        .context("cannot run tar")?;
    dpkg.wait()?;
    Ok(output)
}

/// Pulls `boot/vmlinuz-*` out of the package.
fn extract_vmlinuz(deb: &Path, out: &Path) -> Result<()> {
    let args = ["-x", "-O", "--wildcards", "./boot/vmlinuz-*"].map(String::from);
    let extracted = tar_of_deb(deb, &args)?;
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

/// Unpacks [`modules::WANTED`] and their dependencies from `deb` into
/// `out`, one flat folder with the load order in `order`.
fn extract_modules(deb: &Path, out: &Path) -> Result<()> {
    let unpack = out.with_extension("unpack");
    let staging = out.with_extension("new");
    for d in [&unpack, &staging] {
        let _ = fs::remove_dir_all(d);
        fs::create_dir_all(d)?;
    }
    let mut args: Vec<String> = ["-x", "-C"].map(String::from).to_vec();
    args.push(unpack.display().to_string());
    args.extend(["--wildcards", "--no-wildcards-match-slash"].map(String::from));
    args.extend(
        modules::PATTERNS
            .iter()
            .map(|p| format!("./lib/modules/*/kernel/{p}")),
    );
    let unpacked = tar_of_deb(deb, &args)?;
    if !unpacked.status.success() {
        bail!(
            "cannot unpack the modules from {}: {}",
            deb.display(),
            String::from_utf8_lossy(&unpacked.stderr)
        );
    }
    let mut order = String::new();
    for module in modules::resolve(&unpack)? {
        let name = module.file_name().context("module without a name")?;
        fs::copy(&module, staging.join(name))?;
        order.push_str(&name.to_string_lossy());
        order.push('\n');
    }
    fs::write(staging.join("order"), order)?;
    let _ = fs::remove_dir_all(out);
    fs::rename(&staging, out)?;
    fs::remove_dir_all(&unpack)?;
    Ok(())
}

/// Writes a newc initramfs holding `/init` (a copy of `program`) and the
/// `/dev/console` node the kernel opens for init's standard streams.
pub fn initramfs(program: &Path, out: &Path) -> Result<()> {
    initramfs_with_modules(program, &[], out)
}

/// [`initramfs`] plus `modules` in `/modules`, named in load order by
/// `/modules/order` (nothing when `modules` is empty).
pub fn initramfs_with_modules(program: &Path, modules: &[PathBuf], out: &Path) -> Result<()> {
    let mut image = Initramfs::create(out)?;
    image.copy("init", 0o755, program)?;
    if !modules.is_empty() {
        image.dir(MODULES_DIR)?;
        let mut order = String::new();
        for module in modules {
            let name = module
                .file_name()
                .and_then(|n| n.to_str())
                .with_context(|| format!("bad module path {}", module.display()))?;
            image.copy(&format!("{MODULES_DIR}/{name}"), 0o644, module)?;
            order.push_str(name);
            order.push('\n');
        }
        image.file(MODULES_ORDER, 0o644, order.as_bytes())?;
    }
    image.finish()
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
        let mut reader = fs::File::open(&image).unwrap();
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

    #[test]
    fn modules_follow_init_with_their_load_order() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("prog");
        fs::write(&program, b"init").unwrap();
        let modules: Vec<PathBuf> = ["virtio.ko", "ext4.ko"]
            .iter()
            .map(|name| {
                let path = dir.path().join(name);
                fs::write(&path, name.as_bytes()).unwrap();
                path
            })
            .collect();
        let image = dir.path().join("initrd");
        initramfs_with_modules(&program, &modules, &image).unwrap();

        let mut entries = Vec::new();
        let mut reader = fs::File::open(&image).unwrap();
        loop {
            let mut entry = cpio::NewcReader::new(reader).unwrap();
            if entry.entry().is_trailer() {
                break;
            }
            let name = entry.entry().name().to_string();
            let mut body = String::new();
            std::io::Read::read_to_string(&mut entry, &mut body).unwrap();
            entries.push((name, body));
            reader = entry.finish().unwrap();
        }
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "dev",
                "dev/console",
                "init",
                "modules",
                "modules/virtio.ko",
                "modules/ext4.ko",
                "modules/order"
            ]
        );
        assert_eq!(entries[6].1, "virtio.ko\next4.ko\n");
    }
}
