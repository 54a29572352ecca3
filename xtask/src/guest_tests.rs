//! Tests that boot VeridianOS under QEMU (TCG unless told otherwise), each
//! bounded in time: the std conformance suite inside the guest, the "std
//! links" criterion (println, File, Vec), persistence of a file written inside the guest, Debian's
//! busybox as /bin/sh, and `cargo +veridian test` through the runner. (The
//! hostile program the kernel must survive is part of the suite.)

use anyhow::{bail, ensure, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use veridian_run::bundle::percent_encode;
use veridian_run::cpus::Cpus;
use veridian_run::qemu::{Accel, Vm, VmExit, Watch};

use crate::toolchain::Toolchain;
use crate::{conformance, paths, verify};

/// Limit for one boot of a short test program.
const BOOT_LIMIT: Duration = Duration::from_secs(180);

/// What one boot left: how it ended and the COM1 log.
pub struct Boot {
    pub exit: VmExit,
    pub log: String,
    pub log_path: PathBuf,
}

impl Boot {
    pub fn status(&self) -> Result<u8> {
        match self.exit {
            VmExit::Status(s) => Ok(s),
            ref other => bail!(
                "no power-off status ({other:?}); log {}",
                self.log_path.display()
            ),
        }
    }
}

/// Boots `kernel` over `disk` with init running `words` (percent-encoded
/// onto the command line).
pub fn boot(
    kernel: &Path,
    disk: &Path,
    words: &[&str],
    name: &str,
    accel: Accel,
    cpus: Cpus,
) -> Result<Boot> {
    let machine = Machine {
        accel,
        cpus,
        user_net: false,
        limit: BOOT_LIMIT,
    };
    boot_with(kernel, disk, words, name, machine)
}

/// [`boot`] with its own time limit for the whole boot.
pub fn boot_limited(
    kernel: &Path,
    disk: &Path,
    words: &[&str],
    name: &str,
    accel: Accel,
    cpus: Cpus,
    limit: Duration,
) -> Result<Boot> {
    let machine = Machine {
        accel,
        cpus,
        user_net: false,
        limit,
    };
    boot_with(kernel, disk, words, name, machine)
}

/// How a test guest is booted.
#[derive(Clone, Copy)]
struct Machine {
    accel: Accel,
    cpus: Cpus,
    /// A virtio-net NIC on QEMU's user-mode network.
    user_net: bool,
    /// For the whole boot.
    limit: Duration,
}

/// [`boot`] on the machine described.
fn boot_with(
    kernel: &Path,
    disk: &Path,
    words: &[&str],
    name: &str,
    machine: Machine,
) -> Result<Boot> {
    let Machine {
        accel,
        cpus,
        user_net,
        limit,
    } = machine;
    let encoded: Vec<String> = words.iter().map(|w| percent_encode(w)).collect();
    let log_path = paths::log_dir().join(format!("guest-{name}.log"));
    let vm = Vm {
        kernel: kernel.to_path_buf(),
        cmdline: format!("init=/sbin/init -- {}", encoded.join(" ")),
        disks: vec![disk.to_path_buf()],
        memory_mb: 1024,
        cpus,
        accel,
        log: log_path.clone(),
        extra_serials: vec![],
        initrd: None,
        silence_limit: Some(Duration::from_secs(120)),
        user_net,
        snapshot: false,
    };
    let mut log = String::new();
    let exit = vm.run(limit, |line| {
        log.push_str(line);
        log.push('\n');
        Watch::Continue
    })?;
    Ok(Boot {
        exit,
        log,
        log_path,
    })
}

/// A scratch overlay of the rootfs for one test.
pub fn overlay(rootfs: &Path, name: &str) -> Result<PathBuf> {
    let dir = paths::veridian_build_dir().join("guest-tests");
    fs::create_dir_all(&dir)?;
    verify::qcow2_overlay(rootfs, &dir.join(format!("{name}.qcow2")))
}

/// "std links": std-links prints its line and exits 0 inside VeridianOS.
pub fn std_links(kernel: &Path, rootfs: &Path, accel: Accel, cpus: Cpus) -> Result<()> {
    let b = boot(
        kernel,
        &overlay(rootfs, "std-links")?,
        &["/usr/local/bin/std-links"],
        "std-links",
        accel,
        cpus,
    )?;
    ensure!(
        b.status()? == 0,
        "std-links exited {}; log {}",
        b.status()?,
        b.log_path.display()
    );
    ensure!(
        b.log.contains("std links: println, File and Vec work"),
        "no std-links line; log {}",
        b.log_path.display()
    );
    Ok(())
}

/// A file written inside VeridianOS is in the image after power-off
/// (read back on the host with `mkfs-blockfs cat`).
pub fn persistence(
    kernel: &Path,
    rootfs: &Path,
    mkfs: &Path,
    accel: Accel,
    cpus: Cpus,
) -> Result<()> {
    let dir = paths::veridian_build_dir().join("guest-tests");
    fs::create_dir_all(&dir)?;
    let raw = dir.join("persist.img");
    let status = Command::new("cp")
        .args(["--sparse=always"])
        .arg(rootfs)
        .arg(&raw)
        .status()?;
    ensure!(status.success(), "cannot copy {}", rootfs.display());
    let token = format!("written inside VeridianOS {}", std::process::id());
    let script = format!("echo {token} > /tmp/persist.txt");
    let b = boot(
        kernel,
        &raw,
        &["/bin/sh", "-c", &script],
        "persist",
        accel,
        cpus,
    )?;
    ensure!(
        b.status()? == 0,
        "sh exited {}; log {}",
        b.status()?,
        b.log_path.display()
    );
    let out = Command::new(mkfs)
        .arg("cat")
        .arg(&raw)
        .arg("/tmp/persist.txt")
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success() && text.trim() == token,
        "mkfs-blockfs cat gave {:?} ({})",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    let fsck = Command::new(mkfs).arg("fsck").arg(&raw).output()?;
    ensure!(
        fsck.status.success(),
        "image not fsck-clean after the guest wrote it: {}",
        String::from_utf8_lossy(&fsck.stdout)
    );
    fs::remove_file(&raw)?;
    Ok(())
}

/// virtio-net: busybox wget in the guest fetches a page from a server on
/// the host's loopback (10.0.2.2 through QEMU's user-mode network).
pub fn virtio_net_fetch(kernel: &Path, rootfs: &Path, accel: Accel, cpus: Cpus) -> Result<()> {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let token = format!("served to VeridianOS {}", std::process::id());
    let body = token.clone();
    let server = std::thread::spawn(move || -> Result<String> {
        let (stream, _) = listener.accept()?;
        let mut request_line = String::new();
        BufReader::new(&stream).read_line(&mut request_line)?;
        let reply = format!(
            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}\n",
            body.len() + 1
        );
        (&stream).write_all(reply.as_bytes())?;
        Ok(request_line)
    });
    let url = format!("http://10.0.2.2:{port}/veridian");
    let b = boot_with(
        kernel,
        &overlay(rootfs, "virtio-net")?,
        &["/bin/wget", "-q", "-O", "-", &url],
        "virtio-net",
        Machine {
            accel,
            cpus,
            user_net: true,
            limit: BOOT_LIMIT,
        },
    )?;
    ensure!(
        b.status()? == 0,
        "wget exited {}; log {}",
        b.status()?,
        b.log_path.display()
    );
    ensure!(
        b.log.lines().any(|l| l.trim() == token),
        "no page text in the output; log {}",
        b.log_path.display()
    );
    if server.is_finished() {
        let request = server
            .join()
            .map_err(|_| anyhow::anyhow!("server thread panicked"))??;
        ensure!(
            request.starts_with("GET /veridian "),
            "server saw {request:?}"
        );
    }
    Ok(())
}

