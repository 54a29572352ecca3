//! The self-hosting criteria (rustc runs, compiles a hello world that runs,
//! `cargo init` and `cargo build` work, a `--crate-type lib` core file
//! compiles, a std program links and runs) and the native-build rows (real
//! projects with proc-macros built by the hosted cargo, an incremental
//! rebuild, this repository's mkfs-blockfs built and tested): the command
//! each runs inside VeridianOS, what it needs in the rootfs, and how its
//! result is judged from the serial log.
//!
//! The rootfs carries them as `/etc/veridian/verify.script`, a busybox `sh`
//! script (only criteria whose programs are in the image); `cargo xtask
//! verify` boots with init running it and reads its markers: `INIT: run
//! <words>`, the program's own output, then `INIT: exit <code> <program>`,
//! and `RUST_SELFHOST_PASS` when every self-hosting criterion passed in the
//! guest.

/// Where the script lives in the image.
pub const SCRIPT_PATH: &str = "/etc/veridian/verify.script";

/// Source files the criteria compile, staged under this folder.
pub const SHARE_DIR: &str = "/usr/local/share/veridian";

/// The projects the native-build rows build, one folder each.
pub const PROJECTS_DIR: &str = "/usr/local/share/veridian/projects";

/// One criterion.
pub struct Criterion {
    pub name: &'static str,
    /// Words of the command (percent-encoding not needed: no spaces inside words).
    pub command: &'static str,
    /// A file the command needs in the image; absent means SKIP with `missing_reason`.
    pub needs: &'static str,
    pub missing_reason: &'static str,
    /// Text the output must contain, besides exit status 0.
    pub expect: Option<&'static str>,
    /// One of the seed's self-hosting criteria, which [`PASS_MARKER`] sums
    /// up (the others are the native-build rows).
    pub seed: bool,
}

const NO_RUSTC: &str = "no rustc for host x86_64-unknown-veridian in the rootfs: `cargo xtask rustc` has not built it here";
const NO_CARGO: &str = "no cargo for host x86_64-unknown-veridian in the rootfs: `cargo xtask rustc` has not built it here";

