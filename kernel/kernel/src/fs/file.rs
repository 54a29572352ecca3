//! Open-file descriptions over the root BlockFS, device files, /proc files
//! and pipes: read/write/seek/stat/getdents semantics on kernel buffers.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use blockfs::FileType;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use spin::Mutex;
use veridian_syscall::errno::*;

use super::disk::{self, ROOT};
use super::pipe::Pipe;
use crate::drivers::serial;

pub type KResult<T> = Result<T, i32>;

pub const O_ACCMODE: u32 = 3;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_CLOEXEC: u32 = 0o2000000;

pub const S_IFIFO: u32 = 0o010000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;

/// What an open file refers to.
#[derive(Clone)]
pub enum Node {
    Console,
    Serial(usize),
    Null,
    Zero,
    Random,
    Disk(usize),
    Inode(u32),
    PipeRead(Arc<Pipe>),
    PipeWrite(Arc<Pipe>),
    /// Generated contents (/proc files).
    Text(Arc<Vec<u8>>),
    /// A synthetic directory (/dev, /proc, /proc/self, /proc/self/fd).
    Dir(Arc<Vec<(Vec<u8>, u8)>>, u64),
}

/// File attributes in kernel form.
#[derive(Clone, Copy, Default)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blocks: u64,
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
}

impl Stat {
    /// Linux `struct stat` (144 bytes).
    pub fn encode(&self) -> [u8; 144] {
        let mut b = [0u8; 144];
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(0, &self.dev.to_le_bytes());
        put(8, &self.ino.to_le_bytes());
        put(16, &(self.nlink as u64).to_le_bytes());
        put(24, &self.mode.to_le_bytes());
        put(28, &self.uid.to_le_bytes());
        put(32, &self.gid.to_le_bytes());
        put(40, &self.rdev.to_le_bytes());
        put(48, &self.size.to_le_bytes());
        put(56, &4096u64.to_le_bytes());
        put(64, &self.blocks.to_le_bytes());
        put(72, &self.atime.to_le_bytes());
        put(88, &self.mtime.to_le_bytes());
        put(104, &self.ctime.to_le_bytes());
        b
    }

    /// Linux `struct statx` (256 bytes), all basic fields valid.
    pub fn encode_statx(&self) -> [u8; 256] {
        let mut b = [0u8; 256];
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(0, &0x7FFu32.to_le_bytes());
        put(4, &4096u32.to_le_bytes());
        put(16, &self.nlink.to_le_bytes());
        put(20, &self.uid.to_le_bytes());
        put(24, &self.gid.to_le_bytes());
        put(28, &(self.mode as u16).to_le_bytes());
        put(32, &self.ino.to_le_bytes());
        put(40, &self.size.to_le_bytes());
        put(48, &self.blocks.to_le_bytes());
        put(64, &self.atime.to_le_bytes());
        put(96, &self.ctime.to_le_bytes());
        put(112, &self.mtime.to_le_bytes());
        put(128, &((self.rdev >> 8) as u32).to_le_bytes());
        put(132, &((self.rdev & 0xff) as u32).to_le_bytes());
        put(136, &((self.dev >> 8) as u32).to_le_bytes());
        put(140, &((self.dev & 0xff) as u32).to_le_bytes());
        b
    }
}

/// An open-file description (shared by dup'ed descriptors and fork).
pub struct OpenFile {
    pub node: Node,
    pub offset: AtomicU64,
    pub flags: AtomicU32,
    /// Absolute path it was opened by (for /proc/self/fd and fchdir).
    pub path: Vec<u8>,
    /// Serialises read-modify-write of the offset.
    lock: Mutex<()>,
}

impl OpenFile {
    pub fn new(node: Node, flags: u32, path: Vec<u8>) -> Arc<Self> {
        Arc::new(OpenFile { node, offset: AtomicU64::new(0), flags: AtomicU32::new(flags), path, lock: Mutex::new(()) })
    }

    pub fn readable(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & O_ACCMODE != O_WRONLY
    }

    pub fn writable(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & O_ACCMODE != 0
    }

