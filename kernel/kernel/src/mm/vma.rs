//! A process's memory map: regions (VMAs) over an [`AddressSpace`], demand
//! paging of anonymous and private file-backed regions, brk and mmap
//! placement.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use x86_64::structures::paging::PageTableFlags as F;

use super::paging::{AddressSpace, COW};
use super::{frame, page_down, page_up, phys_to_virt, PAGE_SIZE, USER_END};

pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;

/// Where mmap places regions without a hint (searching upward).
pub const MMAP_BASE: u64 = 0x0000_7000_0000_0000;
/// Top of the main thread's stack.
pub const STACK_TOP: u64 = 0x0000_7FFF_FFFF_F000;
pub const STACK_SIZE: u64 = 8 << 20;

/// File contents behind a private mapping.
pub trait Backing: Send + Sync {
    /// Reads at `off`; returns the bytes read (0 at end of file).
    fn read_at(&self, off: u64, buf: &mut [u8]) -> usize;
}

#[derive(Clone)]
pub struct Vma {
    pub end: u64,
    pub prot: u32,
    /// Backing file and the file offset of the region start.
    pub file: Option<(Arc<dyn Backing>, u64)>,
    /// Bytes of the file visible from the region start (rest reads zero).
    pub file_len: u64,
    /// Pages may be dropped (MADV_DONTNEED): they refault as zeros or from
    /// the backing file. Not so for program segments loaded at exec.
    pub droppable: bool,
}

/// A process's memory.
pub struct Mm {
    pub space: AddressSpace,
    pub vmas: BTreeMap<u64, Vma>,
    pub brk_start: u64,
    pub brk: u64,
}

fn pte_flags(prot: u32) -> F {
    let mut f = F::PRESENT | F::USER_ACCESSIBLE;
    if prot & PROT_WRITE != 0 {
        f |= F::WRITABLE;
    }
    if prot & PROT_EXEC == 0 {
        f |= F::NO_EXECUTE;
    }
    f
}

impl Mm {
    pub fn new() -> Option<Self> {
        Some(Mm {
            space: AddressSpace::new()?,
            vmas: BTreeMap::new(),
            brk_start: 0,
            brk: 0,
        })
    }

    /// The region containing `va`.
    pub fn find(&self, va: u64) -> Option<(u64, &Vma)> {
        let (&s, v) = self.vmas.range(..=va).next_back()?;
        if va < v.end {
            Some((s, v))
        } else {
            None
        }
    }

