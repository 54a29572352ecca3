//! The formatting and lint gates (`cargo xtask lint`, and rows of `cargo
//! xtask test`): `cargo fmt --check` over every workspace of the
//! repository, and clippy with warnings denied for the host workspace, the
//! userland programs (x86_64-unknown-veridian) and the kernel
//! (x86_64-unknown-none).

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Command, Output};

use crate::toolchain::{Toolchain, HOST_CARGO, HOST_CARGO_CLIPPY};
use crate::{kernel, paths, setup};

/// Every Cargo workspace in the repository, relative to its root.
pub const WORKSPACES: &[&str] = &[".", "kernel/kernel", "userland", "fs/blockfs/fuzz"];

/// Lines of a failing command's output quoted in its row.
const QUOTED_LINES: usize = 60;

/// Every gate, as (row name, result).
pub fn rows(tc: &Toolchain) -> Vec<(String, Result<()>)> {
    let mut rows: Vec<(String, Result<()>)> = WORKSPACES
        .iter()
        .map(|ws| (format!("cargo fmt --check: {ws}"), fmt_check(ws)))
        .collect();
    rows.push((
        "clippy -D warnings: host workspace (--workspace --all-targets)".into(),
        clippy_host(),
    ));
    rows.push((
        format!("clippy -D warnings: userland ({})", paths::TARGET),
        clippy_userland(tc),
    ));
    rows.push((
        "clippy -D warnings: kernel (x86_64-unknown-none)".into(),
        clippy_kernel(),
    ));
    rows
}

/// `cargo fmt --check` in one workspace, with the cargo running xtask
/// (rustup's, which has rustfmt). The kernel's and the programs' sources
/// are plain Rust, so their own toolchains are not needed to check them.
pub fn fmt_check(workspace: &str) -> Result<()> {
    let mut cmd = Command::new(host_cargo());
    cmd.args(["fmt", "--check", "--", "--color=never"])
        .current_dir(paths::repo_root().join(workspace));
    let out = run(&mut cmd)?;
    if out.status.success() {
        return Ok(());
    }
    let text = text_of(&out);
    let mut files: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Diff in "))
        .map(|l| l.rsplit_once(':').map_or(l, |(file, _line)| file))
        .collect();
    files.dedup();
    bail!(
        "{} file(s) not formatted (run `cargo fmt` in {workspace}):\n{}",
        files.len(),
        quote(&text)
    )
}

/// Clippy over the host workspace with rustup's clippy.
pub fn clippy_host() -> Result<()> {
    let mut cmd = Command::new(host_cargo());
    cmd.args(["clippy", "--workspace", "--all-targets"])
        .current_dir(paths::repo_root());
    clippy(cmd)
}

/// Clippy over userland/ for the target, through the veridian toolchain's
/// `cargo-clippy` (Debian's, with the toolchain's sysroot).
pub fn clippy_userland(tc: &Toolchain) -> Result<()> {
    let mut cmd = Command::new(tc.dir.join("bin/cargo-clippy"));
    cmd.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--target",
        paths::TARGET,
    ])
    .current_dir(paths::repo_root().join("userland"))
    .env("CARGO", tc.cargo())
    .env("RUSTC", tc.rustc())
    .env("RUSTDOC", tc.dir.join("bin/rustdoc"))
    .env_remove("RUSTFLAGS")
    .env_remove("RUSTC_WRAPPER");
    clippy(cmd)
}

/// Clippy over the kernel, set up as `cargo xtask kernel` builds it
/// (Debian's cargo and rustc, build-std) with Debian's clippy.
pub fn clippy_kernel() -> Result<()> {
    setup::ensure(&["rustc-web", "cargo-web", "rust-web-src", "rust-web-clippy"])?;
    let mut cmd = kernel::cargo_command(HOST_CARGO_CLIPPY);
    cmd.args(["clippy", "--release"]).env("CARGO", HOST_CARGO);
    clippy(cmd)
}

/// Runs a prepared `cargo clippy` with `-D warnings`; on failure, counts
/// the diagnostics per source file. `--keep-going` makes one run report the
/// diagnostics of every crate, not only of the first that fails.
fn clippy(mut cmd: Command) -> Result<()> {
    cmd.args([
        "--keep-going",
        "--message-format=short",
        "--",
        "-D",
        "warnings",
    ])
    .env_remove("CLIPPY_ARGS")
    .env_remove("RUSTC_WORKSPACE_WRAPPER");
    let out = run(&mut cmd)?;
    if out.status.success() {
        return Ok(());
    }
    let text = text_of(&out);
    let diagnostics = diagnostics(&text);
    if diagnostics.is_empty() {
        bail!(
            "{} failed ({}):\n{}",
            describe(&cmd),
            out.status,
            quote(&text)
        );
    }
    bail!(
        "{} diagnostic(s) in {}:\n{}",
        diagnostics.len(),
        per_file(&diagnostics),
        quote(&diagnostics.join("\n"))
    )
}

