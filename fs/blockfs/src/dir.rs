//! Directory entries: decoding the entry stream (tolerating the layouts
//! both VeridianOS writers produce) and adding, replacing and removing
//! entries.
//!
//! Reading treats a directory as a byte stream of `size` bytes. An entry
//! may straddle a block boundary (the VeridianOS builder writes those); a
//! `rec_len` below 8 or not a multiple of 4 ends the current block, as in
//! the VeridianOS project's original kernel, and so does a zero-filled
//! block tail shorter than a header (that kernel moves an entry that does
//! not fit to the next block without padding the previous one). Writing never lets an entry straddle
//! a block: the previous entry's `rec_len` is padded to the block end
//! instead.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::device::{BlockDevice, BLOCK_SIZE};
use crate::error::{Error, Result};
use crate::fs::FileSystem;
use crate::inode::{FileType, Inode, DIRECT, PTRS_PER_BLOCK};

/// Entry header bytes.
pub const HEADER: usize = 8;
/// Longest name.
pub const MAX_NAME: usize = 255;
/// Largest directory read or written: its direct and single-indirect
/// blocks (4 MiB, hundreds of thousands of entries). A larger recorded size
/// is treated as damage, which keeps every scan of a hostile directory
/// short.
pub const MAX_DIR_SIZE: u64 = (DIRECT as u64 + PTRS_PER_BLOCK as u64) * BS;
/// Longest entry without slack (header + name, rounded to 4).
const MAX_ENTRY: usize = (HEADER + MAX_NAME + 3) & !3;
const BS: u64 = BLOCK_SIZE as u64;

/// One directory entry as `readdir` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u32,
    /// From the entry's `file_type` byte; `None` if it is not 1, 2, 6 or 7.
    pub file_type: Option<FileType>,
    pub name: Vec<u8>,
}

/// A decoded entry and where it sits in the stream.
#[derive(Debug, Clone)]
pub(crate) struct RawEntry {
    pub pos: u64,
    pub ino: u32,
    pub ftype: u8,
    pub name_len: usize,
    pub name: [u8; MAX_NAME],
}

impl RawEntry {
    pub fn name(&self) -> &[u8] {
        &self.name[..self.name_len]
    }

    pub fn is_dot(&self) -> bool {
        self.name() == b"." || self.name() == b".."
    }

    /// A live entry: "." and ".." always (root is inode 0), others when
    /// their inode field is not 0.
    pub fn is_live(&self) -> bool {
        self.ino != 0 || self.is_dot()
    }
}

/// An entry's header fields, without its name (cheap to pass around
/// while scanning).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryHead {
    pub pos: u64,
    pub rec_len: u32,
    pub ino: u32,
    pub ftype: u8,
    pub name_len: usize,
}

/// `rec_len` of an entry with a `name_len`-byte name.
pub fn entry_len(name_len: usize) -> u32 {
    ((HEADER + name_len + 3) & !3) as u32
}

/// Decodes a `file_type` byte.
pub fn file_type_of(byte: u8) -> Option<FileType> {
    match byte {
        1 => Some(FileType::Regular),
        2 => Some(FileType::Directory),
        6 => Some(FileType::Socket),
        7 => Some(FileType::Symlink),
        _ => None,
    }
}

/// Checks a name for a new entry.
pub fn check_name(name: &[u8]) -> Result<()> {
    if name.len() > MAX_NAME {
        return Err(Error::NameTooLong);
    }
    if name.is_empty() || name == b"." || name == b".." || name.iter().any(|&c| c == b'/' || c == 0)
    {
        return Err(Error::Invalid);
    }
    Ok(())
}

/// Walks the entry stream of one directory.
///
/// The block under the current position is copied out of the cache once
/// and entries are decoded from that copy, so a scan costs one cache
/// lookup per block rather than two per entry.
pub(crate) struct DirWalker {
    pos: u64,
    size: u64,
    /// Bytes skipped because of a malformed entry.
    pub malformed: bool,
    /// Logical block held in `buf`.
    cached: Option<u32>,
    buf: Box<[u8; BLOCK_SIZE]>,
}

