//! The IDT: CPU exceptions (a fault in user mode kills the process with the
//! matching signal; in the kernel it is fatal), each CPU's local-APIC timer,
//! and the inter-processor interrupts of [`crate::smp`]. The 8259 PIC is
//! remapped away from the exception vectors and fully masked.
//!
//! A handler that interrupted user mode takes the big kernel lock before it
//! touches kernel state and gives it back on its way out; handlers that can
//! interrupt the kernel (timer in idle, IPIs) never take it.

use crate::drivers::port::outb;
use veridian_syscall::signal::{SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP};
use x86_64::registers::control::Cr2;
use x86_64::structures::idt::{InterruptDescriptorTable, InterruptStackFrame, PageFaultErrorCode};

use super::gdt::DOUBLE_FAULT_IST;

pub const TIMER_VECTOR: u8 = 32;
/// Wakes an idle CPU to look at the run queue.
pub const RESCHEDULE_VECTOR: u8 = 0xF0;
/// Asks a CPU to flush its TLB ([`crate::smp::flush_others`]).
pub const TLB_FLUSH_VECTOR: u8 = 0xF1;

static IDT: spin::Once<InterruptDescriptorTable> = spin::Once::new();

/// Builds the IDT (once) and loads it on this CPU.
pub fn load() {
    let idt = IDT.call_once(|| {
        let mut idt = InterruptDescriptorTable::new();
        idt.divide_error.set_handler_fn(divide_error);
        idt.debug.set_handler_fn(debug);
        idt.breakpoint
            .set_handler_fn(breakpoint)
            .set_privilege_level(x86_64::PrivilegeLevel::Ring3);
        idt.overflow.set_handler_fn(overflow);
        idt.bound_range_exceeded.set_handler_fn(bound_range);
        idt.invalid_opcode.set_handler_fn(invalid_opcode);
        idt.device_not_available
            .set_handler_fn(device_not_available);
        idt.invalid_tss.set_handler_fn(invalid_tss);
        idt.segment_not_present.set_handler_fn(segment_not_present);
        idt.stack_segment_fault.set_handler_fn(stack_segment);
        idt.general_protection_fault
            .set_handler_fn(general_protection);
        idt.page_fault.set_handler_fn(page_fault);
        idt.x87_floating_point.set_handler_fn(x87_fp);
        idt.alignment_check.set_handler_fn(alignment_check);
        idt.simd_floating_point.set_handler_fn(simd_fp);
        // SAFETY: the IST index names the double-fault stack set up in gdt.
        unsafe {
            idt.double_fault
                .set_handler_fn(double_fault)
                .set_stack_index(DOUBLE_FAULT_IST);
        }
        // SAFETY: `timer_entry` is an interrupt entry written in assembly
        // (entry.rs) that saves what it uses and returns with IRETQ.
        unsafe {
            idt[TIMER_VECTOR]
                .set_handler_addr(x86_64::VirtAddr::new(super::entry::timer_entry_addr()));
        }
        for v in 33..48u8 {
            idt[v].set_handler_fn(spurious_pic_irq);
        }
        idt[RESCHEDULE_VECTOR].set_handler_fn(reschedule_ipi);
        idt[TLB_FLUSH_VECTOR].set_handler_fn(tlb_flush_ipi);
        idt[super::apic::SPURIOUS_VECTOR].set_handler_fn(spurious_apic);
        idt
    });
    idt.load();
}

