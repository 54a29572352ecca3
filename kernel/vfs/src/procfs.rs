//! procfs: `/proc/self`, `/proc/<pid>/{exe,cwd,cmdline,comm,fd/<n>}`,
//! `/proc/cpuinfo`, `/proc/meminfo`, `/proc/uptime`, generated from the
//! kernel's [`ProcessInfo`] at read time.
//!
//! Inode numbers: fixed files below 16; per-process nodes are
//! `(pid + 1) << 32 | kind << 24 | n`.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::abi::PROC_SUPER_MAGIC;
use crate::dirent::DirEntry;
use crate::errno::{Errno, Result};
use crate::fdtable::FdTable;
use crate::filesystem::{Filesystem, Ino};
use crate::stat::{FileKind, FsStat, Stat, Timespec};

/// Memory figures for `/proc/meminfo`, in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemInfo {
    pub total_kib: u64,
    pub free_kib: u64,
    pub available_kib: u64,
}

/// What procfs needs to know about processes; the kernel implements it.
pub trait ProcessInfo: Send + Sync {
    /// The pid of the process making the current syscall (`/proc/self`).
    fn current_pid(&self) -> u32;
    /// Every live pid.
    fn pids(&self) -> Vec<u32>;
    /// Whether `pid` exists.
    fn exists(&self, pid: u32) -> bool {
        self.pids().contains(&pid)
    }
    /// The path the process was exec'd from.
    fn exe(&self, pid: u32) -> Option<Vec<u8>>;
    /// argv, each argument NUL-terminated.
    fn cmdline(&self, pid: u32) -> Option<Vec<u8>>;
    /// Its fd table.
    fn fd_table(&self, pid: u32) -> Option<Arc<FdTable>>;
    /// Its working directory's path.
    fn cwd(&self, _pid: u32) -> Option<Vec<u8>> {
        None
    }
    /// Memory totals.
    fn meminfo(&self) -> MemInfo;
    /// CPU model name, e.g. "QEMU Virtual CPU version 2.5+".
    fn cpu_model(&self) -> Vec<u8>;
    /// Number of CPUs.
    fn cpu_count(&self) -> u32 {
        1
    }
    /// CPU flags as `/proc/cpuinfo` lists them ("fpu vme ... sse2").
    fn cpu_flags(&self) -> Vec<u8> {
        Vec::new()
    }
    /// Time since boot and idle time.
    fn uptime(&self) -> (Timespec, Timespec);
    /// `/proc/mounts` (and `/proc/self/mounts`): usually
    /// [`crate::Vfs::mounts_text`].
    fn mounts(&self) -> Vec<u8> {
        Vec::new()
    }
}

