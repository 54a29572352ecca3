//! `cargo xtask llvm`: libc++ and LLVM + lld for x86_64-unknown-veridian.
//!
//! 1. The source of Debian's `llvm-toolchain-22` (22.1.8, the LLVM of
//!    Debian's rustc 1.96) through apt ([`debsrc`]); the parts we build are
//!    unpacked and `patches/llvm/*.patch` applied (the `veridian` OS).
//! 2. A snapshot of the toolchain's musl sysroot and the Linux UAPI headers.
//! 3. libc++/libc++abi/libunwind (CMake `runtimes/`), installed to `cxx/`
//!    and into the sysroot snapshot, which is then the target's C and C++
//!    sysroot (the toolchain's own one is left as its owner builds it).
//! 4. LLVM (X86) + lld with `toolchain/cmake/llvm-veridian-x86_64.cmake`,
//!    installed to `install/` (bin/llvm-config, bin/lld, lib/*.a, include/):
//!    all the VeridianOS-hosted rustc links ([`build_for_rustc`]).
//! 5. clang and llvm-ar for the guest, from the same build folder
//!    ([`build_clang`]), which can run beside the rustc build.
//!
//! Everything lives in `<build root>/llvm`; each step resumes.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::cmake_args::{self, LlvmPaths};
use super::{build_root, debsrc, run};
use crate::toolchain::{self, stamp};
use crate::{paths, setup};

/// The Debian source package and the upstream version we pin.
pub const SOURCE_PACKAGE: &str = "llvm-toolchain-22";
pub const VERSION: &str = "22.1.8";

/// Top-level folders of llvm-project the build needs.
const PARTS: &[&str] = &[
    "cmake",
    "llvm",
    "lld",
    "clang",
    "libcxx",
    "libcxxabi",
    "libunwind",
    "libc",
    "runtimes",
    "third-party",
    "LICENSE.TXT",
];

/// Debian packages for this build (the compiler is Debian's clang 22; its
/// llvm-tblgen is the same 22.1.8 and saves a native tool build).
const PACKAGES: &[&str] = &[
    "cmake",
    "ninja-build",
    "clang-22",
    "lld-22",
    "llvm-22-dev",
    "llvm-22-tools",
    "curl",
    "xz-utils",
    "patch",
    "linux-libc-dev",
];

/// Debian's LLVM 22 tools folder.
const DEBIAN_LLVM_BIN: &str = "/usr/lib/llvm-22/bin";

/// `<build root>/llvm`.
pub fn area() -> PathBuf {
    build_root().join("llvm")
}

/// The installed LLVM (what `cargo xtask rustc` uses).
pub fn install_dir() -> PathBuf {
    area().join("install")
}

/// The libc++ install prefix.
pub fn cxx_dir() -> PathBuf {
    area().join("cxx")
}

/// Whether libc++ for VeridianOS is built (the first step of `cargo xtask
/// llvm`); the target's C++ compiler wrapper links it.
pub fn cxx_is_built() -> bool {
    cxx_dir().join("lib/libc++.a").exists()
}

/// The sysroot snapshot the C/C++ side is built against.
pub fn sysroot_dir() -> PathBuf {
    area().join("sysroot")
}

/// The Linux UAPI headers for the target's C++ code.
pub fn kernel_headers_dir() -> PathBuf {
    area().join("kernel-headers")
}

fn layout() -> LlvmPaths {
    LlvmPaths {
        src: area()
            .join("src")
            .join(format!("{SOURCE_PACKAGE}_{VERSION}")),
        toolchain_file: paths::repo_root().join("toolchain/cmake/llvm-veridian-x86_64.cmake"),
        sysroot: sysroot_dir(),
        kernel_headers: kernel_headers_dir(),
        cxx: cxx_dir(),
        install: install_dir(),
    }
}

/// Runs every step (each a no-op when up to date).
pub fn build(jobs: usize) -> Result<()> {
    build_for_rustc(jobs)?;
    build_clang(jobs)
}

