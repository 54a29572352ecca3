//! `cargo xtask self-rebuild`: VeridianOS compiles its own kernel, init and
//! mkfs-blockfs with the hosted cargo, and the results are compared byte
//! for byte with the same build run by Linux over the same files — a chroot
//! of the same tree on this host: the same rustc and cargo binaries (they
//! run on Linux too, same ABI), the same paths, sources and flags; only the
//! kernel underneath differs. Then the kernel VeridianOS built is booted.

mod compiler_crate;
mod script;
mod tree;

pub use compiler_crate::run as run_compiler_crate;

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use veridian_run::cpus::Cpus;
use veridian_run::qemu::{Accel, Vm, VmExit, Watch};

use crate::{kernel, paths, progress, rootfs, selfhost, toolchain, verify};

/// Image size: the rootfs plus the std source, the vendored crates and
/// three target folders.
const IMAGE_MB: u32 = 4096;
/// Memory of the guest: rustc peaks at 2-3 GiB.
const MEMORY_MB: u32 = 4096;

pub struct Options {
    pub accel: Accel,
    pub cpus: Cpus,
    /// The whole guest build.
    pub limit: Duration,
    /// Console silent this long: a hung step.
    pub step_limit: Duration,
    /// Go on with the tree and image an interrupted run of this commit left.
    pub resume: bool,
}

/// The commit the tree and image in the area were laid out from.
const COMMIT_FILE: &str = "rebuild.commit";
/// The chroot's console output, kept once its build finished.
const LINUX_REPORT: &str = "linux-report.log";

pub fn run(opts: &Options) -> Result<()> {
    let rust_tree = selfhost::chain::existing_hosted_toolchain().context(
        "no VeridianOS-hosted rustc and cargo on this machine: `cargo xtask verify` builds them \
         (hours; resumable)",
    )?;
    let commit = tree::head_commit()?;
    let tc = toolchain::build(false)?;
    let running_kernel = kernel::build()?;
    let base_image = rootfs::build_with(&tc, rootfs::DEFAULT_SIZE_MB, Some(&rust_tree))?;
    let area = selfhost::build_root().join("self-rebuild");
    let (root, image) = if opts.resume {
        resumable(&area, &commit)?
    } else {
        for stale in [COMMIT_FILE, LINUX_REPORT] {
            let _ = fs::remove_file(area.join(stale));
        }
        let root = progress::run_step("lay out the rebuild tree", || {
            tree::prepare(&area, &rootfs::staging_dir())
        })?;
        let image = write_image(&root, &area.join("rebuild.img"))?;
        fs::write(area.join(COMMIT_FILE), &commit)?;
        (root, image)
    };

    println!("\nLinux: the build in a chroot of the same tree");
    let on_linux = build_on_linux(&root, &area)?;
    println!(
        "\nVeridianOS: the build inside the guest ({} CPU(s))",
        opts.cpus
    );
    let on_veridian = build_on_veridian(&running_kernel, &image, opts)?;
    let veridian_out = area.join("out-veridian");
    if veridian_out.exists() {
        fs::remove_dir_all(&veridian_out)?;
    }
    let mut extract = Command::new(rootfs::build_mkfs_path());
    extract
        .args(["extract", "--from", script::OUT_DIR])
        .arg(&image)
        .arg(&veridian_out);
    progress::run_logged(
        "copy the artifacts out of the image",
        "self-rebuild-extract",
        &mut extract,
    )?;
    let linux_out = root.join(script::OUT_DIR.trim_start_matches('/'));

    println!(
        "\nself-rebuild of {commit}: VeridianOS (guest) against Linux (chroot), same binaries"
    );
    println!(
        "  {:<14} {:>12} {:>12} {:>10}  identical",
        "artifact", "VeridianOS s", "Linux s", "bytes"
    );
    let mut problems = Vec::new();
    for a in script::ARTIFACTS {
        let secs = |r: &script::Report| {
            r.built
                .iter()
                .find(|b| b.name == a.name)
                .map_or("failed".to_string(), script::Built::time)
        };
        let verdict = compare(&veridian_out.join(a.name), &linux_out.join(a.name));
        let (bytes, word) = match &verdict {
            Ok(n) => (n.to_string(), "yes".to_string()),
            Err(why) => {
                problems.push(format!("{}: {why}", a.name));
                ("-".to_string(), format!("no: {why}"))
            }
        };
        println!(
            "  {:<14} {:>12} {:>12} {:>10}  {word}",
            a.name,
            secs(&on_veridian),
            secs(&on_linux),
            bytes
        );
    }
    match on_veridian.peak_used_kib {
        Some(kib) => println!(
            "  guest's peak memory in use: {} MiB of {MEMORY_MB}",
            kib / 1024
        ),
        None => println!("  guest's peak memory in use: not reported"),
    }

    let rebuilt_kernel = veridian_out.join("kernel");
    if rebuilt_kernel.is_file() {
        println!("\nbooting the kernel VeridianOS built");
        match boot_check(&rebuilt_kernel, &base_image, &area, opts) {
            Ok(()) => println!("  PASS  it boots, runs init and reports ID=veridian"),
            Err(e) => problems.push(format!("the rebuilt kernel: {e:#}")),
        }
        println!(
            "  the full check: cargo xtask verify --kernel {}",
            rebuilt_kernel.display()
        );
    }
    if !problems.is_empty() {
        bail!("self-rebuild: {}", problems.join("; "));
    }
    Ok(())
}

