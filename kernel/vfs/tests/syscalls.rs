//! The raw-argument syscall layer over a fake user address space.
mod common;
use common::*;

use proptest::prelude::*;
use std::sync::Arc;
use veridian_syscall::nr;

/// User memory: one mapped range; everything else faults.
struct Mem {
    base: u64,
    bytes: Vec<u8>,
}

impl Mem {
    fn new() -> Self {
        Mem {
            base: 0x10_0000,
            bytes: vec![0; 2 << 20],
        }
    }
    fn range(&self, addr: u64, len: usize) -> Result<std::ops::Range<usize>> {
        let start = addr.checked_sub(self.base).ok_or(Errno::EFAULT)? as usize;
        let end = start.checked_add(len).ok_or(Errno::EFAULT)?;
        if end > self.bytes.len() {
            return Err(Errno::EFAULT);
        }
        Ok(start..end)
    }
    /// Puts `data` at offset `off` and returns its address.
    fn put(&mut self, off: usize, data: &[u8]) -> u64 {
        self.bytes[off..off + data.len()].copy_from_slice(data);
        self.base + off as u64
    }
    fn cstr(&mut self, off: usize, s: &str) -> u64 {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.put(off, &v)
    }
    fn at(&self, addr: u64, len: usize) -> &[u8] {
        &self.bytes[self.range(addr, len).unwrap()]
    }
}

impl UserMemory for Mem {
    fn copy_in(&mut self, addr: u64, buf: &mut [u8]) -> Result<()> {
        let r = self.range(addr, buf.len())?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }
    fn copy_out(&mut self, addr: u64, data: &[u8]) -> Result<()> {
        let r = self.range(addr, data.len())?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }
    fn copy_in_str(&mut self, addr: u64, max: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for i in 0..=max as u64 {
            let r = self.range(addr.checked_add(i).ok_or(Errno::EFAULT)?, 1)?;
            let b = self.bytes[r.start];
            if b == 0 {
                return Ok(out);
            }
            out.push(b);
        }
        Err(Errno::ENAMETOOLONG)
    }
}

fn call(w: &World, p: &Proc, m: &mut Mem, n: usize, a: [u64; 6]) -> Sys {
    file_syscall(&w.vfs, p.c(), m, n, a).expect("a file syscall")
}

fn ok(s: Sys) -> u64 {
    match s {
        Sys::Done(Ok(v)) => v,
        other => panic!("expected success, got {other:?}"),
    }
}

