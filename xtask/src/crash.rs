//! `cargo xtask crash-test`: power cuts inside VeridianOS.
//!
//! Each round boots VeridianOS on a copy of a small BlockFS image whose init
//! is `crash-workload run SEED OPS` (userland/crash-workload), kills QEMU by
//! its own pid at a random moment of the workload (a random number of the
//! workload's console lines in, plus a random fraction of the mean time
//! between two lines, so a faster or slower machine still cuts the power
//! mid-workload), then checks the image on
//! the host: `mkfs-blockfs fsck --repair` brings it to clean (a second,
//! read-only fsck finds nothing), and every file the workload reported as
//! durable (`CW SYNC`, `CW GONE` on the console before the kill) holds
//! exactly that content, or for a change announced with `CW NEXT` the new
//! one: old or new, never torn. Every `--boot-check` rounds the crashed image
//! is also booted as it is: the kernel must mount it, find it not cleanly
//! unmounted, repair it and serve every file (`crash-workload check`).
//! A first round runs without a kill, to time the workload and to see an
//! orderly power-off leave the image clean.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use veridian_run::cpus::Cpus;
use veridian_run::qemu::{Accel, Vm};

use crate::{conformance, kernel, paths, progress, rootfs, toolchain};

/// Image size: small, so fsck and copies are quick.
const IMAGE_MB: u32 = 16;
/// Time allowed for a boot to reach the workload's first line.
const START_LIMIT: Duration = Duration::from_secs(180);
/// Time allowed for a whole round without a kill.
const ROUND_LIMIT: Duration = Duration::from_secs(600);

/// Options of `cargo xtask crash-test`.
pub struct Options {
    pub rounds: usize,
    pub seed: u64,
    pub ops: usize,
    /// Boot every n-th crashed image as it is (0: never).
    pub boot_check: usize,
    pub accel: Accel,
    pub cpus: Cpus,
}

/// Figures of a whole run.
#[derive(Default, Debug)]
pub struct Summary {
    pub rounds: usize,
    pub killed: usize,
    pub repaired: usize,
    pub lost: usize,
    pub unrepaired: usize,
    pub synced_checked: usize,
    pub boot_checks: usize,
}

struct Setup {
    kernel: PathBuf,
    mkfs: PathBuf,
    base: PathBuf,
    dir: PathBuf,
}

fn prepare() -> Result<Setup> {
    let tc = toolchain::build(false)?;
    let kernel = kernel::build()?;
    let bin_dir = conformance::build(&tc)?;
    let mkfs = rootfs::build_mkfs()?;
    let dir = paths::repo_root().join("target/crash");
    let staging = dir.join("staging");
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    for d in ["sbin", "etc", "dev", "proc", "tmp"] {
        fs::create_dir_all(staging.join(d))?;
    }
    fs::copy(bin_dir.join("crash-workload"), staging.join("sbin/init"))
        .context("copying crash-workload")?;
    fs::write(staging.join("etc/os-release"), rootfs::os_release())?;
    let base = dir.join("base.img");
    let _ = fs::remove_file(&base);
    let mut cmd = Command::new(&mkfs);
    cmd.arg("--output")
        .arg(&base)
        .args(["--size", &IMAGE_MB.to_string(), "--populate"])
        .arg(&staging);
    progress::run_logged("write the crash-test image", "crash-mkfs", &mut cmd)?;
    Ok(Setup {
        kernel,
        mkfs,
        base,
        dir,
    })
}

/// `cargo xtask crash-test`.
pub fn run(opts: &Options) -> Result<()> {
    let setup = prepare()?;
    let summary = rounds(&setup, opts)?;
    if summary.lost > 0 || summary.unrepaired > 0 {
        bail!(
            "{} round(s) lost synced data, {} image(s) not repaired to clean",
            summary.lost,
            summary.unrepaired
        );
    }
    Ok(())
}

/// The short version for `cargo xtask test`: three rounds with a kill
/// (at least one landing mid-workload), the first crashed image also
/// booted.
pub fn short(accel: Accel, cpus: Cpus) -> Result<()> {
    let setup = prepare()?;
    let opts = Options {
        rounds: 3,
        seed: 7,
        ops: 300,
        boot_check: 3,
        accel,
        cpus,
    };
    let s = rounds(&setup, &opts)?;
    if s.lost > 0
        || s.unrepaired > 0
        || s.killed == 0
        || s.boot_checks == 0
        || s.synced_checked == 0
    {
        bail!("crash rounds: {s:?}");
    }
    Ok(())
}

