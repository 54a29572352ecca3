//! The whole chain to the VeridianOS-hosted toolchain, as `cargo xtask
//! verify` runs it: LLVM for VeridianOS beside the build machine's stage-1
//! compiler (neither needs the other), then rustc and cargo for VeridianOS.
//! Each step is resumable and a no-op when up to date; the chain is skipped
//! when the install tree was built from today's inputs.

use anyhow::{anyhow, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{llvm, package, rustc, rustsrc};
use crate::toolchain;

/// A step of the chain: its label in the area's `logs/timings.txt` and the
/// wall time it took on this kind of machine (2 cores) when never measured.
struct Step {
    label: &'static str,
    logs: fn() -> PathBuf,
    default: Duration,
}

const MIN: u64 = 60;

const LLVM_STEPS: &[Step] = &[
    Step {
        label: "libc++, libc++abi, libunwind",
        logs: llvm_logs,
        default: Duration::from_secs(15 * MIN),
    },
    Step {
        label: "LLVM + lld",
        logs: llvm_logs,
        default: Duration::from_secs(70 * MIN),
    },
];

const STAGE1: Step = Step {
    label: "stage-1 compiler + std for VeridianOS",
    logs: rust_logs,
    default: Duration::from_secs(55 * MIN),
};

const HOSTED: Step = Step {
    label: "rustc + cargo for VeridianOS",
    logs: rust_logs,
    default: Duration::from_secs(35 * MIN),
};

fn llvm_logs() -> PathBuf {
    llvm::area().join("logs")
}

fn rust_logs() -> PathBuf {
    rustsrc::area().join("logs")
}

/// The last wall time `timings.txt` holds for `label`.
fn last_timing(timings: &str, label: &str) -> Option<Duration> {
    timings.lines().rev().find_map(|line| {
        let (name, rest) = line.split_once('\t')?;
        let secs: f64 = rest
            .strip_prefix("wall_s=")?
            .split('\t')
            .next()?
            .parse()
            .ok()?;
        (name == label).then(|| Duration::from_secs_f64(secs))
    })
}

fn estimate(step: &Step) -> Duration {
    let timings = fs::read_to_string((step.logs)().join("timings.txt")).unwrap_or_default();
    last_timing(&timings, step.label).unwrap_or(step.default)
}

/// The time left when LLVM (done or not) and the stage-1 compiler run side
/// by side, then the hosted compiler.
fn time_left(llvm_done: bool) -> Duration {
    let llvm: Duration = if llvm_done {
        Duration::ZERO
    } else {
        LLVM_STEPS.iter().map(estimate).sum()
    };
    llvm.max(estimate(&STAGE1)) + estimate(&HOSTED)
}

fn minutes(d: Duration) -> String {
    format!("{:.0} min", d.as_secs_f64() / 60.0)
}

/// Builds what is missing of the hosted toolchain; returns its install tree.
pub fn ensure_hosted_toolchain(jobs: usize) -> Result<PathBuf> {
    // Once here, so the two builds below find it up to date.
    toolchain::build(false)?;
    let install = package::install_dir();
    if rustc::is_current()? {
        println!("hosted toolchain: {} is up to date", install.display());
        return Ok(install);
    }
    let llvm_done = llvm::install_dir().join("bin/llvm-config").is_file();
    println!(
        "hosted toolchain: building it (resumable; estimated time left ~{}, from this machine's \
         last timings where it has them)",
        minutes(time_left(llvm_done))
    );
    // The stage-1 std for VeridianOS copies libc++ from LLVM's sysroot.
    println!("  libc++ for VeridianOS first (the stage-1 build links it):");
    llvm::build_runtimes(jobs)?;
    println!("  LLVM for VeridianOS and the build machine's stage-1 compiler, side by side:");
    let (llvm_result, stage1_result) = std::thread::scope(|s| {
        let llvm = s.spawn(|| llvm::build(jobs));
        let stage1 = s.spawn(|| rustc::build(jobs, false));
        (join(llvm), join(stage1))
    });
    llvm_result?;
    stage1_result?;
    println!(
        "  rustc and cargo for VeridianOS (estimated ~{}):",
        minutes(estimate(&HOSTED))
    );
    rustc::build(jobs, true)?;
    Ok(install)
}

fn join(handle: std::thread::ScopedJoinHandle<'_, Result<()>>) -> Result<()> {
    handle
        .join()
        .map_err(|_| anyhow!("a build thread panicked"))?
}

/// For `cargo xtask verify --quick`: the install tree when one was built
/// here (current or not), never building it.
pub fn existing_hosted_toolchain() -> Option<PathBuf> {
    let install = package::install_dir();
    is_installed(&install).then_some(install)
}

fn is_installed(install: &Path) -> bool {
    install.join("bin/rustc").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_timing_of_a_step_counts() {
        let timings =
            "LLVM + lld\twall_s=100.0\tpeak_kib=1\nconfigure llvm\twall_s=5.0\tpeak_kib=?\n\
                       LLVM + lld\twall_s=250.5\tpeak_kib=2\n";
        assert_eq!(
            last_timing(timings, "LLVM + lld"),
            Some(Duration::from_secs_f64(250.5))
        );
        assert_eq!(last_timing(timings, "stage-1"), None);
        assert_eq!(
            last_timing("garbage\nLLVM + lld\twall_s=x\n", "LLVM + lld"),
            None
        );
    }

    #[test]
    fn steps_have_the_labels_their_builds_record() {
        // The labels the builds pass to run::run_long.
        let llvm = include_str!("llvm.rs");
        let rustc = include_str!("rustc.rs");
        for step in LLVM_STEPS {
            assert!(
                llvm.contains(&format!("\"{}\"", step.label)),
                "{}",
                step.label
            );
        }
        for step in [&STAGE1, &HOSTED] {
            assert!(
                rustc.contains(&format!("\"{}\"", step.label)),
                "{}",
                step.label
            );
        }
    }
}