fn err(s: Sys) -> Errno {
    match s {
        Sys::Done(Err(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

const AT: u64 = AT_FDCWD as i64 as u64;
/// Where the fake user memory starts.
const BASE: u64 = 0x10_0000;

#[test]
fn open_write_read_stat_through_raw_arguments() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let mut m = Mem::new();
    let path = m.cstr(0, "/hello.txt");
    let fd = ok(call(
        &w,
        &p,
        &mut m,
        nr::OPENAT,
        [AT, path, (O_CREAT | O_RDWR) as u64, 0o644, 0, 0],
    ));
    let data: Vec<u8> = (0..600_000u32).map(|i| (i % 241) as u8).collect();
    let buf = m.put(4096, &data);
    assert_eq!(
        ok(call(
            &w,
            &p,
            &mut m,
            nr::WRITE,
            [fd, buf, data.len() as u64, 0, 0, 0]
        )),
        600_000,
        "larger than one chunk"
    );
    assert_eq!(
        ok(call(
            &w,
            &p,
            &mut m,
            nr::LSEEK,
            [fd, 0, SEEK_SET as u64, 0, 0, 0]
        )),
        0
    );
    let out = 0x8_0000;
    m.bytes[out..out + 600_000].fill(0);
    let rbuf = BASE + out as u64;
    assert_eq!(
        ok(call(&w, &p, &mut m, nr::READ, [fd, rbuf, 1 << 30, 0, 0, 0])),
        600_000
    );
    assert_eq!(m.at(rbuf, 600_000), &data[..]);
    // pread at an offset
    assert_eq!(
        ok(call(&w, &p, &mut m, nr::PREAD64, [fd, rbuf, 10, 5, 0, 0])),
        10
    );
    assert_eq!(m.at(rbuf, 10), &data[5..15]);
    // fstat / stat / lstat / newfstatat / statx
    let sb = BASE + 0x1000;
    ok(call(&w, &p, &mut m, nr::FSTAT, [fd, sb, 0, 0, 0, 0]));
    assert_eq!(
        u64::from_le_bytes(m.at(sb + 48, 8).try_into().unwrap()),
        600_000
    );
    assert_eq!(
        u32::from_le_bytes(m.at(sb + 24, 4).try_into().unwrap()),
        S_IFREG | 0o644
    );
    ok(call(&w, &p, &mut m, nr::STAT, [path, sb, 0, 0, 0, 0]));
    assert_eq!(
        u64::from_le_bytes(m.at(sb + 48, 8).try_into().unwrap()),
        600_000
    );
    ok(call(
        &w,
        &p,
        &mut m,
        nr::STATX,
        [AT, path, 0, STATX_BASIC_STATS as u64, sb, 0],
    ));
    assert_eq!(
        u64::from_le_bytes(m.at(sb + 40, 8).try_into().unwrap()),
        600_000
    );
    let empty = m.cstr(64, "");
    ok(call(
        &w,
        &p,
        &mut m,
        nr::NEWFSTATAT,
        [fd, empty, sb, AT_EMPTY_PATH as u64, 0, 0],
    ));
    assert_eq!(
        u64::from_le_bytes(m.at(sb + 48, 8).try_into().unwrap()),
        600_000
    );
    assert_eq!(
        err(call(
            &w,
            &p,
            &mut m,
            nr::NEWFSTATAT,
            [fd, empty, sb, 0, 0, 0]
        )),
        Errno::ENOENT
    );
    // Zero-length transfers touch no memory but still check the fd.
    assert_eq!(ok(call(&w, &p, &mut m, nr::WRITE, [fd, 0, 0, 0, 0, 0])), 0);
    assert_eq!(ok(call(&w, &p, &mut m, nr::READ, [fd, 0, 0, 0, 0, 0])), 0);
    assert_eq!(
        err(call(&w, &p, &mut m, nr::WRITE, [99, 0, 0, 0, 0, 0])),
        Errno::EBADF
    );
    // Faults (the read has data to copy: at EOF nothing would be copied).
    w.vfs.lseek(p.c(), fd as i32, 0, SEEK_SET).unwrap();
    assert_eq!(
        err(call(&w, &p, &mut m, nr::OPEN, [0, 0, 0, 0, 0, 0])),
        Errno::EFAULT
    );
    assert_eq!(
        err(call(&w, &p, &mut m, nr::READ, [fd, 16, 10, 0, 0, 0])),
        Errno::EFAULT
    );
    assert_eq!(
        err(call(
            &w,
            &p,
            &mut m,
            nr::WRITE,
            [fd, u64::MAX - 3, 10, 0, 0, 0]
        )),
        Errno::EFAULT
    );
    assert_eq!(
        err(call(&w, &p, &mut m, nr::FSTAT, [fd, 8, 0, 0, 0, 0])),
        Errno::EFAULT
    );
    let long = m.put(0x2000, &[b'a'; 5000]);
    assert_eq!(
        err(call(&w, &p, &mut m, nr::OPEN, [long, 0, 0, 0, 0, 0])),
        Errno::ENAMETOOLONG
    );
    assert_eq!(ok(call(&w, &p, &mut m, nr::CLOSE, [fd, 0, 0, 0, 0, 0])), 0);
    assert_eq!(
        err(call(&w, &p, &mut m, nr::CLOSE, [fd, 0, 0, 0, 0, 0])),
        Errno::EBADF
    );
    assert!(file_syscall(&w.vfs, p.c(), &mut m, nr::MMAP, [0; 6]).is_none());
    // FILE_SYSCALLS is exactly what the decoder takes (the kernel's table
    // is built from it).
    for n in 0..512 {
        if !FILE_SYSCALLS.contains(&n) {
            assert!(
                file_syscall(&w.vfs, p.c(), &mut m, n, [0; 6]).is_none(),
                "{n}"
            );
        }
    }
}

#[test]
fn vectors_pipes_blocking_and_sigpipe() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let mut m = Mem::new();
    let fds = BASE + 0x100;
    ok(call(&w, &p, &mut m, nr::PIPE2, [fds, 0, 0, 0, 0, 0]));
    let r = i32::from_le_bytes(m.at(fds, 4).try_into().unwrap()) as u64;
    let wr = i32::from_le_bytes(m.at(fds + 4, 4).try_into().unwrap()) as u64;
    // A blocking read of an empty pipe asks the kernel to wait.
    let key = p.fds.get(r as i32).unwrap().wait_key();
    assert_eq!(
        call(&w, &p, &mut m, nr::READ, [r, BASE, 10, 0, 0, 0]),
        Sys::Block {
            key,
            write: false,
            done: 0,
            recheck: false
        }
    );
    // writev gathers
    let a = m.put(0x200, b"abc");
    let b = m.put(0x300, b"defgh");
    let mut iov = Vec::new();
    for (base, len) in [(a, 3u64), (b, 5)] {
        iov.extend_from_slice(&base.to_le_bytes());
        iov.extend_from_slice(&len.to_le_bytes());
    }
    let iov_addr = m.put(0x400, &iov);
    assert_eq!(
        ok(call(&w, &p, &mut m, nr::WRITEV, [wr, iov_addr, 2, 0, 0, 0])),
        8
    );
    // readv scatters
    let mut riov = Vec::new();
    for (base, len) in [(BASE + 0x500, 2u64), (BASE + 0x600, 10)] {
        riov.extend_from_slice(&base.to_le_bytes());
        riov.extend_from_slice(&len.to_le_bytes());
    }
    let riov_addr = m.put(0x700, &riov);
    assert_eq!(
        ok(call(&w, &p, &mut m, nr::READV, [r, riov_addr, 2, 0, 0, 0])),
        8
    );
    assert_eq!(m.at(BASE + 0x500, 2), b"ab");
    assert_eq!(m.at(BASE + 0x600, 6), b"cdefgh");
    assert_eq!(
        err(call(
            &w,
            &p,
            &mut m,
            nr::READV,
            [r, riov_addr, 5000, 0, 0, 0]
        )),
        Errno::EINVAL
    );
    // O_NONBLOCK gives EAGAIN instead of blocking.
    ok(call(
        &w,
        &p,
        &mut m,
        nr::FCNTL,
        [r, F_SETFL as u64, O_NONBLOCK as u64, 0, 0, 0],
    ));
    assert_eq!(
        err(call(&w, &p, &mut m, nr::READ, [r, BASE, 10, 0, 0, 0])),
        Errno::EAGAIN
    );
    // No readers: EPIPE (the kernel adds SIGPIPE).
    ok(call(&w, &p, &mut m, nr::CLOSE, [r, 0, 0, 0, 0, 0]));
    assert_eq!(
        err(call(&w, &p, &mut m, nr::WRITE, [wr, a, 3, 0, 0, 0])),
        Errno::EPIPE
    );
    // A faulting fds array leaves no fds behind.
    let before = p.fds.count();
    assert_eq!(
        err(call(&w, &p, &mut m, nr::PIPE, [12, 0, 0, 0, 0, 0])),
        Errno::EFAULT
    );
    assert_eq!(p.fds.count(), before);
    // A full pipe blocks writers.
    ok(call(&w, &p, &mut m, nr::PIPE, [fds, 0, 0, 0, 0, 0]));
    let wr = i32::from_le_bytes(m.at(fds + 4, 4).try_into().unwrap()) as u64;
    let key = p.fds.get(wr as i32).unwrap().wait_key();
    assert_eq!(
        call(&w, &p, &mut m, nr::WRITE, [wr, BASE, 65536, 0, 0, 0]),
        Sys::Done(Ok(65536))
    );
    assert_eq!(
        call(&w, &p, &mut m, nr::WRITE, [wr, BASE, 10, 0, 0, 0]),
        Sys::Block {
            key,
            write: true,
            done: 0,
            recheck: false
        }
    );
}

/// Reads everything the pipe holds now.
fn drain(w: &World, p: &Proc, m: &mut Mem, r: u64, at: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        match call(w, p, m, nr::READ, [r, BASE + at as u64, 4096, 0, 0, 0]) {
            Sys::Done(Ok(n)) if n > 0 => out.extend_from_slice(m.at(BASE + at as u64, n as usize)),
            _ => return out,
        }
    }
}

#[test]
fn blocking_pipe_writes_go_on_until_all_is_written() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let mut m = Mem::new();
    let fds = BASE + 0x100;
    ok(call(&w, &p, &mut m, nr::PIPE, [fds, 0, 0, 0, 0, 0]));
    let r = i32::from_le_bytes(m.at(fds, 4).try_into().unwrap()) as u64;
    let wr = i32::from_le_bytes(m.at(fds + 4, 4).try_into().unwrap()) as u64;
    let key = p.fds.get(wr as i32).unwrap().wait_key();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let src = m.put(0x10_0000, &data);
    // The pipe takes 64 KiB; the rest waits for a reader.
    let a = [wr, src, data.len() as u64, 0, 0, 0];
    assert_eq!(
        call(&w, &p, &mut m, nr::WRITE, a),
        Sys::Block {
            key,
            write: true,
            done: 65536,
            recheck: false
        }
    );
    let mut got = drain(&w, &p, &mut m, r, 0x2000);
    assert_eq!(got.len(), 65536);
    // Resumed after the wait, it writes the rest and counts it all.
    assert_eq!(
        resume_file_syscall(&w.vfs, p.c(), &mut m, nr::WRITE, a, 65536),
        Some(Sys::Done(Ok(100_000)))
    );
    got.extend(drain(&w, &p, &mut m, r, 0x2000));
    assert_eq!(got, data);

    // writev resumes in the middle of its second segment.
    let mut iov = Vec::new();
    for (base, len) in [(src, 40_000u64), (src + 40_000, 60_000)] {
        iov.extend_from_slice(&base.to_le_bytes());
        iov.extend_from_slice(&len.to_le_bytes());
    }
    let iov_addr = m.put(0x400, &iov);
    let a = [wr, iov_addr, 2, 0, 0, 0];
    assert_eq!(
        call(&w, &p, &mut m, nr::WRITEV, a),
        Sys::Block {
            key,
            write: true,
            done: 65536,
            recheck: false
        }
    );
    let mut got = drain(&w, &p, &mut m, r, 0x2000);
    assert_eq!(
        resume_file_syscall(&w.vfs, p.c(), &mut m, nr::WRITEV, a, 65536),
        Some(Sys::Done(Ok(100_000)))
    );
    got.extend(drain(&w, &p, &mut m, r, 0x2000));
    assert_eq!(got, data);

    // The reader goes away while a write waits: the part written counts.
    let a = [wr, src, data.len() as u64, 0, 0, 0];
    assert!(matches!(
        call(&w, &p, &mut m, nr::WRITE, a),
        Sys::Block { done: 65536, .. }
    ));
    ok(call(&w, &p, &mut m, nr::CLOSE, [r, 0, 0, 0, 0, 0]));
    assert_eq!(
        resume_file_syscall(&w.vfs, p.c(), &mut m, nr::WRITE, a, 65536),
        Some(Sys::Done(Ok(65536)))
    );
    // A non-blocking write stops short instead.
    ok(call(
        &w,
        &p,
        &mut m,
        nr::PIPE2,
        [fds, O_NONBLOCK as u64, 0, 0, 0, 0],
    ));
    let wr = i32::from_le_bytes(m.at(fds + 4, 4).try_into().unwrap()) as u64;
    assert_eq!(
        call(
            &w,
            &p,
            &mut m,
            nr::WRITE,
            [wr, src, data.len() as u64, 0, 0, 0]
        ),
        Sys::Done(Ok(65536))
    );
}

