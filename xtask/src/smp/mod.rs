//! The SMP rows of `cargo xtask test`: VeridianOS booted at 1, 2 and 4
//! CPUs (QEMU's -smp), each boot running the whole conformance suite and
//! smp-stress from one script (`script`), the console log judged on the
//! host (`judge`). The CPU count smp-stress sees is compared with the
//! requested one only once the kernel reports SMP support (its
//! `veridian: <k> CPUs online` line); a uniprocessor kernel gets a note.

mod host;
mod judge;
pub mod script;

pub use judge::kernel_cpus;

pub use host::on_host;

use anyhow::{ensure, Result};
use std::path::Path;
use std::time::Duration;

use veridian_run::cpus::Cpus;
use veridian_run::qemu::Accel;

use crate::guest_tests::{self, Boot};

/// The CPU counts booted.
pub const CPU_COUNTS: [u32; 3] = [1, 2, 4];

/// One boot: the suite and smp-stress, under TCG at 1 CPU about a minute.
const BOOT_LIMIT: Duration = Duration::from_secs(300);

/// Two rows per CPU count (conformance, smp-stress), from one boot each.
pub fn rows(kernel: &Path, rootfs: &Path, accel: Accel) -> Vec<(String, Result<()>)> {
    let mut rows = Vec::new();
    for n in CPU_COUNTS {
        let cpus = Cpus::new(n).expect("a small count");
        let label = format!("VeridianOS at -smp {n}");
        match boot(kernel, rootfs, accel, cpus) {
            Ok(b) => {
                rows.push((
                    format!("{label}: conformance suite in one boot"),
                    proved(&b).and_then(|()| judge::conformance(&b.log).map(|_| ())),
                ));
                rows.push(stress_row(&label, &b, n));
            }
            Err(e) => rows.push((format!("{label}: boot"), Err(e))),
        }
    }
    rows
}

fn boot(kernel: &Path, rootfs: &Path, accel: Accel, cpus: Cpus) -> Result<Boot> {
    let name = format!("smp-{cpus}");
    guest_tests::boot_limited(
        kernel,
        &guest_tests::overlay(rootfs, &name)?,
        &["/bin/sh", script::SCRIPT_PATH],
        &name,
        accel,
        cpus,
        BOOT_LIMIT,
    )
}

/// The script ran to its end (status 0) on VeridianOS.
fn proved(b: &Boot) -> Result<()> {
    let status = b.status()?;
    ensure!(
        status == 0,
        "the suite script exited {status}; log {}",
        b.log_path.display()
    );
    ensure!(
        judge::proves_veridian(&b.log),
        "no ID=veridian from /etc/os-release; log {}",
        b.log_path.display()
    );
    Ok(())
}

fn stress_row(label: &str, b: &Boot, n: u32) -> (String, Result<()>) {
    let name = format!("{label}: smp-stress (threads, futex, pipes, sockets, fork/exec, mmap)");
    match proved(b).and_then(|()| judge::stress(&b.log, n)) {
        Ok(judge::CpuCheck::Checked) => (format!("{name}, {n} CPUs online and seen"), Ok(())),
        Ok(judge::CpuCheck::Uniprocessor { seen }) => {
            println!(
                "  note: the kernel is uniprocessor (no `veridian: <k> CPUs online` line): \
                 smp-stress saw cpus={seen}, not checked against -smp {n}"
            );
            (
                format!("{name} [uniprocessor kernel: cpus={seen} not checked]"),
                Ok(()),
            )
        }
        Err(e) => (
            name,
            Err(e.context(format!("log {}", b.log_path.display()))),
        ),
    }
}
