//! `native-build`: the native-build rows of `cargo xtask verify`, run inside
//! VeridianOS with the hosted cargo (`/usr/local/bin/cargo`, offline, from
//! the vendored sources that `/.cargo/config.toml` names).
//!
//! - `native-build build <project folder>`: copies the project to
//!   `/tmp/native/<name>` (the image stays as it is) and runs
//!   `cargo build --offline --locked` there.
//! - `native-build rebuild <name> <file>`: changes one line of `<file>` in
//!   that copy and builds again; passes when only the project's own crate is
//!   recompiled, at least [`MIN_SPEEDUP`] times faster than the first build.
//! - `native-build test <name>`: `cargo test --offline --locked
//!   --all-targets` in the copy; `native-build doctest <name>`: its
//!   doctests (`--doc`, through rustdoc).
//!
//! - `native-build bench <jobs>[,<jobs>...] <runs>`: the compile benchmark
//!   (`cargo xtask bench compile`): `rustc hello.rs`, then `cargo build`
//!   of a small crate (blockfs) and of a medium one with dependencies
//!   (mkfs-blockfs), each `<runs>` times from a clean target folder at
//!   each `-j` value, printing
//!   `BENCH <step> <jobs> <seconds>` lines and `BENCH done`. It also runs as
//!   the init of a Linux guest, where it first makes the same tree on an
//!   ext4 disk its root (`linux_init`).
//!
//! Each prints the time it took inside the guest; the exit status is 0 only
//! on success. cargo's output is passed through line by line, so a long
//! build keeps showing progress.

mod bench;
mod linux_init;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;
use std::{env, fs};

/// How much faster than the first build a one-line rebuild must be.
const MIN_SPEEDUP: f64 = 3.0;

/// Where projects are copied and built.
const WORK_DIR: &str = "/tmp/native";

