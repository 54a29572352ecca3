//! 4-level page tables. Every address space shares the kernel half (PML4
//! entries 256..511) with the boot tables; the user half is private, with
//! copy-on-write sharing after fork (read-only + [`COW`] bit).

use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::{PageTableFlags as F, PhysFrame};
use x86_64::PhysAddr;

use super::frame::{self, Frame};
use super::{phys_to_virt, PAGE_SIZE, USER_END};

/// Software bit marking a read-only page that is writable after a copy.
pub const COW: F = F::BIT_9;
/// Software bit marking a page of a shared mapping (`MAP_SHARED`): it stays
/// the same page in a forked child instead of becoming copy-on-write.
pub const SHARED: F = F::BIT_10;
const ADDR_MASK: u64 = 0x000F_FFFF_FFFF_F000;

extern "C" {
    static boot_pml4: u8;
}

/// Physical address of the kernel's own PML4 (the boot tables).
pub fn kernel_pml4() -> u64 {
    // Only the symbol's address is taken; .boot is identity-linked.
    core::ptr::addr_of!(boot_pml4) as u64
}

fn kernel_root() -> Table {
    Table(kernel_pml4())
}

/// A fresh zeroed frame as a page table (the reference is the table's).
fn new_table() -> Option<Table> {
    frame::alloc().map(|f| Table(f.into_raw()))
}

/// A page-table page: the boot tables, or a frame this module allocated
/// as a table. Entries are read and written one at a time through raw
/// pointers, so no Rust reference to a table ever exists and two handles
/// to the same table cannot alias. Only this module makes one.
#[derive(Clone, Copy)]
struct Table(u64);

impl Table {
    fn get(self, i: usize) -> u64 {
        assert!(i < 512);
        // SAFETY: `self.0` is a page-table page in the direct map (the
        // type's invariant) and `i` is in it; page tables are only accessed
        // through `Table`, one access at a time under the big kernel lock (`crate::smp`).
        unsafe { (phys_to_virt(self.0) as *const u64).add(i).read_volatile() }
    }

    fn set(self, i: usize, v: u64) {
        assert!(i < 512);
        // SAFETY: as in `get`.
        unsafe { (phys_to_virt(self.0) as *mut u64).add(i).write_volatile(v) }
    }

    /// The table an entry of this one points to (a present non-leaf entry
    /// of a table this module built).
    fn next(self, i: usize) -> Table {
        Table(self.get(i) & ADDR_MASK)
    }
}

/// A leaf entry: table and index.
#[derive(Clone, Copy)]
struct Leaf(Table, usize);

impl Leaf {
    fn get(self) -> u64 {
        self.0.get(self.1)
    }

    fn set(self, v: u64) {
        self.0.set(self.1, v)
    }
}

/// Maps physical memory from the boot direct map's end up to `end`
/// (rounded up to 1 GiB, at most [`super::DIRECT_MAP_MAX`]) at
/// [`super::PHYS_OFFSET`], with 2 MiB pages, no-execute. Every address
/// space sees it: the new page directories hang off the kernel half's
/// shared PDPT. Stops early if no frame is left for a page directory.
pub fn extend_direct_map(end: u64) {
    const GIB: u64 = 1 << 30;
    let pdpt = kernel_root().next(256);
    let last = end.min(super::DIRECT_MAP_MAX).div_ceil(GIB);
    let first = super::BOOT_DIRECT_MAP / GIB;
    let mut mapped = first;
    for gib in first..last {
        if pdpt.get(gib as usize) & F::PRESENT.bits() == 0 {
            let Some(pd) = new_table() else { break };
            for i in 0..512 {
                let pa = gib * GIB + (i as u64) * (2 << 20);
                pd.set(
                    i,
                    pa | (F::PRESENT | F::WRITABLE | F::HUGE_PAGE | F::NO_EXECUTE).bits(),
                );
            }
            pdpt.set(gib as usize, pd.0 | (F::PRESENT | F::WRITABLE).bits());
        }
        mapped = gib + 1;
    }
    flush_all();
    super::set_direct_map_end(mapped * GIB);
}

