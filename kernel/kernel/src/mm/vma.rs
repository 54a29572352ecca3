//! A process's memory map: regions (VMAs) over an [`AddressSpace`], demand
//! paging of anonymous, private file-backed and shared regions, brk and
//! mmap placement.

use alloc::sync::Arc;
use x86_64::structures::paging::PageTableFlags as F;

use super::paging::{AddressSpace, COW, SHARED};
use super::{frame, page_down, PAGE_SIZE, USER_END};

use veridian_syscall::mman::{PROT_EXEC, PROT_WRITE};

/// Where mmap places regions without a hint (searching upward).
pub const MMAP_BASE: u64 = 0x0000_7000_0000_0000;
/// Top of the main thread's stack.
pub const STACK_TOP: u64 = 0x0000_7FFF_FFFF_F000;
pub const STACK_SIZE: u64 = 8 << 20;

pub use veridian_kcore::vma::Sharing;

/// What is behind a file or shared mapping: a file, or the pages of an
/// anonymous shared mapping ([`super::shared::SharedMemory`]).
pub trait Backing: Send + Sync {
    /// Reads at `off`; returns the bytes read (0 at end of file).
    fn read_at(&self, off: u64, buf: &mut [u8]) -> usize;

    /// A reference (see [`frame::share`]) to a frame holding the page at
    /// `off` (page-aligned, wholly inside the file) that stays the file's:
    /// the caller maps it read-only and copies it on a write. `None` when
    /// the page must be read with [`Self::read_at`].
    fn share_page(&self, _off: u64) -> Option<u64> {
        None
    }

    /// For each `i` with `want[i]`, a reference (as [`Self::share_page`]
    /// gives) in `got[i]` to the page at `off + i` pages if the backing
    /// already holds it in memory; nothing is read.
    fn share_resident_pages(&self, _off: u64, _want: &[bool], _got: &mut [Option<u64>]) {}

    /// A reference to the frame that is the page at `off` (page-aligned,
    /// below the end), for a shared mapping to write into: what is written
    /// there is the backing's. `None` when there is no such page.
    fn lend_page(&self, _off: u64) -> Option<u64> {
        None
    }
}

/// A region of a process (`veridian_kcore::vma::Vma` over a file).
pub type Vma = veridian_kcore::vma::Vma<Arc<dyn Backing>>;
/// A process's regions.
pub type VmaMap = veridian_kcore::vma::VmaMap<Arc<dyn Backing>>;
pub use veridian_kcore::vma::ProtectError;

/// Pages after a file page that a read fault maps too when the file
/// already holds them in memory, saving the faults that would follow
/// (Linux's `fault_around_bytes` is 64 KiB, i.e. 16 pages, likewise).
const FAULT_AROUND_PAGES: usize = 16;

/// What a handled page fault did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Another thread mapped the page first.
    AlreadyMapped,
    /// A shared page was copied for a write.
    CopyOnWrite,
    /// A page was filled from the mapped file.
    File,
    /// A zero page was mapped.
    Anonymous,
}

/// A process's memory.
pub struct Mm {
    pub space: AddressSpace,
    pub vmas: VmaMap,
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

/// Entry flags for a page that is not this process's alone (a file's
/// cached page): never writable; copied on the first write if `prot`
/// allows writing.
fn shared_pte_flags(prot: u32) -> F {
    let f = pte_flags(prot);
    if f.contains(F::WRITABLE) {
        (f - F::WRITABLE) | COW
    } else {
        f
    }
}

impl Mm {
    pub fn new() -> Option<Self> {
        Some(Mm {
            space: AddressSpace::new()?,
            vmas: VmaMap::new(),
            brk_start: 0,
            brk: 0,
        })
    }

    /// The region containing `va`.
    pub fn find(&self, va: u64) -> Option<(u64, &Vma)> {
        self.vmas.find(va)
    }

