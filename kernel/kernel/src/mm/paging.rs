//! 4-level page tables. Every address space shares the kernel half (PML4
//! entries 256..511) with the boot tables; the user half is private, with
//! copy-on-write sharing after fork (read-only + [`COW`] bit).

use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::{PageTableFlags as F, PhysFrame};
use x86_64::PhysAddr;

use super::{frame, phys_to_virt, PAGE_SIZE, USER_END};

/// Software bit marking a read-only page that is writable after a copy.
pub const COW: F = F::BIT_9;
const ADDR_MASK: u64 = 0x000F_FFFF_FFFF_F000;

extern "C" {
    static boot_pml4: u8;
}

/// Physical address of the kernel's own PML4 (the boot tables).
pub fn kernel_pml4() -> u64 {
    // Only the symbol's address is taken; .boot is identity-linked.
    core::ptr::addr_of!(boot_pml4) as u64
}

fn table(pa: u64) -> &'static mut [u64; 512] {
    // SAFETY: `pa` is a page-table frame owned by an address space (or the
    // boot tables); the kernel is single-CPU and non-preemptive, so no other
    // reference is live while this one is used.
    unsafe { &mut *(phys_to_virt(pa) as *mut [u64; 512]) }
}

/// Maps physical memory from the boot direct map's end up to `end`
/// (rounded up to 1 GiB, at most [`super::DIRECT_MAP_MAX`]) at
/// [`super::PHYS_OFFSET`], with 2 MiB pages, no-execute. Every address
/// space sees it: the new page directories hang off the kernel half's
/// shared PDPT. Stops early if no frame is left for a page directory.
pub fn extend_direct_map(end: u64) {
    const GIB: u64 = 1 << 30;
    let pdpt = table(table(kernel_pml4())[256] & ADDR_MASK);
    let last = end.min(super::DIRECT_MAP_MAX).div_ceil(GIB);
    let mut mapped = super::BOOT_DIRECT_MAP / GIB;
    for gib in mapped..last {
        if pdpt[gib as usize] & F::PRESENT.bits() == 0 {
            let Some(pd) = frame::alloc() else { break };
            let entries = table(pd);
            for (i, e) in entries.iter_mut().enumerate() {
                let pa = gib * GIB + (i as u64) * (2 << 20);
                *e = pa | (F::PRESENT | F::WRITABLE | F::HUGE_PAGE | F::NO_EXECUTE).bits();
            }
            pdpt[gib as usize] = pd | (F::PRESENT | F::WRITABLE).bits();
        }
        mapped = gib + 1;
    }
    flush_all();
    super::set_direct_map_end(mapped * GIB);
}

/// Removes the boot identity map of the low 4 GiB.
pub fn drop_identity_map() {
    table(kernel_pml4())[0] = 0;
    flush_all();
}

/// Reloads CR3 (flushes non-global TLB entries).
pub fn flush_all() {
    let (f, fl) = Cr3::read();
    // SAFETY: reloading the same root keeps every mapping.
    unsafe { Cr3::write(f, fl) };
}

fn invlpg(va: u64) {
    x86_64::instructions::tlb::flush(x86_64::VirtAddr::new_truncate(va));
}

/// Switches to the page tables rooted at `pml4`.
pub fn activate(pml4: u64) {
    let (cur, _) = Cr3::read();
    if cur.start_address().as_u64() != pml4 {
        // SAFETY: `pml4` is a valid root whose kernel half equals the boot
        // tables', so the running kernel stays mapped.
        unsafe {
            Cr3::write(
                PhysFrame::containing_address(PhysAddr::new(pml4)),
                Cr3Flags::empty(),
            )
        };
    }
}

fn current_root() -> u64 {
    Cr3::read().0.start_address().as_u64()
}

/// A user address space.
pub struct AddressSpace {
    pml4: u64,
}

impl AddressSpace {
    /// An empty user half sharing the kernel half.
    pub fn new() -> Option<Self> {
        let pml4 = frame::alloc()?;
        let k = table(kernel_pml4());
        let t = table(pml4);
        t[256..].copy_from_slice(&k[256..]);
        Some(AddressSpace { pml4 })
    }

    pub fn activate(&self) {
        activate(self.pml4);
    }

    fn is_current(&self) -> bool {
        current_root() == self.pml4
    }