const ROOT: Ino = 1;
const SELF: Ino = 2;
const CPUINFO: Ino = 3;
const MEMINFO: Ino = 4;
const UPTIME: Ino = 5;
const MOUNTS: Ino = 6;
const FIXED: [(Ino, &[u8]); 5] = [
    (SELF, b"self"),
    (CPUINFO, b"cpuinfo"),
    (MEMINFO, b"meminfo"),
    (UPTIME, b"uptime"),
    (MOUNTS, b"mounts"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum PidNode {
    Dir = 1,
    Exe = 2,
    Cwd = 3,
    Cmdline = 4,
    Comm = 5,
    FdDir = 6,
    Fd = 7,
    Mounts = 8,
}
const PER_PID: [(PidNode, &[u8]); 6] = [
    (PidNode::Mounts, b"mounts"),
    (PidNode::Exe, b"exe"),
    (PidNode::Cwd, b"cwd"),
    (PidNode::Cmdline, b"cmdline"),
    (PidNode::Comm, b"comm"),
    (PidNode::FdDir, b"fd"),
];

fn pid_ino(pid: u32, node: PidNode, n: u32) -> Ino {
    ((pid as u64 + 1) << 32) | ((node as u64) << 24) | (n as u64 & 0xff_ffff)
}

fn decode(ino: Ino) -> Option<(u32, PidNode, u32)> {
    let pid = u32::try_from((ino >> 32).checked_sub(1)?).ok()?;
    let node = match (ino >> 24) & 0xff {
        1 => PidNode::Dir,
        2 => PidNode::Exe,
        3 => PidNode::Cwd,
        4 => PidNode::Cmdline,
        5 => PidNode::Comm,
        6 => PidNode::FdDir,
        7 => PidNode::Fd,
        8 => PidNode::Mounts,
        _ => return None,
    };
    Some((pid, node, (ino & 0xff_ffff) as u32))
}

fn parse_num(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    core::str::from_utf8(name).ok()?.parse().ok()
}

fn entry(ino: Ino, kind: FileKind, name: &[u8]) -> DirEntry {
    DirEntry {
        ino,
        kind,
        name: name.to_vec(),
    }
}

/// The process file system.
pub struct ProcFs {
    info: Arc<dyn ProcessInfo>,
}

impl ProcFs {
    pub fn new(info: Arc<dyn ProcessInfo>) -> Self {
        ProcFs { info }
    }

    fn fd_file(&self, pid: u32, fd: u32) -> Result<Arc<crate::file::OpenFile>> {
        let table = self.info.fd_table(pid).ok_or(Errno::ENOENT)?;
        table.get(fd as i32).map_err(|_| Errno::ENOENT)
    }

    /// Checks that `ino` names something that exists now.
    fn check(&self, ino: Ino) -> Result<Option<(u32, PidNode, u32)>> {
        if (ROOT..=MOUNTS).contains(&ino) {
            return Ok(None);
        }
        let d = decode(ino).ok_or(Errno::ENOENT)?;
        if !self.info.exists(d.0) {
            return Err(Errno::ENOENT);
        }
        if d.1 == PidNode::Fd {
            self.fd_file(d.0, d.2)?;
        }
        Ok(Some(d))
    }

    fn content(&self, ino: Ino) -> Result<Vec<u8>> {
        let mut s = String::new();
        match (ino, self.check(ino)?) {
            (MOUNTS, _) => return Ok(self.info.mounts()),
            (CPUINFO, _) => {
                let model = String::from_utf8_lossy(&self.info.cpu_model()).into_owned();
                let flags = String::from_utf8_lossy(&self.info.cpu_flags()).into_owned();
                for cpu in 0..self.info.cpu_count() {
                    let _ = write!(
                        s,
                        "processor\t: {cpu}\nvendor_id\t: GenuineIntel\nmodel name\t: {model}\n\
                         physical id\t: 0\ncore id\t\t: {cpu}\ncpu cores\t: {n}\nflags\t\t: {flags}\n\n",
                        n = self.info.cpu_count()
                    );
                }
            }
            (MEMINFO, _) => {
                let m = self.info.meminfo();
                let _ = write!(
                    s,
                    "MemTotal:       {:8} kB\nMemFree:        {:8} kB\nMemAvailable:   {:8} kB\n\
                     Buffers:               0 kB\nCached:                0 kB\nSwapTotal:             0 kB\n\
                     SwapFree:              0 kB\n",
                    m.total_kib, m.free_kib, m.available_kib
                );
            }
            (UPTIME, _) => {
                let (up, idle) = self.info.uptime();
                let _ = writeln!(
                    s,
                    "{}.{:02} {}.{:02}",
                    up.sec,
                    up.nsec / 10_000_000,
                    idle.sec,
                    idle.nsec / 10_000_000
                );
            }
            (_, Some((pid, PidNode::Cmdline, _))) => {
                return Ok(self.info.cmdline(pid).unwrap_or_default())
            }
            (_, Some((_, PidNode::Mounts, _))) => return Ok(self.info.mounts()),
            (_, Some((pid, PidNode::Comm, _))) => {
                let exe = self.info.exe(pid).unwrap_or_default();
                let base = exe.rsplit(|&c| c == b'/').next().unwrap_or(&[]);
                let mut out = base[..base.len().min(15)].to_vec();
                out.push(b'\n');
                return Ok(out);
            }
            (_, Some(_)) | (ROOT | SELF, None) => return Err(Errno::EISDIR),
            _ => return Err(Errno::ENOENT),
        }
        Ok(s.into_bytes())
    }
}

impl Filesystem for ProcFs {
    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino> {
        match (dir, self.check(dir)?) {
            (ROOT, _) => {
                if name == b"." || name == b".." {
                    return Ok(ROOT);
                }
                if let Some((ino, _)) = FIXED.iter().find(|(_, n)| *n == name) {
                    return Ok(*ino);
                }
                let pid = parse_num(name)
                    .filter(|&p| self.info.exists(p))
                    .ok_or(Errno::ENOENT)?;
                Ok(pid_ino(pid, PidNode::Dir, 0))
            }
            (_, Some((pid, PidNode::Dir, _))) => match name {
                b"." => Ok(dir),
                b".." => Ok(ROOT),
                _ => PER_PID
                    .iter()
                    .find(|(_, n)| *n == name)
                    .map(|(k, _)| pid_ino(pid, *k, 0))
                    .ok_or(Errno::ENOENT),
            },
            (_, Some((pid, PidNode::FdDir, _))) => match name {
                b"." => Ok(dir),
                b".." => Ok(pid_ino(pid, PidNode::Dir, 0)),
                _ => {
                    let fd = parse_num(name)
                        .filter(|&fd| fd < 0x100_0000)
                        .ok_or(Errno::ENOENT)?;
                    self.fd_file(pid, fd)?;
                    Ok(pid_ino(pid, PidNode::Fd, fd))
                }
            },
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn stat(&self, ino: Ino) -> Result<Stat> {
        let (kind, perm) = match (ino, self.check(ino)?) {
            (ROOT, _) => (FileKind::Directory, 0o555),
            (SELF, _) => (FileKind::Symlink, 0o777),
            (_, None) => (FileKind::Regular, 0o444),
            (_, Some((_, PidNode::Dir | PidNode::FdDir, _))) => (FileKind::Directory, 0o555),
            (_, Some((_, PidNode::Exe | PidNode::Cwd, _))) => (FileKind::Symlink, 0o777),
            (_, Some((_, PidNode::Fd, _))) => (FileKind::Symlink, 0o700),
            (_, Some(_)) => (FileKind::Regular, 0o444),
        };
        let mut st = Stat::new(kind, perm);
        st.blksize = 1024;
        if kind == FileKind::Directory {
            st.nlink = 2;
        }
        Ok(st)
    }

    fn readdir(&self, dir: Ino, cookie: u64) -> Result<Option<(DirEntry, u64)>> {
        let i = cookie as usize;
        let d = |name: &[u8], ino| Some((entry(ino, FileKind::Directory, name), cookie + 1));
        let e = match (dir, self.check(dir)?) {
            (ROOT, _) => match i {
                0 => d(b".", ROOT),
                1 => d(b"..", ROOT),
                _ if i < 2 + FIXED.len() => {
                    let (ino, name) = FIXED[i - 2];
                    let kind = if ino == SELF {
                        FileKind::Symlink
                    } else {
                        FileKind::Regular
                    };
                    Some((entry(ino, kind, name), cookie + 1))
                }
                _ => {
                    let mut pids = self.info.pids();
                    pids.sort_unstable();
                    pids.get(i - 2 - FIXED.len()).map(|&p| {
                        let name = format!("{p}").into_bytes();
                        (
                            entry(pid_ino(p, PidNode::Dir, 0), FileKind::Directory, &name),
                            cookie + 1,
                        )
                    })
                }
            },
            (_, Some((pid, PidNode::Dir, _))) => match i {
                0 => d(b".", dir),
                1 => d(b"..", ROOT),
                _ => PER_PID.get(i - 2).map(|&(k, name)| {
                    let kind = match k {
                        PidNode::Exe | PidNode::Cwd => FileKind::Symlink,
                        PidNode::FdDir => FileKind::Directory,
                        _ => FileKind::Regular,
                    };
                    (entry(pid_ino(pid, k, 0), kind, name), cookie + 1)
                }),
            },
            (_, Some((pid, PidNode::FdDir, _))) => match i {
                0 => d(b".", dir),
                1 => d(b"..", pid_ino(pid, PidNode::Dir, 0)),
                // The cookie past "." and ".." is 2 + the next fd to list.
                _ => {
                    let table = self.info.fd_table(pid).ok_or(Errno::ENOENT)?;
                    table
                        .list()
                        .into_iter()
                        .find(|(fd, _)| *fd as u64 + 2 >= cookie)
                        .map(|(fd, _)| {
                            let name = format!("{fd}").into_bytes();
                            (
                                entry(
                                    pid_ino(pid, PidNode::Fd, fd as u32),
                                    FileKind::Symlink,
                                    &name,
                                ),
                                fd as u64 + 3,
                            )
                        })
                }
            },
            _ => return Err(Errno::ENOTDIR),
        };
        Ok(e)
    }

    fn name(&self) -> &'static str {
        "proc"
    }

    fn statfs(&self) -> FsStat {
        FsStat {
            fs_type: PROC_SUPER_MAGIC,
            block_size: 4096,
            name_max: 255,
            ..FsStat::default()
        }
    }

    fn readlink(&self, ino: Ino) -> Result<Vec<u8>> {
        match (ino, self.check(ino)?) {
            (SELF, _) => Ok(format!("{}", self.info.current_pid()).into_bytes()),
            (_, Some((pid, PidNode::Exe, _))) => self.info.exe(pid).ok_or(Errno::ENOENT),
            (_, Some((pid, PidNode::Cwd, _))) => self.info.cwd(pid).ok_or(Errno::ENOENT),
            (_, Some((pid, PidNode::Fd, fd))) => Ok(self.fd_file(pid, fd)?.path().to_vec()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn read(&self, ino: Ino, off: u64, buf: &mut [u8]) -> Result<usize> {
        let data = self.content(ino)?;
        let start = usize::try_from(off).unwrap_or(usize::MAX).min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    fn write(&self, _ino: Ino, _off: u64, _data: &[u8]) -> Result<usize> {
        Err(Errno::EACCES)
    }

    fn read_only(&self) -> bool {
        true
    }
}