/// The tree and image an interrupted run of `commit` left in `area`.
fn resumable(area: &Path, commit: &str) -> Result<(PathBuf, PathBuf)> {
    let root = area.join("root");
    let image = area.join("rebuild.img");
    let laid_out = fs::read_to_string(area.join(COMMIT_FILE)).unwrap_or_default();
    if laid_out.trim() != commit || !root.is_dir() || !image.is_file() {
        bail!(
            "--resume: {} holds no interrupted run of {commit} (it has {}); run without --resume",
            area.display(),
            if laid_out.is_empty() {
                "none".to_string()
            } else {
                laid_out
            }
        );
    }
    println!(
        "  resuming the run of {commit} in {} (a power cut's damage is the kernel's fsck's to repair)",
        area.display()
    );
    Ok((root, image))
}

/// Writes a fresh BlockFS image of `root` at `image`.
fn write_image(root: &Path, image: &Path) -> Result<PathBuf> {
    let _ = fs::remove_file(image);
    let mut mkfs = Command::new(rootfs::build_mkfs()?);
    mkfs.arg("--output")
        .arg(image)
        .args(["--size", &IMAGE_MB.to_string(), "--populate"])
        .arg(root);
    progress::run_logged("write the rebuild image", "self-rebuild-image", &mut mkfs)?;
    Ok(image.to_path_buf())
}

/// Runs the script in a chroot of `root` (or reads the report a finished
/// one kept in `area`); returns its report.
fn build_on_linux(root: &Path, area: &Path) -> Result<script::Report> {
    let kept = area.join(LINUX_REPORT);
    if let Ok(text) = fs::read_to_string(&kept) {
        println!("  done earlier (report {})", kept.display());
        return Ok(script::parse(&text));
    }
    // The image is written: the chroot's builds land only in the tree.
    let (text, _) = run_in_chroot(root, &[script::PATH], "self-rebuild-linux")?;
    let report = script::parse(&text);
    if !report.done {
        bail!(
            "the chroot build did not finish; see {}",
            paths::log_dir().join("self-rebuild-linux.log").display()
        );
    }
    fs::write(&kept, &text)?;
    Ok(report)
}

/// Runs `/bin/sh <args>` in a chroot of `root` with a clean environment;
/// returns what it printed and its seconds. Output goes to the log
/// `<log_name>` (stderr beside it).
fn run_in_chroot(root: &Path, args: &[&str], log_name: &str) -> Result<(String, f64)> {
    let dev_null = root.join("dev/null");
    if !dev_null.exists() {
        let status = Command::new("mknod")
            .args(["-m", "666"])
            .arg(&dev_null)
            .args(["c", "1", "3"])
            .status()
            .context("cannot run mknod")?;
        if !status.success() {
            bail!(
                "mknod {} failed: the chroot build needs root",
                dev_null.display()
            );
        }
    }
    let log = progress::log_path(log_name)?;
    let started = Instant::now();
    let mut cmd = Command::new("chroot");
    cmd.arg(root)
        .arg("/bin/sh")
        .args(args)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .stdout(fs::File::create(&log)?)
        .stderr(fs::File::create(log.with_extension("err"))?);
    let status = cmd.status().context("cannot run chroot")?;
    let secs = started.elapsed().as_secs_f64();
    let text = fs::read_to_string(&log)?;
    if !status.success() {
        bail!(
            "the chroot build failed ({status}); see {} and {}",
            log.display(),
            log.with_extension("err").display()
        );
    }
    println!("  done in {secs:.0} s (log {})", log.display());
    Ok((text, secs))
}

