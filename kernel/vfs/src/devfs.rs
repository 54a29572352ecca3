//! devfs: `/dev` with the memory devices, the random devices, `fd` and
//! `std*` links, and the character and block devices the kernel registers.

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::{Mutex, RwLock};

use crate::abi::*;
use crate::dirent::DirEntry;
use crate::errno::{Errno, Result};
use crate::filesystem::{Filesystem, Ino, PollEvents};
use crate::ioctl::{int_arg, IoctlReply, Termios, WinSize};
use crate::stat::{FileKind, FsStat, Stat};

/// A character device driven by the kernel (console, serial port).
/// Reads and writes must not block: return `EAGAIN` instead.
pub trait CharDevice: Send + Sync {
    /// Reads available input; `EAGAIN` when there is none.
    fn read(&self, buf: &mut [u8]) -> Result<usize>;
    /// Writes output; may accept fewer bytes, `EAGAIN` when none fit.
    fn write(&self, data: &[u8]) -> Result<usize>;
    /// `POLLIN` when input is waiting, `POLLOUT` when output fits.
    fn poll(&self) -> PollEvents {
        POLLIN | POLLOUT
    }
    /// Whether it is a terminal: then devfs answers `TCGETS`, `TCSETS*`,
    /// `TIOCGWINSZ`/`TIOCSWINSZ`, `TIOCGPGRP`/`TIOCSPGRP`, and `lseek` is
    /// `ESPIPE`.
    fn is_tty(&self) -> bool {
        false
    }
    /// Told when a program sets new terminal attributes (echo, canonical
    /// mode: the line discipline is the driver's).
    fn termios_changed(&self, _t: &Termios) {}
    /// Told when the foreground process group changes (`TIOCSPGRP`): the
    /// group the driver's `INTR`, `QUIT` and `SUSP` signal.
    fn foreground_changed(&self, _pgrp: i32) {}
    /// Told to discard typed input (`TCSETSF`).
    fn flush_input(&self) {}
    /// Other requests; default `ENOTTY`.
    fn ioctl(&self, _cmd: u32, _arg: &[u8]) -> Result<IoctlReply> {
        Err(Errno::ENOTTY)
    }
}

/// A raw block device (`/dev/vda`) addressed by byte offset.
pub trait RawBlock: Send + Sync {
    /// Size in bytes.
    fn size(&self) -> u64;
    /// Reads at `off`; short at the end, 0 past it.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<usize>;
    /// Writes at `off`; `ENOSPC` past the end.
    fn write_at(&self, off: u64, data: &[u8]) -> Result<usize>;
    /// Makes writes durable.
    fn flush(&self) -> Result<()> {
        Ok(())
    }
}

/// The wait key of files open on `dev` ([`crate::OpenFile::wait_key`]):
/// the driver wakes waiters on it when input arrives or output drains.
pub fn device_key(dev: &Arc<dyn CharDevice>) -> usize {
    Arc::as_ptr(dev) as *const u8 as usize
}

/// Random bytes for `/dev/random` and `/dev/urandom` (never blocks).
pub trait RandomSource: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}

enum Kind {
    Null,
    Zero,
    Full,
    Random,
    /// A character device and its terminal state, shared by every node of
    /// the same device (`/dev/console`, `/dev/tty`, `/dev/ttyS0`).
    Char(Arc<dyn CharDevice>, Arc<Mutex<TtyState>>),
    Block(Arc<dyn RawBlock>),
    Link(&'static [u8]),
}

struct TtyState {
    termios: Termios,
    winsize: WinSize,
    pgrp: i32,
}

struct Node {
    name: Vec<u8>,
    rdev: u64,
    perm: u32,
    kind: Kind,
}

/// The device file system. Keep an `Arc<DevFs>` to register devices after
/// mounting it.
pub struct DevFs {
    nodes: RwLock<Vec<Arc<Node>>>,
    random: Arc<dyn RandomSource>,
}

const ROOT: Ino = 1;
const FIRST: Ino = 2;

impl DevFs {
    /// `/dev` with null, zero, full, random, urandom, and the links fd,
    /// stdin, stdout, stderr (into `/proc/self/fd`).
    pub fn new(random: Arc<dyn RandomSource>) -> Self {
        let fixed: [(&[u8], u32, u32, Kind); 9] = [
            (b"null", 1, 3, Kind::Null),
            (b"zero", 1, 5, Kind::Zero),
            (b"full", 1, 7, Kind::Full),
            (b"random", 1, 8, Kind::Random),
            (b"urandom", 1, 9, Kind::Random),
            (b"fd", 0, 0, Kind::Link(b"/proc/self/fd")),
            (b"stdin", 0, 0, Kind::Link(b"/proc/self/fd/0")),
            (b"stdout", 0, 0, Kind::Link(b"/proc/self/fd/1")),
            (b"stderr", 0, 0, Kind::Link(b"/proc/self/fd/2")),
        ];
        let nodes = fixed
            .into_iter()
            .map(|(name, maj, min, kind)| {
                Arc::new(Node {
                    name: name.to_vec(),
                    rdev: makedev(maj, min),
                    perm: 0o666,
                    kind,
                })
            })
            .collect();
        DevFs {
            nodes: RwLock::new(nodes),
            random,
        }
    }

