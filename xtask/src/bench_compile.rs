//! `cargo xtask bench compile`: the same VeridianOS-hosted rustc and cargo
//! binaries compiling the same sources inside VeridianOS (BlockFS root on
//! virtio-blk) and inside Debian's Linux kernel (the same tree as an
//! initramfs, so Linux reads its files from RAM), with the same QEMU
//! settings: `rustc hello.rs`, `cargo build` of a small crate (blockfs, 13
//! files) and of a medium one with its dependencies (mkfs-blockfs and 25
//! crates from crates.io). The guest side is `native-build bench`, which
//! prints one `BENCH <step> <jobs> <seconds>` line per run.

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

/// Seconds per run, by step, from a guest's serial log.
type Samples = BTreeMap<String, Vec<f64>>;

/// `cargo xtask bench compile`.
pub fn compile(runs: u32, jobs: u32, accel: Accel, cpus: Cpus) -> Result<()> {
    let accel = accel.resolve();
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
    let args = format!("bench {jobs} {runs}");
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
        cmdline: format!("init={DRIVER} -- {args}"),
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
        "bench compile: VeridianOS ({runs} run(s) per step, -j{jobs}); log {}",
        veridian.log.display()
    );
    let on_veridian = samples_of(&veridian)?;
    println!("bench compile: Linux; log {}", linux.log.display());
    let on_linux = samples_of(&linux)?;
    println!(
        "\ncompile benchmark ({accel:?}, {cpus} CPU(s), -m {MEMORY_MB}M, -j{jobs}, medians of {runs}; \
         Linux reads the tree from RAM, VeridianOS from virtio-blk):"
    );
    println!(
        "  {:<34} {:>12} {:>12} {:>8}",
        "step", "VeridianOS", "Linux", "ratio"
    );
    for (key, label) in STEPS {
        let (v, l) = (median(on_veridian.get(*key)), median(on_linux.get(*key)));
        let ratio = match (v, l) {
            (Some(v), Some(l)) if l > 0.0 => format!("{:.2}", v / l),
            _ => "-".into(),
        };
        println!(
            "  {label:<34} {:>12} {:>12} {ratio:>8}",
            seconds(v),
            seconds(l)
        );
    }
    Ok(())
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

/// Boots `vm` and collects its BENCH lines; fails unless `BENCH done` came.
fn samples_of(vm: &Vm) -> Result<Samples> {
    let mut samples = Samples::new();
    let mut done = false;
    let exit = vm.run(Duration::from_secs(4 * 3600), |line| {
        if let Some((step, secs)) = parse_line(line) {
            println!("  {step}: {secs:.2} s");
            samples.entry(step).or_default().push(secs);
        } else if line.trim_end().ends_with("BENCH done") {
            done = true;
            return Watch::Stop;
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
    Ok(samples)
}

/// `BENCH <step> <jobs> <seconds>` (the step keyed without the jobs).
fn parse_line(line: &str) -> Option<(String, f64)> {
    let rest = &line[line.find("BENCH ")? + "BENCH ".len()..];
    let mut words = rest.split_whitespace();
    let step = words.next()?;
    let _jobs: u32 = words.next()?.parse().ok()?;
    let secs: f64 = words.next()?.parse().ok()?;
    Some((step.to_string(), secs))
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
            Some(("cargo-small".into(), 12.5))
        );
        assert_eq!(
            parse_line("[   3.1] BENCH rustc-hello 1 4.000\r"),
            Some(("rustc-hello".into(), 4.0))
        );
        assert_eq!(parse_line("BENCH done"), None);
        assert_eq!(parse_line("nothing"), None);
        assert_eq!(median(Some(&vec![3.0, 1.0, 2.0])), Some(2.0));
        assert_eq!(median(Some(&vec![])), None);
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
