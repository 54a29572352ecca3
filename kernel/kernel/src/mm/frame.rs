//! Physical frame allocator: a free bitmap over the first 16 GiB plus a
//! reference count per frame (copy-on-write sharing).

use core::sync::atomic::{AtomicUsize, Ordering};
use spin::Mutex;

use super::{phys_to_virt, PAGE_SIZE};

const MAX_FRAMES: usize = (super::DIRECT_MAP_MAX / PAGE_SIZE) as usize;

struct Frames {
    /// Bit set = frame free.
    free: [u64; MAX_FRAMES / 64],
    refs: [u16; MAX_FRAMES],
    hint: usize,
}

static FRAMES: Mutex<Frames> = Mutex::new(Frames {
    free: [0; MAX_FRAMES / 64],
    refs: [0; MAX_FRAMES],
    hint: 0,
});
static FREE_COUNT: AtomicUsize = AtomicUsize::new(0);
static TOTAL_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Adds the physical range `[start, end)` (page-rounded inward) as free.
pub fn add_region(start: u64, end: u64) {
    let mut f = FRAMES.lock();
    let s = (super::page_up(start) / PAGE_SIZE) as usize;
    let e = (end / PAGE_SIZE).min(MAX_FRAMES as u64) as usize;
    let mut added = 0;
    for (word, mask) in veridian_kcore::bitrun::word_masks(s..e) {
        added += (mask & !f.free[word]).count_ones() as usize;
        f.free[word] |= mask;
    }
    FREE_COUNT.fetch_add(added, Ordering::Relaxed);
    TOTAL_COUNT.fetch_add(added, Ordering::Relaxed);
}

/// One reference to an allocated frame, owned: the frame is freed when the
/// last reference goes. A `Frame` from [`alloc`] is the only reference, so
/// its bytes can be written until it is handed to a page table
/// (`AddressSpace::map`) or turned into a raw reference ([`Frame::into_raw`]).
pub struct Frame(u64);

impl Frame {
    /// The frame's bytes.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: a `Frame` is the only reference to its frame (it comes
        // from `alloc` and is not `Clone`), the direct map covers the frame,
        // and the slice borrows `self` exclusively.
        unsafe { core::slice::from_raw_parts_mut(phys_to_virt(self.0), PAGE_SIZE as usize) }
    }

    /// The frame's physical address.
    pub fn phys(&self) -> u64 {
        self.0
    }

    /// Gives up ownership: the reference is now the caller's to release
    /// with [`decref`].
    pub fn into_raw(self) -> u64 {
        let pa = self.0;
        core::mem::forget(self);
        pa
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        // SAFETY: the `Frame` owns this reference and is going away.
        unsafe { decref(self.0) }
    }
}

/// Allocates one zeroed frame (refcount 1); `None` when memory is exhausted.
pub fn alloc() -> Option<Frame> {
    let frame = alloc_unzeroed()?;
    // SAFETY: the frame is ours alone; the direct map covers it.
    unsafe { core::ptr::write_bytes(phys_to_virt(frame.0), 0, PAGE_SIZE as usize) };
    Some(frame)
}

/// Allocates one frame (refcount 1) holding whatever it held before; for
/// memory the caller overwrites at once (the heap's `alloc`, whose callers
/// do not expect zeros). `None` when memory is exhausted.
pub(super) fn alloc_unzeroed() -> Option<Frame> {
    let pa = {
        let mut f = FRAMES.lock();
        let words = MAX_FRAMES / 64;
        let start = f.hint;
        let mut found = None;
        for k in 0..words {
            let w = (start + k) % words;
            if f.free[w] != 0 {
                let bit = f.free[w].trailing_zeros() as usize;
                f.free[w] &= !(1 << bit);
                let idx = w * 64 + bit;
                f.refs[idx] = 1;
                f.hint = w;
                found = Some(idx as u64 * PAGE_SIZE);
                break;
            }
        }
        found?
    };
    FREE_COUNT.fetch_sub(1, Ordering::Relaxed);
    Some(Frame(pa))
}

