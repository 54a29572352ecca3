//! Differential test against the host's Linux kernel: the same random
//! operation sequences run on a fresh host directory (through std) and on
//! the VFS, and every result — value or errno — must agree.
mod common;
use common::*;

use proptest::prelude::*;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const PATHS: &[&str] = &[
    "a", "b", "d", "d/a", "d/b", "d/e", "d/e/a", "l", "l/a", "a/", "d/", "d/.", "d/..", "d/../b",
    "l/", "m", "m/a", ".", "x/a", "d/e/..", "a/b",
];
// No "." or "..": a link must never lead above the work directory.
const TARGETS: &[&str] = &["a", "d", "d/e", "nope", "l", "m", "e", "d/e/a"];
const SLOTS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    Open(usize, usize, usize),
    Write(usize, usize),
    Read(usize, usize),
    Seek(usize, i64, u8),
    Close(usize),
    Truncate(usize, u64),
    Fstat(usize),
    Mkdir(usize),
    Rmdir(usize),
    Unlink(usize),
    Rename(usize, usize),
    Link(usize, usize),
    Symlink(usize, usize),
    Readlink(usize),
    Stat(usize, bool),
    List(usize),
    Chmod(usize, u32),
    Pwrite(usize, usize, u64),
    Pread(usize, usize, u64),
    Dup(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PATHS.len();
    let s = 0..SLOTS;
    prop_oneof![
        4 => (s.clone(), p.clone(), 0..MODES.len()).prop_map(|(s, p, m)| Op::Open(s, p, m)),
        3 => (s.clone(), 0..9000usize).prop_map(|(s, n)| Op::Write(s, n)),
        2 => (s.clone(), 0..9000usize).prop_map(|(s, n)| Op::Read(s, n)),
        1 => (s.clone(), -100i64..10_000, 0..3u8).prop_map(|(s, o, w)| Op::Seek(s, o, w)),
        1 => s.clone().prop_map(Op::Close),
        1 => (s.clone(), 0..10_000u64).prop_map(|(s, n)| Op::Truncate(s, n)),
        1 => s.clone().prop_map(Op::Fstat),
        2 => p.clone().prop_map(Op::Mkdir),
        1 => p.clone().prop_map(Op::Rmdir),
        2 => p.clone().prop_map(Op::Unlink),
        2 => (p.clone(), p.clone()).prop_map(|(a, b)| Op::Rename(a, b)),
        1 => (p.clone(), p.clone()).prop_map(|(a, b)| Op::Link(a, b)),
        2 => (0..TARGETS.len(), p.clone()).prop_map(|(t, b)| Op::Symlink(t, b)),
        1 => p.clone().prop_map(Op::Readlink),
        2 => (p.clone(), any::<bool>()).prop_map(|(a, f)| Op::Stat(a, f)),
        1 => p.clone().prop_map(Op::List),
        1 => (p, 0..0o10000u32).prop_map(|(p, m)| Op::Chmod(p, m)),
        1 => (s.clone(), 0..5000usize, 0..12_000u64).prop_map(|(s, n, o)| Op::Pwrite(s, n, o)),
        1 => (s.clone(), 0..5000usize, 0..12_000u64).prop_map(|(s, n, o)| Op::Pread(s, n, o)),
        1 => (s.clone(), s).prop_map(|(a, b)| Op::Dup(a, b)),
    ]
}

/// (read, write, create, create_new, truncate, append, extra flags)
type Mode = (bool, bool, bool, bool, bool, bool, u32);
const MODES: &[Mode] = &[
    (true, false, false, false, false, false, 0),
    (false, true, true, false, false, false, 0),
    (true, true, true, true, false, false, 0),
    (true, false, false, false, false, false, O_DIRECTORY),
    (false, true, false, false, true, false, 0),
    (true, false, false, false, false, false, O_NOFOLLOW),
    (false, true, true, false, false, true, 0),
    (true, true, false, false, false, false, 0),
    (true, false, false, false, false, false, O_PATH),
    (true, false, false, false, false, false, O_PATH | O_NOFOLLOW),
    (true, true, true, false, true, false, 0),
    (false, true, true, false, false, false, O_NOFOLLOW),
];