impl DirWalker {
    pub fn new(dir: &Inode, start: u64) -> Self {
        let size = dir.size as u64;
        DirWalker {
            pos: start,
            size: size.min(MAX_DIR_SIZE),
            malformed: size > MAX_DIR_SIZE,
            cached: None,
            buf: Box::new([0; BLOCK_SIZE]),
        }
    }

    /// Reads `out.len()` bytes of the stream at `pos` (the caller keeps
    /// them below the size).
    fn read<D: BlockDevice>(
        &mut self,
        fs: &mut FileSystem<D>,
        dir: &Inode,
        pos: u64,
        out: &mut [u8],
    ) -> Result<()> {
        let in_blk = (pos % BS) as usize;
        if in_blk + out.len() > BLOCK_SIZE {
            // Straddles two blocks (the VeridianOS builder writes those).
            return fs.read_data(dir, pos, out);
        }
        let lblk = u32::try_from(pos / BS).map_err(|_| Error::TooBig)?;
        if self.cached != Some(lblk) {
            self.cached = None;
            match fs.bmap(dir, lblk)? {
                Some(p) => self.buf.copy_from_slice(fs.cache.read(&mut fs.dev, p)?),
                None => self.buf.fill(0),
            }
            self.cached = Some(lblk);
        }
        out.copy_from_slice(&self.buf[in_blk..in_blk + out.len()]);
        Ok(())
    }

    /// The next entry's header (live or deleted); `None` at the end.
    /// Terminates on any content: every step moves forward by at least 4
    /// bytes.
    pub fn next_head<D: BlockDevice>(
        &mut self,
        fs: &mut FileSystem<D>,
        dir: &Inode,
    ) -> Result<Option<EntryHead>> {
        loop {
            let pos = self.pos;
            if pos.saturating_add(HEADER as u64) > self.size {
                return Ok(None);
            }
            let mut hdr = [0u8; HEADER];
            self.read(fs, dir, pos, &mut hdr)?;
            let rec_len = u16::from_le_bytes([hdr[4], hdr[5]]) as u32;
            let name_len = hdr[6] as usize;
            let next_block = (pos / BS + 1) * BS;
            let rec_ok = rec_len >= HEADER as u32 && rec_len.is_multiple_of(4);
            let name_ok = name_len != 0
                && HEADER + name_len <= rec_len as usize
                && pos + (HEADER + name_len) as u64 <= self.size;
            let room = (next_block - pos) as usize;
            if room < HEADER && !(rec_ok && name_ok) {
                // Fewer bytes than a header before the block end and no
                // entry straddling into the next block: the gap the original
                // VeridianOS kernel leaves when the next entry does not fit
                // in this block. Zeros are that gap; anything else is damage.
                if hdr[..room].iter().any(|&b| b != 0) {
                    self.malformed = true;
                }
                self.pos = next_block;
                continue;
            }
            if !rec_ok {
                // As the kernel does: the rest of this block holds nothing.
                if hdr.iter().any(|&b| b != 0) {
                    self.malformed = true;
                }
                self.pos = next_block;
                continue;
            }
            if !name_ok {
                self.malformed = true;
                self.pos = next_block.min(pos + rec_len as u64).max(pos + 4);
                continue;
            }
            self.pos = pos + rec_len as u64;
            let ino = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
            return Ok(Some(EntryHead {
                pos,
                rec_len,
                ino,
                ftype: hdr[7],
                name_len,
            }));
        }
    }

    /// Whether the entry `h` (just returned by `next_head`) is named `name`.
    pub fn name_is<D: BlockDevice>(
        &mut self,
        fs: &mut FileSystem<D>,
        dir: &Inode,
        h: &EntryHead,
        name: &[u8],
    ) -> Result<bool> {
        if h.name_len != name.len() {
            return Ok(false);
        }
        let mut buf = [0u8; MAX_NAME];
        self.read(fs, dir, h.pos + HEADER as u64, &mut buf[..h.name_len])?;
        Ok(&buf[..h.name_len] == name)
    }

    /// Whether the entry `h` is live: "." and ".." always (the root is
    /// inode 0), others when their inode field is not 0.
    pub fn is_live<D: BlockDevice>(
        &mut self,
        fs: &mut FileSystem<D>,
        dir: &Inode,
        h: &EntryHead,
    ) -> Result<bool> {
        Ok(h.ino != 0 || self.is_dot(fs, dir, h)?)
    }

