//! The processors the firmware lists: local-APIC entries of the ACPI MADT,
//! found through the RSDP. qboot and SeaBIOS put the RSDP in the BIOS
//! areas; UEFI firmware (OVMF, booted through GRUB) leaves it only in
//! memory the boot memory map marks as ACPI, which is searched next.
//! Parsing and checksums are the `acpi` crate's; this module maps its
//! tables.

use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, PhysicalMapping};
use alloc::vec::Vec;
use core::ptr::NonNull;
use veridian_kcore::acpi::{rsdp_candidates, RSDP_ALIGN};
use veridian_kcore::multiboot::Region;

/// Reaches ACPI tables through the boot direct map (firmware tables lie
/// below 4 GiB).
#[derive(Clone)]
struct DirectMap;

impl AcpiHandler for DirectMap {
    unsafe fn map_physical_region<T>(&self, pa: usize, size: usize) -> PhysicalMapping<Self, T> {
        let va = crate::mm::phys_to_virt(pa as u64) as *mut T;
        let va = NonNull::new(va).expect("the direct map never yields null");
        // SAFETY: the boot direct map covers the low 4 GiB, where firmware
        // puts its tables; nothing is mapped, so nothing needs unmapping.
        unsafe { PhysicalMapping::new(pa, va, size, size, self.clone()) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

/// The ACPI tables of the first valid RSDP in `regions` (each searched up
/// to [`MAX_SEARCH`] bytes, below [`DIRECT_MAP_END`]).
fn tables_in(regions: &[Region]) -> Option<AcpiTables<DirectMap>> {
    regions.iter().find_map(|r| {
        let start = r.start.checked_next_multiple_of(RSDP_ALIGN as u64)?;
        let end = r
            .end
            .min(start.saturating_add(MAX_SEARCH))
            .min(DIRECT_MAP_END);
        let len = usize::try_from(end.checked_sub(start)?).ok()?;
        let va = crate::mm::phys_to_virt(start) as *const u8;
        // SAFETY: [start, end) lies below 4 GiB, inside the boot direct
        // map; firmware memory that nothing writes while it is read.
        let bytes = unsafe { core::slice::from_raw_parts(va, len) };
        rsdp_candidates(bytes).find_map(|at| {
            // SAFETY: a signature at a 16-byte boundary inside the direct
            // map; `from_rsdp` checks the checksums before using it.
            unsafe { AcpiTables::from_rsdp(DirectMap, start as usize + at) }.ok()
        })
    })
}

/// MADT flag bits: the processor is enabled, or may be brought online.
const ENABLED: u32 = 1;
const ONLINE_CAPABLE: u32 = 2;

/// The end of the boot direct map, and so of the ACPI memory searched.
const DIRECT_MAP_END: u64 = 4 << 30;

/// Most bytes of one ACPI region searched for the RSDP (OVMF's regions
/// are tens of KiB; a bad map must not make the boot scan gigabytes).
const MAX_SEARCH: u64 = 1 << 20;

/// The APIC ids of the usable processors, the boot processor included;
/// `None` when no RSDP or MADT is found (the machine then runs on the boot
/// processor alone). `acpi_regions` are the boot memory map's ACPI ranges.
pub fn processor_apic_ids(acpi_regions: &[Region]) -> Option<Vec<u32>> {
    // SAFETY: the BIOS areas searched (EBDA, 0xE0000..0x100000) are inside
    // the boot direct map and only read.
    let tables = match unsafe { AcpiTables::search_for_rsdp_bios(DirectMap) } {
        Ok(tables) => tables,
        Err(_) => {
            let tables = tables_in(acpi_regions)?;
            crate::kprintln!("veridian: ACPI RSDP found in the memory map's ACPI ranges");
            tables
        }
    };
    let madt = tables.find_table::<Madt>().ok()?;
    let mut ids = Vec::new();
    for entry in madt.get().entries() {
        match entry {
            MadtEntry::LocalApic(e) => {
                let flags = { e.flags };
                if flags & (ENABLED | ONLINE_CAPABLE) != 0 {
                    ids.push(e.apic_id as u32);
                }
            }
            MadtEntry::LocalX2Apic(e) => {
                let flags = { e.flags };
                if flags & (ENABLED | ONLINE_CAPABLE) != 0 {
                    let id = e.x2apic_id;
                    ids.push(id);
                }
            }
            _ => {}
        }
    }
    Some(ids)
}