    fn nonblock(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & O_NONBLOCK != 0
    }

    /// read(2) at the current offset.
    pub fn read(&self, buf: &mut [u8]) -> KResult<usize> {
        if !self.readable() {
            return Err(EBADF);
        }
        match &self.node {
            Node::PipeRead(p) => p.read(buf, self.nonblock()),
            Node::Console | Node::Serial(_) => self.read_at(0, buf),
            _ => {
                let _g = self.lock.lock();
                let off = self.offset.load(Ordering::Relaxed);
                let n = self.read_at(off, buf)?;
                self.offset.store(off + n as u64, Ordering::Relaxed);
                Ok(n)
            }
        }
    }

    /// write(2) at the current offset (or the end with O_APPEND).
    pub fn write(&self, data: &[u8]) -> KResult<usize> {
        if !self.writable() {
            return Err(EBADF);
        }
        match &self.node {
            Node::PipeWrite(p) => p.write(data, self.nonblock()),
            Node::Inode(ino) => {
                let _g = self.lock.lock();
                let mut off = self.offset.load(Ordering::Relaxed);
                if self.flags.load(Ordering::Relaxed) & O_APPEND != 0 {
                    off = with_root(|fs| Ok(fs.metadata(*ino)?.size))?;
                }
                let n = self.write_at(off, data)?;
                self.offset.store(off + n as u64, Ordering::Relaxed);
                Ok(n)
            }
            _ => self.write_at(self.offset.load(Ordering::Relaxed), data),
        }
    }

    /// pread semantics (no offset change).
    pub fn read_at(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        match &self.node {
            Node::Console => Ok(console_read(0, buf)),
            Node::Serial(i) => Ok(console_read(*i, buf)),
            Node::Null => Ok(0),
            Node::Zero => {
                buf.fill(0);
                Ok(buf.len())
            }
            Node::Random => {
                crate::random::fill(buf);
                Ok(buf.len())
            }
            Node::Disk(i) => disk::read_raw(*i, off, buf),
            Node::Inode(ino) => with_root(|fs| {
                if fs.metadata(*ino)?.file_type == FileType::Directory {
                    return Err(blockfs::Error::IsDir);
                }
                fs.read_at(*ino, off, buf)
            }),
            Node::Text(t) => {
                if off >= t.len() as u64 {
                    return Ok(0);
                }
                let n = buf.len().min(t.len() - off as usize);
                buf[..n].copy_from_slice(&t[off as usize..off as usize + n]);
                Ok(n)
            }
            Node::Dir(..) => Err(EISDIR),
            Node::PipeRead(_) | Node::PipeWrite(_) => Err(ESPIPE),
        }
    }

    /// pwrite semantics.
    pub fn write_at(&self, off: u64, data: &[u8]) -> KResult<usize> {
        match &self.node {
            Node::Console => {
                crate::log::console_write(data);
                Ok(data.len())
            }
            Node::Serial(i) => {
                serial::port(*i).write_raw(data);
                Ok(data.len())
            }
            Node::Null | Node::Zero | Node::Random => Ok(data.len()),
            Node::Inode(ino) => with_root(|fs| fs.write_at(*ino, off, data)),
            Node::Disk(_) | Node::Text(_) => Err(EROFS),
            Node::Dir(..) => Err(EISDIR),
            Node::PipeRead(_) | Node::PipeWrite(_) => Err(ESPIPE),
        }
    }

    pub fn stat(&self) -> KResult<Stat> {
        node_stat(&self.node)
    }

    /// lseek(2).
    pub fn seek(&self, off: i64, whence: u32) -> KResult<u64> {
        let _g = self.lock.lock();
        let base: i64 = match whence {
            0 => 0,
            1 => self.offset.load(Ordering::Relaxed) as i64,
            2 => match &self.node {
                Node::PipeRead(_) | Node::PipeWrite(_) => return Err(ESPIPE),
                Node::Disk(i) => disk::disk_size(*i).unwrap_or(0) as i64,
                _ => self.stat()?.size as i64,
            },
            _ => return Err(EINVAL),
        };
        if matches!(self.node, Node::PipeRead(_) | Node::PipeWrite(_)) {
            return Err(ESPIPE);
        }
        let new = base.checked_add(off).ok_or(EINVAL)?;
        if new < 0 {
            return Err(EINVAL);
        }
        self.offset.store(new as u64, Ordering::Relaxed);
        Ok(new as u64)
    }

