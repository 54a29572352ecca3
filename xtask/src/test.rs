//! `cargo xtask test`: every test of the project, ending with one line
//! `xtask: N passed, M failed`; the exit status is non-zero on any failure.

use anyhow::{bail, Result};
use std::process::Command;

use veridian_run::cpus::Cpus;
use veridian_run::qemu::Accel;

use crate::{
    conformance, dynlink, ecosystem, guest_tests, kernel, lint, rootfs, run, target_checks,
    toolchain, uefi,
};

/// A named check's result.
struct Row {
    name: String,
    result: Result<()>,
}

/// `cpus`: the virtual CPUs of every guest test except the SMP rows, which
/// boot at 1, 2 and 4 CPUs whatever it is.
pub fn run(accel: Accel, cpus: Cpus) -> Result<()> {
    // Guests booted by veridian-run through cargo (cargo test, the corpus)
    // read the count from the environment; set before any thread starts.
    std::env::set_var(veridian_run::cpus::ENV, cpus.to_string());
    let tc = toolchain::build(false)?;
    let mut rows = Vec::new();
    let mut record = |name: &str, result: Result<()>| {
        rows.push(Row {
            name: name.to_string(),
            result,
        })
    };

    for (name, result) in lint::rows(&tc) {
        record(&name, result);
    }
    record(
        "host workspace: cargo test",
        cargo_test(&crate::paths::repo_root(), &["--workspace"]),
    );
    record(
        "userland unit tests (init): cargo test",
        cargo_test(&crate::paths::repo_root().join("userland"), &["-p", "init"]),
    );
    record(
        "target spec: rustc --print target-spec-json",
        target_checks::spec_json(&tc),
    );
    record("target spec: rustc --print cfg", target_checks::cfg(&tc));
    record(
        "cargo +veridian build: static hello runs",
        target_checks::hello_with_rustup(&tc),
    );
    record(
        "target crate types: proc-macro, dylib, cdylib are shared objects over libc.so",
        dynlink::shared_crate_types(&tc),
    );
    record(
        "cargo +veridian test: passing and failing tests reported",
        target_checks::cargo_test_reports(&tc),
    );
    record(
        "crates.io unmodified (libc, getrandom): build, test, doctest, catch_unwind",
        ecosystem::unmodified_crates(&tc),
    );
    match conformance::build(&tc) {
        Ok(bin_dir) => record(
            "init --bundle runs a bundled program (runner contract)",
            target_checks::init_bundle_on_host(&bin_dir),
        ),
        Err(e) => record("userland build", Err(e)),
    }
    match conformance::run_on_host(&tc) {
        Ok(outcomes) => {
            for o in outcomes {
                let result = if o.passed {
                    Ok(())
                } else {
                    Err(anyhow::anyhow!("{}", o.detail))
                };
                record(
                    &format!("conformance on host: {} ({} checks)", o.bin, o.checks),
                    result,
                );
            }
        }
        Err(e) => record("conformance on host: build", Err(e)),
    }
    match conformance::build(&tc) {
        Ok(bin_dir) => record(
            "smp-stress on host: PASS, cpus= as this host has",
            crate::smp::on_host(&bin_dir),
        ),
        Err(e) => record("smp-stress on host: build", Err(e)),
    }
    for (name, result) in guest_rows(&tc, accel, cpus) {
        record(&name, result);
    }

    report(rows.into_iter().map(|r| (r.name, r.result)).collect())
}

/// Prints a PASS/FAIL line per row and the closing
/// `xtask: N passed, M failed`; fails when any row failed.
pub fn report(rows: Vec<(String, Result<()>)>) -> Result<()> {
    println!("\ntest results:");
    for (name, result) in &rows {
        match result {
            Ok(()) => println!("  PASS  {name}"),
            Err(e) => println!("  FAIL  {name}: {e:#}"),
        }
    }
    let failed = rows.iter().filter(|(_, r)| r.is_err()).count();
    println!("xtask: {} passed, {failed} failed", rows.len() - failed);
    if failed > 0 {
        bail!("{failed} test group(s) failed");
    }
    Ok(())
}

