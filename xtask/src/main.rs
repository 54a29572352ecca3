//! `cargo xtask`: builds the VeridianOS Rust toolchain, kernel and images,
//! and runs the tests. Every command installs what it needs first
//! (see [`setup`]), so a fresh machine needs nothing but this repository.

mod conformance;
mod paths;
mod progress;
mod rootfs;
mod setup;
mod target_checks;
mod test;
mod toolchain;
mod verify;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Rust on VeridianOS: build, boot, verify")]
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
    /// Build target/rootfs-rust.img (BlockFS) with the seed's layout.
    Rootfs {
        /// Image size in MiB.
        #[arg(long, default_value_t = 2048)]
        size: u32,
    },
    /// Build the std conformance programs and run them on this (Linux) host.
    Conformance,
    /// Run every test: workspace unit tests, target checks, conformance suite.
    Test,
    /// The main job: build everything, run the checks, print the verification table.
    Verify,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Setup => setup::ensure_all(),
        Command::Toolchain { force } => toolchain::build(force).map(|_| ()),
        Command::Rootfs { size } => {
            let tc = toolchain::build(false)?;
            rootfs::build(&tc, size).map(|_| ())
        }
        Command::Conformance => {
            let tc = toolchain::build(false)?;
            conformance::run_on_host(&tc).map(|_| ())
        }
        Command::Test => test::run(),
        Command::Verify => verify::run(),
    }
}