/// The source, libc++, then LLVM's libraries, llvm-config and lld built and
/// installed: everything the VeridianOS-hosted rustc links, without clang.
pub fn build_for_rustc(jobs: usize) -> Result<()> {
    let start = Instant::now();
    let _lock = run::lock_folder(&area())?;
    let lay = build_runtimes_locked(jobs)?;
    let logs = run::log_dir(&area());
    let (llvm_build, libraries) = configure_llvm(&lay, &logs)?;
    let targets = cmake_args::rustc_install_targets(libraries.as_deref());
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    ninja(RUSTC_PART, &llvm_build, &targets, jobs, &logs, "llvm-build")?;
    check_rustc_part(&lay.install)?;
    println!(
        "llvm: what rustc links is ready in {:.1} s; llvm-config: {}",
        start.elapsed().as_secs_f64(),
        lay.install.join("bin/llvm-config").display()
    );
    Ok(())
}

/// The label of [`build_for_rustc`]'s Ninja step in `logs/timings.txt`.
pub const RUSTC_PART: &str = "LLVM libraries + lld";

/// The label of [`build_clang`]'s Ninja step in `logs/timings.txt`.
pub const CLANG_PART: &str = "clang + llvm-ar";

/// clang and llvm-ar for the guest, after [`build_for_rustc`]: the rest of
/// the distribution, built and installed.
pub fn build_clang(jobs: usize) -> Result<()> {
    let _lock = run::lock_folder(&area())?;
    let lay = layout();
    let logs = run::log_dir(&area());
    let (llvm_build, _) = configure_llvm(&lay, &logs)?;
    ninja(
        CLANG_PART,
        &llvm_build,
        &["install-distribution"],
        jobs,
        &logs,
        "clang-build",
    )?;
    check_rustc_part(&lay.install)?;
    let clang = run::output(Command::new(lay.install.join("bin/clang")).arg("--version"))?;
    println!("  clang: {}", clang.lines().next().unwrap_or_default());
    print_sizes(&lay.install, &["clang"])
}

/// Whether [`build_for_rustc`] has installed llvm-config and lld.
pub fn rustc_part_is_built() -> bool {
    let bin = install_dir().join("bin");
    bin.join("llvm-config").is_file() && bin.join("lld").is_file()
}

/// Whether [`build_clang`] has installed clang.
pub fn clang_is_built() -> bool {
    install_dir().join("bin/clang").is_file()
}

/// CMake for LLVM + lld + clang, run when its arguments changed; returns the
/// build folder and the libraries rustc and lld link (when known).
fn configure_llvm(lay: &LlvmPaths, logs: &Path) -> Result<(PathBuf, Option<Vec<String>>)> {
    let llvm_build = area().join("build/llvm");
    let native = same_version_native_tools();
    let libraries = native.as_deref().and_then(needed_libraries);
    configure(
        "llvm",
        &llvm_build,
        &cmake_args::llvm_args(lay, native.as_deref(), libraries.as_deref()),
        logs,
    )?;
    Ok((llvm_build, libraries))
}

/// The source, the sysroot snapshot and libc++/libc++abi/libunwind in it:
/// the first steps of [`build_for_rustc`].
fn build_runtimes_locked(jobs: usize) -> Result<LlvmPaths> {
    setup::ensure(PACKAGES)?;
    let tc = toolchain::build(false)?;
    let lay = layout();
    let logs = run::log_dir(&area());
    println!(
        "llvm: {SOURCE_PACKAGE} {VERSION} for {} in {}",
        cmake_args::TRIPLE,
        area().display()
    );
    prepare_source(&lay.src)?;
    refresh_sysroot(&tc.c_sysroot())?;
    copy_kernel_headers(&lay.kernel_headers)?;
    let runtimes_build = area().join("build/runtimes");
    configure(
        "runtimes",
        &runtimes_build,
        &cmake_args::runtimes_args(&lay),
        &logs,
    )?;
    ninja(
        "libc++, libc++abi, libunwind",
        &runtimes_build,
        &["install"],
        jobs,
        &logs,
        "runtimes-build",
    )?;
    install_cxx_into(&lay.cxx, &lay.sysroot)?;
    Ok(lay)
}

