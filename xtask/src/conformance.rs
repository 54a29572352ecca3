//! The std conformance suite (userland/conformance): building it with the
//! veridian toolchain and running it on the Linux host, whose syscall ABI
//! VeridianOS shares. The kernel runs the same binaries inside VeridianOS.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use veridian_run::cpus::Cpus;

use crate::toolchain::Toolchain;
use crate::{paths, progress};

/// How a conformance program must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Exit status 0 and the closing `CONF <suite> done <n>` marker.
    Pass,
    /// Exit status 101 (a panic leaving `main` under `panic = "unwind"`), after
    /// its first marker.
    PanicExit,
}

/// One program of the suite and how to run it.
pub struct Program {
    pub bin: &'static str,
    pub suite: &'static str,
    pub args: &'static [&'static str],
    pub env: &'static [(&'static str, &'static str)],
    pub stdin: &'static str,
    pub expect: Expect,
}

/// The suite, in the order it runs.
pub const PROGRAMS: &[Program] = &[
    Program {
        bin: "conf-io",
        suite: "io",
        args: &["stdin line"],
        env: &[],
        stdin: "stdin line\n",
        expect: Expect::Pass,
    },
    Program {
        bin: "conf-fs",
        suite: "fs",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::Pass,
    },
    Program {
        bin: "conf-env",
        suite: "env",
        args: &["alpha", "two words", ""],
        env: &[("CONF_ENV_GIVEN", "from-parent")],
        stdin: "",
        expect: Expect::Pass,
    },
    Program {
        bin: "conf-process",
        suite: "process",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::Pass,
    },
    Program {
        bin: "conf-thread",
        suite: "thread",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::Pass,
    },
    Program {
        bin: "conf-time",
        suite: "time",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::Pass,
    },
    Program {
        bin: "conf-signal",
        suite: "signal",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::Pass,
    },
    Program {
        bin: "conf-net",
        suite: "net",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::Pass,
    },
    Program {
        bin: "conf-poll",
        suite: "poll",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::Pass,
    },
    Program {
        bin: "conf-panic",
        suite: "panic",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::PanicExit,
    },
    Program {
        bin: "hostile",
        suite: "hostile",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::Pass,
    },
    Program {
        bin: "c-interop",
        suite: "c-interop",
        args: &[],
        env: &[],
        stdin: "",
        expect: Expect::Pass,
    },
];

/// A program's verdict.
pub struct Outcome {
    pub bin: &'static str,
    pub passed: bool,
    /// Marker lines seen (`CONF … ok`).
    pub checks: usize,
    pub detail: String,
}

impl Outcome {
    /// One line: verdict, program, marker count, detail, `suffix`.
    fn print(&self, suffix: &str) {
        let word = if self.passed { "PASS" } else { "FAIL" };
        println!(
            "  {word} {:<13} {:>2} checks  {}{suffix}",
            self.bin, self.checks, self.detail
        );
    }
}

/// Builds userland/ (conformance, hello, c-interop) for the target; returns
/// the folder holding the binaries.
pub fn build(tc: &Toolchain) -> Result<PathBuf> {
    let userland = paths::repo_root().join("userland");
    let mut cmd = Command::new(tc.cargo());
    cmd.args(["build", "--release", "--target", paths::TARGET])
        .current_dir(&userland)
        .env("RUSTC", tc.rustc())
        .env("RUSTDOC", tc.dir.join("bin/rustdoc"))
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER");
    progress::run_logged("build userland programs", "userland-build", &mut cmd)?;
    Ok(userland.join("target").join(paths::TARGET).join("release"))
}

