//! The `mkfs-blockfs` command line, run as a built binary: every form the
//! issue lists, preservation of modes, symlinks and mtimes, and the error
//! cases.

mod common;

use std::fs::{self, File, FileTimes};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use blockfs::{FileDevice, FileSystem, MountOptions};
use common::{compare_trees, fails, mkfs, ok};

const MTIME: u64 = 1_000_000_000;

fn write(path: &Path, data: &[u8], mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn set_mtime(path: &Path, secs: u64) {
    let t = UNIX_EPOCH + Duration::from_secs(secs);
    File::open(path)
        .unwrap()
        .set_times(FileTimes::new().set_modified(t).set_accessed(t))
        .unwrap();
}

/// A host tree with an executable, private and empty files, nested and
/// empty directories, relative and absolute symlinks, a hard link and a
/// file through the indirect blocks.
fn host_tree(root: &Path) {
    write(&root.join("bin/tool"), b"#!/bin/sh\necho hi\n", 0o755);
    write(&root.join("etc/secret"), b"s3cret", 0o600);
    write(&root.join("etc/empty"), b"", 0o644);
    let big: Vec<u8> = (0..(20 << 12) + 77).map(|i| (i * 7 % 256) as u8).collect();
    write(&root.join("a/b/c/big.bin"), &big, 0o640);
    fs::create_dir_all(root.join("var/empty-dir")).unwrap();
    fs::set_permissions(
        root.join("var/empty-dir"),
        fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    symlink("../bin/tool", root.join("etc/tool-link")).unwrap();
    symlink("/etc/secret", root.join("abs-link")).unwrap();
    symlink("does/not/exist", root.join("dangling")).unwrap();
    fs::hard_link(root.join("bin/tool"), root.join("bin/tool-hard")).unwrap();
    // Times last: children change their directory's mtime.
    for p in [
        "bin/tool",
        "etc/secret",
        "etc/empty",
        "a/b/c/big.bin",
        "var/empty-dir",
        "a/b/c",
        "a/b",
        "a",
        "bin",
        "etc",
        "var",
        "",
    ] {
        set_mtime(&root.join(p), MTIME + p.len() as u64);
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn image_file(dir: &Path, mib: u64) -> PathBuf {
    let img = dir.join("disk.img");
    File::create(&img).unwrap().set_len(mib << 20).unwrap();
    img
}

#[test]
fn in_place_forms_round_trip_modes_symlinks_and_mtimes() {
    let t = tmp();
    let src = t.path().join("src");
    host_tree(&src);
    let img = image_file(t.path(), 16);

    // mkfs-blockfs IMG
    ok(&[&img]);
    let info = ok(&[&"info", &img]);
    assert!(info.contains("size:              4096 blocks"), "{info}");
    assert!(info.contains("free blocks:"), "{info}");

    // --add IMG SRC DEST: parents of DEST are created.
    ok(&[
        &"--add",
        &img,
        &src.join("bin/tool"),
        &"/usr/local/bin/tool",
    ]);
    assert_eq!(
        ok(&[&"cat", &img, &"/usr/local/bin/tool"]),
        "#!/bin/sh\necho hi\n"
    );
    let ls = ok(&[&"ls", &"-l", &img, &"/usr/local/bin"]);
    assert!(
        ls.lines()
            .any(|l| l.starts_with("-0755") && l.ends_with(" tool")),
        "{ls}"
    );
    // DEST an existing directory: the file keeps its name there.
    ok(&[&"--add", &img, &src.join("etc/secret"), &"/usr/local/bin"]);
    assert_eq!(ok(&[&"cat", &img, &"/usr/local/bin/secret"]), "s3cret");

    // --add-dir IMG SRC DEST, then extract: identical tree.
    ok(&[&"--add-dir", &img, &src, &"/opt/tree"]);
    let out = t.path().join("out");
    ok(&[&"extract", &img, &"--from", &"/opt/tree", &out]);
    let c = compare_trees(&src, &out);
    assert_eq!((c.files, c.symlinks, c.dirs), (5, 3, 8), "{c:?}");
    // Symlinks are stored as symlinks; cat follows them.
    let ls = ok(&[&"ls", &"-l", &img, &"/opt/tree/etc"]);
    assert!(ls.contains("tool-link -> ../bin/tool"), "{ls}");
    assert_eq!(
        ok(&[&"cat", &img, &"/opt/tree/etc/tool-link"]),
        "#!/bin/sh\necho hi\n"
    );
    // The hard link is one inode with two names.
    let ls = ok(&[&"ls", &"-l", &img, &"/opt/tree/bin"]);
    let tool_lines: Vec<_> = ls.lines().filter(|l| l.contains(" tool")).collect();
    assert_eq!(tool_lines.len(), 2, "{ls}");
    assert!(
        tool_lines
            .iter()
            .all(|l| l.split_whitespace().nth(1) == Some("2")),
        "{ls}"
    );

    // --add of a directory copies its contents into DEST.
    ok(&[&"--add", &img, &src.join("etc"), &"/etc2"]);
    let ls = ok(&[&"ls", &img, &"/etc2"]);
    assert!(ls.contains("secret") && ls.contains("tool-link"), "{ls}");

    let ls = ok(&[&"ls", &"-R", &img]);
    assert!(ls.contains("/opt/tree/a/b/c:"), "{ls}");
    let fsck = ok(&[&"fsck", &img]);
    assert!(fsck.contains(" 0 problem(s)"), "{fsck}");
}

#[test]
fn output_size_populate_and_extract_root() {
    let t = tmp();
    let src = t.path().join("src");
    host_tree(&src);
    let img = t.path().join("new.img");
    ok(&[&"--output", &img, &"--size", &"8", &"--populate", &src]);
    assert_eq!(fs::metadata(&img).unwrap().len(), 8 << 20);
    let out = t.path().join("out");
    ok(&[&"extract", &img, &out]);
    compare_trees(&src, &out);
    ok(&[&"fsck", &img]);
    // The IMG form with --size creates the file too.
    let img2 = t.path().join("sized.img");
    ok(&[&img2, &"--size", &"2"]);
    assert!(ok(&[&"info", &img2]).contains("512 blocks"));
}

#[test]
fn clear_errors() {
    let t = tmp();
    let src = t.path().join("src");
    host_tree(&src);
    let img = t.path().join("e.img");
    ok(&[&"--output", &img, &"--size", &"4"]);
    let file = src.join("bin/tool");

    let long = "x".repeat(256);
    let err = fails(&[&"--add", &img, &file, &format!("/d/{long}")]);
    assert!(err.contains("too long"), "{err}");
    let err = fails(&[&"--add", &img, &file, &format!("/{long}/f")]);
    assert!(err.contains("too long"), "{err}");
    let ok255 = "y".repeat(255);
    ok(&[&"--add", &img, &file, &format!("/d/{ok255}")]);

    let err = fails(&[&"--add", &img, &t.path().join("missing"), &"/x"]);
    assert!(
        err.contains("missing") && err.contains("No such file"),
        "{err}"
    );
    let err = fails(&[&"--add-dir", &img, &t.path().join("missing"), &"/x"]);
    assert!(err.contains("No such file"), "{err}");
    let err = fails(&[&"--add-dir", &img, &file, &"/x"]);
    assert!(err.contains("is not a directory"), "{err}");

    // DEST (or one of its parents) is a file.
    ok(&[&"--add", &img, &file, &"/etc/tool"]);
    let err = fails(&[&"--add-dir", &img, &src, &"/etc/tool"]);
    assert!(
        err.contains("/etc/tool exists in the image and is not a directory"),
        "{err}"
    );
    let err = fails(&[&"--add", &img, &file, &"/etc/tool/inner"]);
    assert!(err.contains("not a directory"), "{err}");

    // Inspecting names that are not there.
    let err = fails(&[&"cat", &img, &"/nope"]);
    assert!(err.contains("no such file or directory"), "{err}");
    let err = fails(&[&"cat", &img, &"/etc"]);
    assert!(err.contains("is a directory"), "{err}");

    // An image file that does not exist, and one that is no image.
    let err = fails(&[&t.path().join("absent.img")]);
    assert!(err.contains("--size"), "{err}");
    let junk = t.path().join("junk.img");
    fs::write(&junk, vec![0x5A; 64 << 10]).unwrap();
    let err = fails(&[&"ls", &junk]);
    assert!(err.contains("bad magic"), "{err}");
    let err = fails(&[&"fsck", &junk]);
    assert!(err.contains("bad magic"), "{err}");
    let err = fails(&[&"--output", &img, &"--size", &"0"]);
    assert!(err.contains("at least 1"), "{err}");

    // None of this damaged the image.
    ok(&[&"fsck", &t.path().join("e.img")]);
}

#[test]
fn truncated_image_is_refused() {
    let t = tmp();
    let img = t.path().join("t.img");
    ok(&[&"--output", &img, &"--size", &"2"]);
    let f = fs::OpenOptions::new().write(true).open(&img).unwrap();
    f.set_len(1 << 20).unwrap();
    let err = fails(&[&"fsck", &img]);
    assert!(err.contains("block_count exceeds the device size"), "{err}");
    let err = fails(&[&"--add", &img, &img, &"/x"]);
    assert!(err.contains("exceeds"), "{err}");
}

#[test]
fn full_image_says_no_space_and_stays_clean() {
    let t = tmp();
    let src = t.path().join("src");
    write(&src.join("small1"), b"first", 0o644);
    write(&src.join("zz-huge"), &vec![7u8; 3 << 20], 0o644);
    let img = t.path().join("full.img");
    ok(&[&"--output", &img, &"--size", &"2"]);
    let err = fails(&[&"--add-dir", &img, &src, &"/data"]);
    assert!(err.contains("no space left on device"), "{err}");
    // What was copied before the failure is there; the partial file is not.
    let fsck = ok(&[&"fsck", &img]);
    assert!(fsck.contains(" 0 problem(s)"), "{fsck}");
    assert_eq!(ok(&[&"cat", &img, &"/data/small1"]), "first");
    let ls = ok(&[&"ls", &img, &"/data"]);
    assert!(!ls.contains("zz-huge"), "{ls}");
    // The space is free again: a file that fits can still be added.
    write(&src.join("fits"), &vec![1u8; 1 << 20], 0o644);
    ok(&[&"--add", &img, &src.join("fits"), &"/fits"]);
    ok(&[&"fsck", &img]);
}

#[test]
fn too_many_files_says_no_inodes_and_stays_clean() {
    let t = tmp();
    let src = t.path().join("src");
    for d in 0..8 {
        for i in 0..100 {
            write(&src.join(format!("d{d}/f{i}")), b"x", 0o644);
        }
    }
    let img = t.path().join("inodes.img");
    ok(&[&"--output", &img, &"--size", &"8", &"--inodes", &"700"]);
    let err = fails(&[&"--add-dir", &img, &src, &"/"]);
    assert!(err.contains("no free inodes"), "{err}");
    ok(&[&"fsck", &img]);
}

/// Offset of inode `ino`'s field `field` in the image file.
fn inode_field(img: &Path, ino: u32, field: usize) -> u64 {
    let fs = FileSystem::mount(
        FileDevice::open(img, false).unwrap(),
        MountOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    let (blk, off) = fs.geometry().inode_location(ino);
    blk as u64 * 4096 + (off + field) as u64
}

fn patch(img: &Path, off: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    fs::OpenOptions::new()
        .write(true)
        .open(img)
        .unwrap()
        .write_all_at(bytes, off)
        .unwrap();
}

fn peek_u32(img: &Path, off: u64) -> u32 {
    use std::os::unix::fs::FileExt;
    let mut b = [0u8; 4];
    File::open(img).unwrap().read_exact_at(&mut b, off).unwrap();
    u32::from_le_bytes(b)
}

fn lookup(img: &Path, path: &str) -> u32 {
    let mut fs = FileSystem::mount(
        FileDevice::open(img, false).unwrap(),
        MountOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    fs.resolve(path.as_bytes(), false).unwrap()
}

#[test]
fn fsck_exit_codes_and_repair() {
    let t = tmp();
    let src = t.path().join("src");
    host_tree(&src);
    let img = t.path().join("r.img");
    ok(&[&"--output", &img, &"--size", &"4", &"--populate", &src]);
    // Wrong link count on bin/tool (really 2), and a leaked block: the
    // last block's bitmap bit.
    let tool = lookup(&img, "/bin/tool");
    patch(&img, inode_field(&img, tool, 26), &7u16.to_le_bytes());
    patch(&img, 4096 + 1023 / 8, &[0x80]);
    let out = mkfs(&[&"fsck", &img]);
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("inode {tool}: link count 7, should be 2")),
        "{text}"
    );
    assert!(
        text.contains("1 unused block(s) marked used in the bitmap (first: 1023)"),
        "{text}"
    );
    let out = mkfs(&[&"fsck", &"--repair", &img]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = mkfs(&[&"fsck", &img]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out_dir = t.path().join("out");
    ok(&[&"extract", &img, &out_dir]);
    compare_trees(&src, &out_dir);
}

#[test]
fn directory_loop_is_an_error_not_a_hang() {
    let t = tmp();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("d/e")).unwrap();
    let img = t.path().join("loop.img");
    ok(&[&"--output", &img, &"--size", &"2", &"--populate", &src]);
    let d = lookup(&img, "/d");
    // Point /d/e at /d itself.
    let block = peek_u32(&img, inode_field(&img, d, 36)) as u64;
    let e_entry = block * 4096 + 24;
    assert_eq!(peek_u32(&img, e_entry), lookup(&img, "/d/e"));
    patch(&img, e_entry, &d.to_le_bytes());
    let err = fails(&[&"ls", &"-R", &img]);
    assert!(err.contains("directory loop"), "{err}");
    let err = fails(&[&"extract", &img, &t.path().join("out")]);
    assert!(err.contains("directory loop"), "{err}");
    let out = mkfs(&[&"fsck", &img]);
    assert_eq!(out.status.code(), Some(4));
    let out = mkfs(&[&"fsck", &"--repair", &img]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    ok(&[&"ls", &"-R", &img]);
}