/// The `file:line:col: error|warning: ...` lines of short-format output,
/// each once.
fn diagnostics(text: &str) -> Vec<&str> {
    let mut seen = std::collections::BTreeSet::new();
    text.lines()
        .filter(|l| {
            let mut parts = l.splitn(4, ':');
            let (Some(_file), Some(line), Some(_col), Some(rest)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return false;
            };
            line.parse::<u32>().is_ok()
                && (rest.starts_with(" error") || rest.starts_with(" warning"))
        })
        .filter(|l| seen.insert(*l))
        .collect()
}

/// "a.rs: 3, b.rs: 1" for diagnostic lines.
fn per_file(diagnostics: &[&str]) -> String {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for d in diagnostics {
        *counts.entry(d.split(':').next().unwrap_or("")).or_default() += 1;
    }
    counts
        .iter()
        .map(|(file, n)| format!("{file}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The cargo running xtask (rustup's), for the host-side gates.
fn host_cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn run(cmd: &mut Command) -> Result<Output> {
    cmd.output()
        .with_context(|| format!("cannot run {}", describe(cmd)))
}

fn describe(cmd: &Command) -> String {
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let dir = cmd.get_current_dir().unwrap_or(Path::new("."));
    format!(
        "{} {} (in {})",
        cmd.get_program().to_string_lossy(),
        args.join(" "),
        dir.display()
    )
}

fn text_of(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The first [`QUOTED_LINES`] lines of `text`, indented, with a note of
/// how many were left out.
fn quote(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines
        .iter()
        .take(QUOTED_LINES)
        .map(|l| format!("      {l}"))
        .collect();
    if lines.len() > QUOTED_LINES {
        out.push(format!(
            "      ... ({} more lines)",
            lines.len() - QUOTED_LINES
        ));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_are_short_format_lines_each_once() {
        let text = "    Checking vfs v0.1.0\n\
            kernel/vfs/src/a.rs:69:10: error: very complex type used\n\
            kernel/vfs/src/a.rs:69:10: error: very complex type used\n\
            kernel/vfs/src/b.rs:3:1: warning: unused import\n\
            error: could not compile `veridian-vfs` (lib) due to 2 previous errors\n";
        let d = diagnostics(text);
        assert_eq!(d.len(), 2);
        assert_eq!(
            per_file(&d),
            "kernel/vfs/src/a.rs: 1, kernel/vfs/src/b.rs: 1"
        );
    }

    #[test]
    fn quote_keeps_the_head() {
        let text: String = (0..100).map(|i| format!("l{i}\n")).collect();
        let q = quote(&text);
        assert!(q.starts_with("      l0\n"));
        assert!(q.ends_with("... (40 more lines)"));
    }

    /// The kernel and userland/ are workspaces of their own, and
    /// veridian-syscall is also built inside std's workspace: their lint
    /// tables must say what the root's `[workspace.lints]` says.
    #[test]
    fn every_workspace_has_the_root_lints() {
        let root = paths::repo_root();
        let lints = |manifest: &str, prefix: &str| {
            let text = std::fs::read_to_string(root.join(manifest)).unwrap();
            lint_tables(&text, prefix)
        };
        let expected = lints("Cargo.toml", "[workspace.lints");
        assert!(expected.contains("unsafe_op_in_unsafe_fn"), "{expected}");
        for ws in ["kernel/kernel/Cargo.toml", "userland/Cargo.toml"] {
            assert_eq!(lints(ws, "[workspace.lints"), expected, "{ws}");
        }
        let syscall = "toolchain/veridian-syscall/Cargo.toml";
        assert_eq!(lints(syscall, "[lints"), expected, "{syscall}");
    }

    /// The tables whose headers start with `prefix` (headers shown without
    /// it), comments and blank lines dropped.
    fn lint_tables(manifest: &str, prefix: &str) -> String {
        let mut inside = false;
        let mut out = String::new();
        for line in manifest.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.starts_with('[') {
                inside = line.starts_with(prefix);
            }
            if inside && !line.is_empty() {
                out.push_str(line.strip_prefix(prefix).unwrap_or(line));
                out.push('\n');
            }
        }
        out
    }
}