    /// Whether the entry `h` is "." or "..".
    pub fn is_dot<D: BlockDevice>(
        &mut self,
        fs: &mut FileSystem<D>,
        dir: &Inode,
        h: &EntryHead,
    ) -> Result<bool> {
        Ok(self.name_is(fs, dir, h, b".")? || self.name_is(fs, dir, h, b"..")?)
    }

    /// The next entry with its name (live or deleted); `None` at the end.
    pub fn next<D: BlockDevice>(
        &mut self,
        fs: &mut FileSystem<D>,
        dir: &Inode,
    ) -> Result<Option<RawEntry>> {
        let Some(h) = self.next_head(fs, dir)? else {
            return Ok(None);
        };
        Ok(Some(self.entry(fs, dir, &h)?))
    }

    /// The full entry for header `h`.
    pub fn entry<D: BlockDevice>(
        &mut self,
        fs: &mut FileSystem<D>,
        dir: &Inode,
        h: &EntryHead,
    ) -> Result<RawEntry> {
        let mut e = RawEntry {
            pos: h.pos,
            ino: h.ino,
            ftype: h.ftype,
            name_len: h.name_len,
            name: [0; MAX_NAME],
        };
        self.read(fs, dir, h.pos + HEADER as u64, &mut e.name[..h.name_len])?;
        Ok(e)
    }

    /// Stream offset of the entry after the last one returned.
    pub fn cookie(&self) -> u64 {
        self.pos
    }
}

fn encode(ino: u32, rec_len: u32, ft: FileType, name: &[u8], out: &mut [u8; MAX_ENTRY]) -> usize {
    out[0..4].copy_from_slice(&ino.to_le_bytes());
    out[4..6].copy_from_slice(&(rec_len as u16).to_le_bytes());
    out[6] = name.len() as u8;
    out[7] = ft.dirent_type();
    out[HEADER..HEADER + name.len()].copy_from_slice(name);
    let len = entry_len(name.len()) as usize;
    out[HEADER + name.len()..len].fill(0);
    len
}

impl<D: BlockDevice> FileSystem<D> {
    /// Finds `name` in directory `dir`.
    pub(crate) fn find_entry(&mut self, dir: &Inode, name: &[u8]) -> Result<Option<RawEntry>> {
        let dot = name == b"." || name == b"..";
        let mut w = DirWalker::new(dir, 0);
        while let Some(h) = w.next_head(self, dir)? {
            if (h.ino != 0 || dot) && w.name_is(self, dir, &h, name)? {
                return Ok(Some(w.entry(self, dir, &h)?));
            }
        }
        Ok(None)
    }

    /// Writes a fresh directory's "." and ".." into its first block.
    pub(crate) fn init_dir(&mut self, dir: &mut Inode, ino: u32, parent: u32) -> Result<()> {
        let mut buf = [0u8; 24];
        let mut tmp = [0u8; MAX_ENTRY];
        encode(ino, 12, FileType::Directory, b".", &mut tmp);
        buf[..12].copy_from_slice(&tmp[..12]);
        encode(parent, 12, FileType::Directory, b"..", &mut tmp);
        buf[12..].copy_from_slice(&tmp[..12]);
        let (p, _) = self.bmap_alloc(dir, 0)?;
        self.note_dir_block(p);
        let blk = self.cache.zeroed(&mut self.dev, p)?;
        blk[..24].copy_from_slice(&buf);
        dir.size = 24;
        Ok(())
    }

    /// Adds `name -> ino` to directory `dir` (its inode is updated in
    /// memory; the caller writes it). Fails with `Exists` if the name is
    /// taken. Reuses a deleted slot or the slack after an entry when one
    /// fits in a single block; otherwise appends.
    pub(crate) fn add_entry(
        &mut self,
        dir: &mut Inode,
        name: &[u8],
        ino: u32,
        ft: FileType,
    ) -> Result<()> {
        check_name(name)?;
        self.insert_entry(dir, name, ino, ft)
    }