/// Builds and runs the suite on the host; prints a line per program.
pub fn run_on_host(tc: &Toolchain) -> Result<Vec<Outcome>> {
    let bin_dir = build(tc)?;
    let mut outcomes = Vec::new();
    for program in PROGRAMS {
        let outcome = run_one(&bin_dir, program)?;
        outcome.print("");
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn run_one(bin_dir: &Path, program: &Program) -> Result<Outcome> {
    let mut cmd = Command::new(bin_dir.join(program.bin));
    cmd.args(program.args).envs(program.env.iter().copied());
    let Some(run) = run_piped(&mut cmd, program.stdin, Duration::from_secs(120))? else {
        return Ok(Outcome {
            bin: program.bin,
            passed: false,
            checks: 0,
            detail: "timed out after 120 s".into(),
        });
    };
    Ok(judge(program, run.status.into(), &run.stdout, &run.stderr))
}

/// What a finished child printed, and how it ended.
pub struct Finished {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` with `stdin` fed in and its output captured; `None` if it ran
/// past `limit` (then it was killed).
pub fn run_piped(cmd: &mut Command, stdin: &str, limit: Duration) -> Result<Option<Finished>> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", cmd.get_program().to_string_lossy()))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes())?;
    Ok(wait_with_timeout(child, limit)?.map(|o| Finished {
        status: o.status,
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }))
}

/// How a program ended: on the host from its wait status, inside VeridianOS
/// from the status init reports (the shell convention: 128 + signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Code(i32),
    Signal(i32),
}

impl From<std::process::ExitStatus> for Ended {
    fn from(status: std::process::ExitStatus) -> Ended {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => Ended::Code(code),
            (None, Some(signal)) => Ended::Signal(signal),
            (None, None) => Ended::Code(-1),
        }
    }
}

impl Ended {
    /// Reads init's status: 129..=159 means killed by signal status - 128.
    pub fn from_init_status(code: i32) -> Ended {
        if (129..=159).contains(&code) {
            Ended::Signal(code - 128)
        } else {
            Ended::Code(code)
        }
    }
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ended::Code(c) => write!(f, "exit status {c}"),
            Ended::Signal(s) => write!(f, "killed by signal {s}"),
        }
    }
}

/// Decides a program's verdict from how it ended and its output.
pub fn judge(program: &Program, ended: Ended, stdout: &str, stderr: &str) -> Outcome {
    let checks = stdout
        .lines()
        .filter(|l| l.starts_with("CONF ") && l.ends_with(" ok"))
        .count();
    let done = format!("CONF {} done {checks}", program.suite);
    let (passed, detail) = match program.expect {
        Expect::Pass if ended == Ended::Code(0) && stdout.lines().any(|l| l == done) => {
            (true, String::new())
        }
        Expect::Pass => {
            let last = stdout
                .lines()
                .rfind(|l| l.starts_with("CONF "))
                .unwrap_or("no marker");
            let why = stderr
                .lines()
                .find(|l| l.contains("panicked") || l.contains("error"))
                .unwrap_or("");
            (false, format!("{ended}; last marker: {last}; {why}"))
        }
        Expect::PanicExit
            if ended == Ended::Code(101) && checks == 1 && stderr.contains("panicked at") =>
        {
            (true, "unwound and exited with 101 as expected".into())
        }
        Expect::PanicExit => (
            false,
            format!("expected exit 101 after one marker, got {ended} after {checks}"),
        ),
    };
    Outcome {
        bin: program.bin,
        passed,
        checks,
        detail,
    }
}

/// Runs the suite inside VeridianOS, each program through `veridian-run`
/// (one boot per program, over a scratch overlay of the rootfs), the socket
/// program `conf-net` included.
pub fn run_in_veridian(
    tc: &Toolchain,
    bin_dir: &Path,
    accel: &str,
    cpus: Cpus,
) -> Result<Vec<Outcome>> {
    let runner = tc.dir.join("bin/veridian-run");
    let mut outcomes = Vec::new();
    for program in PROGRAMS {
        let mut cmd = Command::new(&runner);
        cmd.args(["--accel", accel, "--timeout", "300"])
            .args(["--cpus", &cpus.to_string()])
            .arg(bin_dir.join(program.bin))
            .args(program.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(program.env.iter().copied());
        let Some(run) = run_piped(&mut cmd, program.stdin, Duration::from_secs(330))? else {
            outcomes.push(Outcome {
                bin: program.bin,
                passed: false,
                checks: 0,
                detail: "veridian-run hung; killed".into(),
            });
            continue;
        };
        let outcome = match run.status.code() {
            Some(125) | None => Outcome {
                bin: program.bin,
                passed: false,
                checks: 0,
                detail: format!(
                    "veridian-run failed: {}",
                    run.stderr
                        .lines()
                        .rfind(|l| l.starts_with("veridian-run:"))
                        .unwrap_or(run.stderr.trim())
                ),
            },
            Some(code) => judge(
                program,
                Ended::from_init_status(code),
                &run.stdout,
                &run.stderr,
            ),
        };
        outcome.print("  (inside VeridianOS)");
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Waits for `child`, killing it (our own child, by its handle) after `limit`.
fn wait_with_timeout(
    mut child: std::process::Child,
    limit: Duration,
) -> Result<Option<std::process::Output>> {
    let start = Instant::now();
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let read_all = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = read_all(Box::new(stdout));
    let err = read_all(Box::new(stderr));
    loop {
        if let Some(status) = child.try_wait()? {
            let stdout = out.join().unwrap_or_default();
            let stderr = err.join().unwrap_or_default();
            return Ok(Some(std::process::Output {
                status,
                stdout,
                stderr,
            }));
        }
        if start.elapsed() > limit {
            child.kill()?;
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(expect: Expect) -> Program {
        Program {
            bin: "conf-x",
            suite: "x",
            args: &[],
            env: &[],
            stdin: "",
            expect,
        }
    }

    #[test]
    fn pass_needs_exit_zero_and_matching_done_marker() {
        let p = program(Expect::Pass);
        let ok = "CONF x a ok\nCONF x b ok\nCONF x done 2\n";
        assert!(judge(&p, Ended::Code(0), ok, "").passed);
        assert!(!judge(&p, Ended::Code(1), ok, "").passed, "non-zero exit");
        assert!(
            !judge(&p, Ended::Code(0), "CONF x a ok\nCONF x done 2\n", "").passed,
            "count mismatch"
        );
        assert!(
            !judge(&p, Ended::Code(0), "CONF x a ok\n", "").passed,
            "no done marker"
        );
    }

    #[test]
    fn panic_exit_needs_101_and_panic_message() {
        let p = program(Expect::PanicExit);
        let out = "CONF x before ok\n";
        assert!(
            judge(
                &p,
                Ended::Code(101),
                out,
                "thread 'main' panicked at x.rs:1:1"
            )
            .passed
        );
        assert!(
            !judge(&p, Ended::Code(0), out, "panicked at").passed,
            "clean exit"
        );
        assert!(
            !judge(&p, Ended::Code(101), out, "").passed,
            "no panic message"
        );
        assert!(
            !judge(&p, Ended::Signal(6), out, "panicked at x").passed,
            "an abort is no unwind"
        );
        assert!(
            !judge(&p, Ended::Code(101), "", "panicked at x").passed,
            "catch_unwind marker missing"
        );
    }
}