/// Downloads, unpacks (only [`PARTS`]) and patches the source, once.
fn prepare_source(src: &Path) -> Result<()> {
    let dl = area().join("src");
    let rec = debsrc::download(SOURCE_PACKAGE, VERSION, ".orig.tar.xz", &dl)?;
    let orig = rec
        .files
        .iter()
        .find(|(n, _, _)| n.ends_with(".orig.tar.xz"))
        .context("the source package has no .orig.tar.xz")?;
    let patches = paths::repo_root().join("patches/llvm");
    let digest = stamp::Inputs::default()
        .text("orig", &orig.2)
        .text("parts", &PARTS.join(","))
        .tree(&patches)?
        .digest();
    let top = src
        .file_name()
        .context("source folder has a name")?
        .to_string_lossy()
        .into_owned();
    let stamp_file = src.with_file_name(format!("{top}.stamp"));
    if stamp::is_current(&stamp_file, &digest) {
        return Ok(());
    }
    // A tree an interrupted run unpacked and patched is kept, and parts
    // added to PARTS since are unpacked beside it: re-unpacking would touch
    // every file and make Ninja rebuild everything.
    if src.join("llvm").is_dir() && patches_applied(src, &patches)? {
        let missing: Vec<&str> = PARTS
            .iter()
            .copied()
            .filter(|p| !src.join(p).exists())
            .collect();
        if !missing.is_empty() {
            let mut tar = Command::new("tar");
            tar.arg("-xJf").arg(dl.join(&orig.0)).arg("-C").arg(&dl);
            for part in &missing {
                tar.arg(format!("{top}/{part}"));
            }
            crate::progress::run_step(&format!("unpack {}", missing.join(", ")), || {
                run::output(&mut tar).map(|_| ())
            })?;
        }
        return stamp::record(&stamp_file, &digest);
    }
    if src.exists() {
        fs::remove_dir_all(src)?;
    }
    let mut tar = Command::new("tar");
    tar.arg("-xJf").arg(dl.join(&orig.0)).arg("-C").arg(&dl);
    for part in PARTS {
        tar.arg(format!("{top}/{part}"));
    }
    crate::progress::run_step("unpack the LLVM source", || {
        run::output(&mut tar).map(|_| ())
    })?;
    apply_patches(src, &patches)?;
    stamp::record(&stamp_file, &digest)
}

/// The `*.patch` files of a folder, in name order.
pub fn patch_list(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut list: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "patch"))
        .collect();
    list.sort();
    Ok(list)
}

/// `patch -p1` of each patch in `dir` inside `tree`.
///
/// Each patched file gets the newest modification time of the patches that
/// touched it rather than "now": a re-copied tree with the same patches then
/// looks unchanged to cargo and Ninja (hours of rebuild saved), while an
/// edited patch (newer file) still makes its files newer than the last build.
pub fn apply_patches(tree: &Path, dir: &Path) -> Result<()> {
    let mut touched: std::collections::BTreeMap<PathBuf, std::time::SystemTime> =
        Default::default();
    for patch in patch_list(dir)? {
        run::output(
            Command::new("patch")
                .args([
                    "-p1",
                    "--batch",
                    "--forward",
                    "--no-backup-if-mismatch",
                    "-i",
                ])
                .arg(&patch)
                .current_dir(tree),
        )
        .with_context(|| format!("{} does not apply", patch.display()))?;
        let when = fs::metadata(&patch)?.modified()?;
        for file in patched_files(&fs::read_to_string(&patch)?) {
            let slot = touched.entry(tree.join(file)).or_insert(when);
            *slot = (*slot).max(when);
        }
    }
    for (file, when) in touched {
        if file.is_file() {
            fs::File::options()
                .write(true)
                .open(&file)?
                .set_modified(when)?;
        }
    }
    Ok(())
}

/// The files a `-p1` unified diff writes (its `+++ b/...` lines).
fn patched_files(patch: &str) -> Vec<PathBuf> {
    patch
        .lines()
        .filter_map(|l| l.strip_prefix("+++ "))
        .map(|rest| rest.split('\t').next().unwrap_or(rest).trim())
        .filter(|p| *p != "/dev/null")
        .filter_map(|p| p.split_once('/').map(|(_, path)| PathBuf::from(path)))
        .collect()
}

