//! `cargo xtask rustc`: rustc, cargo and std whose host is
//! x86_64-unknown-veridian, cross-built by Rust's bootstrap (x.py).
//!
//! 1. The source ([`rustsrc`]) and a generated bootstrap.toml ([`bootstrap_toml`]).
//! 2. `x.py dist --stage 1 --host x86_64-unknown-veridian rustc cargo`:
//!    Debian's rustc 1.96 is the same release as the source, so bootstrap
//!    runs a local rebuild and Debian's rustc compiles std for VeridianOS and
//!    then the hosted compiler directly (no compiler for the build machine
//!    first). It knows the target through [`STAGE0_TARGET_DIR`]'s JSON copy of
//!    the built-in target. The results are dynamic programs of musl's loader:
//!    rustc's driver a shared library with the LLVM of `cargo xtask llvm`
//!    linked in, cargo with OpenSSL built for the target linked in.
//! 3. The install tree (`<build root>/rust/install`), whose std the hosted
//!    rustc builds itself on this host ([`hosted_std`]; crates compiled for the
//!    JSON target do not load into a compiler with the built-in one), its size
//!    report, and the self-hosting criteria run on this host ([`proof`]).
//!
//! Bootstrap is incremental, so rerunning resumes where a build stopped.

use anyhow::{bail, Context, Result};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::bootstrap_toml::{self, Settings};
use super::{hosted_std, llvm, openssl, package, proof, run, rustsrc};
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

/// The folder whose JSON file tells Debian's rustc (stage 0) what
/// x86_64-unknown-veridian is; the hosted rustc has it built in
/// (patches/rust/0001), and [`proof`] checks the two agree.
pub fn stage0_target_dir() -> PathBuf {
    paths::repo_root().join("toolchain/stage0-target")
}

