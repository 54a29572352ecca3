//! Throughput figures (ignored by default):
//! `cargo test --release -p veridian-vfs --test bench -- --ignored --nocapture`
mod common;
use common::*;
use std::time::Instant;

use blockfs::{FileSystem, FormatOptions, MemDevice};

fn rate(what: &str, n: f64, unit: &str, t: Instant) {
    let s = t.elapsed().as_secs_f64();
    println!("{what:<44} {:>12.1} {unit}/s  ({s:.3} s)", n / s);
}

#[test]
#[ignore]
fn figures() {
    let w = world_on(FileSystem::format(MemDevice::new(32768), &FormatOptions::default()).unwrap());
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let v = &w.vfs;
    for d in [&b"/a"[..], b"/a/b", b"/a/b/c", b"/a/b/c/d", b"/a/b/c/d/e"] {
        v.mkdirat(c, AT_FDCWD, d, 0o755).unwrap();
    }
    let t = Instant::now();
    let block = vec![5u8; 4096];
    for i in 0..1000 {
        let fd = v
            .openat(
                c,
                AT_FDCWD,
                format!("/a/b/c/d/e/f{i}").as_bytes(),
                O_CREAT | O_WRONLY,
                0o644,
            )
            .unwrap();
        v.write(c, fd, &block).unwrap();
        v.close(c, fd).unwrap();
    }
    rate("create+write 4 KiB+close (depth 6)", 1000.0, "files", t);
    let t = Instant::now();
    for i in 0..20_000 {
        v.fstatat(
            c,
            AT_FDCWD,
            format!("/a/b/c/d/e/f{}", i % 1000).as_bytes(),
            0,
        )
        .unwrap();
    }
    rate(
        "stat by path (depth 6, 1000-entry dir)",
        20_000.0,
        "stats",
        t,
    );
    let t = Instant::now();
    let fd = v
        .openat(c, AT_FDCWD, b"/a/b/c/d/e", O_RDONLY | O_DIRECTORY, 0)
        .unwrap();
    let mut buf = vec![0u8; 32768];
    let mut bytes = 0;
    for _ in 0..20 {
        v.lseek(c, fd, 0, SEEK_SET).unwrap();
        loop {
            let n = v.getdents64(c, fd, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            bytes += n;
        }
    }
    assert!(bytes > 20 * 1000 * 24);
    rate("getdents64 of 1002 entries", 20.0 * 1002.0, "entries", t);
    let big = vec![7u8; 65536];
    let t = Instant::now();
    let fd = v
        .openat(c, AT_FDCWD, b"/big", O_CREAT | O_RDWR, 0o644)
        .unwrap();
    for _ in 0..(64 * 16) {
        v.write(c, fd, &big).unwrap();
    }
    rate("sequential write, 64 KiB writes (64 MiB)", 64.0, "MiB", t);
    let t = Instant::now();
    v.lseek(c, fd, 0, SEEK_SET).unwrap();
    let mut rb = vec![0u8; 65536];
    let mut total = 0;
    loop {
        let n = v.read(c, fd, &mut rb).unwrap();
        if n == 0 {
            break;
        }
        total += n;
    }
    assert_eq!(total, 64 << 20);
    rate("sequential read, 64 KiB reads (64 MiB)", 64.0, "MiB", t);
    let t = Instant::now();
    v.sync().unwrap();
    rate("sync after 64 MiB", 1.0, "syncs", t);
    let (r, wp) = v.pipe2(c, 0).unwrap();
    let t = Instant::now();
    let chunk = vec![1u8; 16384];
    let mut moved = 0usize;
    while moved < 256 << 20 {
        let n = v.write(c, wp, &chunk).unwrap();
        let mut got = 0;
        while got < n {
            got += v.read(c, r, &mut rb).unwrap();
        }
        moved += n;
    }
    rate("pipe write+read, 16 KiB chunks (256 MiB)", 256.0, "MiB", t);
}