/// True when every patch in `dir` is already applied to `tree`.
pub fn patches_applied(tree: &Path, dir: &Path) -> Result<bool> {
    for patch in patch_list(dir)? {
        let ok = Command::new("patch")
            .args(["-p1", "-R", "--force", "--dry-run", "-s", "-i"])
            .arg(&patch)
            .current_dir(tree)
            .output()?
            .status
            .success();
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Files the snapshot gets on top of the toolchain's sysroot (libc++ and
/// the toolchain's gcc specs, which the snapshot does not carry).
const SNAPSHOT_EXTRAS: &[&str] = &[
    "include/c++",
    "lib/libc++.a",
    "lib/libc++abi.a",
    "lib/libc++experimental.a",
    "lib/libunwind.a",
    "lib/veridian.specs",
];

/// A digest of a sysroot's musl and gcc files (names and contents),
/// [`SNAPSHOT_EXTRAS`] left out.
pub fn sysroot_digest(root: &Path) -> Result<String> {
    let mut hasher = stamp::Inputs::default();
    for sub in ["include", "lib"] {
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root.join(sub))
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .filter(|p| {
                let rel = p.strip_prefix(root).unwrap_or(p);
                !SNAPSHOT_EXTRAS.iter().any(|x| rel.starts_with(x))
            })
            .collect();
        files.sort();
        for f in files {
            let rel = f.strip_prefix(root).unwrap_or(&f).display().to_string();
            hasher = hasher.text(&rel, &debsrc::sha256_file(&f)?);
        }
    }
    Ok(hasher.digest())
}

/// Brings the sysroot snapshot up to date with the toolchain's sysroot, with
/// libc++ in it once that is built. `cargo xtask llvm` and `cargo xtask
/// rustc` (whose `musl-root` it is) may run it at the same time, so it holds
/// a lock.
pub fn refresh_sysroot(toolchain_sysroot: &Path) -> Result<()> {
    let lay = layout();
    fs::create_dir_all(area())?;
    let lock = fs::File::create(area().join("sysroot.lock"))?;
    lock.lock().context("cannot lock the sysroot snapshot")?;
    snapshot_sysroot(toolchain_sysroot, &lay.sysroot)?;
    if cxx_is_built() {
        install_cxx_into(&lay.cxx, &lay.sysroot)?;
    }
    Ok(())
}

/// Copies the toolchain's C sysroot (not its gcc specs) when its content
/// changed. The copy keeps the LLVM build independent of the toolchain being
/// rebuilt: re-assembling the same sysroot gives its files new times, which
/// would make Ninja rebuild all of LLVM.
fn snapshot_sysroot(from: &Path, to: &Path) -> Result<()> {
    let digest = sysroot_digest(from)?;
    let stamp_file = to.with_extension("stamp");
    if stamp::is_current(&stamp_file, &digest) {
        return Ok(());
    }
    if to.join("lib/libc.a").exists() && sysroot_digest(to)? == digest {
        return stamp::record(&stamp_file, &digest);
    }
    if to.exists() {
        fs::remove_dir_all(to)?;
    }
    fs::create_dir_all(to)?;
    for sub in ["include", "lib"] {
        run::output(Command::new("cp").arg("-a").arg(from.join(sub)).arg(to))?;
    }
    let specs = to.join("lib/veridian.specs");
    if specs.exists() {
        fs::remove_file(specs)?;
    }
    stamp::record(&stamp_file, &digest)
}

/// Debian's linux-libc-dev headers: linux/, asm-generic/ and the x86_64 asm/.
fn copy_kernel_headers(to: &Path) -> Result<()> {
    let sources = [
        ("/usr/include/linux", "linux"),
        ("/usr/include/asm-generic", "asm-generic"),
        ("/usr/include/x86_64-linux-gnu/asm", "asm"),
    ];
    let mut inputs = stamp::Inputs::default();
    for (src, _) in sources {
        inputs = inputs.tree(Path::new(src))?;
    }
    let digest = inputs.digest();
    let stamp_file = to.with_extension("stamp");
    if stamp::is_current(&stamp_file, &digest)
        || (to.join("linux/futex.h").exists() && !stamp_file.exists())
    {
        return stamp::record(&stamp_file, &digest);
    }
    if to.exists() {
        fs::remove_dir_all(to)?;
    }
    fs::create_dir_all(to)?;
    for (src, name) in sources {
        run::output(Command::new("cp").arg("-r").arg(src).arg(to.join(name)))?;
    }
    stamp::record(&stamp_file, &digest)
}

/// Runs CMake when the build folder has no build.ninja or the arguments changed.
fn configure(what: &str, build: &Path, args: &[String], logs: &Path) -> Result<()> {
    let digest = args
        .iter()
        .fold(stamp::Inputs::default(), |i, a| i.text("arg", a))
        .digest();
    let stamp_file = build.join(".xtask-configure.stamp");
    if build.join("build.ninja").exists() && stamp::is_current(&stamp_file, &digest) {
        return Ok(());
    }
    fs::create_dir_all(build)?;
    let mut cmd = Command::new("cmake");
    cmd.args(args).arg("-B").arg(build).current_dir(build);
    run::run_long(
        &format!("configure {what}"),
        logs,
        &format!("{what}-configure"),
        &cmd,
    )?;
    stamp::record(&stamp_file, &digest)
}

fn ninja(
    name: &str,
    build: &Path,
    targets: &[&str],
    jobs: usize,
    logs: &Path,
    log: &str,
) -> Result<()> {
    let mut cmd = run::niced("ninja");
    cmd.arg(format!("-j{jobs}"))
        .args(targets)
        .current_dir(build);
    run::run_long(name, logs, log, &cmd).map(|_| ())
}

/// Debian's llvm-tblgen/llvm-config when they are exactly [`VERSION`].
fn same_version_native_tools() -> Option<PathBuf> {
    let dir = PathBuf::from(DEBIAN_LLVM_BIN);
    let out = Command::new(dir.join("llvm-tblgen"))
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.success()
        && text.contains(&format!("version {VERSION}"))
        && dir.join("llvm-config").exists())
    .then_some(dir)
}