    /// [`add_entry`](Self::add_entry) without the name check, so fsck can
    /// put back a missing "." or "..".
    pub(crate) fn insert_entry(
        &mut self,
        dir: &mut Inode,
        name: &[u8],
        ino: u32,
        ft: FileType,
    ) -> Result<()> {
        let need = entry_len(name.len());
        // (entry position, bytes the old entry keeps (0: reuse it whole), its rec_len)
        let mut slot: Option<(u64, u32, u32)> = None;
        let mut last: Option<EntryHead> = None;
        let mut w = DirWalker::new(dir, 0);
        while let Some(e) = w.next_head(self, dir)? {
            let fits_block = |pos: u64, len: u32| pos % BS + len as u64 <= BS;
            if w.is_live(self, dir, &e)? {
                if w.name_is(self, dir, &e, name)? {
                    return Err(Error::Exists);
                }
                let used = entry_len(e.name_len);
                let slack = e.rec_len.saturating_sub(used);
                if slot.is_none() && slack >= need && fits_block(e.pos, e.rec_len) {
                    slot = Some((e.pos, used, e.rec_len));
                }
            } else if slot.is_none() && e.rec_len >= need && fits_block(e.pos, e.rec_len) {
                slot = Some((e.pos, 0, e.rec_len));
            }
            last = Some(e);
        }
        let mut buf = [0u8; MAX_ENTRY];
        if let Some((pos, keep, old_len)) = slot {
            if keep != 0 {
                // Split a live entry: it keeps `keep` bytes, the new one the rest.
                self.write_data(dir, pos + 4, &(keep as u16).to_le_bytes())?;
            }
            let len = encode(ino, old_len - keep, ft, name, &mut buf);
            return self.write_data(dir, pos + keep as u64, &buf[..len]);
        }
        // Append at the end of the stream, never across a block boundary.
        let mut pos = (dir.size as u64 + 3) & !3;
        if pos % BS + need as u64 > BS {
            let boundary = (pos / BS + 1) * BS;
            if let Some(l) = last.filter(|l| l.pos / BS == pos.saturating_sub(1) / BS) {
                let padded = (boundary - l.pos) as u32;
                if padded <= u16::MAX as u32 {
                    self.write_data(dir, l.pos + 4, &(padded as u16).to_le_bytes())?;
                }
            }
            pos = boundary;
        }
        if pos / BS >= DIRECT as u64 && !self.opts.allow_large_dirs {
            return Err(Error::DirTooLarge);
        }
        let end = pos + need as u64;
        if end > MAX_DIR_SIZE {
            return Err(Error::DirTooLarge);
        }
        let len = encode(ino, need, ft, name, &mut buf);
        if pos.is_multiple_of(BS) {
            // A new block: make sure no stale bytes follow the entry.
            let (p, fresh) = self.bmap_alloc(dir, (pos / BS) as u32)?;
            self.note_dir_block(p);
            let blk = if fresh {
                self.cache.zeroed(&mut self.dev, p)?
            } else {
                self.cache.modify(&mut self.dev, p)?
            };
            blk.fill(0);
            blk[..len].copy_from_slice(&buf[..len]);
        } else {
            self.write_data(dir, pos, &buf[..len])?;
        }
        dir.size = end as u32;
        Ok(())
    }

    /// Points the entry at `pos` to another inode (rename over a target).
    pub(crate) fn retarget_entry(
        &mut self,
        dir: &mut Inode,
        pos: u64,
        ino: u32,
        ft: FileType,
    ) -> Result<()> {
        self.write_data(dir, pos, &ino.to_le_bytes())?;
        self.write_data(dir, pos + 7, &[ft.dirent_type()])
    }

    /// Marks the entry at `pos` deleted (inode field 0, no compaction).
    pub(crate) fn clear_entry(&mut self, dir: &mut Inode, pos: u64) -> Result<()> {
        if let Some(p) = self.bmap(dir, (pos / BS) as u32)? {
            self.note_dir_removal(p);
        }
        self.write_data(dir, pos, &0u32.to_le_bytes())
    }

    /// Whether a directory holds nothing but "." and "..".
    pub(crate) fn dir_is_empty(&mut self, dir: &Inode) -> Result<bool> {
        let mut w = DirWalker::new(dir, 0);
        while let Some(h) = w.next_head(self, dir)? {
            if h.ino != 0 && !w.is_dot(self, dir, &h)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
