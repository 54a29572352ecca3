//! Helpers shared by the CLI tests: running the built binary and comparing
//! host trees.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

/// Runs `mkfs-blockfs` with `args`.
pub fn mkfs(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mkfs-blockfs"));
    for a in args {
        cmd.arg(a);
    }
    let out = cmd.output().expect("running mkfs-blockfs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "mkfs-blockfs panicked: {err}");
    out
}

/// Runs `mkfs-blockfs` and requires success; returns stdout.
pub fn ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let out = mkfs(args);
    assert!(
        out.status.success(),
        "mkfs-blockfs failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `mkfs-blockfs`, requires failure; returns stderr.
pub fn fails(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let out = mkfs(args);
    assert!(
        !out.status.success(),
        "mkfs-blockfs unexpectedly succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What a tree comparison looked at.
#[derive(Debug, Default)]
pub struct Compared {
    pub files: usize,
    pub dirs: usize,
    pub symlinks: usize,
    pub bytes: u64,
}

/// Requires `b` to hold exactly what `a` holds: the same names, types,
/// permission bits, file bytes, symlink targets and (for files and
/// directories) modification times in whole seconds.
pub fn compare_trees(a: &Path, b: &Path) -> Compared {
    let mut c = Compared::default();
    walk(a, b, &mut c);
    c
}

fn walk(a: &Path, b: &Path, c: &mut Compared) {
    let (ma, mb) = (
        fs::symlink_metadata(a).unwrap(),
        fs::symlink_metadata(b).unwrap_or_else(|e| panic!("{}: {e}", b.display())),
    );
    let (ta, tb) = (ma.file_type(), mb.file_type());
    assert_eq!(
        (ta.is_dir(), ta.is_file(), ta.is_symlink()),
        (tb.is_dir(), tb.is_file(), tb.is_symlink()),
        "type of {}",
        b.display()
    );
    if ta.is_symlink() {
        assert_eq!(
            fs::read_link(a).unwrap(),
            fs::read_link(b).unwrap(),
            "target of {}",
            b.display()
        );
        c.symlinks += 1;
        return;
    }
    assert_eq!(
        ma.permissions().mode() & 0o7777,
        mb.permissions().mode() & 0o7777,
        "mode of {}",
        b.display()
    );
    assert_eq!(ma.mtime(), mb.mtime(), "mtime of {}", b.display());
    if ta.is_file() {
        let (da, db) = (fs::read(a).unwrap(), fs::read(b).unwrap());
        assert!(da == db, "contents of {} differ", b.display());
        c.files += 1;
        c.bytes += da.len() as u64;
        return;
    }
    c.dirs += 1;
    let names = |p: &Path| {
        let mut v: Vec<_> = fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let (na, nb) = (names(a), names(b));
    assert_eq!(na, nb, "entries of {}", b.display());
    for n in na {
        walk(&a.join(&n), &b.join(&n), c);
    }
}
