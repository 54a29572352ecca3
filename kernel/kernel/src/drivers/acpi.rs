//! The processors the firmware lists: local-APIC entries of the ACPI MADT,
//! found through the RSDP in the BIOS areas (SeaBIOS, QEMU's default, puts
//! it there). Parsing is the `acpi` crate's; this module maps its tables.

use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, PhysicalMapping};
use alloc::vec::Vec;
use core::ptr::NonNull;

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

/// MADT flag bits: the processor is enabled, or may be brought online.
const ENABLED: u32 = 1;
const ONLINE_CAPABLE: u32 = 2;

/// The APIC ids of the usable processors, the boot processor included;
/// `None` when no RSDP or MADT is found (the machine then runs on the boot
/// processor alone).
pub fn processor_apic_ids() -> Option<Vec<u32>> {
    // SAFETY: the BIOS areas searched (EBDA, 0xE0000..0x100000) are inside
    // the boot direct map and only read.
    let tables = unsafe { AcpiTables::search_for_rsdp_bios(DirectMap) }.ok()?;
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