    /// Removes `[start, end)` from the map, splitting regions and unmapping
    /// pages.
    pub fn remove_range(&mut self, start: u64, end: u64) {
        for (a, b) in self.vmas.remove(start, end) {
            self.space.unmap_range(a, b);
        }
    }

    /// Adds a private, droppable region (replacing whatever was there).
    pub fn insert(
        &mut self,
        start: u64,
        end: u64,
        prot: u32,
        file: Option<(Arc<dyn Backing>, u64)>,
        file_len: u64,
    ) {
        self.insert_vma(
            start,
            Vma {
                end,
                prot,
                file,
                file_len,
                droppable: true,
                sharing: Sharing::Private,
            },
        );
    }

    /// Adds `vma` at `start` (replacing whatever was there).
    pub fn insert_vma(&mut self, start: u64, vma: Vma) {
        for (a, b) in self.vmas.insert(start, vma) {
            self.space.unmap_range(a, b);
        }
    }

    /// Changes protection of `[start, end)`.
    pub fn protect(&mut self, start: u64, end: u64, prot: u32) -> Result<(), ProtectError> {
        let changed = self.vmas.protect(start, end, prot)?;
        for (a, b) in changed {
            self.space.update_range(a, b, |flags| {
                let mut nf = pte_flags(prot);
                if flags.contains(SHARED) {
                    // A shared page stays writable only if it was: the
                    // first write after a read fault goes through
                    // `shared_fault`, which tells the backing.
                    let writable = flags.contains(F::WRITABLE) && prot & PROT_WRITE != 0;
                    nf = (nf - F::WRITABLE) | SHARED;
                    if writable {
                        nf |= F::WRITABLE;
                    }
                } else if prot & PROT_WRITE != 0
                    && (flags.contains(COW) || !flags.contains(F::WRITABLE))
                {
                    // Possibly shared: stay read-only and copy on write (a
                    // private page is simply made writable at the fault).
                    nf = (nf - F::WRITABLE) | COW;
                }
                nf
            });
        }
        Ok(())
    }

    /// A free, page-aligned range of `len` bytes between [`MMAP_BASE`] and
    /// the stack.
    pub fn find_free(&self, len: u64) -> Option<u64> {
        self.vmas.find_free(len, MMAP_BASE, STACK_TOP - STACK_SIZE)
    }

    /// Makes `va` accessible (for a write if `write`): demand-pages it or
    /// breaks copy-on-write; says which. `None` means a genuine fault
    /// (SIGSEGV/EFAULT).
    pub fn handle_fault(&mut self, va: u64, write: bool) -> Option<Fault> {
        if va >= USER_END {
            return None;
        }
        let page = page_down(va);
        let (start, vma) = self.find(va).map(|(s, v)| (s, v.clone()))?;
        if !vma.allows(write) {
            return None;
        }
        if vma.is_shared() {
            return self.shared_fault(page, start, &vma, write);
        }
        if let Some((_, flags)) = self.space.lookup(page) {
            if !write || flags.contains(F::WRITABLE) {
                return Some(Fault::AlreadyMapped);
            }
            return self.space.break_cow(page).then_some(Fault::CopyOnWrite);
        }
        if let Some((file, off)) = &vma.file {
            let rel = page - start;
            if rel + PAGE_SIZE <= vma.file_len {
                if let Some(pa) = file.share_page(off.saturating_add(rel)) {
                    let flags = shared_pte_flags(vma.prot);
                    let mapped = self.space.map_reference(page, pa, flags).is_ok();
                    if mapped && !write {
                        self.map_resident_after(page, start, &vma);
                    }
                    return mapped.then_some(Fault::File);
                }
            }
        }
        let mut fresh = frame::alloc()?;
        let mut kind = Fault::Anonymous;
        if let Some((file, off)) = &vma.file {
            let rel = page - start;
            if rel < vma.file_len {
                let n = (vma.file_len - rel).min(PAGE_SIZE) as usize;
                file.read_at(off.saturating_add(rel), &mut fresh.bytes_mut()[..n]);
                kind = Fault::File;
            }
        }
        self.space
            .map(page, fresh, pte_flags(vma.prot))
            .is_ok()
            .then_some(kind)
    }

