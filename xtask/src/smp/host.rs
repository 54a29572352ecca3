//! smp-stress on the Linux host, whose syscall ABI VeridianOS shares: the
//! fast check of the program itself, with a CPU count known to be right.

use anyhow::{bail, ensure, Result};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::judge;
use super::script::STRESS;
use crate::conformance;

/// smp-stress finishes in well under a second here; its own watchdog ends
/// a hung part after 50 s.
const LIMIT: Duration = Duration::from_secs(600);

/// Runs `bin_dir/smp-stress`: it must pass and print this host's
/// `available_parallelism()`.
pub fn on_host(bin_dir: &Path) -> Result<()> {
    let Some(run) = conformance::run_piped(&mut Command::new(bin_dir.join(STRESS)), "", LIMIT)?
    else {
        bail!("{STRESS} still running after {LIMIT:?}; killed");
    };
    print!("{}", run.stdout);
    let stderr = run.stderr.trim().to_string();
    let seen = judge::stress_output(&run.stdout, run.status.code()).map_err(|e| {
        if stderr.is_empty() {
            e
        } else {
            e.context(stderr)
        }
    })?;
    let host = std::thread::available_parallelism()?.get() as u32;
    ensure!(
        seen == host,
        "{STRESS} printed cpus={seen}, this host has {host}"
    );
    Ok(())
}
