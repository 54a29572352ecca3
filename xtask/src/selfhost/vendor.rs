//! Offline crates for the Rust source: `cargo vendor` of what bootstrap
//! builds, then the cfg rewrite std's libc gets (VeridianOS takes Linux's
//! code paths everywhere), after which the touched crates' per-file
//! checksums are emptied so cargo accepts the edited files.
//!
//! Vendoring is slow and every rewritten build script gets a new
//! modification time, which makes cargo rerun it and rebuild everything
//! above it (libc: the whole compiler). So it runs only when its inputs
//! change: the pristine lock files (Debian trims them, and `cargo vendor`
//! re-resolves what they lack, so the working copies differ afterwards),
//! the library manifest and these rules. The working copies it leaves are
//! kept across source re-copies ([`KEPT`]).

use anyhow::{Context, Result};
use regex::Regex;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;
use walkdir::WalkDir;

use super::run;
use super::rustsrc::area;
use crate::toolchain::cfg_rewrite::{self, Rules};
use crate::toolchain::{stamp, stdsrc, HOST_CARGO};

/// Manifests whose dependencies bootstrap builds or reads (and so must be
/// vendored): `x.py dist` runs `cargo metadata` over all of bootstrap's
/// `default_paths_to_vendor` for the COPYRIGHT file, clippy's test crates,
/// rust-analyzer and rustbook included.
pub const VENDOR_SYNC: &[&str] = &[
    "src/bootstrap/Cargo.toml",
    "src/tools/cargo/Cargo.toml",
    "library/Cargo.toml",
    "src/tools/clippy/clippy_test_deps/Cargo.toml",
    "src/tools/rust-analyzer/Cargo.toml",
    "src/tools/rustbook/Cargo.toml",
];

/// What vendoring leaves in the source tree, kept when the tree is copied
/// again: the crates and the lock files `cargo vendor` completed.
pub const KEPT: &[&str] = &[
    "vendor",
    "Cargo.lock",
    "src/bootstrap/Cargo.lock",
    "src/tools/cargo/Cargo.lock",
    "src/tools/clippy/clippy_test_deps/Cargo.lock",
    "src/tools/rust-analyzer/Cargo.lock",
    "src/tools/rustbook/Cargo.lock",
];

/// The vendor step's inputs (see the module documentation).
fn inputs_digest(src: &Path) -> Result<String> {
    let pristine = Path::new(stdsrc::RUST_SRC);
    let mut inputs = stamp::Inputs::default()
        .text("rewrite", include_str!("../toolchain/cfg_rewrite.rs"))
        .text("vendor-rules", include_str!("vendor.rs"));
    for lock in &KEPT[1..] {
        inputs = inputs.tree(&pristine.join(lock))?;
    }
    Ok(inputs.tree(&src.join("library/Cargo.toml"))?.digest())
}

/// `cargo vendor` (crates.io, through cargo) and the cfg rewrite over the
/// vendored crates, unless done for the same inputs already.
pub fn vendor(src: &Path) -> Result<()> {
    let digest = inputs_digest(src)?;
    let stamp_file = area().join("vendor.stamp");
    write_source_replacement(src)?;
    if src.join("vendor").is_dir() && stamp::is_current(&stamp_file, &digest) {
        return Ok(());
    }
    // Start from pristine crates: the rewrite is applied to fresh copies only.
    if src.join("vendor").exists() {
        fs::remove_dir_all(src.join("vendor"))?;
    }
    let mut cmd = Command::new(HOST_CARGO);
    cmd.arg("vendor").arg("--versioned-dirs");
    for m in VENDOR_SYNC {
        cmd.arg("--sync").arg(m);
    }
    cmd.arg("vendor").current_dir(src);
    run::run_long(
        "cargo vendor (crates.io)",
        &run::log_dir(&area()),
        "vendor",
        &cmd,
    )?;
    let n = crate::progress::run_step("cfg rewrite of the vendored crates", || {
        rewrite_vendor(&src.join("vendor"))
    })?;
    println!("  vendor: {n} predicates now include target_os = \"veridian\"");
    stamp::record(&stamp_file, &digest)
}

