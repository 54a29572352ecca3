//! The self-hosting criteria for the VeridianOS-hosted toolchain, run on the Linux
//! host (a VeridianOS binary runs there, the ABI being Linux's): rustc
//! reports host x86_64-unknown-veridian, compiles a hello world that runs, a
//! `--crate-type lib` core file, a proc-macro it loads while compiling its
//! user, and cargo builds a new crate offline with a vendored dependency.

use anyhow::Result;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::paths;

/// One criterion's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail(String),
}

/// Runs every check with the toolchain at `prefix`; `vendored_dep` is a
/// crate folder from a cargo vendor directory (with .cargo-checksum.json).
pub fn run(
    prefix: &Path,
    vendored_dep: &Path,
    work: &Path,
) -> Result<Vec<(&'static str, Verdict)>> {
    if work.exists() {
        fs::remove_dir_all(work)?;
    }
    fs::create_dir_all(work)?;
    let rustc = prefix.join("bin/rustc");
    let cargo = prefix.join("bin/cargo");
    let mut out = Vec::new();

    out.push((
        "rustc --version --verbose shows host x86_64-unknown-veridian",
        check(Command::new(&rustc).args(["--version", "--verbose"]), |o| {
            o.lines()
                .any(|l| l.trim() == format!("host: {}", paths::TARGET))
        }),
    ));

    let hello = work.join("hello.rs");
    fs::write(
        &hello,
        "fn main() {\n    println!(\"Hello from VeridianOS rustc!\");\n}\n",
    )?;
    let hello_bin = work.join("hello");
    out.push((
        "rustc hello.rs -o hello",
        check(
            Command::new(&rustc).arg(&hello).arg("-o").arg(&hello_bin),
            |_| true,
        ),
    ));
    out.push((
        "./hello prints the greeting",
        check(&mut Command::new(&hello_bin), |o| {
            o.trim() == "Hello from VeridianOS rustc!"
        }),
    ));

    let core = work.join("core_test.rs");
    fs::write(
        &core,
        "#![no_std]\npub fn add(a: u64, b: u64) -> u64 { a.wrapping_add(b) }\n",
    )?;
    out.push((
        "rustc --edition 2021 --crate-type lib core_test.rs",
        check(
            Command::new(&rustc)
                .args(["--edition", "2021", "--crate-type", "lib"])
                .arg(&core)
                .current_dir(work),
            |_| true,
        ),
    ));

    out.extend(proc_macro_checks(&rustc, work)?);

    let project = work.join("test-project");
    let cargo_env = |c: &mut Command| {
        c.env("CARGO_HOME", work.join("cargo-home"))
            .env("RUSTC", &rustc)
            .env_remove("RUSTUP_TOOLCHAIN");
    };
    let mut new = Command::new(&cargo);
    new.args(["new", "--offline", "--vcs", "none"])
        .arg(&project);
    cargo_env(&mut new);
    out.push(("cargo new test-project", check(&mut new, |_| true)));
    let built = project.join("target/release/test-project");
    let verdict = match add_vendored_dep(&project, vendored_dep) {
        Err(e) => Verdict::Fail(format!("{e:#}")),
        Ok(()) => {
            let mut build = Command::new(&cargo);
            build
                .args(["build", "--release", "--offline"])
                .current_dir(&project);
            cargo_env(&mut build);
            check(&mut build, |_| built.exists())
        }
    };
    out.push(("cargo build --offline with a vendored dependency", verdict));
    out.push((
        "the cargo-built binary runs",
        check(&mut Command::new(&built), |o| {
            o.contains("vendored dependency works")
        }),
    ));
    Ok(out)
}

/// A proc-macro crate (a shared object against musl's libc.so) and a
/// program whose compilation loads it into rustc.
fn proc_macro_checks(rustc: &Path, work: &Path) -> Result<Vec<(&'static str, Verdict)>> {
    fs::write(
        work.join("answer.rs"),
        "extern crate proc_macro;
use proc_macro::TokenStream;

         #[proc_macro]
pub fn answer(_: TokenStream) -> TokenStream {
             \"6 * 7\".parse().unwrap()
}
",
    )?;
    fs::write(
        work.join("use_answer.rs"),
        "fn main() {
    println!(\"proc-macro answer: {}\", answer::answer!());
}
",
    )?;
    let library = work.join("libanswer.so");
    let program = work.join("use_answer");
    Ok(vec![
        (
            "rustc --crate-type proc-macro answer.rs",
            check(
                Command::new(rustc)
                    .args([
                        "--edition",
                        "2021",
                        "--crate-type",
                        "proc-macro",
                        "answer.rs",
                    ])
                    .current_dir(work),
                |_| library.exists(),
            ),
        ),
        (
            "rustc loads it compiling use_answer.rs",
            check(
                Command::new(rustc)
                    .args(["--edition", "2021", "use_answer.rs", "--extern"])
                    .arg(format!("answer={}", library.display()))
                    .current_dir(work),
                |_| program.exists(),
            ),
        ),
        (
            "use_answer prints what the macro expanded to",
            check(&mut Command::new(&program), |o| {
                o.trim() == "proc-macro answer: 42"
            }),
        ),
    ])
}

