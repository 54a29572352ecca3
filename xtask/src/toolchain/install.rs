//! The toolchain folder's fixed parts: wrappers in `bin/`, the installed
//! target.json, the host's rustlib, and the rustup link.

use anyhow::{bail, Context, Result};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;

use super::{Toolchain, HOST_CARGO, HOST_CARGO_CLIPPY, HOST_CLIPPY_DRIVER, HOST_RUSTC};
use crate::paths;

/// Host binutils exposed under the target's prefix.
const BINUTILS: &[&str] = &[
    "ar", "ranlib", "strip", "nm", "objcopy", "objdump", "readelf",
];

/// Replaces every `@KEY@` in `template`.
pub fn substitute(template: &str, vars: &[(&str, &str)]) -> String {
    vars.iter()
        .fold(template.to_string(), |text, (key, value)| {
            text.replace(&format!("@{key}@"), value)
        })
}

/// Writes bin/ and the installed target.json (cheap; always rewritten so the
/// folder can move with the checkout).
pub fn write_wrappers(tc: &Toolchain) -> Result<()> {
    let bin = tc.dir.join("bin");
    fs::create_dir_all(&bin)?;
    let templates = paths::repo_root().join("toolchain/templates");
    let toolchain = tc.dir.display().to_string();
    let sysroot = tc.c_sysroot().display().to_string();

    let rustc = fs::read_to_string(templates.join("rustc.in"))?;
    let vars = [
        ("RUSTC", HOST_RUSTC),
        ("TOOLCHAIN", toolchain.as_str()),
        ("TARGET", paths::TARGET),
    ];
    write_executable(&bin.join("rustc"), &substitute(&rustc, &vars))?;
    let rustdoc = substitute(&rustc, &[("RUSTC", "/usr/bin/rustdoc"), vars[1], vars[2]]);
    write_executable(&bin.join("rustdoc"), &rustdoc)?;
    let cargo = fs::read_to_string(templates.join("cargo.in"))?;
    // Earlier toolchains linked bin/cargo to Debian's: never write through it.
    if bin.join("cargo").is_symlink() {
        fs::remove_file(bin.join("cargo"))?;
    }
    write_executable(
        &bin.join("cargo"),
        &substitute(&cargo, &[("CARGO", HOST_CARGO), vars[1], vars[2]]),
    )?;
    write_clippy(&bin, &templates, &toolchain)?;

    let cc = fs::read_to_string(templates.join("cc.in"))?;
    for (name, host) in [
        ("x86_64-veridian-gcc", "gcc"),
        ("x86_64-veridian-g++", "g++"),
    ] {
        let text = substitute(
            &cc,
            &[("NAME", name), ("HOSTCC", host), ("SYSROOT", &sysroot)],
        );
        write_executable(&bin.join(name), &text)?;
    }
    for tool in BINUTILS {
        replace_symlink(
            &Path::new("/usr/bin").join(tool),
            &bin.join(format!("x86_64-veridian-{tool}")),
        )?;
    }

    let rustlib = tc.dir.join("lib/rustlib");
    fs::create_dir_all(rustlib.join(paths::TARGET))?;
    let host = host_triple()?;
    replace_symlink(
        &Path::new("/usr/lib/rustlib").join(&host),
        &rustlib.join(&host),
    )?;
    install_target_spec(tc)
}