/// Debian's busybox-static (a foreign glibc-static binary) as /bin/sh.
pub fn busybox(kernel: &Path, rootfs: &Path, accel: Accel, cpus: Cpus) -> Result<()> {
    let b = boot(
        kernel,
        &overlay(rootfs, "busybox")?,
        &["/bin/sh", "-c", "echo ok; ls /; cat /etc/os-release"],
        "busybox",
        accel,
        cpus,
    )?;
    ensure!(
        b.status()? == 0,
        "sh exited {}; log {}",
        b.status()?,
        b.log_path.display()
    );
    // ls lists one name a line, or in columns when it sees a terminal.
    let words: Vec<&str> = b.log.split_whitespace().collect();
    for want in ["ok", "sbin", "usr", "NAME=\"VeridianOS\""] {
        ensure!(
            words.contains(&want),
            "no {want:?} in the output; log {}",
            b.log_path.display()
        );
    }
    Ok(())
}

/// `cargo +veridian test` of userland/test-sample executed inside VeridianOS
/// through the runner userland/.cargo/config.toml sets: passing tests pass,
/// the failing one fails the run.
pub fn cargo_test_in_guest(tc: &Toolchain) -> Result<()> {
    crate::target_checks::test_sample_reports(tc, None)
}

/// A hanging program gives the runner's timeout error, and a QEMU killed
/// from outside mid-run gives a clear error; either way no QEMU is left.
pub fn runner_timeouts(tc: &Toolchain, bin_dir: &Path) -> Result<()> {
    let runner = tc.dir.join("bin/veridian-run");
    let hang = |timeout: &str| {
        let mut cmd = Command::new(&runner);
        cmd.args(["--timeout", timeout])
            .arg(bin_dir.join("hostile"))
            .args(["--crash", "hang"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };
    // 1. The program hangs: the runner's own limit ends it.
    let out = hang("20").output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(125) && err.contains("timed out after 20 s"),
        "hang: {:?} {err}",
        out.status
    );
    let pid = qemu_pid_from(&err)?;
    ensure!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "QEMU pid {pid} still there after the timeout"
    );

    // 2. QEMU is killed from outside while the program runs.
    let child = hang("300").spawn()?;
    let started = std::time::Instant::now();
    let pid = loop {
        if let Some(pid) = newest_runner_qemu_pid(child.id())? {
            break pid;
        }
        ensure!(
            started.elapsed() < Duration::from_secs(30),
            "the runner started no QEMU"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_secs(2));
    // Our own grandchild, by pid.
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()?;
    let out = child.wait_with_output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(125) && err.contains("without a status"),
        "killed QEMU: {:?} {err}",
        out.status
    );
    Ok(())
}

