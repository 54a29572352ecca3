//! The Multiboot v1 information block: memory map and command line.

use alloc::string::String;
use alloc::vec::Vec;

/// A usable RAM range `[start, end)`.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub start: u64,
    pub end: u64,
}

/// Reads `T` at a physical address (Multiboot packs its structures).
fn read<T: Copy>(pa: u64) -> T {
    crate::mm::read_phys(pa)
}

/// Usable regions from the memory map (flag bit 6), or from mem_upper.
pub fn memory_regions(info: u64, out: &mut [Region; 32]) -> usize {
    let flags: u32 = read(info);
    let mut n = 0;
    if flags & (1 << 6) != 0 {
        let len: u32 = read(info + 44);
        let addr: u32 = read(info + 48);
        let mut p = addr as u64;
        let end = p + len as u64;
        while p < end && n < out.len() {
            let size: u32 = read(p);
            let base: u64 = read(p + 4);
            let length: u64 = read(p + 12);
            let kind: u32 = read(p + 20);
            if kind == 1 && length > 0 {
                out[n] = Region {
                    start: base,
                    end: base + length,
                };
                n += 1;
            }
            p += size as u64 + 4;
        }
    } else if flags & 1 != 0 {
        let upper: u32 = read(info + 8);
        out[0] = Region {
            start: 0x100000,
            end: 0x100000 + upper as u64 * 1024,
        };
        n = 1;
    }
    n
}

/// Physical `[start, end)` of the info structures to keep out of the
/// allocator until the command line has been copied.
pub fn cmdline_phys(info: u64) -> Option<u64> {
    let flags: u32 = read(info);
    if flags & (1 << 2) != 0 {
        Some(read::<u32>(info + 16) as u64)
    } else {
        None
    }
}

/// The kernel command line (copied; call after the heap is up).
pub fn cmdline(info: u64) -> String {
    let mut bytes = Vec::new();
    if let Some(pa) = cmdline_phys(info) {
        for i in 0..4096u64 {
            let b: u8 = read(pa + i);
            if b == 0 {
                break;
            }
            bytes.push(b);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