fn flags_of(m: &Mode) -> u32 {
    let acc = match (m.0, m.1) {
        (true, true) => O_RDWR,
        (false, true) => O_WRONLY,
        _ => O_RDONLY,
    };
    let mut f = acc | m.6;
    for (on, bit) in [
        (m.2, O_CREAT),
        (m.3, O_CREAT | O_EXCL),
        (m.4, O_TRUNC),
        (m.5, O_APPEND),
    ] {
        if on {
            f |= bit;
        }
    }
    f
}

/// What an operation returned, comparable across the two systems.
#[derive(Debug, PartialEq)]
enum Out {
    Unit,
    Num(u64),
    Bytes(Vec<u8>),
    Meta(char, u64, u64, u32),
    Names(Vec<String>),
    Err(i32),
}

fn kind_char(k: FileKind) -> char {
    match k {
        FileKind::Regular => 'f',
        FileKind::Directory => 'd',
        FileKind::Symlink => 'l',
        _ => '?',
    }
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 253) as u8).collect()
}

struct Host {
    root: PathBuf,
    slots: Vec<Option<File>>,
}

fn herr(e: std::io::Error) -> Out {
    Out::Err(e.raw_os_error().unwrap_or(-1))
}

fn hmeta(m: std::io::Result<fs::Metadata>) -> Out {
    match m {
        Ok(m) => {
            let t = m.file_type();
            let k = if t.is_symlink() {
                'l'
            } else if t.is_dir() {
                'd'
            } else if t.is_file() {
                'f'
            } else {
                '?'
            };
            // Directory sizes are file-system specific.
            Out::Meta(
                k,
                if k == 'd' { 0 } else { m.size() },
                m.nlink(),
                m.mode() & 0o7777,
            )
        }
        Err(e) => herr(e),
    }
}

impl Host {
    fn p(&self, i: usize) -> PathBuf {
        self.root.join(PATHS[i])
    }
    fn run(&mut self, op: &Op) -> Out {
        let res = |r: std::io::Result<()>| r.map(|_| Out::Unit).unwrap_or_else(herr);
        match *op {
            Op::Open(s, p, m) => {
                let m = MODES[m];
                let r = OpenOptions::new()
                    .read(m.0)
                    .write(m.1)
                    .create(m.2)
                    .create_new(m.3)
                    .truncate(m.4)
                    .append(m.5)
                    .custom_flags(m.6 as i32)
                    .mode(0o644)
                    .open(self.p(p));
                match r {
                    Ok(f) => {
                        self.slots[s] = Some(f);
                        Out::Unit
                    }
                    Err(e) => herr(e),
                }
            }
            Op::Write(s, n) => match self.slots[s].as_mut() {
                Some(f) => f
                    .write(&payload(n))
                    .map(|n| Out::Num(n as u64))
                    .unwrap_or_else(herr),
                None => Out::Err(9),
            },
            Op::Read(s, n) => match self.slots[s].as_mut() {
                Some(f) => {
                    let mut b = vec![0u8; n];
                    f.read(&mut b)
                        .map(|k| {
                            b.truncate(k);
                            Out::Bytes(b)
                        })
                        .unwrap_or_else(herr)
                }
                None => Out::Err(9),
            },
            Op::Seek(s, o, w) => match self.slots[s].as_mut() {
                // Directory offsets are file-system specific cookies.
                Some(f) if f.metadata().is_ok_and(|m| m.is_dir()) => Out::Unit,
                Some(f) => {
                    let pos = match w {
                        0 => SeekFrom::Start(o as u64),
                        1 => SeekFrom::Current(o),
                        _ => SeekFrom::End(o),
                    };
                    if w == 0 && o < 0 {
                        return Out::Err(22);
                    }
                    f.seek(pos).map(Out::Num).unwrap_or_else(herr)
                }
                None => Out::Err(9),
            },
            Op::Close(s) => match self.slots[s].take() {
                Some(_) => Out::Unit,
                None => Out::Err(9),
            },
            Op::Truncate(s, n) => match self.slots[s].as_ref() {
                Some(f) => res(f.set_len(n)),
                None => Out::Err(9),
            },
            Op::Fstat(s) => match self.slots[s].as_ref() {
                Some(f) => hmeta(f.metadata()),
                None => Out::Err(9),
            },
            Op::Mkdir(p) => res(fs::create_dir(self.p(p))),
            Op::Rmdir(p) => res(fs::remove_dir(self.p(p))),
            Op::Unlink(p) => res(fs::remove_file(self.p(p))),
            Op::Rename(a, b) => res(fs::rename(self.p(a), self.p(b))),
            Op::Link(a, b) => res(fs::hard_link(self.p(a), self.p(b))),
            Op::Symlink(t, p) => res(std::os::unix::fs::symlink(TARGETS[t], self.p(p))),
            Op::Readlink(p) => fs::read_link(self.p(p))
                .map(|t| Out::Bytes(t.into_os_string().into_encoded_bytes()))
                .unwrap_or_else(herr),
            Op::Stat(p, follow) => hmeta(if follow {
                fs::metadata(self.p(p))
            } else {
                fs::symlink_metadata(self.p(p))
            }),
            Op::Chmod(p, m) => res(fs::set_permissions(
                self.p(p),
                fs::Permissions::from_mode(m),
            )),
            Op::Pwrite(s, n, o) => match self.slots[s].as_ref() {
                Some(f) => f
                    .write_at(&payload(n), o)
                    .map(|n| Out::Num(n as u64))
                    .unwrap_or_else(herr),
                None => Out::Err(9),
            },
            Op::Pread(s, n, o) => match self.slots[s].as_ref() {
                Some(f) => {
                    let mut b = vec![0u8; n];
                    f.read_at(&mut b, o)
                        .map(|k| {
                            b.truncate(k);
                            Out::Bytes(b)
                        })
                        .unwrap_or_else(herr)
                }
                None => Out::Err(9),
            },
            Op::Dup(a, b) => match self.slots[a].as_ref().map(|f| f.try_clone()) {
                Some(Ok(f)) => {
                    self.slots[b] = Some(f);
                    Out::Unit
                }
                Some(Err(e)) => herr(e),
                None => Out::Err(9),
            },
            Op::List(p) => match fs::read_dir(self.p(p)) {
                Ok(it) => {
                    let mut names: Vec<String> = it
                        .map(|e| e.unwrap().file_name().into_string().unwrap())
                        .collect();
                    names.sort();
                    Out::Names(names)
                }
                Err(e) => herr(e),
            },
        }
    }
}

