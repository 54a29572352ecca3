//! A process's regions (VMAs): page-aligned, pairwise disjoint address
//! ranges with a protection and an optional file behind them. [`VmaMap`]
//! keeps only the bookkeeping; the operations that drop or change pages
//! return the address ranges whose page-table entries the caller must
//! unmap or re-protect.

use alloc::collections::btree_map::{self, BTreeMap};
use alloc::vec::Vec;
use core::ops::RangeBounds;

use veridian_syscall::mman::PROT_WRITE;

mod holes;
use holes::Holes;

/// How writes to a region reach what is behind it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sharing {
    /// Writes stay in this process (pages are copied on write).
    #[default]
    Private,
    /// Writes reach the backing, and every process mapping it sees them
    /// (`MAP_SHARED`); `writable`: whether the backing may be written
    /// (else `PROT_WRITE` is refused, as for a file opened read-only).
    Shared { writable: bool },
}

/// Why [`VmaMap::protect`] changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtectError {
    /// Part of the range is not mapped (`ENOMEM`).
    Unmapped,
    /// `PROT_WRITE` asked of a shared region whose backing may not be
    /// written (`EACCES`).
    NotWritable,
}

/// One region; its start is its key in the [`VmaMap`]. `B` is what is
/// behind a file or shared mapping (cloned when a region is split).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vma<B> {
    pub end: u64,
    pub prot: u32,
    /// Backing file and the file offset of the region start.
    pub file: Option<(B, u64)>,
    /// Bytes of the file visible from the region start (the rest reads
    /// zero).
    pub file_len: u64,
    /// Pages may be dropped (MADV_DONTNEED): they refault as zeros or from
    /// the backing file. Not so for program segments loaded at exec.
    pub droppable: bool,
    pub sharing: Sharing,
}

impl<B> Vma<B> {
    /// An anonymous, droppable region ending at `end`.
    pub fn anonymous(end: u64, prot: u32) -> Self {
        Vma {
            end,
            prot,
            file: None,
            file_len: 0,
            droppable: true,
            sharing: Sharing::Private,
        }
    }

    /// Whether an access (a write if `write`) is allowed: any access needs
    /// some protection bit, a write needs `PROT_WRITE`.
    pub fn allows(&self, write: bool) -> bool {
        self.prot != 0 && (!write || self.prot & PROT_WRITE != 0)
    }

    /// Whether writes reach the backing (`MAP_SHARED`).
    pub fn is_shared(&self) -> bool {
        matches!(self.sharing, Sharing::Shared { .. })
    }
}

impl<B: Clone> Vma<B> {
    /// The part of this region (which starts at `start`) from `at` on, as
    /// a region of its own: the file offset moves along.
    fn tail(&self, start: u64, at: u64) -> Vma<B> {
        let shift = at - start;
        Vma {
            end: self.end,
            prot: self.prot,
            file: self.file.as_ref().map(|(b, off)| (b.clone(), off + shift)),
            file_len: self.file_len.saturating_sub(shift),
            droppable: self.droppable,
            sharing: self.sharing,
        }
    }
}

/// The regions of one address space, by start address.
#[derive(Clone, Debug)]
pub struct VmaMap<B> {
    map: BTreeMap<u64, Vma<B>>,
    /// The address ranges no region covers.
    holes: Holes,
}

impl<B> Default for VmaMap<B> {
    fn default() -> Self {
        VmaMap {
            map: BTreeMap::new(),
            holes: Holes::default(),
        }
    }
}

