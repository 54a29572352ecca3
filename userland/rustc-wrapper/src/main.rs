//! `veridian-rustc-wrapper RUSTC ARGS...`: cargo's `build.rustc-wrapper`
//! inside VeridianOS (set in the image's `/.cargo/config.toml`).
//!
//! The hosted rustc knows x86_64-unknown-veridian as a built-in target
//! (`target_os = "veridian"`, `target_env = ""`). VeridianOS speaks Linux's
//! syscall ABI over musl, so a crate whose sources never name
//! `target_os = "veridian"` is compiled with `target_os = "linux"` and
//! `target_env = "musl"` also set, and cargo's probe of the target's cfg
//! (`--crate-name ___ --print=cfg`) reports Linux/musl, so `cfg(...)`
//! dependencies and build scripts' `CARGO_CFG_TARGET_OS` agree with the code.
//! This is the rule the cross toolchain's `rustc` wrapper applies on the
//! build machine (`toolchain/templates/rustc.in`).
//!
//! A crate built only as shared libraries (`cdylib`/`dylib`) links musl's
//! libc.so, as with `-C target-feature=-crt-static`: a second, static libc
//! inside a dlopen()ed library would run its own malloc on the process's brk.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode};

/// The cfgs of a crate compiled as Linux/musl.
const LINUX_CFGS: &[&str] = &[
    "--cfg",
    "target_os=\"linux\"",
    "--cfg",
    "target_env=\"musl\"",
    "-A",
    "explicit_builtin_cfgs_in_flags",
];

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(rustc) = args.next() else {
        eprintln!("usage: veridian-rustc-wrapper RUSTC ARGS...");
        return ExitCode::FAILURE;
    };
    let args: Vec<OsString> = args.collect();
    let text: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR");
    let plan = plan(&text, manifest_dir.as_deref().map(Path::new));
    let mut cmd = Command::new(&rustc);
    cmd.args(&plan.before).args(&args).args(&plan.after);
    if plan.filter_cfg_print {
        return match cmd.output() {
            Ok(out) => {
                let _ = std::io::stderr().write_all(&out.stderr);
                let stdout = String::from_utf8_lossy(&out.stdout);
                let _ = std::io::stdout().write_all(filter_cfg(&stdout).as_bytes());
                exit_code(out.status.code())
            }
            Err(e) => cannot_run(&rustc, e),
        };
    }
    match cmd.status() {
        Ok(status) => exit_code(status.code()),
        Err(e) => cannot_run(&rustc, e),
    }
}

fn cannot_run(rustc: &OsString, e: std::io::Error) -> ExitCode {
    eprintln!(
        "veridian-rustc-wrapper: cannot run {}: {e}",
        rustc.to_string_lossy()
    );
    ExitCode::FAILURE
}

