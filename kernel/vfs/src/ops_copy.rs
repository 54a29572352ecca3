//! In-kernel copies and allocation: sendfile, copy_file_range, fallocate.

use alloc::vec;

use crate::abi::*;
use crate::context::Caller;
use crate::errno::{Errno, Result};
use crate::file::{OpenFile, Target};
use crate::stat::FileKind;
use crate::vfs::Vfs;

/// Bytes moved per step of a copy.
const CHUNK: usize = 64 * 1024;
/// Linux's cap on one transfer (`MAX_RW_COUNT`).
const MAX_RW: usize = 0x7fff_f000;

impl Vfs {
    fn regular(&self, f: &OpenFile) -> Result<bool> {
        Ok(match &f.target {
            Target::Node(h) => h.fs.stat(h.node.ino)?.kind == FileKind::Regular,
            Target::Pipe(_) | Target::Special(_) => false,
        })
    }

    /// `sendfile(out_fd, in_fd, offset, count)`: copies from a seekable
    /// `in_fd` (at `*offset`, which advances, or at its file position) to
    /// any writable `out_fd`. Stops early when the output would block
    /// after some bytes moved; `EAGAIN` if none did.
    pub fn sendfile(
        &self,
        c: Caller<'_>,
        out_fd: i32,
        in_fd: i32,
        offset: Option<&mut i64>,
        count: usize,
    ) -> Result<usize> {
        let (inf, outf) = (c.fds.get(in_fd)?, c.fds.get(out_fd)?);
        if !inf.readable() || !outf.writable() {
            return Err(Errno::EBADF);
        }
        if !matches!(&inf.target, Target::Node(h) if h.fs.seekable(h.node.ino)) {
            return Err(Errno::EINVAL);
        }
        if outf.flags() & O_APPEND != 0 && self.regular(&outf)? {
            return Err(Errno::EINVAL);
        }
        let mut pos = match &offset {
            Some(o) => u64::try_from(**o).map_err(|_| Errno::EINVAL)?,
            None => inf.offset(),
        };
        let mut buf = vec![0u8; CHUNK.min(count.max(1))];
        let mut done = 0;
        let count = count.min(MAX_RW);
        while done < count {
            let want = buf.len().min(count - done);
            let n = self.pread_file(&inf, &mut buf[..want], pos)?;
            if n == 0 {
                break;
            }
            let w = match self.write_file(&outf, &buf[..n]) {
                Ok(w) => w,
                Err(e) if done == 0 => return Err(e),
                Err(_) => 0,
            };
            pos += w as u64;
            done += w;
            if w < n {
                break;
            }
        }
        match offset {
            Some(o) => *o = pos as i64,
            None => *inf.offset.lock() = pos,
        }
        Ok(done)
    }

    /// `copy_file_range(fd_in, off_in, fd_out, off_out, len, flags)`
    /// between regular files: offsets given advance, otherwise the file
    /// positions do. `EINVAL` for flags, non-regular files or overlapping
    /// ranges of one file; `EBADF` for wrong access modes or `O_APPEND`
    /// output.
    #[allow(clippy::too_many_arguments)]
    pub fn copy_file_range(
        &self,
        c: Caller<'_>,
        fd_in: i32,
        off_in: Option<&mut i64>,
        fd_out: i32,
        off_out: Option<&mut i64>,
        len: usize,
        flags: u32,
    ) -> Result<usize> {
        let (inf, outf) = (c.fds.get(fd_in)?, c.fds.get(fd_out)?);
        if flags != 0 {
            return Err(Errno::EINVAL);
        }
        if !inf.readable() || !outf.writable() || outf.flags() & O_APPEND != 0 {
            return Err(Errno::EBADF);
        }
        if !self.regular(&inf)? || !self.regular(&outf)? {
            return Err(Errno::EINVAL);
        }
        let start = |o: &Option<&mut i64>, f: &OpenFile| match o {
            Some(v) => u64::try_from(**v).map_err(|_| Errno::EINVAL),
            None => Ok(f.offset()),
        };
        let (mut rpos, mut wpos) = (start(&off_in, &inf)?, start(&off_out, &outf)?);
        let len = len.min(MAX_RW);
        if inf.node() == outf.node() && rpos < wpos + len as u64 && wpos < rpos + len as u64 {
            return Err(Errno::EINVAL);
        }
        let Target::Node(out) = &outf.target else {
            return Err(Errno::EINVAL);
        };
        let mut buf = vec![0u8; CHUNK.min(len.max(1))];
        let mut done = 0;
        while done < len {
            let want = buf.len().min(len - done);
            let n = self.pread_file(&inf, &mut buf[..want], rpos)?;
            if n == 0 {
                break;
            }
            let w = out.fs.write(out.node.ino, wpos, &buf[..n])?;
            rpos += w as u64;
            wpos += w as u64;
            done += w;
        }
        match off_in {
            Some(o) => *o = rpos as i64,
            None => *inf.offset.lock() = rpos,
        }
        match off_out {
            Some(o) => *o = wpos as i64,
            None => *outf.offset.lock() = wpos,
        }
        Ok(done)
    }

    /// `fallocate(fd, mode, offset, len)`: mode 0 extends the file to at
    /// least `offset + len` (BlockFS files are never sparse, so the blocks
    /// are allocated); other modes are `EOPNOTSUPP`.
    pub fn fallocate(
        &self,
        c: Caller<'_>,
        fd: i32,
        mode: u32,
        offset: i64,
        len: i64,
    ) -> Result<()> {
        let f = c.fds.get(fd)?;
        if offset < 0 || len <= 0 {
            return Err(Errno::EINVAL);
        }
        if !f.writable() {
            return Err(Errno::EBADF);
        }
        let Target::Node(h) = &f.target else {
            return Err(Errno::ESPIPE);
        };
        let st = h.fs.stat(h.node.ino)?;
        match st.kind {
            FileKind::Regular => {}
            FileKind::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::ENODEV),
        }
        if mode != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let end = offset.checked_add(len).ok_or(Errno::EFBIG)? as u64;
        if end > st.size {
            h.fs.truncate(h.node.ino, end)?;
        }
        Ok(())
    }
}
