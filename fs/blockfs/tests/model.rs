//! Property test: random sequences of name-space and data operations run
//! against both the file system and a plain in-memory model. Every result
//! (success or the exact error) must match the model; at the end fsck is
//! clean, and after unmount + mount the tree, contents and metadata are the
//! same as before.

use std::collections::{BTreeMap, HashMap};

use blockfs::{
    Error, FileSystem, FileType, FormatOptions, MemDevice, Metadata, MountOptions, SetTimes,
    ROOT_INO,
};
use proptest::prelude::*;

/// 96 MiB: room for several files through double-indirect blocks, so the
/// model never has to predict "no space".
const BLOCKS: usize = 24 * 1024;
/// Files start using the double-indirect block at this offset.
const DOUBLE_START: u64 = (12 + 1024) * 4096;

type Id = usize;

#[derive(Debug, Clone)]
enum Node {
    File {
        data: Vec<u8>,
        perm: u16,
    },
    Dir {
        entries: BTreeMap<Vec<u8>, Id>,
        perm: u16,
        parent: Id,
    },
    Symlink {
        target: Vec<u8>,
    },
}

/// The model: nodes by id (0 is the root) and the file system inode each
/// one got.
struct Model {
    nodes: HashMap<Id, Node>,
    ino: HashMap<Id, u32>,
    next: Id,
}

impl Model {
    fn new() -> Self {
        let root = Node::Dir {
            entries: BTreeMap::new(),
            perm: 0o755,
            parent: 0,
        };
        Model {
            nodes: HashMap::from([(0, root)]),
            ino: HashMap::from([(0, ROOT_INO)]),
            next: 1,
        }
    }

    fn entries(&self, dir: Id) -> &BTreeMap<Vec<u8>, Id> {
        match &self.nodes[&dir] {
            Node::Dir { entries, .. } => entries,
            _ => unreachable!("not a directory"),
        }
    }

    fn entries_mut(&mut self, dir: Id) -> &mut BTreeMap<Vec<u8>, Id> {
        match self.nodes.get_mut(&dir) {
            Some(Node::Dir { entries, .. }) => entries,
            _ => unreachable!("not a directory"),
        }
    }

    fn is_dir(&self, id: Id) -> bool {
        matches!(self.nodes[&id], Node::Dir { .. })
    }

    /// Every (directory, name, node) entry, in a stable order.
    fn all_entries(&self) -> Vec<(Id, Vec<u8>, Id)> {
        let mut out = Vec::new();
        let mut stack = vec![0];
        while let Some(d) = stack.pop() {
            for (name, &id) in self.entries(d) {
                out.push((d, name.clone(), id));
                if self.is_dir(id) {
                    stack.push(id);
                }
            }
        }
        out
    }

    fn dirs(&self) -> Vec<Id> {
        let mut v: Vec<Id> = vec![0];
        v.extend(
            self.all_entries()
                .into_iter()
                .filter(|e| self.is_dir(e.2))
                .map(|e| e.2),
        );
        v
    }