/// The file holding the first build's seconds, in the project copy.
const FIRST_BUILD_FILE: &str = ".native-build-seconds";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["build", project] => build(Path::new(project)),
        ["rebuild", name, file] => rebuild(name, file),
        ["test", name] => test(name),
        ["doctest", name] => doctest(name),
        ["bench", jobs, runs] => match (bench::parse_jobs(jobs), runs.parse()) {
            (Ok(jobs), Ok(runs)) => bench::run(&jobs, runs),
            (Err(e), _) => Err(e),
            (_, Err(_)) => Err(format!("bench: bad runs {runs:?}")),
        },
        _ => Err(
            "usage: native-build build <project folder> | rebuild <name> <file> | test <name> \
             | doctest <name> | bench <jobs>[,<jobs>...] <runs>"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("native-build: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The outcome of one cargo run.
struct CargoRun {
    seconds: f64,
    /// Names of the crates cargo printed as `Compiling <name> <version>`.
    compiled: Vec<String>,
}

fn build(project: &Path) -> Result<(), String> {
    let name = project
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} names no project folder", project.display()))?;
    let copy = copy_of(name);
    if copy.exists() {
        fs::remove_dir_all(&copy).map_err(|e| format!("cannot clear {}: {e}", copy.display()))?;
    }
    copy_tree(project, &copy)?;
    let run = cargo(&copy, &["build", "--offline", "--locked"])?;
    fs::write(copy.join(FIRST_BUILD_FILE), format!("{}\n", run.seconds))
        .map_err(|e| format!("cannot record the build time: {e}"))?;
    println!(
        "native-build: {name} built in {:.1} s inside VeridianOS ({} crates compiled)",
        run.seconds,
        run.compiled.len()
    );
    Ok(())
}

fn rebuild(name: &str, file: &str) -> Result<(), String> {
    let copy = copy_of(name);
    let first: f64 = fs::read_to_string(copy.join(FIRST_BUILD_FILE))
        .map_err(|e| {
            format!(
                "no first build of {name} to compare with ({e}): run `native-build build` first"
            )
        })?
        .trim()
        .parse()
        .map_err(|e| format!("bad {FIRST_BUILD_FILE}: {e}"))?;
    let path = copy.join(file);
    let mut text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.push_str("// changed by native-build rebuild\n");
    fs::write(&path, text).map_err(|e| format!("cannot change {}: {e}", path.display()))?;
    let run = cargo(&copy, &["build", "--offline", "--locked"])?;
    let speedup = first / run.seconds.max(0.001);
    println!(
        "native-build: {name} rebuilt after a one-line change in {:.1} s inside VeridianOS, \
         {speedup:.1}x faster than the first build ({first:.1} s); recompiled: {}",
        run.seconds,
        run.compiled.join(", ")
    );
    let package = package_name(&copy)?;
    if run.compiled != [package.clone()] {
        return Err(format!(
            "{} crates recompiled, expected only {package}",
            run.compiled.len()
        ));
    }
    if speedup < MIN_SPEEDUP {
        return Err(format!(
            "the rebuild was only {speedup:.1}x faster than the first build (at least {MIN_SPEEDUP}x expected)"
        ));
    }
    println!("native-build: incremental: 1 crate recompiled, {speedup:.1}x faster");
    Ok(())
}

/// `cargo test` of every target (library, binaries, integration tests):
/// all but the doctests, which [`doctest`] runs.
fn test(name: &str) -> Result<(), String> {
    let copy = copy_of(name);
    let run = cargo(&copy, &["test", "--offline", "--locked", "--all-targets"])?;
    println!(
        "native-build: {name} tests passed in {:.1} s inside VeridianOS ({} crates compiled)",
        run.seconds,
        run.compiled.len()
    );
    Ok(())
}

/// `cargo test --doc`: the examples in the documentation, through rustdoc.
fn doctest(name: &str) -> Result<(), String> {
    let copy = copy_of(name);
    let run = cargo(&copy, &["test", "--offline", "--locked", "--doc"])?;
    println!(
        "native-build: {name} doctests passed in {:.1} s inside VeridianOS",
        run.seconds
    );
    Ok(())
}

fn copy_of(name: &str) -> PathBuf {
    Path::new(WORK_DIR).join(name)
}

/// The PATH programs get (a Linux guest's init has none).
const PATH: &str = "/usr/local/bin:/bin:/usr/bin:/sbin";

/// Runs cargo in `dir`, passing its output through and collecting the
/// names of the crates it compiles; fails on a non-zero exit status.
fn cargo(dir: &Path, args: &[&str]) -> Result<CargoRun, String> {
    let start = Instant::now();
    let mut child = Command::new("/usr/local/bin/cargo")
        .env("PATH", PATH)
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    let mut compiled = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.map_err(|e| format!("cannot read cargo's output: {e}"))?;
            if let Some(name) = compiled_crate(&line) {
                compiled.push(name.to_string());
            }
            eprintln!("{line}");
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("cargo did not finish: {e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    let _ = std::io::stdout().flush();
    if !status.success() {
        return Err(format!(
            "cargo {} failed after {seconds:.1} s ({status})",
            args.join(" ")
        ));
    }
    Ok(CargoRun { seconds, compiled })
}

/// The crate name of a `   Compiling <name> v<version> ...` line.
fn compiled_crate(line: &str) -> Option<&str> {
    line.trim_start()
        .strip_prefix("Compiling ")?
        .split_whitespace()
        .next()
}

/// `package.name` of the project's Cargo.toml (its first `name = "..."`).
fn package_name(dir: &Path) -> Result<String, String> {
    let manifest = fs::read_to_string(dir.join("Cargo.toml"))
        .map_err(|e| format!("cannot read {}/Cargo.toml: {e}", dir.display()))?;
    manifest
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("name = \"")?
                .strip_suffix('"')
                .map(str::to_string)
        })
        .ok_or_else(|| format!("{}/Cargo.toml names no package", dir.display()))
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot list {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", from.display()))?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiling_lines_name_their_crate() {
        assert_eq!(compiled_crate("   Compiling syn v2.0.1"), Some("syn"));
        assert_eq!(
            compiled_crate("   Compiling derive-demo v0.1.0 (/tmp/native/derive-demo)"),
            Some("derive-demo")
        );
        assert_eq!(compiled_crate("    Finished `dev` profile"), None);
        assert_eq!(compiled_crate("warning: Compiling is a word"), None);
    }

    #[test]
    fn package_name_is_the_first_name_key() {
        let dir = std::env::temp_dir().join(format!("native-build-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n[dependencies]\nfoo = { name = \"x\" }\n",
        )
        .unwrap();
        assert_eq!(package_name(&dir).unwrap(), "demo");
        fs::remove_dir_all(&dir).unwrap();
    }
}
