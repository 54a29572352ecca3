//! `cargo xtask rustc`: rustc, cargo and std whose host is
//! x86_64-unknown-veridian, cross-built by Rust's bootstrap (x.py).
//!
//! 1. The source ([`rustsrc`]) and a generated bootstrap.toml ([`bootstrap_toml`]).
//! 2. `x.py build --stage 1 library`: a stage-1 compiler for the build machine
//!    (Debian's stage-0 1.96 and Debian's LLVM 22) and std for VeridianOS with
//!    the built-in target. Needs nothing from `cargo xtask llvm`.
//! 3. `x.py dist --host x86_64-unknown-veridian rustc rust-std cargo`: rustc
//!    and cargo for VeridianOS, dynamic programs of musl's loader (rustc's
//!    driver a shared library with the LLVM of `cargo xtask llvm` linked in,
//!    cargo with OpenSSL built for the target linked in).
//! 4. The install tree (`<build root>/rust/install`), its size report, and
//!    the self-hosting criteria run on this host ([`proof`]).
//!
//! Bootstrap is incremental, so rerunning resumes where a build stopped.

use anyhow::{bail, Context, Result};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::bootstrap_toml::{self, Settings};
use super::{llvm, openssl, package, proof, run, rustsrc};
use crate::toolchain::{self, stdsrc, HOST_CARGO, HOST_RUSTC};
use crate::{paths, setup};

/// Debian packages for this build: Debian's LLVM 22 (static, with the
/// libraries its llvm-config names, Polly included) for the build machine's compiler, clang
/// and lld for the target's C/C++ and links.
const PACKAGES: &[&str] = &[
    "python3",
    "llvm-22-dev",
    "libpolly-22-dev",
    "llvm-22",
    "clang-22",
    "lld-22",
    "libz3-dev",
    "zlib1g-dev",
    "libzstd-dev",
    "libxml2-dev",
    "pkg-config",
    "perl",
    "make",
];

/// Where bootstrap builds.
pub fn build_dir() -> PathBuf {
    rustsrc::area().join("build")
}

/// Runs the steps; `host_too` also builds the VeridianOS-hosted compiler
/// (which needs the LLVM of `cargo xtask llvm`).
pub fn build(jobs: usize, host_too: bool) -> Result<()> {
    let _lock = run::lock_folder(&rustsrc::area())?;
    setup::ensure(PACKAGES)?;
    // The stage-1 std for VeridianOS copies libc++ from LLVM's sysroot
    // (patches/rust/0002); bootstrap panics on a missing file.
    if !llvm::cxx_is_built() {
        bail!(
            "libc++ for VeridianOS is not built ({} is missing): run `cargo xtask llvm` first \
             (or `cargo xtask verify`, which builds the whole chain in order)",
            llvm::cxx_dir().join("lib/libc++.a").display()
        );
    }
    let tc = toolchain::build(false)?;
    // The target's `musl-root`, whose libc.so & co. bootstrap copies.
    llvm::refresh_sysroot(&tc.c_sysroot())?;
    let src = rustsrc::prepare(&stdsrc::library_dir())?;
    let bin = write_wrappers()?;
    let settings = settings(&bin, jobs);
    fs::write(
        src.join("bootstrap.toml"),
        bootstrap_toml::render(&settings),
    )?;
    let inputs = inputs_digest()?;
    let logs = run::log_dir(&rustsrc::area());
    x_py(
        &src,
        &logs,
        "stage-1 compiler + std for VeridianOS",
        "x-library",
        &["build", "--stage", "1", "library"],
    )?;
    if !host_too {
        return Ok(());
    }
    // OpenSSL needs only the sysroot, so it is ready before LLVM is.
    let ssl = openssl::build(&settings.veridian_cc, jobs)?;
    if !settings.veridian_llvm_config.exists() {
        bail!(
            "{} is missing: run `cargo xtask llvm` first (the VeridianOS-hosted rustc links that LLVM)",
            settings.veridian_llvm_config.display()
        );
    }
    let host = ["--host", paths::TARGET, "--target", paths::TARGET];
    let mut args = vec!["dist"];
    args.extend(host);
    args.extend(package::COMPONENTS);
    x_py_env(
        &src,
        &logs,
        "rustc + cargo for VeridianOS",
        "x-host",
        &args,
        &[
            (
                "X86_64_UNKNOWN_VERIDIAN_OPENSSL_DIR",
                ssl.display().to_string(),
            ),
            ("X86_64_UNKNOWN_VERIDIAN_OPENSSL_STATIC", "1".into()),
            // libz-sys would link a system libz (none on VeridianOS): build its
            // bundled zlib (bootstrap sets this only with cargo-native-static).
            ("LIBZ_SYS_STATIC", "1".into()),
        ],
    )?;
    let version = stdsrc::installed_version()?;
    let prefix = package::install(&build_dir().join("dist"), &version)?;
    println!(
        "rustc: install tree {}\n{}",
        prefix.display(),
        package::size_report(&prefix)?
    );
    let dep = proof::pick_vendored_dep(&src.join("vendor")).context("no cfg-if in vendor/")?;
    let results = proof::run(&prefix, &dep, &rustsrc::area().join("proof"))?;
    let failed = proof::print(&results);
    if failed > 0 {
        bail!("{failed} of {} host checks failed", results.len());
    }
    fs::write(prefix.join(INPUTS_FILE), &inputs)?;
    Ok(())
}

