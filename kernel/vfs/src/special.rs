//! Special files: fds whose object lives outside the VFS (sockets, epoll
//! instances). The owner implements [`SpecialFile`]; the VFS gives it an
//! fd with the usual flags, `dup`, close-on-exec and `fork` sharing, and
//! routes read/write/poll/ioctl/fstat to it. Closing the last fd drops the
//! `Arc`, which is the owner's close hook.

use alloc::sync::Arc;
use core::any::Any;

use crate::abi::*;
use crate::context::Caller;
use crate::errno::{Errno, Result};
use crate::file::{OpenFile, Target};
use crate::filesystem::PollEvents;
use crate::ioctl::IoctlReply;
use crate::stat::Stat;
use crate::vfs::Vfs;

/// An object behind an fd that is not a file-system node or a pipe.
///
/// Nothing blocks: calls that would block return [`Errno::EAGAIN`]; the
/// kernel waits on [`SpecialFile::wait_key`] (which the owner wakes when
/// readiness changes) unless the file is non-blocking.
pub trait SpecialFile: Any + Send + Sync {
    /// `read`; `EINVAL` if the object cannot be read.
    fn read(&self, buf: &mut [u8]) -> Result<usize>;
    /// `write`; `EINVAL` if the object cannot be written.
    fn write(&self, data: &[u8]) -> Result<usize>;
    /// Readiness as `poll` bits.
    fn poll(&self) -> PollEvents;
    /// Requests other than the generic ones (`FIOCLEX`, `FIONCLEX`,
    /// `FIONBIO`, which the VFS handles); `arg` as in [`Vfs::ioctl`].
    fn ioctl(&self, _cmd: u32, _arg: &[u8]) -> Result<IoctlReply> {
        Err(Errno::ENOTTY)
    }
    /// `fstat`.
    fn stat(&self) -> Stat;
    /// Wait-queue key (see [`OpenFile::wait_key`]).
    fn wait_key(&self) -> usize;
    /// For the owner to recover its concrete type.
    fn as_any(&self) -> &dyn Any;
}

impl Vfs {
    /// Opens `file` as a new fd (lowest free). `flags`: `O_NONBLOCK` and
    /// `O_CLOEXEC` are honoured; the file is open for reading and writing.
    /// `name` is what `/proc/<pid>/fd` shows (e.g. `socket:[N]`).
    pub fn install_special(
        &self,
        c: Caller<'_>,
        file: Arc<dyn SpecialFile>,
        name: &[u8],
        flags: u32,
    ) -> Result<i32> {
        let of = Arc::new(OpenFile::new(
            Target::Special(file),
            name.into(),
            O_RDWR | (flags & O_NONBLOCK),
        ));
        c.fds.insert(of, flags & O_CLOEXEC != 0)
    }

    /// The special file behind `fd` and its open file description (for
    /// the status flags): `EBADF` for a closed fd, `None` for other kinds.
    pub fn special(&self, c: Caller<'_>, fd: i32) -> Result<Option<SpecialOpen>> {
        let f = c.fds.get(fd)?;
        Ok(f.special().cloned().map(|s| (f, s)))
    }
}

/// An open special file: its open file description and the file itself.
pub type SpecialOpen = (Arc<OpenFile>, Arc<dyn SpecialFile>);

impl OpenFile {
    /// The special file this refers to, if any.
    pub fn special(&self) -> Option<&Arc<dyn SpecialFile>> {
        match &self.target {
            Target::Special(s) => Some(s),
            _ => None,
        }
    }

