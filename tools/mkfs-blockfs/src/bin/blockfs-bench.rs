//! Benchmark: populate a fresh 2 GiB image from a ~1 GiB tree with
//! `mkfs-blockfs --output IMG --size 2048 --populate DIR`, and the same tree
//! with `mke2fs -q -t ext2 -d DIR IMG 2G`, in the same run.
//!
//! ```text
//! cargo build --release -p mkfs-blockfs
//! target/release/blockfs-bench [--rounds N] [--small N] [--large N] [--large-mib N] [--keep]
//! ```
//!
//! The tree (deterministic pseudo-random content) and the images live in a
//! temporary directory under $TMPDIR that is removed at the end.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

struct Args {
    rounds: usize,
    small: usize,
    large: usize,
    large_mib: usize,
    keep: bool,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        rounds: 3,
        small: 6000,
        large: 4,
        large_mib: 200,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> Result<usize> {
            it.next()
                .with_context(|| format!("{name} needs a value"))?
                .parse()
                .context(name.to_string())
        };
        match arg.as_str() {
            "--rounds" => a.rounds = num("--rounds")?.max(1),
            "--small" => a.small = num("--small")?,
            "--large" => a.large = num("--large")?,
            "--large-mib" => a.large_mib = num("--large-mib")?,
            "--keep" => a.keep = true,
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

/// xorshift64*: fast deterministic bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Writes the tree; returns (files, bytes).
fn make_tree(root: &Path, a: &Args) -> Result<(usize, u64)> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    let per_dir = 60;
    for i in 0..a.small {
        let dir = root.join(format!("d{:03}/sub{}", i / per_dir, i % 3));
        fs::create_dir_all(&dir)?;
        // Sizes 0..64 KiB, skewed small.
        let r = rng.next();
        let size = ((r % 65_536) * ((r >> 32) % 4 + 1) / 4) as usize;
        rng.fill(&mut buf[..size]);
        fs::write(dir.join(format!("file{i}.dat")), &buf[..size])?;
        bytes += size as u64;
    }
    fs::create_dir_all(root.join("big"))?;
    for i in 0..a.large {
        let mut f = fs::File::create(root.join(format!("big/blob{i}.bin")))?;
        for _ in 0..a.large_mib {
            rng.fill(&mut buf);
            f.write_all(&buf)?;
        }
        bytes += (a.large_mib as u64) << 20;
    }
    Ok((a.small + a.large, bytes))
}

fn time(cmd: &mut Command) -> Result<Duration> {
    let start = Instant::now();
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    let t = start.elapsed();
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(t)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> Result<()> {
    let a = parse_args()?;
    let exe = std::env::current_exe()?;
    let mkfs: PathBuf = exe.with_file_name("mkfs-blockfs");
    if !mkfs.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p mkfs-blockfs)",
            mkfs.display()
        );
    }
    let mke2fs = which("mke2fs").context("mke2fs not found (apt-get install e2fsprogs)")?;
    let tmp = std::env::temp_dir().join(format!("blockfs-bench-{}", std::process::id()));
    fs::create_dir_all(&tmp)?;
    let result = run(&a, &tmp, &mkfs, &mke2fs);
    if !a.keep {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn run(a: &Args, tmp: &Path, mkfs: &Path, mke2fs: &Path) -> Result<()> {
    let tree = tmp.join("tree");
    let t = Instant::now();
    let (files, bytes) = make_tree(&tree, a)?;
    let mib = bytes as f64 / (1 << 20) as f64;
    println!(
        "tree: {files} files, {mib:.0} MiB, generated in {:.1?}",
        t.elapsed()
    );
    let (img_b, img_e) = (tmp.join("blockfs.img"), tmp.join("ext2.img"));
    let (mut tb, mut te) = (Vec::new(), Vec::new());
    for round in 1..=a.rounds {
        let _ = fs::remove_file(&img_b);
        let _ = fs::remove_file(&img_e);
        let b = time(
            Command::new(mkfs)
                .arg("--output")
                .arg(&img_b)
                .args(["--size", "2048", "--populate"])
                .arg(&tree),
        )?;
        let e = time(
            Command::new(mke2fs)
                .args(["-q", "-F", "-t", "ext2", "-d"])
                .arg(&tree)
                .arg(&img_e)
                .arg("2G"),
        )?;
        println!(
            "round {round}: mkfs-blockfs {:.2}s   mke2fs {:.2}s",
            b.as_secs_f64(),
            e.as_secs_f64()
        );
        tb.push(b);
        te.push(e);
    }
    let fsck = Command::new(mkfs).arg("fsck").arg(&img_b).output()?;
    if !fsck.status.success() {
        bail!(
            "fsck of the benchmark image failed: {}",
            String::from_utf8_lossy(&fsck.stdout)
        );
    }
    let (b, e) = (median(tb).as_secs_f64(), median(te).as_secs_f64());
    println!("median mkfs-blockfs: {b:.2}s ({:.0} MiB/s)", mib / b);
    println!("median mke2fs -d:    {e:.2}s ({:.0} MiB/s)", mib / e);
    println!("ratio (blockfs / ext2): {:.2}", b / e);
    Ok(())
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