    /// Maps, read-only like the page a read fault just mapped at `page`,
    /// up to [`FAULT_AROUND_PAGES`] unmapped pages after it in its private
    /// file region (`start`, `vma`) that the file already holds in memory.
    fn map_resident_after(&mut self, page: u64, start: u64, vma: &Vma) {
        let Some((file, off)) = &vma.file else {
            return;
        };
        let first = page + PAGE_SIZE;
        let whole_file_pages_end = start.saturating_add(page_down(vma.file_len));
        let end = vma
            .end
            .min(whole_file_pages_end)
            .min(first.saturating_add(FAULT_AROUND_PAGES as u64 * PAGE_SIZE));
        if first >= end {
            return;
        }
        let count = ((end - first) / PAGE_SIZE) as usize;
        let mut want = [false; FAULT_AROUND_PAGES];
        for (i, w) in want.iter_mut().enumerate().take(count) {
            *w = self.space.lookup(first + i as u64 * PAGE_SIZE).is_none();
        }
        let mut got = [None; FAULT_AROUND_PAGES];
        file.share_resident_pages(
            off.saturating_add(first - start),
            &want[..count],
            &mut got[..count],
        );
        let flags = shared_pte_flags(vma.prot);
        for (i, pa) in got.iter().enumerate() {
            if let Some(pa) = *pa {
                // A failure (no frame for a page table) releases the
                // reference; the page then simply faults later.
                let _ = self
                    .space
                    .map_reference(first + i as u64 * PAGE_SIZE, pa, flags);
            }
        }
    }

    /// A fault in a shared region: the backing's own page is mapped. A read
    /// maps it read-only (a file's partial last page as a copy); the first
    /// write asks the backing to lend the page for writing, so a file
    /// learns which of its pages the mapping changes.
    fn shared_fault(&mut self, page: u64, start: u64, vma: &Vma, write: bool) -> Option<Fault> {
        let (backing, off) = vma.file.as_ref()?;
        let off = off.saturating_add(page - start);
        let present = self.space.lookup(page);
        if present.is_some_and(|(_, flags)| !write || flags.contains(F::WRITABLE)) {
            return Some(Fault::AlreadyMapped);
        }
        let read_only = (pte_flags(vma.prot) - F::WRITABLE) | SHARED;
        let (pa, flags) = if write {
            (backing.lend_page(off)?, read_only | F::WRITABLE)
        } else if let Some(pa) = backing.share_page(off) {
            (pa, read_only)
        } else {
            let mut copy = frame::alloc()?;
            if backing.read_at(off, copy.bytes_mut()) == 0 {
                // Past the end of the file (Linux: SIGBUS).
                return None;
            }
            return self
                .space
                .map(page, copy, read_only)
                .is_ok()
                .then_some(Fault::File);
        };
        self.space
            .map_reference(page, pa, flags)
            .is_ok()
            .then_some(Fault::File)
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
        self.access(va, buf.len(), false, |space, cur, done, n| {
            space.read_page(cur, &mut buf[done..done + n])
        })
    }

    /// Writes `data` to user memory; `false` on a bad address.
    pub fn write(&mut self, va: u64, data: &[u8]) -> bool {
        self.access(va, data.len(), true, |space, cur, done, n| {
            space.write_page(cur, &data[done..done + n])
        })
    }

    /// Faults in each page of `[va, va + len)` (for a write if `write`) and
    /// calls `f(space, address, offset into the buffer, bytes in this page)`.
    fn access(
        &mut self,
        va: u64,
        len: usize,
        write: bool,
        mut f: impl FnMut(&mut AddressSpace, u64, usize, usize) -> bool,
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
            if self.handle_fault(cur, write).is_none() {
                return false;
            }
            let off = (cur % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(len - done);
            if !f(&mut self.space, cur, done, n) {
                return false;
            }
            done += n;
        }
        true
    }
}
