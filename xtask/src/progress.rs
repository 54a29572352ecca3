//! Long steps: a spinner with the elapsed time on the terminal, the full
//! output in a log file whose path is printed, and the log's tail on failure.

use anyhow::{bail, Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use crate::paths;

/// Runs `cmd` as the step `name`, logging to `target/veridian/logs/<log>.log`.
/// Returns how long it took.
pub fn run_logged(name: &str, log: &str, cmd: &mut Command) -> Result<Duration> {
    let log_path = log_path(log)?;
    let file = File::create(&log_path)
        .with_context(|| format!("cannot create log {}", log_path.display()))?;
    let spinner = spinner(name);
    spinner.println(format!("  {name}: log in {}", log_path.display()));
    let start = Instant::now();
    let status = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    let took = start.elapsed();
    spinner.finish_and_clear();
    if !status.success() {
        eprintln!("{}", tail(&log_path, 40));
        bail!("{name} failed ({status}); full log: {}", log_path.display());
    }
    println!("  {name}: done in {:.1} s", took.as_secs_f64());
    Ok(took)
}

/// Runs an in-process step under a spinner (for work done by xtask itself).
pub fn run_step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let spinner = spinner(name);
    let start = Instant::now();
    let result = f();
    spinner.finish_and_clear();
    match &result {
        Ok(_) => println!("  {name}: done in {:.1} s", start.elapsed().as_secs_f64()),
        Err(e) => eprintln!("  {name}: FAILED: {e:#}"),
    }
    result
}

/// Every bar on the terminal: steps that run side by side (the
/// hosted rustc beside clang) each keep a line of their own.
pub fn bars() -> &'static MultiProgress {
    static BARS: LazyLock<MultiProgress> = LazyLock::new(MultiProgress::new);
    &BARS
}

fn spinner(name: &str) -> ProgressBar {
    let bar = bars().add(ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template("  {spinner} {msg} [{elapsed}]")
            .expect("static template is valid"),
    );
    bar.set_message(name.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The path of the log file for `log`, creating the log folder.
pub fn log_path(log: &str) -> Result<PathBuf> {
    let dir = paths::log_dir();
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.join(format!("{log}.log")))
}

/// The last `lines` lines of a text file (lossy), for error reports.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