fn rounds(setup: &Setup, opts: &Options) -> Result<Summary> {
    let mut rng = opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next_rand = move || {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    // Calibration: the whole workload, no kill, orderly power-off.
    let image = setup.dir.join("round.img");
    fs::copy(&setup.base, &image)?;
    let cal = boot_round(setup, opts, &image, opts.seed, None)?;
    let (Some(workload_time), Some(workload_lines)) = (cal.workload_time, cal.workload_lines)
    else {
        bail!(
            "calibration round: the workload did not finish (log {})",
            cal.log.display()
        );
    };
    let powered_off_clean = state_clean(&image)?;
    let verdict = check_image(setup, &image, &cal.lines)?;
    if verdict.repairs != 0 || !verdict.losses.is_empty() || !powered_off_clean {
        bail!(
            "calibration round (no kill) left an image needing repair or losing data: {verdict:?}"
        );
    }
    println!(
        "crash-test: workload of {} ops prints {workload_lines} lines in {:.1} s after boot; \
         kill points drawn in its first 90 %",
        opts.ops,
        workload_time.as_secs_f64()
    );
    let line_gap_ms = (workload_time.as_millis() as u64 / workload_lines.max(1) as u64).max(1);
    let mut s = Summary::default();
    for round in 1..=opts.rounds {
        let seed = next_rand() % 1_000_000;
        // Counted in lines, not time: a round on a busier or quieter
        // machine than the calibration's is still cut mid-workload.
        let kill = KillPoint {
            after_lines: 1 + (next_rand() % (workload_lines as u64 * 9 / 10).max(1)) as usize,
            delay: Duration::from_millis(next_rand() % line_gap_ms),
        };
        fs::copy(&setup.base, &image)?;
        let r = boot_round(setup, opts, &image, seed, Some(kill))?;
        if !r.lines.iter().any(|l| l == "CW SYSTEM veridian") {
            bail!(
                "round {round}: the workload did not report ID=veridian (log {})",
                r.log.display()
            );
        }
        s.rounds += 1;
        s.killed += usize::from(r.killed);
        let mut booted = String::new();
        if opts.boot_check > 0 && round % opts.boot_check == 1 % opts.boot_check {
            let copy = setup.dir.join("boot-check.img");
            fs::copy(&image, &copy)?;
            booted = boot_check(setup, opts, &copy)?;
            s.boot_checks += 1;
        }
        let v = check_image(setup, &image, &r.lines)?;
        s.repaired += usize::from(v.repairs > 0);
        s.synced_checked += v.checked;
        if !v.clean_after {
            s.unrepaired += 1;
        }
        if !v.losses.is_empty() {
            s.lost += 1;
        }
        println!(
            "round {round:>3}: seed {seed:>6}, kill {:>4} ms after line {:>4}{}, {} synced steps seen, \
             fsck: {} problem(s){}, {} file(s) checked, losses {}{}",
            kill.delay.as_millis(),
            kill.after_lines,
            if r.killed { "" } else { " (finished first)" },
            r.synced_steps,
            v.repairs,
            if v.clean_after {
                ", clean after repair"
            } else {
                ", NOT clean after repair"
            },
            v.checked,
            v.losses.len(),
            booted
        );
        for l in &v.losses {
            println!("    LOST: {l}");
        }
        if !v.losses.is_empty() || !v.clean_after {
            let keep = setup.dir.join(format!("round-{round}-seed-{seed}.img"));
            fs::copy(&image, &keep)?;
            fs::copy(&r.log, keep.with_extension("log"))?;
            println!("    kept the repaired image as {}", keep.display());
        }
    }
    println!(
        "crash-test: {} rounds, {} killed mid-workload, {} needed fsck repairs, {} synced files \
         checked, {} round(s) with lost synced data, {} image(s) not clean after repair, {} \
         crashed image(s) booted",
        s.rounds, s.killed, s.repaired, s.synced_checked, s.lost, s.unrepaired, s.boot_checks
    );
    Ok(s)
}

/// When a round's power cut comes.
#[derive(Clone, Copy)]
struct KillPoint {
    /// The workload's console lines (`CW START` the first) seen before.
    after_lines: usize,
    /// Then this long.
    delay: Duration,
}

struct Round {
    lines: Vec<String>,
    killed: bool,
    /// From the workload's START to DONE, when it got there.
    workload_time: Option<Duration>,
    /// The workload's lines from START to DONE, when it got there.
    workload_lines: Option<usize>,
    synced_steps: usize,
    log: PathBuf,
}

fn vm(setup: &Setup, opts: &Options, image: &Path, args: &str, log: &str) -> Vm {
    Vm {
        kernel: setup.kernel.clone(),
        cmdline: format!("init=/sbin/init -- {args}"),
        disks: vec![image.to_path_buf()],
        memory_mb: 512,
        cpus: opts.cpus,
        accel: opts.accel,
        log: setup.dir.join(log),
        extra_serials: vec![],
        initrd: None,
        silence_limit: None,
        user_net: false,
        snapshot: false,
    }
}

/// Boots the workload; with `kill`, kills QEMU at that point of it.
fn boot_round(
    setup: &Setup,
    opts: &Options,
    image: &Path,
    seed: u64,
    kill: Option<KillPoint>,
) -> Result<Round> {
    let vm = vm(
        setup,
        opts,
        image,
        &format!("run {seed} {}", opts.ops),
        "round.log",
    );
    let mut child = vm
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting qemu-system-x86_64")?;
    let lines: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let stdout = child.stdout.take().expect("piped");
    let reader = {
        let lines = lines.clone();
        std::thread::spawn(move || {
            // Whole lines only: the kill can cut the last one short.
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            while reader.read_until(b'\n', &mut buf).unwrap_or(0) > 0 {
                if buf.last() != Some(&b'\n') {
                    break;
                }
                let line = String::from_utf8_lossy(&buf[..buf.len() - 1])
                    .trim_end_matches('\r')
                    .to_string();
                lines.lock().unwrap().push((Instant::now(), line));
                buf.clear();
            }
        })
    };
    let begin = Instant::now();
    // When the workload printed its n-th line (START the first).
    let nth_workload_line = |lines: &Arc<Mutex<Vec<(Instant, String)>>>, n: usize| {
        workload_lines(&lines.lock().unwrap())
            .nth(n.saturating_sub(1))
            .map(|(t, _)| *t)
    };
    let mut killed = false;
    loop {
        if let Some(status) = child.try_wait()? {
            let _ = status;
            break;
        }
        let now = Instant::now();
        if let Some(k) = kill {
            let due = nth_workload_line(&lines, k.after_lines).map(|t| t + k.delay);
            if due.is_some_and(|due| now >= due) {
                // SIGKILL to this QEMU's own pid: a power cut.
                child.kill()?;
                child.wait()?;
                killed = true;
                break;
            }
        }
        let limit = if nth_workload_line(&lines, 1).is_some() {
            ROUND_LIMIT
        } else {
            START_LIMIT
        };
        if now - begin > limit {
            child.kill()?;
            child.wait()?;
            let _ = reader.join();
            bail!("the guest hung (log {})", vm.log.display());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = reader.join();
    let lines = std::mem::take(&mut *lines.lock().unwrap());
    fs::write(
        &vm.log,
        lines
            .iter()
            .map(|(_, l)| format!("{l}\n"))
            .collect::<String>(),
    )?;
    let t0 = workload_lines(&lines).next().map(|x| x.0);
    let t1 = lines.iter().find(|(_, l)| l == "CW DONE").map(|x| x.0);
    let workload_line_count = t1.map(|_| {
        workload_lines(&lines)
            .take_while(|(_, l)| l != "CW DONE")
            .count()
    });
    let synced_steps = lines
        .iter()
        .filter(|(_, l)| l.starts_with("CW SYNC") || l.starts_with("CW GONE"))
        .count();
    if lines.iter().any(|(_, l)| l.contains("panic")) {
        bail!(
            "the kernel or the workload panicked (log {})",
            vm.log.display()
        );
    }
    Ok(Round {
        lines: lines.into_iter().map(|(_, l)| l).collect(),
        killed,
        workload_time: t0.zip(t1).map(|(a, b)| b - a),
        workload_lines: workload_line_count,
        synced_steps,
        log: vm.log,
    })
}

/// The workload's own console lines, from `CW START` on (the kernel's
/// lines in between left out).
fn workload_lines(lines: &[(Instant, String)]) -> impl Iterator<Item = &(Instant, String)> {
    lines
        .iter()
        .skip_while(|(_, l)| !l.starts_with("CW START"))
        .filter(|(_, l)| l.starts_with("CW "))
}

/// Boots a crashed image as it is with `crash-workload check`: the kernel
/// mounts it, runs fsck (the superblock says not cleanly unmounted) and
/// serves every file; the orderly power-off leaves it clean.
fn boot_check(setup: &Setup, opts: &Options, image: &Path) -> Result<String> {
    let was_clean = state_clean(image)?;
    let vm = vm(setup, opts, image, "check", "boot-check.log");
    let mut lines = Vec::new();
    let exit = vm.run(ROUND_LIMIT, |l| {
        lines.push(l.to_string());
        veridian_run::qemu::Watch::Continue
    })?;
    let fsck_line = lines
        .iter()
        .find(|l| l.contains("veridian: fsck:") && l.contains("repaired"));
    let checked = lines.iter().find(|l| l.starts_with("CW CHECKED"));
    if checked.is_none() || (!was_clean && fsck_line.is_none()) {
        bail!(
            "booting the crashed image: {exit:?}, no fsck or CHECKED line (log {})",
            vm.log.display()
        );
    }
    let status = Command::new(&setup.mkfs)
        .arg("fsck")
        .arg(image)
        .stdout(Stdio::null())
        .status()?;
    if !status.success() || !state_clean(image)? {
        bail!("the image the kernel repaired is not clean ({status})");
    }
    Ok(format!(
        "; booted as crashed: {}, {}",
        fsck_line.map_or("was clean", |l| l.trim_start_matches("veridian: ")),
        checked.map_or("", |c| c.trim_start_matches("CW "))
    ))
}

fn state_clean(image: &Path) -> Result<bool> {
    let bytes = fs::read(image)?;
    Ok(u16::from_le_bytes([bytes[58], bytes[59]]) == blockfs::STATE_CLEAN)
}

/// What the host found in one image.
#[derive(Debug, Default)]
struct Verdict {
    /// Problems the repairing fsck reported.
    repairs: usize,
    clean_after: bool,
    checked: usize,
    losses: Vec<String>,
}

/// What the console said a path must hold.
#[derive(Default)]
struct Promise {
    /// `Some(None)`: gone; `Some(Some(..))`: this (length, hash).
    synced: Option<Option<(u64, u64)>>,
    /// Announced changes since (`None`: an unlink): any of them may be on
    /// disk instead.
    next: Vec<Option<(u64, u64)>>,
    torn: bool,
}

fn promises(lines: &[String]) -> BTreeMap<String, Promise> {
    let mut map: BTreeMap<String, Promise> = BTreeMap::new();
    // Full-length fingerprints only (a line is whole, but be strict).
    let parse = |l: &str, h: &str| -> Option<(u64, u64)> {
        if h.len() != 16 {
            return None;
        }
        Some((l.parse().ok()?, u64::from_str_radix(h, 16).ok()?))
    };
    for line in lines {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["CW", "SYNC", p, l, h] => {
                if let Some(c) = parse(l, h) {
                    let e = map.entry(p.to_string()).or_default();
                    *e = Promise {
                        synced: Some(Some(c)),
                        ..Promise::default()
                    };
                }
            }
            ["CW", "GONE", p] => {
                map.insert(
                    p.to_string(),
                    Promise {
                        synced: Some(None),
                        ..Promise::default()
                    },
                );
            }
            ["CW", "NEXT", p, l, h] => {
                if let Some(c) = parse(l, h) {
                    map.entry(p.to_string()).or_default().next.push(Some(c));
                }
            }
            ["CW", "DROP", p] => map.entry(p.to_string()).or_default().next.push(None),
            ["CW", "TORN", p] => map.entry(p.to_string()).or_default().torn = true,
            _ => {}
        }
    }
    map
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// `mkfs-blockfs fsck --repair`, a read-only fsck, then every promise.
fn check_image(setup: &Setup, image: &Path, lines: &[String]) -> Result<Verdict> {
    let out = Command::new(&setup.mkfs)
        .args(["fsck", "--repair"])
        .arg(image)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let repairs = text
        .lines()
        .last()
        .and_then(|l| l.split(", ").find_map(|p| p.strip_suffix(" problem(s)")))
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("reading mkfs-blockfs fsck's summary: {text}"))?;
    let again = Command::new(&setup.mkfs)
        .arg("fsck")
        .arg(image)
        .stdout(Stdio::null())
        .status()?;
    let mut v = Verdict {
        repairs,
        clean_after: again.success(),
        ..Verdict::default()
    };
    let dev = blockfs::FileDevice::open(image, false)?;
    let mut fs = blockfs::FileSystem::mount(
        dev,
        blockfs::MountOptions {
            read_only: true,
            ..blockfs::MountOptions::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("mounting the repaired image: {e:?}"))?;
    for (path, p) in promises(lines) {
        let Some(synced) = p.synced else { continue };
        if p.torn {
            continue;
        }
        let got = match fs.resolve(path.as_bytes(), false) {
            Ok(ino) => {
                let size = fs.metadata(ino).map(|m| m.size).unwrap_or(0);
                let mut buf = vec![0u8; size as usize];
                let n = fs.read_at(ino, 0, &mut buf).unwrap_or(0);
                buf.truncate(n);
                Some((buf.len() as u64, fnv(&buf)))
            }
            Err(_) => None,
        };
        v.checked += 1;
        let ok = got == synced || p.next.contains(&got);
        if !ok {
            v.losses.push(format!(
                "{path}: expected {:?} (or one of {} announced changes), found {:?}",
                synced,
                p.next.len(),
                got
            ));
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn promises_follow_sync_next_drop_and_torn() {
        let p = promises(&lines(
            "CW SYNC /w/a 3 00000000000000ff\n\
             CW NEXT /w/a 5 0000000000000100\n\
             CW SYNC /w/b 1 0000000000000001\n\
             CW DROP /w/b\n\
             CW SYNC /w/c 1 0000000000000002\n\
             CW TORN /w/c\n\
             CW SYNC /w/d 1 12ab\n\
             CW GONE /w/e",
        ));
        assert_eq!(p["/w/a"].synced, Some(Some((3, 0xff))));
        assert_eq!(p["/w/a"].next, vec![Some((5, 0x100))]);
        assert_eq!(p["/w/b"].next, vec![None], "an unlink may have landed");
        assert!(p["/w/c"].torn);
        assert!(
            !p.contains_key("/w/d"),
            "a shortened fingerprint promises nothing"
        );
        assert_eq!(p["/w/e"].synced, Some(None));
    }

    #[test]
    fn a_later_sync_replaces_the_announced_changes() {
        let p = promises(&lines(
            "CW SYNC /w/a 3 00000000000000ff\n\
             CW NEXT /w/a 5 0000000000000100\n\
             CW SYNC /w/a 5 0000000000000100",
        ));
        assert_eq!(p["/w/a"].synced, Some(Some((5, 0x100))));
        assert!(p["/w/a"].next.is_empty());
    }

    #[test]
    fn workload_lines_start_at_start_and_skip_kernel_lines() {
        let now = Instant::now();
        let timed: Vec<(Instant, String)> = [
            "CW SYSTEM veridian",
            "CW START seed 1 ops 2",
            "veridian: a kernel line",
            "CW SYNC /w/a 1 0000000000000001",
            "CW DONE",
        ]
        .iter()
        .map(|l| (now, l.to_string()))
        .collect();
        let seen: Vec<&str> = workload_lines(&timed).map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            seen,
            [
                "CW START seed 1 ops 2",
                "CW SYNC /w/a 1 0000000000000001",
                "CW DONE"
            ]
        );
    }

    #[test]
    fn fingerprint_is_fnv1a_64() {
        assert_eq!(fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
