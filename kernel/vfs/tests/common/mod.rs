//! Shared fixtures: a VFS over a fresh in-memory BlockFS with devfs and
//! procfs mounted, and a fake process table.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use blockfs::{FileSystem, FormatOptions, MemDevice, MountOptions};
pub use veridian_vfs::abi::*;
pub use veridian_vfs::*;

/// A process: fd table and fs context.
pub struct Proc {
    pub pid: u32,
    pub fds: Arc<FdTable>,
    pub fsx: Arc<FsContext>,
}

impl Proc {
    pub fn c(&self) -> Caller<'_> {
        Caller {
            fds: &self.fds,
            fs: &self.fsx,
        }
    }
}

/// One fake process: pid, fd table, command line.
pub type ProcEntry = (u32, Arc<FdTable>, Vec<u8>);

/// The fake kernel process table behind procfs.
#[derive(Default)]
pub struct Procs {
    pub current: Mutex<u32>,
    pub table: Mutex<Vec<ProcEntry>>,
    pub mounts: Mutex<Vec<u8>>,
}

impl ProcessInfo for Procs {
    fn current_pid(&self) -> u32 {
        *self.current.lock().unwrap()
    }
    fn pids(&self) -> Vec<u32> {
        self.table.lock().unwrap().iter().map(|p| p.0).collect()
    }
    fn exe(&self, pid: u32) -> Option<Vec<u8>> {
        self.table
            .lock()
            .unwrap()
            .iter()
            .find(|p| p.0 == pid)
            .map(|p| p.2.clone())
    }
    fn cmdline(&self, pid: u32) -> Option<Vec<u8>> {
        self.exe(pid).map(|mut e| {
            e.extend_from_slice(b"\0--flag\0");
            e
        })
    }
    fn fd_table(&self, pid: u32) -> Option<Arc<FdTable>> {
        self.table
            .lock()
            .unwrap()
            .iter()
            .find(|p| p.0 == pid)
            .map(|p| p.1.clone())
    }
    fn meminfo(&self) -> MemInfo {
        MemInfo {
            total_kib: 1 << 20,
            free_kib: 1 << 19,
            available_kib: 1 << 19,
        }
    }
    fn cpu_model(&self) -> Vec<u8> {
        b"Test CPU".to_vec()
    }
    fn uptime(&self) -> (Timespec, Timespec) {
        (
            Timespec {
                sec: 12,
                nsec: 340_000_000,
            },
            Timespec { sec: 3, nsec: 0 },
        )
    }
    fn mounts(&self) -> Vec<u8> {
        self.mounts.lock().unwrap().clone()
    }
}

pub struct Counter(pub Mutex<u8>);
impl RandomSource for Counter {
    fn fill(&self, buf: &mut [u8]) {
        let mut c = self.0.lock().unwrap();
        for b in buf {
            *c = c.wrapping_add(1);
            *b = *c;
        }
    }
}

pub struct World {
    pub vfs: Vfs,
    pub dev: Arc<DevFs>,
    pub procs: Arc<Procs>,
    pub root: Arc<BlockFsMount<MemDevice>>,
}

pub fn clock() -> Timespec {
    Timespec {
        sec: 1_700_000_000,
        nsec: 0,
    }
}

pub fn world() -> World {
    world_on(FileSystem::format(MemDevice::new(2048), &FormatOptions::default()).unwrap())
}

pub fn world_on(fs: FileSystem<MemDevice>) -> World {
    let root = Arc::new(BlockFsMount::new(fs).unwrap());
    let mut vfs = Vfs::new(root.clone());
    vfs.set_clock(clock);
    let dev = Arc::new(DevFs::new(Arc::new(Counter(Mutex::new(0)))));
    vfs.mount(b"/dev", dev.clone()).unwrap();
    let procs = Arc::new(Procs::default());
    vfs.mount(b"/proc", Arc::new(ProcFs::new(procs.clone())))
        .unwrap();
    *procs.mounts.lock().unwrap() = vfs.mounts_text();
    World {
        vfs,
        dev,
        procs,
        root,
    }
}

impl World {
    pub fn spawn(&self, pid: u32, exe: &[u8]) -> Proc {
        let p = Proc {
            pid,
            fds: Arc::new(FdTable::new()),
            fsx: Arc::new(FsContext::new(self.vfs.root())),
        };
        self.procs
            .table
            .lock()
            .unwrap()
            .push((pid, p.fds.clone(), exe.to_vec()));
        *self.procs.current.lock().unwrap() = pid;
        p
    }

    pub fn remount_ro(self) -> World {
        drop(self.vfs);
        let root = Arc::try_unwrap(self.root).ok().expect("root still shared");
        let dev = root.with_fs(|fs| {
            fs.sync().unwrap();
            fs.device_mut().clone()
        });
        let opts = MountOptions {
            read_only: true,
            ..MountOptions::default()
        };
        world_on(FileSystem::mount(dev, opts).unwrap())
    }

    /// Opens, writes all of `data`, closes.
    pub fn put(&self, p: &Proc, path: &[u8], data: &[u8]) {
        let fd = self
            .vfs
            .openat(p.c(), AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
            .unwrap();
        assert_eq!(self.vfs.write(p.c(), fd, data).unwrap(), data.len());
        self.vfs.close(p.c(), fd).unwrap();
    }

    /// Opens and reads the whole file.
    pub fn get(&self, p: &Proc, path: &[u8]) -> Result<Vec<u8>> {
        let fd = self.vfs.openat(p.c(), AT_FDCWD, path, O_RDONLY, 0)?;
        let mut out = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            let n = self.vfs.read(p.c(), fd, &mut buf)?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        self.vfs.close(p.c(), fd)?;
        Ok(out)
    }

    /// Names in a directory via getdents64 with a small buffer.
    pub fn ls(&self, p: &Proc, path: &[u8]) -> Vec<(Vec<u8>, u8)> {
        let fd = self
            .vfs
            .openat(p.c(), AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0)
            .unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            let n = self.vfs.getdents64(p.c(), fd, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            let mut off = 0;
            while off < n {
                let rec = &buf[off..n];
                let reclen = u16::from_le_bytes([rec[16], rec[17]]) as usize;
                let name = &rec[19..reclen];
                let end = name.iter().position(|&b| b == 0).unwrap();
                out.push((name[..end].to_vec(), rec[18]));
                off += reclen;
            }
        }
        self.vfs.close(p.c(), fd).unwrap();
        out.sort();
        out
    }
}
