//! `cargo xtask`: builds the VeridianOS Rust toolchain, kernel and images,
//! and runs the tests. Every command installs what it needs first
//! (see [`setup`]), so a fresh machine needs nothing but this repository.

mod bench;
mod bench_compile;
mod bench_net;
mod conformance;
mod crash;
mod criteria;
mod dynlink;
mod ecosystem;
mod guest_cc;
mod guest_tests;
mod kernel;
mod lint;
mod linux_guest;
mod native_projects;
mod paths;
mod progress;
mod rootfs;
mod run;
mod self_rebuild;
mod selfhost;
mod setup;
mod smp;
mod target_checks;
mod test;
mod toolchain;
mod uefi;
mod verify;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use veridian_run::cpus::CpusArg;
use veridian_run::qemu::Accel;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Rust on VeridianOS: build, boot, verify"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install the Debian packages the project needs (idempotent).
    Setup,
    /// Build the x86_64-unknown-veridian toolchain (sysroot, C wrapper, std)
    /// and link it with rustup as `veridian`.
    Toolchain {
        /// Rebuild the patched std source copy even if nothing changed.
        #[arg(long)]
        force: bool,
    },
    /// Build target/rootfs-rust.img (BlockFS): busybox, init, the programs,
    /// the toolchain's sysroot and the verification script.
    Rootfs {
        /// Image size in MiB.
        #[arg(long, default_value_t = rootfs::DEFAULT_SIZE_MB)]
        size: u32,
        /// Put the VeridianOS-hosted rustc + cargo (from `cargo xtask rustc`) at /usr/local.
        #[arg(long)]
        rust: bool,
    },
    /// Build the VeridianOS kernel into target/veridian/kernel.elf.
    Kernel,
    /// Build the std conformance programs and run them on this (Linux) host.
    Conformance,
    /// The dynamic-linking checks of `cargo xtask test` alone: shared crate
    /// types, a musl-dynamic C program and a dlopen()ed Rust cdylib (on the
    /// host and inside VeridianOS; needs the kernel and the rootfs).
    Dynlink,
    /// Cross-build libc++, LLVM + lld, then clang for VeridianOS (about an
    /// hour on 2 cores; resumable; in ${VERIDIAN_BUILD_DIR:-~/.cache/veridian-build}/llvm).
    Llvm {
        /// Parallel jobs (default: the number of CPUs).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Cross-build rustc, cargo and std whose host is VeridianOS, after
    /// `cargo xtask llvm` (resumable; in
    /// ${VERIDIAN_BUILD_DIR:-~/.cache/veridian-build}/rust).
    Rustc {
        /// Parallel jobs (default: the number of CPUs).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// The formatting and lint gates alone: `cargo fmt --check` in every
    /// workspace, clippy -D warnings for host crates, userland and kernel.
    Lint,
    /// Run every test: formatting and lint gates, workspace unit tests, target checks, conformance suite.
    Test {
        /// Accelerator for the tests that boot VeridianOS (TCG: dependable here).
        #[arg(long, value_enum, default_value_t = Accel::Tcg)]
        accel: Accel,
        /// Virtual CPUs of the guest tests (the SMP rows boot at 1, 2 and 4 whatever this is).
        #[command(flatten)]
        cpus: CpusArg,
    },
    /// The SMP rows of `cargo xtask test` alone: VeridianOS at -smp 1, 2
    /// and 4, each boot running the conformance suite and smp-stress.
    Smp {
        /// tcg, kvm or auto.
        #[arg(long, value_enum, default_value_t = Accel::Tcg)]
        accel: Accel,
    },
    /// The main job: build everything, run the checks, print the verification table.
    Verify {
        /// Accelerator: TCG is the dependable default here (KVM is nested on this kind of machine).
        #[arg(long, value_enum, default_value_t = Accel::Tcg)]
        accel: Accel,
        /// Print the serial log live.
        #[arg(short, long)]
        verbose: bool,
        /// Seconds for the whole boot: the native-build rows compile two
        /// real projects and their dependencies, about an hour under TCG.
        #[arg(long, default_value_t = 3 * 3600)]
        timeout: u64,
        /// Seconds a single criterion may run without printing: cargo is
        /// silent while one crate compiles, and compiling mkfs-blockfs's
        /// tests (blockfs with proptest) under TCG on a busy host took over
        /// 600 s.
        #[arg(long, default_value_t = 1800)]
        step_timeout: u64,
        /// How the kernel is loaded: QEMU's Multiboot loader, or OVMF + GRUB from a GPT disk.
        #[arg(long, value_enum, default_value_t = uefi::BootMode::Multiboot)]
        boot: uefi::BootMode,
        /// Do not build the VeridianOS-hosted rustc and cargo (hours on an empty
        /// machine): use them if built, else their rows SKIP.
        #[arg(long)]
        quick: bool,
        /// Parallel jobs of the toolchain builds (default: the number of CPUs).
        #[arg(long)]
        jobs: Option<usize>,
        /// Boot this kernel image instead of building one (e.g. the kernel
        /// `cargo xtask self-rebuild` had VeridianOS build).
        #[arg(long)]
        kernel: Option<PathBuf>,
        #[command(flatten)]
        cpus: CpusArg,
    },
    /// VeridianOS builds its own kernel, init and mkfs-blockfs with the
    /// hosted cargo; each must equal, byte for byte, what the same build
    /// gives under Linux (a chroot of the same tree); then the kernel
    /// VeridianOS built is booted.
    SelfRebuild {
        /// tcg, kvm or auto.
        #[arg(long, value_enum, default_value_t = Accel::Tcg)]
        accel: Accel,
        /// Seconds for the whole guest build.
        #[arg(long, default_value_t = 4 * 3600)]
        timeout: u64,
        /// Seconds the guest may print nothing (a hung step).
        #[arg(long, default_value_t = 1800)]
        step_timeout: u64,
        /// Instead, time one crate of the Rust compiler (e.g. rustc_span),
        /// its dependencies built beforehand, inside VeridianOS and under
        /// Linux with the same binaries: the measure for a stage-2 estimate.
        #[arg(long, value_name = "CRATE")]
        compiler_crate: Option<String>,
        /// Go on with what an interrupted run of this commit left (its tree,
        /// its image as the power cut left it, the chroot's report): steps
        /// done are kept, a step cut short builds on cargo's target folder.
        #[arg(long, conflicts_with = "compiler_crate")]
        resume: bool,
        #[command(flatten)]
        cpus: CpusArg,
    },
    /// Build target/veridian/veridian-uefi.img: a GPT disk whose EFI system
    /// partition holds GRUB and the kernel (starting init's shell on the serial console).
    Uefi,
    /// Boot VeridianOS to busybox sh on this terminal (serial console;
    /// Ctrl-A X quits); the rootfs stays untouched unless --persist.
    Run {
        /// Write to the rootfs image itself instead of a throw-away overlay.
        #[arg(long)]
        persist: bool,
        /// How the kernel is loaded.
        #[arg(long, value_enum, default_value_t = uefi::BootMode::Multiboot)]
        boot: uefi::BootMode,
        /// tcg, kvm or auto.
        #[arg(long, value_enum, default_value_t = Accel::Tcg)]
        accel: Accel,
        #[command(flatten)]
        cpus: CpusArg,
    },
    /// Run the test suites of the crates.io corpus (ecosystem/Cargo.toml)
    /// inside VeridianOS and print a table per crate.
    Ecosystem {
        /// Only these crates (default: the whole corpus).
        crates: Vec<String>,
        /// Print the table of the last run from its logs, building nothing.
        #[arg(long)]
        from_logs: bool,
    },
    /// Power cuts inside VeridianOS: boot a write workload on a small
    /// BlockFS image, kill QEMU at a random moment, repair the image with
    /// `mkfs-blockfs fsck` and check every file the workload had synced.
    CrashTest {
        /// Killed rounds (after one timing round without a kill).
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Seed of the workloads and kill points.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Workload operations per round.
        #[arg(long, default_value_t = 300)]
        ops: usize,
        /// Also boot every n-th crashed image as it is (0: never).
        #[arg(long, default_value_t = 10)]
        boot_check: usize,
        /// tcg, kvm or auto.
        #[arg(long, value_enum, default_value_t = Accel::Tcg)]
        accel: Accel,
        #[command(flatten)]
        cpus: CpusArg,
    },
    /// Benchmarks, as ratios against an anchor measured in the same run.
    Bench {
        #[command(subcommand)]
        which: BenchKind,
    },
}

#[derive(Subcommand)]
enum BenchKind {
    /// QEMU start to hello's first line: VeridianOS vs Debian's Linux kernel.
    Boot {
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// tcg, kvm or auto.
        #[arg(long, value_enum, default_value_t = Accel::Tcg)]
        accel: Accel,
        #[command(flatten)]
        cpus: CpusArg,
    },
    /// `veridian-run hello` vs hello run natively.
    Runner {
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// net-bench (TCP echo over 127.0.0.1): VeridianOS vs Debian's Linux kernel.
    Net {
        /// tcg, kvm or auto.
        #[arg(long, value_enum, default_value_t = Accel::Tcg)]
        accel: Accel,
        #[command(flatten)]
        cpus: CpusArg,
    },
    /// The hosted rustc and cargo compiling the same sources inside VeridianOS
    /// and inside Debian's Linux kernel (needs the hosted toolchain built).
    Compile {
        /// Runs of each step (medians are reported).
        #[arg(long, default_value_t = 3)]
        runs: u32,
        /// cargo's -j values, comma-separated, each a row of the table
        /// [default: 1 and the CPU count].
        #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..))]
        jobs: Vec<u32>,
        /// Also count and time VeridianOS's kernel work (boot flag `stats`)
        /// and print the costliest kinds after the table.
        #[arg(long)]
        stats: bool,
        /// tcg, kvm or auto.
        #[arg(long, value_enum, default_value_t = Accel::Tcg)]
        accel: Accel,
        #[command(flatten)]
        cpus: CpusArg,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Setup => setup::ensure_all(),
        Command::Toolchain { force } => toolchain::build(force).map(|_| ()),
        Command::Rootfs { size, rust } => {
            let tc = toolchain::build(false)?;
            let tree = selfhost::package::install_dir();
            rootfs::build_with(&tc, size, rust.then_some(tree.as_path())).map(|_| ())
        }
        Command::Conformance => {
            let tc = toolchain::build(false)?;
            conformance::run_on_host(&tc).map(|_| ())
        }
        Command::Dynlink => {
            let tc = toolchain::build(false)?;
            test::report(vec![
                ("crate types".into(), dynlink::shared_crate_types(&tc)),
                ("musl-dynamic C program".into(), dynlink::c_program(&tc)),
                ("Rust cdylib dlopen()ed".into(), dynlink::rust_cdylib(&tc)),
                ("glibc programs".into(), dynlink::glibc_programs(&tc)),
            ])
        }
        Command::Kernel => kernel::build().map(|_| ()),
        Command::Llvm { jobs } => selfhost::llvm::build(selfhost::jobs(jobs)),
        Command::Rustc { jobs } => selfhost::rustc::build(selfhost::jobs(jobs)),
        Command::Lint => {
            let tc = toolchain::build(false)?;
            test::report(lint::rows(&tc))
        }
        Command::Test { accel, cpus } => test::run(accel, cpus.cpus),
        Command::Smp { accel } => {
            let tc = toolchain::build(false)?;
            let kernel = kernel::build()?;
            let image = rootfs::build(&tc, rootfs::DEFAULT_SIZE_MB)?;
            test::report(smp::rows(&kernel, &image, accel))
        }
        Command::Ecosystem { crates, from_logs } => ecosystem::run(&crates, from_logs),
        Command::Verify {
            accel,
            verbose,
            timeout,
            step_timeout,
            boot,
            quick,
            jobs,
            kernel,
            cpus,
        } => verify::run(&verify::Options {
            accel,
            verbose,
            limit: Duration::from_secs(timeout),
            step_limit: Duration::from_secs(step_timeout),
            boot,
            quick,
            jobs: selfhost::jobs(jobs),
            kernel,
            cpus: cpus.cpus,
        }),
        Command::SelfRebuild {
            accel,
            timeout,
            step_timeout,
            compiler_crate,
            resume,
            cpus,
        } => {
            let opts = self_rebuild::Options {
                accel,
                cpus: cpus.cpus,
                limit: Duration::from_secs(timeout),
                step_limit: Duration::from_secs(step_timeout),
                resume,
            };
            match compiler_crate {
                Some(name) => self_rebuild::run_compiler_crate(&name, &opts),
                None => self_rebuild::run(&opts),
            }
        }
        Command::Uefi => run::build_uefi_image().map(|_| ()),
        Command::CrashTest {
            rounds,
            seed,
            ops,
            boot_check,
            accel,
            cpus,
        } => crash::run(&crash::Options {
            rounds,
            seed,
            ops,
            boot_check,
            accel,
            cpus: cpus.cpus,
        }),
        Command::Run {
            persist,
            boot,
            accel,
            cpus,
        } => run::interactive(persist, boot, accel, cpus.cpus),
        Command::Bench {
            which:
                BenchKind::Boot {
                    rounds,
                    accel,
                    cpus,
                },
        } => bench::boot(rounds.max(1), accel, cpus.cpus),
        Command::Bench {
            which: BenchKind::Runner { rounds },
        } => bench::runner(rounds.max(1)),
        Command::Bench {
            which: BenchKind::Net { accel, cpus },
        } => bench_net::net(accel, cpus.cpus),
        Command::Bench {
            which:
                BenchKind::Compile {
                    runs,
                    jobs,
                    stats,
                    accel,
                    cpus,
                },
        } => bench_compile::compile(runs.max(1), &jobs, accel, cpus.cpus, stats),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command that boots VeridianOS takes `--cpus N`.
    #[test]
    fn booting_commands_take_cpus() {
        for args in [
            &["test"][..],
            &["verify"],
            &["run"],
            &["crash-test"],
            &["bench", "boot"],
            &["bench", "net"],
            &["bench", "compile"],
        ] {
            let argv = ["xtask"].iter().chain(args).chain(&["--cpus", "3"]);
            let cli =
                Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{args:?} --cpus 3: {e}"));
            let cpus = match cli.command {
                Command::Test { cpus, .. }
                | Command::Verify { cpus, .. }
                | Command::Run { cpus, .. }
                | Command::CrashTest { cpus, .. }
                | Command::Bench {
                    which:
                        BenchKind::Boot { cpus, .. }
                        | BenchKind::Net { cpus, .. }
                        | BenchKind::Compile { cpus, .. },
                } => cpus.cpus,
                _ => panic!("{args:?} parsed as another command"),
            };
            assert_eq!(cpus.get(), 3, "{args:?}");
            let zero = ["xtask"].iter().chain(args).chain(&["--cpus", "0"]);
            assert!(Cli::try_parse_from(zero).is_err(), "{args:?} --cpus 0");
        }
    }
}
