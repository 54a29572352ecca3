//! Random operation sequences on the VFS compared with a small in-memory
//! model of POSIX semantics (names, hard links, shared offsets, open
//! files outliving their names, lowest-free fds).
mod common;
use common::*;

use proptest::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

const DIRS: [&str; 3] = ["", "/d1", "/d2"];
const NAMES: [&str; 3] = ["a", "b", "c"];

fn file_path(i: usize) -> String {
    format!("{}/{}", DIRS[i / 3], NAMES[i % 3])
}

#[derive(Debug, Clone)]
enum Op {
    Open {
        path: usize,
        create: bool,
        trunc: bool,
        append: bool,
    },
    Write {
        fd: i32,
        data: Vec<u8>,
    },
    Read {
        fd: i32,
        len: usize,
    },
    Seek {
        fd: i32,
        off: i64,
    },
    Rename {
        src: usize,
        dst: usize,
    },
    Link {
        src: usize,
        dst: usize,
    },
    Unlink {
        path: usize,
    },
    Mkdir {
        dir: usize,
    },
    Rmdir {
        dir: usize,
    },
    Dup {
        fd: i32,
    },
    Close {
        fd: i32,
    },
    Stat {
        path: usize,
    },
    Truncate {
        fd: i32,
        len: usize,
    },
    Pread {
        fd: i32,
        len: usize,
        off: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let path = 0..9usize;
    let fd = 0..7i32;
    prop_oneof![
        4 => (path.clone(), any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(path, create, trunc, append)| Op::Open { path, create, trunc, append }),
        4 => (fd.clone(), prop::collection::vec(any::<u8>(), 0..6000)).prop_map(|(fd, data)| Op::Write { fd, data }),
        3 => (fd.clone(), 0..7000usize).prop_map(|(fd, len)| Op::Read { fd, len }),
        2 => (fd.clone(), 0..9000i64).prop_map(|(fd, off)| Op::Seek { fd, off }),
        2 => (path.clone(), path.clone()).prop_map(|(src, dst)| Op::Rename { src, dst }),
        1 => (path.clone(), path.clone()).prop_map(|(src, dst)| Op::Link { src, dst }),
        2 => path.clone().prop_map(|path| Op::Unlink { path }),
        2 => (1..3usize).prop_map(|dir| Op::Mkdir { dir }),
        1 => (1..3usize).prop_map(|dir| Op::Rmdir { dir }),
        1 => fd.clone().prop_map(|fd| Op::Dup { fd }),
        2 => fd.clone().prop_map(|fd| Op::Close { fd }),
        1 => path.prop_map(|path| Op::Stat { path }),
        1 => (fd.clone(), 0..9000usize).prop_map(|(fd, len)| Op::Truncate { fd, len }),
        1 => (fd, 0..5000usize, 0..9000u64).prop_map(|(fd, len, off)| Op::Pread { fd, len, off }),
    ]
}

type Data = Rc<RefCell<Vec<u8>>>;

#[derive(Clone)]
struct MFile {
    data: Data,
    offset: Rc<Cell<u64>>,
    append: bool,
}

#[derive(Default)]
struct Model {
    dirs: [bool; 3],
    files: BTreeMap<usize, Data>,
    fds: Vec<Option<MFile>>,
}

type R = std::result::Result<Vec<u8>, Errno>;

impl Model {
    fn new() -> Self {
        Model {
            dirs: [true, false, false],
            ..Default::default()
        }
    }
    fn fd(&self, fd: i32) -> Result<MFile> {
        self.fds
            .get(fd as usize)
            .cloned()
            .flatten()
            .ok_or(Errno::EBADF)
    }
    fn parent_ok(&self, path: usize) -> Result<()> {
        if self.dirs[path / 3] {
            Ok(())
        } else {
            Err(Errno::ENOENT)
        }
    }
    fn insert(&mut self, f: MFile) -> i32 {
        let i = self
            .fds
            .iter()
            .position(|s| s.is_none())
            .unwrap_or(self.fds.len());
        if i == self.fds.len() {
            self.fds.push(None);
        }
        self.fds[i] = Some(f);
        i as i32
    }
    fn apply(&mut self, op: &Op) -> R {
        let num = |n: usize| Ok(n.to_le_bytes().to_vec());
        match *op {
            Op::Open {
                path,
                create,
                trunc,
                append,
            } => {
                self.parent_ok(path)?;
                let data = match self.files.get(&path) {
                    Some(d) => d.clone(),
                    None if create => {
                        let d = Data::default();
                        self.files.insert(path, d.clone());
                        d
                    }
                    None => return Err(Errno::ENOENT),
                };
                if trunc {
                    data.borrow_mut().clear();
                }
                let fd = self.insert(MFile {
                    data,
                    offset: Rc::default(),
                    append,
                });
                num(fd as usize)
            }
            Op::Write { fd, ref data } => {
                let f = self.fd(fd)?;
                let mut d = f.data.borrow_mut();
                let off = if f.append {
                    d.len()
                } else {
                    f.offset.get() as usize
                };
                if d.len() < off + data.len() {
                    d.resize(off + data.len(), 0);
                }
                d[off..off + data.len()].copy_from_slice(data);
                f.offset.set((off + data.len()) as u64);
                num(data.len())
            }
            Op::Read { fd, len } => {
                let f = self.fd(fd)?;
                let d = f.data.borrow();
                let off = f.offset.get() as usize;
                if off >= d.len() {
                    return Ok(Vec::new());
                }
                let n = len.min(d.len() - off);
                f.offset.set((off + n) as u64);
                Ok(d[off..off + n].to_vec())
            }
            Op::Seek { fd, off } => {
                let f = self.fd(fd)?;
                f.offset.set(off as u64);
                num(off as usize)
            }
            Op::Rename { src, dst } => {
                self.parent_ok(src)?;
                self.parent_ok(dst)?;
                let d = self.files.get(&src).cloned().ok_or(Errno::ENOENT)?;
                if self.files.get(&dst).is_some_and(|x| Rc::ptr_eq(x, &d)) {
                    return num(0);
                }
                self.files.remove(&src);
                self.files.insert(dst, d);
                num(0)
            }
            Op::Link { src, dst } => {
                self.parent_ok(src)?;
                let d = self.files.get(&src).cloned().ok_or(Errno::ENOENT)?;
                self.parent_ok(dst)?;
                if self.files.contains_key(&dst) {
                    return Err(Errno::EEXIST);
                }
                self.files.insert(dst, d);
                num(0)
            }
            Op::Unlink { path } => {
                self.parent_ok(path)?;
                self.files.remove(&path).ok_or(Errno::ENOENT)?;
                num(0)
            }
            Op::Mkdir { dir } => {
                if self.dirs[dir] {
                    return Err(Errno::EEXIST);
                }
                self.dirs[dir] = true;
                num(0)
            }
            Op::Rmdir { dir } => {
                if !self.dirs[dir] {
                    return Err(Errno::ENOENT);
                }
                if self.files.keys().any(|&p| p / 3 == dir) {
                    return Err(Errno::ENOTEMPTY);
                }
                self.dirs[dir] = false;
                num(0)
            }
            Op::Dup { fd } => {
                let f = self.fd(fd)?;
                let n = self.insert(f);
                num(n as usize)
            }
            Op::Close { fd } => {
                self.fd(fd)?;
                self.fds[fd as usize] = None;
                num(0)
            }
            Op::Truncate { fd, len } => {
                self.fd(fd)?.data.borrow_mut().resize(len, 0);
                num(0)
            }
            Op::Pread { fd, len, off } => {
                let f = self.fd(fd)?;
                let d = f.data.borrow();
                let off = (off as usize).min(d.len());
                Ok(d[off..(off + len).min(d.len())].to_vec())
            }
            Op::Stat { path } => {
                self.parent_ok(path)?;
                let d = self.files.get(&path).ok_or(Errno::ENOENT)?;
                let links = self.files.values().filter(|x| Rc::ptr_eq(x, d)).count();
                let mut out = d.borrow().len().to_le_bytes().to_vec();
                out.extend_from_slice(&links.to_le_bytes());
                Ok(out)
            }
        }
    }
}

fn apply(w: &World, p: &Proc, op: &Op) -> R {
    let (v, c) = (&w.vfs, p.c());
    let num = |n: usize| Ok(n.to_le_bytes().to_vec());
    let path = |i: usize| file_path(i).into_bytes();
    match *op {
        Op::Open {
            path: i,
            create,
            trunc,
            append,
        } => {
            let mut fl = O_RDWR;
            for (on, bit) in [(create, O_CREAT), (trunc, O_TRUNC), (append, O_APPEND)] {
                if on {
                    fl |= bit;
                }
            }
            num(v.openat(c, AT_FDCWD, &path(i), fl, 0o644)? as usize)
        }
        Op::Write { fd, ref data } => num(v.write(c, fd, data)?),
        Op::Read { fd, len } => {
            let mut b = vec![0u8; len];
            let n = v.read(c, fd, &mut b)?;
            b.truncate(n);
            Ok(b)
        }
        Op::Seek { fd, off } => num(v.lseek(c, fd, off, SEEK_SET)? as usize),
        Op::Rename { src, dst } => v
            .renameat2(c, AT_FDCWD, &path(src), AT_FDCWD, &path(dst), 0)
            .and(num(0)),
        Op::Link { src, dst } => v
            .linkat(c, AT_FDCWD, &path(src), AT_FDCWD, &path(dst), 0)
            .and(num(0)),
        Op::Unlink { path: i } => v.unlinkat(c, AT_FDCWD, &path(i), 0).and(num(0)),
        Op::Mkdir { dir } => v
            .mkdirat(c, AT_FDCWD, DIRS[dir].as_bytes(), 0o755)
            .and(num(0)),
        Op::Rmdir { dir } => v
            .unlinkat(c, AT_FDCWD, DIRS[dir].as_bytes(), AT_REMOVEDIR)
            .and(num(0)),
        Op::Dup { fd } => num(v.dup(c, fd)? as usize),
        Op::Close { fd } => v.close(c, fd).and(num(0)),
        Op::Truncate { fd, len } => v.ftruncate(c, fd, len as i64).and(num(0)),
        Op::Pread { fd, len, off } => {
            let mut b = vec![0u8; len];
            let n = v.pread(c, fd, &mut b, off as i64)?;
            b.truncate(n);
            Ok(b)
        }
        Op::Stat { path: i } => {
            let st = v.fstatat(c, AT_FDCWD, &path(i), 0)?;
            let mut out = (st.size as usize).to_le_bytes().to_vec();
            out.extend_from_slice(&(st.nlink as usize).to_le_bytes());
            Ok(out)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn vfs_matches_model(ops in prop::collection::vec(op(), 1..60)) {
        let w = world();
        let p = w.spawn(1, b"/t");
        let mut m = Model::new();
        for (i, op) in ops.iter().enumerate() {
            let want = m.apply(op);
            let got = apply(&w, &p, op);
            prop_assert_eq!(&got, &want, "step {} {:?}", i, op);
        }
        for i in 0..9 {
            let got = w.get(&p, file_path(i).as_bytes());
            let want = if m.dirs[i / 3] {
                m.files.get(&i).map(|d| d.borrow().clone()).ok_or(Errno::ENOENT)
            } else {
                Err(Errno::ENOENT)
            };
            prop_assert_eq!(got, want, "final contents of {}", file_path(i));
        }
        // Closing everything frees orphans; the image stays consistent.
        p.fds.close_all();
        w.root.with_fs(|fs| {
            let report = fs.fsck(false).unwrap();
            assert!(report.is_clean(), "{report:?}");
        });
    }
}