/// The tests that boot VeridianOS (each bounded in time).
fn guest_rows(tc: &toolchain::Toolchain, accel: Accel, cpus: Cpus) -> Vec<(String, Result<()>)> {
    let prepared = (|| -> Result<_> {
        let kernel = kernel::build()?;
        let image = rootfs::build(tc, rootfs::DEFAULT_SIZE_MB)?;
        let bin_dir = conformance::build(tc)?;
        Ok((kernel, image, bin_dir))
    })();
    let (kernel, image, bin_dir) = match prepared {
        Ok(p) => p,
        Err(e) => return vec![("VeridianOS: kernel and rootfs build".into(), Err(e))],
    };
    let mut rows = vec![
        (
            "VeridianOS: std links (println, File, Vec) inside the guest".to_string(),
            guest_tests::std_links(&kernel, &image, accel, cpus),
        ),
        (
            "VeridianOS: a file written in the guest persists (mkfs-blockfs cat)".into(),
            guest_tests::persistence(&kernel, &image, &rootfs::build_mkfs_path(), accel, cpus),
        ),
        (
            "VeridianOS: crash rounds: QEMU killed mid-workload, fsck repairs, no synced data lost".into(),
            crate::crash::short(accel, cpus),
        ),
        (
            "VeridianOS: busybox sh -c 'echo ok; ls /; cat /etc/os-release'".into(),
            guest_tests::busybox(&kernel, &image, accel, cpus),
        ),
        (
            "VeridianOS: UEFI boot (OVMF, GRUB, Multiboot) at -smp 2 or more: every CPU online, init runs cat /etc/os-release".into(),
            uefi::boot_test(&kernel, &image, accel, cpus),
        ),
        (
            "VeridianOS: cargo xtask run's shell on a pty: echo, cat /etc/os-release, a cooked line, ^D, ^C, poweroff".into(),
            run::pty_test(&kernel, &image, accel, cpus),
        ),
        (
            "VeridianOS: virtio-net: busybox wget fetches from the host".into(),
            guest_tests::virtio_net_fetch(&kernel, &image, accel, cpus),
        ),
        (
            "VeridianOS: cargo +veridian test through veridian-run".into(),
            guest_tests::cargo_test_in_guest(tc),
        ),
        (
            "VeridianOS: crates.io project (libc, getrandom, tempfile, tokio) tested inside the guest by default, package files visible"
                .into(),
            ecosystem::in_guest(tc),
        ),
        (
            format!(
                "VeridianOS: crates.io test suites ({}) pass inside the guest",
                ecosystem::corpus::QUICK.join(", ")
            ),
            ecosystem::quick_corpus(tc),
        ),
        (
            "VeridianOS: a musl-dynamic C program (gcc -dynamic, PT_INTERP ld-musl) runs: AT_BASE, dlsym"
                .into(),
            dynlink::c_program(tc),
        ),
        (
            "VeridianOS: a Rust cdylib (cargo, fresh project) dlopen()ed by a -crt-static Rust program"
                .into(),
            dynlink::rust_cdylib(tc),
        ),
        (
            "VeridianOS: Debian's glibc-linked echo and printenv (with ld-linux and libc.so.6) run"
                .into(),
            dynlink::glibc_programs(tc),
        ),
        (
            "veridian-run: a hang times out, a killed QEMU is reported, none is left".into(),
            guest_tests::runner_timeouts(tc, &bin_dir),
        ),
    ];
    match guest_tests::conformance_rows(tc, &bin_dir, accel, cpus) {
        Ok(more) => rows.extend(more),
        Err(e) => rows.push(("conformance in VeridianOS".into(), Err(e))),
    }
    rows.extend(crate::smp::rows(&kernel, &image, accel));
    rows
}

/// `cargo test --release ARGS` in `dir` with the cargo running xtask (host target).
fn cargo_test(dir: &std::path::Path, args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["test", "--release"])
        .args(args)
        .current_dir(dir)
        .status()?;
    if !status.success() {
        bail!("cargo test {} failed ({status})", args.join(" "));
    }
    Ok(())
}
