//! Starting the application processors: a real-mode trampoline copied to
//! [`TRAMPOLINE_PHYS`] climbs to long mode on the boot page tables (whose
//! identity map of low memory must still be in place) and calls
//! [`ap_main`] on a fresh kernel stack; the boot CPU wakes each AP with
//! INIT and two STARTUPs, as the Intel SDM's MP initialisation describes.

use alloc::vec::Vec;
use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, Ordering};

use super::apic;

/// Where the trampoline runs: page 8, below the 1 MiB that the frame
/// allocator never hands out, and a STARTUP vector of 0x08.
const TRAMPOLINE_PHYS: u64 = 0x8000;
const AP_STACK_SIZE: usize = 64 * 1024;

// SAFETY: this code is never executed where it is linked: `start` copies
// it to TRAMPOLINE_PHYS, where an AP runs it from its reset state. It
// touches only the trampoline page, control registers and EFER, then jumps
// to the entry and stack the boot CPU wrote into its parameter slots.
global_asm!(
    r#"
.set AP_BASE, 0x8000
.section .rodata.ap_trampoline, "a"
.global ap_trampoline_start
.global ap_trampoline_end
.global ap_param_cr3
.global ap_param_stack
.global ap_param_entry
.global ap_param_index
.code16
ap_trampoline_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl AP_BASE + (ap_gdt_ptr - ap_trampoline_start)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $(AP_BASE + (ap_protected - ap_trampoline_start))
.code32
ap_protected:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    /* PAE, OSFXSR, OSXMMEXCPT, as the boot CPU. */
    mov %cr4, %eax
    or $0x620, %eax
    mov %eax, %cr4
    mov (AP_BASE + (ap_param_cr3 - ap_trampoline_start)), %eax
    mov %eax, %cr3
    /* EFER: SCE, LME, NXE. */
    mov $0xC0000080, %ecx
    rdmsr
    or $0x901, %eax
    wrmsr
    /* CR0: PG, WP, MP; clear EM. */
    mov %cr0, %eax
    and $0xFFFFFFFB, %eax
    or $0x80010003, %eax
    mov %eax, %cr0
    ljmp $0x18, $(AP_BASE + (ap_long - ap_trampoline_start))
.code64
ap_long:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    mov (AP_BASE + (ap_param_stack - ap_trampoline_start)), %rsp
    mov (AP_BASE + (ap_param_index - ap_trampoline_start)), %rdi
    mov (AP_BASE + (ap_param_entry - ap_trampoline_start)), %rax
    xor %ebp, %ebp
    jmp *%rax
.align 16
ap_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF
    .quad 0x00CF92000000FFFF
    .quad 0x00AF9A000000FFFF
ap_gdt_ptr:
    .word ap_gdt_ptr - ap_gdt - 1
    .long AP_BASE + (ap_gdt - ap_trampoline_start)
.align 8
ap_param_cr3:   .quad 0
ap_param_stack: .quad 0
ap_param_entry: .quad 0
ap_param_index: .quad 0
ap_trampoline_end:
.text
"#,
    options(att_syntax)
);

extern "C" {
    static ap_trampoline_start: u8;
    static ap_trampoline_end: u8;
    static ap_param_cr3: u8;
    static ap_param_stack: u8;
    static ap_param_entry: u8;
    static ap_param_index: u8;
}

/// Set by an AP once it runs Rust code on its own stack (the trampoline
/// page may then be reused for the next AP).
static STARTED: AtomicBool = AtomicBool::new(false);

/// The trampoline page's address in the direct map, and the offset of a
/// trampoline symbol in it.
fn slot(sym: *const u8) -> *mut u64 {
    let start = core::ptr::addr_of!(ap_trampoline_start) as usize;
    (crate::mm::phys_to_virt(TRAMPOLINE_PHYS) as usize + (sym as usize - start)) as *mut u64
}

fn install_trampoline() {
    let start = core::ptr::addr_of!(ap_trampoline_start);
    let len = core::ptr::addr_of!(ap_trampoline_end) as usize - start as usize;
    assert!(len <= 4096, "the AP trampoline fits one page");
    // SAFETY: the trampoline page lies below 1 MiB, which the frame
    // allocator never hands out, and is reached through the direct map;
    // the source is the linked trampoline, `len` bytes long.
    unsafe { core::ptr::copy_nonoverlapping(start, crate::mm::phys_to_virt(TRAMPOLINE_PHYS), len) };
}

fn set_param(sym: *const u8, v: u64) {
    // SAFETY: `sym` is one of the 8-byte parameter slots inside the
    // trampoline copied by `install_trampoline`; no AP runs it meanwhile
    // (the previous one set STARTED, the next is not started yet).
    unsafe { slot(sym).write_volatile(v) }
}

fn wait_us(us: u64) {
    let until = crate::time::monotonic_ns() + us * 1000;
    while crate::time::monotonic_ns() < until {
        core::hint::spin_loop();
    }
}

/// Starts the APs with the given APIC ids, one after another; the AP
/// started `k`-th (from 0) gets CPU index `k + 1`. Returns the indexes of
/// the APs that came up (an AP that does not answer within 200 ms is left
/// in its wait-for-SIPI state). Needs the boot identity map.
pub fn start(apic_ids: &[u32]) -> Vec<(usize, u32)> {
    install_trampoline();
    set_param(
        core::ptr::addr_of!(ap_param_cr3),
        crate::mm::paging::kernel_pml4(),
    );
    set_param(
        core::ptr::addr_of!(ap_param_entry),
        ap_main as *const () as u64,
    );
    let mut up = Vec::new();
    for &id in apic_ids {
        let index = up.len() + 1;
        let stack: &'static mut [u8] = alloc::vec![0u8; AP_STACK_SIZE].leak();
        let top = (stack.as_ptr() as u64 + AP_STACK_SIZE as u64) & !15;
        set_param(core::ptr::addr_of!(ap_param_stack), top);
        set_param(core::ptr::addr_of!(ap_param_index), index as u64);
        STARTED.store(false, Ordering::SeqCst);
        apic::send_init(id);
        wait_us(10_000);
        let vector = (TRAMPOLINE_PHYS / 4096) as u8;
        for _ in 0..2 {
            apic::send_startup(id, vector);
            wait_us(200);
            if STARTED.load(Ordering::SeqCst) {
                break;
            }
        }
        let deadline = crate::time::monotonic_ns() + 200_000_000;
        while !STARTED.load(Ordering::SeqCst) && crate::time::monotonic_ns() < deadline {
            core::hint::spin_loop();
        }
        if STARTED.load(Ordering::SeqCst) {
            up.push((index, id));
        } else {
            crate::kprintln!("veridian: CPU with APIC id {} did not start", id);
        }
    }
    up
}

/// An AP's first Rust code, on its own stack with the boot page tables.
extern "C" fn ap_main(index: u64) -> ! {
    let index = index as usize;
    super::gdt::init(index);
    super::idt::load();
    super::entry::init(index);
    apic::enable();
    STARTED.store(true, Ordering::SeqCst);
    crate::smp::ap_ready(index)
}
