//! Checks of the installed toolchain as a user sees it: what rustc reports
//! for the target, and a hello-world crate built with `cargo +veridian`.

use anyhow::{bail, ensure, Context, Result};
use goblin::elf::{program_header::PT_INTERP, Elf};
use std::fs;
use std::process::Command;

use crate::paths::TARGET;
use crate::toolchain::Toolchain;

/// Spec values of targets/x86_64-unknown-veridian.json that the toolchain
/// must keep (the key, and the JSON value rustc must report).
const SPEC_EXPECTATIONS: &[(&str, &str)] = &[
    ("os", r#""veridian""#),
    ("env", r#""""#),
    ("arch", r#""x86_64""#),
    ("target-family", r#"["unix"]"#),
    ("dynamic-linking", "true"),
    ("crt-static-allows-dylibs", "true"),
    ("crt-static-default", "true"),
    ("crt-static-respected", "true"),
    ("position-independent-executables", "true"),
    ("static-position-independent-executables", "true"),
    ("relocation-model", r#""pic""#),
    ("tls-model", r#""global-dynamic""#),
    ("panic-strategy", r#""unwind""#),
    ("features", r#""+sse,+sse2,+sse3,+ssse3,+sse4.1,+sse4.2""#),
    ("function-sections", "true"),
    ("max-atomic-width", "64"),
    ("stack-probes", r#"{"kind":"inline"}"#),
];

/// Values rustc leaves out of `--print target-spec-json` because they are its defaults.
const RUSTC_DEFAULTS: &[(&str, &str)] = &[
    ("env", r#""""#),
    ("dynamic-linking", "false"),
    ("crt-static-allows-dylibs", "false"),
    ("tls-model", r#""global-dynamic""#),
    ("function-sections", "true"),
    ("relocation-model", r#""pic""#),
    ("panic-strategy", r#""unwind""#),
];

/// `--print target-spec-json` reports every decided value.
pub fn spec_json(tc: &Toolchain) -> Result<()> {
    let text = rustc_print(tc, &["-Zunstable-options", "--print", "target-spec-json"])?;
    let spec: serde_json::Value =
        serde_json::from_str(&text).context("target-spec-json is not JSON")?;
    for (key, expected) in SPEC_EXPECTATIONS {
        let want: serde_json::Value = serde_json::from_str(expected).expect("expectation is JSON");
        // rustc omits fields that equal its defaults.
        let got = spec.get(*key).cloned().unwrap_or_else(|| {
            let default = RUSTC_DEFAULTS
                .iter()
                .find(|(k, _)| k == key)
                .map_or("null", |(_, v)| v);
            serde_json::from_str(default).expect("default is JSON")
        });
        ensure!(
            got == want,
            "target spec {key}: rustc reports {got}, expected {want}"
        );
    }
    Ok(())
}

/// `--print cfg` shows the target as VeridianOS, unix, static, unwind.
pub fn cfg(tc: &Toolchain) -> Result<()> {
    let text = rustc_print(tc, &["--print", "cfg"])?;
    for want in [
        r#"target_os="veridian""#,
        r#"target_family="unix""#,
        "unix",
        r#"target_env="""#,
        r#"panic="unwind""#,
        r#"target_feature="crt-static""#,
        r#"target_feature="sse4.2""#,
        r#"target_pointer_width="64""#,
    ] {
        ensure!(text.lines().any(|l| l == want), "--print cfg lacks {want}");
    }
    Ok(())
}

fn rustc_print(tc: &Toolchain, args: &[&str]) -> Result<String> {
    let out = Command::new(tc.rustc())
        .args(["--target", TARGET])
        .args(args)
        .output()?;
    if !out.status.success() {
        bail!(
            "rustc {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A fresh `cargo new` crate built with `cargo +veridian build --release
/// --target x86_64-unknown-veridian` and nothing else: a static ELF without
/// PT_INTERP that prints its line on the host.
pub fn hello_with_rustup(tc: &Toolchain) -> Result<()> {
    let dir = tempfile_dir()?;
    let run = |cmd: &mut Command| -> Result<std::process::Output> {
        let out = cmd
            .env_remove("RUSTFLAGS")
            .env_remove("RUSTUP_TOOLCHAIN")
            .output()?;
        if !out.status.success() {
            bail!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(out)
    };
    // Through rustup when it is there (what users type), else the toolchain's cargo.
    let cargo = || {
        if has_rustup() {
            let mut cmd = Command::new("cargo");
            cmd.arg("+veridian");
            cmd
        } else {
            Command::new(tc.cargo())
        }
    };
    run(cargo()
        .args(["new", "--quiet", "--vcs", "none", "hello"])
        .current_dir(&dir))?;
    let crate_dir = dir.join("hello");
    run(cargo()
        .args(["build", "--quiet", "--release", "--target", TARGET])
        .current_dir(&crate_dir))?;
    let binary = crate_dir.join("target").join(TARGET).join("release/hello");
    let bytes = fs::read(&binary).with_context(|| format!("no binary at {}", binary.display()))?;
    let elf = Elf::parse(&bytes).context("not an ELF file")?;
    ensure!(
        elf.is_64 && elf.header.e_machine == goblin::elf::header::EM_X86_64,
        "not an x86_64 ELF64"
    );
    ensure!(
        !elf.program_headers.iter().any(|p| p.p_type == PT_INTERP),
        "has PT_INTERP (not static)"
    );
    ensure!(
        elf.dynamic
            .as_ref()
            .is_none_or(|d| d.info.needed_count == 0),
        "needs shared libraries"
    );
    let out = Command::new(&binary).output()?;
    ensure!(out.status.success(), "hello exited with {}", out.status);
    ensure!(
        String::from_utf8_lossy(&out.stdout) == "Hello, world!\n",
        "hello printed {:?}",
        out.stdout
    );
    fs::remove_dir_all(&dir)?;
    Ok(())
}

fn has_rustup() -> bool {
    Command::new("rustup")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("veridian-hello-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The runner's contract with /sbin/init, on the host: a run bundle holding
/// a suite program with its arguments, environment and standard input, run by
/// `init --bundle`, gives the program's exit status and its stdout in the
/// named file (conf-env checks args and env, conf-io checks stdin).
pub fn init_bundle_on_host(bin_dir: &std::path::Path) -> Result<()> {
    for name in ["conf-env", "conf-io"] {
        let program = crate::conformance::PROGRAMS
            .iter()
            .find(|p| p.bin == name)
            .expect("program is in the suite");
        bundle_run_on_host(bin_dir, program)?;
    }
    Ok(())
}

fn bundle_run_on_host(
    bin_dir: &std::path::Path,
    suite_program: &crate::conformance::Program,
) -> Result<()> {
    let dir = tempfile_dir()?;
    let program = fs::read(bin_dir.join(suite_program.bin))?;
    let args: Vec<String> = suite_program.args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = suite_program
        .env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (out, err) = (dir.join("out"), dir.join("err"));
    fs::write(&out, "")?;
    fs::write(&err, "")?;
    let guest = dir
        .join("bin")
        .join(suite_program.bin)
        .display()
        .to_string();
    let bundle = veridian_run::bundle::Bundle {
        path: &guest,
        args: &args,
        env: &env,
        cwd: "/",
        stdout: out.to_str().context("utf-8 path")?,
        stderr: err.to_str().context("utf-8 path")?,
        program: &program,
        stdin: suite_program.stdin.as_bytes(),
        tree: b"",
    };
    let disk = dir.join("bundle.img");
    fs::write(&disk, bundle.encode())?;
    let status = Command::new(bin_dir.join("init"))
        .arg("--bundle")
        .arg(&disk)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .status()?;
    let outcome = crate::conformance::judge(
        suite_program,
        status.into(),
        &fs::read_to_string(&out)?,
        &fs::read_to_string(&err)?,
    );
    ensure!(
        outcome.passed,
        "{} through init --bundle: {}",
        suite_program.bin,
        outcome.detail
    );
    fs::remove_dir_all(&dir)?;
    Ok(())
}

/// `cargo +veridian test` of userland/test-sample: its three tests pass;
/// with `--features failing` the fourth is reported failed and the run fails.
pub fn cargo_test_reports(tc: &Toolchain) -> Result<()> {
    // `env` as the runner executes the test binary natively on the host
    // (userland's config runs it inside VeridianOS otherwise).
    test_sample_reports(tc, Some("env"))
}

/// Runs `cargo +veridian test` of userland/test-sample with `runner`
/// (default: userland/.cargo/config.toml's) and checks the passing and the
/// failing run are reported as such.
pub fn test_sample_reports(tc: &Toolchain, runner: Option<&str>) -> Result<()> {
    let userland = crate::paths::repo_root().join("userland");
    let test = |features: &[&str]| -> Result<(bool, String, String)> {
        let mut cmd = Command::new(tc.cargo());
        cmd.args(["test", "--target", TARGET, "-p", "test-sample"])
            .args(features)
            .current_dir(&userland)
            .env("RUSTC", tc.rustc())
            .env("RUSTDOC", tc.dir.join("bin/rustdoc"))
            .env_remove("RUSTFLAGS")
            .stdin(std::process::Stdio::null());
        if let Some(runner) = runner {
            cmd.env(crate::guest_tests::runner_env_key(), runner);
        }
        let out = cmd.output()?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Ok((out.status.success(), text(&out.stdout), text(&out.stderr)))
    };
    let (ok, stdout, stderr) = test(&[])?;
    ensure!(
        ok && stdout.contains("test result: ok. 3 passed; 0 failed"),
        "passing run: {stdout}{stderr}"
    );
    let (ok, stdout, stderr) = test(&["--features", "failing"])?;
    ensure!(!ok, "a failing test must fail the run");
    ensure!(
        stdout.contains("tests::deliberately_wrong ... FAILED"),
        "failure not reported: {stdout}{stderr}"
    );
    ensure!(
        stdout.contains("test result: FAILED. 3 passed; 1 failed"),
        "summary: {stdout}{stderr}"
    );
    Ok(())
}