    fn add(&self, node: Node) -> Result<()> {
        let mut n = self.nodes.write();
        if n.iter().any(|x| x.name == node.name) {
            return Err(Errno::EEXIST);
        }
        n.push(Arc::new(node));
        Ok(())
    }

    /// Adds `/dev/<name>` as character device `major:minor` (e.g. console
    /// 5:1, tty 5:0, ttyS1 4:65). `EEXIST` if the name is taken.
    pub fn register_char(
        &self,
        name: &[u8],
        major: u32,
        minor: u32,
        dev: Arc<dyn CharDevice>,
    ) -> Result<()> {
        let shared = self.nodes.read().iter().find_map(|n| match &n.kind {
            Kind::Char(d, t) if Arc::ptr_eq(d, &dev) => Some(t.clone()),
            _ => None,
        });
        let tty = shared.unwrap_or_else(|| {
            Arc::new(Mutex::new(TtyState {
                termios: Termios::default(),
                winsize: WinSize::default(),
                pgrp: 1,
            }))
        });
        let perm = 0o620;
        self.add(Node {
            name: name.to_vec(),
            rdev: makedev(major, minor),
            perm,
            kind: Kind::Char(dev, tty),
        })
    }

    /// Adds `/dev/<name>` as block device `major:minor` (vda 254:0, vdb
    /// 254:16).
    pub fn register_block(
        &self,
        name: &[u8],
        major: u32,
        minor: u32,
        dev: Arc<dyn RawBlock>,
    ) -> Result<()> {
        self.add(Node {
            name: name.to_vec(),
            rdev: makedev(major, minor),
            perm: 0o660,
            kind: Kind::Block(dev),
        })
    }

    fn node(&self, ino: Ino) -> Result<Arc<Node>> {
        let i = ino.checked_sub(FIRST).ok_or(Errno::ENOENT)?;
        self.nodes
            .read()
            .get(i as usize)
            .cloned()
            .ok_or(Errno::ENOENT)
    }
}

impl Node {
    fn file_kind(&self) -> FileKind {
        match self.kind {
            Kind::Block(_) => FileKind::BlockDevice,
            Kind::Link(_) => FileKind::Symlink,
            _ => FileKind::CharDevice,
        }
    }

    fn tty(&self) -> Option<(&Arc<dyn CharDevice>, &Mutex<TtyState>)> {
        match &self.kind {
            Kind::Char(d, t) if d.is_tty() => Some((d, t.as_ref())),
            _ => None,
        }
    }
}

impl Filesystem for DevFs {
    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino> {
        if dir != ROOT {
            return Err(if self.node(dir).is_ok() {
                Errno::ENOTDIR
            } else {
                Errno::ENOENT
            });
        }
        if name == b"." || name == b".." {
            return Ok(ROOT);
        }
        let nodes = self.nodes.read();
        let i = nodes
            .iter()
            .position(|n| n.name == name)
            .ok_or(Errno::ENOENT)?;
        Ok(i as Ino + FIRST)
    }

    fn stat(&self, ino: Ino) -> Result<Stat> {
        if ino == ROOT {
            let mut st = Stat::new(FileKind::Directory, 0o755);
            st.nlink = 2;
            return Ok(st);
        }
        let n = self.node(ino)?;
        let mut st = Stat::new(
            n.file_kind(),
            if matches!(n.kind, Kind::Link(_)) {
                0o777
            } else {
                n.perm
            },
        );
        st.rdev = n.rdev;
        st.size = match &n.kind {
            Kind::Block(b) => b.size(),
            Kind::Link(t) => t.len() as u64,
            _ => 0,
        };
        Ok(st)
    }

    fn readdir(&self, dir: Ino, cookie: u64) -> Result<Option<(DirEntry, u64)>> {
        if dir != ROOT {
            return Err(Errno::ENOTDIR);
        }
        let entry = match cookie {
            0 | 1 => DirEntry {
                ino: ROOT,
                kind: FileKind::Directory,
                name: if cookie == 0 {
                    b".".to_vec()
                } else {
                    b"..".to_vec()
                },
            },
            _ => {
                let Ok(n) = self.node(cookie) else {
                    return Ok(None);
                };
                DirEntry {
                    ino: cookie,
                    kind: n.file_kind(),
                    name: n.name.clone(),
                }
            }
        };
        Ok(Some((entry, cookie + 1)))
    }