    fn files(&self) -> Vec<Id> {
        let mut v: Vec<Id> = self
            .all_entries()
            .into_iter()
            .map(|e| e.2)
            .filter(|id| matches!(self.nodes[id], Node::File { .. }))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn links(&self, id: Id) -> u16 {
        let all = self.all_entries();
        match &self.nodes[&id] {
            Node::Dir { entries, .. } => {
                2 + entries.values().filter(|c| self.is_dir(**c)).count() as u16
            }
            _ => all.iter().filter(|e| e.2 == id).count() as u16,
        }
    }

    /// Whether `dir` is `ancestor` or below it.
    fn within(&self, mut dir: Id, ancestor: Id) -> bool {
        loop {
            if dir == ancestor {
                return true;
            }
            if dir == 0 {
                return false;
            }
            dir = match self.nodes[&dir] {
                Node::Dir { parent, .. } => parent,
                _ => unreachable!(),
            };
        }
    }

    fn add(&mut self, node: Node, ino: u32) -> Id {
        let id = self.next;
        self.next += 1;
        self.nodes.insert(id, node);
        self.ino.insert(id, ino);
        id
    }

    /// Forgets `id` once no entry names it.
    fn collect(&mut self, id: Id) {
        if !self.all_entries().iter().any(|e| e.2 == id) {
            self.nodes.remove(&id);
            self.ino.remove(&id);
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Create {
        dir: usize,
        name: usize,
        perm: u16,
    },
    Mkdir {
        dir: usize,
        name: usize,
    },
    Symlink {
        dir: usize,
        name: usize,
        target: Vec<u8>,
    },
    Link {
        file: usize,
        dir: usize,
        name: usize,
    },
    Write {
        file: usize,
        off: u64,
        len: usize,
        seed: u8,
    },
    Truncate {
        file: usize,
        size: u64,
    },
    Unlink {
        entry: usize,
    },
    Rmdir {
        entry: usize,
    },
    Rename {
        entry: usize,
        dir: usize,
        name: usize,
    },
    Chmod {
        entry: usize,
        perm: u16,
    },
    Utimes {
        entry: usize,
        mtime: u32,
    },
    Remount {
        small_cache: bool,
    },
}

/// A few short names (so operations collide), the longest legal name and
/// one byte too many.
fn name(i: usize) -> Vec<u8> {
    match i % 8 {
        0..=4 => vec![b'a' + (i % 8) as u8],
        5 => b"longer-name.txt".to_vec(),
        6 => vec![b'n'; 255],
        _ => vec![b'x'; 256],
    }
}

fn offset() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => 0u64..20_000,
        2 => 40_000u64..60_000,
        1 => DOUBLE_START - 10_000..DOUBLE_START + 10_000,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let idx = any::<usize>;
    prop_oneof![
        4 => (idx(), idx(), 0u16..0o1000).prop_map(|(dir, name, perm)| Op::Create { dir, name, perm }),
        3 => (idx(), idx()).prop_map(|(dir, name)| Op::Mkdir { dir, name }),
        1 => (idx(), idx(), prop::collection::vec(b'a'..=b'z', 1..40))
            .prop_map(|(dir, name, target)| Op::Symlink { dir, name, target }),
        2 => (idx(), idx(), idx()).prop_map(|(file, dir, name)| Op::Link { file, dir, name }),
        6 => (idx(), offset(), 0usize..10_000, any::<u8>())
            .prop_map(|(file, off, len, seed)| Op::Write { file, off, len, seed }),
        2 => (idx(), offset()).prop_map(|(file, size)| Op::Truncate { file, size }),
        2 => idx().prop_map(|entry| Op::Unlink { entry }),
        2 => idx().prop_map(|entry| Op::Rmdir { entry }),
        3 => (idx(), idx(), idx()).prop_map(|(entry, dir, name)| Op::Rename { entry, dir, name }),
        1 => (idx(), 0u16..0o10000).prop_map(|(entry, perm)| Op::Chmod { entry, perm }),
        1 => (idx(), any::<u32>()).prop_map(|(entry, mtime)| Op::Utimes { entry, mtime }),
        1 => any::<bool>().prop_map(|small_cache| Op::Remount { small_cache }),
    ]
}

fn pick<T: Clone>(v: &[T], i: usize) -> Option<T> {
    (!v.is_empty()).then(|| v[i % v.len()].clone())
}

fn check_new_name(m: &Model, dir: Id, name: &[u8]) -> Result<(), Error> {
    if name.len() > 255 {
        return Err(Error::NameTooLong);
    }
    if m.entries(dir).contains_key(name) {
        return Err(Error::Exists);
    }
    Ok(())
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

type Fs = FileSystem<MemDevice>;

fn mount(dev: MemDevice, small_cache: bool) -> Fs {
    let cache_blocks = if small_cache { 16 } else { 4096 };
    FileSystem::mount(
        dev,
        MountOptions {
            cache_blocks,
            ..Default::default()
        },
    )
    .expect("mount")
}

/// Applies one operation to both sides and compares the outcomes.
fn apply(fs: &mut Option<Fs>, m: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    let f = fs.as_mut().expect("mounted");
    let entries = m.all_entries();
    let dirs = m.dirs();
    let files = m.files();
    match op.clone() {
        Op::Create { dir, name: n, perm } => {
            let d = pick(&dirs, dir).expect("root exists");
            let name = name(n);
            let got = f.create(m.ino[&d], &name, perm);
            let want = check_new_name(m, d, &name);
            prop_assert_eq!(got.as_ref().err(), want.as_ref().err(), "{:?}", op);
            if let Ok(ino) = got {
                let id = m.add(Node::File { data: vec![], perm }, ino);
                m.entries_mut(d).insert(name, id);
            }
        }
        Op::Mkdir { dir, name: n } => {
            let d = pick(&dirs, dir).expect("root exists");
            let name = name(n);
            let got = f.mkdir(m.ino[&d], &name, 0o750);
            let want = check_new_name(m, d, &name);
            prop_assert_eq!(got.as_ref().err(), want.as_ref().err(), "{:?}", op);
            if let Ok(ino) = got {
                let id = m.add(
                    Node::Dir {
                        entries: BTreeMap::new(),
                        perm: 0o750,
                        parent: d,
                    },
                    ino,
                );
                m.entries_mut(d).insert(name, id);
            }
        }
        Op::Symlink {
            dir,
            name: n,
            target,
        } => {
            let d = pick(&dirs, dir).expect("root exists");
            let name = name(n);
            let got = f.symlink(m.ino[&d], &name, &target);
            let want = check_new_name(m, d, &name);
            prop_assert_eq!(got.as_ref().err(), want.as_ref().err(), "{:?}", op);
            if let Ok(ino) = got {
                let id = m.add(Node::Symlink { target }, ino);
                m.entries_mut(d).insert(name, id);
            }
        }
        Op::Link { file, dir, name: n } => {
            let Some(target) = pick(&files, file) else {
                return Ok(());
            };
            let d = pick(&dirs, dir).expect("root exists");
            let name = name(n);
            let got = f.link(m.ino[&target], m.ino[&d], &name);
            let want = check_new_name(m, d, &name);
            prop_assert_eq!(got.as_ref().err(), want.as_ref().err(), "{:?}", op);
            if got.is_ok() {
                m.entries_mut(d).insert(name, target);
            }
        }
        Op::Write {
            file,
            off,
            len,
            seed,
        } => {
            let Some(id) = pick(&files, file) else {
                return Ok(());
            };
            let data = pattern(len, seed);
            prop_assert_eq!(f.write_at(m.ino[&id], off, &data), Ok(len));
            if let Some(Node::File { data: d, .. }) = m.nodes.get_mut(&id) {
                let end = off as usize + len;
                if d.len() < end {
                    d.resize(end, 0);
                }
                d[off as usize..end].copy_from_slice(&data);
            }
        }
        Op::Truncate { file, size } => {
            let Some(id) = pick(&files, file) else {
                return Ok(());
            };
            prop_assert_eq!(f.truncate(m.ino[&id], size), Ok(()));
            if let Some(Node::File { data, .. }) = m.nodes.get_mut(&id) {
                data.resize(size as usize, 0);
            }
        }
        Op::Unlink { entry } => {
            let Some((d, name, id)) = pick(&entries, entry) else {
                return Ok(());
            };
            let got = f.unlink(m.ino[&d], &name);
            let want = if m.is_dir(id) {
                Err(Error::IsDir)
            } else {
                Ok(())
            };
            prop_assert_eq!(&got, &want, "{:?}", op);
            if got.is_ok() {
                m.entries_mut(d).remove(&name);
                m.collect(id);
            }
        }
        Op::Rmdir { entry } => {
            let Some((d, name, id)) = pick(&entries, entry) else {
                return Ok(());
            };
            let got = f.rmdir(m.ino[&d], &name);
            let want = match &m.nodes[&id] {
                Node::Dir { entries, .. } if entries.is_empty() => Ok(()),
                Node::Dir { .. } => Err(Error::NotEmpty),
                _ => Err(Error::NotDir),
            };
            prop_assert_eq!(&got, &want, "{:?}", op);
            if got.is_ok() {
                m.entries_mut(d).remove(&name);
                m.collect(id);
            }
        }
        Op::Rename {
            entry,
            dir,
            name: n,
        } => {
            let Some((sd, sname, id)) = pick(&entries, entry) else {
                return Ok(());
            };
            let dd = pick(&dirs, dir).expect("root exists");
            let dname = name(n);
            let got = f.rename(m.ino[&sd], &sname, m.ino[&dd], &dname);
            let dst = m.entries(dd).get(&dname).copied();
            let want = if dname.len() > 255 {
                Err(Error::NameTooLong)
            } else if m.is_dir(id) && m.within(dd, id) {
                Err(Error::Invalid)
            } else {
                match dst {
                    Some(t) if t == id => Ok(()),
                    Some(t) => match (m.is_dir(id), m.is_dir(t)) {
                        (true, false) => Err(Error::NotDir),
                        (false, true) => Err(Error::IsDir),
                        (true, true) if !m.entries(t).is_empty() => Err(Error::NotEmpty),
                        _ => Ok(()),
                    },
                    None => Ok(()),
                }
            };
            prop_assert_eq!(&got, &want, "{:?}", op);
            if got.is_ok() && dst != Some(id) {
                m.entries_mut(sd).remove(&sname);
                if let Some(old) = m.entries_mut(dd).insert(dname, id) {
                    m.collect(old);
                }
                if let Some(Node::Dir { parent, .. }) = m.nodes.get_mut(&id) {
                    *parent = dd;
                }
            }
        }
        Op::Chmod { entry, perm } => {
            let Some((_, _, id)) = pick(&entries, entry) else {
                return Ok(());
            };
            prop_assert_eq!(f.set_mode(m.ino[&id], perm), Ok(()));
            if let Some(Node::File { perm: p, .. } | Node::Dir { perm: p, .. }) =
                m.nodes.get_mut(&id)
            {
                *p = perm;
            }
            if matches!(m.nodes[&id], Node::Symlink { .. }) {
                // Symlink permissions are not modelled: restore them.
                prop_assert_eq!(f.set_mode(m.ino[&id], 0o777), Ok(()));
            }
        }
        Op::Utimes { entry, mtime } => {
            let Some((_, _, id)) = pick(&entries, entry) else {
                return Ok(());
            };
            let times = SetTimes {
                atime: Some(mtime / 2),
                mtime: Some(mtime),
            };
            prop_assert_eq!(f.set_times(m.ino[&id], times), Ok(()));
            prop_assert_eq!(f.metadata(m.ino[&id]).expect("stat").mtime, mtime);
        }
        Op::Remount { small_cache } => {
            let dev = fs.take().expect("mounted").unmount().expect("unmount");
            *fs = Some(mount(dev, small_cache));
        }
    }
    Ok(())
}

/// Compares the whole tree with the model.
fn compare(fs: &mut Fs, m: &Model) -> Result<(), TestCaseError> {
    let mut stack = vec![0];
    while let Some(d) = stack.pop() {
        let dino = m.ino[&d];
        let mut listed: Vec<Vec<u8>> = fs
            .read_dir(dino)
            .expect("read_dir")
            .into_iter()
            .map(|e| e.name)
            .collect();
        listed.sort();
        let mut want: Vec<Vec<u8>> = m.entries(d).keys().cloned().collect();
        want.extend([b".".to_vec(), b"..".to_vec()]);
        want.sort();
        prop_assert_eq!(listed, want);
        for (name, &id) in m.entries(d) {
            let ino = m.ino[&id];
            prop_assert_eq!(fs.lookup(dino, name), Ok(ino));
            let meta = fs.metadata(ino).expect("stat");
            prop_assert_eq!(
                meta.nlink,
                m.links(id),
                "links of {:?}",
                String::from_utf8_lossy(name)
            );
            match &m.nodes[&id] {
                Node::File { data, perm } => {
                    prop_assert_eq!(meta.file_type, FileType::Regular);
                    prop_assert_eq!(meta.perm, *perm);
                    prop_assert_eq!(meta.size, data.len() as u64);
                    let mut buf = vec![0u8; data.len() + 10];
                    prop_assert_eq!(fs.read_at(ino, 0, &mut buf), Ok(data.len()));
                    prop_assert!(
                        buf[..data.len()] == data[..],
                        "contents of {:?}",
                        String::from_utf8_lossy(name)
                    );
                }
                Node::Dir { perm, .. } => {
                    prop_assert_eq!(meta.file_type, FileType::Directory);
                    prop_assert_eq!(meta.perm, *perm);
                    prop_assert_eq!(fs.lookup(ino, b".."), Ok(dino));
                    stack.push(id);
                }
                Node::Symlink { target } => {
                    prop_assert_eq!(meta.file_type, FileType::Symlink);
                    prop_assert_eq!(&fs.readlink(ino).expect("readlink"), target);
                }
            }
        }
    }
    let st = fs.statfs();
    prop_assert_eq!(
        st.total_inodes - st.free_inodes,
        m.nodes.len() as u32,
        "inodes in use"
    );
    Ok(())
}

/// Every inode's metadata, by model id.
fn snapshot(fs: &mut Fs, m: &Model) -> BTreeMap<Id, Metadata> {
    m.ino
        .iter()
        .map(|(&id, &ino)| (id, fs.metadata(ino).expect("stat")))
        .collect()
}

fn assert_clean(fs: &mut Fs) -> Result<(), TestCaseError> {
    let r = fs.fsck(false).expect("fsck");
    prop_assert!(r.is_clean(), "fsck: {:?}", r.problems);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn operations_match_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let opts = FormatOptions { assume_zeroed: true, ..Default::default() };
        let mut fs = Some(FileSystem::format(MemDevice::new(BLOCKS), &opts).expect("format"));
        let mut m = Model::new();
        for op in &ops {
            apply(&mut fs, &mut m, op)?;
        }
        let mut f = fs.take().expect("mounted");
        compare(&mut f, &m)?;
        assert_clean(&mut f)?;
        let before = snapshot(&mut f, &m);
        let mut f = mount(f.unmount().expect("unmount"), false);
        assert_clean(&mut f)?;
        compare(&mut f, &m)?;
        prop_assert_eq!(snapshot(&mut f, &m), before);
    }
}
