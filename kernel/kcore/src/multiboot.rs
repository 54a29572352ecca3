//! The Multiboot v1 information block: the usable-RAM map, the regions
//! holding ACPI tables and the kernel command line, read through a [`PhysRead`] so the parsing needs no
//! access to physical memory of its own. Values from the block are used
//! with checked arithmetic: a bad block gives fewer regions, not a panic.

/// `eax` at entry from a Multiboot v1 loader.
pub const BOOTLOADER_MAGIC: u32 = 0x2BAD_B002;
/// Most RAM regions kept.
pub const MAX_REGIONS: usize = 32;
/// Longest command line kept (bytes, without the NUL).
pub const MAX_CMDLINE: usize = 4096;
/// Most ACPI regions kept (firmware lists a handful).
pub const MAX_ACPI_REGIONS: usize = 8;
/// Most bytes of memory map read (real maps take a few hundred).
pub const MAX_MMAP_LEN: u64 = 64 * 1024;

const FLAG_MEM: u32 = 1 << 0;
const FLAG_CMDLINE: u32 = 1 << 2;
const FLAG_MMAP: u32 = 1 << 6;
const MMAP_AVAILABLE: u32 = 1;
/// Memory-map types of ACPI tables: reclaimable after parsing, and NVS.
const MMAP_ACPI_RECLAIMABLE: u32 = 3;
const MMAP_ACPI_NVS: u32 = 4;

/// Reads physical memory (bytes it cannot read come back as zeros).
pub trait PhysRead {
    fn read(&mut self, pa: u64, buf: &mut [u8]);
}

/// A usable RAM range `[start, end)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
}

/// What the kernel keeps of the information block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootInfo {
    regions: [Region; MAX_REGIONS],
    nregions: usize,
    acpi: [Region; MAX_ACPI_REGIONS],
    nacpi: usize,
    cmdline: [u8; MAX_CMDLINE],
    cmdline_len: usize,
}

impl BootInfo {
    /// Usable RAM, in the order of the memory map.
    pub fn regions(&self) -> &[Region] {
        &self.regions[..self.nregions]
    }

    /// The ranges the memory map marks as ACPI tables (reclaimable or
    /// NVS): where UEFI firmware puts the RSDP, which it does not copy
    /// to the BIOS areas.
    pub fn acpi_regions(&self) -> &[Region] {
        &self.acpi[..self.nacpi]
    }

    /// The command line's bytes (empty if there is none).
    pub fn cmdline(&self) -> &[u8] {
        &self.cmdline[..self.cmdline_len]
    }
}

fn u32_at(m: &mut impl PhysRead, pa: u64) -> u32 {
    let mut b = [0; 4];
    m.read(pa, &mut b);
    u32::from_le_bytes(b)
}

fn u64_at(m: &mut impl PhysRead, pa: u64) -> u64 {
    let mut b = [0; 8];
    m.read(pa, &mut b);
    u64::from_le_bytes(b)
}

