//! `cargo xtask ecosystem`: the published test suites of popular crates.io
//! crates, built for the target and run inside VeridianOS through the
//! toolchain's default runner, one table row per crate.
//!
//! The versions are pinned by `ecosystem/Cargo.lock`; `cargo vendor` of that
//! manifest gives each crate's published sources. A suite's own
//! dev-dependencies are pinned by `ecosystem/locks/<crate>-<version>.lock`
//! (written on the first run, then used with `--locked`). Sources, logs and
//! the shared target folder are in `${VERIDIAN_BUILD_DIR}/ecosystem`.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::report::{parse, Outcome};
use crate::paths::{self, TARGET};
use crate::toolchain::Toolchain;

/// A corpus crate and the cargo flags its suite is run with.
pub struct Member {
    pub name: &'static str,
    pub flags: &'static [&'static str],
}

/// Crates whose suites' dev-dependencies (tokio-test, tokio-stream …)
/// depend on the crate itself from crates.io: the suite's manifest patches
/// that to the copied source, as the crate's own workspace does, or the
/// tests see two different crates of one name.
const PATCHED_TO_ITSELF: &[&str] = &["tokio"];

/// The corpus, in table order.
pub const CORPUS: &[Member] = &[
    Member {
        name: "libc",
        flags: &[],
    },
    Member {
        name: "getrandom",
        flags: &[],
    },
    Member {
        name: "rand",
        flags: &[],
    },
    Member {
        name: "tempfile",
        flags: &[],
    },
    Member {
        name: "memchr",
        flags: &[],
    },
    Member {
        name: "mio",
        flags: &["--features", "os-poll,net"],
    },
    Member {
        name: "tokio",
        flags: &["--features", "full,test-util"],
    },
    Member {
        name: "rustix",
        flags: &["--features", "all-apis"],
    },
    Member {
        name: "nix",
        flags: &["--all-features"],
    },
    Member {
        name: "socket2",
        flags: &["--features", "all"],
    },
    Member {
        name: "memmap2",
        flags: &[],
    },
    Member {
        name: "crossbeam-channel",
        flags: &[],
    },
    Member {
        name: "rayon",
        flags: &[],
    },
    Member {
        name: "parking_lot",
        flags: &[],
    },
    Member {
        // The published package leaves out tests/fuzz, which its integration
        // test names: that target does not build on any OS.
        name: "regex",
        flags: &["--lib"],
    },
    Member {
        name: "serde",
        flags: &["--features", "derive"],
    },
    Member {
        name: "serde_json",
        flags: &[],
    },
    Member {
        name: "clap",
        flags: &["--features", "derive"],
    },
    Member {
        name: "anyhow",
        flags: &[],
    },
    Member {
        name: "thiserror",
        flags: &[],
    },
    Member {
        name: "walkdir",
        flags: &[],
    },
    Member {
        name: "filetime",
        flags: &[],
    },
    Member {
        name: "flate2",
        flags: &["--no-default-features", "--features", "zlib"],
    },
];

/// The corpus crates run by `cargo xtask test`: small suites, fast under TCG.
pub const QUICK: &[&str] = &["walkdir", "getrandom", "rand", "mio"];

/// One crate's row.
pub struct Row {
    pub name: String,
    pub version: String,
    pub outcome: Outcome,
    pub seconds: u64,
}

/// Runs the named crates' suites (all of the corpus when `only` is empty)
/// and returns their rows; the logs are kept under the build folder.
pub fn run(tc: &Toolchain, only: &[String]) -> Result<Vec<Row>> {
    collect(Some(tc), only)
}

/// The rows of the last run, read back from its logs (no crate is built).
pub fn from_logs(only: &[String]) -> Result<Vec<Row>> {
    collect(None, only)
}

/// Runs each selected crate's suite with `tc`, or with `None` parses the
/// log of its last run.
fn collect(tc: Option<&Toolchain>, only: &[String]) -> Result<Vec<Row>> {
    for name in only {
        if !CORPUS.iter().any(|m| m.name == name) {
            bail!("{name} is not in the corpus (see xtask/src/ecosystem/corpus.rs)");
        }
    }
    let corpus_dir = paths::repo_root().join("ecosystem");
    let lock = fs::read_to_string(corpus_dir.join("Cargo.lock"))
        .context("ecosystem/Cargo.lock is missing")?;
    let versions = root_dependencies(&lock)?;
    // Outside the repository: cargo would take the copied crates for
    // members of its workspace.
    let work = crate::selfhost::build_root().join("ecosystem");
    let vendor = work.join("vendor");
    if let Some(tc) = tc {
        vendor_sources(tc, &corpus_dir, &vendor)?;
    }
    fs::create_dir_all(work.join("logs"))?;

    let mut rows = Vec::new();
    for member in CORPUS {
        if !only.is_empty() && !only.iter().any(|n| n == member.name) {
            continue;
        }
        let version = versions
            .iter()
            .find(|(n, _)| n == member.name)
            .map(|(_, v)| v.clone())
            .with_context(|| format!("{} is not in ecosystem/Cargo.lock", member.name))?;
        let started = Instant::now();
        let outcome = match tc {
            Some(tc) => run_suite(tc, member, &version, &vendor, &work, &corpus_dir)?,
            None => {
                let log = work
                    .join("logs")
                    .join(format!("{}-{version}.log", member.name));
                match fs::read(&log) {
                    Ok(bytes) => parse(&String::from_utf8_lossy(&bytes)),
                    Err(_) => continue,
                }
            }
        };
        rows.push(Row {
            name: member.name.to_string(),
            version,
            outcome,
            seconds: started.elapsed().as_secs(),
        });
        println!("{}", table_line(rows.last().expect("just pushed")));
    }
    Ok(rows)
}