/// `cargo +veridian clippy`: Debian's cargo-clippy runs the `clippy-driver`
/// found beside its own executable, so the toolchain gets a copy of it (a
/// symlink would resolve back to /usr/bin) next to a `clippy-driver` wrapper
/// passing the toolchain's sysroot.
fn write_clippy(bin: &Path, templates: &Path, toolchain: &str) -> Result<()> {
    let driver = fs::read_to_string(templates.join("clippy-driver.in"))?;
    let text = substitute(
        &driver,
        &[
            ("DRIVER", HOST_CLIPPY_DRIVER),
            ("TOOLCHAIN", toolchain),
            ("TARGET", paths::TARGET),
        ],
    );
    write_executable(&bin.join("clippy-driver"), &text)?;
    let dest = bin.join("cargo-clippy");
    let host =
        fs::read(HOST_CARGO_CLIPPY).with_context(|| format!("cannot read {HOST_CARGO_CLIPPY}"))?;
    if fs::read(&dest).ok().as_deref() != Some(host.as_slice()) {
        let _ = fs::remove_file(&dest);
        fs::write(&dest, &host).with_context(|| format!("cannot write {}", dest.display()))?;
    }
    fs::set_permissions(&dest, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// The target spec as the rustc wrapper passes it, `--target
/// <rustlib>/x86_64-unknown-veridian/x86_64-unknown-veridian.json` (rustc
/// names a target given by path after the file's stem): the repo's spec with
/// the linker resolved to this toolchain's gcc wrapper. `target.json` beside
/// it, where rustc looks for a target given by name, links to it.
fn install_target_spec(tc: &Toolchain) -> Result<()> {
    let spec_path = paths::repo_root()
        .join("targets")
        .join(format!("{}.json", paths::TARGET));
    let mut spec: serde_json::Value = serde_json::from_str(&fs::read_to_string(&spec_path)?)
        .with_context(|| format!("{} is not valid JSON", spec_path.display()))?;
    spec["linker"] = serde_json::Value::String(tc.cc().display().to_string());
    let text = serde_json::to_string_pretty(&spec)? + "\n";
    let dir = tc.dir.join("lib/rustlib").join(paths::TARGET);
    let dest = dir.join(format!("{}.json", paths::TARGET));
    // Crates record the spec's contents (and the wrapper's `rustc -vV` its
    // checksum), so an equal spec is left alone.
    if fs::read_to_string(&dest).ok().as_deref() != Some(text.as_str()) {
        fs::write(&dest, text)?;
    }
    let by_name = dir.join("target.json");
    if !by_name.is_symlink() {
        let _ = fs::remove_file(&by_name);
    }
    replace_symlink(Path::new(&format!("{}.json", paths::TARGET)), &by_name)
}

/// Builds `veridian-run` (the cargo runner) into bin/, with the
/// `veridian-run.conf` naming this checkout's kernel and rootfs images.
pub fn install_runner(tc: &Toolchain) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "-p", "veridian-run"])
        .current_dir(paths::repo_root());
    crate::progress::run_logged("build veridian-run", "veridian-run-build", &mut cmd)?;
    let built = paths::repo_root().join("target/release/veridian-run");
    let dest = tc.dir.join("bin/veridian-run");
    let _ = fs::remove_file(&dest);
    fs::copy(&built, &dest).with_context(|| format!("cannot install {}", dest.display()))?;
    let conf = format!(
        "kernel={}\nrootfs={}\n",
        paths::kernel_image().display(),
        paths::rootfs_image().display()
    );
    fs::write(tc.dir.join("bin/veridian-run.conf"), conf)?;
    Ok(())
}

/// `rustup toolchain link veridian <dir>`, unless it already points there.
pub fn link_with_rustup(tc: &Toolchain) -> Result<()> {
    let Ok(list) = Command::new("rustup")
        .args(["toolchain", "list", "-v"])
        .output()
    else {
        println!("  rustup not found: use {} directly", tc.rustc().display());
        return Ok(());
    };
    let listing = String::from_utf8_lossy(&list.stdout);
    let dir = tc.dir.display().to_string();
    let linked = listing
        .lines()
        .any(|l| l.starts_with("veridian") && l.split_whitespace().last() == Some(dir.as_str()));
    if linked {
        return Ok(());
    }
    let status = Command::new("rustup")
        .args(["toolchain", "link", "veridian"])
        .arg(&tc.dir)
        .status()?;
    if !status.success() {
        bail!("rustup toolchain link veridian {dir} failed");
    }
    println!(
        "  linked with rustup: cargo +veridian build --target {}",
        paths::TARGET
    );
    Ok(())
}

fn host_triple() -> Result<String> {
    let out = Command::new(HOST_RUSTC)
        .arg("-vV")
        .output()
        .context("cannot run Debian's rustc")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .context("rustc -vV printed no host line")
}

fn write_executable(path: &Path, text: &str) -> Result<()> {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text)?;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

fn replace_symlink(target: &Path, link: &Path) -> Result<()> {
    if fs::read_link(link).ok().as_deref() == Some(target) {
        return Ok(());
    }
    let _ = fs::remove_file(link);
    symlink(target, link).with_context(|| format!("cannot link {}", link.display()))
}

#[cfg(test)]
mod tests {
    use super::substitute;

    #[test]
    fn substitutes_every_occurrence() {
        let out = substitute("@A@/x/@A@ @B@", &[("A", "1"), ("B", "two")]);
        assert_eq!(out, "1/x/1 two");
    }
}
