//! `veridian-run`: a cargo runner that executes a target binary inside
//! VeridianOS under QEMU.
//!
//! ```toml
//! # .cargo/config.toml
//! [target.x86_64-unknown-veridian]
//! runner = "/path/to/veridian-run"
//! ```
//!
//! The program, its arguments and environment travel in a run bundle on a
//! second disk; the guest's writes go to a throwaway overlay QEMU keeps
//! (`snapshot=on`), so the base image is never written and runs can go in
//! parallel. The program's stdout
//! and stderr come back on COM2/COM3, streamed separately; the exit status is
//! the program's (init powers off with it).

use anyhow::{bail, Context, Result};
use clap::Parser;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use veridian_run::bundle::Bundle;
use veridian_run::cpus::CpusArg;
use veridian_run::package;
use veridian_run::qemu::{Accel, Vm, VmExit, Watch};

/// Environment variables never forwarded: they describe the host.
const HOST_ONLY_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "PWD",
    "OLDPWD",
    "SHELL",
    "TERM",
    "USER",
    "TMPDIR",
    "LS_COLORS",
];

#[derive(Parser)]
#[command(about = "Run an x86_64-unknown-veridian program inside VeridianOS (QEMU)")]
struct Args {
    /// Accelerator (TCG is the dependable default; KVM where it is fast).
    #[arg(long, value_enum, env = "VERIDIAN_ACCEL", default_value = "tcg")]
    accel: Accel,
    /// Seconds before the run is abandoned and QEMU killed.
    #[arg(long, env = "VERIDIAN_TIMEOUT", default_value_t = 300)]
    timeout: u64,
    /// Guest memory in MiB.
    #[arg(long, env = "VERIDIAN_MEMORY", default_value_t = 1024)]
    memory: u32,
    #[command(flatten)]
    cpus: CpusArg,
    /// The kernel image (default: from veridian-run.conf next to this program).
    #[arg(long, env = "VERIDIAN_KERNEL")]
    kernel: Option<PathBuf>,
    /// The base root file system image (never modified).
    #[arg(long, env = "VERIDIAN_ROOTFS")]
    rootfs: Option<PathBuf>,
    /// Give the guest a virtio-net NIC on QEMU's user-mode network.
    #[arg(long, env = "VERIDIAN_NET")]
    net: bool,
    /// Do not copy the package folder (`CARGO_MANIFEST_DIR`) into the guest.
    #[arg(long, env = "VERIDIAN_NO_PACKAGE")]
    no_package: bool,
    /// Print the kernel's serial log live.
    #[arg(short, long)]
    verbose: bool,
    /// The program, then its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("veridian-run: {e:#}");
            ExitCode::from(125)
        }
    }
}

