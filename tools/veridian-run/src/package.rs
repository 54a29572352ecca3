//! The package folder a test runs in: cargo runs tests with the package
//! directory as the working directory and `CARGO_MANIFEST_DIR` naming it, and
//! test suites read their fixtures from there. The runner packs that folder
//! into a tar archive carried by the run bundle; init unpacks it inside the
//! guest at the same absolute path, on the run's throw-away overlay, so what
//! a test writes never reaches the host's tree.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// Largest package copied in; a larger one is left out with a warning.
pub const MAX_BYTES: u64 = 256 << 20;

/// What went into the archive.
pub struct Packed {
    pub archive: Vec<u8>,
    pub files: usize,
}

/// True for a directory the copy leaves out: version-control data and cargo
/// build output (cargo marks its target directories with `CACHEDIR.TAG`).
fn is_skipped_dir(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == ".git") || path.join("CACHEDIR.TAG").is_file()
}

/// Packs `dir` (absolute) into a tar archive whose entry names are the
/// absolute paths without the leading `/`. Symbolic links stay links.
/// `Ok(None)` when the files add up to more than `limit` bytes.
pub fn pack(dir: &Path, limit: u64) -> Result<Option<Packed>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut total = 0u64;
    let mut files = 0;
    let walk = WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && e.depth() > 0 && is_skipped_dir(e.path())));
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot walk {}", dir.display()))?;
        let meta = entry.path().symlink_metadata()?;
        if meta.is_file() {
            total += meta.len();
            if total > limit {
                return Ok(None);
            }
            files += 1;
        } else if !meta.is_dir() && !meta.file_type().is_symlink() {
            continue; // sockets, fifos and devices are not copied
        }
        let name = entry.path().strip_prefix("/").unwrap_or(entry.path());
        builder
            .append_path_with_name(entry.path(), name)
            .with_context(|| format!("cannot pack {}", entry.path().display()))?;
    }
    Ok(Some(Packed {
        archive: builder.into_inner()?,
        files,
    }))
}

/// The folder to copy: `CARGO_MANIFEST_DIR` as cargo sets it for the
/// programs it runs, when it names an absolute directory.
pub fn from_env() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    (dir.is_absolute() && dir.is_dir()).then_some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(archive: &[u8]) -> Vec<String> {
        tar::Archive::new(archive)
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn packs_files_at_their_absolute_paths_without_build_output() {
        let tmp = std::env::temp_dir().join(format!("vr-package-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(tmp.join("tests/data")).unwrap();
        fs::create_dir_all(tmp.join("target/debug")).unwrap();
        fs::create_dir_all(tmp.join(".git")).unwrap();
        fs::write(tmp.join("Cargo.toml"), "[package]\n").unwrap();
        fs::write(tmp.join("tests/data/f.txt"), "fixture").unwrap();
        fs::write(tmp.join("target/CACHEDIR.TAG"), "Signature").unwrap();
        fs::write(tmp.join("target/debug/big"), "x").unwrap();
        fs::write(tmp.join(".git/HEAD"), "ref").unwrap();
        std::os::unix::fs::symlink("Cargo.toml", tmp.join("link")).unwrap();

        let packed = pack(&tmp, MAX_BYTES).unwrap().unwrap();
        assert_eq!(packed.files, 2);
        let base = tmp.strip_prefix("/").unwrap().display().to_string();
        let got = names(&packed.archive);
        for want in ["", "/Cargo.toml", "/tests/data/f.txt", "/link"] {
            assert!(got.contains(&format!("{base}{want}")), "{want} in {got:?}");
        }
        assert!(!got
            .iter()
            .any(|n| n.contains("target") || n.contains(".git")));
        let mut archive = tar::Archive::new(packed.archive.as_slice());
        let link = archive
            .entries()
            .unwrap()
            .map(Result::unwrap)
            .find(|e| e.path().unwrap().ends_with("link"))
            .unwrap();
        assert!(link.header().entry_type().is_symlink());

        assert!(pack(&tmp, 3).unwrap().is_none(), "over the limit");
        fs::remove_dir_all(&tmp).unwrap();
    }
}
