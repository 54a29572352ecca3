//! Booting VeridianOS in QEMU: accelerator choice, the command line, the
//! serial console streamed line by line into a kept log, timeouts, and the
//! exit status the guest reports through isa-debug-exit.
//!
//! Only the QEMU process started here is ever killed (through its own
//! `Child` handle, i.e. by its pid), on timeout or when the handle is dropped.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::cpus::Cpus;

/// The line the kernel prints before powering off with init's status. QEMU's
/// exit code carries only 7 bits of it, so the line is the authority.
pub const INIT_STATUS_LINE: &str = "veridian: init exited with status ";

/// The first line of every serial log: who to look for (and that it is gone).
pub const QEMU_PID_LINE: &str = "[xtask] qemu-system-x86_64 pid ";

/// The status the kernel powers off with when it fails itself.
pub const KERNEL_FAILURE: u8 = 0x7f;

/// The isa-debug-exit port the kernel writes its status to.
pub const DEBUG_EXIT_IOBASE: &str = "0xf4";

/// Which accelerator to boot with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Accel {
    /// Software emulation: the dependable default (KVM is nested on CI machines).
    Tcg,
    /// Hardware virtualisation through /dev/kvm.
    Kvm,
    /// KVM when /dev/kvm can be opened, TCG otherwise.
    Auto,
}

impl Accel {
    /// Resolves `Auto` by probing /dev/kvm.
    pub fn resolve(self) -> Accel {
        match self {
            Accel::Auto if kvm_usable() => Accel::Kvm,
            Accel::Auto => Accel::Tcg,
            other => other,
        }
    }

    fn qemu_name(self) -> &'static str {
        match self.resolve() {
            Accel::Kvm => "kvm",
            _ => "tcg",
        }
    }
}

