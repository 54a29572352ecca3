//! `linux_dirent64` records, as `getdents64` returns them.

use crate::stat::FileKind;

/// One directory entry as a file system lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    pub kind: FileKind,
    pub name: alloc::vec::Vec<u8>,
}

/// Offset of `d_name` in `linux_dirent64` (after d_ino, d_off, d_reclen,
/// d_type).
pub const DIRENT_NAME_OFFSET: usize = 19;

/// Record length for a name of `len` bytes: header, name, NUL, padded to 8.
pub const fn record_len(len: usize) -> usize {
    (DIRENT_NAME_OFFSET + len + 1 + 7) & !7
}

/// Writes one record for `e` at the start of `buf`; `next` is the cookie
/// (`d_off`) that resumes after it. Returns the record length, or `None`
/// when `buf` is too small.
pub fn encode(buf: &mut [u8], e: &DirEntry, next: u64) -> Option<usize> {
    let len = record_len(e.name.len());
    let rec = buf.get_mut(..len)?;
    rec.fill(0);
    rec[0..8].copy_from_slice(&e.ino.to_le_bytes());
    rec[8..16].copy_from_slice(&next.to_le_bytes());
    rec[16..18].copy_from_slice(&(len as u16).to_le_bytes());
    rec[18] = e.kind.dirent_type();
    rec[DIRENT_NAME_OFFSET..DIRENT_NAME_OFFSET + e.name.len()].copy_from_slice(&e.name);
    Some(len)
}