/// Moves the 8259 PIC's vectors to 32..48 and masks every line (the local
/// APIC delivers the timer).
pub fn disable_pic() {
    outb(0x20, 0x11);
    outb(0xA0, 0x11);
    outb(0x21, 32);
    outb(0xA1, 40);
    outb(0x21, 4);
    outb(0xA1, 2);
    outb(0x21, 0x01);
    outb(0xA1, 0x01);
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

fn from_user(frame: &InterruptStackFrame) -> bool {
    frame.code_segment.rpl() == x86_64::PrivilegeLevel::Ring3
}

/// A user fault kills the process; a kernel fault stops the machine.
fn fault(name: &str, frame: &InterruptStackFrame, signal: i32, detail: u64) {
    if from_user(frame) {
        crate::smp::enter_kernel();
        crate::kprintln!(
            "veridian: pid {} {} at rip {:#x} (addr/code {:#x}): killed by signal {}",
            crate::task::current_pid(),
            name,
            frame.instruction_pointer.as_u64(),
            detail,
            signal
        );
        crate::task::exit::kill_current_by_signal(signal);
    }
    crate::fatal(format_args!(
        "kernel {} at rip {:#x} (addr/code {:#x})",
        name,
        frame.instruction_pointer.as_u64(),
        detail
    ));
}

extern "x86-interrupt" fn divide_error(f: InterruptStackFrame) {
    fault("divide error", &f, SIGFPE, 0);
}
extern "x86-interrupt" fn debug(f: InterruptStackFrame) {
    fault("debug trap", &f, SIGTRAP, 0);
}
extern "x86-interrupt" fn breakpoint(f: InterruptStackFrame) {
    fault("breakpoint", &f, SIGTRAP, 0);
}
extern "x86-interrupt" fn overflow(f: InterruptStackFrame) {
    fault("overflow", &f, SIGSEGV, 0);
}
extern "x86-interrupt" fn bound_range(f: InterruptStackFrame) {
    fault("bound range", &f, SIGSEGV, 0);
}
extern "x86-interrupt" fn invalid_opcode(f: InterruptStackFrame) {
    fault("invalid opcode", &f, SIGILL, 0);
}
extern "x86-interrupt" fn device_not_available(f: InterruptStackFrame) {
    fault("device not available", &f, SIGFPE, 0);
}
extern "x86-interrupt" fn invalid_tss(f: InterruptStackFrame, c: u64) {
    fault("invalid TSS", &f, SIGSEGV, c);
}
extern "x86-interrupt" fn segment_not_present(f: InterruptStackFrame, c: u64) {
    fault("segment not present", &f, SIGBUS, c);
}
extern "x86-interrupt" fn stack_segment(f: InterruptStackFrame, c: u64) {
    fault("stack segment fault", &f, SIGBUS, c);
}
extern "x86-interrupt" fn general_protection(f: InterruptStackFrame, c: u64) {
    fault("general protection fault", &f, SIGSEGV, c);
}
extern "x86-interrupt" fn x87_fp(f: InterruptStackFrame) {
    fault("x87 FP exception", &f, SIGFPE, 0);
}
extern "x86-interrupt" fn alignment_check(f: InterruptStackFrame, c: u64) {
    fault("alignment check", &f, SIGBUS, c);
}
extern "x86-interrupt" fn simd_fp(f: InterruptStackFrame) {
    fault("SIMD FP exception", &f, SIGFPE, 0);
}
extern "x86-interrupt" fn double_fault(f: InterruptStackFrame, _c: u64) -> ! {
    crate::fatal(format_args!(
        "double fault at rip {:#x}",
        f.instruction_pointer.as_u64()
    ));
}

extern "x86-interrupt" fn page_fault(f: InterruptStackFrame, code: PageFaultErrorCode) {
    let addr = Cr2::read_raw();
    if from_user(&f) {
        crate::smp::enter_kernel();
        let probe = crate::stats::Probe::start_task();
        let write = code.contains(PageFaultErrorCode::CAUSED_BY_WRITE);
        let ok = !code.contains(PageFaultErrorCode::INSTRUCTION_FETCH) || {
            // Executing needs an executable region.
            let mm = crate::task::current_mm();
            let m = mm.lock();
            m.find(addr)
                .map(|(_, v)| v.prot & veridian_syscall::mman::PROT_EXEC != 0)
                .unwrap_or(false)
        };
        let handled = if ok {
            crate::task::current_mm().lock().handle_fault(addr, write)
        } else {
            None
        };
        if let Some(fault) = handled {
            probe.work(crate::stats::Work::PageFault(fault), 0);
        }
        crate::smp::leave_kernel();
        if handled.is_some() {
            return;
        }
    }
    if !from_user(&f) || crate::log::enabled(7) {
        crate::kprintln!(
            "veridian: page fault code {:#x} cs {:#x} rsp {:#x}",
            code.bits(),
            f.code_segment.0,
            f.stack_pointer.as_u64()
        );
    }
    fault("page fault", &f, SIGSEGV, addr);
}

/// Timer tick that interrupted user mode. Most ticks need nothing of the
/// kernel (no CPU asked for this one's attention, another CPU has the
/// system-wide tick, the slice is not over) and return at once; the others take the
/// big kernel lock, may switch tasks, then check for a fatal or handled
/// signal. Returns whether it took the lock (`trap_return` gives it back).
#[no_mangle]
extern "C" fn timer_from_user(f: &mut super::entry::TrapFrame) -> bool {
    super::apic::eoi();
    let now = crate::time::monotonic_ns();
    let tick = crate::time::claim_tick(now);
    let wanted = tick || crate::smp::take_attention() || crate::task::sched::slice_over(now);
    if !wanted {
        return false;
    }
    crate::smp::enter_kernel();
    if tick {
        crate::time::tick(now);
    }
    crate::task::sched::preempt();
    crate::syscall::before_user_return(f);
    true
}

/// Timer tick that interrupted the kernel: its idle loop, or a wait for
/// the big kernel lock. The tick's work is left to the lock's next holder.
#[no_mangle]
extern "C" fn timer_from_kernel() {
    super::apic::eoi();
}

extern "x86-interrupt" fn reschedule_ipi(_f: InterruptStackFrame) {
    super::apic::eoi();
}

extern "x86-interrupt" fn tlb_flush_ipi(_f: InterruptStackFrame) {
    crate::mm::paging::flush_all();
    crate::smp::tlb_flushed();
    super::apic::eoi();
}

extern "x86-interrupt" fn spurious_apic(_f: InterruptStackFrame) {}

extern "x86-interrupt" fn spurious_pic_irq(_f: InterruptStackFrame) {
    outb(0xA0, 0x20);
    outb(0x20, 0x20);
}