/// The file of the install tree that records [`inputs_digest`].
const INPUTS_FILE: &str = ".veridian-inputs";

/// What the install tree is built from: the prepared source's inputs and
/// the bootstrap configuration (jobs left out).
fn inputs_digest() -> Result<String> {
    let config = bootstrap_toml::render(&settings(&rustsrc::area().join("bin"), 1));
    Ok(toolchain::stamp::Inputs::default()
        .text("source", &rustsrc::source_digest(&stdsrc::library_dir())?)
        .text("bootstrap.toml", &config)
        .digest())
}

/// The install tree exists and was built from today's inputs (the toolchain
/// must be built: its std source is one of them).
pub fn is_current() -> Result<bool> {
    let Ok(recorded) = fs::read_to_string(package::install_dir().join(INPUTS_FILE)) else {
        return Ok(false);
    };
    Ok(recorded == inputs_digest()?)
}

fn settings(bin: &Path, jobs: usize) -> Settings {
    let llvm_sysroot = llvm::sysroot_dir();
    Settings {
        stage0_rustc: HOST_RUSTC.into(),
        stage0_cargo: HOST_CARGO.into(),
        build_dir: build_dir(),
        jobs,
        build_llvm_config: "/usr/lib/llvm-22/bin/llvm-config".into(),
        veridian_llvm_config: llvm::install_dir().join("bin/llvm-config"),
        veridian_cc: bin.join("x86_64-veridian-clang"),
        veridian_cxx: bin.join("x86_64-veridian-clang++"),
        veridian_ar: "/usr/bin/llvm-ar-22".into(),
        veridian_ranlib: "/usr/bin/llvm-ranlib-22".into(),
        veridian_linker: bin.join("ld.lld"),
        veridian_sysroot: llvm_sysroot,
    }
}

fn x_py(src: &Path, logs: &Path, name: &str, log: &str, args: &[&str]) -> Result<()> {
    x_py_env(src, logs, name, log, args, &[])
}

