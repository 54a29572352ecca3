//! GDT and TSSs: kernel code/data, user data/code (in the order SYSRET
//! expects), then one TSS per CPU, whose `rsp0` follows the task running on
//! that CPU and whose IST holds the CPU's double-fault stack. The task
//! register therefore names the CPU: [`cpu_index`].

use core::cell::UnsafeCell;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::VirtAddr;

use crate::smp::MAX_CPUS;

pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x18 | 3;
pub const USER_CS: u16 = 0x20 | 3;
pub const DOUBLE_FAULT_IST: u16 = 0;
/// The first TSS selector; CPU `i`'s is 16 bytes (two GDT slots) further
/// per index.
const FIRST_TSS: u16 = 0x28;
const DF_STACK_SIZE: usize = 16384;
/// Null, four segments, two slots per TSS.
const GDT_SLOTS: usize = 5 + 2 * MAX_CPUS;

struct TssCell(UnsafeCell<TaskStateSegment>);
// SAFETY: each TSS is written only by its own CPU (`set_kernel_stack`,
// with interrupts disabled) or before that CPU starts (`init`).
unsafe impl Sync for TssCell {}

/// A double-fault stack, used only by the CPU through the IST.
#[repr(align(16))]
#[allow(dead_code)]
struct DfStack([u8; DF_STACK_SIZE]);

static TSS: [TssCell; MAX_CPUS] =
    [const { TssCell(UnsafeCell::new(TaskStateSegment::new())) }; MAX_CPUS];
static GDT: spin::Once<GlobalDescriptorTable<GDT_SLOTS>> = spin::Once::new();
static mut DF_STACKS: [DfStack; MAX_CPUS] = [const { DfStack([0; DF_STACK_SIZE]) }; MAX_CPUS];

fn build() -> GlobalDescriptorTable<GDT_SLOTS> {
    let mut g = GlobalDescriptorTable::<GDT_SLOTS>::empty();
    g.append(Descriptor::kernel_code_segment());
    g.append(Descriptor::kernel_data_segment());
    g.append(Descriptor::user_data_segment());
    g.append(Descriptor::user_code_segment());
    for (i, cell) in TSS.iter().enumerate() {
        // SAFETY: runs once (inside `Once`), before any CPU loads a TSS;
        // each double-fault stack is only ever used by the CPU through the
        // IST of its own TSS.
        let tss: &'static TaskStateSegment = unsafe {
            let t = &mut *cell.0.get();
            let top = core::ptr::addr_of!(DF_STACKS[i]) as u64 + DF_STACK_SIZE as u64;
            t.interrupt_stack_table[DOUBLE_FAULT_IST as usize] = VirtAddr::new(top);
            &*cell.0.get()
        };
        g.append(Descriptor::tss_segment(tss));
    }
    g
}

/// Loads the GDT and CPU `index`'s TSS and reloads the segment registers
/// (the boot CPU is index 0; each CPU calls this once).
pub fn init(index: usize) {
    assert!(index < MAX_CPUS);
    let gdt = GDT.call_once(build);
    gdt.load();
    // SAFETY: the selectors name the descriptors appended in `build`; each
    // CPU loads its own TSS, so no TSS is loaded (marked busy) twice.
    unsafe {
        CS::set_reg(SegmentSelector(KERNEL_CS));
        DS::set_reg(SegmentSelector(KERNEL_DS));
        ES::set_reg(SegmentSelector(KERNEL_DS));
        SS::set_reg(SegmentSelector(KERNEL_DS));
        load_tss(SegmentSelector(FIRST_TSS + 16 * index as u16));
    }
}

/// The index of the CPU running this code (from its task register).
pub fn cpu_index() -> usize {
    let tr: u16;
    // SAFETY: STR only reads the task register.
    unsafe { core::arch::asm!("str {0:x}", out(reg) tr, options(nomem, nostack, preserves_flags)) };
    (tr.saturating_sub(FIRST_TSS) / 16) as usize
}

/// Sets the stack this CPU switches to on an interrupt from user mode.
pub fn set_kernel_stack(top: u64) {
    let tss = &TSS[cpu_index()];
    // SAFETY: only this CPU writes its TSS, with interrupts disabled; the
    // CPU reads rsp0 only on a privilege change.
    unsafe { (*tss.0.get()).privilege_stack_table[0] = VirtAddr::new(top) };
}
