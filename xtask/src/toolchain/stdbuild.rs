//! Builds the target's sysroot crates (core, alloc, std, panic_abort,
//! panic_unwind, proc_macro, test and their dependencies) from the patched source with
//! Debian's cargo, and installs the rlibs into the toolchain.

use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Toolchain, HOST_CARGO};
use crate::{paths, progress};

/// Flags bootstrap also gives the standard library: every crate not marked
/// stable is unstable to users (so std's private libc does not clash with a
/// program's own), and bitcode is embedded so programs can use LTO.
const STD_RUSTFLAGS: &str = "-Zforce-unstable-if-unmarked -Cembed-bitcode=yes";

/// Crates that must end up in the sysroot.
const REQUIRED: &[&str] = &[
    "core",
    "alloc",
    "std",
    "panic_abort",
    "panic_unwind",
    "proc_macro",
    "test",
    "compiler_builtins",
];

pub fn build_and_install(tc: &Toolchain, library: &Path) -> Result<()> {
    let built = build(
        &tc.rustc(),
        library,
        &paths::veridian_build_dir().join("std-build"),
        "std-build",
    )?;
    install_rlibs(tc, &built.rlibs)
}

/// What a std build produced for the target.
pub struct Built {
    pub rlibs: Vec<PathBuf>,
    /// `libstd-<hash>.so` (std's `dylib` crate type) beside its rlib in
    /// `deps/`. cargo reports only the unhashed copy it uplifts, which rustc
    /// would take as std and link every program against dynamically.
    pub shared: Vec<PathBuf>,
}

/// Builds the sysroot crates of `library` for the target with `rustc` (what
/// cargo runs as RUSTC) in `target_dir`, logged as `log`; checks that every
/// crate a sysroot needs was built.
pub fn build(rustc: &Path, library: &Path, target_dir: &Path, log: &str) -> Result<Built> {
    let mut cmd = Command::new(HOST_CARGO);
    cmd.args([
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
    ])
    .args(["--target", paths::TARGET, "-p", "sysroot"])
    // As bootstrap does by default: std symbolizes its backtraces
    // (without it every frame prints as `<unknown>`).
    .args(["--features", "backtrace"])
    .current_dir(library)
    .env("RUSTC", rustc)
    .env("RUSTC_BOOTSTRAP", "1")
    // The toolchain's rustc wrapper then leaves the installed std's id out
    // of `-vV` (cargo hashes it into every crate of this build).
    .env("VERIDIAN_STD_BUILD", "1")
    .env("RUSTFLAGS", STD_RUSTFLAGS)
    .env("CARGO_TARGET_DIR", target_dir)
    // As bootstrap does: hash every library name, std's included (its
    // `dylib` crate type would otherwise give a bare `libstd.rlib`).
    .env("__CARGO_DEFAULT_LIB_METADATA", "veridian")
    .env_remove("RUSTC_WRAPPER")
    .env_remove("CARGO_ENCODED_RUSTFLAGS");
    progress::run_logged(
        &format!("build std for {} ({log})", paths::TARGET),
        log,
        &mut cmd,
    )?;
    let built = built_artifacts(&progress::log_path(log)?)?;
    check_required(&built.rlibs)?;
    Ok(built)
}

/// The target rlibs and shared libraries cargo reported for this build (from
/// its JSON messages), so stale artifacts of earlier builds never reach a sysroot.
fn built_artifacts(log: &Path) -> Result<Built> {
    let text = fs::read_to_string(log)?;
    let (mut rlibs, mut shared) = (BTreeSet::new(), BTreeSet::new());
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let files = msg["filenames"].as_array().into_iter().flatten();
        for file in files.filter_map(|f| f.as_str()) {
            if !file.contains(paths::TARGET) {
                continue;
            }
            if file.ends_with(".rlib") {
                let rlib = PathBuf::from(file);
                let so = rlib.with_extension("so");
                if so.is_file() {
                    shared.insert(so);
                }
                rlibs.insert(rlib);
            }
        }
    }
    Ok(Built {
        rlibs: rlibs.into_iter().collect(),
        shared: shared.into_iter().collect(),
    })
}

fn file_names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect()
}

fn check_required(rlibs: &[PathBuf]) -> Result<()> {
    let names = file_names(rlibs);
    for crate_name in REQUIRED {
        let is_it = |n: &String| {
            n.starts_with(&format!("lib{crate_name}-")) || *n == format!("lib{crate_name}.rlib")
        };
        if !names.iter().any(is_it) {
            bail!("the std build produced no lib{crate_name}-*.rlib");
        }
    }
    Ok(())
}

fn install_rlibs(tc: &Toolchain, rlibs: &[PathBuf]) -> Result<()> {
    let names = file_names(rlibs);
    let libdir = tc.target_libdir();
    fs::create_dir_all(&libdir)?;
    for old in fs::read_dir(&libdir)? {
        let old = old?.path();
        if old.extension().is_some_and(|e| e == "rlib") && !names.iter().any(|n| old.ends_with(n)) {
            fs::remove_file(&old)?;
        }
    }
    for rlib in rlibs {
        let dest = libdir.join(rlib.file_name().context("rlib without a name")?);
        let same = fs::metadata(&dest).ok().map(|m| m.len())
            == fs::metadata(rlib).ok().map(|m| m.len())
            && fs::metadata(&dest).and_then(|m| m.modified()).ok()
                >= fs::metadata(rlib).and_then(|m| m.modified()).ok();
        if !same {
            fs::copy(rlib, &dest).with_context(|| format!("cannot install {}", rlib.display()))?;
        }
    }
    // The rustc wrapper adds this to `rustc -vV`, which cargo hashes into
    // every fingerprint: crates built against another std get rebuilt.
    let id = format!(
        "{}\n",
        super::stamp::Inputs::default().tree(&libdir)?.digest()
    );
    let id_file = libdir.with_file_name(STD_ID_FILE);
    if fs::read_to_string(&id_file).ok().as_deref() != Some(id.as_str()) {
        fs::write(&id_file, &id)?;
        // cargo keeps `rustc -vV` in each target folder's
        // `.rustc_info.json` for as long as the rustc binary's mtime stays
        // the same: a new mtime makes it ask the wrapper again.
        for wrapper in [tc.rustc(), tc.dir.join("bin/rustdoc")] {
            if wrapper.exists() {
                fs::File::options()
                    .write(true)
                    .open(&wrapper)?
                    .set_modified(std::time::SystemTime::now())?;
            }
        }
    }
    println!(
        "  installed {} rlibs into {}",
        rlibs.len(),
        libdir.display()
    );
    Ok(())
}

/// Next to the target's `lib/`: a digest of the installed std rlibs.
pub const STD_ID_FILE: &str = "std-id";
