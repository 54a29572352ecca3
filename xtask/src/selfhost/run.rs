//! Running a long build step: niced, logged to a file in the build folder,
//! with a progress bar fed by Ninja's `[n/m]` lines (or the log's last line),
//! and its wall time and peak memory recorded.

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use regex::Regex;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use crate::progress;

/// Holds `<dir>/.xtask.lock` exclusively until the returned file is dropped:
/// two xtask commands never build in one folder at once; the second waits.
pub fn lock_folder(dir: &Path) -> Result<File> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(".xtask.lock");
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => return Ok(file),
        Err(fs::TryLockError::WouldBlock) => println!(
            "  another xtask command is building in {}: waiting for it",
            dir.display()
        ),
        Err(fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
    file.lock()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(file)
}

/// What a finished step measured.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    /// Peak resident set of the largest process, from `/usr/bin/time -v`.
    pub peak_kib: Option<u64>,
}

/// A command run at the lowest CPU priority (`nice -n 19 <program>`).
pub fn niced(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new("nice");
    cmd.args(["-n", "19"]).arg(program);
    cmd
}

/// Runs `cmd` as step `name`, output to `log_dir/<log>.log`, showing progress.
/// Appends a line to `log_dir/timings.txt` when it succeeds.
pub fn run_long(name: &str, log_dir: &Path, log: &str, cmd: &Command) -> Result<Measured> {
    fs::create_dir_all(log_dir).with_context(|| format!("cannot create {}", log_dir.display()))?;
    let log_path = log_dir.join(format!("{log}.log"));
    let time_path = log_dir.join(format!("{log}.time"));
    let file =
        File::create(&log_path).with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut timed = timed_command(cmd, &time_path);
    let bar = bar(name);
    bar.println(format!("  {name}: log in {}", log_path.display()));
    let start = Instant::now();
    let mut child = timed
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        show_progress(&bar, &log_path);
        std::thread::sleep(Duration::from_millis(500));
    };
    let wall = start.elapsed();
    bar.finish_and_clear();
    if !status.success() {
        eprintln!("{}", progress::tail(&log_path, 40));
        bail!("{name} failed ({status}); full log: {}", log_path.display());
    }
    let measured = Measured {
        wall,
        peak_kib: peak_kib(&time_path),
    };
    record_timing(log_dir, name, &measured)?;
    println!("  {name}: done in {}", describe(&measured));
    Ok(measured)
}

/// "12.3 s, peak 1.2 GiB".
pub fn describe(m: &Measured) -> String {
    let secs = m.wall.as_secs_f64();
    let wall = if secs >= 120.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{secs:.1} s")
    };
    match m.peak_kib {
        Some(k) => format!("{wall}, peak {:.2} GiB", k as f64 / (1024.0 * 1024.0)),
        None => wall,
    }
}

/// Wraps `cmd` in `/usr/bin/time -v -o <time_path>` when GNU time is installed.
fn timed_command(cmd: &Command, time_path: &Path) -> Command {
    let gnu_time = Path::new("/usr/bin/time");
    let mut out = if gnu_time.exists() {
        let mut t = Command::new(gnu_time);
        t.arg("-v").arg("-o").arg(time_path).arg(cmd.get_program());
        t
    } else {
        Command::new(cmd.get_program())
    };
    out.args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        out.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => out.env(key, v),
            None => out.env_remove(key),
        };
    }
    out
}

fn bar(name: &str) -> ProgressBar {
    let bar = progress::bars().add(ProgressBar::new(0));
    bar.set_style(
        ProgressStyle::with_template("  {spinner} {prefix} [{elapsed_precise}] {wide_msg}")
            .expect("static template is valid"),
    );
    bar.set_prefix(name.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn show_progress(bar: &ProgressBar, log: &Path) {
    let tail = read_tail(log, 8192);
    let msg = match ninja_progress(&tail) {
        Some((done, total)) => {
            let pct = (done * 100).checked_div(total).unwrap_or(0);
            format!("{done}/{total} ({pct}%)")
        }
        None => tail
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string(),
    };
    bar.set_message(truncate(&msg, 100));
}

/// The last `[done/total]` counter in Ninja output.
pub fn ninja_progress(text: &str) -> Option<(u64, u64)> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\[(\d+)/(\d+)\]").expect("static regex is valid"));
    let caps = RE.captures_iter(text).last()?;
    Some((caps[1].parse().ok()?, caps[2].parse().ok()?))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max).collect::<String>() + "…"
    }
}

fn read_tail(path: &Path, bytes: u64) -> String {
    let Ok(mut f) = File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(bytes)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Peak RSS in KiB from a `/usr/bin/time -v` report.
pub fn peak_kib(time_report: &Path) -> Option<u64> {
    let text = fs::read_to_string(time_report).ok()?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

fn record_timing(log_dir: &Path, name: &str, m: &Measured) -> Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_dir.join("timings.txt"))?;
    writeln!(
        f,
        "{name}\twall_s={:.1}\tpeak_kib={}",
        m.wall.as_secs_f64(),
        m.peak_kib
            .map(|k| k.to_string())
            .unwrap_or_else(|| "?".into())
    )?;
    Ok(())
}

/// A short command run to completion with its output captured; fails with
/// the output when the command fails.
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed ({}):\n{}{}",
            cmd,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The log folder of a build area.
pub fn log_dir(area: &Path) -> PathBuf {
    area.join("logs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_folder_waits_for_its_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let first = lock_folder(tmp.path()).unwrap();
        let path = tmp.path().join(".xtask.lock");
        let other = File::open(&path).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(fs::TryLockError::WouldBlock)
        ));
        drop(first);
        assert!(other.try_lock().is_ok());
    }

    #[test]
    fn ninja_counter_is_the_last_one() {
        let log = "[1/10] Building a\n[2/10] Building b\nwarning: x [3]\n[7/2295] Linking c\n";
        assert_eq!(ninja_progress(log), Some((7, 2295)));
        assert_eq!(ninja_progress("no counter here"), None);
    }

    #[test]
    fn peak_memory_is_read_from_gnu_time() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("t");
        fs::write(
            &report,
            "\tUser time (seconds): 1.0\n\tMaximum resident set size (kbytes): 388340\n",
        )
        .unwrap();
        assert_eq!(peak_kib(&report), Some(388340));
        fs::write(&report, "garbage").unwrap();
        assert_eq!(peak_kib(&report), None);
    }

    #[test]
    fn long_step_logs_and_fails_honestly() {
        let dir = tempfile::tempdir().unwrap();
        let mut ok = Command::new("sh");
        ok.args(["-c", "echo '[1/2] a'; echo '[2/2] b'"]);
        let m = run_long("ok step", dir.path(), "ok", &ok).unwrap();
        assert!(m.wall.as_secs() < 30);
        assert!(fs::read_to_string(dir.path().join("ok.log"))
            .unwrap()
            .contains("[2/2] b"));
        assert!(fs::read_to_string(dir.path().join("timings.txt"))
            .unwrap()
            .contains("ok step"));
        let mut bad = Command::new("sh");
        bad.args(["-c", "echo broken; exit 3"]);
        let err = run_long("bad step", dir.path(), "bad", &bad).unwrap_err();
        assert!(format!("{err}").contains("bad step failed"));
    }
}
