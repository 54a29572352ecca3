//! smp-stress: bounded stress of what SMP changes in a kernel — locks,
//! futex wake-ups, pipes, sockets, process creation and address-space
//! changes, each from several threads at once. Every part prints a line
//! with its time; the last line is `SMP-STRESS: PASS` (exit 0) or
//! `SMP-STRESS: FAIL <what>` (exit 1). The first line,
//! `SMP-STRESS: cpus=<n>`, is std's `available_parallelism()`.
//!
//! `smp-stress --child N` / `--child-quiet N` are the child modes the
//! process part starts.

mod common;
mod futex;
mod io;
mod locks;
mod memory;
mod procs;
mod sys;
mod watchdog;

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use common::{panic_text, Outcome};

/// A part: its name and what runs it.
type Part = (&'static str, fn() -> Outcome);

/// The parts, in the order they run.
const PARTS: &[Part] = &[
    ("mutex-counter", locks::mutex_counter),
    ("condvar-ping-pong", locks::condvar_ping_pong),
    ("mpsc-fan-in", locks::mpsc_fan_in),
    ("futex-ping-pong", futex::ping_pong),
    ("pipe-ring", io::pipe_ring),
    ("pipe-bulk", io::pipe_bulk),
    ("socketpair-ping-pong", io::socketpair_ping_pong),
    ("fork-exec-wait", procs::spawn_from_threads),
    ("mmap-churn", memory::map_churn),
];

/// A part still running after this long is a hang.
const PART_LIMIT: Duration = Duration::from_secs(50);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => run_all(),
        [procs::CHILD_FLAG, token] => procs::child_main(token),
        ["--child-quiet", token] => procs::quiet_child_main(token),
        _ => {
            eprintln!("usage: smp-stress");
            2
        }
    };
    std::process::exit(code);
}

fn run_all() -> i32 {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    say(&format!("SMP-STRESS: cpus={cpus}"));
    watchdog::start(PART_LIMIT);
    let started = Instant::now();
    let mut failures = Vec::new();
    for &(name, part) in PARTS {
        watchdog::set(Some(name));
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(part))
            .unwrap_or_else(|p| Err(format!("panicked: {}", panic_text(&*p))));
        watchdog::set(None);
        let secs = t.elapsed().as_secs_f64();
        match outcome {
            Ok(detail) => say(&format!(
                "SMP-STRESS: part {name}: ok, {detail} ({secs:.2} s)"
            )),
            Err(what) => {
                say(&format!(
                    "SMP-STRESS: part {name}: FAILED, {what} ({secs:.2} s)"
                ));
                failures.push(format!("{name}: {what}"));
            }
        }
    }
    let total = started.elapsed().as_secs_f64();
    if failures.is_empty() {
        say(&format!(
            "SMP-STRESS: PASS ({} parts, {total:.2} s)",
            PARTS.len()
        ));
        0
    } else {
        say(&format!("SMP-STRESS: FAIL {}", failures.join("; ")));
        1
    }
}

/// One line on stdout, flushed (the console may be all that is left of a crash).
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