fn x_py_env(
    src: &Path,
    logs: &Path,
    name: &str,
    log: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> Result<()> {
    let mut cmd = run::niced("python3");
    cmd.arg("x.py").args(args).current_dir(src);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run::run_long(name, logs, log, &cmd).map(|_| ())
}

/// The target's C/C++ compilers (clang 22 over the sysroot snapshot with
/// libc++) and `ld.lld`, in `<build root>/rust/bin`.
fn write_wrappers() -> Result<PathBuf> {
    let bin = rustsrc::area().join("bin");
    fs::create_dir_all(&bin)?;
    let sysroot = llvm::sysroot_dir();
    let headers = llvm::kernel_headers_dir();
    for (name, driver, cxx) in [
        ("x86_64-veridian-clang", "clang-22", false),
        ("x86_64-veridian-clang++", "clang++-22", true),
    ] {
        fs::write(
            bin.join(name),
            wrapper_script(driver, &sysroot, &headers, cxx),
        )?;
        fs::set_permissions(bin.join(name), fs::Permissions::from_mode(0o755))?;
    }
    let lld = bin.join("ld.lld");
    // An earlier chain made a symlink here; writing through it would
    // overwrite Debian's lld.
    if fs::symlink_metadata(&lld).is_ok_and(|m| m.file_type().is_symlink()) {
        fs::remove_file(&lld)?;
    }
    fs::write(&lld, LINKER_SCRIPT)?;
    fs::set_permissions(&lld, fs::Permissions::from_mode(0o755))?;
    Ok(bin)
}

/// The target's linker: Debian's lld, with gcc's unwinder archive last on
/// every link. A program linked against std as a shared library (rustdoc,
/// against librustc_driver.so) still calls `_Unwind_Resume` from its own
/// landing pads, and the target has no shared unwinder to take it from;
/// where the unwind crate already brought libgcc_eh in, the repeat adds
/// nothing.
const LINKER_SCRIPT: &str = "#!/bin/sh\n\
# Generated by `cargo xtask rustc`: lld for x86_64-unknown-veridian.\n\
exec /usr/bin/ld.lld-22 \"$@\" -lgcc_eh\n";

/// A clang wrapper for the target: the musl-linux triple (same ABI; Debian's
/// clang does not know veridian), the sysroot, Linux UAPI headers after it,
/// libc++ for C++, lld and static links with gcc's runtime.
pub fn wrapper_script(driver: &str, sysroot: &Path, kernel_headers: &Path, cxx: bool) -> String {
    let s = sysroot.display();
    let cxx_flags = if cxx {
        format!(" -nostdinc++ -isystem {s}/include/c++/v1 -stdlib=libc++")
    } else {
        String::new()
    };
    // cc-rs passes `--target=x86_64-unknown-veridian`, which this clang does
    // not know; the wrapper drops any target given and sets its own.
    format!(
        "#!/bin/sh\n# Generated by `cargo xtask rustc`: {driver} for x86_64-unknown-veridian.\n\
         skip=\n\
         for a in \"$@\"; do\n\
         \x20   shift\n\
         \x20   if [ -n \"$skip\" ]; then skip=; continue; fi\n\
         \x20   case \"$a\" in\n\
         \x20       --target=*) continue ;;\n\
         \x20       -target) skip=1; continue ;;\n\
         \x20   esac\n\
         \x20   set -- \"$@\" \"$a\"\n\
         done\n\
         exec {driver} --target=x86_64-unknown-linux-musl --sysroot={s} -B{s}/lib \
         -idirafter {k} -fPIC -fuse-ld=lld -rtlib=libgcc -unwindlib=libgcc \
         -Wno-unused-command-line-argument{cxx_flags} \"$@\"\n",
        k = kernel_headers.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_name_the_sysroot_and_libcxx() {
        let c = wrapper_script("clang-22", Path::new("/s"), Path::new("/k"), false);
        assert!(c.starts_with("#!/bin/sh\n"));
        assert!(
            c.contains("--sysroot=/s -B/s/lib")
                && c.contains("-idirafter /k")
                && c.ends_with("\"$@\"\n")
        );
        assert!(!c.contains("libc++"));
        let cxx = wrapper_script("clang++-22", Path::new("/s"), Path::new("/k"), true);
        assert!(cxx.contains("-isystem /s/include/c++/v1 -stdlib=libc++"));
        // Run it with `echo` as the driver: a foreign --target / -target is dropped.
        let tmp = tempfile::tempdir().unwrap();
        let script = tmp.path().join("cc");
        fs::write(
            &script,
            wrapper_script("echo", Path::new("/s"), Path::new("/k"), false),
        )
        .unwrap();
        let out = std::process::Command::new("sh")
            .arg(&script)
            .args([
                "-O2",
                "--target=x86_64-unknown-veridian",
                "-c",
                "a b.c",
                "-target",
                "foo",
                "-o",
                "x.o",
            ])
            .output()
            .unwrap();
        let line = String::from_utf8(out.stdout).unwrap();
        assert!(
            line.starts_with("--target=x86_64-unknown-linux-musl "),
            "{line}"
        );
        assert!(line.trim_end().ends_with("-O2 -c a b.c -o x.o"), "{line}");
        assert_eq!(line.matches("--target=").count(), 1);
        assert!(!line.contains("foo"));
    }
}
