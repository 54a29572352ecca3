//! GDT and TSS: kernel code/data, user data/code (in the order SYSRET
//! expects), a TSS whose `rsp0` follows the running task's kernel stack and
//! an IST stack for double faults.

use core::cell::UnsafeCell;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::VirtAddr;

pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x18 | 3;
pub const USER_CS: u16 = 0x20 | 3;
pub const DOUBLE_FAULT_IST: u16 = 0;

struct TssCell(UnsafeCell<TaskStateSegment>);
// SAFETY: one CPU; the TSS is written only with interrupts disabled.
unsafe impl Sync for TssCell {}

static TSS: TssCell = TssCell(UnsafeCell::new(TaskStateSegment::new()));
static GDT: spin::Once<GlobalDescriptorTable> = spin::Once::new();
static mut DF_STACK: [u8; 16384] = [0; 16384];

/// Loads the GDT and TSS and reloads the segment registers.
pub fn init() {
    // SAFETY: runs once at boot before anything else uses the TSS; the
    // double-fault stack is only ever used by the CPU through the IST.
    let tss: &'static TaskStateSegment = unsafe {
        let t = &mut *TSS.0.get();
        let top = core::ptr::addr_of!(DF_STACK) as u64 + 16384;
        t.interrupt_stack_table[DOUBLE_FAULT_IST as usize] = VirtAddr::new(top);
        &*TSS.0.get()
    };
    let gdt = GDT.call_once(|| {
        let mut g = GlobalDescriptorTable::new();
        g.append(Descriptor::kernel_code_segment());
        g.append(Descriptor::kernel_data_segment());
        g.append(Descriptor::user_data_segment());
        g.append(Descriptor::user_code_segment());
        g.append(Descriptor::tss_segment(tss));
        g
    });
    gdt.load();
    // SAFETY: the selectors name the descriptors appended above.
    unsafe {
        CS::set_reg(SegmentSelector(KERNEL_CS));
        DS::set_reg(SegmentSelector(KERNEL_DS));
        ES::set_reg(SegmentSelector(KERNEL_DS));
        SS::set_reg(SegmentSelector(KERNEL_DS));
        load_tss(SegmentSelector(0x28));
    }
}

/// Sets the stack the CPU switches to on an interrupt from user mode.
pub fn set_kernel_stack(top: u64) {
    // SAFETY: one CPU, interrupts are disabled in the kernel, and the CPU
    // reads rsp0 only on a privilege change.
    unsafe { (*TSS.0.get()).privilege_stack_table[0] = VirtAddr::new(top) };
}
