//! Power off through QEMU's isa-debug-exit device (port 0xf4): QEMU exits
//! with `(status << 1) | 1`.

use x86_64::instructions::port::Port;

/// Status written when the kernel itself fails (QEMU exit code 255).
pub const FATAL_STATUS: u8 = 0x7f;

/// Writes `status` to isa-debug-exit, then halts forever (without the
/// device, e.g. on real hardware, the machine just stops).
pub fn power_off(status: u8) -> ! {
    crate::stats::print_report();
    crate::kprintln!("veridian: power off");
    // SAFETY: port 0xf4 is the debug-exit device; the write has no effect on
    // memory and, under QEMU, ends the VM.
    unsafe { Port::<u32>::new(0xf4).write(status as u32) };
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}