/// The QEMU pid from the serial log named in the runner's error message.
fn qemu_pid_from(runner_error: &str) -> Result<u32> {
    let log = runner_error
        .split_whitespace()
        .find(|w| w.ends_with("serial.log"))
        .ok_or_else(|| anyhow::anyhow!("no log path in {runner_error:?}"))?;
    let text = fs::read_to_string(log)?;
    text.lines()
        .find_map(|l| l.strip_prefix(veridian_run::qemu::QEMU_PID_LINE))
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no QEMU pid line in {log}"))
}

/// The qemu-system-x86_64 whose parent is `runner_pid`, if it runs yet.
fn newest_runner_qemu_pid(runner_pid: u32) -> Result<Option<u32>> {
    for entry in fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let Some((comm_end, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let ppid = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if comm_end.contains("(qemu-system-x86") && ppid == Some(runner_pid) {
            return Ok(Some(pid));
        }
    }
    Ok(None)
}

/// Cargo's environment form of `target.<triple>.runner`.
pub fn runner_env_key() -> String {
    format!(
        "CARGO_TARGET_{}_RUNNER",
        paths::TARGET.to_uppercase().replace('-', "_")
    )
}

/// The conformance suite inside VeridianOS, as test rows.
pub fn conformance_rows(
    tc: &Toolchain,
    bin_dir: &Path,
    accel: Accel,
    cpus: Cpus,
) -> Result<Vec<(String, Result<()>)>> {
    let accel_name = match accel.resolve() {
        Accel::Kvm => "kvm",
        _ => "tcg",
    };
    Ok(conformance::run_in_veridian(tc, bin_dir, accel_name, cpus)?
        .into_iter()
        .map(|o| {
            let name = format!("conformance in VeridianOS: {} ({} checks)", o.bin, o.checks);
            (
                name,
                if o.passed {
                    Ok(())
                } else {
                    Err(anyhow::anyhow!("{}", o.detail))
                },
            )
        })
        .collect())
}