    /// Removes `[start, end)` from the map, splitting regions and unmapping
    /// pages.
    pub fn remove_range(&mut self, start: u64, end: u64) {
        let keys: Vec<u64> = self
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > start)
            .map(|(&s, _)| s)
            .collect();
        for s in keys {
            let v = self.vmas.remove(&s).expect("key collected above");
            if s < start {
                let mut left = v.clone();
                left.end = start;
                left.file_len = left.file_len.min(start - s);
                self.vmas.insert(s, left);
            }
            if v.end > end {
                let mut right = v.clone();
                let shift = end - s;
                right.file = v.file.as_ref().map(|(b, off)| (b.clone(), off + shift));
                right.file_len = v.file_len.saturating_sub(shift);
                self.vmas.insert(end, right);
            }
            let (a, b) = (s.max(start), v.end.min(end));
            self.space.unmap_range(a, b);
        }
    }

    /// Adds a region (replacing whatever was there).
    pub fn insert(
        &mut self,
        start: u64,
        end: u64,
        prot: u32,
        file: Option<(Arc<dyn Backing>, u64)>,
        file_len: u64,
    ) {
        self.remove_range(start, end);
        self.vmas.insert(
            start,
            Vma {
                end,
                prot,
                file,
                file_len,
                droppable: true,
            },
        );
    }

    /// Changes protection of `[start, end)`; `false` if part is unmapped.
    pub fn protect(&mut self, start: u64, end: u64, prot: u32) -> bool {
        let mut va = start;
        while va < end {
            match self.find(va) {
                Some((_, v)) => va = v.end,
                None => return false,
            }
        }
        let keys: Vec<(u64, Vma)> = self
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > start)
            .map(|(&s, v)| (s, v.clone()))
            .collect();
        for (s, v) in keys {
            let (a, b) = (s.max(start), v.end.min(end));
            let file = v.file.as_ref().map(|(f, off)| (f.clone(), off + (a - s)));
            let flen = v.file_len.saturating_sub(a - s).min(b - a);
            // Keep the pages: re-insert metadata without unmapping.
            if s < a {
                let mut left = v.clone();
                left.end = a;
                self.vmas.insert(s, left);
            } else {
                self.vmas.remove(&s);
            }
            if v.end > b {
                let mut right = v.clone();
                right.file = v.file.as_ref().map(|(f, off)| (f.clone(), off + (b - s)));
                right.file_len = v.file_len.saturating_sub(b - s);
                self.vmas.insert(b, right);
            }
            self.vmas.insert(
                a,
                Vma {
                    end: b,
                    prot,
                    file,
                    file_len: flen,
                    droppable: v.droppable,
                },
            );
            self.space.update_range(a, b, |flags| {
                let mut nf = pte_flags(prot);
                if prot & PROT_WRITE != 0 && (flags.contains(COW) || !flags.contains(F::WRITABLE)) {
                    // Possibly shared: stay read-only and copy on write (a
                    // private page is simply made writable at the fault).
                    nf = (nf - F::WRITABLE) | COW;
                }
                nf
            });
        }
        true
    }

    /// A free, page-aligned range of `len` bytes at or above `hint`.
    pub fn find_free(&self, hint: u64, len: u64) -> Option<u64> {
        let mut start = page_up(hint.max(MMAP_BASE));
        loop {
            let end = start.checked_add(len)?;
            if end > STACK_TOP - STACK_SIZE {
                return None;
            }
            match self.vmas.range(..end).next_back() {
                Some((&s, v)) if v.end > start => start = page_up(v.end.max(s)),
                _ => return Some(start),
            }
        }
    }

    /// Makes `va` accessible (for a write if `write`): demand-pages it or
    /// breaks copy-on-write. `false` means a genuine fault (SIGSEGV/EFAULT).
    pub fn handle_fault(&mut self, va: u64, write: bool) -> bool {
        if va >= USER_END {
            return false;
        }
        let page = page_down(va);
        let Some((start, vma)) = self.find(va).map(|(s, v)| (s, v.clone())) else {
            return false;
        };
        if vma.prot == 0 || (write && vma.prot & PROT_WRITE == 0) {
            return false;
        }
        if let Some((_, flags)) = self.space.lookup(page) {
            if !write || flags.contains(F::WRITABLE) {
                return true;
            }
            return self.space.break_cow(page);
        }
        let Some(pa) = frame::alloc() else {
            return false;
        };
        if let Some((file, off)) = &vma.file {
            let rel = page - start;
            if rel < vma.file_len {
                let n = (vma.file_len - rel).min(PAGE_SIZE) as usize;
                // SAFETY: `pa` is a fresh frame reached through the direct map.
                let buf = unsafe { core::slice::from_raw_parts_mut(phys_to_virt(pa), n) };
                file.read_at(off + rel, buf);
            }
        }
        let flags = pte_flags(vma.prot);
        if self.space.map(page, pa, flags).is_err() {
            frame::decref(pa);
            return false;
        }
        true
    }

    /// A copy-on-write duplicate (fork).
    pub fn fork(&mut self) -> Option<Mm> {
        let space = self.space.fork()?;
        Some(Mm {
            space,
            vmas: self.vmas.clone(),
            brk_start: self.brk_start,
            brk: self.brk,
        })
    }

    /// Reads user memory into `buf`; `false` on a bad address.
    pub fn read(&mut self, va: u64, buf: &mut [u8]) -> bool {
        self.access(va, buf.len(), false, |pa, off, chunk_len, done| {
            // SAFETY: `pa` is a mapped user frame, read through the direct map.
            let src = unsafe { core::slice::from_raw_parts(phys_to_virt(pa).add(off), chunk_len) };
            buf[done..done + chunk_len].copy_from_slice(src);
        })
    }

    /// Writes `data` to user memory; `false` on a bad address.
    pub fn write(&mut self, va: u64, data: &[u8]) -> bool {
        self.access(va, data.len(), true, |pa, off, chunk_len, done| {
            // SAFETY: `pa` is a writable private user frame (COW broken).
            let dst =
                unsafe { core::slice::from_raw_parts_mut(phys_to_virt(pa).add(off), chunk_len) };
            dst.copy_from_slice(&data[done..done + chunk_len]);
        })
    }

    fn access(
        &mut self,
        va: u64,
        len: usize,
        write: bool,
        mut f: impl FnMut(u64, usize, usize, usize),
    ) -> bool {
        let Some(end) = va.checked_add(len as u64) else {
            return false;
        };
        if end > USER_END {
            return false;
        }
        let mut done = 0usize;
        while done < len {
            let cur = va + done as u64;
            if !self.handle_fault(cur, write) {
                return false;
            }
            let Some((pa, _)) = self.space.lookup(page_down(cur)) else {
                return false;
            };
            let off = (cur % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(len - done);
            f(pa, off, n, done);
            done += n;
        }
        true
    }
}
