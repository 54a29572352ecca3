//! The C side of the target: musl (Debian's musl-dev) and libgcc assembled
//! into `<toolchain>/x86_64-veridian/{include,lib}`, plus the gcc specs file
//! that makes the host gcc use only that sysroot.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{install, stamp, Toolchain};
use crate::{paths, progress};

/// Where Debian's musl-dev puts musl.
const MUSL_LIB: &str = "/usr/lib/x86_64-linux-musl";
const MUSL_INCLUDE: &str = "/usr/include/x86_64-linux-musl";

/// musl's libraries and start files (rcrt1.o is the static-pie one; libc.so
/// is both the shared C library and the dynamic loader).
const MUSL_FILES: &[&str] = &[
    "libc.a",
    "libc.so",
    "libm.a",
    "libpthread.a",
    "librt.a",
    "libdl.a",
    "libutil.a",
    "libxnet.a",
    "libresolv.a",
    "crt1.o",
    "rcrt1.o",
    "Scrt1.o",
    "crti.o",
    "crtn.o",
];

/// gcc's runtime pieces a static program needs.
const GCC_FILES: &[&str] = &[
    "libgcc.a",
    "libgcc_eh.a",
    "crtbegin.o",
    "crtbeginS.o",
    "crtbeginT.o",
    "crtend.o",
    "crtendS.o",
];

/// The C sysroot inside a toolchain folder.
pub fn c_sysroot(toolchain: &Path) -> PathBuf {
    toolchain.join("x86_64-veridian")
}

/// Copies musl and libgcc into the sysroot and writes the specs file.
pub fn assemble(tc: &Toolchain) -> Result<()> {
    let sysroot = tc.c_sysroot();
    let gcc_dir = gcc_libdir()?;
    let specs_template = paths::repo_root().join("toolchain/templates/veridian.specs.in");
    let compat = paths::repo_root().join("toolchain/compat");
    let digest = stamp::Inputs::default()
        .text("musl", &package_version("musl-dev"))
        .text("gcc", &gcc_dir.display().to_string())
        .text("sysroot", &sysroot.display().to_string())
        .tree(&specs_template)?
        .tree(&compat)?
        .digest();
    let stamp_file = sysroot.join(".stamp");
    if stamp::is_current(&stamp_file, &digest) {
        return Ok(());
    }
    progress::run_step("assemble musl sysroot", || {
        let lib = sysroot.join("lib");
        let include = sysroot.join("include");
        if sysroot.exists() {
            fs::remove_dir_all(&sysroot)?;
        }
        fs::create_dir_all(&lib)?;
        for name in MUSL_FILES {
            copy(&Path::new(MUSL_LIB).join(name), &lib.join(name))?;
        }
        for name in GCC_FILES {
            copy(&gcc_dir.join(name), &lib.join(name))?;
        }
        copy_tree(Path::new(MUSL_INCLUDE), &include)?;
        let specs = fs::read_to_string(&specs_template)?;
        let specs = install::substitute(&specs, &[("SYSROOT", &sysroot.display().to_string())]);
        fs::write(lib.join("veridian.specs"), specs)?;
        add_compat_objects(tc, &compat, &lib)?;
        stamp::record(&stamp_file, &digest)
    })
}

/// Compiles `toolchain/compat/*.c` with the target's gcc and adds the objects
/// to the sysroot's libgcc_eh.a (see dl_find_object.c for why).
fn add_compat_objects(tc: &Toolchain, compat: &Path, lib: &Path) -> Result<()> {
    for entry in fs::read_dir(compat)? {
        let source = entry?.path();
        if source.extension().is_none_or(|e| e != "c") {
            continue;
        }
        let object = lib.join(
            source
                .with_extension("o")
                .file_name()
                .context("source without a name")?,
        );
        run(Command::new(tc.cc())
            .args(["-c", "-O2", "-fPIC", "-Wall", "-Werror", "-o"])
            .arg(&object)
            .arg(&source))?;
        run(Command::new("ar")
            .arg("rs")
            .arg(lib.join("libgcc_eh.a"))
            .arg(&object))?;
        fs::remove_file(&object)?;
    }
    Ok(())
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!("{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// The folder of the host gcc's libgcc.a.
fn gcc_libdir() -> Result<PathBuf> {
    let out = Command::new("gcc")
        .arg("-print-libgcc-file-name")
        .output()
        .context("cannot run gcc")?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    match path.parent() {
        Some(dir) if out.status.success() && path.exists() => Ok(dir.to_path_buf()),
        _ => bail!("gcc does not report its libgcc.a (is gcc installed?)"),
    }
}

fn package_version(package: &str) -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .with_context(|| format!("cannot copy {} (is musl-dev installed?)", from.display()))?;
    Ok(())
}

/// Copies a folder tree, following symlinks.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let status = Command::new("cp").arg("-rL").arg(from).arg(to).status()?;
    if !status.success() {
        bail!("cp -rL {} {} failed", from.display(), to.display());
    }
    Ok(())
}
