//! Dynamic linking on the target, proved in a fresh project outside the
//! repository and inside VeridianOS: a C program linked against musl's
//! libc.so (`x86_64-veridian-gcc -dynamic`), and a Rust cdylib built with
//! the toolchain's cargo that a Rust program built without crt-static
//! dlopen()s. Each binary is checked to carry `PT_INTERP`
//! `/lib/ld-musl-x86_64.so.1`, runs on the Linux host (same ABI, same
//! loader path) and inside VeridianOS through veridian-run, whose output
//! must name the system `veridian`.

use anyhow::{bail, ensure, Context, Result};
use goblin::elf::{program_header::PT_INTERP, Elf};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::paths::TARGET;
use crate::toolchain::Toolchain;

/// The loader path musl programs ask for.
pub const MUSL_LOADER: &str = "/lib/ld-musl-x86_64.so.1";

const DYN_C: &str = include_str!("dyn.c");
const PLUGIN_RS: &str = include_str!("plugin.rs");
const LOADER_RS: &str = include_str!("loader.rs");
const GLIBC_RS: &str = include_str!("glibc.rs");

/// glibc's loader on Debian (`/lib64/ld-linux-x86-64.so.2` links to it).
const GLIBC_LOADER: &str = "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
/// Host files the glibc check carries into the guest, and where they go.
const GLIBC_FILES: &[(&str, &str)] = &[
    (GLIBC_LOADER, GLIBC_LOADER),
    (
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/x86_64-linux-gnu/libc.so.6",
    ),
    ("/bin/echo", "/tmp/glibc-echo"),
    ("/usr/bin/printenv", "/tmp/glibc-printenv"),
];

