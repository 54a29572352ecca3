//! `cargo xtask self-rebuild --compiler-crate NAME`: the measure behind the
//! stage-2 estimate. One crate of the Rust compiler, from the source the
//! hosted compiler was built from, is compiled by the same hosted cargo and
//! rustc inside VeridianOS and in a chroot on Linux. Its dependencies are
//! built first in the chroot and the image carries them, so each side
//! compiles that one crate alone (the script checks it).

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{run_in_chroot, run_in_guest, tree, write_image, Options};
use crate::{kernel, progress, rootfs, selfhost, toolchain};

/// The probe's workspace in the tree.
const WORKSPACE: &str = "/usr/local/src/rustc-probe";
/// Its script.
const SCRIPT: &str = "/usr/local/src/rustc-probe.sh";

pub fn run(name: &str, opts: &Options) -> Result<()> {
    let rust_tree = selfhost::chain::existing_hosted_toolchain().context(
        "no VeridianOS-hosted rustc and cargo on this machine: `cargo xtask verify` builds them \
         (hours; resumable)",
    )?;
    let tc = toolchain::build(false)?;
    let running_kernel = kernel::build()?;
    rootfs::build_with(&tc, rootfs::DEFAULT_SIZE_MB, Some(&rust_tree))?;
    let area = selfhost::build_root().join("self-rebuild-compiler");
    let root = progress::run_step("lay out the probe's tree", || {
        prepare(&area, &rootfs::staging_dir(), name, opts.cpus.get())
    })?;

    println!("\nLinux: {name}'s dependencies, then {name} alone, in a chroot of the tree");
    let (text, _) = run_in_chroot(&root, &[SCRIPT, "deps"], "self-rebuild-compiler-linux")?;
    let on_linux = parse(&text, name).context("the chroot build")?;
    // The image is written after the chroot's build: it carries the
    // dependencies built there, at the same paths.
    let image = write_image(&root, &area.join("probe.img"))?;
    println!("\nVeridianOS: {name} alone ({} CPU(s))", opts.cpus);
    let log = run_in_guest(&running_kernel, &image, SCRIPT, opts)?;
    let on_veridian = parse(&log, name).context("the guest build")?;

    println!(
        "\n{name} compiled alone by the same hosted rustc and cargo (release, -j{})",
        opts.cpus
    );
    println!("  VeridianOS (guest): {on_veridian:8.2} s");
    println!("  Linux (chroot):     {on_linux:8.2} s");
    println!("  ratio:              {:8.1}", on_veridian / on_linux);
    Ok(())
}

/// The staging tree plus, under /usr/local/src: the compiler's crates as a
/// workspace whose only member is `name`, with rust's lock file, the crates
/// it needs vendored from rust's own vendor folder, and the script.
/// Both sides build with `-j<jobs>` (rustc's codegen threads follow it).
fn prepare(area: &Path, staging: &Path, name: &str, jobs: u32) -> Result<PathBuf> {
    let rust_src = selfhost::rustsrc::src_dir();
    let compiler = rust_src.join("compiler");
    if !compiler.join(name).join("Cargo.toml").is_file() {
        bail!(
            "{} has no crate {name}: give a folder name of the compiler's crates (e.g. rustc_span)",
            compiler.display()
        );
    }
    let version = fs::read_to_string(rust_src.join("src/version"))
        .context("rust's source has no src/version")?;
    let root = tree::base(area, staging)?;
    let src = root.join("usr/local/src");
    let ws = root.join(WORKSPACE.trim_start_matches('/'));
    fs::create_dir_all(&ws)?;
    tree::run(Command::new("cp").arg("-r").arg(&compiler).arg(&ws))?;
    fs::copy(rust_src.join("Cargo.lock"), ws.join("Cargo.lock"))?;
    fs::write(
        ws.join("Cargo.toml"),
        format!("[workspace]\nresolver = \"2\"\nmembers = [\"compiler/{name}\"]\n"),
    )?;
    vendor(&ws, &rust_src.join("vendor"), &src.join("vendor"))?;
    tree::use_vendored_crates(&src)?;
    fs::write(
        root.join(SCRIPT.trim_start_matches('/')),
        script(name, version.trim(), jobs),
    )?;
    Ok(root)
}

/// `cargo vendor` of the probe's workspace from rust's vendor folder
/// (offline); cargo trims the lock file to what the member needs.
fn vendor(ws: &Path, from: &Path, to: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .arg("--config")
        .arg("source.crates-io.replace-with=\"rust-vendor\"")
        .arg("--config")
        .arg(format!(
            "source.rust-vendor.directory={:?}",
            from.display().to_string()
        ))
        .args([
            "vendor",
            "--offline",
            "--respect-source-config",
            "--versioned-dirs",
        ])
        .args(["--quiet", "--manifest-path"])
        .arg(ws.join("Cargo.toml"))
        .arg(to);
    progress::run_logged(
        "vendor the probe's crates",
        "self-rebuild-compiler-vendor",
        &mut cmd,
    )?;
    Ok(())
}

