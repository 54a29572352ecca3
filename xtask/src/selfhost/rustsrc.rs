//! The Rust source for `cargo xtask rustc`: a copy of Debian's rust-web-src
//! (the system copy is never modified) whose `library/` is the toolchain's
//! patched std source, with `patches/rust/*.patch` applied (the target built
//! into rustc_target and bootstrap) and every crate vendored for offline
//! builds ([`vendor`]).

use anyhow::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{llvm, run, vendor};
use crate::paths;
use crate::toolchain::{stamp, stdsrc};

/// `<build root>/rust`.
pub fn area() -> PathBuf {
    super::build_root().join("rust")
}

/// The prepared source tree (x.py lives here).
pub fn src_dir() -> PathBuf {
    area().join("src")
}

/// A digest of what the prepared source is made of: Debian's Rust version,
/// the toolchain's std source, `patches/rust`.
pub fn source_digest(library: &Path) -> Result<String> {
    let library_stamp = fs::read_to_string(library.with_file_name(".stamp")).unwrap_or_default();
    Ok(stamp::Inputs::default()
        .text("rust", &stdsrc::installed_version()?)
        .text("library", &library_stamp)
        .tree(&paths::repo_root().join("patches/rust"))?
        .digest())
}

/// Copies, patches and vendors the source when its inputs changed.
pub fn prepare(library: &Path) -> Result<PathBuf> {
    let src = src_dir();
    let root = paths::repo_root();
    let digest = source_digest(library)?;
    let stamp_file = area().join("src.stamp");
    if !stamp::is_current(&stamp_file, &digest) {
        crate::progress::run_step("copy and patch the Rust source", || {
            copy_and_patch(&src, library, &root)
        })?;
        stamp::record(&stamp_file, &digest)?;
    }
    vendor::vendor(&src)?;
    // x.py dist's legal inputs, which Debian's source leaves out; the
    // LICENSE-* files first, since LICENSES/ copies them.
    legal_files(&src)?;
    license_folder(&src)?;
    license_metadata_file(&src)?;
    Ok(src)
}

/// `x.py dist` ships `LICENSES/*` with rustc, a folder Debian's source
/// leaves out; it gets the license texts Debian does ship: the top-level
/// COPYRIGHT and LICENSE-* files and `debian/copyright`.
fn license_folder(src: &Path) -> Result<()> {
    let dir = src.join("LICENSES");
    fs::create_dir_all(&dir)?;
    for entry in fs::read_dir(src)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if path.is_file() && (name == "COPYRIGHT" || name.starts_with("LICENSE-")) {
            fs::copy(&path, dir.join(&name))?;
        }
    }
    if src.join("debian/copyright").is_file() {
        fs::copy(src.join("debian/copyright"), dir.join("debian-copyright"))?;
    }
    Ok(())
}

/// Writes [`LICENSE_METADATA`] unless the source has one.
fn license_metadata_file(src: &Path) -> Result<()> {
    if !src.join(LICENSE_METADATA).exists() {
        fs::write(src.join(LICENSE_METADATA), license_metadata().to_string())?;
    }
    Ok(())
}

/// Debian's source drops the LICENSE-* files that every dist tarball
/// carries (the Rust overlay: top level; cargo's: src/tools/cargo; rustdoc's
/// copies, which its build script embeds in the pages it writes:
/// src/librustdoc/html/static). They come back from Debian's own copy of
/// the Apache-2.0 text, the MIT notice, and, for cargo's third-party
/// notice, a pointer to debian/copyright.
fn legal_files(src: &Path) -> Result<()> {
    for dir in [src.to_path_buf(), src.join("src/tools/cargo")] {
        if !dir.join("LICENSE-APACHE").exists() {
            fs::copy(APACHE_TEXT, dir.join("LICENSE-APACHE"))
                .with_context(|| format!("cannot copy {APACHE_TEXT}"))?;
        }
        if !dir.join("LICENSE-MIT").exists() {
            fs::write(dir.join("LICENSE-MIT"), MIT_NOTICE)?;
        }
    }
    let rustdoc_static = src.join("src/librustdoc/html/static");
    for name in ["LICENSE-APACHE", "LICENSE-MIT"] {
        let copy = rustdoc_static.join(format!("{name}.txt"));
        if rustdoc_static.is_dir() && !copy.exists() {
            fs::copy(src.join(name), &copy)
                .with_context(|| format!("cannot write {}", copy.display()))?;
        }
    }
    let third_party = src.join("src/tools/cargo/LICENSE-THIRD-PARTY");
    if !third_party.exists() {
        fs::write(
            third_party,
            "The licenses of the crates cargo is built from are listed in debian/copyright of Debian's\n\
             rust-web-src, from which this cargo was built (also shipped as share/doc/rust/licenses/debian-copyright).\n",
        )?;
    }
    Ok(())
}

/// Debian's copy of the Apache License 2.0 text (package base-files).
const APACHE_TEXT: &str = "/usr/share/common-licenses/Apache-2.0";