impl<B: Clone> VmaMap<B> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of regions.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// All regions as (start, region), in address order.
    pub fn iter(&self) -> btree_map::Iter<'_, u64, Vma<B>> {
        self.map.iter()
    }

    /// The regions whose start lies in `starts`, in address order.
    pub fn range<R: RangeBounds<u64>>(&self, starts: R) -> btree_map::Range<'_, u64, Vma<B>> {
        self.map.range(starts)
    }

    /// The region containing `va`, with its start.
    pub fn find(&self, va: u64) -> Option<(u64, &Vma<B>)> {
        let (&s, v) = self.map.range(..=va).next_back()?;
        (va < v.end).then_some((s, v))
    }

    /// Whether any region intersects `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.map
            .range(..end)
            .next_back()
            .is_some_and(|(_, v)| v.end > start)
    }

    /// Removes `[start, end)`, splitting regions that cross its edges.
    /// Returns the ranges that were covered (to unmap), in address order.
    pub fn remove(&mut self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let keys: Vec<u64> = self
            .map
            .range(..end)
            .filter(|(_, v)| v.end > start)
            .map(|(&s, _)| s)
            .collect();
        let mut removed = Vec::with_capacity(keys.len());
        for s in keys {
            let Some(v) = self.map.remove(&s) else {
                continue;
            };
            if s < start {
                let mut left = v.clone();
                left.end = start;
                left.file_len = left.file_len.min(start - s);
                self.map.insert(s, left);
            }
            if v.end > end {
                self.map.insert(end, v.tail(s, end));
            }
            removed.push((s.max(start), v.end.min(end)));
        }
        self.holes.release(start, end);
        removed
    }

    /// Adds `vma` at `start`, replacing whatever was in `[start, vma.end)`.
    /// Returns the ranges that were covered before (to unmap).
    pub fn insert(&mut self, start: u64, vma: Vma<B>) -> Vec<(u64, u64)> {
        let removed = self.remove(start, vma.end);
        self.holes.occupy(start, vma.end);
        self.map.insert(start, vma);
        removed
    }

    /// Gives `[start, end)` the protection `prot`, splitting regions at its
    /// edges; an error (and nothing changed) if part of the range is in no
    /// region or write access is asked of a read-only shared one. Returns
    /// the re-protected ranges, in address order.
    pub fn protect(
        &mut self,
        start: u64,
        end: u64,
        prot: u32,
    ) -> Result<Vec<(u64, u64)>, ProtectError> {
        let mut va = start;
        while va < end {
            let vma = self.find(va).ok_or(ProtectError::Unmapped)?.1;
            if prot & PROT_WRITE != 0 && vma.sharing == (Sharing::Shared { writable: false }) {
                return Err(ProtectError::NotWritable);
            }
            va = vma.end;
        }
        let pieces: Vec<(u64, Vma<B>)> = self
            .map
            .range(..end)
            .filter(|(_, v)| v.end > start)
            .map(|(&s, v)| (s, v.clone()))
            .collect();
        let mut changed = Vec::with_capacity(pieces.len());
        for (s, v) in pieces {
            let (a, b) = (s.max(start), v.end.min(end));
            if s < a {
                let mut left = v.clone();
                left.end = a;
                self.map.insert(s, left);
            } else {
                self.map.remove(&s);
            }
            if v.end > b {
                self.map.insert(b, v.tail(s, b));
            }
            let mut mid = v.tail(s, a);
            mid.end = b;
            mid.file_len = mid.file_len.min(b - a);
            mid.prot = prot;
            self.map.insert(a, mid);
            changed.push((a, b));
        }
        Ok(changed)
    }

    /// Moves the end of the region starting at `start` up to `new_end`;
    /// `false` (nothing changed) if no region starts there, `new_end` is
    /// not above its end, or `[end, new_end)` is not free.
    pub fn extend(&mut self, start: u64, new_end: u64) -> bool {
        let Some(end) = self.map.get(&start).map(|v| v.end) else {
            return false;
        };
        if new_end <= end || self.overlaps(end, new_end) {
            return false;
        }
        if let Some(v) = self.map.get_mut(&start) {
            v.end = new_end;
        }
        self.holes.occupy(end, new_end);
        true
    }

    /// A page-aligned free range of `len` bytes starting at or above
    /// `floor` and ending at or below `ceiling`: in the shortest gap
    /// between regions that holds it, so the cost does not grow with the
    /// number of regions.
    pub fn find_free(&self, len: u64, floor: u64, ceiling: u64) -> Option<u64> {
        self.holes.best_fit(len, floor, ceiling)
    }

    /// Records a program segment covering the pages `[start, stop)`
    /// (segments come in address order), backed by `file` whose offset is
    /// that of `start` and of which `file_len` bytes from `start` are
    /// visible (the rest reads zero). A page it shares with the segment
    /// before stays in that region, which also gets `prot`; the rest
    /// becomes a region of its own that is not droppable.
    pub fn add_segment(
        &mut self,
        start: u64,
        stop: u64,
        prot: u32,
        file: Option<(B, u64)>,
        file_len: u64,
    ) {
        let last_end = self.map.values().map(|v| v.end).max().unwrap_or(0);
        let vstart = start.max(last_end);
        if let Some((_, prev)) = self.map.range_mut(..vstart).next_back() {
            if prev.end > start {
                prev.prot |= prot;
            }
        }
        if vstart < stop {
            self.holes.occupy(vstart, stop);
            let skip = vstart - start;
            let file_len = file_len.saturating_sub(skip);
            let file = file
                .filter(|_| file_len > 0)
                .map(|(f, off)| (f, off.saturating_add(skip)));
            self.map.insert(
                vstart,
                Vma {
                    end: stop,
                    prot,
                    file_len: if file.is_some() { file_len } else { 0 },
                    file,
                    droppable: false,
                    sharing: Sharing::Private,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests;