/// The root package's dependencies in a Cargo.lock, as (name, version).
pub fn root_dependencies(lock: &str) -> Result<Vec<(String, String)>> {
    let packages: Vec<&str> = lock.split("[[package]]").skip(1).collect();
    let field = |block: &str, key: &str| {
        block.lines().find_map(|l| {
            l.strip_prefix(key)
                .and_then(|r| r.strip_prefix(" = \""))
                .and_then(|r| r.strip_suffix('"'))
                .map(str::to_string)
        })
    };
    let root = packages
        .iter()
        .find(|b| field(b, "name").as_deref() == Some("veridian-corpus"))
        .context("no veridian-corpus package in the lock file")?;
    let mut deps = Vec::new();
    for line in root.lines().skip_while(|l| !l.starts_with("dependencies")) {
        let Some(item) = line
            .trim()
            .strip_prefix('"')
            .and_then(|l| l.strip_suffix("\","))
        else {
            continue;
        };
        let (name, version) = match item.split_once(' ') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                let block = packages
                    .iter()
                    .find(|b| field(b, "name").as_deref() == Some(item))
                    .with_context(|| format!("{item} has no entry in the lock file"))?;
                (
                    item.to_string(),
                    field(block, "version").context("no version")?,
                )
            }
        };
        deps.push((name, version));
    }
    Ok(deps)
}

/// `cargo vendor --versioned-dirs` of the corpus manifest (cargo skips
/// crates it already holds).
fn vendor_sources(tc: &Toolchain, corpus_dir: &Path, vendor: &Path) -> Result<()> {
    let status = Command::new(tc.cargo())
        .args(["vendor", "--locked", "--versioned-dirs", "--quiet"])
        .arg(vendor)
        .current_dir(corpus_dir)
        .stdout(Stdio::null())
        .status()
        .context("cannot run cargo vendor")?;
    if !status.success() {
        bail!("cargo vendor of ecosystem/Cargo.toml failed ({status})");
    }
    Ok(())
}

/// Copies the crate's published sources to a fresh folder, pins its
/// dev-dependencies and runs `cargo test --no-fail-fast` for the target.
fn run_suite(
    tc: &Toolchain,
    member: &Member,
    version: &str,
    vendor: &Path,
    work: &Path,
    corpus_dir: &Path,
) -> Result<Outcome> {
    let id = format!("{}-{version}", member.name);
    let source = vendor.join(&id);
    let dir = work.join("suites").join(&id);
    let _ = fs::remove_dir_all(&dir);
    copy_tree(&source, &dir)?;
    let _ = fs::remove_file(dir.join(".cargo-checksum.json"));
    if PATCHED_TO_ITSELF.contains(&member.name) {
        let manifest = dir.join("Cargo.toml");
        let mut text = fs::read_to_string(&manifest)?;
        text.push_str(&format!(
            "\n[patch.crates-io]\n{} = {{ path = \".\" }}\n",
            member.name
        ));
        fs::write(&manifest, text)?;
    }

    let saved_lock = corpus_dir.join("locks").join(format!("{id}.lock"));
    let mut locked = saved_lock.is_file();
    if locked {
        fs::copy(&saved_lock, dir.join("Cargo.lock"))?;
    } else {
        let status = suite_cargo(tc, &dir, work)
            .arg("generate-lockfile")
            .status()?;
        if status.success() {
            fs::create_dir_all(saved_lock.parent().expect("has a parent"))?;
            fs::copy(dir.join("Cargo.lock"), &saved_lock)?;
            println!("  (new lock file {}: commit it)", saved_lock.display());
            locked = true;
        }
    }
    let log = work.join("logs").join(format!("{id}.log"));
    let mut cmd = suite_cargo(tc, &dir, work);
    cmd.args(["test", "--no-fail-fast", "--target", TARGET])
        .args(member.flags)
        .stdin(Stdio::null());
    if locked {
        cmd.arg("--locked");
    }
    // One file for both streams keeps cargo's and the tests' lines in order.
    let file = fs::File::create(&log)?;
    cmd.stdout(file.try_clone()?).stderr(file);
    cmd.status().context("cannot run cargo test")?;
    let text = String::from_utf8_lossy(&fs::read(&log)?).into_owned();
    Ok(parse(&text))
}

