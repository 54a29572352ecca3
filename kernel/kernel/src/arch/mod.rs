//! x86_64 specifics: boot, descriptor tables, entry paths, CPU helpers.

pub mod boot;
pub mod cpu;
pub mod entry;
pub mod gdt;
pub mod idt;
