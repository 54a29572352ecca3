//! `cargo xtask bench compile`: the same VeridianOS-hosted rustc and cargo
//! binaries compiling the same sources inside VeridianOS (BlockFS root on
//! virtio-blk) and inside Debian's Linux kernel (the same tree on an ext4
//! virtio-blk disk of the same size, both behind a qcow2 overlay), with the
//! same QEMU settings: `rustc hello.rs`, `cargo build` of a small crate (blockfs, 13
//! files) and of a medium one with its dependencies (mkfs-blockfs and 25
//! crates from crates.io), the cargo steps at each `-j` asked (1 and the
//! CPU count unless told). The guest side is `native-build bench`, which
//! prints one `BENCH <step> <jobs> <seconds>` line per run. The table gives
//! medians, the VeridianOS/Linux ratio per row and each guest's speed-up of
//! the highest `-j` over `-j1`.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use veridian_run::cpus::Cpus;
use veridian_run::qemu::{Accel, Vm, VmExit, Watch};

use crate::{kernel, linux_guest, paths, rootfs, selfhost, toolchain, verify};

/// The guest program that runs the steps (it is Linux's init too).
const DRIVER: &str = "/usr/local/bin/native-build";

/// The kernel parameter naming the Linux guest's root disk, which the
/// driver reads as Linux init (`native-build`'s `linux_init::ROOT_PARAMETER`).
const LINUX_ROOT_PARAMETER: &str = "bench_root";

/// Memory of both guests: rustc peaks at 2-3 GiB on the medium crate.
const MEMORY_MB: u32 = 4096;

/// Steps in the order they run, with what the table calls them.
const STEPS: &[(&str, &str)] = &[
    ("rustc-hello", "rustc hello.rs"),
    ("cargo-small", "cargo build (blockfs)"),
    ("cargo-medium", "cargo build (mkfs-blockfs + deps)"),
];

/// Seconds per run, by step and `-j`, from a guest's serial log.
type Samples = BTreeMap<(String, u32), Vec<f64>>;

/// The goals the table is read against: VeridianOS no slower than Linux
/// on every row, and the highest `-j` at least this much faster than
/// `-j1` inside VeridianOS (with as many CPUs as jobs).
const GOAL_RATIO: f64 = 1.0;
const GOAL_SPEEDUP: f64 = 1.6;

/// The `-j` values to measure: those asked, else 1 and the CPU count.
fn jobs_to_run(asked: &[u32], cpus: Cpus) -> Vec<u32> {
    let mut jobs = if asked.is_empty() {
        vec![1, cpus.get()]
    } else {
        asked.to_vec()
    };
    jobs.sort_unstable();
    jobs.dedup();
    jobs
}