    fn name(&self) -> &'static str {
        "devtmpfs"
    }

    fn statfs(&self) -> FsStat {
        FsStat {
            fs_type: TMPFS_MAGIC,
            block_size: 4096,
            name_max: 255,
            files: self.nodes.read().len() as u64 + 1,
            ..FsStat::default()
        }
    }

    fn readlink(&self, ino: Ino) -> Result<Vec<u8>> {
        match self.node(ino)?.kind {
            Kind::Link(t) => Ok(t.to_vec()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn read(&self, ino: Ino, off: u64, buf: &mut [u8]) -> Result<usize> {
        if ino == ROOT {
            return Err(Errno::EISDIR);
        }
        match &self.node(ino)?.kind {
            Kind::Null => Ok(0),
            Kind::Zero | Kind::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            Kind::Random => {
                self.random.fill(buf);
                Ok(buf.len())
            }
            Kind::Char(d, _) => d.read(buf),
            Kind::Block(b) => b.read_at(off, buf),
            Kind::Link(_) => Err(Errno::EINVAL),
        }
    }

    fn write(&self, ino: Ino, off: u64, data: &[u8]) -> Result<usize> {
        if ino == ROOT {
            return Err(Errno::EISDIR);
        }
        match &self.node(ino)?.kind {
            Kind::Null | Kind::Zero | Kind::Random => Ok(data.len()),
            Kind::Full => Err(Errno::ENOSPC),
            Kind::Char(d, _) => d.write(data),
            Kind::Block(b) => b.write_at(off, data),
            Kind::Link(_) => Err(Errno::EINVAL),
        }
    }

    fn sync(&self) -> Result<()> {
        for n in self.nodes.read().iter() {
            if let Kind::Block(b) = &n.kind {
                b.flush()?;
            }
        }
        Ok(())
    }

    fn set_mode(&self, _ino: Ino, _perm: u32) -> Result<()> {
        Err(Errno::EPERM)
    }

    fn set_times(
        &self,
        _ino: Ino,
        _a: Option<crate::Timespec>,
        _m: Option<crate::Timespec>,
    ) -> Result<()> {
        Ok(())
    }

    fn seekable(&self, ino: Ino) -> bool {
        !matches!(self.node(ino).map(|n| n.tty().is_some()), Ok(true))
    }

    fn poll(&self, ino: Ino) -> PollEvents {
        match self.node(ino).as_deref().map(|n| &n.kind) {
            Ok(Kind::Char(d, _)) => d.poll(),
            _ => POLLIN | POLLOUT,
        }
    }

    fn wait_key(&self, ino: Ino) -> Option<usize> {
        match &self.node(ino).ok()?.kind {
            Kind::Char(d, _) => Some(device_key(d)),
            _ => None,
        }
    }

    fn ioctl(&self, ino: Ino, cmd: u32, arg: &[u8]) -> Result<IoctlReply> {
        let n = self.node(ino)?;
        let Some((dev, tty)) = n.tty() else {
            return match &n.kind {
                Kind::Char(d, _) => d.ioctl(cmd, arg),
                _ => Err(Errno::ENOTTY),
            };
        };
        let mut t = tty.lock();
        match cmd {
            TCGETS => Ok(IoctlReply::with(t.termios.to_bytes().to_vec())),
            TCSETS | TCSETSW | TCSETSF => {
                t.termios = Termios::from_bytes(arg).ok_or(Errno::EFAULT)?;
                if cmd == TCSETSF {
                    dev.flush_input();
                }
                dev.termios_changed(&t.termios);
                Ok(IoctlReply::ok())
            }
            TIOCGWINSZ => Ok(IoctlReply::with(t.winsize.to_bytes().to_vec())),
            TIOCSWINSZ => {
                t.winsize = WinSize::from_bytes(arg).ok_or(Errno::EFAULT)?;
                Ok(IoctlReply::ok())
            }
            TIOCGPGRP => Ok(IoctlReply::with(t.pgrp.to_le_bytes().to_vec())),
            TIOCSPGRP => {
                t.pgrp = int_arg(arg).ok_or(Errno::EFAULT)?;
                dev.foreground_changed(t.pgrp);
                Ok(IoctlReply::ok())
            }
            _ => {
                drop(t);
                dev.ioctl(cmd, arg)
            }
        }
    }
}
