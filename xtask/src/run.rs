//! `cargo xtask run`: VeridianOS interactively. Boots the full rootfs (built
//! when missing) with init starting busybox `sh` as a login shell on the
//! serial console, which QEMU connects to this terminal; a throw-away qcow2
//! overlay keeps the image untouched unless `--persist`.

use anyhow::{bail, ensure, Context, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use veridian_run::cpus::Cpus;
use veridian_run::qemu::{decode_exit, Accel, Boot, Vm, VmExit};

use crate::uefi::{self, BootMode};
use crate::{kernel, paths, rootfs, toolchain, verify};

/// The kernel command line: init runs the shell with the console as its
/// controlling terminal.
pub const SHELL_CMDLINE: &str = "init=/sbin/init -- /bin/sh -l";

/// Printed before QEMU takes over the terminal.
pub const BANNER: &str = "VeridianOS: busybox sh on the serial console. \
Quit with `exit` or `poweroff` (init then powers off) or Ctrl-A X (QEMU).";

/// The QEMU invocation `cargo xtask run` uses, with the rootfs disk given
/// (an overlay or the image itself); the pty test drives the same command.
pub fn shell_vm(kernel: &Path, disk: &Path, accel: Accel, cpus: Cpus) -> Vm {
    Vm {
        kernel: kernel.to_path_buf(),
        cmdline: SHELL_CMDLINE.into(),
        disks: vec![disk.to_path_buf()],
        memory_mb: 2048,
        cpus,
        accel,
        log: paths::log_dir().join("run-serial.log"),
        extra_serials: vec![],
        initrd: None,
        silence_limit: None,
        user_net: true,
        snapshot: false,
    }
}

/// The kernel and rootfs, each built if missing.
pub fn kernel_and_rootfs() -> Result<(PathBuf, PathBuf)> {
    let kernel = paths::kernel_image();
    let kernel = if kernel.is_file() {
        kernel
    } else {
        kernel::build()?
    };
    let image = paths::rootfs_image();
    let image = if image.is_file() {
        image
    } else {
        let tc = toolchain::build(false)?;
        rootfs::build_with(&tc, rootfs::DEFAULT_SIZE_MB, None)?
    };
    Ok((kernel, image))
}

/// `cargo xtask uefi`: the UEFI disk image booting to the shell.
pub fn build_uefi_image() -> Result<PathBuf> {
    let (kernel, _) = kernel_and_rootfs()?;
    let out = paths::uefi_image();
    uefi::build_image(&kernel, SHELL_CMDLINE, &out)?;
    println!(
        "UEFI image: {} (GPT, EFI system partition with GRUB and the kernel)",
        out.display()
    );
    Ok(out)
}

/// `cargo xtask run`.
pub fn interactive(persist: bool, mode: BootMode, accel: Accel, cpus: Cpus) -> Result<()> {
    let (kernel, image) = kernel_and_rootfs()?;
    let dir = paths::veridian_build_dir().join("run");
    std::fs::create_dir_all(&dir)?;
    let disk = if persist {
        image
    } else {
        verify::qcow2_overlay(&image, &dir.join("root.qcow2"))?
    };
    let boot = uefi::boot_for(mode, &kernel, SHELL_CMDLINE, &dir)?;
    println!("{BANNER}");
    if !persist {
        println!("Changes go to a throw-away overlay; `cargo xtask run --persist` keeps them.");
    }
    let status = shell_vm(&kernel, &disk, accel, cpus)
        .interactive_command(&boot)
        .status()
        .context("cannot start qemu-system-x86_64")?;
    // Ctrl-A X ends QEMU with 0; init's own exit comes through isa-debug-exit.
    match (status.code(), decode_exit(status.code())) {
        (Some(0), _) | (_, VmExit::Status(0)) => Ok(()),
        (_, VmExit::Status(s)) => bail!("init exited with status {s}"),
        (code, _) => bail!("QEMU ended with {code:?}"),
    }
}

/// Drives `cargo xtask run`'s QEMU command under a pseudo-terminal
/// (util-linux `script`): waits for the prompt, types
/// `echo hello-$((6*7))` and `cat /etc/os-release`, expects `hello-42` and
/// `ID=veridian`; feeds `cat` an edited line and `^D`; interrupts `sleep`
/// with `^C` (status 130); then `poweroff`, after which init syncs and
/// exits 0 and the kernel powers off.
pub fn pty_test(kernel: &Path, image: &Path, accel: Accel, cpus: Cpus) -> Result<()> {
    let dir = paths::veridian_build_dir().join("guest-tests/run-pty");
    std::fs::create_dir_all(&dir)?;
    let disk = verify::qcow2_overlay(image, &dir.join("root.qcow2"))?;
    let qemu = shell_vm(kernel, &disk, accel, cpus).interactive_command(&Boot::Multiboot);
    let words: Vec<String> = std::iter::once(qemu.get_program())
        .chain(qemu.get_args())
        .map(|w| shell_quote(&w.to_string_lossy()))
        .collect();
    let mut child = Guard(
        Command::new("script")
            .args(["-q", "-f", "-e", "-c", &words.join(" "), "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run script (util-linux)")?,
    );
    let mut input = child.0.stdin.take().expect("piped");
    let output = screen(child.0.stdout.take().expect("piped"));
    let deadline = Instant::now() + PTY_LIMIT;
    let log = paths::log_dir().join("run-pty.log");
    let result = (|| -> Result<()> {
        let mut seen = 0;
        for (typed, expect) in [
            ("", "/ # "),
            ("echo hello-$((6*7))\r", "hello-42"),
            ("cat /etc/os-release\r", "ID=veridian"),
            // The kernel's line discipline: cat reads a cooked line
            // (DEL erased the c) and ^D ends its input. Typing waits for
            // the marker, so sh has finished reading its own line.
            ("echo ready-$((2*3)); cat\r", "ready-6"),
            ("abc\x7fd\r", "abd"),
            ("\x04", "/ # "),
            // ^C interrupts the foreground program: sh sees SIGINT's 130.
            ("echo started-$((3*3)); sleep 60\r", "started-9"),
            ("", ""),
            ("\x03", "/ # "),
            ("echo status-$?\r", "status-130"),
            // busybox's poweroff signals init, which syncs and exits 0.
            ("poweroff\r", INIT_STATUS_ZERO),
        ] {
            if typed.is_empty() && expect.is_empty() {
                // Time for sh to start the program before ^C.
                std::thread::sleep(Duration::from_secs(3));
                continue;
            }
            input.write_all(typed.as_bytes())?;
            input.flush()?;
            seen = wait_for(&output, seen, expect, deadline)?;
        }
        Ok(())
    })();
    std::fs::write(&log, &*output.lock().expect("screen lock"))?;
    result.with_context(|| format!("transcript {}", log.display()))?;
    let status = child.0.wait()?;
    // `script -e` passes QEMU's exit code on: isa-debug-exit's 0 is 1.
    ensure!(
        decode_exit(status.code()) == VmExit::Status(0),
        "QEMU under script ended {status}; transcript {}",
        log.display()
    );
    Ok(())
}

/// What the kernel prints when init (the shell's parent) exits 0.
const INIT_STATUS_ZERO: &str = "init exited with status 0";

/// The whole pty test, boot included.
const PTY_LIMIT: Duration = Duration::from_secs(240);

/// Everything `reader` produced so far, appended by a thread.
fn screen(mut reader: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .expect("screen lock")
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

/// Waits until `want` appears in `screen` after byte `from`; returns where
/// it ends.
fn wait_for(screen: &Mutex<String>, from: usize, want: &str, deadline: Instant) -> Result<usize> {
    loop {
        if let Some(at) = screen.lock().expect("screen lock")[from..].find(want) {
            return Ok(from + at + want.len());
        }
        if Instant::now() >= deadline {
            bail!("no {want:?} within {PTY_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `word` for sh -c, in single quotes.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Owns the `script` child: killed by its pid if still running when
/// dropped (QEMU, its child, then sees its pty hang up and exits).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
