//! The UEFI boot path: a GPT disk whose EFI system partition holds Debian's
//! GRUB for x86_64-efi (one standalone `BOOTX64.EFI` with its grub.cfg
//! inside) and the kernel, which GRUB starts as the Multiboot 1 kernel it
//! is (memory map and command line as under QEMU's `-kernel`); booted under
//! Debian's OVMF. Multiboot 1 passes no RSDP: the kernel finds it in the
//! memory map's ACPI ranges.

use anyhow::{bail, ensure, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use veridian_run::qemu::{Boot, Uefi};

use crate::setup;

/// Debian packages this path uses: GRUB's EFI modules and mkstandalone,
/// the FAT and GPT tools, the firmware.
const PACKAGES: &[&str] = &[
    "grub-efi-amd64-bin",
    "grub-common",
    "dosfstools",
    "mtools",
    "gdisk",
    "ovmf",
];

/// OVMF's code and variable-store template (the 4 MiB pair of Debian's `ovmf`).
const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/// Size of the EFI system partition (FAT16) and where it starts on the disk.
const ESP_MIB: u64 = 32;
const ESP_START_MIB: u64 = 1;

/// GRUB modules preloaded in the loader (the rest sit in its memdisk).
const GRUB_MODULES: &str =
    "normal configfile part_gpt fat multiboot serial terminal search search_fs_file";

/// The grub.cfg inside the loader: serial console, no menu, the kernel
/// found by its path on the ESP and started with `cmdline`.
pub fn grub_cfg(cmdline: &str) -> Result<String> {
    let mut words = Vec::new();
    for word in cmdline.split_whitespace() {
        ensure!(
            !word.contains('\''),
            "kernel command line word {word:?} holds a quote GRUB would misread"
        );
        // Single quotes: GRUB expands nothing inside.
        words.push(format!("'{word}'"));
    }
    Ok(format!(
        "serial --unit=0 --speed=115200\n\
         terminal_input serial\n\
         terminal_output serial\n\
         set timeout=0\n\
         search --no-floppy --file --set=root /boot/kernel.elf\n\
         multiboot /boot/kernel.elf {}\n\
         boot\n",
        words.join(" ")
    ))
}

/// Writes the GPT disk `out`: GRUB as `\EFI\BOOT\BOOTX64.EFI` and `kernel`
/// as `\boot\kernel.elf` on a FAT EFI system partition.
pub fn build_image(kernel: &Path, cmdline: &str, out: &Path) -> Result<()> {
    setup::ensure(PACKAGES)?;
    let work = out.with_extension("parts");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work)?;
    let cfg = work.join("grub.cfg");
    fs::write(&cfg, grub_cfg(cmdline)?)?;
    let loader = work.join("BOOTX64.EFI");
    run(Command::new("grub-mkstandalone")
        .args(["-O", "x86_64-efi", "--locales=", "--themes=", "--fonts="])
        .arg(format!("--modules={GRUB_MODULES}"))
        .arg("-o")
        .arg(&loader)
        .arg(format!("boot/grub/grub.cfg={}", cfg.display())))?;

    let esp = work.join("esp.fat");
    fs::File::create(&esp)?.set_len(ESP_MIB << 20)?;
    run(Command::new("mkfs.fat").args(["-n", "VERIDIAN"]).arg(&esp))?;
    let image = format!("{}", esp.display());
    run(Command::new("mmd").args(["-i", &image, "::/EFI", "::/EFI/BOOT", "::/boot"]))?;
    run(Command::new("mcopy")
        .args(["-i", &image])
        .arg(&loader)
        .arg("::/EFI/BOOT/BOOTX64.EFI"))?;
    run(Command::new("mcopy")
        .args(["-i", &image])
        .arg(kernel)
        .arg("::/boot/kernel.elf"))?;

    // The disk: 1 MiB before the ESP (GPT), 1 MiB after (backup GPT).
    let _ = fs::remove_file(out);
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir)?;
    }
    let disk_len = (ESP_START_MIB + ESP_MIB + 1) << 20;
    fs::File::create(out)?.set_len(disk_len)?;
    let first = (ESP_START_MIB << 20) / 512;
    run(Command::new("sgdisk")
        .arg(format!("--new=1:{first}:+{ESP_MIB}M"))
        .args(["--typecode=1:ef00", "--change-name=1:EFI system"])
        .arg(out))?;
    let fat = fs::read(&esp)?;
    let mut disk = fs::OpenOptions::new().write(true).open(out)?;
    use std::io::{Seek, SeekFrom, Write};
    disk.seek(SeekFrom::Start(ESP_START_MIB << 20))?;
    disk.write_all(&fat)?;
    fs::remove_dir_all(&work)?;
    Ok(())
}

