//! `cargo xtask bench compile`: the same VeridianOS-hosted rustc and cargo
//! binaries compiling the same sources inside VeridianOS (BlockFS root on
//! virtio-blk) and inside Debian's Linux kernel (the same tree as an
//! initramfs, so Linux reads its files from RAM), with the same QEMU
//! settings: `rustc hello.rs`, `cargo build` of a small crate (blockfs, 13
//! files) and of a medium one with its dependencies (mkfs-blockfs and 25
//! crates from crates.io), the cargo steps at each `-j` asked (1 and the
//! CPU count unless told). The guest side is `native-build bench`, which
//! prints one `BENCH <step> <jobs> <seconds>` line per run. The table gives
//! medians, the VeridianOS/Linux ratio per row and each guest's speed-up of
//! the highest `-j` over `-j1`.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use veridian_run::cpus::Cpus;
use veridian_run::qemu::{Accel, Vm, VmExit, Watch};

use crate::{kernel, linux_guest, paths, rootfs, selfhost, toolchain, verify};

/// The guest program that runs the steps (it is Linux's init too).
const DRIVER: &str = "/usr/local/bin/native-build";

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
    let initrd = dir.join("compile-initrd.cpio");
    crate::progress::run_step("write the Linux guest's initramfs", || {
        initramfs_of_tree(&rootfs::staging_dir(), &initrd)
    })?;
    let args = format!("bench {jobs_list} {runs}");
    let linux = Vm {
        kernel: linux_guest::kernel()?,
        cmdline: format!("console=ttyS0 quiet panic=-1 rdinit={DRIVER} -- {args}"),
        disks: vec![],
        memory_mb: MEMORY_MB,
        cpus,
        accel,
        log: dir.join("compile-linux.log"),
        extra_serials: vec![],
        initrd: Some(initrd),
        silence_limit: Some(Duration::from_secs(900)),
        user_net: false,
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
         Linux reads the tree from RAM, VeridianOS from virtio-blk):"
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

/// A newc initramfs of the rootfs staging tree (files, folders, symlinks),
/// plus the `/dev/console` node Linux opens for init.
fn initramfs_of_tree(tree: &Path, out: &Path) -> Result<()> {
    let mut w = BufWriter::new(
        File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
    );
    let mut ino = 1u32;
    let mut has_dev = false;
    for entry in walkdir::WalkDir::new(tree).sort_by_file_name().min_depth(1) {
        let entry = entry?;
        let name = entry
            .path()
            .strip_prefix(tree)?
            .to_string_lossy()
            .into_owned();
        let meta = fs::symlink_metadata(entry.path())?;
        let builder = cpio::newc::Builder::new(&name)
            .ino(ino)
            .mode(meta.mode())
            .nlink(1)
            .mtime(u32::try_from(meta.mtime()).unwrap_or(0));
        ino += 1;
        let kind = meta.file_type();
        let data: Vec<u8> = if kind.is_symlink() {
            fs::read_link(entry.path())?
                .to_string_lossy()
                .into_owned()
                .into_bytes()
        } else if kind.is_file() {
            fs::read(entry.path())?
        } else {
            Vec::new()
        };
        if name == "dev" {
            has_dev = true;
        }
        let mut file = builder.write(w, u32::try_from(data.len()).context("file over 4 GiB")?);
        file.write_all(&data)?;
        w = file.finish()?;
    }
    if !has_dev {
        w = cpio::newc::Builder::new("dev")
            .ino(ino)
            .mode(0o040755)
            .nlink(1)
            .write(w, 0)
            .finish()?;
        ino += 1;
    }
    w = cpio::newc::Builder::new("dev/console")
        .ino(ino)
        .mode(0o020600)
        .nlink(1)
        .rdev_major(5)
        .rdev_minor(1)
        .write(w, 0)
        .finish()?;
    cpio::newc::trailer(w)?.flush()?;
    let _ = fs::set_permissions(out, fs::Permissions::from_mode(0o644));
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

    #[test]
    fn tree_becomes_an_initramfs_with_a_console() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = tmp.path().join("tree");
        fs::create_dir_all(tree.join("usr/bin")).unwrap();
        fs::write(tree.join("usr/bin/prog"), b"\x7fELF").unwrap();
        std::os::unix::fs::symlink("prog", tree.join("usr/bin/alias")).unwrap();
        let out = tmp.path().join("initrd");
        initramfs_of_tree(&tree, &out).unwrap();
        let mut names = Vec::new();
        let mut reader = File::open(&out).unwrap();
        loop {
            let entry = cpio::NewcReader::new(reader).unwrap();
            if entry.entry().is_trailer() {
                break;
            }
            names.push((
                entry.entry().name().to_string(),
                entry.entry().mode() & 0o170000,
            ));
            reader = entry.finish().unwrap();
        }
        assert_eq!(
            names,
            [
                ("usr".to_string(), 0o040000),
                ("usr/bin".into(), 0o040000),
                ("usr/bin/alias".into(), 0o120000),
                ("usr/bin/prog".into(), 0o100000),
                ("dev".into(), 0o040000),
                ("dev/console".into(), 0o020000),
            ]
        );
    }
}
