//! Round trip over a real source tree: `--add-dir` of Rust's `library/`
//! folder (Debian's rust-web-src), fsck, `extract`, and a byte, mode,
//! symlink and mtime comparison. Set `BLOCKFS_ROUNDTRIP_SRC` to use
//! another tree; the test is skipped (with a message) when it is absent.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use common::{compare_trees, ok};

/// Where Debian's rust-web-src installs the standard library sources.
const DEFAULT_SRC: &str = "/usr/lib/rustlib/src/rust/library";

#[test]
fn add_dir_then_extract_gives_the_same_tree() {
    let src = PathBuf::from(
        std::env::var("BLOCKFS_ROUNDTRIP_SRC").unwrap_or_else(|_| DEFAULT_SRC.into()),
    );
    if !src.is_dir() {
        eprintln!(
            "skipped: {} is absent (install rust-web-src or set BLOCKFS_ROUNDTRIP_SRC)",
            src.display()
        );
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let img = t.path().join("rt.img");
    let start = Instant::now();
    ok(&[&"--output", &img, &"--size", &"512"]);
    ok(&[&"--add-dir", &img, &src, &"/src/library"]);
    let added = start.elapsed();
    let fsck = ok(&[&"fsck", &img]);
    assert!(fsck.contains(" 0 problem(s)"), "{fsck}");
    let out = t.path().join("out");
    ok(&[&"extract", &img, &"--from", &"/src/library", &out]);
    let c = compare_trees(&src, &out);
    assert!(c.files > 0);
    eprintln!(
        "round trip of {}: {} files, {} directories, {} symlinks, {:.1} MiB; add-dir {:.2?}, total {:.2?}",
        src.display(),
        c.files,
        c.dirs,
        c.symlinks,
        c.bytes as f64 / (1 << 20) as f64,
        added,
        start.elapsed()
    );
}