/// Copies `dep` into `<project>/vendor`, points crates.io at it, and makes
/// main.rs use it.
fn add_vendored_dep(project: &Path, dep: &Path) -> Result<()> {
    let name_ver = dep
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let (name, version) = name_ver.rsplit_once('-').unwrap_or((&name_ver, "*"));
    let vendor = project.join("vendor");
    let dest = vendor.join(&name_ver);
    fs::create_dir_all(&dest)?;
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", dep.display()))
        .arg(&dest)
        .status()?;
    anyhow::ensure!(status.success(), "cannot copy {}", dep.display());
    fs::create_dir_all(project.join(".cargo"))?;
    fs::write(
        project.join(".cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"vendor\"\n",
    )?;
    let manifest = project.join("Cargo.toml");
    let text = fs::read_to_string(&manifest)?;
    fs::write(&manifest, format!("{text}{name} = \"={version}\"\n"))?;
    let krate = name.replace('-', "_");
    fs::write(
        project.join("src/main.rs"),
        format!(
            "use {krate} as _;\n\nfn main() {{\n    println!(\"vendored dependency works\");\n}}\n"
        ),
    )?;
    Ok(())
}

fn check(cmd: &mut Command, ok: impl Fn(&str) -> bool) -> Verdict {
    match cmd.output() {
        Err(e) => Verdict::Fail(format!("cannot run {:?}: {e}", cmd.get_program())),
        Ok(o) => {
            let stdout = String::from_utf8_lossy(&o.stdout);
            if o.status.success() && ok(&stdout) {
                Verdict::Pass
            } else {
                let stderr = String::from_utf8_lossy(&o.stderr);
                let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
                Verdict::Fail(format!(
                    "{} — {}",
                    o.status,
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ))
            }
        }
    }
}

/// Prints the verdicts as a table; returns how many failed.
pub fn print(results: &[(&str, Verdict)]) -> usize {
    let mut failed = 0;
    for (what, v) in results {
        match v {
            Verdict::Pass => println!("  PASS  {what}"),
            Verdict::Fail(why) => {
                failed += 1;
                println!("  FAIL  {what}: {why}");
            }
        }
    }
    failed
}

/// A small crate from a vendor folder to use as the dependency.
pub fn pick_vendored_dep(vendor: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(vendor)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("cfg-if-1."))
        })
        .collect();
    found.sort();
    found.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_need_success_and_output() {
        assert_eq!(
            check(Command::new("sh").args(["-c", "echo hi"]), |o| o.trim()
                == "hi"),
            Verdict::Pass
        );
        assert!(matches!(
            check(Command::new("sh").args(["-c", "echo hi"]), |o| o
                .contains("bye")),
            Verdict::Fail(_)
        ));
        assert!(
            matches!(check(Command::new("sh").args(["-c", "echo oops >&2; exit 2"]), |_| true), Verdict::Fail(m) if m.contains("oops"))
        );
        assert_eq!(
            print(&[("a", Verdict::Pass), ("b", Verdict::Fail("x".into()))]),
            1
        );
    }

    /// The same checks pass with the build machine's rustc (a proc-macro
    /// the compiler loads is the part that needs a dynamic rustc).
    #[test]
    fn proc_macro_checks_pass_with_the_build_machines_rustc() {
        let tmp = tempfile::tempdir().unwrap();
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        for (what, verdict) in proc_macro_checks(Path::new(&rustc), tmp.path()).unwrap() {
            assert_eq!(verdict, Verdict::Pass, "{what}");
        }
    }

    #[test]
    fn vendored_dependency_is_wired_in() {
        let tmp = tempfile::tempdir().unwrap();
        let dep = tmp.path().join("vendor-src/cfg-if-1.0.4");
        fs::create_dir_all(dep.join("src")).unwrap();
        fs::write(dep.join("src/lib.rs"), "").unwrap();
        let project = tmp.path().join("p");
        fs::create_dir_all(project.join("src")).unwrap();
        fs::write(
            project.join("Cargo.toml"),
            "[package]\nname = \"p\"\n\n[dependencies]\n",
        )
        .unwrap();
        add_vendored_dep(&project, &dep).unwrap();
        assert!(fs::read_to_string(project.join("Cargo.toml"))
            .unwrap()
            .ends_with("cfg-if = \"=1.0.4\"\n"));
        assert!(fs::read_to_string(project.join("src/main.rs"))
            .unwrap()
            .contains("use cfg_if as _;"));
        assert!(project.join("vendor/cfg-if-1.0.4/src/lib.rs").exists());
        assert_eq!(pick_vendored_dep(&tmp.path().join("vendor-src")), Some(dep));
    }
}
