//! Crates from crates.io built unmodified for the target: a project outside
//! the repository, with no configuration of its own, using `libc` and
//! `getrandom` (which name no VeridianOS arm), a doctest and `catch_unwind`,
//! built and tested with the toolchain's cargo. Its programs run on the host
//! (same syscall ABI), through a user runner that overrides veridian-run.

use anyhow::{ensure, Context, Result};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::paths::TARGET;
use crate::toolchain::Toolchain;

const MANIFEST: &str = r#"[package]
name = "eco-check"
version = "0.1.0"
edition = "2021"

[dependencies]
libc = "0.2"
getrandom = "0.4"
"#;

const LIB: &str = r#"//! ```
//! assert_eq!(eco_check::pid(), unsafe { libc::getpid() });
//! ```

/// The process id, through libc.
pub fn pid() -> i32 {
    unsafe { libc::getpid() }
}

/// Sixteen bytes from getrandom.
pub fn random() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("getrandom");
    bytes
}

#[test]
fn a_panic_unwinds_to_catch_unwind() {
    assert!(std::panic::catch_unwind(|| panic!("on purpose")).is_err());
}
"#;

const MAIN: &str = r#"fn main() {
    let bytes = eco_check::random();
    println!("os {} pid-ok {} random {}", std::env::consts::OS,
        eco_check::pid() == std::process::id() as i32, bytes.iter().any(|b| *b != 0));
    let caught = std::panic::catch_unwind(|| panic!("on purpose"));
    println!("caught {}", caught.is_err());
}
"#;

/// Builds, tests (unit and doc tests) and runs the project.
pub fn unmodified_crates(tc: &Toolchain) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("veridian-eco-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src"))?;
    fs::write(dir.join("Cargo.toml"), MANIFEST)?;
    fs::write(dir.join("src/lib.rs"), LIB)?;
    fs::write(dir.join("src/main.rs"), MAIN)?;
    let result = check(tc, &dir);
    let _ = fs::remove_dir_all(&dir);
    result
}

fn check(tc: &Toolchain, dir: &Path) -> Result<()> {
    cargo(tc, dir, &["build", "--quiet", "--target", TARGET])?;
    let test = cargo(tc, dir, &["test", "--target", TARGET])?;
    let report = String::from_utf8_lossy(&test.stdout);
    ensure!(
        report.contains("a_panic_unwinds_to_catch_unwind ... ok"),
        "unit test not passed:\n{report}"
    );
    ensure!(
        report.contains("src/lib.rs - (line 1) ... ok"),
        "doctest not passed:\n{report}"
    );
    let binary = dir.join("target").join(TARGET).join("debug/eco-check");
    let out = Command::new(&binary)
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success() && text == "os veridian pid-ok true random true\ncaught true\n",
        "{} printed {text:?} ({})",
        binary.display(),
        out.status
    );
    Ok(())
}

/// The toolchain's cargo, its rustc and rustdoc first on PATH, with the
/// runner `env` (programs run on the host) standing in for a user's own.
fn cargo(tc: &Toolchain, dir: &Path, args: &[&str]) -> Result<Output> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![tc.dir.join("bin")];
    dirs.extend(std::env::split_paths(&path));
    let out = Command::new(tc.cargo())
        .args(args)
        .current_dir(dir)
        .env("PATH", std::env::join_paths(dirs)?)
        .env("CARGO_TARGET_X86_64_UNKNOWN_VERIDIAN_RUNNER", "env")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .output()?;
    ensure!(
        out.status.success(),
        "cargo {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out)
}
