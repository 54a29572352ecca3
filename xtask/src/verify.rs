//! `cargo xtask verify`: the main job. Builds what is missing (toolchain,
//! kernel, rootfs), runs the host-side checks, boots VeridianOS in QEMU with
//! the rootfs on virtio-blk running the self-hosting criteria of
//! [`criteria`](crate::criteria) (a busybox sh script),
//! and prints the table: each criterion PASS, FAIL (with the log lines that
//! show why) or SKIP (with the honest reason).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use veridian_run::cpus::Cpus;
use veridian_run::qemu::{Accel, Vm, VmExit, Watch};

use crate::criteria::{self, Verdict};
use crate::{conformance, kernel, paths, rootfs, selfhost, target_checks, toolchain, uefi};

/// Options of `cargo xtask verify`.
pub struct Options {
    pub accel: Accel,
    /// Print the serial log live.
    pub verbose: bool,
    /// Whole boot.
    pub limit: Duration,
    /// One criterion: COM1 silent this long means a hung step.
    pub step_limit: Duration,
    /// How the kernel is loaded.
    pub boot: uefi::BootMode,
    /// Leave the hosted toolchain as it is (use it when built, never build it).
    pub quick: bool,
    /// Parallel jobs of the toolchain builds.
    pub jobs: usize,
    /// A kernel image to boot instead of building one.
    pub kernel: Option<PathBuf>,
    /// Virtual CPUs of the guest.
    pub cpus: Cpus,
}

pub fn run(opts: &Options) -> Result<()> {
    // The long builds first: LLVM, then rustc and cargo for VeridianOS beside
    // clang (over an hour on an empty machine; resumable).
    let rust_tree = if opts.quick {
        let tree = selfhost::chain::existing_hosted_toolchain();
        if tree.is_none() {
            println!(
                "--quick: no VeridianOS-hosted rustc and cargo on this machine, so their rows SKIP; \
                 `cargo xtask verify` without --quick builds them (LLVM, then rustc and cargo \
                 for VeridianOS beside clang: over an hour here) and runs every row"
            );
        }
        tree
    } else {
        Some(selfhost::chain::ensure_hosted_toolchain(opts.jobs)?)
    };
    let tc = toolchain::build(false)?;
    println!("\nhost-side checks (the veridian toolchain on the Linux host, same syscall ABI):");
    let mut host_failures = 0;
    for (name, result) in [
        (
            "target spec as rustc reports it",
            target_checks::spec_json(&tc),
        ),
        ("rustc --print cfg", target_checks::cfg(&tc)),
        (
            "cargo +veridian build of hello: static, runs",
            target_checks::hello_with_rustup(&tc),
        ),
    ] {
        match result {
            Ok(()) => println!("  PASS  {name}"),
            Err(e) => {
                host_failures += 1;
                println!("  FAIL  {name}: {e:#}");
            }
        }
    }
    for outcome in conformance::run_on_host(&tc)? {
        host_failures += usize::from(!outcome.passed);
    }

    let kernel = match &opts.kernel {
        Some(image) if image.is_file() => image.clone(),
        Some(image) => bail!("--kernel {}: no such file", image.display()),
        None => kernel::build()?,
    };
    match &rust_tree {
        Some(tree) => println!("\nrootfs: with the VeridianOS-hosted Rust toolchain from {}", tree.display()),
        None => println!("\nrootfs: no VeridianOS-hosted Rust toolchain built on this machine (cargo xtask rustc)"),
    }
    let image = rootfs::build_with(&tc, rootfs::DEFAULT_SIZE_MB, rust_tree.as_deref())?;
    let staging = rootfs::staging_dir();
    let present = |p: &str| staging.join(p.trim_start_matches('/')).exists();
    // rustc inside QEMU gets 4 GiB (compiling peaks at 2-3 GiB); the other
    // criteria need little.
    let memory_mb = if rust_tree.is_some() { 4096 } else { 2048 };
    let rows = match boot_and_run_criteria(&kernel, &image, memory_mb, opts) {
        Ok(boot) => criteria::judge(&boot.log, present, boot.cut_short.as_deref()),
        Err(e) => {
            let why = format!("{e:#}");
            criteria::CRITERIA
                .iter()
                .map(|c| {
                    (
                        c.name,
                        if present(c.needs) {
                            Verdict::Fail(why.clone())
                        } else {
                            Verdict::Skip(c.missing_reason.into())
                        },
                    )
                })
                .collect()
        }
    };

    println!(
        "\nVeridianOS self-hosting verification ({:?}):",
        opts.accel.resolve()
    );
    println!("  {:<32} {:<6} detail", "criterion", "result");
    for (name, verdict) in &rows {
        let (word, detail) = match verdict {
            Verdict::Pass(d) => ("PASS", d),
            Verdict::Fail(d) => ("FAIL", d),
            Verdict::Skip(d) => ("SKIP", d),
        };
        println!("  {name:<32} {word:<6} {detail}");
    }
    let failed = rows
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::Fail(_)))
        .count()
        + host_failures;
    if failed > 0 {
        bail!("{failed} check(s) failed");
    }
    Ok(())
}