/// `cargo xtask bench compile`; with `stats`, VeridianOS also counts its
/// kernel work (the `stats` boot flag) and the report follows the table.
pub fn compile(runs: u32, jobs: &[u32], accel: Accel, cpus: Cpus, stats: bool) -> Result<()> {
    let accel = accel.resolve();
    let jobs = jobs_to_run(jobs, cpus);
    let jobs_list = jobs
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let tree = selfhost::chain::existing_hosted_toolchain().context(
        "bench compile needs the VeridianOS-hosted rustc and cargo: run `cargo xtask verify` \
         (or `cargo xtask llvm` and `cargo xtask rustc`) first",
    )?;
    let tc = toolchain::build(false)?;
    let kernel = kernel::build()?;
    let image = rootfs::build_with(&tc, rootfs::DEFAULT_SIZE_MB, Some(&tree))?;
    let dir = paths::veridian_build_dir().join("bench");
    fs::create_dir_all(&dir)?;
    let linux_disk = dir.join("compile-linux-root.ext4");
    crate::progress::run_step("write the Linux guest's ext4 disk", || {
        ext4_image_of_tree(&rootfs::staging_dir(), rootfs::DEFAULT_SIZE_MB, &linux_disk)
    })?;
    let initrd = dir.join("compile-initrd.cpio");
    linux_guest::initramfs_with_modules(
        &rootfs::staging_dir().join(DRIVER.trim_start_matches('/')),
        &linux_guest::disk_modules()?,
        &initrd,
    )?;
    let args = format!("bench {jobs_list} {runs}");
    let linux = Vm {
        kernel: linux_guest::kernel()?,
        cmdline: format!(
            "{} {LINUX_ROOT_PARAMETER}=/dev/vda -- {args}",
            linux_guest::CMDLINE
        ),
        disks: vec![verify::qcow2_overlay(
            &linux_disk,
            &dir.join("compile-linux-overlay.qcow2"),
        )?],
        memory_mb: MEMORY_MB,
        cpus,
        accel,
        log: dir.join("compile-linux.log"),
        extra_serials: vec![],
        initrd: Some(initrd),
        silence_limit: Some(Duration::from_secs(900)),
        user_net: false,
        snapshot: false,
    };
    let veridian = Vm {
        kernel,
        cmdline: format!(
            "{}init={DRIVER} -- {args}",
            if stats { "stats " } else { "" }
        ),
        disks: vec![verify::qcow2_overlay(
            &image,
            &dir.join("compile-overlay.qcow2"),
        )?],
        memory_mb: MEMORY_MB,
        cpus,
        accel,
        log: dir.join("compile-veridian.log"),
        extra_serials: vec![],
        initrd: None,
        silence_limit: Some(Duration::from_secs(900)),
        user_net: false,
        snapshot: false,
    };
    println!(
        "bench compile: VeridianOS ({runs} run(s) per step, -j {jobs_list}); log {}",
        veridian.log.display()
    );
    let (on_veridian, kernel_stats) = samples_of(&veridian)?;
    println!("bench compile: Linux; log {}", linux.log.display());
    let (on_linux, _) = samples_of(&linux)?;
    println!(
        "\ncompile benchmark ({accel:?}, {cpus} CPU(s), -m {MEMORY_MB}M, medians of {runs}; \
         each reads the tree from its own file system on virtio-blk):"
    );
    print!("{}", table(&on_veridian, &on_linux, &jobs));
    if stats {
        println!(
            "\nVeridianOS kernel work over the whole boot (on-CPU time; the costliest {STATS_ROWS}):"
        );
        for line in kernel_stats.iter().take(STATS_ROWS + 1) {
            println!("  {line}");
        }
    }
    Ok(())
}

