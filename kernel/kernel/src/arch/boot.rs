//! Multiboot v1 entry: the header (with the a.out kludge so QEMU accepts an
//! ELF64 file), a 32-bit trampoline that builds boot page tables (identity
//! and direct map of the low 4 GiB, kernel image at -2 GiB), enters long mode
//! and jumps to [`crate::kmain`] in the higher half.

use core::arch::global_asm;
use veridian_kcore::multiboot::{self, PhysRead};

// SAFETY: this is the very first code that runs; it only touches memory in
// its own .boot section and the CPU control registers, as Multiboot allows.
global_asm!(
    r#"
.section .multiboot, "a"
.align 4
mb_header:
    .long 0x1BADB002
    .long 0x00010003
    .long -(0x1BADB002 + 0x00010003)
    .long mb_header
    .long __load_start_phys
    .long __load_end_phys
    .long __bss_end_phys
    .long _start32

.section .boot.text, "ax"
.code32
.global _start32
_start32:
    cli
    mov %ebx, (mb_info_saved)
    mov %eax, (mb_magic_saved)

    /* 2048 2 MiB pages: physical 0..4 GiB. */
    mov $boot_pd, %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jb 1b

    /* Low PDPT: four PDs (4 GiB). */
    mov $boot_pdpt_low, %edi
    mov $boot_pd, %eax
    or $3, %eax
    xor %ecx, %ecx
2:  mov %eax, (%edi,%ecx,8)
    add $4096, %eax
    inc %ecx
    cmp $4, %ecx
    jb 2b

    /* High PDPT: entry 510 maps -2 GiB to physical 0..1 GiB. */
    mov $boot_pd, %eax
    or $3, %eax
    mov %eax, (boot_pdpt_high + 510 * 8)

    mov $boot_pdpt_low, %eax
    or $3, %eax
    mov %eax, (boot_pml4)
    mov %eax, (boot_pml4 + 256 * 8)
    mov $boot_pdpt_high, %eax
    or $3, %eax
    mov %eax, (boot_pml4 + 511 * 8)

    /* PAE, OSFXSR, OSXMMEXCPT. */
    mov %cr4, %eax
    or $0x620, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
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

    lgdt (boot_gdt_ptr)
    ljmp $0x08, $start64

.code64
start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $high_entry, %rax
    jmp *%rax

.section .boot.data, "aw"
.align 4096
.global boot_pml4
boot_pml4:      .fill 4096, 1, 0
boot_pdpt_low:  .fill 4096, 1, 0
boot_pdpt_high: .fill 4096, 1, 0
boot_pd:        .fill 4 * 4096, 1, 0
.align 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF
    .quad 0x00CF92000000FFFF
boot_gdt_ptr:
    .word boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt
.global mb_info_saved
mb_info_saved:  .long 0
.global mb_magic_saved
mb_magic_saved: .long 0

.section .text
high_entry:
    lea boot_stack_top(%rip), %rsp
    xor %rbp, %rbp
    movl (mb_magic_saved), %esi
    movl (mb_info_saved), %edi
    call kmain
3:  cli
    hlt
    jmp 3b

.section .bss
.align 16
.global boot_stack_bottom
boot_stack_bottom:
    .skip 64 * 1024
boot_stack_top:
"#,
    options(att_syntax)
);

extern "C" {
    static __kernel_end: u8;
}

/// Physical address of the end of the kernel image.
pub fn kernel_end_phys() -> u64 {
    crate::mm::virt_to_phys(core::ptr::addr_of!(__kernel_end) as u64)
}

/// Physical memory as the boot code mapped it (the low
/// [`crate::mm::BOOT_DIRECT_MAP`] bytes); reads beyond give zeros.
struct BootMemory;

impl PhysRead for BootMemory {
    fn read(&mut self, pa: u64, buf: &mut [u8]) {
        let inside = pa
            .checked_add(buf.len() as u64)
            .is_some_and(|end| end <= crate::mm::BOOT_DIRECT_MAP);
        if !inside {
            buf.fill(0);
            return;
        }
        // SAFETY: only `kmain` reads through `BootMemory`, before anything
        // else runs: no Rust reference into physical memory outside the
        // image exists yet (no heap, no frames handed out), so the bytes
        // read alias nothing, and every byte value is a valid `u8`. The
        // boot tables map the range through the direct map.
        unsafe {
            core::ptr::copy_nonoverlapping(crate::mm::phys_to_virt(pa), buf.as_mut_ptr(), buf.len())
        };
    }
}

/// Kernel entry from the trampoline above (long mode, higher half): copies
/// the Multiboot information before anything can own the memory it lies
/// in, then runs the kernel.
#[no_mangle]
extern "C" fn kmain(mb_info: u32, mb_magic: u32) -> ! {
    crate::time::mark_boot();
    let boot = if mb_magic == multiboot::BOOTLOADER_MAGIC {
        Ok(multiboot::read(&mut BootMemory, mb_info as u64))
    } else {
        Err(mb_magic)
    };
    crate::kernel_main(boot)
}