#[test]
fn flock_checks_the_fd_and_the_operation() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let mut m = Mem::new();
    let f = m.cstr(0, "/f");
    let fd = ok(call(
        &w,
        &p,
        &mut m,
        nr::OPEN,
        [f, (O_CREAT | O_RDWR) as u64, 0o644, 0, 0, 0],
    ));
    for op in [1u64, 2, 8, 1 | 4, 2 | 4, 8 | 4] {
        assert_eq!(ok(call(&w, &p, &mut m, nr::FLOCK, [fd, op, 0, 0, 0, 0])), 0);
    }
    for op in [0u64, 3, 4, 16, 1 | 2] {
        assert_eq!(
            err(call(&w, &p, &mut m, nr::FLOCK, [fd, op, 0, 0, 0, 0])),
            Errno::EINVAL
        );
    }
    assert_eq!(
        err(call(&w, &p, &mut m, nr::FLOCK, [99, 2, 0, 0, 0, 0])),
        Errno::EBADF
    );
}

#[test]
fn flock_locks_belong_to_open_file_descriptions() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let mut m = Mem::new();
    let f = m.cstr(0, "/locked");
    let open = |m: &mut Mem| {
        ok(call(
            &w,
            &p,
            m,
            nr::OPEN,
            [f, (O_CREAT | O_RDWR) as u64, 0o644, 0, 0, 0],
        ))
    };
    let (one, two) = (open(&mut m), open(&mut m));
    let flock =
        |m: &mut Mem, fd: u64, op: u32| call(&w, &p, m, nr::FLOCK, [fd, op as u64, 0, 0, 0, 0]);
    assert_eq!(ok(flock(&mut m, one, LOCK_EX)), 0);
    assert_eq!(err(flock(&mut m, two, LOCK_EX | LOCK_NB)), Errno::EAGAIN);
    assert_eq!(err(flock(&mut m, two, LOCK_SH | LOCK_NB)), Errno::EAGAIN);
    // Without LOCK_NB the caller sleeps on the file's key.
    assert!(matches!(
        flock(&mut m, two, LOCK_EX),
        Sys::Block { recheck: true, .. }
    ));
    // A dup shares the lock; it goes when the last fd of it closes.
    let dup = ok(call(&w, &p, &mut m, nr::DUP, [one, 0, 0, 0, 0, 0]));
    assert_eq!(ok(call(&w, &p, &mut m, nr::CLOSE, [one, 0, 0, 0, 0, 0])), 0);
    assert_eq!(err(flock(&mut m, two, LOCK_EX | LOCK_NB)), Errno::EAGAIN);
    assert_eq!(ok(call(&w, &p, &mut m, nr::CLOSE, [dup, 0, 0, 0, 0, 0])), 0);
    assert_eq!(ok(flock(&mut m, two, LOCK_SH | LOCK_NB)), 0);
    // Shared locks coexist; an upgrade against another holder is refused
    // and, as on Linux, leaves the caller without its shared lock.
    let three = open(&mut m);
    assert_eq!(ok(flock(&mut m, three, LOCK_SH | LOCK_NB)), 0);
    assert_eq!(err(flock(&mut m, two, LOCK_EX | LOCK_NB)), Errno::EAGAIN);
    assert_eq!(
        ok(flock(&mut m, three, LOCK_EX | LOCK_NB)),
        0,
        "two dropped its lock"
    );
    // Downgrade, then unlock.
    assert_eq!(ok(flock(&mut m, three, LOCK_SH)), 0);
    assert_eq!(ok(flock(&mut m, two, LOCK_SH | LOCK_NB)), 0);
    assert_eq!(ok(flock(&mut m, two, LOCK_UN)), 0);
    assert_eq!(ok(flock(&mut m, three, LOCK_UN)), 0);
    let four = open(&mut m);
    assert_eq!(ok(flock(&mut m, four, LOCK_EX | LOCK_NB)), 0);
}

