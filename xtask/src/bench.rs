//! `cargo xtask bench …`: benchmarks reported as ratios against an anchor
//! measured in the same run with the same QEMU settings.
//!
//! - `boot`: QEMU start → first line of the static `hello` program, on
//!   VeridianOS (hello as init from the BlockFS root) and on Debian's Linux
//!   kernel (hello as /init of an initramfs).
//! - `runner`: `veridian-run hello` against running hello natively, and
//!   the phases of a run timed from its COM1 echo.

use anyhow::{bail, Context, Result};
use std::process::Command;
use std::time::{Duration, Instant};

use veridian_run::cpus::Cpus;
use veridian_run::qemu::{Accel, Vm, VmExit, Watch};

use crate::{conformance, kernel, linux_guest, paths, rootfs, toolchain, verify};

/// What hello prints; its appearance on COM1 marks "first user output".
const HELLO_LINE: &str = "Hello from VeridianOS rustc!";
const BOOT_LIMIT: Duration = Duration::from_secs(120);

/// One guest's measurements.
struct Timing {
    to_hello: Vec<Duration>,
    to_exit: Vec<Duration>,
}

impl Timing {
    fn new() -> Self {
        Timing {
            to_hello: Vec::new(),
            to_exit: Vec::new(),
        }
    }
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Boots `vm` once; returns (time to hello's line, time to QEMU exit).
fn boot_once(vm: &Vm) -> Result<(Duration, Duration)> {
    let start = Instant::now();
    let mut seen = None;
    let exit = vm.run(BOOT_LIMIT, |line| {
        if seen.is_none() && line.contains(HELLO_LINE) {
            seen = Some(start.elapsed());
        }
        Watch::Continue
    })?;
    let total = start.elapsed();
    if exit == VmExit::Timeout {
        bail!("timed out after {BOOT_LIMIT:?}; log {}", vm.log.display());
    }
    let to_hello = seen.with_context(|| {
        format!(
            "hello's line never appeared ({exit:?}); log {}",
            vm.log.display()
        )
    })?;
    Ok((to_hello, total))
}

/// `cargo xtask bench boot`.
pub fn boot(rounds: usize, accel: Accel, cpus: Cpus) -> Result<()> {
    let accel = accel.resolve();
    let tc = toolchain::build(false)?;
    let bin_dir = conformance::build(&tc)?;
    let hello = bin_dir.join("hello");
    let dir = paths::veridian_build_dir().join("bench");
    std::fs::create_dir_all(&dir)?;

    let linux_kernel = linux_guest::kernel()?;
    let initrd = dir.join("hello-initrd.cpio");
    linux_guest::initramfs(&hello, &initrd)?;
    let linux = Vm {
        kernel: linux_kernel,
        cmdline: linux_guest::CMDLINE.into(),
        disks: vec![],
        memory_mb: 512,
        cpus,
        accel,
        log: dir.join("linux-boot.log"),
        extra_serials: vec![],
        initrd: Some(initrd),
        silence_limit: None,
        user_net: false,
        snapshot: false,
    };

    let veridian = match kernel::build().ok() {
        Some(image) => {
            let rootfs = rootfs::build(&tc, rootfs::DEFAULT_SIZE_MB)?;
            Some(Vm {
                kernel: image,
                cmdline: "init=/usr/local/bin/hello".into(),
                disks: vec![verify::qcow2_overlay(
                    &rootfs,
                    &dir.join("bench-overlay.qcow2"),
                )?],
                memory_mb: 512,
                cpus,
                accel,
                log: dir.join("veridian-boot.log"),
                extra_serials: vec![],
                initrd: None,
                silence_limit: None,
                user_net: false,
                snapshot: false,
            })
        }
        None => {
            println!("bench boot: SKIP VeridianOS side: the kernel does not build (see cargo xtask kernel)");
            None
        }
    };

    let (mut lt, mut vt) = (Timing::new(), Timing::new());
    for round in 1..=rounds {
        let (h, e) = boot_once(&linux)?;
        lt.to_hello.push(h);
        lt.to_exit.push(e);
        if let Some(vm) = &veridian {
            let (h, e) = boot_once(vm)?;
            vt.to_hello.push(h);
            vt.to_exit.push(e);
        }
        println!("  round {round}/{rounds} done");
    }
    println!("\nboot benchmark ({accel:?}, -m 512M, {cpus} CPU(s), {rounds} rounds, medians; QEMU start -> hello's line):");
    println!(
        "  {:<28} {:>12} {:>14}",
        "guest", "to hello", "to power-off"
    );
    println!(
        "  {:<28} {:>12} {:>14}",
        "Linux (Debian, initramfs)",
        ms(median(&lt.to_hello)),
        ms(median(&lt.to_exit))
    );
    if veridian.is_some() {
        println!(
            "  {:<28} {:>12} {:>14}",
            "VeridianOS (BlockFS root)",
            ms(median(&vt.to_hello)),
            ms(median(&vt.to_exit))
        );
        let ratio = median(&vt.to_hello).as_secs_f64() / median(&lt.to_hello).as_secs_f64();
        println!("  ratio VeridianOS / Linux (to hello): {ratio:.3}");
    }
    Ok(())
}

/// The runner's goal: at most this much slower than running natively.
const RUNNER_GOAL: Duration = Duration::from_millis(300);

/// `cargo xtask bench runner`. The runner is timed as `veridian-run --no-package hello`: cargo sets
/// `CARGO_MANIFEST_DIR` for xtask itself, which would otherwise copy this
/// repository's xtask folder into every run.
pub fn runner(rounds: usize) -> Result<()> {
    let tc = toolchain::build(false)?;
    let bin_dir = conformance::build(&tc)?;
    let hello = bin_dir.join("hello");
    kernel::build()?;
    rootfs::build(&tc, rootfs::DEFAULT_SIZE_MB)?;
    let runner = tc.dir.join("bin/veridian-run");
    let time = |cmd: &mut Command| -> Result<Duration> {
        let start = Instant::now();
        let out = cmd.output()?;
        if !out.status.success() || !String::from_utf8_lossy(&out.stdout).contains(HELLO_LINE) {
            bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(start.elapsed())
    };
    let (mut native, mut vm) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        native.push(time(&mut Command::new(&hello))?);
        vm.push(time(Command::new(&runner).arg("--no-package").arg(&hello))?);
    }
    let phases = runner_phases(&runner, &hello, rounds)?;
    let (n, v) = (median(&native), median(&vm));
    println!("\nrunner benchmark ({rounds} rounds, medians):");
    println!("  native hello:              {}", ms(n));
    println!("  veridian-run hello (QEMU): {}", ms(v));
    println!(
        "  ratio veridian-run / native: {:.1}",
        v.as_secs_f64() / n.as_secs_f64()
    );
    let overhead = v.saturating_sub(n);
    println!(
        "  overhead over native: {} (goal <= {}: {})",
        ms(overhead),
        ms(RUNNER_GOAL),
        if overhead <= RUNNER_GOAL {
            "met"
        } else {
            "NOT met"
        }
    );
    println!("  where a run's time goes (medians of {rounds} runs with -v):");
    for (what, d) in phases {
        println!("    {what:<44} {}", ms(d));
    }
    Ok(())
}

/// The COM1 lines (as `veridian-run -v` echoes them) that end each phase
/// of a run, and the phase's name.
const RUNNER_PHASES: [(&str, &str); 4] = [
    ("] veridian: boot ok", "QEMU start, firmware, kernel entry"),
    (
        "] INIT: started as pid",
        "kernel start to init's first line",
    ),
    ("] INIT: run ", "init: loading the run bundle"),
    ("] INIT: exit ", "the program (exec to exit)"),
];

/// Times the phases of `veridian-run -v hello` from its COM1 echo; the last
/// phase runs to the runner's exit (sync, power-off, QEMU's exit).
fn runner_phases(
    runner: &std::path::Path,
    hello: &std::path::Path,
    rounds: usize,
) -> Result<Vec<(&'static str, Duration)>> {
    use std::io::BufRead;
    let mut samples = vec![Vec::new(); RUNNER_PHASES.len() + 1];
    for _ in 0..rounds {
        let start = Instant::now();
        let mut child = Command::new(runner)
            .args(["-v", "--no-package"])
            .arg(hello)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().context("piped")?;
        let mut ends = Vec::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line?;
            if let Some((marker, _)) = RUNNER_PHASES.get(ends.len()) {
                if line.contains(marker) {
                    ends.push(start.elapsed());
                }
            }
        }
        if !child.wait()?.success() || ends.len() != RUNNER_PHASES.len() {
            bail!("veridian-run -v hello did not show every phase");
        }
        ends.push(start.elapsed());
        let mut last = Duration::ZERO;
        for (sample, end) in samples.iter_mut().zip(ends) {
            sample.push(end - last);
            last = end;
        }
    }
    let names = RUNNER_PHASES
        .iter()
        .map(|(_, name)| *name)
        .chain(["sync, power-off and QEMU's exit"]);
    Ok(names.zip(samples.iter().map(|s| median(s))).collect())
}
