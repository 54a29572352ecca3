//! Kernel logic of VeridianOS that needs neither hardware nor global state,
//! so it runs (and is unit-tested) on the host as well as in the kernel:
//!
//! - [`elf`]: the ELF64 header and program-header reader and the checks that
//!   turn a hostile executable into an [`elf::ElfError`], never a panic;
//! - [`stack`]: the auxiliary vector and the initial user stack image;
//! - [`vma`]: a process's region map (insert, split, protect, free-range
//!   search) without the page tables behind it;
//! - [`cmdline`]: the kernel command line;
//! - [`acpi`]: where an ACPI root pointer may lie in a memory range;
//! - [`bitrun`]: a range of bits as per-word masks;
//! - [`multiboot`]: the Multiboot v1 memory map (RAM and ACPI ranges) and
//!   command line, read through a caller-supplied physical-memory reader;
//! - [`page`]: page size and rounding;
//! - [`pci_window`]: where PCI memory BARs the firmware left unassigned go;
//! - [`stats`]: the profile report of the `stats` boot flag;
//! - [`signal`]: pending sets, masks, the receiving thread and what posting
//!   and delivering a signal do, the alternate signal stack;
//! - [`timer`]: timer expirations counted lazily (timerfd);
//! - [`script`]: the `#!` line of a script execve runs.
//!
//! `no_std` + `alloc`; `unsafe` is forbidden here.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod acpi;
pub mod bitrun;
pub mod cmdline;
pub mod elf;
pub mod multiboot;
pub mod page;
pub mod pci_window;
pub mod script;
pub mod signal;
pub mod stack;
pub mod stats;
pub mod timer;
pub mod vma;