/// True when /dev/kvm opens read-write.
pub fn kvm_usable() -> bool {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// What to boot.
pub struct Vm {
    pub kernel: PathBuf,
    pub cmdline: String,
    /// Raw or qcow2 images attached as virtio-blk disks, in order.
    pub disks: Vec<PathBuf>,
    pub memory_mb: u32,
    /// Virtual CPUs (`-smp`).
    pub cpus: Cpus,
    pub accel: Accel,
    /// Where the COM1 log is kept.
    pub log: PathBuf,
    /// Files receiving COM2, COM3 … (e.g. a program's stdout and stderr).
    pub extra_serials: Vec<PathBuf>,
    /// An initial RAM disk (`-initrd`), for Linux guests booted side by side.
    pub initrd: Option<PathBuf>,
    /// Kill the guest when COM1 stays silent this long (a hung step).
    pub silence_limit: Option<Duration>,
    /// A virtio-net NIC on QEMU's user-mode network (guest 10.0.2.15, the
    /// host's loopback reachable as 10.0.2.2; nothing leaves this machine
    /// unless the guest dials out).
    pub user_net: bool,
    /// The guest's writes to the disks go to a temporary overlay that QEMU
    /// makes and deletes (`snapshot=on`): the images stay unchanged, with
    /// no `qemu-img` run before the boot.
    pub snapshot: bool,
}

/// How the kernel is loaded.
#[derive(Clone, Debug)]
pub enum Boot {
    /// QEMU's own Multiboot loader: `-kernel` with `-append`.
    Multiboot,
    /// UEFI firmware (OVMF) starting the loader on a GPT disk image, which
    /// starts the kernel with its own command line; `Vm::kernel` and
    /// `Vm::cmdline` are then unused.
    Uefi(Uefi),
}

/// UEFI firmware and the disk it boots.
#[derive(Clone, Debug)]
pub struct Uefi {
    /// The firmware's code (read-only flash).
    pub code: PathBuf,
    /// This boot's writable copy of the firmware's variable store.
    pub vars: PathBuf,
    /// The GPT disk with the EFI system partition (an IDE disk, which
    /// OVMF reads and the kernel ignores).
    pub disk: PathBuf,
}

/// How a boot ended.
#[derive(Debug, PartialEq, Eq)]
pub enum VmExit {
    /// The kernel wrote this status to isa-debug-exit.
    Status(u8),
    /// QEMU ended without a guest status (a triple fault with -no-reboot, a crash…).
    NoStatus(Option<i32>),
    /// The time limit passed; QEMU was killed.
    Timeout,
    /// COM1 stayed silent for the silence limit; QEMU was killed.
    Silent,
    /// The kernel itself failed (it powers off with [`KERNEL_FAILURE`] and
    /// says why on COM1).
    KernelFailure,
    /// The line watcher asked to stop; QEMU was killed.
    Stopped,
}

/// The line watcher's answer.
pub enum Watch {
    Continue,
    Stop,
}

impl Vm {
    /// The qemu-system-x86_64 invocation with QEMU's Multiboot loader.
    pub fn command(&self) -> Command {
        self.command_for(&Boot::Multiboot)
    }

    /// The qemu-system-x86_64 invocation booting as `boot` says.
    pub fn command_for(&self, boot: &Boot) -> Command {
        self.qemu_command(boot, "stdio")
    }

    /// The invocation for a person at a terminal: COM1 on QEMU's stdio
    /// multiplexed with its monitor (`Ctrl-A X` quits, `Ctrl-A C` switches).
    pub fn interactive_command(&self, boot: &Boot) -> Command {
        self.qemu_command(boot, "mon:stdio")
    }

    fn qemu_command(&self, boot: &Boot, com1: &str) -> Command {
        let mut cmd = Command::new("qemu-system-x86_64");
        cmd.args([
            "-accel",
            self.accel.qemu_name(),
            "-cpu",
            cpu_model(self.accel),
        ])
        .args(["-m", &format!("{}M", self.memory_mb)])
        .args(self.cpus.qemu_args())
        .args(["-display", "none", "-monitor", "none", "-no-reboot"])
        // Only the devices named below: no default network card, display
        // adapter, floppy or CD-ROM drive, whose option ROMs and probes
        // the firmware would otherwise run (OVMF even tries a network boot).
        .arg("-nodefaults");
        match boot {
            Boot::Multiboot => {
                // qboot (Debian's qemu-system-data ships it beside SeaBIOS)
                // only loads the kernel: ~60 ms sooner to the kernel's first
                // line under TCG. It leaves PCI BARs unassigned (virtio's
                // 64-bit BAR 4); the kernel assigns them (`drivers::pci`).
                cmd.args(["-bios", "qboot.rom"])
                    .arg("-kernel")
                    .arg(&self.kernel)
                    .args(["-append", &self.cmdline]);
            }
            Boot::Uefi(uefi) => {
                cmd.args(["-machine", "q35"]);
                cmd.arg("-drive").arg(format!(
                    "if=pflash,format=raw,readonly=on,file={}",
                    uefi.code.display()
                ));
                cmd.arg("-drive")
                    .arg(format!("if=pflash,format=raw,file={}", uefi.vars.display()));
                cmd.arg("-drive").arg(format!(
                    "file={},format=raw,if=none,id=esp,snapshot=on",
                    uefi.disk.display()
                ));
                cmd.args(["-device", "ide-hd,drive=esp"]);
            }
        }
        if let Some(initrd) = &self.initrd {
            cmd.arg("-initrd").arg(initrd);
        }
        cmd.args([
            "-device",
            &format!("isa-debug-exit,iobase={DEBUG_EXIT_IOBASE},iosize=0x04"),
        ])
        .args(["-serial", com1]);
        if self.user_net {
            cmd.args([
                "-netdev",
                "user,id=net0",
                "-device",
                "virtio-net-pci,netdev=net0",
            ]);
        }
        for serial in &self.extra_serials {
            cmd.arg("-serial").arg(format!("file:{}", serial.display()));
        }
        for (i, disk) in self.disks.iter().enumerate() {
            let format = if disk.extension().is_some_and(|e| e == "qcow2") {
                "qcow2"
            } else {
                "raw"
            };
            let snapshot = if self.snapshot { ",snapshot=on" } else { "" };
            cmd.arg("-drive").arg(format!(
                "file={},if=none,id=disk{i},format={format},cache=unsafe{snapshot}",
                disk.display()
            ));
            cmd.args(["-device", &format!("virtio-blk-pci,drive=disk{i}")]);
        }
        cmd
    }

    /// Boots, feeding each COM1 line to `watch` (and to the log), until the
    /// guest powers off, `watch` says stop, or `limit` passes.
    pub fn run(&self, limit: Duration, watch: impl FnMut(&str) -> Watch) -> Result<VmExit> {
        self.run_as(&Boot::Multiboot, limit, watch)
    }

    /// [`Vm::run`], booting as `boot` says.
    pub fn run_as(
        &self,
        boot: &Boot,
        limit: Duration,
        mut watch: impl FnMut(&str) -> Watch,
    ) -> Result<VmExit> {
        if let Some(dir) = self.log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut log = File::create(&self.log)
            .with_context(|| format!("cannot create {}", self.log.display()))?;
        let mut child = Guard(
            self.command_for(boot)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("cannot start qemu-system-x86_64 (is qemu-system-x86 installed?)")?,
        );
        writeln!(log, "{QEMU_PID_LINE}{}", child.0.id())?;
        let lines = line_channel(child.0.stdout.take().expect("piped"));
        let stderr = child.0.stderr.take().expect("piped");
        let stderr_reader =
            std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
        let deadline = Instant::now() + limit;
        let mut last_line = Instant::now();
        let mut reported = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if self
                .silence_limit
                .is_some_and(|quiet| last_line.elapsed() >= quiet)
            {
                child.kill()?;
                writeln!(
                    log,
                    "[xtask] QEMU killed: no output for {:?}",
                    self.silence_limit.unwrap_or_default()
                )?;
                return Ok(VmExit::Silent);
            }
            match lines.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => {
                    last_line = Instant::now();
                    writeln!(log, "{line}")?;
                    if let Some(n) = line.trim_end().strip_prefix(INIT_STATUS_LINE) {
                        reported = n.parse::<u8>().ok();
                    }
                    if let Watch::Stop = watch(&line) {
                        child.kill()?;
                        return Ok(VmExit::Stopped);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                    child.kill()?;
                    writeln!(
                        log,
                        "[xtask] QEMU killed after {} s without powering off",
                        limit.as_secs()
                    )?;
                    return Ok(VmExit::Timeout);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = child.0.wait()?;
        let qemu_errors = stderr_reader.join().unwrap_or_default();
        if !qemu_errors.trim().is_empty() {
            writeln!(log, "[qemu stderr] {}", qemu_errors.trim())?;
        }
        Ok(with_reported_status(decode_exit(status.code()), reported))
    }
}

/// QEMU exits with `(status << 1) | 1` after an isa-debug-exit write.
pub fn decode_exit(code: Option<i32>) -> VmExit {
    match code {
        Some(c) if c & 1 == 1 && (1..=511).contains(&c) => VmExit::Status(((c - 1) / 2) as u8),
        other => VmExit::NoStatus(other),
    }
}

/// Combines QEMU's 7-bit status with the status line the kernel printed.
pub fn with_reported_status(exit: VmExit, reported: Option<u8>) -> VmExit {
    match (exit, reported) {
        (VmExit::Status(low), Some(full)) if full & 0x7f == low & 0x7f => VmExit::Status(full),
        (VmExit::Status(KERNEL_FAILURE), None) => VmExit::KernelFailure,
        (exit, _) => exit,
    }
}

/// KVM passes the host CPU through (without IA32_ARCH_CAPABILITIES, which
/// nested KVM refuses to set: QEMU 7.2 then aborts with "failed to set MSR
/// 0x10a"); TCG gets a model with the SSE4.2 and RDRAND the target assumes.
fn cpu_model(accel: Accel) -> &'static str {
    match accel.resolve() {
        Accel::Kvm => "host,-arch-capabilities",
        _ => "max",
    }
}

/// Lines of `reader` (lossily decoded) on a channel.
fn line_channel(reader: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        while reader
            .read_until(b'\n', &mut buf)
            .map(|n| n > 0)
            .unwrap_or(false)
        {
            let line = String::from_utf8_lossy(&buf)
                .trim_end_matches(['\n', '\r'])
                .to_string();
            buf.clear();
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Owns our QEMU child: killed (by its pid, through the handle) if still
/// running when dropped, so no QEMU outlives the command that started it.
struct Guard(Child);

impl Guard {
    fn kill(&mut self) -> Result<()> {
        if self.0.try_wait()?.is_none() {
            self.0.kill()?;
            self.0.wait()?;
        }
        Ok(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Fails early with a clear message when the kernel image is missing.
pub fn require_file(path: &Path, what: &str) -> Result<()> {
    if !path.is_file() {
        bail!("{what} not found at {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_exit_codes_decode() {
        assert_eq!(decode_exit(Some(1)), VmExit::Status(0));
        assert_eq!(decode_exit(Some(3)), VmExit::Status(1));
        assert_eq!(decode_exit(Some(511)), VmExit::Status(255));
        assert_eq!(decode_exit(Some(0)), VmExit::NoStatus(Some(0)));
        assert_eq!(decode_exit(Some(2)), VmExit::NoStatus(Some(2)));
        assert_eq!(decode_exit(None), VmExit::NoStatus(None));
    }

    #[test]
    fn status_line_restores_the_high_bit() {
        // init killed by SIGABRT: 134 reaches QEMU as 134 & 0x7f = 6.
        assert_eq!(
            with_reported_status(decode_exit(Some((134 << 1 | 1) & 0xff)), Some(134)),
            VmExit::Status(134)
        );
        assert_eq!(
            with_reported_status(VmExit::Status(6), None),
            VmExit::Status(6)
        );
        assert_eq!(
            with_reported_status(VmExit::Status(127), Some(127)),
            VmExit::Status(127)
        );
        assert_eq!(
            with_reported_status(VmExit::Status(KERNEL_FAILURE), None),
            VmExit::KernelFailure
        );
        assert_eq!(
            with_reported_status(VmExit::Timeout, Some(0)),
            VmExit::Timeout
        );
    }

    #[test]
    fn command_line_has_disks_serials_and_exit_device() {
        let vm = Vm {
            kernel: "k.elf".into(),
            cmdline: "init=/sbin/init".into(),
            disks: vec!["root.img".into(), "scratch.qcow2".into()],
            memory_mb: 512,
            cpus: Cpus::new(2).expect("valid"),
            accel: Accel::Tcg,
            log: "log".into(),
            extra_serials: vec!["out".into()],
            initrd: None,
            silence_limit: None,
            user_net: false,
            snapshot: false,
        };
        let args: Vec<String> = vm
            .command()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(joined.contains("-accel tcg"));
        assert!(joined.contains("-smp 2"), "{joined}");
        assert!(joined.contains("-kernel k.elf -append init=/sbin/init"));
        assert!(joined.contains("file=root.img,if=none,id=disk0,format=raw"));
        assert!(joined.contains("file=scratch.qcow2,if=none,id=disk1,format=qcow2"));
        assert!(joined.contains("-serial stdio -serial file:out"));
        assert!(joined.contains("isa-debug-exit,iobase=0xf4"));
        assert!(joined.contains("-nodefaults"), "no default devices");
        assert!(joined.contains("-bios qboot.rom"), "the minimal firmware");
        assert!(!joined.contains("snapshot=on"));
    }

    #[test]
    fn uefi_boot_uses_firmware_flash_and_the_esp_disk() {
        let vm = Vm {
            kernel: "k.elf".into(),
            cmdline: "init=/sbin/init".into(),
            disks: vec!["root.img".into()],
            memory_mb: 512,
            cpus: Cpus::new(2).expect("valid"),
            accel: Accel::Tcg,
            log: "log".into(),
            extra_serials: vec![],
            initrd: None,
            silence_limit: None,
            user_net: false,
            snapshot: false,
        };
        let boot = Boot::Uefi(Uefi {
            code: "CODE.fd".into(),
            vars: "VARS.fd".into(),
            disk: "esp.img".into(),
        });
        let joined = vm
            .command_for(&boot)
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(!joined.contains("-kernel"), "{joined}");
        assert!(joined.contains("-smp 2"), "{joined}");
        assert!(joined.contains("if=pflash,format=raw,readonly=on,file=CODE.fd"));
        assert!(joined.contains("if=pflash,format=raw,file=VARS.fd"));
        assert!(joined.contains("file=esp.img,format=raw,if=none,id=esp"));
        assert!(joined.contains("-device ide-hd,drive=esp"));
        assert!(joined.contains("file=root.img,if=none,id=disk0,format=raw"));
    }
}
