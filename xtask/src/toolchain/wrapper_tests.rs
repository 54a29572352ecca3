//! The `bin/rustc` and `bin/cargo` templates, run against stand-ins for
//! Debian's rustc and cargo that print the arguments they were given.

use super::install::substitute;
use crate::paths::TARGET;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A stand-in compiler: prints its arguments one a line, then, for a cfg
/// probe, what rustc prints for the target.
const FAKE_RUSTC: &str = r#"#!/bin/sh
for a in "$@"; do echo "arg:$a"; done
case " $* " in *" --print"*)
    echo 'target_env=""'; echo 'target_os="veridian"'
    echo 'target_env="musl"'; echo 'target_os="linux"' ;;
esac
"#;

struct Setup {
    _dir: tempfile::TempDir,
    toolchain: PathBuf,
    wrapper: PathBuf,
}

fn setup(template: &str, host_tool: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let toolchain = dir.path().join("toolchain");
    fs::create_dir_all(toolchain.join("bin")).unwrap();
    let fake = dir.path().join("host-tool");
    write_script(&fake, host_tool);
    let text = fs::read_to_string(crate::paths::repo_root().join(template)).unwrap();
    let wrapper = toolchain.join("bin/tool");
    let vars = [
        ("RUSTC", fake.to_str().unwrap()),
        ("CARGO", fake.to_str().unwrap()),
        ("TOOLCHAIN", toolchain.to_str().unwrap()),
        ("TARGET", TARGET),
    ];
    write_script(&wrapper, &substitute(&text, &vars));
    Setup {
        _dir: dir,
        toolchain,
        wrapper,
    }
}

fn write_script(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn run(s: &Setup, args: &[&str], manifest_dir: Option<&Path>) -> Vec<String> {
    let mut cmd = Command::new(&s.wrapper);
    cmd.args(args).env_remove("CARGO_MANIFEST_DIR");
    cmd.env_remove("CARGO_TARGET_X86_64_UNKNOWN_VERIDIAN_RUNNER");
    if let Some(dir) = manifest_dir {
        cmd.env("CARGO_MANIFEST_DIR", dir).current_dir(dir);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{:?}", out);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn has(lines: &[String], line: &str) -> bool {
    lines.iter().any(|l| l == line)
}

fn crate_dir(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("src")).unwrap();
    fs::write(dir.path().join("src/lib.rs"), source).unwrap();
    dir
}

#[test]
fn host_builds_get_only_the_sysroot() {
    let s = setup("toolchain/templates/rustc.in", FAKE_RUSTC);
    let krate = crate_dir("");
    let out = run(&s, &["--crate-name", "x", "src/lib.rs"], Some(krate.path()));
    let sysroot = format!("arg:{}", s.toolchain.display());
    assert_eq!(
        out,
        [
            "arg:--sysroot",
            &sysroot,
            "arg:--crate-name",
            "arg:x",
            "arg:src/lib.rs"
        ]
    );
}

#[test]
fn the_target_is_passed_as_its_spec_path() {
    let s = setup("toolchain/templates/rustc.in", FAKE_RUSTC);
    let spec = s
        .toolchain
        .join(format!("lib/rustlib/{TARGET}/{TARGET}.json"));
    let out = run(&s, &["--target", TARGET, "-"], None);
    assert!(has(&out, &format!("arg:{}", spec.display())), "{out:?}");
    assert!(!has(&out, &format!("arg:{TARGET}")));
    let out = run(&s, &[&format!("--target={TARGET}"), "-"], None);
    assert!(has(&out, &format!("arg:--target={}", spec.display())));
    assert!(has(&out, "arg:-Zunstable-options"));
}

#[test]
fn shared_library_crates_link_musl_dynamically() {
    let s = setup("toolchain/templates/rustc.in", FAKE_RUSTC);
    let dynamic = "arg:target-feature=-crt-static";
    for kind in ["cdylib", "dylib"] {
        let out = run(&s, &["--crate-type", kind, "--target", TARGET, "-"], None);
        assert!(has(&out, dynamic), "{kind}: {out:?}");
    }
    for args in [
        &["--crate-type", "bin", "--target", TARGET, "-"][..],
        &[
            "--crate-type",
            "cdylib",
            "--crate-type",
            "rlib",
            "--target",
            TARGET,
            "-",
        ],
        &[
            "--crate-type",
            "cdylib",
            "-C",
            "target-feature=+crt-static",
            "--target",
            TARGET,
            "-",
        ],
        &["--crate-type", "cdylib", "-"],
    ] {
        let out = run(&s, args, None);
        assert!(!has(&out, dynamic), "{args:?}: {out:?}");
    }
}

#[test]
fn crates_unaware_of_veridian_see_linux_and_musl() {
    let s = setup("toolchain/templates/rustc.in", FAKE_RUSTC);
    let krate = crate_dir("#[cfg(target_os = \"linux\")] mod linux;");
    let out = run(&s, &["--target", TARGET, "src/lib.rs"], Some(krate.path()));
    assert!(has(&out, "arg:target_os=\"linux\""), "{out:?}");
    assert!(has(&out, "arg:target_env=\"musl\""));
    assert!(has(&out, "arg:explicit_builtin_cfgs_in_flags"));
}

#[test]
fn doctests_compiled_by_rustdoc_may_carry_the_cfgs() {
    let s = setup("toolchain/templates/rustc.in", FAKE_RUSTC);
    let out = run(&s, &["@cfgs", "--sysroot", "/s", "--target", TARGET], None);
    assert!(has(&out, "arg:explicit_builtin_cfgs_in_flags"), "{out:?}");
    let out = run(&s, &["--sysroot", "/s", "x.rs"], None);
    assert_eq!(out, ["arg:--sysroot", "arg:/s", "arg:x.rs"]);
}

#[test]
fn crates_with_a_veridian_arm_are_compiled_as_written() {
    let s = setup("toolchain/templates/rustc.in", FAKE_RUSTC);
    let krate = crate_dir("#[cfg(target_os = \"veridian\")] mod veridian;");
    let out = run(&s, &["--target", TARGET, "src/lib.rs"], Some(krate.path()));
    assert!(!has(&out, "arg:target_os=\"linux\""), "{out:?}");
}

#[test]
fn the_sysroot_is_built_as_ported() {
    let s = setup("toolchain/templates/rustc.in", FAKE_RUSTC);
    let krate = crate_dir("");
    let args = [
        "--target",
        TARGET,
        "-Zforce-unstable-if-unmarked",
        "src/lib.rs",
    ];
    let out = run(&s, &args, Some(krate.path()));
    assert!(!has(&out, "arg:target_os=\"linux\""), "{out:?}");
}

#[test]
fn cargos_cfg_probe_sees_linux_and_musl_only() {
    let s = setup("toolchain/templates/rustc.in", FAKE_RUSTC);
    let probe = [
        "-",
        "--crate-name",
        "___",
        "--print=cfg",
        "--target",
        TARGET,
    ];
    let out = run(&s, &probe, None);
    assert!(has(&out, "target_os=\"linux\"") && has(&out, "target_env=\"musl\""));
    assert!(!has(&out, "target_os=\"veridian\"") && !has(&out, "target_env=\"\""));
    // A person asking rustc gets the target as it is.
    let out = run(&s, &["--print=cfg", "--target", TARGET], None);
    assert!(!has(&out, "arg:target_os=\"linux\""), "{out:?}");
}

#[test]
fn cargo_runs_target_programs_in_veridian_unless_a_runner_is_set() {
    // The stand-in cargo answers `config get` as cargo does: set or not.
    let fake = r#"#!/bin/sh
case " $* " in *" config get "*) [ -n "$USER_RUNNER" ]; exit ;; esac
for a in "$@"; do echo "arg:$a"; done
echo "cc:$CC_x86_64_unknown_veridian"
"#;
    let s = setup("toolchain/templates/cargo.in", fake);
    let runner = format!(
        "arg:target.{TARGET}.runner = [\"{}\"]",
        s.toolchain.join("bin/veridian-run").display()
    );
    let out = run(&s, &["test", "--target", TARGET], None);
    assert!(has(&out, &runner), "{out:?}");
    let gcc = s.toolchain.join("bin/x86_64-veridian-gcc");
    assert!(has(&out, &format!("cc:{}", gcc.display())));
    let out = run(&s, &["build"], None);
    assert!(!has(&out, "arg:--config"), "{out:?}");
    let mut cmd = Command::new(&s.wrapper);
    let out = cmd.args(["run"]).env("USER_RUNNER", "1").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("--config"), "{text}");
}

