//! x86_64 specifics: boot, descriptor tables, entry paths, CPU helpers, the
//! local APIC and application-processor start-up.

pub mod ap_boot;
pub mod apic;
pub mod boot;
pub mod cpu;
pub mod entry;
pub mod gdt;
pub mod idt;