/// Maps device registers `[pa, pa + len)` that lie above the direct map at
/// their direct-map address ([`super::PHYS_OFFSET`] + `pa`), uncached, with
/// 2 MiB pages, no-execute (firmware such as OVMF puts 64-bit PCI BARs far
/// above RAM). Only before the first [`AddressSpace`] exists: page-map
/// level-4 entries added here are copied into address spaces made later.
/// False when `pa` is beyond the kernel half's free level-4 entries or no
/// frame is left for a table.
pub fn map_mmio(pa: u64, len: u64) -> bool {
    const TWO_MIB: u64 = 2 << 20;
    let leaf_flags =
        F::PRESENT | F::WRITABLE | F::HUGE_PAGE | F::NO_EXECUTE | F::NO_CACHE | F::WRITE_THROUGH;
    let table_flags = (F::PRESENT | F::WRITABLE).bits();
    let root = kernel_root();
    let mut at = pa & !(TWO_MIB - 1);
    while at < pa + len {
        let i4 = 256 + (at >> 39) as usize;
        // Entry 511 maps the kernel image.
        if i4 >= 511 {
            return false;
        }
        let child = |table: Table, i: usize| -> Option<Table> {
            if table.get(i) & F::PRESENT.bits() == 0 {
                let t = new_table()?;
                table.set(i, t.0 | table_flags);
            }
            Some(table.next(i))
        };
        let Some(pdpt) = child(root, i4) else {
            return false;
        };
        let i3 = ((at >> 30) & 511) as usize;
        if pdpt.get(i3) & F::HUGE_PAGE.bits() != 0 {
            at += 1 << 30;
            continue;
        }
        let Some(pd) = child(pdpt, i3) else {
            return false;
        };
        let i2 = ((at >> 21) & 511) as usize;
        if pd.get(i2) & F::PRESENT.bits() == 0 {
            pd.set(i2, at | leaf_flags.bits());
        }
        at += TWO_MIB;
    }
    flush_all();
    true
}