/// The gcc wrapper over a stand-in compiler that prints its arguments.
fn gcc_wrapper_args(args: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("gcc");
    write_script(
        &fake,
        "#!/bin/sh\nfor a in \"$@\"; do echo \"arg:$a\"; done\n",
    );
    let text =
        fs::read_to_string(crate::paths::repo_root().join("toolchain/templates/cc.in")).unwrap();
    let wrapper = dir.path().join("x86_64-veridian-gcc");
    let vars = [
        ("NAME", "x86_64-veridian-gcc"),
        ("HOSTCC", fake.to_str().unwrap()),
        ("SYSROOT", "/sysroot"),
    ];
    write_script(&wrapper, &substitute(&text, &vars));
    let out = Command::new(&wrapper).args(args).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn gcc_links_statically_unless_asked_for_dynamic_linking() {
    let plain = gcc_wrapper_args(&["a.c", "-o", "a"]);
    assert!(has(&plain, "arg:-static"), "{plain:?}");
    assert!(has(&plain, "arg:/sysroot/lib/veridian.specs"));
    for asked in ["-shared", "-pie", "-static-pie", "-c"] {
        let args = gcc_wrapper_args(&[asked, "a.c"]);
        assert!(!has(&args, "arg:-static"), "{asked}: {args:?}");
        assert!(has(&args, &format!("arg:{asked}")), "{asked}: {args:?}");
    }
    // -dynamic is the wrapper's own option: gcc never sees it.
    let dynamic = gcc_wrapper_args(&["-O2", "-dynamic", "a.c", "-o", "a b"]);
    assert_eq!(
        dynamic,
        [
            "arg:-specs",
            "arg:/sysroot/lib/veridian.specs",
            "arg:-O2",
            "arg:a.c",
            "arg:-o",
            "arg:a b"
        ]
    );
}
