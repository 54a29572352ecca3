//! The kernel heap: a linked-list allocator over a physically contiguous
//! range of the direct map (so heap buffers can be handed to DMA). An
//! allocation of exactly one page, page-aligned (the file system's cached
//! blocks), takes a whole frame from the frame allocator instead: the
//! block cache can then grow with the machine's memory, not the heap's.

use core::alloc::{GlobalAlloc, Layout};
use linked_list_allocator::LockedHeap;

use super::{frame, phys_to_virt, virt_to_phys, PAGE_SIZE};

static HEAP: LockedHeap = LockedHeap::empty();

#[global_allocator]
static ALLOCATOR: KernelAllocator = KernelAllocator;

struct KernelAllocator;

fn is_frame(layout: Layout) -> bool {
    layout.size() == PAGE_SIZE as usize && layout.align() == PAGE_SIZE as usize
}

// SAFETY: frame-sized layouts get a frame of their own (page-aligned,
// mapped by the direct map; zeroed for `alloc_zeroed`) and give it back
// on dealloc; every other layout is the linked-list heap's, which upholds
// GlobalAlloc itself.
unsafe impl GlobalAlloc for KernelAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_frame(layout) {
            return frame::alloc_unzeroed()
                .map_or(core::ptr::null_mut(), |f| phys_to_virt(f.into_raw()));
        }
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { HEAP.alloc(layout) }
    }

    /// Zeroes once: a frame-sized block is zeroed by the frame allocator,
    /// not allocated and then cleared again.
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_frame(layout) {
            return frame::alloc().map_or(core::ptr::null_mut(), |f| phys_to_virt(f.into_raw()));
        }
        // SAFETY: the caller's contract is passed on unchanged.
        let ptr = unsafe { HEAP.alloc(layout) };
        if !ptr.is_null() {
            // SAFETY: `ptr` is a fresh allocation of `layout.size()` bytes.
            unsafe { core::ptr::write_bytes(ptr, 0, layout.size()) };
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_frame(layout) {
            // SAFETY: `ptr` came from `alloc` with this layout, so it is the
            // direct-map address of a frame whose one reference we hold.
            unsafe { frame::decref(virt_to_phys(ptr as u64)) };
            return;
        }
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { HEAP.dealloc(ptr, layout) }
    }
}

/// Free heap bytes.
pub fn free_bytes() -> usize {
    HEAP.lock().free()
}

/// Below this much free heap, calls that create kernel objects fail with
/// ENOMEM instead of risking an allocation failure (a kernel panic).
pub const RESERVE: usize = 8 << 20;

/// Whether the heap can take another kernel object.
pub fn low() -> bool {
    free_bytes() < RESERVE
}

/// Gives the heap the physical range `[start, start + size)`.
pub fn init(start_phys: u64, size: u64) {
    // SAFETY: the caller reserved this RAM for the heap alone; the direct
    // map covers it.
    unsafe {
        HEAP.lock()
            .init(super::phys_to_virt(start_phys), size as usize)
    };
}
