//! The write workload of `cargo xtask crash-test`, run as init of a small
//! VeridianOS image that the host kills at a random moment.
//!
//! `crash-workload run SEED OPS` works under /w: creates, appends,
//! replaces by write-then-rename, overwrites in place, unlinks, makes
//! directories and batches of small files (as a cargo build does), making
//! them durable through every route the kernel offers: `fsync`,
//! `fdatasync`, `O_SYNC`/`O_DSYNC` writes, `syncfs`, `sync` and `fsync` of
//! a directory. After each durable step it prints, on the console, a line
//! the host checks the image against after the crash:
//!
//! - `CW SYNC path len hash`: the file has exactly this content (FNV-1a 64);
//! - `CW GONE path`: the file is gone;
//! - `CW NEXT path len hash`: about to change to this content; until the
//!   next `SYNC` of the path either the old or this content is fine;
//! - `CW DROP path`: about to be unlinked (gone or still there is fine);
//! - `CW TORN path`: about to be overwritten in place without a sync: its
//!   content is not promised until the next `SYNC`.
//!
//! `crash-workload check` (booted on an image a crash left) lists /w and
//! reads every file, proving the kernel mounts and serves such an image.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::veridian::syscall::{decode, fcntl, nr, syscall0, syscall1};
use std::path::Path;

/// Directories the files spread over.
const DIRS: usize = 4;

/// FNV-1a 64: the content fingerprint the host recomputes.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Mostly small sizes, sometimes past the 12 direct blocks.
    fn size(&mut self) -> usize {
        match self.below(10) {
            0 => 48 * 1024 + self.below(80 * 1024),
            1..=3 => self.below(16 * 1024),
            _ => self.below(2048),
        }
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let tag = self.next();
        (0..len)
            .map(|i| (tag.rotate_left((i % 64) as u32) as u8) ^ (i / 64) as u8)
            .collect()
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // The host reads whole lines; a failed console write ends the run.
    out.write_all(format!("CW {line}\n").as_bytes())
        .expect("console");
    out.flush().expect("console");
}

fn synced(path: &str, data: &[u8]) {
    say(&format!("SYNC {path} {} {:016x}", data.len(), fnv(data)));
}

fn next(path: &str, data: &[u8]) {
    say(&format!("NEXT {path} {} {:016x}", data.len(), fnv(data)));
}

/// `sync()`: every file system written back.
fn sync_all() {
    // SAFETY: sync takes no arguments and touches no user memory.
    decode(unsafe { syscall0(nr::SYNC) }).expect("sync");
}

/// `syncfs(fd)`: the file system holding `file` written back.
fn syncfs(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: syncfs reads only its fd argument, which `file` keeps open.
    decode(unsafe { syscall1(nr::SYNCFS, file.as_raw_fd() as usize) }).expect("syncfs");
}

fn fsync_dir(path: &str) {
    let dir = Path::new(path).parent().expect("files live in a directory");
    File::open(dir)
        .and_then(|d| d.sync_all())
        .expect("fsync dir");
}

struct Workload {
    rng: Rng,
    /// Live files and their content.
    files: Vec<(String, Vec<u8>)>,
    counter: usize,
}

impl Workload {
    fn fresh_path(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("/w/d{}/{prefix}{}", self.rng.below(DIRS), self.counter)
    }

    fn pick(&mut self) -> Option<usize> {
        (!self.files.is_empty()).then(|| self.rng.below(self.files.len()))
    }

    /// Create, write, `fsync` (or `fdatasync`), `fsync` the directory.
    fn create(&mut self) {
        let path = self.fresh_path("f");
        let n = self.rng.size();
        let data = self.rng.bytes(n);
        let mut f = File::create(&path).expect("create");
        f.write_all(&data).expect("write");
        if self.rng.below(2) == 0 {
            f.sync_all().expect("fsync");
        } else {
            f.sync_data().expect("fdatasync");
        }
        fsync_dir(&path);
        synced(&path, &data);
        self.files.push((path, data));
    }

    /// A cargo-like batch: many small files, one `syncfs` or `sync`.
    fn batch(&mut self) {
        self.counter += 1;
        let dir = format!("/w/d{}/b{}", self.rng.below(DIRS), self.counter);
        fs::create_dir(&dir).expect("mkdir");
        let mut made = Vec::new();
        for i in 0..(3 + self.rng.below(12)) {
            let path = format!("{dir}/o{i}");
            let n = self.rng.below(3000);
            let data = self.rng.bytes(n);
            fs::write(&path, &data).expect("write");
            made.push((path, data));
        }
        if self.rng.below(2) == 0 {
            syncfs(&File::open(&dir).expect("open dir"));
        } else {
            sync_all();
        }
        for (p, d) in &made {
            synced(p, d);
        }
        self.files.extend(made);
    }

    /// Append, then `fdatasync`.
    fn append(&mut self) {
        let Some(i) = self.pick() else { return };
        let n = 1 + self.rng.below(6000);
        let extra = self.rng.bytes(n);
        let (path, data) = &mut self.files[i];
        let mut after = data.clone();
        after.extend_from_slice(&extra);
        next(path, &after);
        let mut f = OpenOptions::new().append(true).open(&*path).expect("open");
        f.write_all(&extra).expect("append");
        f.sync_data().expect("fdatasync");
        synced(path, &after);
        *data = after;
    }

