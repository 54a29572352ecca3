//! Memory: physical frames, page tables, the kernel heap, address spaces
//! (user copies are `task::user`, over the current task's address space).

// The modules that touch physical memory or CPU state; the rest of `mm`,
// like the rest of the kernel, has no `unsafe` (the crate denies it).
#[allow(unsafe_code)]
pub mod frame;
#[allow(unsafe_code)]
pub mod heap;
#[allow(unsafe_code)]
pub mod paging;
pub mod shared;
pub mod vma;

/// Where physical memory is mapped: the low 4 GiB by the boot code, the
/// rest of RAM up to [`DIRECT_MAP_MAX`] by [`paging::extend_direct_map`].
pub const PHYS_OFFSET: u64 = 0xFFFF_8000_0000_0000;
/// The kernel image's virtual base (physical 0 maps here).
pub const KERNEL_BASE: u64 = 0xFFFF_FFFF_8000_0000;
/// What the boot code maps.
pub const BOOT_DIRECT_MAP: u64 = 4 << 30;
/// The most physical memory the kernel maps and manages.
pub const DIRECT_MAP_MAX: u64 = 16 << 30;

static DIRECT_MAP_END: core::sync::atomic::AtomicU64 =
    core::sync::atomic::AtomicU64::new(BOOT_DIRECT_MAP);

fn set_direct_map_end(end: u64) {
    DIRECT_MAP_END.store(end, core::sync::atomic::Ordering::Relaxed);
}

/// The end of the direct map (physical addresses below it are mapped).
pub fn direct_map_end() -> u64 {
    DIRECT_MAP_END.load(core::sync::atomic::Ordering::Relaxed)
}
pub use veridian_kcore::page::{page_down, page_up, PAGE_SIZE};
/// User addresses are below this.
pub const USER_END: u64 = 0x0000_8000_0000_0000;

/// The direct-map address of a physical address.
pub fn phys_to_virt(pa: u64) -> *mut u8 {
    (PHYS_OFFSET + pa) as *mut u8
}

/// The physical address of a kernel virtual address (direct map or image).
pub fn virt_to_phys(va: u64) -> u64 {
    if va >= KERNEL_BASE {
        va - KERNEL_BASE
    } else {
        va - PHYS_OFFSET
    }
}