    /// Directory entries as `linux_dirent64` records, resuming at the
    /// offset (a cookie); fills at most `max` bytes.
    pub fn getdents(&self, max: usize) -> KResult<Vec<u8>> {
        let _g = self.lock.lock();
        let mut out = Vec::new();
        let mut cookie = self.offset.load(Ordering::Relaxed);
        match &self.node {
            Node::Inode(ino) => {
                let ino = *ino;
                loop {
                    let next = with_root(|fs| fs.readdir(ino, cookie))?;
                    let Some((e, next_cookie)) = next else { break };
                    let ty = match e.file_type {
                        Some(FileType::Directory) => 4,
                        Some(FileType::Symlink) => 10,
                        Some(FileType::Regular) => 8,
                        None => 0,
                    };
                    if !push_dirent(&mut out, max, e.ino as u64, next_cookie, ty, &e.name) {
                        break;
                    }
                    cookie = next_cookie;
                }
            }
            Node::Dir(entries, self_ino) => {
                while (cookie as usize) < entries.len() {
                    let (name, ty) = &entries[cookie as usize];
                    if !push_dirent(&mut out, max, *self_ino * 100 + cookie + 1, cookie + 1, *ty, name) {
                        break;
                    }
                    cookie += 1;
                }
            }
            _ => return Err(ENOTDIR),
        }
        if out.is_empty() && max < 280 && !self.at_dir_end(cookie)? {
            return Err(EINVAL);
        }
        self.offset.store(cookie, Ordering::Relaxed);
        Ok(out)
    }

    fn at_dir_end(&self, cookie: u64) -> KResult<bool> {
        match &self.node {
            Node::Inode(ino) => Ok(with_root(|fs| fs.readdir(*ino, cookie))?.is_none()),
            Node::Dir(e, _) => Ok(cookie as usize >= e.len()),
            _ => Ok(true),
        }
    }

    /// The inode behind the file, for directory-relative lookups.
    pub fn inode(&self) -> Option<u32> {
        match self.node {
            Node::Inode(i) => Some(i),
            _ => None,
        }
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        match &self.node {
            Node::PipeRead(p) => p.close_reader(),
            Node::PipeWrite(p) => p.close_writer(),
            _ => {}
        }
    }
}

fn push_dirent(out: &mut Vec<u8>, max: usize, ino: u64, next: u64, ty: u8, name: &[u8]) -> bool {
    let reclen = (19 + name.len() + 1).div_ceil(8) * 8;
    if out.len() + reclen > max {
        return false;
    }
    let start = out.len();
    out.extend_from_slice(&ino.to_le_bytes());
    out.extend_from_slice(&next.to_le_bytes());
    out.extend_from_slice(&(reclen as u16).to_le_bytes());
    out.push(ty);
    out.extend_from_slice(name);
    out.resize(start + reclen, 0);
    true
}

/// Polled serial input: waits (sleeping a tick at a time) for the first
/// byte, then takes what is available.
fn console_read(port: usize, buf: &mut [u8]) -> usize {
    if buf.is_empty() {
        return 0;
    }
    let uart = serial::port(port);
    loop {
        if let Some(b) = uart.try_get() {
            let b = if port == 0 && b == b'\r' { b'\n' } else { b };
            buf[0] = b;
            let mut n = 1;
            while n < buf.len() && b != b'\n' {
                match uart.try_get() {
                    Some(c) => {
                        buf[n] = if port == 0 && c == b'\r' { b'\n' } else { c };
                        n += 1;
                        if buf[n - 1] == b'\n' {
                            break;
                        }
                    }
                    None => break,
                }
            }
            return n;
        }
        if crate::task::exit::kill_pending() {
            return 0;
        }
        crate::task::sched::block_until(crate::time::monotonic_ns() + 10_000_000);
    }
}