/// `.cargo/config.toml` of the source tree: crates.io is replaced by vendor/
/// (what `cargo vendor` prints; bootstrap requires the file when vendoring).
pub fn write_source_replacement(src: &Path) -> Result<()> {
    fs::create_dir_all(src.join(".cargo"))?;
    fs::write(
        src.join(".cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n",
    )?;
    Ok(())
}

/// Build scripts compare `CARGO_CFG_TARGET_OS` with strings; VeridianOS
/// answers where Linux does: `x == "linux"` also accepts "veridian",
/// `x != "linux"` also rejects it, and a `"linux" =>` match arm also takes it.
pub fn rewrite_build_script(source: &str) -> (String, usize) {
    static EQ: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"([A-Za-z_][\w.]*)\s*==\s*"linux""#).expect("valid regex"));
    static NE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"([A-Za-z_][\w.]*)\s*!=\s*"linux""#).expect("valid regex"));
    static ARM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#""linux"(\s*)=>"#).expect("valid regex"));
    let mut count = 0;
    let text = EQ.replace_all(source, |c: &regex::Captures| {
        count += 1;
        format!(r#"({0} == "linux" || {0} == "veridian")"#, &c[1])
    });
    let text = NE.replace_all(&text, |c: &regex::Captures| {
        count += 1;
        format!(r#"({0} != "linux" && {0} != "veridian")"#, &c[1])
    });
    let text = ARM.replace_all(&text, |c: &regex::Captures| {
        count += 1;
        format!(r#""linux" | "veridian"{}=>"#, &c[1])
    });
    (text.into_owned(), count)
}

/// True for a crate's build script sources (`build.rs`, `build/**.rs`).
fn is_build_script(crate_dir: &Path, file: &Path) -> bool {
    let rel = file.strip_prefix(crate_dir).unwrap_or(file);
    rel == Path::new("build.rs") || rel.starts_with("build")
}

/// Rewrites every vendored crate: its Rust files get the cfg rewrite (Linux
/// and musl rules; so do Cargo.toml target tables), its build script the
/// [`rewrite_build_script`] rule; each touched crate's file checksums are
/// emptied.
pub fn rewrite_vendor(vendor: &Path) -> Result<usize> {
    let mut total = 0;
    for entry in fs::read_dir(vendor)? {
        let dir = entry?.path();
        if !dir.is_dir() {
            continue;
        }
        // musl is VeridianOS's libc, so crates' musl-specific code (struct
        // layouts like msg_iovlen, missing glibc extensions) applies too.
        let rules = Rules::OsAndMusl;
        let mut touched = 0;
        for file in WalkDir::new(&dir).into_iter().filter_map(|e| e.ok()) {
            let path = file.path();
            let is_rs = path.extension().is_some_and(|e| e == "rs");
            let is_manifest = path == dir.join("Cargo.toml");
            if !is_rs && !is_manifest {
                continue;
            }
            let text = match fs::read_to_string(path) {
                Ok(t) => t,
                Err(_) => continue,
            };
            let (mut out, mut n) = cfg_rewrite::rewrite(&text, rules);
            if is_rs && is_build_script(&dir, path) {
                let (o, m) = rewrite_build_script(&out);
                out = o;
                n += m;
            }
            if n > 0 {
                fs::write(file.path(), out)?;
                touched += n;
            }
        }
        if touched > 0 {
            forget_file_checksums(&dir.join(".cargo-checksum.json"))?;
            total += touched;
        }
    }
    Ok(total)
}

/// Keeps a crate's package checksum but drops the per-file ones.
pub fn forget_file_checksums(path: &Path) -> Result<()> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut json: serde_json::Value = serde_json::from_str(&text)?;
    json["files"] = serde_json::json!({});
    fs::write(path, serde_json::to_string(&json)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_lock_files_do_not_decide_revendoring() {
        if !Path::new(stdsrc::RUST_SRC).join("Cargo.lock").exists() {
            eprintln!("SKIP: no rust-web-src at {}", stdsrc::RUST_SRC);
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        for src in [&a, &b] {
            fs::create_dir_all(src.join("library")).unwrap();
            fs::write(src.join("library/Cargo.toml"), "[workspace]\n").unwrap();
        }
        fs::write(b.join("Cargo.lock"), "completed by cargo vendor\n").unwrap();
        assert_eq!(inputs_digest(&a).unwrap(), inputs_digest(&b).unwrap());
        fs::write(
            b.join("library/Cargo.toml"),
            "[workspace]\nmembers = [\"std\"]\n",
        )
        .unwrap();
        assert_ne!(
            inputs_digest(&a).unwrap(),
            inputs_digest(&b).unwrap(),
            "the library manifest counts"
        );
        let real = area().join("src");
        if real.join("library/Cargo.toml").exists() {
            eprintln!(
                "vendor inputs of {}: {}",
                real.display(),
                inputs_digest(&real).unwrap()
            );
        }
    }

    #[test]
    fn vendored_crates_are_rewritten_and_checksums_relaxed() {
        let tmp = tempfile::tempdir().unwrap();
        let v = tmp.path();
        for (name, code) in [
            ("libc-0.2.99", "#[cfg(target_env = \"musl\")]\nfn a() {}\n#[cfg(target_os = \"linux\")]\nfn b() {}\n"),
            ("errno-0.3.0", "#[cfg(target_os = \"linux\")]\nfn c() {}\n#[cfg(target_env = \"musl\")]\nfn d() {}\n"),
            ("untouched-1.0.0", "fn e() {}\n"),
        ] {
            fs::create_dir_all(v.join(name).join("src")).unwrap();
            fs::write(v.join(name).join("src/lib.rs"), code).unwrap();
            fs::write(v.join(name).join(".cargo-checksum.json"), r#"{"files":{"src/lib.rs":"00"},"package":"ab"}"#).unwrap();
        }
        let n = rewrite_vendor(v).unwrap();
        assert_eq!(n, 4, "os and musl rules in every crate");
        let libc = fs::read_to_string(v.join("libc-0.2.99/src/lib.rs")).unwrap();
        assert!(
            libc.contains("target_os = \"veridian\"")
                && !libc.contains("cfg(target_env = \"musl\")]")
        );
        let errno = fs::read_to_string(v.join("errno-0.3.0/src/lib.rs")).unwrap();
        assert!(
            errno.contains("any(target_env = \"musl\", target_os = \"veridian\")"),
            "musl code applies"
        );
        let sums: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(v.join("errno-0.3.0/.cargo-checksum.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(sums["files"], serde_json::json!({}));
        assert_eq!(sums["package"], "ab");
        let kept = fs::read_to_string(v.join("untouched-1.0.0/.cargo-checksum.json")).unwrap();
        assert!(
            kept.contains("src/lib.rs"),
            "untouched crates keep their checksums"
        );
    }

    #[test]
    fn build_scripts_see_veridian_as_linux() {
        let src = "let os = var(\"CARGO_CFG_TARGET_OS\").unwrap();\nif os == \"linux\" || os == \"android\" {}\nif arch != \"x86\" || os != \"linux\" {}\nmatch os.as_str() { \"linux\" => 1, _ => 2 };\n";
        let (out, n) = rewrite_build_script(src);
        assert_eq!(n, 3);
        assert!(out.contains(r#"(os == "linux" || os == "veridian") || os == "android""#));
        assert!(out.contains(r#"(os != "linux" && os != "veridian")"#));
        assert!(out.contains(r#""linux" | "veridian" =>"#));
        assert!(is_build_script(
            Path::new("/v/c"),
            Path::new("/v/c/build.rs")
        ));
        assert!(is_build_script(
            Path::new("/v/c"),
            Path::new("/v/c/build/main.rs")
        ));
        assert!(!is_build_script(
            Path::new("/v/c"),
            Path::new("/v/c/src/build.rs")
        ));
    }
}