/// The script (busybox sh). With `deps` it first builds everything; then
/// it touches the crate's root and builds again, which compiles that crate
/// alone, and reports `SELFREBUILD compiled <units> <cargo's time>`.
fn script(name: &str, version: &str, jobs: u32) -> String {
    format!(
        "# cargo xtask self-rebuild --compiler-crate: inside VeridianOS and in a chroot on Linux alike.\n\
         export HOME=/ PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin\n\
         export RUSTC_BOOTSTRAP=1 CFG_RELEASE={version}\n\
         cd {WORKSPACE} || exit 1\n\
         build=\"cargo build --release --offline --locked -j{jobs} -p {name}\"\n\
         if [ \"$1\" = deps ]; then\n  \
           if ! $build > /tmp/probe-deps.log 2>&1; then\n    \
             tail -n 40 /tmp/probe-deps.log\n    \
             echo \"SELFREBUILD failed deps\"\n    \
             exit 1\n  \
           fi\n\
         fi\n\
         touch compiler/{name}/src/lib.rs\n\
         if $build > /tmp/probe.log 2>&1; then\n  \
           units=$(grep -c '^ *Compiling ' /tmp/probe.log)\n  \
           took=$(grep '^ *Finished ' /tmp/probe.log | sed 's/.* in //')\n  \
           echo \"SELFREBUILD compiled $units $took\"\n\
         else\n  \
           tail -n 40 /tmp/probe.log\n  \
           echo \"SELFREBUILD failed {name}\"\n\
         fi\n\
         sync\n\
         echo \"SELFREBUILD done\"\n"
    )
}

/// Seconds the one-crate build took, from the script's report; an error
/// when it failed or compiled more than the crate.
fn parse(log: &str, name: &str) -> Result<f64> {
    for words in super::script::report_lines(log) {
        match words.as_slice() {
            ["failed", what] => bail!("the build of {what} failed"),
            ["compiled", "1", took @ ..] => {
                return cargo_seconds(&took.join(" "))
                    .with_context(|| format!("cargo's time {took:?} does not parse"));
            }
            ["compiled", units, ..] => bail!(
                "{units} units were compiled where only {name} should have been: \
                 the dependencies built beforehand were not fresh"
            ),
            _ => {}
        }
    }
    bail!("no SELFREBUILD report for {name}")
}

/// Cargo's `Finished … in` time: `12.34s`, `1m 05s` or `1h 02m 03s`.
fn cargo_seconds(text: &str) -> Option<f64> {
    let mut total = 0.0;
    for part in text.split_whitespace() {
        let (num, scale) = if let Some(n) = part.strip_suffix('h') {
            (n, 3600.0)
        } else if let Some(n) = part.strip_suffix('m') {
            (n, 60.0)
        } else {
            (part.strip_suffix('s')?, 1.0)
        };
        total += num.parse::<f64>().ok()? * scale;
    }
    (!text.trim().is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_times_parse_in_each_of_its_forms() {
        assert_eq!(cargo_seconds("55.20s"), Some(55.2));
        assert_eq!(cargo_seconds("1m 05s"), Some(65.0));
        assert_eq!(cargo_seconds("1h 02m 03s"), Some(3723.0));
        assert_eq!(cargo_seconds(""), None);
        assert_eq!(cargo_seconds("soon"), None);
    }

    #[test]
    fn the_report_must_name_exactly_one_unit() {
        let ok = "[ 3.1] SELFREBUILD compiled 1 1m 40s\r\nSELFREBUILD done\n";
        assert_eq!(parse(ok, "rustc_span").unwrap(), 100.0);
        assert!(parse("SELFREBUILD compiled 7 9.00s\n", "rustc_span").is_err());
        assert!(parse("SELFREBUILD failed rustc_span\n", "rustc_span").is_err());
        assert!(parse("SELFREBUILD done\n", "rustc_span").is_err());
    }

    #[test]
    fn the_script_builds_the_crate_it_names() {
        let s = script("rustc_span", "1.96.0", 2);
        assert!(s.contains("-p rustc_span"));
        assert!(s.contains("touch compiler/rustc_span/src/lib.rs"));
        assert!(s.contains("CFG_RELEASE=1.96.0"));
        assert!(s.ends_with("echo \"SELFREBUILD done\"\n"));
    }
}