/// The static libraries rustc and lld link, as the same-version
/// llvm-config in `native_tools` resolves their components (the dependency
/// graph is the source's, whichever targets that LLVM was built with).
fn needed_libraries(native_tools: &Path) -> Option<Vec<String>> {
    let mut components: Vec<&str> = cmake_args::RUSTC_COMPONENTS
        .iter()
        .chain(cmake_args::LLD_COMPONENTS)
        .copied()
        .collect();
    components.sort_unstable();
    components.dedup();
    let out = Command::new(native_tools.join("llvm-config"))
        .args(["--link-static", "--libnames"])
        .args(&components)
        .output()
        .ok()?;
    let names = cmake_args::library_names(&String::from_utf8_lossy(&out.stdout));
    (out.status.success() && !names.is_empty()).then_some(names)
}

/// Puts libc++ (headers, libc++.a with libc++abi, libunwind.a) into the
/// sysroot snapshot, so that sysroot has C++ for the target.
fn install_cxx_into(cxx: &Path, sysroot: &Path) -> Result<()> {
    let headers = sysroot.join("include/c++/v1");
    if !headers.join("__config_site").exists() {
        fs::create_dir_all(sysroot.join("include/c++"))?;
        run::output(
            Command::new("cp")
                .arg("-a")
                .arg(cxx.join("include/c++/v1"))
                .arg(sysroot.join("include/c++/")),
        )?;
    }
    for lib in [
        "libc++.a",
        "libc++abi.a",
        "libc++experimental.a",
        "libunwind.a",
    ] {
        let from = cxx.join("lib").join(lib);
        if from.exists() {
            fs::copy(&from, sysroot.join("lib").join(lib))?;
        }
    }
    Ok(())
}

/// The installed llvm-config (a VeridianOS binary, which runs on Linux
/// because the ABI is Linux's) must describe a static X86 LLVM for our triple.
fn check_rustc_part(install: &Path) -> Result<()> {
    let cfg = install.join("bin/llvm-config");
    let q = |args: &[&str]| -> Result<String> {
        Ok(run::output(Command::new(&cfg).args(args))?
            .trim()
            .to_string())
    };
    // --shared-mode fails naming any missing library of the components it
    // is given (all of LLVM's by default, not all installed): rustc's.
    let mode = q(&[&["--shared-mode"], cmake_args::RUSTC_COMPONENTS].concat())?;
    let (version, host, targets) = (
        q(&["--version"])?,
        q(&["--host-target"])?,
        q(&["--targets-built"])?,
    );
    println!("  llvm-config: version {version}, host {host}, {mode}, targets {targets}");
    if version != VERSION || host != cmake_args::TRIPLE || mode != "static" || targets != "X86" {
        bail!("{} does not describe the LLVM we configured", cfg.display());
    }
    let lld = run::output(
        Command::new(install.join("bin/lld"))
            .arg("-flavor")
            .arg("gnu")
            .arg("--version"),
    )?;
    println!("  lld: {}", lld.trim());
    print_sizes(install, &["llvm-config", "lld"])
}