/// The criteria, in the order they run (later ones use what earlier ones make).
pub const CRITERIA: &[Criterion] = &[
    Criterion {
        name: "rustc runs",
        command: "/usr/local/bin/rustc --version",
        needs: "/usr/local/bin/rustc",
        missing_reason: NO_RUSTC,
        expect: Some("rustc 1.96"),
        seed: true,
    },
    Criterion {
        name: "hello compiles",
        command: "/usr/local/bin/rustc /usr/local/share/veridian/hello.rs -o /tmp/hello",
        needs: "/usr/local/bin/rustc",
        missing_reason: NO_RUSTC,
        expect: None,
        seed: true,
    },
    Criterion {
        name: "hello executes",
        command: "/tmp/hello",
        needs: "/usr/local/bin/rustc",
        missing_reason: NO_RUSTC,
        expect: Some("Hello from VeridianOS rustc!"),
        seed: true,
    },
    Criterion {
        name: "cargo init",
        command: "/usr/local/bin/cargo init --offline /tmp/test-project",
        needs: "/usr/local/bin/cargo",
        missing_reason: NO_CARGO,
        expect: None,
        seed: true,
    },
    Criterion {
        name: "cargo build",
        command: "/usr/local/bin/cargo build --offline --manifest-path /tmp/test-project/Cargo.toml",
        needs: "/usr/local/bin/cargo",
        missing_reason: NO_CARGO,
        expect: None,
        seed: true,
    },
    Criterion {
        name: "cargo's binary",
        command: "/tmp/test-project/target/debug/test-project",
        needs: "/usr/local/bin/cargo",
        missing_reason: NO_CARGO,
        expect: Some("Hello, world!"),
        seed: true,
    },
    Criterion {
        name: "core compiles",
        command: "/usr/local/bin/rustc --edition 2021 --crate-type lib /usr/local/share/veridian/core_test.rs -o /tmp/libcore_test.rlib",
        needs: "/usr/local/bin/rustc",
        missing_reason: NO_RUSTC,
        expect: None,
        seed: true,
    },
    Criterion {
        name: "std links",
        command: "/usr/local/bin/std-links",
        needs: "/usr/local/bin/std-links",
        missing_reason: "std-links was not staged into the rootfs",
        expect: Some("std links: println, File and Vec work"),
        seed: true,
    },
    Criterion {
        name: "proc-macro project builds",
        command: "/usr/local/bin/native-build build /usr/local/share/veridian/projects/derive-demo",
        needs: "/usr/local/bin/cargo",
        missing_reason: NO_CARGO,
        expect: Some("native-build: derive-demo built"),
        seed: false,
    },
    Criterion {
        name: "proc-macro project runs",
        command: "/tmp/native/derive-demo/target/debug/derive-demo --name VeridianOS --times 2",
        needs: "/usr/local/bin/cargo",
        missing_reason: NO_CARGO,
        expect: Some(r#"derive-demo: {"name":"VeridianOS","times":2,"words":["hello, VeridianOS","hello, VeridianOS"]}"#),
        seed: false,
    },
    Criterion {
        name: "one-line rebuild is incremental",
        command: "/usr/local/bin/native-build rebuild derive-demo src/main.rs",
        needs: "/usr/local/bin/cargo",
        missing_reason: NO_CARGO,
        expect: Some("native-build: incremental: 1 crate recompiled"),
        seed: false,
    },
    Criterion {
        name: "mkfs-blockfs builds",
        command: "/usr/local/bin/native-build build /usr/local/share/veridian/projects/mkfs-blockfs",
        needs: "/usr/local/bin/cargo",
        missing_reason: NO_CARGO,
        expect: Some("native-build: mkfs-blockfs built"),
        seed: false,
    },
    Criterion {
        name: "mkfs-blockfs formats",
        command: "/tmp/native/mkfs-blockfs/target/debug/mkfs-blockfs --output /tmp/native/guest.img --size 8",
        needs: "/usr/local/bin/cargo",
        missing_reason: NO_CARGO,
        expect: Some("mkfs-blockfs: 2029 of 2048 blocks free"),
        seed: false,
    },
    Criterion {
        name: "mkfs-blockfs tests pass",
        command: "/usr/local/bin/native-build test mkfs-blockfs",
        needs: "/usr/local/bin/cargo",
        missing_reason: NO_CARGO,
        expect: Some("native-build: mkfs-blockfs tests passed"),
        seed: false,
    },
    Criterion {
        name: "mkfs-blockfs doctests pass",
        command: "/usr/local/bin/native-build doctest mkfs-blockfs",
        needs: "/usr/local/bin/rustdoc",
        missing_reason: "no rustdoc for host x86_64-unknown-veridian in the rootfs: the hosted toolchain here was built before `cargo xtask rustc` built rustdoc (rerun it)",
        expect: Some("native-build: mkfs-blockfs doctests passed"),
        seed: false,
    },
    Criterion {
        name: "C through the cc crate",
        command: "/usr/local/bin/native-build build /usr/local/share/veridian/projects/cc-demo",
        needs: "/usr/local/bin/cc",
        missing_reason: "no C compiler for host x86_64-unknown-veridian in the rootfs: `cargo xtask llvm` has not built clang here",
        expect: Some("native-build: cc-demo built"),
        seed: false,
    },
    Criterion {
        name: "C through the cc crate runs",
        command: "/tmp/native/cc-demo/target/debug/cc-demo",
        needs: "/usr/local/bin/cc",
        missing_reason: "no C compiler for host x86_64-unknown-veridian in the rootfs: `cargo xtask llvm` has not built clang here",
        expect: Some("cc-demo: fletcher16(abcde) = 0xc8f0 from C, as in Rust"),
        seed: false,
    },
];

/// `hello.rs` for "hello compiles".
pub const HELLO_RS: &str = "fn main() {\n    println!(\"Hello from VeridianOS rustc!\");\n}\n";

/// `core_test.rs` for "core compiles": a no_std library using core only.
pub const CORE_TEST_RS: &str = "#![no_std]\n\npub fn checked_sum(xs: &[u32]) -> Option<u32> {\n    xs.iter().try_fold(0u32, |acc, &x| acc.checked_add(x))\n}\n";

/// What the guest prints when every criterion ran and passed.
pub const PASS_MARKER: &str = "RUST_SELFHOST_PASS";

/// The busybox `sh` script for an image holding the files `present` says
/// it holds: each runnable criterion between init-style markers (`INIT: run
/// <command>`, its output, `INIT: exit <code> <program>`), judged in the
/// guest too (status 0 and the expected text); [`PASS_MARKER`] at the end
/// only when no self-hosting criterion failed or was left out.
pub fn script(present: impl Fn(&str) -> bool) -> String {
    let mut text = String::from(
        "# cargo xtask verify: the self-hosting criteria (busybox sh)\n\
         failed=0\n\
         seed_failed=0\n\
         criterion() {\n\
         \x20   group=$1; want=$2; shift 2\n\
         \x20   echo \"INIT: run $*\"\n\
         \x20   { \"$@\"; echo $? > /tmp/.criterion-status; } 2>&1 | tee /tmp/.criterion-output\n\
         \x20   code=$(cat /tmp/.criterion-status)\n\
         \x20   echo \"INIT: exit $code $1\"\n\
         \x20   ok=1\n\
         \x20   [ \"$code\" = 0 ] || ok=\n\
         \x20   [ -z \"$want\" ] || grep -qF -- \"$want\" /tmp/.criterion-output || ok=\n\
         \x20   [ -n \"$ok\" ] && return\n\
         \x20   failed=$((failed + 1))\n\
         \x20   [ \"$group\" = seed ] && seed_failed=$((seed_failed + 1))\n\
         }\n",
    );
    let mut skipped = 0;
    let mut seed_skipped = 0;
    for c in CRITERIA {
        if !present(c.needs) {
            skipped += 1;
            seed_skipped += usize::from(c.seed);
            continue;
        }
        let want = c.expect.unwrap_or_default();
        assert!(!want.contains('\''), "expected text {want:?} holds a quote");
        let group = if c.seed { "seed" } else { "native" };
        text.push_str(&format!("criterion {group} '{want}' {}\n", c.command));
    }
    text.push_str(&format!(
        "skipped={skipped}\n\
         if [ $seed_failed = 0 ] && [ {seed_skipped} = 0 ]; then echo {PASS_MARKER}; fi\n\
         echo \"INIT: script done, $failed failed, $skipped skipped\"\n\
         [ $failed = 0 ]\n"
    ));
    text
}

/// A criterion's verdict.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass(String),
    Fail(String),
    Skip(String),
}