/// Reads the block at physical address `info`: the memory map (flag bit
/// 6) or else `mem_upper` (bit 0), and the command line (bit 2).
pub fn read(m: &mut impl PhysRead, info: u64) -> BootInfo {
    let mut bi = BootInfo {
        regions: [Region::default(); MAX_REGIONS],
        nregions: 0,
        acpi: [Region::default(); MAX_ACPI_REGIONS],
        nacpi: 0,
        cmdline: [0; MAX_CMDLINE],
        cmdline_len: 0,
    };
    let flags = u32_at(m, info);
    if flags & FLAG_MMAP != 0 {
        let len = (u32_at(m, info + 44) as u64).min(MAX_MMAP_LEN);
        let mut p = u32_at(m, info + 48) as u64;
        let end = p + len;
        while p < end {
            let size = u32_at(m, p) as u64;
            let base = u64_at(m, p + 4);
            let length = u64_at(m, p + 12);
            let kind = u32_at(m, p + 20);
            let region = Region {
                start: base,
                end: base.saturating_add(length),
            };
            if length == 0 {
                // Nothing to keep.
            } else if kind == MMAP_AVAILABLE && bi.nregions < MAX_REGIONS {
                bi.regions[bi.nregions] = region;
                bi.nregions += 1;
            } else if matches!(kind, MMAP_ACPI_RECLAIMABLE | MMAP_ACPI_NVS)
                && bi.nacpi < MAX_ACPI_REGIONS
            {
                bi.acpi[bi.nacpi] = region;
                bi.nacpi += 1;
            }
            p += size + 4;
        }
    } else if flags & FLAG_MEM != 0 {
        let upper = u32_at(m, info + 8) as u64;
        bi.regions[0] = Region {
            start: 0x10_0000,
            end: 0x10_0000 + upper * 1024,
        };
        bi.nregions = 1;
    }
    if flags & FLAG_CMDLINE != 0 {
        let pa = u32_at(m, info + 16) as u64;
        m.read(pa, &mut bi.cmdline);
        bi.cmdline_len = bi
            .cmdline
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(MAX_CMDLINE);
    }
    bi
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    /// Physical memory `[0, bytes.len())`; zeros beyond.
    struct Mem(Vec<u8>);

    impl PhysRead for Mem {
        fn read(&mut self, pa: u64, buf: &mut [u8]) {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = pa
                    .checked_add(i as u64)
                    .and_then(|a| self.0.get(a as usize))
                    .copied()
                    .unwrap_or(0);
            }
        }
    }

    fn put(m: &mut Mem, at: usize, v: &[u8]) {
        m.0[at..at + v.len()].copy_from_slice(v);
    }

    fn entry(m: &mut Mem, at: usize, base: u64, len: u64, kind: u32) {
        put(m, at, &20u32.to_le_bytes());
        put(m, at + 4, &base.to_le_bytes());
        put(m, at + 12, &len.to_le_bytes());
        put(m, at + 20, &kind.to_le_bytes());
    }

    #[test]
    fn memory_map_and_cmdline() {
        let mut m = Mem(vec![0; 0x1000]);
        put(&mut m, 0x100, &(FLAG_MMAP | FLAG_CMDLINE).to_le_bytes());
        put(&mut m, 0x100 + 16, &0x800u32.to_le_bytes());
        put(&mut m, 0x100 + 44, &(6 * 24u32).to_le_bytes());
        put(&mut m, 0x100 + 48, &0x200u32.to_le_bytes());
        entry(&mut m, 0x200, 0, 0x9f000, 1);
        entry(&mut m, 0x218, 0xf0000, 0x10000, 2);
        entry(&mut m, 0x230, 0x100000, 0x1ff00000, 1);
        entry(&mut m, 0x248, 0x7fb7e000, 0x4000, 3);
        entry(&mut m, 0x260, 0x7fb82000, 0x0, 3);
        entry(&mut m, 0x278, 0x7fbfe000, 0x2000, 4);
        put(&mut m, 0x800, b"init=/bin/sh -- x\0junk");
        let bi = read(&mut m, 0x100);
        assert_eq!(
            bi.regions(),
            &[
                Region {
                    start: 0,
                    end: 0x9f000
                },
                Region {
                    start: 0x100000,
                    end: 0x20000000
                }
            ]
        );
        assert_eq!(
            bi.acpi_regions(),
            &[
                Region {
                    start: 0x7fb7e000,
                    end: 0x7fb82000
                },
                Region {
                    start: 0x7fbfe000,
                    end: 0x7fc00000
                }
            ]
        );
        assert_eq!(bi.cmdline(), b"init=/bin/sh -- x");
    }

    #[test]
    fn mem_upper_without_a_map_and_no_cmdline() {
        let mut m = Mem(vec![0; 0x100]);
        put(&mut m, 0, &FLAG_MEM.to_le_bytes());
        put(&mut m, 8, &(127 * 1024u32).to_le_bytes());
        let bi = read(&mut m, 0);
        assert_eq!(
            bi.regions(),
            &[Region {
                start: 0x100000,
                end: 0x100000 + (127 << 20)
            }]
        );
        assert_eq!(bi.cmdline(), b"");
    }

    #[test]
    fn a_hostile_map_ends_without_overflow() {
        let mut m = Mem(vec![0; 0x800]);
        put(&mut m, 0, &FLAG_MMAP.to_le_bytes());
        put(&mut m, 44, &u32::MAX.to_le_bytes());
        put(&mut m, 48, &0x100u32.to_le_bytes());
        // A huge length saturates; at most MAX_REGIONS are kept.
        for i in 0..40 {
            entry(&mut m, 0x100 + 24 * i, u64::MAX - 5, u64::MAX, 1);
        }
        let bi = read(&mut m, 0);
        assert_eq!(bi.regions().len(), MAX_REGIONS);
        assert!(bi.regions().iter().all(|r| r.end == u64::MAX));
        // Entries of size 0 (zeros) still advance, up to MAX_MMAP_LEN.
        put(&mut m, 48, &0x1000u32.to_le_bytes());
        assert_eq!(read(&mut m, 0).regions(), &[]);
    }

    #[test]
    fn an_unterminated_cmdline_is_cut() {
        let mut m = Mem(vec![b'a'; 0x3000]);
        put(&mut m, 0, &FLAG_CMDLINE.to_le_bytes());
        put(&mut m, 16, &0x100u32.to_le_bytes());
        assert_eq!(read(&mut m, 0).cmdline().len(), MAX_CMDLINE);
    }

    proptest::proptest! {
        #[test]
        fn any_block_reads_without_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            info in 0u64..600,
        ) {
            let bi = read(&mut Mem(bytes), info);
            proptest::prop_assert!(bi.regions().iter().all(|r| r.start <= r.end));
        }
    }
}