    /// The leaf entry for `va`, creating intermediate tables if `create`.
    fn leaf(&mut self, va: u64, create: bool) -> Option<&'static mut u64> {
        if va >= USER_END {
            return None;
        }
        let mut t = table(self.pml4);
        for level in (1..4).rev() {
            let idx = ((va >> (12 + 9 * level)) & 511) as usize;
            if t[idx] & F::PRESENT.bits() == 0 {
                if !create {
                    return None;
                }
                let f = frame::alloc()?;
                t[idx] = f | (F::PRESENT | F::WRITABLE | F::USER_ACCESSIBLE).bits();
            }
            t = table(t[idx] & ADDR_MASK);
        }
        Some(&mut t[((va >> 12) & 511) as usize])
    }

    /// Maps the page at `va` to `pa` (taking over one reference to `pa`);
    /// a previous mapping is released. `Err` when no frame was left for a
    /// page table.
    pub fn map(&mut self, va: u64, pa: u64, flags: F) -> Result<(), ()> {
        let cur = self.is_current();
        let e = self.leaf(va, true).ok_or(())?;
        let old = *e;
        *e = (pa & ADDR_MASK) | (flags | F::PRESENT).bits();
        if old & F::PRESENT.bits() != 0 {
            frame::decref(old & ADDR_MASK);
            if cur {
                invlpg(va);
            }
        }
        Ok(())
    }

    /// The frame and flags mapped at `va`.
    pub fn lookup(&mut self, va: u64) -> Option<(u64, F)> {
        let e = *self.leaf(va, false)?;
        if e & F::PRESENT.bits() == 0 {
            return None;
        }
        Some((e & ADDR_MASK, F::from_bits_truncate(e)))
    }

    /// Replaces the flags of a mapped page.
    pub fn set_flags(&mut self, va: u64, flags: F) {
        let cur = self.is_current();
        if let Some(e) = self.leaf(va, false) {
            if *e & F::PRESENT.bits() != 0 {
                *e = (*e & ADDR_MASK) | (flags | F::PRESENT).bits();
                if cur {
                    invlpg(va);
                }
            }
        }
    }

    /// Resolves a write to a copy-on-write page: `true` if `va` is now
    /// writable.
    pub fn break_cow(&mut self, va: u64) -> bool {
        let Some((pa, flags)) = self.lookup(va) else {
            return false;
        };
        if !flags.contains(COW) {
            return false;
        }
        let new_flags = (flags - COW) | F::WRITABLE;
        if frame::refcount(pa) == 1 {
            self.set_flags(va, new_flags);
            return true;
        }
        let Some(copy) = frame::alloc() else {
            return false;
        };
        // SAFETY: both frames are mapped by the direct map; `copy` is fresh.
        unsafe {
            core::ptr::copy_nonoverlapping(phys_to_virt(pa), phys_to_virt(copy), PAGE_SIZE as usize)
        };
        self.map(va, copy, new_flags).is_ok()
    }

    /// Visits every mapped user page as (va, leaf entry).
    fn for_each_leaf(&mut self, mut f: impl FnMut(u64, &mut u64)) {
        let l4 = table(self.pml4);
        for i4 in 0..256 {
            if l4[i4] & 1 == 0 {
                continue;
            }
            let l3 = table(l4[i4] & ADDR_MASK);
            for i3 in 0..512 {
                if l3[i3] & 1 == 0 {
                    continue;
                }
                let l2 = table(l3[i3] & ADDR_MASK);
                for i2 in 0..512 {
                    if l2[i2] & 1 == 0 {
                        continue;
                    }
                    let l1 = table(l2[i2] & ADDR_MASK);
                    for i1 in 0..512 {
                        if l1[i1] & 1 != 0 {
                            let va = ((i4 as u64) << 39)
                                | ((i3 as u64) << 30)
                                | ((i2 as u64) << 21)
                                | ((i1 as u64) << 12);
                            f(va, &mut l1[i1]);
                        }
                    }
                }
            }
        }
    }

    /// Visits the mapped pages in `[start, end)` as (va, leaf entry),
    /// skipping unpopulated tables, so huge sparse ranges cost little.
    fn for_each_leaf_in(&mut self, start: u64, end: u64, mut f: impl FnMut(u64, &mut u64)) {
        let end = end.min(USER_END);
        let mut va = start & !(PAGE_SIZE - 1);
        while va < end {
            let mut t = table(self.pml4);
            let mut skipped = false;
            for level in (1..4).rev() {
                let shift = 12 + 9 * level;
                let e = t[((va >> shift) & 511) as usize];
                if e & F::PRESENT.bits() == 0 {
                    va = ((va >> shift) + 1) << shift;
                    skipped = true;
                    break;
                }
                t = table(e & ADDR_MASK);
            }
            if skipped {
                continue;
            }
            let leaf = &mut t[((va >> 12) & 511) as usize];
            if *leaf & F::PRESENT.bits() != 0 {
                f(va, leaf);
            }
            va += PAGE_SIZE;
        }
    }

    /// Unmaps every page in `[start, end)`.
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        let mut n = 0u64;
        self.for_each_leaf_in(start, end, |_, e| {
            frame::decref(*e & ADDR_MASK);
            *e = 0;
            n += 1;
        });
        if n > 0 && self.is_current() {
            flush_all();
        }
    }

    /// Moves the pages of `[from, from + len)` to start at `to` (mremap).
    /// `Err` when a page table could not be allocated (pages not yet moved
    /// stay where they were).
    pub fn move_range(&mut self, from: u64, to: u64, len: u64) -> Result<(), ()> {
        let mut pages = alloc::vec::Vec::new();
        self.for_each_leaf_in(from, from + len, |va, e| pages.push((va, *e)));
        for (va, e) in pages {
            let dst = to + (va - from);
            // Take the reference over: clear the old entry without a decref.
            self.leaf(dst, true).ok_or(())?;
            if let Some(old) = self.leaf(va, false) {
                *old = 0;
            }
            let leaf = self.leaf(dst, true).ok_or(())?;
            if *leaf & F::PRESENT.bits() != 0 {
                frame::decref(*leaf & ADDR_MASK);
            }
            *leaf = e;
        }
        if self.is_current() {
            flush_all();
        }
        Ok(())
    }

    /// Rewrites the flags of every mapped page in `[start, end)` with `f`.
    pub fn update_range(&mut self, start: u64, end: u64, mut upd: impl FnMut(F) -> F) {
        self.for_each_leaf_in(start, end, |_, e| {
            let flags = upd(F::from_bits_truncate(*e));
            *e = (*e & ADDR_MASK) | (flags | F::PRESENT).bits();
        });
        if self.is_current() {
            flush_all();
        }
    }

    /// A copy-on-write clone (fork). `None` when out of frames.
    pub fn fork(&mut self) -> Option<AddressSpace> {
        let mut child = AddressSpace::new()?;
        let mut ok = true;
        let mut pairs = alloc::vec::Vec::new();
        self.for_each_leaf(|va, e| {
            let mut flags = F::from_bits_truncate(*e);
            if flags.contains(F::WRITABLE) {
                flags = (flags - F::WRITABLE) | COW;
                *e = (*e & ADDR_MASK) | flags.bits();
            }
            pairs.push((va, *e));
        });
        for (va, e) in pairs {
            frame::incref(e & ADDR_MASK);
            if child
                .map(va, e & ADDR_MASK, F::from_bits_truncate(e))
                .is_err()
            {
                frame::decref(e & ADDR_MASK);
                ok = false;
                break;
            }
        }
        if self.is_current() {
            flush_all();
        }
        if ok {
            Some(child)
        } else {
            None
        }
    }

    /// Unmaps every user page and frees the user page tables.
    pub fn clear_user(&mut self) {
        self.for_each_leaf(|_, e| {
            frame::decref(*e & ADDR_MASK);
            *e = 0;
        });
        let l4 = table(self.pml4);
        for i4 in 0..256 {
            if l4[i4] & 1 == 0 {
                continue;
            }
            let l3 = table(l4[i4] & ADDR_MASK);
            for i3 in 0..512 {
                if l3[i3] & 1 == 0 {
                    continue;
                }
                let l2 = table(l3[i3] & ADDR_MASK);
                for i2 in 0..512 {
                    if l2[i2] & 1 != 0 {
                        frame::decref(l2[i2] & ADDR_MASK);
                    }
                }
                frame::decref(l3[i3] & ADDR_MASK);
            }
            frame::decref(l4[i4] & ADDR_MASK);
            l4[i4] = 0;
        }
        if self.is_current() {
            flush_all();
        }
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        if self.is_current() {
            activate(kernel_pml4());
        }
        self.clear_user();
        frame::decref(self.pml4);
    }
}