/// Judges every criterion from the serial log of a `--script` boot.
/// `present` tells which files the image holds; `cut_short`, why the boot
/// ended before the script did, if it did: a criterion that finished keeps
/// its verdict, one that never finished fails with that reason first.
pub fn judge(
    log: &str,
    present: impl Fn(&str) -> bool,
    cut_short: Option<&str>,
) -> Vec<(&'static str, Verdict)> {
    CRITERIA
        .iter()
        .map(|c| {
            let verdict = if !present(c.needs) {
                Verdict::Skip(c.missing_reason.to_string())
            } else {
                judge_one(c, log, cut_short)
            };
            (c.name, verdict)
        })
        .collect()
}

fn judge_one(c: &Criterion, log: &str, cut_short: Option<&str>) -> Verdict {
    let unfinished = |detail: String| {
        Verdict::Fail(match cut_short {
            Some(why) => format!("{why}: {detail}"),
            None => detail,
        })
    };
    let run_marker = format!("INIT: run {}", c.command);
    let Some(start) = log.lines().position(|l| l.trim_end() == run_marker) else {
        return unfinished(format!("never started: no `{run_marker}` in the log"));
    };
    let program = c.command.split_whitespace().next().unwrap_or_default();
    let body: Vec<&str> = log.lines().skip(start + 1).collect();
    let exit_prefix = "INIT: exit ";
    let Some(end) = body
        .iter()
        .position(|l| l.starts_with(exit_prefix) && l.contains(program))
    else {
        return unfinished(format!(
            "{program} never finished; last lines: {}",
            tail(&body, 5)
        ));
    };
    let output = &body[..end];
    let code: Option<i32> = body[end][exit_prefix.len()..]
        .split_whitespace()
        .next()
        .and_then(|w| w.parse().ok());
    match (code, c.expect) {
        (Some(0), Some(want)) if output.iter().any(|l| l.contains(want)) => {
            let line = output
                .iter()
                .find(|l| l.contains(want))
                .expect("just found");
            Verdict::Pass(format!("printed \"{}\"", line.trim()))
        }
        (Some(0), Some(want)) => {
            Verdict::Fail(format!("exit 0 but no \"{want}\" in: {}", tail(output, 5)))
        }
        (Some(0), None) => Verdict::Pass("exit status 0".into()),
        _ => Verdict::Fail(format!("{}; output: {}", body[end], tail(output, 5))),
    }
}

