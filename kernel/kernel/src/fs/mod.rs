//! Files: the shared `veridian-vfs` crate over a BlockFS root on the first
//! virtio disk, with the kernel's devices in /dev and processes in /proc.
//! This module builds the VFS at boot; the file semantics live in the VFS
//! crate, blocking is `crate::wait`. What /proc shows about processes comes
//! from the provider [`init`] is given (`task::procinfo`): this module does
//! not depend on `task`.

pub mod devices;
pub mod disk;
pub mod eventfd;
pub mod pidfd;
pub mod signalfd;
pub mod timerfd;

use alloc::sync::Arc;
use veridian_vfs::{BlockFsMount, DevFs, Errno, ProcFs, ProcessInfo, Timespec, Vfs};

pub use veridian_vfs::{Caller, FdTable, FsContext, OpenFile};

static VFS: spin::Once<Vfs> = spin::Once::new();

/// The VFS (after [`init`]).
pub fn vfs() -> &'static Vfs {
    VFS.get().expect("the VFS is set up at boot")
}

fn now() -> Timespec {
    let ns = crate::time::realtime_ns();
    Timespec {
        sec: (ns / 1_000_000_000) as i64,
        nsec: (ns % 1_000_000_000) as u32,
    }
}

fn now_secs() -> u32 {
    (crate::time::realtime_ns() / 1_000_000_000) as u32
}

/// What `fstat` says of an anonymous-inode file (epoll, eventfd,
/// signalfd, timerfd): Linux gives mode 0600 and no file type bits; a
/// regular file is the closest kind a `Stat` can say.
pub fn anon_inode_stat() -> veridian_vfs::Stat {
    let mut st = veridian_vfs::Stat::new(veridian_vfs::FileKind::Regular, 0o600);
    st.blksize = 4096;
    st
}

/// Mounts disk 0 as `/`, devfs on /dev and procfs over `procs` on /proc.
/// Returns the root's block count.
pub fn init(procs: Arc<dyn ProcessInfo>) -> Result<u64, Errno> {
    let mut fs = disk::mount_root()?;
    fs.set_clock(now_secs);
    fs.set_lent_probe(block_still_mapped);
    let blocks = fs.statfs().total_blocks as u64;
    let mut v = Vfs::new(Arc::new(BlockFsMount::new(fs)?));
    v.set_clock(now);
    let dev = Arc::new(DevFs::new(Arc::new(devices::KernelRandom)));
    devices::register(&dev)?;
    v.mount(b"/dev", dev)?;
    v.mount(b"/proc", Arc::new(ProcFs::new(procs)))?;
    veridian_vfs::set_wake_hook(crate::wait::wake_key);
    VFS.call_once(|| v);
    Ok(blocks)
}

/// Power-off: writes everything back and marks the root cleanly
/// unmounted.
pub fn sync() {
    if let Some(v) = VFS.get() {
        if let Err(e) = v.sync_for_shutdown() {
            crate::kprintln!("veridian: sync failed: {}", e);
        }
    }
}

/// Opens a program for exec: a regular file with an execute bit. Returns
/// the open file, its size and the path it was opened by.
pub fn open_executable(
    c: Caller<'_>,
    dirfd: i32,
    path: &[u8],
) -> Result<(OpenFile, u64, alloc::vec::Vec<u8>), Errno> {
    use veridian_vfs::abi::{O_CLOEXEC, O_RDONLY};
    let v = vfs();
    let f = v.open_file(c, dirfd, path, O_RDONLY | O_CLOEXEC, 0)?;
    let st = v.fstat_file(&f)?;
    if st.kind != veridian_vfs::FileKind::Regular || st.perm & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    let p = f.path().to_vec();
    Ok((f, st.size, p))
}

/// Reads from an open file at an offset (for the program loader).
pub fn pread(f: &OpenFile, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    vfs().pread_file(f, buf, off)
}

/// An open file as the contents behind file mappings (mmap, and program
/// segments paged in on demand); it stays open while they exist.
pub fn backing(f: Arc<OpenFile>) -> Arc<dyn crate::mm::vma::Backing> {
    Arc::new(FileBacking(f))
}

struct FileBacking(Arc<OpenFile>);

impl crate::mm::vma::Backing for FileBacking {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> usize {
        pread(&self.0, off, buf).unwrap_or(0)
    }

    /// The block cache's own frame for the page.
    fn share_page(&self, off: u64) -> Option<u64> {
        let mut shared = None;
        let _ = vfs().with_cached_page(&self.0, off, &mut |page| shared = share_cached(page));
        shared
    }

    fn share_resident_pages(&self, off: u64, want: &[bool], got: &mut [Option<u64>]) {
        let _ = vfs().with_resident_pages(&self.0, off, want.len(), &mut |i, page| {
            if want.get(i) == Some(&true) {
                got[i] = share_cached(page);
            }
        });
    }

    /// The block cache's frame for the page, lent for writing: BlockFS
    /// writes it back at each sync for as long as a mapping holds it (the
    /// probe set in [`init`]).
    fn lend_page(&self, off: u64) -> Option<u64> {
        let mut lent = None;
        let _ = vfs().lend_page(&self.0, off, &mut |page| lent = share_cached(page));
        lent
    }
}

/// A reference to the frame that is a block of the cache: BlockFS keeps
/// each cached block in a page-aligned, page-sized allocation, which the
/// kernel heap serves with a frame of its own (`mm::heap`).
fn share_cached(page: &[u8; blockfs::BLOCK_SIZE]) -> Option<u64> {
    crate::mm::frame::share(crate::mm::virt_to_phys(page.as_ptr() as u64))
}

/// Whether a block the root's cache lent is still mapped somewhere: its
/// frame has references besides the cache's own.
fn block_still_mapped(block: &[u8; blockfs::BLOCK_SIZE]) -> bool {
    crate::mm::frame::refcount(crate::mm::virt_to_phys(block.as_ptr() as u64)) > 1
}