fn run(args: Args) -> Result<u8> {
    let (kernel, rootfs) = locate_images(args.kernel, args.rootfs)?;
    let program_path = PathBuf::from(&args.command[0]);
    let program = std::fs::read(&program_path)
        .with_context(|| format!("cannot read {}", program_path.display()))?;
    let name = program_path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("program");

    let scratch = scratch_dir()?;
    let env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| !HOST_ONLY_ENV.contains(&k.as_str()) && !k.starts_with("LD_"))
        .collect();
    let guest_path = format!("/tmp/veridian-run/{name}");
    // Piped or redirected input goes along; a terminal is left alone (the
    // guest program then reads end-of-file).
    let mut stdin = Vec::new();
    if !std::io::stdin().is_terminal() {
        std::io::stdin()
            .read_to_end(&mut stdin)
            .context("cannot read standard input")?;
    }
    let package = if args.no_package {
        None
    } else {
        package::from_env()
    };
    let mut tree = Vec::new();
    let mut cwd = "/tmp".to_string();
    if let Some(dir) = package {
        match package::pack(&dir, package::MAX_BYTES)? {
            Some(packed) => {
                tree = packed.archive;
                // Inside the package, the program starts where cargo started it.
                let here = std::env::current_dir()?;
                cwd = if here.starts_with(&dir) { here } else { dir }
                    .display()
                    .to_string();
            }
            None => eprintln!(
                "veridian-run: {} holds more than {} MiB; not copied into the guest",
                dir.display(),
                package::MAX_BYTES >> 20
            ),
        }
    }
    let bundle = Bundle {
        path: &guest_path,
        args: &args.command[1..],
        env: &env,
        cwd: &cwd,
        stdout: "/dev/ttyS1",
        stderr: "/dev/ttyS2",
        program: &program,
        stdin: &stdin,
        tree: &tree,
    };
    let bundle_disk = scratch.join("bundle.img");
    std::fs::write(&bundle_disk, bundle.encode())?;
    let (stdout_file, stderr_file) = (scratch.join("stdout"), scratch.join("stderr"));
    for f in [&stdout_file, &stderr_file] {
        std::fs::File::create(f)?;
    }
    let log = scratch.join("serial.log");
    let vm = Vm {
        kernel,
        cmdline: "init=/sbin/init -- --bundle /dev/vdb".into(),
        disks: vec![rootfs, bundle_disk],
        memory_mb: args.memory,
        cpus: args.cpus.cpus,
        accel: args.accel,
        log: log.clone(),
        extra_serials: vec![stdout_file.clone(), stderr_file.clone()],
        initrd: None,
        silence_limit: None,
        user_net: args.net,
        snapshot: true,
    };
    let done = Arc::new(AtomicBool::new(false));
    let pumps = [
        pump(stdout_file, std::io::stdout(), Arc::clone(&done)),
        pump(stderr_file, std::io::stderr(), Arc::clone(&done)),
    ];
    let verbose = args.verbose;
    let exit = vm.run(Duration::from_secs(args.timeout), |line| {
        if verbose {
            eprintln!("[veridian] {line}");
        }
        Watch::Continue
    });
    done.store(true, Ordering::SeqCst);
    for p in pumps {
        // Wake it from its poll interval: it drains what is left and ends.
        p.thread().unpark();
        let _ = p.join();
    }
    match exit? {
        VmExit::Status(code) => {
            let _ = std::fs::remove_dir_all(&scratch);
            Ok(code)
        }
        VmExit::Timeout => bail!(
            "timed out after {} s; QEMU killed; serial log kept at {}",
            args.timeout,
            log.display()
        ),
        VmExit::NoStatus(code) => bail!(
            "QEMU ended without a status from VeridianOS ({code:?}); serial log kept at {}",
            log.display()
        ),
        VmExit::KernelFailure => bail!(
            "the VeridianOS kernel failed (see the end of its serial log at {})",
            log.display()
        ),
        VmExit::Silent => bail!(
            "no output for too long; QEMU killed; serial log kept at {}",
            log.display()
        ),
        VmExit::Stopped => bail!("run stopped; serial log kept at {}", log.display()),
    }
}

/// Kernel and rootfs from the flags, else from `veridian-run.conf`
/// (`kernel=…` / `rootfs=…` lines) beside this executable.
fn locate_images(kernel: Option<PathBuf>, rootfs: Option<PathBuf>) -> Result<(PathBuf, PathBuf)> {
    let conf_path = std::env::current_exe()?.with_file_name("veridian-run.conf");
    let conf = std::fs::read_to_string(&conf_path).unwrap_or_default();
    let from_conf = |key: &str| {
        conf.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
            .map(PathBuf::from)
    };
    let kernel = kernel.or_else(|| from_conf("kernel")).context(format!(
        "no kernel: pass --kernel, set VERIDIAN_KERNEL, or run `cargo xtask runner` (writes {})",
        conf_path.display()
    ))?;
    let rootfs = rootfs
        .or_else(|| from_conf("rootfs"))
        .context("no rootfs: pass --rootfs or set VERIDIAN_ROOTFS")?;
    for (path, what) in [(&kernel, "kernel"), (&rootfs, "rootfs")] {
        veridian_run::qemu::require_file(path, what)?;
    }
    Ok((kernel, rootfs))
}

/// A fresh folder for this run's overlay, bundle and logs.
fn scratch_dir() -> Result<PathBuf> {
    let base = std::env::temp_dir();
    for n in 0..1000 {
        let dir = base.join(format!("veridian-run-{}-{n}", std::process::id()));
        if std::fs::create_dir(&dir).is_ok() {
            return Ok(dir);
        }
    }
    bail!("cannot create a scratch folder in {}", base.display())
}

/// Copies what QEMU appends to `file` to `out` until `done` and drained.
fn pump(
    file: PathBuf,
    mut out: impl Write + Send + 'static,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let Ok(mut f) = std::fs::File::open(&file) else {
            return;
        };
        let mut buf = [0u8; 8192];
        loop {
            let finished = done.load(Ordering::SeqCst);
            match f.read(&mut buf) {
                Ok(0) if finished => break,
                Ok(0) => std::thread::park_timeout(Duration::from_millis(20)),
                Ok(n) => {
                    let _ = out.write_all(&buf[..n]);
                    let _ = out.flush();
                }
                Err(_) => break,
            }
        }
    })
}