#[test]
fn names_links_cwd_and_dirents() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let mut m = Mem::new();
    let d = m.cstr(0, "/d");
    ok(call(&w, &p, &mut m, nr::MKDIR, [d, 0o755, 0, 0, 0, 0]));
    ok(call(&w, &p, &mut m, nr::CHDIR, [d, 0, 0, 0, 0, 0]));
    let f = m.cstr(16, "file");
    let fd = ok(call(&w, &p, &mut m, nr::CREAT, [f, 0o600, 0, 0, 0, 0]));
    ok(call(&w, &p, &mut m, nr::CLOSE, [fd, 0, 0, 0, 0, 0]));
    let t = m.cstr(32, "file");
    let l = m.cstr(48, "link");
    ok(call(&w, &p, &mut m, nr::SYMLINK, [t, l, 0, 0, 0, 0]));
    let buf = BASE + 0x1000;
    assert_eq!(
        ok(call(&w, &p, &mut m, nr::READLINK, [l, buf, 100, 0, 0, 0])),
        4
    );
    assert_eq!(m.at(buf, 4), b"file");
    assert_eq!(
        ok(call(&w, &p, &mut m, nr::READLINK, [l, buf, 2, 0, 0, 0])),
        2,
        "truncated, no NUL"
    );
    assert_eq!(
        err(call(&w, &p, &mut m, nr::READLINK, [l, buf, 0, 0, 0, 0])),
        Errno::EINVAL
    );
    let h = m.cstr(64, "hard");
    ok(call(&w, &p, &mut m, nr::LINK, [f, h, 0, 0, 0, 0]));
    let h2 = m.cstr(80, "/d/hard2");
    ok(call(&w, &p, &mut m, nr::RENAME, [h, h2, 0, 0, 0, 0]));
    assert_eq!(
        err(call(
            &w,
            &p,
            &mut m,
            nr::RENAMEAT2,
            [AT, f, AT, h2, RENAME_NOREPLACE as u64, 0]
        )),
        Errno::EEXIST
    );
    // getcwd: length includes the NUL; ERANGE when short.
    assert_eq!(
        ok(call(&w, &p, &mut m, nr::GETCWD, [buf, 100, 0, 0, 0, 0])),
        3
    );
    assert_eq!(m.at(buf, 3), b"/d\0");
    assert_eq!(
        err(call(&w, &p, &mut m, nr::GETCWD, [buf, 2, 0, 0, 0, 0])),
        Errno::ERANGE
    );
    // getdents64
    let dot = m.cstr(96, ".");
    let dfd = ok(call(
        &w,
        &p,
        &mut m,
        nr::OPEN,
        [dot, (O_RDONLY | O_DIRECTORY) as u64, 0, 0, 0, 0],
    ));
    let n = ok(call(
        &w,
        &p,
        &mut m,
        nr::GETDENTS64,
        [dfd, buf, 4096, 0, 0, 0],
    )) as usize;
    let mut names = Vec::new();
    let mut off = 0;
    while off < n {
        let rec = m.at(buf + off as u64, 24).to_vec();
        let len = u16::from_le_bytes([rec[16], rec[17]]) as usize;
        let raw = m.at(buf + off as u64 + 19, len - 19).to_vec();
        names.push(
            String::from_utf8(raw[..raw.iter().position(|&b| b == 0).unwrap()].to_vec()).unwrap(),
        );
        off += len;
    }
    names.sort();
    assert_eq!(names, [".", "..", "file", "hard2", "link"]);
    assert_eq!(
        ok(call(
            &w,
            &p,
            &mut m,
            nr::GETDENTS64,
            [dfd, buf, 4096, 0, 0, 0]
        )),
        0
    );
    // unlink / rmdir / access / chmod / umask
    ok(call(&w, &p, &mut m, nr::UNLINK, [l, 0, 0, 0, 0, 0]));
    assert_eq!(
        err(call(
            &w,
            &p,
            &mut m,
            nr::ACCESS,
            [l, F_OK as u64, 0, 0, 0, 0]
        )),
        Errno::ENOENT
    );
    ok(call(&w, &p, &mut m, nr::CHMOD, [f, 0o755, 0, 0, 0, 0]));
    ok(call(
        &w,
        &p,
        &mut m,
        nr::ACCESS,
        [f, X_OK as u64, 0, 0, 0, 0],
    ));
    assert_eq!(
        ok(call(&w, &p, &mut m, nr::UMASK, [0o077, 0, 0, 0, 0, 0])),
        0o022
    );
    assert_eq!(
        err(call(&w, &p, &mut m, nr::RMDIR, [d, 0, 0, 0, 0, 0])),
        Errno::ENOTEMPTY
    );
    // statfs
    ok(call(&w, &p, &mut m, nr::STATFS, [d, buf, 0, 0, 0, 0]));
    assert_eq!(
        u64::from_le_bytes(m.at(buf, 8).try_into().unwrap()),
        blockfs::MAGIC as u64
    );
}

