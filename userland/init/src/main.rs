//! `/sbin/init` for VeridianOS.
//!
//! The kernel starts it as PID 1 with the words of its command line after
//! `--`; when init exits, the kernel powers the machine off with init's exit
//! status. Every word is percent-decoded first (`%20` is a space), so a host
//! harness can pass any argument through the space-separated command line.
//!
//! ```text
//! init [OPTIONS] [--] PROGRAM [ARGS...]   run one program, exit with its status
//! init [OPTIONS] --script FILE            run each line of FILE (words split on
//!                                         spaces, percent-decoded); exit 0 only
//!                                         if every line exited 0
//! init [OPTIONS] --bundle DEV             run the program in a run bundle (from
//!                                         `veridian-run`), exit with its status
//! OPTIONS: --env K=V  --cwd DIR  --stdin FILE  --stdout FILE  --stderr FILE
//! ```
//!
//! Markers on stdout (the console) show each step: `INIT: …`. busybox's
//! `poweroff`, `halt` and `reboot` make init sync and exit ([`shutdown`]).

mod args;
mod bundle;
mod reap;
mod shutdown;

use args::{Invocation, Options};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

fn main() {
    let started = Instant::now();
    println!("INIT: started as pid {}", std::process::id());
    shutdown::install();
    let status = match args::parse(std::env::args().skip(1)) {
        Ok((options, invocation)) => run(&options, invocation),
        Err(e) => {
            println!("INIT: bad arguments: {e}");
            2
        }
    };
    reap::orphans();
    println!(
        "INIT: power off with status {status} after {:.3} s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::io::stdout().flush();
    std::process::exit(status);
}

fn run(options: &Options, invocation: Invocation) -> i32 {
    match invocation {
        Invocation::Program(words) => run_words(options, &words),
        Invocation::Script(path) => match fs::read_to_string(&path) {
            Ok(text) => {
                let mut failures = 0;
                for line in text
                    .lines()
                    .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                {
                    let words: Vec<String> =
                        line.split_whitespace().map(args::percent_decode).collect();
                    failures += i32::from(run_words(options, &words) != 0);
                }
                println!("INIT: script done, {failures} failed");
                i32::from(failures > 0)
            }
            Err(e) => {
                println!("INIT: cannot read script {path}: {e}");
                127
            }
        },
        Invocation::Bundle(dev) => match bundle::load(&dev) {
            Ok(run) => run_words(&run.options, &run.argv),
            Err(e) => {
                println!("INIT: cannot load the run bundle from {dev}: {e}");
                127
            }
        },
        Invocation::Nothing => {
            println!("INIT: nothing to run");
            0
        }
    }
}

/// Runs one program and returns the status init reports for it.
fn run_words(options: &Options, words: &[String]) -> i32 {
    let Some((program, rest)) = words.split_first() else {
        return 0;
    };
    println!("INIT: run {}", words.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(rest).envs(options.env.iter().map(|(k, v)| (k, v)));
    if let Some(dir) = &options.cwd {
        cmd.current_dir(dir);
    }
    let redirect = |path: &Option<String>, write: bool| -> std::io::Result<Stdio> {
        Ok(match path {
            Some(p) if write => OpenOptions::new().write(true).open(p)?.into(),
            Some(p) => File::open(p)?.into(),
            None => Stdio::inherit(),
        })
    };
    let started = Instant::now();
    let spawned = (|| {
        cmd.stdin(redirect(&options.stdin, false)?)
            .stdout(redirect(&options.stdout, true)?)
            .stderr(redirect(&options.stderr, true)?);
        cmd.status()
    })();
    let code = match spawned {
        Ok(status) => exit_code(status),
        Err(e) => {
            println!("INIT: cannot run {program}: {e}");
            127
        }
    };
    println!(
        "INIT: exit {code} {program} ({:.3} s)",
        started.elapsed().as_secs_f64()
    );
    code
}

/// The shell convention: the exit code, or 128 + the signal number.
fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}
