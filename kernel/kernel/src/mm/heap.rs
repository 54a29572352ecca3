//! The kernel heap: a linked-list allocator over a physically contiguous
//! range of the direct map (so heap buffers can be handed to DMA).

use linked_list_allocator::LockedHeap;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

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