#[test]
fn ioctl_fcntl_utimens_sendfile_copy_range() {
    struct Tty;
    impl CharDevice for Tty {
        fn read(&self, _: &mut [u8]) -> Result<usize> {
            Err(Errno::EAGAIN)
        }
        fn write(&self, d: &[u8]) -> Result<usize> {
            Ok(d.len())
        }
        fn is_tty(&self) -> bool {
            true
        }
    }
    let w = world();
    w.dev
        .register_char(b"console", 5, 1, Arc::new(Tty))
        .unwrap();
    let p = w.spawn(1, b"/t");
    let mut m = Mem::new();
    let con = m.cstr(0, "/dev/console");
    let fd = ok(call(
        &w,
        &p,
        &mut m,
        nr::OPEN,
        [con, O_RDWR as u64, 0, 0, 0, 0],
    ));
    let arg = BASE + 0x1000;
    ok(call(
        &w,
        &p,
        &mut m,
        nr::IOCTL,
        [fd, TCGETS as u64, arg, 0, 0, 0],
    ));
    assert_eq!(
        Termios::from_bytes(m.at(arg, TERMIOS_SIZE)),
        Some(Termios::default())
    );
    let raw = Termios {
        lflag: 0,
        ..Termios::default()
    };
    m.put(0x1000, &raw.to_bytes());
    ok(call(
        &w,
        &p,
        &mut m,
        nr::IOCTL,
        [fd, TCSETS as u64, arg, 0, 0, 0],
    ));
    m.put(0x1000, &[0; 64]);
    ok(call(
        &w,
        &p,
        &mut m,
        nr::IOCTL,
        [fd, TCGETS as u64, arg, 0, 0, 0],
    ));
    assert_eq!(
        Termios::from_bytes(m.at(arg, TERMIOS_SIZE)).unwrap().lflag,
        0
    );
    ok(call(
        &w,
        &p,
        &mut m,
        nr::IOCTL,
        [fd, TIOCGWINSZ as u64, arg, 0, 0, 0],
    ));
    assert_eq!(m.at(arg, 4), [25, 0, 80, 0]);
    assert_eq!(
        err(call(
            &w,
            &p,
            &mut m,
            nr::IOCTL,
            [fd, TCSETS as u64, 4, 0, 0, 0]
        )),
        Errno::EFAULT
    );
    // A console read blocks on the device's key.
    let key = p.fds.get(fd as i32).unwrap().wait_key();
    assert_eq!(
        call(&w, &p, &mut m, nr::READ, [fd, arg, 1, 0, 0, 0]),
        Sys::Block {
            key,
            write: false,
            done: 0,
            recheck: true
        }
    );
    // F_GETLK reports no lock.
    m.put(0x1100, &[0xff; 32]);
    ok(call(
        &w,
        &p,
        &mut m,
        nr::FCNTL,
        [fd, F_GETLK as u64, BASE + 0x1100, 0, 0, 0],
    ));
    assert_eq!(m.at(BASE + 0x1100, 2), 2i16.to_le_bytes());
    // utimensat with a NULL path is futimens; NULL times is "now".
    w.put(&p, b"/f", b"0123456789");
    let f = m.cstr(0x200, "/f");
    let ffd = ok(call(
        &w,
        &p,
        &mut m,
        nr::OPEN,
        [f, O_RDWR as u64, 0, 0, 0, 0],
    ));
    let mut times = Vec::new();
    for v in [100i64, 0, 0, UTIME_OMIT] {
        times.extend_from_slice(&v.to_le_bytes());
    }
    let ta = m.put(0x300, &times);
    ok(call(&w, &p, &mut m, nr::UTIMENSAT, [ffd, 0, ta, 0, 0, 0]));
    assert_eq!(w.vfs.fstat(p.c(), ffd as i32).unwrap().atime.sec, 100);
    ok(call(&w, &p, &mut m, nr::UTIMENSAT, [AT, f, 0, 0, 0, 0]));
    assert_eq!(
        w.vfs.fstat(p.c(), ffd as i32).unwrap().atime.sec,
        clock().sec
    );
    // sendfile updates the user's offset.
    let offp = m.put(0x400, &3i64.to_le_bytes());
    let g = m.cstr(0x500, "/g");
    let gfd = ok(call(
        &w,
        &p,
        &mut m,
        nr::OPEN,
        [g, (O_CREAT | O_RDWR) as u64, 0o644, 0, 0, 0],
    ));
    assert_eq!(
        ok(call(
            &w,
            &p,
            &mut m,
            nr::SENDFILE,
            [gfd, ffd, offp, 4, 0, 0]
        )),
        4
    );
    assert_eq!(i64::from_le_bytes(m.at(offp, 8).try_into().unwrap()), 7);
    assert_eq!(w.get(&p, b"/g").unwrap(), b"3456");
    let oi = m.put(0x600, &0i64.to_le_bytes());
    assert_eq!(
        ok(call(
            &w,
            &p,
            &mut m,
            nr::COPY_FILE_RANGE,
            [ffd, oi, gfd, 0, 2, 0]
        )),
        2
    );
    assert_eq!(i64::from_le_bytes(m.at(oi, 8).try_into().unwrap()), 2);
    assert_eq!(w.get(&p, b"/g").unwrap(), b"345601");
    assert_eq!(
        err(call(&w, &p, &mut m, nr::CLOSE_RANGE, [5, 3, 0, 0, 0, 0])),
        Errno::EINVAL
    );
    ok(call(
        &w,
        &p,
        &mut m,
        nr::CLOSE_RANGE,
        [0, u32::MAX as u64, 0, 0, 0, 0],
    ));
    assert_eq!(p.fds.count(), 0);
}