/// The table's rows: each step at each `-j` (rustc alone at 1), then the
/// speed-up lines, then the goals.
fn table(on_veridian: &Samples, on_linux: &Samples, jobs: &[u32]) -> String {
    let mut out = format!(
        "  {:<38} {:>12} {:>12} {:>8}\n",
        "step", "VeridianOS", "Linux", "ratio"
    );
    let mut worst_ratio: Option<f64> = None;
    for (key, label) in STEPS {
        let row_jobs: &[u32] = if *key == "rustc-hello" { &[1] } else { jobs };
        for &j in row_jobs {
            let get = |s: &Samples| median(s.get(&(key.to_string(), j)));
            let (v, l) = (get(on_veridian), get(on_linux));
            let ratio = match (v, l) {
                (Some(v), Some(l)) if l > 0.0 => {
                    worst_ratio = Some(worst_ratio.map_or(v / l, |w: f64| w.max(v / l)));
                    format!("{:.2}", v / l)
                }
                _ => "-".into(),
            };
            let label = if *key == "rustc-hello" {
                label.to_string()
            } else {
                format!("{label} -j{j}")
            };
            out += &format!(
                "  {label:<38} {:>12} {:>12} {ratio:>8}\n",
                seconds(v),
                seconds(l)
            );
        }
    }
    let mut speedups = Vec::new();
    if let (Some(&lo), Some(&hi)) = (jobs.first(), jobs.last()) {
        if hi > lo {
            out += &format!("  speed-up of -j{hi} over -j{lo}:\n");
            for (key, label) in STEPS.iter().filter(|(k, _)| *k != "rustc-hello") {
                let speedup = |s: &Samples| {
                    let at = |j: u32| median(s.get(&(key.to_string(), j)));
                    match (at(lo), at(hi)) {
                        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                        _ => None,
                    }
                };
                let (v, l) = (speedup(on_veridian), speedup(on_linux));
                speedups.push((*label, v, l));
                let times = |x: Option<f64>| x.map_or("-".into(), |x| format!("{x:.2}x"));
                out += &format!("  {label:<38} {:>12} {:>12}\n", times(v), times(l));
            }
        }
    }
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    if let Some(w) = worst_ratio {
        out += &format!(
            "  goal: VeridianOS/Linux <= {GOAL_RATIO:.1} on every row: {} (worst {w:.2})\n",
            verdict(w <= GOAL_RATIO)
        );
    }
    // Only a step with work for a second CPU can show the speed-up: one
    // whose Linux run itself gains at least the goal.
    let (judged, unjudged): (Vec<_>, Vec<_>) = speedups
        .iter()
        .filter(|(_, v, _)| v.is_some())
        .partition(|(_, _, l)| l.is_some_and(|l| l >= GOAL_SPEEDUP));
    let hi = jobs.last().copied().unwrap_or(1);
    if let Some(least) = judged.iter().filter_map(|(_, v, _)| *v).reduce(f64::min) {
        out += &format!(
            "  goal: -j{hi} at least {GOAL_SPEEDUP:.1}x faster than -j1 inside VeridianOS: {} (least {least:.2}x)\n",
            verdict(least >= GOAL_SPEEDUP)
        );
    } else if !speedups.is_empty() {
        out += &format!(
            "  goal: -j{hi} at least {GOAL_SPEEDUP:.1}x faster than -j1: not judged (no step where Linux gains that much)\n"
        );
    }
    for (label, _, l) in unjudged {
        out += &format!(
            "  (not judged for the speed-up: {label}, where Linux gains {} — too little parallel work)\n",
            l.map_or("-".into(), |l| format!("{l:.2}x"))
        );
    }
    out
}

fn seconds(s: Option<f64>) -> String {
    s.map_or("-".into(), |s| format!("{s:.2} s"))
}