/// The MIT license, as Rust's LICENSE-MIT states it.
const MIT_NOTICE: &str = "Permission is hereby granted, free of charge, to any
person obtaining a copy of this software and associated
documentation files (the \"Software\"), to deal in the
Software without restriction, including without
limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software
is furnished to do so, subject to the following
conditions:

The above copyright notice and this permission notice
shall be included in all copies or substantial portions
of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF
ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED
TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT
SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR
IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
";

/// The in-tree license file `x.py dist` renders into COPYRIGHT.html
/// (upstream generates it with the `reuse` tool; Debian's source has none).
const LICENSE_METADATA: &str = "license-metadata.json";

/// One group for the whole tree under the project's license (as
/// COPYRIGHT states; debian/copyright itemises the exceptions), in the
/// shape generate-copyright reads: `{"files": <node>}`, nodes tagged by
/// `type`. The library subset it cuts out must not come out empty.
fn license_metadata() -> serde_json::Value {
    serde_json::json!({
        "files": {
            "type": "root",
            "children": [{
                "type": "group",
                "files": ["COPYRIGHT", "LICENSE-APACHE", "LICENSE-MIT"],
                "directories": ["compiler", "library", "src"],
                "license": {
                    "spdx": "MIT OR Apache-2.0",
                    "copyright": ["The Rust Project Developers (see https://thanks.rust-lang.org)"]
                }
            }]
        }
    })
}

fn copy_and_patch(src: &Path, library: &Path, root: &Path) -> Result<()> {
    // Keep what vendoring made (slow, and its rewritten build scripts would
    // otherwise look new to cargo); cp -a keeps the other files' times, and
    // patched files get their patch's time, so unchanged files look unchanged.
    let kept = area().join("kept");
    if kept.exists() {
        fs::remove_dir_all(&kept)?;
    }
    for rel in vendor::KEPT {
        if src.join(rel).exists() {
            fs::create_dir_all(kept.join(rel).parent().expect("relative path has a parent"))?;
            fs::rename(src.join(rel), kept.join(rel))?;
        }
    }
    if src.exists() {
        fs::remove_dir_all(src)?;
    }
    fs::create_dir_all(src)?;
    let system = Path::new(stdsrc::RUST_SRC).join(".");
    run::output(Command::new("cp").arg("-a").arg(&system).arg(src))?;
    fs::remove_dir_all(src.join("library"))?;
    run::output(
        Command::new("cp")
            .arg("-a")
            .arg(library)
            .arg(src.join("library")),
    )?;
    llvm::apply_patches(src, &root.join("patches/rust"))?;
    for rel in vendor::KEPT {
        if kept.join(rel).exists() {
            if src.join(rel).exists() && src.join(rel).is_file() {
                fs::remove_file(src.join(rel))?;
            }
            fs::rename(kept.join(rel), src.join(rel))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_files_fill_what_debian_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("src/tools/cargo")).unwrap();
        fs::write(tmp.path().join("LICENSE-MIT"), "kept").unwrap();
        legal_files(tmp.path()).unwrap();
        assert_eq!(
            fs::read_to_string(tmp.path().join("LICENSE-MIT")).unwrap(),
            "kept"
        );
        for f in [
            "LICENSE-APACHE",
            "src/tools/cargo/LICENSE-APACHE",
            "src/tools/cargo/LICENSE-MIT",
            "src/tools/cargo/LICENSE-THIRD-PARTY",
        ] {
            assert!(fs::metadata(tmp.path().join(f)).unwrap().len() > 100, "{f}");
        }
        assert!(fs::read_to_string(tmp.path().join("LICENSE-APACHE"))
            .unwrap()
            .contains("Apache License"));
    }

    #[test]
    fn license_metadata_has_the_library_in_it() {
        let m = license_metadata();
        let group = &m["files"]["children"][0];
        assert_eq!(m["files"]["type"], "root");
        assert_eq!(group["type"], "group");
        assert!(group["directories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "library"));
        assert!(group["license"]["spdx"].is_string() && group["license"]["copyright"].is_array());
    }

    #[test]
    fn rust_patches_apply_to_the_installed_source() {
        let system = Path::new(stdsrc::RUST_SRC);
        let expected = fs::read_to_string(paths::repo_root().join("patches/rust-version")).unwrap();
        if stdsrc::installed_version().ok().as_deref() != Some(expected.trim()) {
            eprintln!(
                "SKIP: rust-web-src {} is not installed at {}",
                expected.trim(),
                system.display()
            );
            return;
        }
        let patches = paths::repo_root().join("patches/rust");
        let tmp = tempfile::tempdir().unwrap();
        for p in llvm::patch_list(&patches).unwrap() {
            for line in fs::read_to_string(&p)
                .unwrap()
                .lines()
                .filter_map(|l| l.strip_prefix("--- a/"))
            {
                let rel = line.split('\t').next().unwrap();
                let (from, to) = (system.join(rel), tmp.path().join(rel));
                fs::create_dir_all(to.parent().unwrap()).unwrap();
                if from.exists() {
                    fs::copy(&from, &to).unwrap();
                }
            }
        }
        llvm::apply_patches(tmp.path(), &patches).unwrap();
        let spec =
            fs::read_to_string(tmp.path().join("compiler/rustc_target/src/spec/mod.rs")).unwrap();
        assert!(spec.contains("(\"x86_64-unknown-veridian\", x86_64_unknown_veridian)"));
        assert!(tmp
            .path()
            .join("compiler/rustc_target/src/spec/targets/x86_64_unknown_veridian.rs")
            .exists());
    }
}