struct Ours<'a> {
    w: &'a World,
    p: &'a Proc,
    slots: Vec<Option<i32>>,
}

impl Ours<'_> {
    fn run(&mut self, op: &Op) -> Out {
        let (v, c) = (&self.w.vfs, self.p.c());
        let e = |e: Errno| Out::Err(e.0);
        let res = |r: Result<()>| r.map(|_| Out::Unit).unwrap_or_else(e);
        let path = |i: usize| PATHS[i].as_bytes();
        let meta = |r: Result<Stat>| match r {
            Ok(st) => {
                let k = kind_char(st.kind);
                Out::Meta(
                    k,
                    if k == 'd' { 0 } else { st.size },
                    st.nlink as u64,
                    st.perm,
                )
            }
            Err(x) => e(x),
        };
        let slot = |s: usize| self.slots[s].ok_or(Errno::EBADF);
        match *op {
            Op::Open(s, p, m) => {
                match v.openat(c, AT_FDCWD, path(p), flags_of(&MODES[m]) | O_CLOEXEC, 0o644) {
                    Ok(fd) => {
                        if let Some(old) = self.slots[s].replace(fd) {
                            v.close(c, old).unwrap();
                        }
                        Out::Unit
                    }
                    Err(x) => e(x),
                }
            }
            Op::Write(s, n) => slot(s)
                .and_then(|fd| v.write(c, fd, &payload(n)))
                .map(|n| Out::Num(n as u64))
                .unwrap_or_else(e),
            Op::Read(s, n) => {
                let mut b = vec![0u8; n];
                match slot(s).and_then(|fd| v.read(c, fd, &mut b)) {
                    Ok(k) => {
                        b.truncate(k);
                        Out::Bytes(b)
                    }
                    Err(x) => e(x),
                }
            }
            Op::Seek(s, _, _)
                if slot(s)
                    .and_then(|fd| v.fstat(c, fd))
                    .is_ok_and(|st| st.kind == FileKind::Directory) =>
            {
                Out::Unit
            }
            Op::Seek(s, o, w) => slot(s)
                .and_then(|fd| v.lseek(c, fd, o, w as u32))
                .map(Out::Num)
                .unwrap_or_else(e),
            Op::Close(s) => match self.slots[s].take() {
                Some(fd) => res(v.close(c, fd)),
                None => Out::Err(9),
            },
            Op::Truncate(s, n) => res(slot(s).and_then(|fd| v.ftruncate(c, fd, n as i64))),
            Op::Fstat(s) => meta(slot(s).and_then(|fd| v.fstat(c, fd))),
            Op::Mkdir(p) => res(v.mkdirat(c, AT_FDCWD, path(p), 0o777)),
            Op::Rmdir(p) => res(v.unlinkat(c, AT_FDCWD, path(p), AT_REMOVEDIR)),
            Op::Unlink(p) => res(v.unlinkat(c, AT_FDCWD, path(p), 0)),
            Op::Rename(a, b) => res(v.renameat2(c, AT_FDCWD, path(a), AT_FDCWD, path(b), 0)),
            Op::Link(a, b) => res(v.linkat(c, AT_FDCWD, path(a), AT_FDCWD, path(b), 0)),
            Op::Symlink(t, p) => res(v.symlinkat(c, TARGETS[t].as_bytes(), AT_FDCWD, path(p))),
            Op::Readlink(p) => v
                .readlinkat(c, AT_FDCWD, path(p))
                .map(Out::Bytes)
                .unwrap_or_else(e),
            Op::Stat(p, follow) => meta(v.fstatat(
                c,
                AT_FDCWD,
                path(p),
                if follow { 0 } else { AT_SYMLINK_NOFOLLOW },
            )),
            Op::Chmod(p, m) => res(v.fchmodat(c, AT_FDCWD, path(p), m, 0)),
            Op::Pwrite(s, n, o) => slot(s)
                .and_then(|fd| v.pwrite(c, fd, &payload(n), o as i64))
                .map(|n| Out::Num(n as u64))
                .unwrap_or_else(e),
            Op::Pread(s, n, o) => {
                let mut b = vec![0u8; n];
                match slot(s).and_then(|fd| v.pread(c, fd, &mut b, o as i64)) {
                    Ok(k) => {
                        b.truncate(k);
                        Out::Bytes(b)
                    }
                    Err(x) => e(x),
                }
            }
            Op::Dup(a, b) => match slot(a).and_then(|fd| v.dup(c, fd)) {
                Ok(fd) => {
                    if let Some(old) = self.slots[b].replace(fd) {
                        v.close(c, old).unwrap();
                    }
                    Out::Unit
                }
                Err(x) => e(x),
            },
            Op::List(p) => {
                let fd = match v.openat(c, AT_FDCWD, path(p), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
                {
                    Ok(fd) => fd,
                    Err(x) => return e(x),
                };
                let mut names = Vec::new();
                let mut buf = vec![0u8; 4096];
                loop {
                    let n = v.getdents64(c, fd, &mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    let mut off = 0;
                    while off < n {
                        let len = u16::from_le_bytes([buf[off + 16], buf[off + 17]]) as usize;
                        let raw = &buf[off + 19..off + len];
                        let name = &raw[..raw.iter().position(|&b| b == 0).unwrap()];
                        if name != b"." && name != b".." {
                            names.push(String::from_utf8(name.to_vec()).unwrap());
                        }
                        off += len;
                    }
                }
                v.close(c, fd).unwrap();
                names.sort();
                Out::Names(names)
            }
        }
    }
}

fn fresh_host_dir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "vfs-diff-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn cleanup(d: &Path) {
    let _ = fs::remove_dir_all(d);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn vfs_agrees_with_linux(ops in prop::collection::vec(op(), 1..50)) {
        let dir = fresh_host_dir();
        let mut host = Host { root: dir.clone(), slots: (0..SLOTS).map(|_| None).collect() };
        let w = world();
        let p = w.spawn(1, b"/t");
        // The VFS root has dev and proc; work one level down, like the host.
        w.vfs.mkdirat(p.c(), AT_FDCWD, b"/w", 0o755).unwrap();
        w.vfs.chdir(p.c(), b"/w").unwrap();
        let mut ours = Ours { w: &w, p: &p, slots: vec![None; SLOTS] };
        let mut failure = None;
        for (i, op) in ops.iter().enumerate() {
            let (h, o) = (host.run(op), ours.run(op));
            if h != o {
                failure = Some(format!("step {i} {op:?}: linux {h:?}, vfs {o:?}"));
                break;
            }
        }
        drop(host);
        cleanup(&dir);
        if let Some(f) = failure {
            prop_assert!(false, "{}", f);
        }
    }
}
