//! Copying host files and trees into an image.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context, Result};
use blockfs::{components, Error, FileDevice, FileSystem, FileType, SetTimes, MAX_NAME, ROOT_INO};

type Fs = FileSystem<FileDevice>;

/// Bytes read from a host file per write into the image.
const CHUNK: usize = 4 << 20;

/// Copies host files into an image, remembering hard links.
pub struct Copier {
    verbose: bool,
    buf: Vec<u8>,
    /// Host (device, inode) of multiply-linked files -> image inode.
    links: HashMap<(u64, u64), u32>,
}

fn secs(t: i64) -> u32 {
    t.clamp(0, u32::MAX as i64) as u32
}

fn times(meta: &Metadata) -> SetTimes {
    SetTimes {
        atime: Some(secs(meta.atime())),
        mtime: Some(secs(meta.mtime())),
    }
}

fn perm(meta: &Metadata) -> u16 {
    (meta.permissions().mode() & 0o7777) as u16
}

impl Copier {
    pub fn new(verbose: bool) -> Self {
        Copier {
            verbose,
            buf: vec![0; CHUNK],
            links: HashMap::new(),
        }
    }

    /// `--add IMG SRC DEST`: a directory's contents go into DEST; a file
    /// becomes DEST (or DEST/basename when DEST is a directory or ends in
    /// '/'). Missing parents are created.
    pub fn add(&mut self, fs: &mut Fs, src: &Path, dest: &str) -> Result<()> {
        let meta = fs::metadata(src).with_context(|| format!("reading {}", src.display()))?;
        if meta.is_dir() {
            return self.add_dir(fs, src, dest);
        }
        let (dir, name) = match existing_dir(fs, dest)? {
            Some(dir) => {
                let base = src.file_name().context("SRC has no file name")?;
                (dir, base.as_bytes().to_vec())
            }
            None => {
                let (parent, name) = split_dest(dest)?;
                (make_dirs(fs, parent)?, name.to_vec())
            }
        };
        self.copy_entry(fs, src, &meta, dir, &name)
            .with_context(|| format!("adding {} as {dest}", src.display()))
    }

    /// `--add-dir IMG SRC DEST`: copies SRC's contents into directory DEST
    /// (created with its parents).
    pub fn add_dir(&mut self, fs: &mut Fs, src: &Path, dest: &str) -> Result<()> {
        let meta = fs::metadata(src).with_context(|| format!("reading {}", src.display()))?;
        if !meta.is_dir() {
            bail!("{} is not a directory", src.display());
        }
        let dir = make_dirs(fs, dest)?;
        self.copy_tree(fs, src, dir)?;
        fs.set_mode(dir, perm(&meta))?;
        fs.set_times(dir, times(&meta))?;
        Ok(())
    }