/// What a boot running the criteria script left.
struct CriteriaBoot {
    /// The serial log, as far as it got.
    log: String,
    /// Why the guest did not end by itself, when it did not.
    cut_short: Option<String>,
}

/// Boots VeridianOS over a scratch overlay of `image` with init running the
/// criteria script.
fn boot_and_run_criteria(
    kernel: &Path,
    image: &Path,
    memory_mb: u32,
    opts: &Options,
) -> Result<CriteriaBoot> {
    let dir = paths::veridian_build_dir().join("verify");
    std::fs::create_dir_all(&dir)?;
    let overlay = qcow2_overlay(image, &dir.join("root.qcow2"))?;
    let log_path = paths::log_dir().join("verify-serial.log");
    let cmdline = format!("init=/sbin/init -- /bin/sh {}", criteria::SCRIPT_PATH);
    let boot = uefi::boot_for(opts.boot, kernel, &cmdline, &dir)?;
    let vm = Vm {
        kernel: kernel.to_path_buf(),
        cmdline,
        disks: vec![overlay],
        memory_mb,
        cpus: opts.cpus,
        accel: opts.accel,
        log: log_path.clone(),
        extra_serials: vec![],
        initrd: None,
        silence_limit: Some(opts.step_limit),
        user_net: false,
        snapshot: false,
    };
    println!(
        "\nbooting VeridianOS ({:?}, {:?}, {} CPU(s)); serial log: {}",
        opts.accel.resolve(),
        opts.boot,
        opts.cpus,
        log_path.display()
    );
    let started = Instant::now();
    let mut log = String::new();
    let exit = vm.run_as(&boot, opts.limit, |line| {
        if opts.verbose {
            println!("  | {line}");
        }
        log.push_str(line);
        log.push('\n');
        Watch::Continue
    })?;
    println!(
        "  guest ended after {:.1} s: {exit:?}",
        started.elapsed().as_secs_f64()
    );
    let cut_short = match exit {
        VmExit::Status(_) => None,
        VmExit::Timeout => Some(format!(
            "boot did not finish within {:?} (QEMU killed); log {}",
            opts.limit,
            log_path.display()
        )),
        VmExit::Silent => Some(format!(
            "a step printed nothing for {:?} (QEMU killed); log {}",
            opts.step_limit,
            log_path.display()
        )),
        VmExit::NoStatus(code) => Some(format!(
            "QEMU stopped without a status ({code:?}); log {}",
            log_path.display()
        )),
        VmExit::Stopped => Some(format!("stopped; log {}", log_path.display())),
        VmExit::KernelFailure => Some(format!("the kernel failed; log {}", log_path.display())),
    };
    Ok(CriteriaBoot { log, cut_short })
}

/// A fresh qcow2 overlay over `base`, so the base image is never written.
pub fn qcow2_overlay(base: &Path, out: &Path) -> Result<PathBuf> {
    let _ = std::fs::remove_file(out);
    let status = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b"])
        .arg(std::fs::canonicalize(base)?)
        .arg(out)
        .status()
        .context("cannot run qemu-img")?;
    if !status.success() {
        bail!("qemu-img create failed for {}", out.display());
    }
    Ok(out.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boot_cut_short_keeps_the_verdicts_of_finished_criteria() {
        let log = "INIT: run /usr/local/bin/rustc --version\n\
                   rustc 1.96.0 (veridian)\n\
                   INIT: exit 0 /usr/local/bin/rustc\n\
                   INIT: run /usr/local/bin/rustc /usr/local/share/veridian/hello.rs -o /tmp/hello\n";
        let rows = criteria::judge(log, |_| true, Some("a step printed nothing for 600s"));
        let verdict = |name: &str| &rows.iter().find(|(n, _)| *n == name).unwrap().1;
        assert!(matches!(verdict("rustc runs"), Verdict::Pass(_)));
        for name in ["hello compiles", "hello executes"] {
            match verdict(name) {
                Verdict::Fail(d) => assert!(d.starts_with("a step printed nothing"), "{d}"),
                v => panic!("{name}: {v:?}"),
            }
        }
    }
}