    /// The special file this refers to as its owner's concrete type `T`,
    /// if it is one.
    pub fn special_as<T: SpecialFile>(&self) -> Option<&T> {
        self.special().and_then(|s| s.as_any().downcast_ref::<T>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FdTable, FileKind, FsContext};
    use alloc::vec::Vec;
    use core::sync::atomic::{AtomicUsize, Ordering};
    use spin::Mutex;

    static DROPS: AtomicUsize = AtomicUsize::new(0);

    /// A byte queue with a drop counter.
    struct Queue(Mutex<Vec<u8>>);

    impl Drop for Queue {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl SpecialFile for Queue {
        fn read(&self, buf: &mut [u8]) -> Result<usize> {
            let mut q = self.0.lock();
            if q.is_empty() {
                return Err(Errno::EAGAIN);
            }
            let n = buf.len().min(q.len());
            buf[..n].copy_from_slice(&q[..n]);
            q.drain(..n);
            Ok(n)
        }
        fn write(&self, data: &[u8]) -> Result<usize> {
            self.0.lock().extend_from_slice(data);
            Ok(data.len())
        }
        fn poll(&self) -> PollEvents {
            POLLOUT | if self.0.lock().is_empty() { 0 } else { POLLIN }
        }
        fn ioctl(&self, cmd: u32, _arg: &[u8]) -> Result<IoctlReply> {
            match cmd {
                FIONREAD => Ok(IoctlReply::with(
                    (self.0.lock().len() as i32).to_le_bytes().to_vec(),
                )),
                _ => Err(Errno::ENOTTY),
            }
        }
        fn stat(&self) -> Stat {
            Stat::new(FileKind::Socket, 0o777)
        }
        fn wait_key(&self) -> usize {
            7
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn vfs() -> Vfs {
        use blockfs::{FileSystem, FormatOptions, MemDevice};
        let disk = FileSystem::format(MemDevice::new(256), &FormatOptions::default()).unwrap();
        Vfs::new(Arc::new(crate::BlockFsMount::new(disk).unwrap()))
    }

    #[test]
    fn special_fd_routes_calls_and_drops_on_last_close() {
        let v = vfs();
        let fds = FdTable::new();
        let fsx = FsContext::new(v.root());
        let c = Caller {
            fds: &fds,
            fs: &fsx,
        };
        let before = DROPS.load(Ordering::SeqCst);
        let q: Arc<dyn SpecialFile> = Arc::new(Queue(Mutex::new(Vec::new())));
        let fd = v
            .install_special(c, q, b"socket:[1]", O_NONBLOCK | O_CLOEXEC)
            .unwrap();
        assert_eq!(fd, 0);
        assert!(fds.cloexec(fd).unwrap());
        assert_ne!(v.fcntl(c, fd, F_GETFL, 0).unwrap() as u32 & O_NONBLOCK, 0);
        assert_eq!(v.read(c, fd, &mut [0; 4]), Err(Errno::EAGAIN));
        assert_eq!(v.poll(c, fd), POLLOUT);
        assert_eq!(v.write(c, fd, b"abc").unwrap(), 3);
        assert_eq!(v.poll(c, fd), POLLOUT | POLLIN);
        assert_eq!(
            v.ioctl(c, fd, FIONREAD, &[]).unwrap().out,
            3i32.to_le_bytes()
        );
        assert_eq!(v.ioctl(c, fd, TCGETS, &[]), Err(Errno::ENOTTY));
        v.ioctl(c, fd, FIONBIO, &0i32.to_le_bytes()).unwrap();
        assert!(!fds.get(fd).unwrap().is_nonblocking());
        let st = v.fstat(c, fd).unwrap();
        assert_eq!(st.kind, FileKind::Socket);
        assert_eq!(st.to_linux_stat()[24..28], 0o140777u32.to_le_bytes());
        assert_eq!(v.lseek(c, fd, 0, SEEK_SET), Err(Errno::ESPIPE));
        assert!(v.special(c, fd).unwrap().unwrap().1.as_any().is::<Queue>());
        let d = v.dup(c, fd).unwrap();
        let mut buf = [0; 8];
        assert_eq!(v.read(c, d, &mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
        v.close(c, fd).unwrap();
        assert_eq!(DROPS.load(Ordering::SeqCst), before, "a dup keeps it open");
        v.close(c, d).unwrap();
        assert_eq!(DROPS.load(Ordering::SeqCst), before + 1);
        assert_eq!(v.special(c, d).err(), Some(Errno::EBADF));
    }

    #[test]
    fn special_lookup_is_none_for_other_files() {
        let v = vfs();
        let fds = FdTable::new();
        let fsx = FsContext::new(v.root());
        let c = Caller {
            fds: &fds,
            fs: &fsx,
        };
        let (r, _w) = v.pipe2(c, 0).unwrap();
        assert!(v.special(c, r).unwrap().is_none());
    }
}
