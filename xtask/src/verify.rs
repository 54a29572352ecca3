//! `cargo xtask verify`: the main job. Builds what is missing, runs the
//! checks that can run today, and prints the seed's verification table:
//! each criterion PASS, FAIL (with why) or SKIP (with the honest reason).

use anyhow::{bail, Result};

use crate::{conformance, target_checks, toolchain};

/// A criterion's verdict.
pub enum Verdict {
    Pass(String),
    Fail(String),
    Skip(String),
}

/// The seed's self-hosting criteria, in its order.
const CRITERIA: &[&str] =
    &["rustc runs", "hello compiles", "hello executes", "cargo init", "cargo build", "core compiles", "std links"];

pub fn run() -> Result<()> {
    let tc = toolchain::build(false)?;
    println!("\nhost-side checks (the veridian toolchain on the Linux host, same syscall ABI):");
    let mut host_failures = 0;
    for (name, result) in [
        ("target spec as rustc reports it", target_checks::spec_json(&tc)),
        ("rustc --print cfg", target_checks::cfg(&tc)),
        ("cargo +veridian build of hello: static, runs", target_checks::hello_with_rustup(&tc)),
    ] {
        match result {
            Ok(()) => println!("  PASS  {name}"),
            Err(e) => {
                host_failures += 1;
                println!("  FAIL  {name}: {e:#}");
            }
        }
    }
    for outcome in conformance::run_on_host(&tc)? {
        host_failures += usize::from(!outcome.passed);
    }

    let rows: Vec<(&str, Verdict)> = CRITERIA.iter().map(|c| (*c, criterion(c))).collect();
    println!("\nVeridianOS self-hosting verification:");
    println!("  {:<16} {:<6} detail", "criterion", "result");
    for (name, verdict) in &rows {
        let (word, detail) = match verdict {
            Verdict::Pass(d) => ("PASS", d),
            Verdict::Fail(d) => ("FAIL", d),
            Verdict::Skip(d) => ("SKIP", d),
        };
        println!("  {name:<16} {word:<6} {detail}");
    }
    let failed = rows.iter().filter(|(_, v)| matches!(v, Verdict::Fail(_))).count() + host_failures;
    if failed > 0 {
        bail!("{failed} check(s) failed");
    }
    Ok(())
}

/// The verdict of one in-VeridianOS criterion. Nothing boots yet, so every
/// criterion says what it is waiting for instead of claiming a result.
fn criterion(name: &str) -> Verdict {
    let waiting = match name {
        "std links" => "the VeridianOS kernel is not built yet (it runs the std programs inside QEMU)",
        _ => "rustc and cargo for host x86_64-unknown-veridian are not in the rootfs yet",
    };
    Verdict::Skip(waiting.to_string())
}