/// A UEFI boot of `disk` under OVMF, with a fresh variable store in `dir`.
pub fn boot(disk: &Path, dir: &Path) -> Result<Boot> {
    setup::ensure(PACKAGES)?;
    fs::create_dir_all(dir)?;
    let vars = dir.join("OVMF_VARS.fd");
    fs::copy(OVMF_VARS, &vars).with_context(|| format!("cannot copy {OVMF_VARS}"))?;
    Ok(Boot::Uefi(Uefi {
        code: PathBuf::from(OVMF_CODE),
        vars,
        disk: disk.to_path_buf(),
    }))
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed: {}",
            cmd.get_program(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grub_cfg_quotes_every_word_and_boots_multiboot() {
        let cfg = grub_cfg("init=/sbin/init -- /bin/echo $x").unwrap();
        assert!(cfg.contains(
            "multiboot /boot/kernel.elf 'init=/sbin/init' '--' '/bin/echo' '$x'\nboot\n"
        ));
        assert!(cfg.contains("terminal_output serial"));
        assert!(grub_cfg("it's").is_err());
    }
}

/// The fewest CPUs the UEFI boot test gives the guest: under OVMF the
/// kernel finds the ACPI tables (and so the other CPUs) only through the
/// memory map, which one CPU would not show.
pub const BOOT_TEST_MIN_CPUS: u32 = 2;

/// Boots `kernel` from a UEFI image under OVMF over an overlay of `rootfs`
/// with at least [`BOOT_TEST_MIN_CPUS`] CPUs, init running `/bin/cat
/// /etc/os-release`; passes when the kernel brings every CPU online, the
/// file's `ID=veridian` line comes out and init exits 0.
pub fn boot_test(
    kernel: &Path,
    rootfs: &Path,
    accel: veridian_run::qemu::Accel,
    cpus: veridian_run::cpus::Cpus,
) -> Result<()> {
    use veridian_run::qemu::{Vm, VmExit, Watch};
    let dir = crate::paths::veridian_build_dir().join("guest-tests/uefi");
    fs::create_dir_all(&dir)?;
    let cmdline = "init=/sbin/init -- /bin/cat /etc/os-release";
    let cpus = cpus.max(veridian_run::cpus::Cpus::new(BOOT_TEST_MIN_CPUS).expect("a small count"));
    let disk = dir.join("uefi.img");
    build_image(kernel, cmdline, &disk)?;
    let log_path = crate::paths::log_dir().join("guest-uefi.log");
    let vm = Vm {
        kernel: kernel.to_path_buf(),
        cmdline: cmdline.into(),
        disks: vec![crate::verify::qcow2_overlay(
            rootfs,
            &dir.join("root.qcow2"),
        )?],
        memory_mb: 1024,
        cpus,
        accel,
        log: log_path.clone(),
        extra_serials: vec![],
        initrd: None,
        silence_limit: Some(std::time::Duration::from_secs(120)),
        user_net: false,
        snapshot: false,
    };
    let mut log = String::new();
    let exit = vm.run_as(
        &boot(&disk, &dir)?,
        std::time::Duration::from_secs(240),
        |line| {
            log.push_str(line);
            log.push('\n');
            Watch::Continue
        },
    )?;
    ensure!(
        exit == VmExit::Status(0),
        "UEFI boot ended {exit:?}; log {}",
        log_path.display()
    );
    ensure!(
        log.lines().any(|l| l.trim_end() == "ID=veridian"),
        "no ID=veridian line from /etc/os-release; log {}",
        log_path.display()
    );
    let online = crate::smp::kernel_cpus(&log);
    ensure!(
        online == Some(cpus.get()),
        "the kernel brought {online:?} CPUs online under UEFI, not {cpus}; log {}",
        log_path.display()
    );
    Ok(())
}

/// How `cargo xtask verify` and `cargo xtask run` load the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BootMode {
    /// QEMU's Multiboot loader (`-kernel`).
    Multiboot,
    /// OVMF, then GRUB from a GPT disk built in `dir` for `cmdline`.
    Uefi,
}

/// The boot `mode` asks for; for UEFI, builds `dir/uefi.img` holding
/// `kernel` and `cmdline` first.
pub fn boot_for(mode: BootMode, kernel: &Path, cmdline: &str, dir: &Path) -> Result<Boot> {
    match mode {
        BootMode::Multiboot => Ok(Boot::Multiboot),
        BootMode::Uefi => {
            let disk = dir.join("uefi.img");
            build_image(kernel, cmdline, &disk)?;
            boot(&disk, dir)
        }
    }
}