/// Runs `f` on the mounted root, mapping errors to errno.
pub fn with_root<T>(f: impl FnOnce(&mut blockfs::FileSystem<disk::DiskDev>) -> Result<T, blockfs::Error>) -> KResult<T> {
    let mut g = ROOT.lock();
    let fs = g.as_mut().ok_or(ENOENT)?;
    f(fs).map_err(|e| e.errno())
}

pub fn node_stat(node: &Node) -> KResult<Stat> {
    let chr = |rdev: u64, ino: u64| Stat { dev: 5, ino, mode: S_IFCHR | 0o666, nlink: 1, rdev, ..Default::default() };
    Ok(match node {
        Node::Console => chr(0x0501, 1),
        Node::Serial(i) => chr(0x0440 + *i as u64, 2 + *i as u64),
        Node::Null => chr(0x0103, 5),
        Node::Zero => chr(0x0105, 6),
        Node::Random => chr(0x0109, 7),
        Node::Disk(i) => Stat {
            dev: 5,
            ino: 10 + *i as u64,
            mode: S_IFBLK | 0o660,
            nlink: 1,
            rdev: 0xFD00 + 16 * *i as u64,
            size: 0,
            ..Default::default()
        },
        Node::PipeRead(_) | Node::PipeWrite(_) => Stat { dev: 6, ino: 1, mode: S_IFIFO | 0o600, nlink: 1, ..Default::default() },
        Node::Text(t) => Stat { dev: 4, ino: 2, mode: S_IFREG | 0o444, nlink: 1, size: t.len() as u64, ..Default::default() },
        Node::Dir(_, i) => Stat { dev: 4, ino: *i, mode: S_IFDIR | 0o555, nlink: 2, ..Default::default() },
        Node::Inode(ino) => {
            let m = with_root(|fs| fs.metadata(*ino))?;
            let ty = match m.file_type {
                FileType::Regular => S_IFREG,
                FileType::Directory => S_IFDIR,
                FileType::Symlink => S_IFLNK,
            };
            Stat {
                dev: 0x0801,
                ino: m.ino as u64 + 1,
                mode: ty | m.perm as u32,
                nlink: m.nlink as u32,
                uid: m.uid as u32,
                gid: m.gid as u32,
                rdev: 0,
                size: m.size,
                blocks: m.blocks as u64 * 8,
                atime: m.atime as u64,
                mtime: m.mtime as u64,
                ctime: m.ctime as u64,
            }
        }
    })
}

/// Text of /proc/meminfo.
pub fn meminfo() -> Vec<u8> {
    let (free, total) = crate::mm::frame::stats();
    let s = alloc::format!(
        "MemTotal:       {} kB\nMemFree:        {} kB\nMemAvailable:   {} kB\n",
        total * 4,
        free * 4,
        free * 4
    );
    s.into_bytes()
}

/// Text of /proc/cpuinfo.
pub fn cpuinfo() -> Vec<u8> {
    let mhz = crate::time::tsc_per_ms() / 1000;
    let s: String = alloc::format!(
        "processor\t: 0\nvendor_id\t: VeridianOS\nmodel name\t: x86_64\ncpu MHz\t\t: {}.000\ncpu cores\t: 1\n\n",
        mhz
    );
    s.into_bytes()
}

/// Directory listing of /dev.
pub fn dev_entries() -> Vec<(Vec<u8>, u8)> {
    let mut v = vec![(b".".to_vec(), 4), (b"..".to_vec(), 4)];
    for n in ["console", "null", "zero", "urandom", "random", "ttyS0", "ttyS1", "ttyS2", "tty"] {
        v.push((n.as_bytes().to_vec(), 2));
    }
    let disks = disk::DISKS.lock().len();
    for (i, n) in ["vda", "vdb", "vdc", "vdd"].iter().enumerate().take(disks) {
        let _ = i;
        v.push((n.as_bytes().to_vec(), 6));
    }
    v
}