fn exit_code(code: Option<i32>) -> ExitCode {
    ExitCode::from(code.map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// What to add to rustc's command line.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    before: Vec<String>,
    after: Vec<String>,
    /// cargo's cfg probe: drop the VeridianOS values from what rustc prints.
    filter_cfg_print: bool,
}

fn plan(args: &[String], manifest_dir: Option<&Path>) -> Plan {
    let mut plan = Plan::default();
    if args
        .iter()
        .any(|a| a == "-vV" || a == "-V" || a == "--version")
    {
        return plan;
    }
    let printing = args.iter().any(|a| a.starts_with("--print"));
    let probe = printing && args.iter().any(|a| a == "___");
    if printing && !probe {
        return plan;
    }
    if shared_only(args) {
        plan.after
            .extend(["-C".to_string(), "target-feature=-crt-static".to_string()]);
    }
    let knows_veridian = !probe && manifest_dir.is_some_and(names_veridian);
    if !knows_veridian {
        plan.before.extend(LINUX_CFGS.iter().map(|s| s.to_string()));
    }
    plan.filter_cfg_print = probe;
    plan
}

/// Every `--crate-type` is cdylib or dylib, and crt-static is not named.
fn shared_only(args: &[String]) -> bool {
    let mut types = Vec::new();
    let mut prev = "";
    for arg in args {
        if prev == "--crate-type" {
            types.extend(arg.split(','));
        } else if let Some(list) = arg.strip_prefix("--crate-type=") {
            types.extend(list.split(','));
        }
        if arg.contains("crt-static") {
            return false;
        }
        prev = arg;
    }
    !types.is_empty() && types.iter().all(|t| *t == "cdylib" || *t == "dylib")
}

/// rustc's `--print=cfg` output without `target_os="veridian"` and
/// `target_env=""`, which the Linux cfgs stand in for.
fn filter_cfg(printed: &str) -> String {
    printed
        .lines()
        .filter(|l| *l != "target_os=\"veridian\"" && *l != "target_env=\"\"")
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A `.rs` file or `Cargo.toml` below `dir` (not in a `target` folder)
/// names `target_os = "veridian"`.
fn names_veridian(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        if kind.is_dir() {
            if name != "target" && names_veridian(&path) {
                return true;
            }
        } else if (path.extension().is_some_and(|e| e == "rs") || name == "Cargo.toml")
            && fs::read_to_string(&path).is_ok_and(|text| mentions_veridian_os(&text))
        {
            return true;
        }
    }
    false
}

/// `target_os`, optional spaces, `=`, optional spaces, `"veridian"`.
fn mentions_veridian_os(text: &str) -> bool {
    text.match_indices("target_os").any(|(at, key)| {
        let rest = text[at + key.len()..].trim_start_matches(' ');
        rest.strip_prefix('=')
            .is_some_and(|r| r.trim_start_matches(' ').starts_with("\"veridian\""))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_os_is_named_with_any_spacing() {
        assert!(mentions_veridian_os("#[cfg(target_os = \"veridian\")]"));
        assert!(mentions_veridian_os("cfg(target_os=\"veridian\")"));
        assert!(!mentions_veridian_os("cfg(target_os = \"linux\")"));
        assert!(!mentions_veridian_os("target_os veridian"));
    }

    #[test]
    fn unaware_crates_get_linux_cfgs() {
        let p = plan(
            &words("--crate-name libc --edition=2021 src/lib.rs --crate-type lib"),
            None,
        );
        assert_eq!(p.before, LINUX_CFGS);
        assert!(p.after.is_empty() && !p.filter_cfg_print);
    }

    #[test]
    fn aware_crates_are_left_alone() {
        let dir = std::env::temp_dir().join(format!("rustc-wrapper-test-{}", std::process::id()));
        fs::create_dir_all(dir.join("src/sys")).unwrap();
        fs::create_dir_all(dir.join("target")).unwrap();
        fs::write(dir.join("target/x.rs"), "cfg(target_os = \"veridian\")").unwrap();
        fs::write(dir.join("src/lib.rs"), "mod sys;").unwrap();
        let args = words("--crate-name demo src/lib.rs --crate-type lib");
        assert_eq!(
            plan(&args, Some(&dir)).before,
            LINUX_CFGS,
            "target/ is not the crate's source"
        );
        fs::write(
            dir.join("src/sys/mod.rs"),
            "#[cfg(target_os = \"veridian\")]\nfn f() {}",
        )
        .unwrap();
        assert!(plan(&args, Some(&dir)).before.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cargos_probe_reports_linux() {
        let args = words("- --crate-name ___ --print=file-names --crate-type bin --print=cfg");
        let p = plan(&args, None);
        assert_eq!(p.before, LINUX_CFGS);
        assert!(p.filter_cfg_print);
        let printed = "debug_assertions\ntarget_env=\"\"\ntarget_env=\"musl\"\ntarget_os=\"linux\"\ntarget_os=\"veridian\"\nunix\n";
        assert_eq!(
            filter_cfg(printed),
            "debug_assertions\ntarget_env=\"musl\"\ntarget_os=\"linux\"\nunix\n"
        );
        assert_eq!(plan(&words("--print sysroot"), None), Plan::default());
        assert_eq!(plan(&words("-vV"), None), Plan::default());
    }

    #[test]
    fn shared_libraries_link_libc_so() {
        assert!(shared_only(&words("--crate-type cdylib")));
        assert!(shared_only(&words("--crate-type=dylib,cdylib")));
        assert!(!shared_only(&words(
            "--crate-type cdylib --crate-type rlib"
        )));
        assert!(!shared_only(&words("--crate-type proc-macro")));
        assert!(!shared_only(&words(
            "--crate-type cdylib -C target-feature=+crt-static"
        )));
        let p = plan(&words("--crate-name plug --crate-type cdylib"), None);
        assert_eq!(p.after, ["-C", "target-feature=-crt-static"]);
    }
}
