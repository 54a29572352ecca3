//! `cargo xtask bench net`: the TCP echo benchmark (`net-bench`: 10k
//! round trips of 64 bytes, 100 MiB bulk over 127.0.0.1, one process)
//! inside VeridianOS and inside Debian's Linux kernel, same QEMU settings
//! (one vCPU, -m 512M), the same binary; prints both and the ratios.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::Path;
use std::time::Duration;

use veridian_run::cpus::Cpus;
use veridian_run::qemu::{Accel, Vm, VmExit, Watch};

use crate::{conformance, kernel, linux_guest, paths, rootfs, toolchain, verify};

const LIMIT: Duration = Duration::from_secs(900);

/// Linux leaves `lo` down: the init script brings it up, then runs the
/// benchmark (its exit ends the guest).
const INIT_SCRIPT: &str = "#!/bin/busybox sh\n/bin/busybox ip link set lo up\nexec /net-bench\n";

/// The `NETBENCH` figures: (mean round trip µs, bulk MiB/s).
fn parse(line: &str) -> Option<(f64, f64)> {
    let rest = line.trim().strip_prefix("NETBENCH ")?;
    let field = |k: &str| {
        rest.split_whitespace()
            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
            .and_then(|v| v.parse::<f64>().ok())
    };
    Some((field("rtt_us")?, field("bulk_mib_s")?))
}

fn run(vm: &Vm) -> Result<(f64, f64)> {
    let mut got = None;
    let exit = vm.run(LIMIT, |line| {
        if let Some(g) = parse(line) {
            got = Some(g);
        }
        Watch::Continue
    })?;
    if exit == VmExit::Timeout {
        bail!("timed out after {LIMIT:?}; log {}", vm.log.display());
    }
    got.with_context(|| format!("no NETBENCH line ({exit:?}); log {}", vm.log.display()))
}

/// An initramfs: `/init` (the script), `/bin/busybox`, `/net-bench`.
fn initramfs(busybox: &Path, bench: &Path, out: &Path) -> Result<()> {
    let mut image = linux_guest::Initramfs::create(out)?;
    image.dir("bin")?;
    image.copy("bin/busybox", 0o755, busybox)?;
    image.copy("net-bench", 0o755, bench)?;
    image.file("init", 0o755, INIT_SCRIPT.as_bytes())?;
    image.finish()
}

/// `cargo xtask bench net`.
pub fn net(accel: Accel, cpus: Cpus) -> Result<()> {
    let accel = accel.resolve();
    let tc = toolchain::build(false)?;
    let bin_dir = conformance::build(&tc)?;
    let dir = paths::veridian_build_dir().join("bench");
    fs::create_dir_all(&dir)?;
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        bail!("the Linux side needs /bin/busybox (package busybox-static) to bring lo up");
    }
    let initrd = dir.join("net-bench-initrd.cpio");
    initramfs(busybox, &bin_dir.join("net-bench"), &initrd)?;
    let linux = Vm {
        kernel: linux_guest::kernel()?,
        cmdline: linux_guest::CMDLINE.into(),
        disks: vec![],
        memory_mb: 512,
        cpus,
        accel,
        log: dir.join("linux-net-bench.log"),
        extra_serials: vec![],
        initrd: Some(initrd),
        silence_limit: None,
        user_net: false,
        snapshot: false,
    };
    let image = kernel::build()?;
    let rootfs = rootfs::build(&tc, rootfs::DEFAULT_SIZE_MB)?;
    let veridian = Vm {
        kernel: image,
        cmdline: "init=/usr/local/bin/net-bench".into(),
        disks: vec![verify::qcow2_overlay(
            &rootfs,
            &dir.join("net-bench-overlay.qcow2"),
        )?],
        memory_mb: 512,
        cpus,
        accel,
        log: dir.join("veridian-net-bench.log"),
        extra_serials: vec![],
        initrd: None,
        silence_limit: None,
        user_net: false,
        snapshot: false,
    };
    let (l_rtt, l_bulk) = run(&linux)?;
    let (v_rtt, v_bulk) = run(&veridian)?;
    println!("\nnet benchmark ({accel:?}, -m 512M, {cpus} CPU(s); 10k x 64-byte round trips, 100 MiB bulk, 127.0.0.1):");
    println!(
        "  {:<28} {:>14} {:>14}",
        "guest", "rtt (us)", "bulk (MiB/s)"
    );
    println!(
        "  {:<28} {:>14.1} {:>14.1}",
        "Linux (Debian, initramfs)", l_rtt, l_bulk
    );
    println!(
        "  {:<28} {:>14.1} {:>14.1}",
        "VeridianOS (smoltcp)", v_rtt, v_bulk
    );
    println!(
        "  ratio VeridianOS / Linux: rtt {:.3} (lower is better), bulk {:.3} (higher is better)",
        v_rtt / l_rtt,
        v_bulk / l_bulk
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_benchmark_line() {
        assert_eq!(
            parse("NETBENCH rtt_us=77.7 bulk_mib_s=68.4 rounds=10000 mib=100"),
            Some((77.7, 68.4))
        );
        assert_eq!(
            parse("  NETBENCH bulk_mib_s=2 rtt_us=1.5\r"),
            Some((1.5, 2.0))
        );
        assert_eq!(parse("NETBENCH rtt_us=x bulk_mib_s=2"), None);
        assert_eq!(parse("hello"), None);
    }
}