fn median(samples: Option<&Vec<f64>>) -> Option<f64> {
    let mut v = samples?.clone();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// KSTAT rows printed after the table (the header line comes first).
const STATS_ROWS: usize = 20;

/// Boots `vm` and collects its BENCH lines and any `KSTAT` report (which
/// VeridianOS prints at power-off, after `BENCH done`); fails unless
/// `BENCH done` came.
fn samples_of(vm: &Vm) -> Result<(Samples, Vec<String>)> {
    let mut samples = Samples::new();
    let mut stats = Vec::new();
    let mut done = false;
    let exit = vm.run(Duration::from_secs(4 * 3600), |line| {
        if let Some((step, jobs, secs)) = parse_line(line) {
            println!("  {step} -j{jobs}: {secs:.2} s");
            samples.entry((step, jobs)).or_default().push(secs);
        } else if line.trim_end().ends_with("BENCH done") {
            done = true;
            if !vm.cmdline.starts_with("stats ") {
                return Watch::Stop;
            }
        } else if let Some(at) = line.find("KSTAT ") {
            let row = line[at..].trim_end();
            if row == "KSTAT end" {
                return Watch::Stop;
            }
            stats.push(row.to_string());
        }
        Watch::Continue
    })?;
    if !done {
        bail!(
            "the guest ended ({exit:?}) before `BENCH done`; log {}",
            vm.log.display()
        );
    }
    if exit == VmExit::Timeout {
        bail!("timed out; log {}", vm.log.display());
    }
    Ok((samples, stats))
}

/// `BENCH <step> <jobs> <seconds>`.
fn parse_line(line: &str) -> Option<(String, u32, f64)> {
    let rest = &line[line.find("BENCH ")? + "BENCH ".len()..];
    let mut words = rest.split_whitespace();
    let step = words.next()?;
    let jobs: u32 = words.next()?.parse().ok()?;
    let secs: f64 = words.next()?.parse().ok()?;
    Some((step.to_string(), jobs, secs))
}

/// An ext4 image of `size_mb` MiB holding `tree` (mke2fs copies it in).
fn ext4_image_of_tree(tree: &Path, size_mb: u32, out: &Path) -> Result<()> {
    crate::setup::ensure(&["e2fsprogs"])?;
    let _ = fs::remove_file(out);
    let output = Command::new("mke2fs")
        .args([
            "-q",
            "-F",
            "-t",
            "ext4",
            "-L",
            "bench-root",
            "-E",
            "root_owner=0:0",
            "-d",
        ])
        .arg(tree)
        .arg(out)
        .arg(format!("{size_mb}M"))
        .output()
        .context("cannot run mke2fs")?;
    if !output.status.success() {
        bail!(
            "mke2fs could not write {}: {}",
            out.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_lines_parse() {
        assert_eq!(
            parse_line("BENCH cargo-small 2 12.500"),
            Some(("cargo-small".into(), 2, 12.5))
        );
        assert_eq!(
            parse_line("[   3.1] BENCH rustc-hello 1 4.000\r"),
            Some(("rustc-hello".into(), 1, 4.0))
        );
        assert_eq!(parse_line("BENCH done"), None);
        assert_eq!(parse_line("nothing"), None);
        assert_eq!(median(Some(&vec![3.0, 1.0, 2.0])), Some(2.0));
        assert_eq!(median(Some(&vec![])), None);
    }

    #[test]
    fn jobs_default_to_one_and_the_cpu_count() {
        let two = Cpus::new(2).unwrap();
        assert_eq!(jobs_to_run(&[], two), [1, 2]);
        assert_eq!(jobs_to_run(&[], Cpus::ONE), [1]);
        assert_eq!(jobs_to_run(&[4, 1, 4], two), [1, 4]);
    }

    #[test]
    fn table_has_ratios_speedups_and_goals() {
        let mut v = Samples::new();
        let mut l = Samples::new();
        for (step, j, secs_v, secs_l) in [
            ("rustc-hello", 1, 4.0, 2.0),
            ("cargo-small", 1, 10.0, 10.0),
            ("cargo-small", 2, 5.0, 6.0),
            ("cargo-medium", 1, 100.0, 50.0),
            ("cargo-medium", 2, 80.0, 25.0),
        ] {
            v.insert((step.into(), j), vec![secs_v]);
            l.insert((step.into(), j), vec![secs_l]);
        }
        let t = table(&v, &l, &[1, 2]);
        assert!(t.contains("rustc hello.rs"), "{t}");
        assert!(t.contains("cargo build (blockfs) -j2"), "{t}");
        assert!(t.contains("3.20"), "medium -j2 ratio: {t}");
        assert!(t.contains("2.00x"), "small speed-up: {t}");
        assert!(t.contains("1.25x"), "medium speed-up: {t}");
        assert!(
            t.contains("<= 1.0 on every row: NOT met (worst 3.20)"),
            "{t}"
        );
        assert!(t.contains("NOT met (least 1.25x)"), "{t}");
        // A step where Linux itself gains too little is not judged.
        l.insert(("cargo-small".into(), 2), vec![9.0]);
        let t = table(&v, &l, &[1, 2]);
        assert!(t.contains("NOT met (least 1.25x)"), "{t}");
        assert!(
            t.contains(
                "not judged for the speed-up: cargo build (blockfs), where Linux gains 1.11x"
            ),
            "{t}"
        );
        v.insert(("cargo-medium".into(), 2), vec![50.0]);
        let t = table(&v, &l, &[1, 2]);
        assert!(
            t.contains("faster than -j1 inside VeridianOS: met (least 2.00x)"),
            "{t}"
        );
    }
}