fn print_sizes(install: &Path, bins: &[&str]) -> Result<()> {
    for bin in bins {
        let size = fs::metadata(install.join("bin").join(bin))?.len();
        println!("  {bin}: {:.1} MiB", size as f64 / (1024.0 * 1024.0));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pinned tarball, when a previous `cargo xtask llvm` downloaded it.
    fn pinned_tarball() -> Option<PathBuf> {
        let dir = area().join("src");
        fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name().is_some_and(|n| {
                    n.to_string_lossy() == format!("{SOURCE_PACKAGE}_{VERSION}.orig.tar.xz")
                })
            })
    }

    #[test]
    fn sysroot_digest_ignores_what_the_snapshot_adds() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        for root in [&a, &b] {
            fs::create_dir_all(root.join("include/sys")).unwrap();
            fs::create_dir_all(root.join("lib")).unwrap();
            fs::write(root.join("include/sys/x.h"), "int x;").unwrap();
            fs::write(root.join("lib/libc.a"), "!<arch>").unwrap();
        }
        fs::create_dir_all(b.join("include/c++/v1")).unwrap();
        fs::write(b.join("include/c++/v1/vector"), "//").unwrap();
        fs::write(b.join("lib/libc++.a"), "!<arch>").unwrap();
        assert_eq!(sysroot_digest(&a).unwrap(), sysroot_digest(&b).unwrap());
        fs::write(b.join("include/sys/x.h"), "long x;").unwrap();
        assert_ne!(sysroot_digest(&a).unwrap(), sysroot_digest(&b).unwrap());
    }

    #[test]
    fn patched_files_take_the_patch_time_not_now() {
        let tmp = tempfile::tempdir().unwrap();
        let (tree, dir) = (tmp.path().join("tree"), tmp.path().join("patches"));
        fs::create_dir_all(tree.join("src")).unwrap();
        fs::create_dir_all(&dir).unwrap();
        fs::write(tree.join("src/a.txt"), "one\n").unwrap();
        fs::write(tree.join("src/b.txt"), "same\n").unwrap();
        let patch = dir.join("0001-a.patch");
        fs::write(
            &patch,
            "--- a/src/a.txt\t2020-01-01\n+++ b/src/a.txt\t2020-01-01\n@@ -1 +1 @@\n-one\n+two\n",
        )
        .unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
        fs::File::options()
            .write(true)
            .open(&patch)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(
            patched_files(&fs::read_to_string(&patch).unwrap()),
            vec![PathBuf::from("src/a.txt")]
        );
        apply_patches(&tree, &dir).unwrap();
        assert_eq!(fs::read_to_string(tree.join("src/a.txt")).unwrap(), "two\n");
        assert_eq!(
            fs::metadata(tree.join("src/a.txt"))
                .unwrap()
                .modified()
                .unwrap(),
            old
        );
        assert_ne!(
            fs::metadata(tree.join("src/b.txt"))
                .unwrap()
                .modified()
                .unwrap(),
            old,
            "untouched files keep theirs"
        );
    }

    #[test]
    fn llvm_patches_apply_to_the_pinned_source() {
        let Some(tarball) = pinned_tarball() else {
            eprintln!("SKIP: {SOURCE_PACKAGE} {VERSION} source not downloaded (run `cargo xtask llvm` once)");
            return;
        };
        let patches = paths::repo_root().join("patches/llvm");
        let tmp = tempfile::tempdir().unwrap();
        let top = format!("{SOURCE_PACKAGE}_{VERSION}");
        let mut tar = Command::new("tar");
        tar.arg("-xJf")
            .arg(&tarball)
            .arg("-C")
            .arg(tmp.path())
            .arg("--wildcards");
        for p in patch_list(&patches).unwrap() {
            for file in patched_files(&fs::read_to_string(&p).unwrap()) {
                tar.arg(format!("{top}/{}", file.display()));
            }
        }
        run::output(&mut tar).unwrap();
        let tree = tmp.path().join(&top);
        assert!(
            !patches_applied(&tree, &patches).unwrap(),
            "pristine source must not look patched"
        );
        apply_patches(&tree, &patches).unwrap();
        assert!(patches_applied(&tree, &patches).unwrap());
        let triple = fs::read_to_string(tree.join("llvm/lib/TargetParser/Triple.cpp")).unwrap();
        assert!(triple.contains("\"veridian\""));
    }
}
