//! Crates from crates.io built unmodified for the target: a project outside
//! the repository, with no configuration of its own, using `libc`,
//! `getrandom`, `tempfile` and `tokio` (which name no VeridianOS arm), a
//! doctest and `catch_unwind`, built and tested with the toolchain's cargo.
//! [`unmodified_crates`] runs its programs on the host (same syscall ABI)
//! through a user runner that overrides veridian-run; [`in_guest`] lets
//! `cargo test` use the toolchain's default runner, and the tests prove they
//! run inside VeridianOS, in their package folder.

pub mod corpus;
mod report;

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

[dev-dependencies]
tempfile = "3"
tokio = { version = "1", features = ["rt", "net", "io-util", "macros"] }
"#;

/// Integration tests that only pass inside VeridianOS, in the package folder.
const GUEST_TESTS: &str = r#"use std::io::{Read, Write};

#[test]
fn runs_inside_veridian() {
    let release = std::fs::read_to_string("/etc/os-release").unwrap();
    assert!(release.lines().any(|l| l == "ID=veridian"), "{release}");
}

#[test]
fn package_files_are_where_cargo_put_them() {
    let dir = env!("CARGO_MANIFEST_DIR");
    assert_eq!(std::env::current_dir().unwrap().to_str(), Some(dir));
    let manifest = std::fs::read_to_string(format!("{dir}/Cargo.toml")).unwrap();
    assert!(manifest.contains("eco-check"));
    assert_eq!(std::fs::read_to_string("tests/data/f.txt").unwrap(), "fixture\n");
    std::fs::write("tests/data/written-in-guest", "guest").unwrap();
}

#[test]
fn tempfile_round_trip() {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(b"round trip").unwrap();
    std::io::Seek::rewind(&mut file).unwrap();
    let mut back = String::new();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "round trip");
}

#[test]
fn getrandom_bytes() {
    assert_ne!(eco_check::random(), [0u8; 16]);
}

#[tokio::test]
async fn tokio_tcp_echo() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        let n = socket.read(&mut buf).await.unwrap();
        socket.write_all(&buf[..n]).await.unwrap();
    });
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client.write_all(b"echo over tokio").await.unwrap();
    let mut reply = vec![0u8; 15];
    client.read_exact(&mut reply).await.unwrap();
    assert_eq!(reply, b"echo over tokio");
    server.await.unwrap();
}
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

/// `cargo xtask ecosystem`: the toolchain, kernel and rootfs the runner
/// needs, then the corpus table.
pub fn run(crates: &[String], from_logs: bool) -> Result<()> {
    if from_logs {
        corpus::print(&corpus::from_logs(crates)?);
        return Ok(());
    }
    let tc = crate::toolchain::build(false)?;
    crate::kernel::build()?;
    crate::rootfs::build(&tc, crate::rootfs::DEFAULT_SIZE_MB)?;
    let rows = corpus::run(&tc, crates)?;
    corpus::print(&rows);
    Ok(())
}

/// The quick corpus of `cargo xtask test`: every crate builds and every
/// test passes inside VeridianOS.
pub fn quick_corpus(tc: &Toolchain) -> Result<()> {
    let names: Vec<String> = corpus::QUICK.iter().map(|s| s.to_string()).collect();
    let rows = corpus::run(tc, &names)?;
    for row in &rows {
        let o = &row.outcome;
        ensure!(
            o.build_error.is_none(),
            "{} does not build: {:?}",
            row.name,
            o.build_error
        );
        ensure!(
            o.failed() == 0 && o.passed > 0,
            "{}: {} passed, failures {:?} {:?}",
            row.name,
            o.passed,
            o.failures,
            o.broken_binaries
        );
    }
    Ok(())
}

/// The project in a fresh folder under the system's temporary directory.
fn write_project(name: &str) -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("veridian-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src"))?;
    fs::create_dir_all(dir.join("tests/data"))?;
    fs::write(dir.join("Cargo.toml"), MANIFEST)?;
    fs::write(dir.join("src/lib.rs"), LIB)?;
    fs::write(dir.join("src/main.rs"), MAIN)?;
    fs::write(dir.join("tests/data/f.txt"), "fixture\n")?;
    Ok(dir)
}

/// Builds, tests (unit and doc tests) and runs the project on the host.
pub fn unmodified_crates(tc: &Toolchain) -> Result<()> {
    let dir = write_project("eco")?;
    let result = check(tc, &dir);
    let _ = fs::remove_dir_all(&dir);
    result
}

/// `cargo test` of the project with the toolchain's default runner: unit
/// tests, the doctest and integration tests run inside VeridianOS, see their
/// package's files, and what they write stays in the guest.
pub fn in_guest(tc: &Toolchain) -> Result<()> {
    let dir = write_project("eco-guest")?;
    fs::write(dir.join("tests/guest.rs"), GUEST_TESTS)?;
    let result = (|| {
        let test = cargo(tc, &dir, None, &["test", "--target", TARGET])?;
        let report = String::from_utf8_lossy(&test.stdout);
        for name in [
            "a_panic_unwinds_to_catch_unwind ... ok",
            "src/lib.rs - (line 1) ... ok",
            "runs_inside_veridian ... ok",
            "package_files_are_where_cargo_put_them ... ok",
            "tempfile_round_trip ... ok",
            "getrandom_bytes ... ok",
            "tokio_tcp_echo ... ok",
        ] {
            ensure!(report.contains(name), "`{name}` missing from:\n{report}");
        }
        ensure!(
            !dir.join("tests/data/written-in-guest").exists(),
            "a file written inside the guest appeared in the host's package folder"
        );
        Ok(())
    })();
    let _ = fs::remove_dir_all(&dir);
    result
}

fn check(tc: &Toolchain, dir: &Path) -> Result<()> {
    let host = Some("env");
    cargo(tc, dir, host, &["build", "--quiet", "--target", TARGET])?;
    let test = cargo(tc, dir, host, &["test", "--target", TARGET])?;
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

/// The toolchain's cargo, its rustc and rustdoc first on PATH, with a user's
/// own `runner` when given (`env` runs the programs on the host), else the
/// toolchain's default.
fn cargo(tc: &Toolchain, dir: &Path, runner: Option<&str>, args: &[&str]) -> Result<Output> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![tc.dir.join("bin")];
    dirs.extend(std::env::split_paths(&path));
    let mut cmd = Command::new(tc.cargo());
    match runner {
        Some(runner) => cmd.env("CARGO_TARGET_X86_64_UNKNOWN_VERIDIAN_RUNNER", runner),
        None => cmd.env_remove("CARGO_TARGET_X86_64_UNKNOWN_VERIDIAN_RUNNER"),
    };
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env("PATH", std::env::join_paths(dirs)?)
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