/// Removes the boot identity map of the low 4 GiB.
pub fn drop_identity_map() {
    kernel_root().set(0, 0);
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

/// Loads the kernel's own tables on this CPU (an idle CPU keeps no user
/// address space loaded, so none is freed under it).
pub fn activate_kernel() {
    activate(kernel_pml4());
}

/// Switches this CPU to the page tables rooted at `pml4`.
fn activate(pml4: u64) {
    crate::smp::set_active_root(pml4);
    let (cur, _) = Cr3::read();
    if cur.start_address().as_u64() != pml4 {
        // SAFETY: `pml4` is the kernel's root or an `AddressSpace`'s, whose
        // kernel half equals the boot tables', so the kernel stays mapped.
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

/// Releases one reference to the frame of a leaf or table entry.
fn release(entry: u64) {
    // SAFETY: every present entry of a user address space holds one
    // reference to its frame (taken in `map`, `fork` or `new_table`), and
    // the caller clears or replaces the entry, giving that reference up.
    unsafe { frame::decref(entry & ADDR_MASK) };
}

/// A user address space.
pub struct AddressSpace {
    pml4: Table,
}

impl AddressSpace {
    /// An empty user half sharing the kernel half.
    pub fn new() -> Option<Self> {
        let t = new_table()?;
        let k = kernel_root();
        for i in 256..512 {
            t.set(i, k.get(i));
        }
        Some(AddressSpace { pml4: t })
    }

    pub fn activate(&self) {
        activate(self.pml4.0);
    }

    fn is_current(&self) -> bool {
        current_root() == self.pml4.0
    }

    /// After a change to the entry of `va`: drops its stale translation
    /// from every CPU that has this space loaded.
    fn flush_page(&self, va: u64) {
        if self.is_current() {
            invlpg(va);
        }
        crate::smp::flush_others(self.pml4.0);
    }

    /// After changes to entries in `[start, end)`: flushes every CPU that
    /// has this space loaded; this CPU drops only those pages when they are
    /// few (a full flush empties the whole TLB, and under emulation the
    /// translation cache with it).
    fn flush_range(&self, start: u64, end: u64) {
        const FEW_PAGES: u64 = 32;
        if self.is_current() && end.saturating_sub(start) <= FEW_PAGES * PAGE_SIZE {
            let mut va = start & !(PAGE_SIZE - 1);
            while va < end {
                invlpg(va);
                va += PAGE_SIZE;
            }
            crate::smp::flush_others(self.pml4.0);
        } else {
            self.flush();
        }
    }

    /// After changes to many entries: flushes every CPU that has this
    /// space loaded.
    fn flush(&self) {
        if self.is_current() {
            flush_all();
        }
        crate::smp::flush_others(self.pml4.0);
    }

    /// The leaf entry for `va`, creating intermediate tables if `create`.
    fn leaf(&mut self, va: u64, create: bool) -> Option<Leaf> {
        if va >= USER_END {
            return None;
        }
        let mut t = self.pml4;
        for level in (1..4).rev() {
            let idx = ((va >> (12 + 9 * level)) & 511) as usize;
            if t.get(idx) & F::PRESENT.bits() == 0 {
                if !create {
                    return None;
                }
                let n = new_table()?;
                t.set(
                    idx,
                    n.0 | (F::PRESENT | F::WRITABLE | F::USER_ACCESSIBLE).bits(),
                );
            }
            t = t.next(idx);
        }
        Some(Leaf(t, ((va >> 12) & 511) as usize))
    }

    /// Maps the page at `va` to `frame` (which the mapping then owns); a
    /// previous mapping is released. `Err` (and the frame freed) when no
    /// frame was left for a page table.
    pub fn map(&mut self, va: u64, frame: Frame, flags: F) -> Result<(), ()> {
        self.map_raw(va, frame.into_raw(), flags)
    }

    /// Maps `va` to the frame at `pa`, taking over one reference to it
    /// that the caller holds (e.g. from `frame::share`).
    pub fn map_reference(&mut self, va: u64, pa: u64, flags: F) -> Result<(), ()> {
        self.map_raw(va, pa, flags)
    }

    /// [`Self::map`] with a frame reference the caller gives up.
    fn map_raw(&mut self, va: u64, pa: u64, flags: F) -> Result<(), ()> {
        let Some(e) = self.leaf(va, true) else {
            release(pa);
            return Err(());
        };
        let old = e.get();
        e.set((pa & ADDR_MASK) | (flags | F::PRESENT).bits());
        if old & F::PRESENT.bits() != 0 {
            release(old);
            self.flush_page(va);
        }
        Ok(())
    }

    /// The frame and flags mapped at `va`.
    pub fn lookup(&mut self, va: u64) -> Option<(u64, F)> {
        let e = self.leaf(va, false)?.get();
        if e & F::PRESENT.bits() == 0 {
            return None;
        }
        Some((e & ADDR_MASK, F::from_bits_truncate(e)))
    }

    /// Copies bytes of the mapped user page holding `va` (from `va` on, not
    /// past the page) into `buf`; `false` if the page is not mapped.
    pub fn read_page(&mut self, va: u64, buf: &mut [u8]) -> bool {
        let off = (va % PAGE_SIZE) as usize;
        assert!(
            off + buf.len() <= PAGE_SIZE as usize,
            "read crosses the page"
        );
        let Some((pa, _)) = self.lookup(va - off as u64) else {
            return false;
        };
        // SAFETY: `pa` is a user data frame (only frames given to `map`, or
        // copies of them, are leaves of the user half), reached through the
        // direct map; the kernel keeps no reference into user frames.
        unsafe {
            core::ptr::copy_nonoverlapping(phys_to_virt(pa).add(off), buf.as_mut_ptr(), buf.len())
        };
        true
    }

    /// Copies `data` into the mapped, writable user page holding `va` (from
    /// `va` on, not past the page); `false` if it is not mapped writable.
    pub fn write_page(&mut self, va: u64, data: &[u8]) -> bool {
        let off = (va % PAGE_SIZE) as usize;
        assert!(
            off + data.len() <= PAGE_SIZE as usize,
            "write crosses the page"
        );
        match self.lookup(va - off as u64) {
            Some((pa, flags)) if flags.contains(F::WRITABLE) => {
                // SAFETY: as in `read_page`; a writable user page is not
                // shared copy-on-write with another address space.
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        data.as_ptr(),
                        phys_to_virt(pa).add(off),
                        data.len(),
                    )
                };
                true
            }
            _ => false,
        }
    }

    /// Replaces the flags of a mapped page.
    pub fn set_flags(&mut self, va: u64, flags: F) {
        if let Some(e) = self.leaf(va, false) {
            let v = e.get();
            if v & F::PRESENT.bits() != 0 {
                e.set((v & ADDR_MASK) | (flags | F::PRESENT).bits());
                self.flush_page(va);
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
        let Some(mut copy) = frame::alloc() else {
            return false;
        };
        if !self.read_page(va & !(PAGE_SIZE - 1), copy.bytes_mut()) {
            return false;
        }
        self.map(va, copy, new_flags).is_ok()
    }

    /// Visits every mapped user page as (va, leaf entry); the entry is
    /// written back if `f` changed it.
    fn for_each_leaf(&mut self, mut f: impl FnMut(u64, &mut u64)) {
        let l4 = self.pml4;
        for i4 in 0..256 {
            if l4.get(i4) & 1 == 0 {
                continue;
            }
            let l3 = l4.next(i4);
            for i3 in 0..512 {
                if l3.get(i3) & 1 == 0 {
                    continue;
                }
                let l2 = l3.next(i3);
                for i2 in 0..512 {
                    if l2.get(i2) & 1 == 0 {
                        continue;
                    }
                    let l1 = l2.next(i2);
                    for i1 in 0..512 {
                        let e = l1.get(i1);
                        if e & 1 != 0 {
                            let va = ((i4 as u64) << 39)
                                | ((i3 as u64) << 30)
                                | ((i2 as u64) << 21)
                                | ((i1 as u64) << 12);
                            let mut n = e;
                            f(va, &mut n);
                            if n != e {
                                l1.set(i1, n);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Visits the mapped pages in `[start, end)` as (va, leaf entry),
    /// skipping unpopulated tables, so huge sparse ranges cost little; the
    /// entry is written back if `f` changed it.
    fn for_each_leaf_in(&mut self, start: u64, end: u64, mut f: impl FnMut(u64, &mut u64)) {
        let end = end.min(USER_END);
        let mut va = start & !(PAGE_SIZE - 1);
        while va < end {
            let mut t = self.pml4;
            let mut skipped = false;
            for level in (1..4).rev() {
                let shift = 12 + 9 * level;
                let idx = ((va >> shift) & 511) as usize;
                if t.get(idx) & F::PRESENT.bits() == 0 {
                    va = ((va >> shift) + 1) << shift;
                    skipped = true;
                    break;
                }
                t = t.next(idx);
            }
            if skipped {
                continue;
            }
            let leaf = Leaf(t, ((va >> 12) & 511) as usize);
            let e = leaf.get();
            if e & F::PRESENT.bits() != 0 {
                let mut n = e;
                f(va, &mut n);
                if n != e {
                    leaf.set(n);
                }
            }
            va += PAGE_SIZE;
        }
    }

    /// Unmaps every page in `[start, end)`.
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        let mut n = 0u64;
        self.for_each_leaf_in(start, end, |_, e| {
            release(*e);
            *e = 0;
            n += 1;
        });
        if n > 0 {
            self.flush_range(start, end);
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
            // Take the reference over: clear the old entry without a release.
            self.leaf(dst, true).ok_or(())?;
            if let Some(old) = self.leaf(va, false) {
                old.set(0);
            }
            let leaf = self.leaf(dst, true).ok_or(())?;
            if leaf.get() & F::PRESENT.bits() != 0 {
                release(leaf.get());
            }
            leaf.set(e);
        }
        self.flush();
        Ok(())
    }

    /// Rewrites the flags of every mapped page in `[start, end)` with `f`.
    pub fn update_range(&mut self, start: u64, end: u64, mut upd: impl FnMut(F) -> F) {
        self.for_each_leaf_in(start, end, |_, e| {
            let flags = upd(F::from_bits_truncate(*e));
            *e = (*e & ADDR_MASK) | (flags | F::PRESENT).bits();
        });
        self.flush_range(start, end);
    }

    /// A copy-on-write clone (fork); pages of shared mappings stay shared.
    /// `None` when out of frames.
    pub fn fork(&mut self) -> Option<AddressSpace> {
        let mut child = AddressSpace::new()?;
        let mut ok = true;
        let mut pairs = alloc::vec::Vec::new();
        self.for_each_leaf(|va, e| {
            let mut flags = F::from_bits_truncate(*e);
            if flags.contains(F::WRITABLE) && !flags.contains(SHARED) {
                flags = (flags - F::WRITABLE) | COW;
                *e = (*e & ADDR_MASK) | flags.bits();
            }
            pairs.push((va, *e));
        });
        for (va, e) in pairs {
            frame::incref(e & ADDR_MASK);
            if child
                .map_raw(va, e & ADDR_MASK, F::from_bits_truncate(e))
                .is_err()
            {
                ok = false;
                break;
            }
        }
        self.flush();
        if ok {
            Some(child)
        } else {
            None
        }
    }

    /// Unmaps every user page and frees the user page tables.
    pub fn clear_user(&mut self) {
        self.for_each_leaf(|_, e| {
            release(*e);
            *e = 0;
        });
        let l4 = self.pml4;
        for i4 in 0..256 {
            if l4.get(i4) & 1 == 0 {
                continue;
            }
            let l3 = l4.next(i4);
            for i3 in 0..512 {
                if l3.get(i3) & 1 == 0 {
                    continue;
                }
                let l2 = l3.next(i3);
                for i2 in 0..512 {
                    if l2.get(i2) & 1 != 0 {
                        release(l2.get(i2));
                    }
                }
                release(l3.get(i3));
            }
            release(l4.get(i4));
            l4.set(i4, 0);
        }
        self.flush();
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        if self.is_current() {
            activate(kernel_pml4());
        }
        self.clear_user();
        release(self.pml4.0);
    }
}