/// Runs the steps (the LLVM of `cargo xtask llvm` must be built).
pub fn build(jobs: usize) -> Result<()> {
    let _lock = run::lock_folder(&rustsrc::area())?;
    setup::ensure(PACKAGES)?;
    if !llvm::rustc_part_is_built() {
        bail!(
            "LLVM for VeridianOS is not built ({} is missing): run `cargo xtask llvm` first \
             (or `cargo xtask verify`, which builds the whole chain in order)",
            llvm::install_dir().join("bin/llvm-config").display()
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
    forget_other_stage0_targets()?;
    let ssl = openssl::build(&settings.veridian_cc, jobs)?;
    let mut args = vec![
        "dist",
        "--stage",
        "1",
        "--host",
        paths::TARGET,
        "--target",
        paths::TARGET,
    ];
    args.extend(package::COMPONENTS);
    x_py_env(
        &src,
        &logs,
        HOSTED_STEP,
        "x-host",
        &args,
        &[
            (
                "RUST_TARGET_PATH",
                stage0_target_dir().display().to_string(),
            ),
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
    hosted_std::build_and_install(&prefix, &src.join("library"), &stage0_self_contained())?;
    check_stage0_spec(&prefix)?;
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

/// The target as rustc prints it (`--print target-spec-json`), parsed.
fn printed_spec(cmd: &mut Command) -> Result<serde_json::Value> {
    let text = run::output(
        cmd.args(["-Zunstable-options", "--print", "target-spec-json"])
            .args(["--target", paths::TARGET])
            .env("RUSTC_BOOTSTRAP", "1"),
    )?;
    serde_json::from_str(&text).context("rustc printed a target spec that is not JSON")
}

/// Fails unless Debian's rustc, reading [`stage0_target_dir`]'s JSON, and the
/// hosted rustc, with the target built in, print the same target (but for
/// how it links, see [`without_cc_linking`]): the compiler was built with
/// the std the JSON describes.
fn check_stage0_spec(prefix: &Path) -> Result<()> {
    let stage0 = without_cc_linking(printed_spec(
        Command::new(HOST_RUSTC).env("RUST_TARGET_PATH", stage0_target_dir()),
    )?);
    let built_in = without_cc_linking(printed_spec(&mut Command::new(prefix.join("bin/rustc")))?);
    let differences = spec_differences(&stage0, &built_in);
    if !differences.is_empty() {
        bail!(
            "{} and the built-in target differ: {}",
            stage0_target_dir()
                .join(format!("{}.json", paths::TARGET))
                .display(),
            differences.join("; ")
        );
    }
    println!("  the stage-0 JSON target equals the hosted rustc's built-in one");
    Ok(())
}

/// A printed spec without its linker, linker flavor and the link arguments
/// of C-compiler flavors. The JSON target links through the C compiler
/// (Debian's rustc asserts a cc linker when it names a shared library);
/// the built-in one runs lld itself. Arguments for lld stay compared.
fn without_cc_linking(mut spec: serde_json::Value) -> serde_json::Value {
    if let Some(map) = spec.as_object_mut() {
        map.remove("linker");
        map.remove("linker-flavor");
        for (key, value) in map.iter_mut() {
            if let (true, Some(args)) = (key.ends_with("link-args"), value.as_object_mut()) {
                args.retain(|flavor, _| !flavor.ends_with("-cc"));
            }
        }
    }
    spec
}

/// The top-level keys whose values differ between two printed specs.
fn spec_differences(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let (a, b) = (
        a.as_object().unwrap_or(&empty),
        b.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("{k}: {} against {}", show(a.get(k)), show(b.get(k))))
        .collect()
}

fn show(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "(absent)".into(), |v| v.to_string())
}

/// Removes what bootstrap built for VeridianOS with another stage-0 target
/// file. Crates record the JSON target they were built for, and a crate
/// built for another one is refused (E0461), but cargo does not see the
/// file change and would keep them.
fn forget_other_stage0_targets() -> Result<()> {
    let digest = toolchain::stamp::Inputs::default()
        .tree(&stage0_target_dir())?
        .digest();
    let stamp_file = build_dir().join("stage0-target.stamp");
    let out = build_dir().join(bootstrap_toml::BUILD);
    if stamp_file.exists() && !toolchain::stamp::is_current(&stamp_file, &digest) {
        println!("  the stage-0 target changed: rebuilding what was built for the last one");
        for dir in [
            "stage0-std",
            "stage0-sysroot",
            "stage1-rustc",
            "stage1-tools",
        ] {
            if out.join(dir).exists() {
                fs::remove_dir_all(out.join(dir))?;
            }
        }
        let host = build_dir().join(paths::TARGET);
        if host.exists() {
            fs::remove_dir_all(host)?;
        }
    }
    fs::create_dir_all(build_dir())?;
    toolchain::stamp::record(&stamp_file, &digest)
}

/// The label of the x.py step in `logs/timings.txt`.
pub const HOSTED_STEP: &str = "rustc + cargo for VeridianOS";

/// The crt objects, libc and runtime archives bootstrap put beside the
/// stage-0 std for VeridianOS (the list is patches/rust/0002's): the hosted
/// rustc links with the same ones.
fn stage0_self_contained() -> PathBuf {
    build_dir()
        .join(bootstrap_toml::BUILD)
        .join("stage0-sysroot/lib/rustlib")
        .join(paths::TARGET)
        .join("lib/self-contained")
}

/// The file of the install tree that records [`inputs_digest`].
const INPUTS_FILE: &str = ".veridian-inputs";

/// What the install tree is built from: the prepared source's inputs, the
/// bootstrap configuration (jobs left out) and the stage-0 target.
fn inputs_digest() -> Result<String> {
    let config = bootstrap_toml::render(&settings(&rustsrc::area().join("bin"), 1));
    Ok(toolchain::stamp::Inputs::default()
        .text("source", &rustsrc::source_digest(&stdsrc::library_dir())?)
        .text("bootstrap.toml", &config)
        .tree(&stage0_target_dir())?
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
        veridian_sysroot: llvm_sysroot,
    }
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
/// libc++), in `<build root>/rust/bin`; the C compiler is also the linker.
fn write_wrappers() -> Result<PathBuf> {
    let bin = rustsrc::area().join("bin");
    fs::create_dir_all(&bin)?;
    let sysroot = llvm::sysroot_dir();
    let headers = llvm::kernel_headers_dir();
    for (name, script) in [
        (
            "x86_64-veridian-clang",
            with_unwinder_last(&wrapper_script("clang-22", &sysroot, &headers, false)),
        ),
        (
            "x86_64-veridian-clang++",
            wrapper_script("clang++-22", &sysroot, &headers, true),
        ),
    ] {
        fs::write(bin.join(name), script)?;
        fs::set_permissions(bin.join(name), fs::Permissions::from_mode(0o755))?;
    }
    Ok(bin)
}

/// The C wrapper as the target's linker: gcc's unwinder archive ends every
/// link. rustc passes `-nodefaultlibs`, and a program linked against std as
/// a shared library (rustdoc, against librustc_driver.so) still calls
/// `_Unwind_Resume` from its own landing pads; the target has no shared
/// unwinder. Where the unwind crate already brought libgcc_eh in, the repeat
/// adds nothing; compiling (`-c`) ignores it.
fn with_unwinder_last(script: &str) -> String {
    match script.strip_suffix("\"$@\"\n") {
        Some(head) => format!("{head}\"$@\" -lgcc_eh\n"),
        None => script.to_string(),
    }
}

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
    fn specs_differ_by_the_keys_named() {
        let a = serde_json::json!({"os": "veridian", "crt-static-default": true, "cpu": "x86-64"});
        let b = serde_json::json!({"os": "veridian", "crt-static-default": false, "abi": "x"});
        assert_eq!(
            spec_differences(&a, &b),
            [
                "abi: (absent) against \"x\"",
                "cpu: \"x86-64\" against (absent)",
                "crt-static-default: true against false"
            ]
        );
        assert!(spec_differences(&a, &a).is_empty());
        let cc = serde_json::json!({"linker-flavor": "gnu-cc", "os": "veridian",
            "pre-link-args": {"gnu": ["-x"], "gnu-cc": ["-Wl,-x"], "gnu-lld-cc": ["-Wl,-x"]}});
        let lld = serde_json::json!({"linker-flavor": "gnu-lld", "linker": "rust-lld",
            "os": "veridian", "pre-link-args": {"gnu": ["-x"]}});
        assert!(
            spec_differences(&without_cc_linking(cc.clone()), &without_cc_linking(lld)).is_empty()
        );
        let other = serde_json::json!({"os": "veridian", "pre-link-args": {"gnu": ["-y"]}});
        assert_eq!(spec_differences(&without_cc_linking(cc), &other).len(), 1);
    }

    #[test]
    fn the_stage0_target_is_one_debians_rustc_reads() {
        let spec =
            printed_spec(Command::new(HOST_RUSTC).env("RUST_TARGET_PATH", stage0_target_dir()));
        let Ok(spec) = spec else {
            // Debian's rustc-web is installed by the chain's setup.
            eprintln!("SKIP: {HOST_RUSTC} is not installed here");
            return;
        };
        assert_eq!(spec["os"], "veridian");
        assert_eq!(spec["linker-flavor"], "gnu-cc");
        assert_eq!(
            spec["pre-link-args"]["gnu-lld"][0],
            "--undefined=pthread_once"
        );
        assert_eq!(
            spec["pre-link-objects-fallback"]["static-pic-exe"][0],
            "rcrt1.o"
        );
    }

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
        let linker = with_unwinder_last(&c);
        assert!(linker.ends_with("\"$@\" -lgcc_eh\n"), "{linker}");
        assert_eq!(linker.matches("-lgcc_eh").count(), 1);
    }
}