fn arg() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..16,
        Just(AT),
        any::<u64>(),
        (0u64..0x1_0000).prop_map(|o| 0x10_0000 + o),
        (0u64..0x1_0000).prop_map(|o| 0x10_0000 + o * 16),
        Just(BASE + (2 << 20) - 3),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Garbage registers never panic and never leave the image inconsistent.
    #[test]
    fn raw_garbage_never_panics(calls in prop::collection::vec(
        (prop::sample::select(FILE_SYSCALLS), prop::array::uniform6(arg())), 1..60))
    {
        let w = world();
        let p = w.spawn(1, b"/t");
        let mut m = Mem::new();
        // Some valid strings to hit: paths at 0x100000 + 0, 16, 32...
        for (i, s) in ["/", "/a", "a/b", "/dev/null", "/proc/self/fd", ".", "..", "/a/../a/x"].iter().enumerate() {
            m.cstr(i * 16, s);
        }
        for (n, a) in &calls {
            let r = file_syscall(&w.vfs, p.c(), &mut m, *n, *a);
            prop_assert!(r.is_some(), "{} is listed but not decoded", n);
        }
        p.fds.close_all();
        w.vfs.sync().unwrap();
        w.root.with_fs(|fs| assert!(fs.fsck(false).unwrap().is_clean()));
    }
}
