//! The whole chain to the VeridianOS-hosted toolchain, as `cargo xtask
//! verify` runs it: libc++ and what rustc links of LLVM (its libraries and
//! lld) for VeridianOS, then rustc and cargo for VeridianOS beside clang for
//! the guest (neither needs the other). Each step is resumable and a no-op
//! when up to date; the chain is skipped when the install tree was built
//! from today's inputs.

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

const RUNTIMES: Step = Step {
    label: "libc++, libc++abi, libunwind",
    logs: llvm_logs,
    default: Duration::from_secs(2 * MIN),
};

const LLVM_FOR_RUSTC: Step = Step {
    label: llvm::RUSTC_PART,
    logs: llvm_logs,
    default: Duration::from_secs(40 * MIN),
};

const CLANG: Step = Step {
    label: llvm::CLANG_PART,
    logs: llvm_logs,
    default: Duration::from_secs(40 * MIN),
};

const HOSTED: Step = Step {
    label: rustc::HOSTED_STEP,
    logs: rust_logs,
    default: Duration::from_secs(65 * MIN),
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

/// The time left: what rustc links of LLVM (unless built), then the hosted
/// compiler beside clang.
fn time_left(llvm_for_rustc_done: bool) -> Duration {
    let first: Duration = if llvm_for_rustc_done {
        Duration::ZERO
    } else {
        estimate(&RUNTIMES) + estimate(&LLVM_FOR_RUSTC)
    };
    let clang = if llvm::clang_is_built() {
        Duration::ZERO
    } else {
        estimate(&CLANG)
    };
    first + clang.max(estimate(&HOSTED))
}

fn minutes(d: Duration) -> String {
    format!("{:.0} min", d.as_secs_f64() / 60.0)
}

/// Builds what is missing of the hosted toolchain; returns its install tree.
pub fn ensure_hosted_toolchain(jobs: usize) -> Result<PathBuf> {
    // Once here, so the builds below find it up to date.
    toolchain::build(false)?;
    let install = package::install_dir();
    if rustc::is_current()? && llvm::clang_is_built() {
        println!("hosted toolchain: {} is up to date", install.display());
        return Ok(install);
    }
    println!(
        "hosted toolchain: building it (resumable; estimated time left ~{}, from this machine's \
         last timings where it has them)",
        minutes(time_left(llvm::rustc_part_is_built()))
    );
    println!("  libc++, then LLVM's libraries and lld for VeridianOS (what rustc links):");
    llvm::build_for_rustc(jobs)?;
    println!(
        "  rustc and cargo for VeridianOS beside clang for the guest (estimated ~{}):",
        minutes(estimate(&HOSTED).max(estimate(&CLANG)))
    );
    let (clang_result, hosted_result) = std::thread::scope(|s| {
        let clang = s.spawn(|| llvm::build_clang(jobs));
        let hosted = s.spawn(|| {
            if rustc::is_current()? {
                Ok(())
            } else {
                rustc::build(jobs)
            }
        });
        (join(clang), join(hosted))
    });
    clang_result?;
    hosted_result?;
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
        assert_eq!(last_timing(timings, "clang"), None);
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
        assert!(llvm.contains(&format!("\"{}\"", RUNTIMES.label)));
        assert!(llvm.contains("RUSTC_PART,") && llvm.contains("CLANG_PART,"));
        assert!(rustc.contains("HOSTED_STEP,"));
    }
}