/// Boots VeridianOS over `image` (written in place: it is this run's own)
/// with init running the script.
fn build_on_veridian(kernel: &Path, image: &Path, opts: &Options) -> Result<script::Report> {
    let log = run_in_guest(kernel, image, script::PATH, opts)?;
    let report = script::parse(&log);
    if !report.done {
        bail!(
            "the guest build did not finish; log {}",
            paths::log_dir().join(GUEST_LOG).display()
        );
    }
    Ok(report)
}

/// The guest's serial log, in the logs folder.
const GUEST_LOG: &str = "self-rebuild-serial.log";

/// Boots VeridianOS over `image` with init running `/bin/sh <script>`;
/// echoes its `SELFREBUILD` lines and returns the console log. The guest
/// must power off by itself.
fn run_in_guest(kernel: &Path, image: &Path, script: &str, opts: &Options) -> Result<String> {
    let log_path = paths::log_dir().join(GUEST_LOG);
    let vm = Vm {
        kernel: kernel.to_path_buf(),
        cmdline: format!("init=/sbin/init -- /bin/sh {script}"),
        disks: vec![image.to_path_buf()],
        memory_mb: MEMORY_MB,
        cpus: opts.cpus,
        accel: opts.accel,
        log: log_path.clone(),
        extra_serials: vec![],
        initrd: None,
        silence_limit: Some(opts.step_limit),
        user_net: false,
        snapshot: false,
    };
    let mut log = String::new();
    let started = Instant::now();
    let exit = vm.run(opts.limit, |line| {
        if line.contains("SELFREBUILD") {
            println!("  | {}", line.trim_end());
        }
        log.push_str(line);
        log.push('\n');
        Watch::Continue
    })?;
    println!(
        "  guest ended after {:.0} s: {exit:?} (log {})",
        started.elapsed().as_secs_f64(),
        log_path.display()
    );
    if !matches!(exit, VmExit::Status(_)) {
        bail!(
            "the guest did not power off by itself ({exit:?}); log {}",
            log_path.display()
        );
    }
    Ok(log)
}

/// `Ok(size)` when both files hold the same bytes, else why not.
fn compare(veridian: &Path, linux: &Path) -> std::result::Result<u64, String> {
    let a = fs::read(veridian).map_err(|e| format!("VeridianOS's {}: {e}", veridian.display()))?;
    let b = fs::read(linux).map_err(|e| format!("Linux's {}: {e}", linux.display()))?;
    match a.iter().zip(&b).position(|(x, y)| x != y) {
        None if a.len() == b.len() => Ok(a.len() as u64),
        None => Err(format!("sizes differ ({} and {} bytes)", a.len(), b.len())),
        Some(at) => Err(format!("first difference at byte {at:#x}")),
    }
}

/// Boots `kernel` over a scratch overlay (in `area`) of the rootfs, running
/// `cat /etc/os-release`: it must boot, start init and exit 0 with
/// `ID=veridian`.
fn boot_check(kernel: &Path, base_image: &Path, area: &Path, opts: &Options) -> Result<()> {
    let overlay = verify::qcow2_overlay(base_image, &area.join("boot-check.qcow2"))?;
    let vm = Vm {
        kernel: kernel.to_path_buf(),
        cmdline: "init=/sbin/init -- /bin/cat /etc/os-release".into(),
        disks: vec![overlay],
        memory_mb: 1024,
        cpus: opts.cpus,
        accel: opts.accel,
        log: paths::log_dir().join("self-rebuild-boot.log"),
        extra_serials: vec![],
        initrd: None,
        silence_limit: Some(Duration::from_secs(120)),
        user_net: false,
        snapshot: false,
    };
    let mut saw_id = false;
    let exit = vm.run(Duration::from_secs(300), |line| {
        saw_id |= line.trim_end() == "ID=veridian";
        Watch::Continue
    })?;
    if exit != VmExit::Status(0) || !saw_id {
        bail!("boot ended {exit:?}, ID=veridian seen: {saw_id}");
    }
    Ok(())
}