    fn copy_tree(&mut self, fs: &mut Fs, src: &Path, dir: u32) -> Result<()> {
        let mut entries: Vec<_> = fs::read_dir(src)
            .with_context(|| format!("reading {}", src.display()))?
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("reading {}", src.display()))?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let meta = fs::symlink_metadata(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            self.copy_entry(fs, &path, &meta, dir, e.file_name().as_bytes())
                .with_context(|| format!("adding {}", path.display()))?;
        }
        Ok(())
    }

    fn copy_entry(
        &mut self,
        fs: &mut Fs,
        src: &Path,
        meta: &Metadata,
        dir: u32,
        name: &[u8],
    ) -> Result<()> {
        if name.len() > MAX_NAME {
            bail!(
                "file name too long: {} bytes, BlockFS allows at most {MAX_NAME}",
                name.len()
            );
        }
        if self.verbose {
            eprintln!("{}", src.display());
        }
        let ft = meta.file_type();
        if ft.is_dir() {
            let ino = match fs.lookup(dir, name) {
                Ok(ino) if fs.metadata(ino)?.file_type == FileType::Directory => ino,
                Ok(_) => bail!("exists in the image and is not a directory"),
                Err(Error::NotFound) => fs.mkdir(dir, name, perm(meta))?,
                Err(e) => return Err(e.into()),
            };
            self.copy_tree(fs, src, ino)?;
            fs.set_mode(ino, perm(meta))?;
            fs.set_times(ino, times(meta))?;
            return Ok(());
        }
        if !(ft.is_file() || ft.is_symlink()) {
            eprintln!(
                "mkfs-blockfs: skipping {} (not a file, directory or symlink)",
                src.display()
            );
            return Ok(());
        }
        remove_existing(fs, dir, name)?;
        if ft.is_symlink() {
            let target = fs::read_link(src)?;
            let ino = fs.symlink(dir, name, target.as_os_str().as_bytes())?;
            fs.set_times(ino, times(meta))?;
            return Ok(());
        }
        let key = (meta.dev(), meta.ino());
        if meta.nlink() > 1 {
            if let Some(&ino) = self.links.get(&key) {
                fs.link(ino, dir, name)?;
                return Ok(());
            }
        }
        let ino = fs.create(dir, name, perm(meta))?;
        if let Err(e) = self.copy_data(fs, src, ino) {
            // Leave no half-copied file behind (e.g. when the image is full).
            let _ = fs.unlink(dir, name);
            return Err(e);
        }
        fs.set_times(ino, times(meta))?;
        if meta.nlink() > 1 {
            self.links.insert(key, ino);
        }
        Ok(())
    }

    fn copy_data(&mut self, fs: &mut Fs, src: &Path, ino: u32) -> Result<()> {
        let mut f = File::open(src)?;
        let mut off = 0u64;
        loop {
            let mut filled = 0;
            while filled < self.buf.len() {
                match f.read(&mut self.buf[filled..])? {
                    0 => break,
                    n => filled += n,
                }
            }
            if filled == 0 {
                return Ok(());
            }
            fs.write_at(ino, off, &self.buf[..filled])?;
            off += filled as u64;
        }
    }
}

/// Replaces whatever non-directory is at `dir/name`.
fn remove_existing(fs: &mut Fs, dir: u32, name: &[u8]) -> Result<()> {
    match fs.lookup(dir, name) {
        Ok(ino) => {
            if fs.metadata(ino)?.file_type == FileType::Directory {
                bail!("exists in the image and is a directory");
            }
            fs.unlink(dir, name)?;
            Ok(())
        }
        Err(Error::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The inode of `dest` if it is an existing directory (or ends in '/').
fn existing_dir(fs: &mut Fs, dest: &str) -> Result<Option<u32>> {
    if dest.ends_with('/') {
        return make_dirs(fs, dest).map(Some);
    }
    match fs.resolve(dest.as_bytes(), true) {
        Ok(ino) if fs.metadata(ino)?.file_type == FileType::Directory => Ok(Some(ino)),
        Ok(_) | Err(Error::NotFound) => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(format!("looking up {dest}"))),
    }
}

fn split_dest(dest: &str) -> Result<(&str, &[u8])> {
    let d = dest.trim_end_matches('/');
    match d.rfind('/') {
        Some(i) => Ok((&d[..i], &d.as_bytes()[i + 1..])),
        None if !d.is_empty() => Ok(("", d.as_bytes())),
        None => bail!("DEST {dest:?} names no file"),
    }
}

/// Resolves directory `path`, creating missing components (mode 0755).
pub fn make_dirs(fs: &mut Fs, path: &str) -> Result<u32> {
    let mut cur = ROOT_INO;
    let mut walked = String::new();
    for c in components(path.as_bytes()) {
        walked.push('/');
        walked.push_str(&String::from_utf8_lossy(c));
        cur = match fs.lookup(cur, c) {
            Ok(_) => {
                let ino = fs.resolve(walked.as_bytes(), true)?;
                if fs.metadata(ino)?.file_type != FileType::Directory {
                    bail!("{walked} exists in the image and is not a directory");
                }
                ino
            }
            Err(Error::NotFound) => fs
                .mkdir(cur, c, 0o755)
                .with_context(|| format!("creating {walked}"))?,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("looking up {walked}"))),
        };
    }
    Ok(cur)
}