/// The toolchain's cargo in `dir`, sharing one target folder across the
/// corpus, with the toolchain's default runner (no user override) and no
/// backtrace settings from the caller.
fn suite_cargo(tc: &Toolchain, dir: &Path, work: &Path) -> Command {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![tc.dir.join("bin")];
    dirs.extend(std::env::split_paths(&path));
    let mut cmd = Command::new(tc.cargo());
    cmd.current_dir(dir)
        .env(
            "PATH",
            std::env::join_paths(dirs).expect("PATH entries have no ':'"),
        )
        .env("CARGO_TARGET_DIR", work.join("target"))
        // Property-test suites run for minutes under TCG.
        .env(
            "VERIDIAN_TIMEOUT",
            std::env::var("VERIDIAN_TIMEOUT").unwrap_or_else(|_| "1800".into()),
        )
        .env_remove("CARGO_TARGET_X86_64_UNKNOWN_VERIDIAN_RUNNER")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("RUSTFLAGS")
        // Suites compare error output with backtraces off (anyhow's
        // test_fmt); a backtrace setting of the caller's shell would fail them.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    cmd
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry?;
        let dest: PathBuf = to.join(entry.path().strip_prefix(from)?);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest)?;
        } else if entry.file_type().is_file() {
            fs::copy(entry.path(), &dest)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// One line of the table: crate, built, passed, failed, ignored, seconds.
pub fn table_line(row: &Row) -> String {
    let o = &row.outcome;
    format!(
        "{:<28} {:<6} {:>7} {:>7} {:>8} {:>6}",
        format!("{} {}", row.name, row.version),
        if o.build_error.is_none() { "yes" } else { "NO" },
        o.passed,
        o.failed(),
        o.ignored,
        row.seconds
    )
}

/// Prints the table, every failure with its reason, and the totals.
pub fn print(rows: &[Row]) {
    println!(
        "\n{:<28} {:<6} {:>7} {:>7} {:>8} {:>6}",
        "crate", "built", "passed", "failed", "ignored", "s"
    );
    for row in rows {
        println!("{}", table_line(row));
    }
    for row in rows {
        let o = &row.outcome;
        if let Some(error) = &o.build_error {
            println!("\n{} does not build: {error}", row.name);
        }
        for (test, reason) in &o.failures {
            println!("  {}: {test}: {reason}", row.name);
        }
        for (binary, reason) in &o.broken_binaries {
            println!("  {}: test binary {binary}: {reason}", row.name);
        }
    }
    let passed: usize = rows.iter().map(|r| r.outcome.passed).sum();
    let failed: usize = rows.iter().map(|r| r.outcome.failed()).sum();
    let built = rows
        .iter()
        .filter(|r| r.outcome.build_error.is_none())
        .count();
    let share = if passed + failed == 0 {
        0.0
    } else {
        100.0 * passed as f64 / (passed + failed) as f64
    };
    println!(
        "\n{built} of {} crates built; {passed} tests passed, {failed} failed: {share:.1} % passed",
        rows.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_dependencies_resolve_versions_named_or_implied() {
        let lock = r#"version = 4

[[package]]
name = "getrandom"
version = "0.3.4"

[[package]]
name = "getrandom"
version = "0.4.3"

[[package]]
name = "libc"
version = "0.2.191"

[[package]]
name = "veridian-corpus"
version = "0.0.0"
dependencies = [
 "getrandom 0.4.3",
 "libc",
]
"#;
        let deps = root_dependencies(lock).unwrap();
        assert_eq!(
            deps,
            [
                ("getrandom".to_string(), "0.4.3".to_string()),
                ("libc".to_string(), "0.2.191".to_string())
            ]
        );
        assert!(root_dependencies("version = 4\n").is_err());
    }

    #[test]
    fn every_corpus_crate_is_pinned_by_the_repository_lock() {
        let lock = fs::read_to_string(paths::repo_root().join("ecosystem/Cargo.lock")).unwrap();
        let deps = root_dependencies(&lock).unwrap();
        for member in CORPUS {
            assert!(
                deps.iter().any(|(n, _)| n == member.name),
                "{}",
                member.name
            );
        }
        for name in QUICK {
            assert!(CORPUS.iter().any(|m| m.name == *name), "{name}");
        }
    }
}