/// Allocates `n` physically contiguous zeroed frames (for DMA); each is
/// released with [`decref`].
pub fn alloc_contiguous(n: usize) -> Option<u64> {
    let base = {
        let mut f = FRAMES.lock();
        let mut run = 0;
        let mut found = None;
        let mut i = 0;
        while i < MAX_FRAMES {
            // Whole words without a free frame (the kernel image, the
            // heap, memory in use) are stepped over at once.
            if i.is_multiple_of(64) && f.free[i / 64] == 0 {
                run = 0;
                i += 64;
                continue;
            }
            if f.free[i / 64] & (1 << (i % 64)) != 0 {
                run += 1;
                if run == n {
                    found = Some(i + 1 - n);
                    break;
                }
            } else {
                run = 0;
            }
            i += 1;
        }
        let first = found?;
        for i in first..first + n {
            f.free[i / 64] &= !(1 << (i % 64));
            f.refs[i] = 1;
        }
        first as u64 * PAGE_SIZE
    };
    FREE_COUNT.fetch_sub(n, Ordering::Relaxed);
    // SAFETY: the frames were free and are covered by the direct map.
    unsafe { core::ptr::write_bytes(phys_to_virt(base), 0, n * PAGE_SIZE as usize) };
    Some(base)
}

/// Adds a reference to an allocated frame (at worst the frame leaks).
pub fn incref(pa: u64) {
    let mut f = FRAMES.lock();
    let i = (pa / PAGE_SIZE) as usize;
    if i < MAX_FRAMES && f.refs[i] > 0 {
        f.refs[i] = f.refs[i].saturating_add(1);
    }
}

/// Counts above this are not handed out by [`share`] (a count must never
/// saturate: the frame would be freed while still mapped).
const SHARE_LIMIT: u16 = u16::MAX / 2;

/// One more reference to the allocated frame at `pa` — a file system's
/// cached block, which the heap gives a frame of its own — for the caller
/// to map and later [`decref`]; `None` if `pa` is not the start of an
/// allocated frame (heap memory is not) or its count is too high.
pub fn share(pa: u64) -> Option<u64> {
    let i = (pa / PAGE_SIZE) as usize;
    if !pa.is_multiple_of(PAGE_SIZE) || i >= MAX_FRAMES {
        return None;
    }
    let mut f = FRAMES.lock();
    let refs = &mut f.refs[i];
    if *refs == 0 || *refs >= SHARE_LIMIT {
        return None;
    }
    *refs += 1;
    Some(pa)
}

/// The reference count of a frame.
pub fn refcount(pa: u64) -> u16 {
    let i = (pa / PAGE_SIZE) as usize;
    if i < MAX_FRAMES {
        FRAMES.lock().refs[i]
    } else {
        0
    }
}

/// Drops a reference; the frame is free again when none remain.
///
/// # Safety
///
/// The caller holds a reference to `pa` (from [`alloc_contiguous`],
/// [`Frame::into_raw`] or [`incref`]) and gives it up: it must not use the
/// frame through that reference afterwards.
pub unsafe fn decref(pa: u64) {
    let mut f = FRAMES.lock();
    let i = (pa / PAGE_SIZE) as usize;
    if i >= MAX_FRAMES || f.refs[i] == 0 {
        return;
    }
    f.refs[i] -= 1;
    if f.refs[i] == 0 {
        f.free[i / 64] |= 1 << (i % 64);
        FREE_COUNT.fetch_add(1, Ordering::Relaxed);
    }
}

/// (free, total) frames.
pub fn stats() -> (usize, usize) {
    (
        FREE_COUNT.load(Ordering::Relaxed),
        TOTAL_COUNT.load(Ordering::Relaxed),
    )
}