    /// The editor/cargo pattern: write a temporary file, `fsync` it,
    /// rename it over the file, `fsync` the directory.
    fn replace(&mut self) {
        let Some(i) = self.pick() else { return };
        self.counter += 1;
        let n = self.rng.size();
        let data = self.rng.bytes(n);
        let path = self.files[i].0.clone();
        let tmp = format!("{path}.tmp{}", self.counter);
        let mut f = File::create(&tmp).expect("create tmp");
        f.write_all(&data).expect("write tmp");
        f.sync_all().expect("fsync tmp");
        next(&path, &data);
        fs::rename(&tmp, &path).expect("rename");
        fsync_dir(&path);
        synced(&path, &data);
        self.files[i].1 = data;
    }

    /// Overwrite in place through an `O_SYNC` or `O_DSYNC` descriptor: each
    /// write returns durable.
    fn overwrite_sync(&mut self) {
        let Some(i) = self.pick() else { return };
        let flag = if self.rng.below(2) == 0 {
            fcntl::O_SYNC
        } else {
            fcntl::O_DSYNC
        };
        let (path, data) = &mut self.files[i];
        let off = self.rng.below(data.len() + 1);
        let n = 1 + self.rng.below(5000);
        let patch = self.rng.bytes(n);
        let mut after = data.clone();
        if after.len() < off + patch.len() {
            after.resize(off + patch.len(), 0);
        }
        after[off..off + patch.len()].copy_from_slice(&patch);
        say(&format!("TORN {path}"));
        let f = OpenOptions::new()
            .write(true)
            .custom_flags(flag as i32)
            .open(&*path)
            .expect("open");
        use std::os::unix::fs::FileExt;
        f.write_all_at(&patch, off as u64).expect("pwrite");
        synced(path, &after);
        *data = after;
    }

    /// Unlink, then `sync`.
    fn unlink(&mut self) {
        let Some(i) = self.pick() else { return };
        let (path, _) = self.files.swap_remove(i);
        say(&format!("DROP {path}"));
        fs::remove_file(&path).expect("unlink");
        sync_all();
        say(&format!("GONE {path}"));
    }

    /// Changes left unsynced: a new file and an append no one syncs.
    fn unsynced(&mut self) {
        let path = self.fresh_path("u");
        let n = self.rng.size();
        let data = self.rng.bytes(n);
        fs::write(&path, &data).expect("write");
        if let Some(i) = self.pick() {
            let (p, d) = &self.files[i];
            let n = self.rng.below(3000);
            let mut after = d.clone();
            after.extend_from_slice(&self.rng.bytes(n));
            next(p, &after);
            OpenOptions::new()
                .append(true)
                .open(p)
                .and_then(|mut f| f.write_all(&after[d.len()..]))
                .expect("append");
            self.files[i].1 = after;
        }
    }
}

fn run(seed: u64, ops: usize) {
    for d in 0..DIRS {
        fs::create_dir_all(format!("/w/d{d}")).expect("mkdir /w");
    }
    sync_all();
    let mut w = Workload {
        rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        files: Vec::new(),
        counter: 0,
    };
    say(&format!("START seed {seed} ops {ops}"));
    for op in 0..ops {
        match w.rng.below(16) {
            0..=3 => w.create(),
            4 | 5 => w.batch(),
            6..=8 => w.append(),
            9..=11 => w.replace(),
            12 => w.overwrite_sync(),
            13 => w.unlink(),
            _ => w.unsynced(),
        }
        if op % 16 == 15 {
            say(&format!("OPS {}", op + 1));
        }
    }
    sync_all();
    say("DONE");
}

/// Reads every file under `dir`; returns (files, bytes).
fn walk(dir: &Path) -> (usize, u64) {
    let mut total = (0, 0);
    if !dir.exists() {
        return total;
    }
    for entry in fs::read_dir(dir).expect("readdir").flatten() {
        let p = entry.path();
        let meta = fs::symlink_metadata(&p).expect("lstat");
        if meta.is_dir() {
            let (f, b) = walk(&p);
            total.0 += f;
            total.1 += b;
        } else if meta.is_file() {
            let mut buf = Vec::new();
            File::open(&p)
                .and_then(|mut f| f.read_to_end(&mut buf))
                .expect("read");
            total.0 += 1;
            total.1 += buf.len() as u64;
        }
    }
    total
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let os = fs::read_to_string("/etc/os-release").unwrap_or_default();
    let id = os
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap_or("unknown");
    say(&format!("SYSTEM {id}"));
    match args.get(1).map(String::as_str) {
        Some("run") => {
            let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
            let ops = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200);
            run(seed, ops);
        }
        Some("check") => {
            let (files, bytes) = walk(Path::new("/w"));
            say(&format!("CHECKED {files} files {bytes} bytes"));
        }
        _ => {
            eprintln!("usage: crash-workload run SEED OPS | check");
            std::process::exit(2);
        }
    }
}