/// A scratch folder outside the repository (under the system's temporary
/// folder), removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Result<Scratch> {
    let dir = std::env::temp_dir().join(format!("veridian-dynlink-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    Ok(Scratch(dir))
}

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} exited {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `PT_INTERP` path of the ELF file at `path`, if it has one.
pub fn interp_of(path: &Path) -> Result<Option<String>> {
    let bytes = fs::read(path).with_context(|| format!("read {}", path.display()))?;
    let elf = Elf::parse(&bytes).with_context(|| format!("{} is not ELF", path.display()))?;
    Ok(elf
        .program_headers
        .iter()
        .find(|p| p.p_type == PT_INTERP)
        .map(|_| elf.interpreter.unwrap_or_default().to_string()))
}

fn expect_musl_interp(path: &Path) -> Result<()> {
    let interp = interp_of(path)?;
    ensure!(
        interp.as_deref() == Some(MUSL_LOADER),
        "{} has PT_INTERP {interp:?}, expected {MUSL_LOADER}",
        path.display()
    );
    Ok(())
}

/// Runs `binary` inside VeridianOS through the toolchain's veridian-run.
fn in_guest(tc: &Toolchain, binary: &Path) -> Result<String> {
    output(Command::new(tc.dir.join("bin/veridian-run")).arg(binary))
}

/// Runs `binary` on the host if the host has musl's loader (Debian's
/// `musl` package), else says why not.
fn on_host(binary: &Path) -> Result<Option<String>> {
    if !Path::new(MUSL_LOADER).exists() {
        println!("  dynlink: {MUSL_LOADER} not on this host: no host run");
        return Ok(None);
    }
    output(&mut Command::new(binary)).map(Some)
}

/// The C program: `x86_64-veridian-gcc -dynamic`, musl's loader sets it up
/// on the host and in the guest.
pub fn c_program(tc: &Toolchain) -> Result<()> {
    let dir = scratch("c")?;
    let src = dir.path().join("dyn.c");
    let bin = dir.path().join("dyn-c");
    fs::write(&src, DYN_C)?;
    output(
        Command::new(tc.cc())
            .args(["-dynamic", "-O2", "-Wall", "-Werror", "-o"])
            .arg(&bin)
            .arg(&src),
    )?;
    expect_musl_interp(&bin)?;
    let tail = "at_base=set at_entry=set dlsym=ok";
    if let Some(host) = on_host(&bin)? {
        ensure!(host.contains(tail), "on the host dyn-c printed {host:?}");
    }
    let guest = in_guest(tc, &bin)?;
    ensure!(
        guest.contains(&format!("dyn-c: os=veridian {tail}")),
        "in VeridianOS dyn-c printed {guest:?}"
    );
    Ok(())
}

/// `cargo new` + the given crate type and source, built for the target.
fn cargo_crate(
    tc: &Toolchain,
    dir: &Path,
    name: &str,
    lib: bool,
    source: &str,
    env: &[(&str, &str)],
) -> Result<PathBuf> {
    let cargo = || {
        // The toolchain's own cargo and rustc, as `cargo +veridian` picks
        // them (without depending on which worktree rustup links now).
        let mut cmd = Command::new(tc.cargo());
        cmd.env("RUSTC", tc.rustc())
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO_TARGET_DIR");
        cmd
    };
    let kind = if lib { "--lib" } else { "--bin" };
    output(
        cargo()
            .args(["new", "--quiet", "--vcs", "none", kind, name])
            .current_dir(dir),
    )?;
    let root = dir.join(name);
    if lib {
        let manifest = root.join("Cargo.toml");
        let text = fs::read_to_string(&manifest)?;
        fs::write(
            &manifest,
            text.replace(
                "[dependencies]",
                "[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]",
            ),
        )?;
        fs::write(root.join("src/lib.rs"), source)?;
    } else {
        fs::write(root.join("src/main.rs"), source)?;
    }
    output(
        cargo()
            .args(["build", "--quiet", "--release", "--target", TARGET])
            .envs(env.iter().copied())
            .current_dir(&root),
    )?;
    let release = root.join("target").join(TARGET).join("release");
    Ok(if lib {
        release.join(format!("lib{name}.so"))
    } else {
        release.join(name)
    })
}

/// A Rust cdylib, dlopen()ed by a Rust program linked without crt-static.
pub fn rust_cdylib(tc: &Toolchain) -> Result<()> {
    let dir = scratch("rust")?;
    let so = cargo_crate(tc, dir.path(), "plugin", true, PLUGIN_RS, &[])?;
    let elf_bytes = fs::read(&so).with_context(|| format!("no cdylib at {}", so.display()))?;
    let elf = Elf::parse(&elf_bytes)?;
    ensure!(
        elf.header.e_type == goblin::elf::header::ET_DYN && elf.interpreter.is_none(),
        "the cdylib is not a shared object"
    );
    ensure!(
        elf.libraries.contains(&"libc.so"),
        "the cdylib does not use musl's libc.so (needs {:?})",
        elf.libraries
    );
    let so_path = so.to_str().context("UTF-8 path")?;
    let loader = cargo_crate(
        tc,
        dir.path(),
        "loader",
        false,
        LOADER_RS,
        &[
            ("PLUGIN_SO", so_path),
            ("RUSTFLAGS", "-C target-feature=-crt-static"),
        ],
    )?;
    expect_musl_interp(&loader)?;
    let tail = "plugin: 2 + 3 = 5 (call 2)";
    if let Some(host) = on_host(&loader)? {
        ensure!(host.contains(tail), "on the host loader printed {host:?}");
    }
    let guest = in_guest(tc, &loader)?;
    ensure!(
        guest.contains(&format!("loader: os=veridian {tail}")),
        "in VeridianOS loader printed {guest:?}"
    );
    Ok(())
}

/// `rustc --target x86_64-unknown-veridian --crate-type proc-macro` (and
/// `dylib`, `cdylib`) each give an `ET_DYN` shared object without
/// `PT_INTERP` that needs musl's `libc.so`, not a static libc.
pub fn shared_crate_types(tc: &Toolchain) -> Result<()> {
    let dir = scratch("crate-types")?;
    let sources = [
        (
            "proc-macro",
            "extern crate proc_macro;\n#[proc_macro]\npub fn answer(_: proc_macro::TokenStream) \
             -> proc_macro::TokenStream { \"42\".parse().unwrap() }\n",
        ),
        ("dylib", "pub fn seven() -> u32 { 7 }\n"),
        (
            "cdylib",
            "#[unsafe(no_mangle)]\npub extern \"C\" fn seven() -> u32 { 7 }\n",
        ),
    ];
    for (kind, source) in sources {
        let src = dir.path().join(format!("{}.rs", kind.replace('-', "_")));
        let out = dir.path().join(format!("lib{}.so", kind.replace('-', "_")));
        fs::write(&src, source)?;
        output(
            Command::new(tc.rustc())
                .args([
                    "--edition",
                    "2024",
                    "--crate-type",
                    kind,
                    "--target",
                    TARGET,
                    "-o",
                ])
                .arg(&out)
                .arg(&src),
        )?;
        let bytes = fs::read(&out)?;
        let elf = Elf::parse(&bytes)?;
        ensure!(
            elf.header.e_type == goblin::elf::header::ET_DYN && elf.interpreter.is_none(),
            "{kind}: not a shared object"
        );
        ensure!(
            elf.libraries.contains(&"libc.so"),
            "{kind}: needs {:?}, not musl's libc.so",
            elf.libraries
        );
    }
    Ok(())
}

/// Debian's glibc-linked echo and printenv, with glibc's loader and
/// libc.so.6 copied in by a static program, run inside VeridianOS: the same
/// `PT_INTERP` path as musl programs, another C library's loader.
pub fn glibc_programs(tc: &Toolchain) -> Result<()> {
    let mut table = String::from("const LOADER: &str = \"");
    table.push_str(GLIBC_LOADER);
    table.push_str("\";\nconst FILES: &[(&str, &[u8])] = &[\n");
    for (host, guest) in GLIBC_FILES {
        ensure!(
            Path::new(host).exists(),
            "{host} is not on this host (Debian's libc6 and coreutils)"
        );
        table.push_str(&format!("    ({guest:?}, include_bytes!({host:?})),\n"));
    }
    table.push_str("];\n");
    let dir = scratch("glibc")?;
    let program = cargo_crate(
        tc,
        dir.path(),
        "glibc-run",
        false,
        &format!("{GLIBC_RS}\n{table}"),
        &[],
    )?;
    let guest = in_guest(tc, &program)?;
    let want = "glibc: os=veridian echo=\"hello from glibc\" exit status: 0 \
                printenv=\"seen\" exit status: 0";
    ensure!(
        guest.contains(want),
        "in VeridianOS glibc-run printed {guest:?}"
    );
    Ok(())
}