fn tail(lines: &[&str], n: usize) -> String {
    let from = lines.len().saturating_sub(n);
    let shown: Vec<&str> = lines[from..].iter().map(|l| l.trim()).collect();
    if shown.is_empty() {
        "(nothing)".into()
    } else {
        shown.join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_links<'a>(rows: &'a [(&'static str, Verdict)]) -> &'a (&'static str, Verdict) {
        rows.iter().find(|(name, _)| *name == "std links").unwrap()
    }

    fn only_std_links(path: &str) -> bool {
        path == "/usr/local/bin/std-links"
    }

    #[test]
    fn script_lists_only_runnable_criteria() {
        let text = script(only_std_links);
        let commands: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("criterion "))
            .collect();
        assert_eq!(
            commands,
            vec!["criterion seed 'std links: println, File and Vec work' /usr/local/bin/std-links"]
        );
        assert!(text.contains(&format!("skipped={}\n", CRITERIA.len() - 1)));
        let all = script(|_| true);
        assert!(
            all.contains("skipped=0\n") && all.contains("[ 0 = 0 ]; then echo RUST_SELFHOST_PASS")
        );
        // The native-build rows do not hold the marker back.
        let seed_only = script(|p| p != "/usr/local/bin/cc");
        assert!(seed_only.contains("[ 0 = 0 ]; then echo RUST_SELFHOST_PASS"));
        assert!(text.contains("then echo RUST_SELFHOST_PASS"));
        assert!(!text.contains("[ 0 = 0 ]; then echo RUST_SELFHOST_PASS"));
    }

    /// The script's helper, run by a real `sh` over stand-in commands: a
    /// failing native-build row fails the script but keeps the marker.
    #[test]
    fn script_marker_follows_the_seed_rows() {
        let all = script(|_| true);
        let helper_end = all.find("}\n").unwrap() + 2;
        let run = |rows: &str| {
            let text = format!(
                "{}{rows}if [ $seed_failed = 0 ]; then echo {PASS_MARKER}; fi\n[ $failed = 0 ]\n",
                &all[..helper_end]
            );
            std::process::Command::new("sh")
                .arg("-c")
                .arg(text)
                .output()
                .unwrap()
        };
        let out = run("criterion seed 'hi' echo hi\ncriterion native '' false\n");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("INIT: exit 0 echo") && stdout.contains("INIT: exit 1 false"));
        assert!(
            stdout.contains(PASS_MARKER) && !out.status.success(),
            "{stdout}"
        );
        let out = run("criterion seed 'bye' echo hi\n");
        assert!(!String::from_utf8_lossy(&out.stdout).contains(PASS_MARKER));
        assert!(!out.status.success());
    }

    #[test]
    fn passing_failing_and_skipped_rows() {
        let log = "veridian: boot\nINIT: run /usr/local/bin/std-links\nstd links: println, File and Vec work (sum of squares 385)\nINIT: exit 0 /usr/local/bin/std-links (0.010 s)\n";
        let rows = judge(log, only_std_links, None);
        assert!(matches!(std_links(&rows), ("std links", Verdict::Pass(_))));
        assert!(matches!(rows[0], ("rustc runs", Verdict::Skip(_))));

        let crashed = "INIT: run /usr/local/bin/std-links\nthread 'main' panicked\nINIT: exit 134 /usr/local/bin/std-links (0.010 s)\n";
        let rows = judge(crashed, only_std_links, None);
        match &std_links(&rows).1 {
            Verdict::Fail(why) => assert!(
                why.contains("exit 134") && why.contains("panicked"),
                "{why}"
            ),
            other => panic!("expected FAIL, got {other:?}"),
        }

        let silent =
            "INIT: run /usr/local/bin/std-links\nINIT: exit 0 /usr/local/bin/std-links (0.010 s)\n";
        assert!(matches!(
            std_links(&judge(silent, only_std_links, None)).1,
            Verdict::Fail(_)
        ));
        assert!(matches!(
            std_links(&judge("", only_std_links, None)).1,
            Verdict::Fail(_)
        ));
    }
}
