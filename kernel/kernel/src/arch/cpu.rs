//! Small CPU primitives: TSC, RDRAND, FS base, halting.

use x86_64::registers::model_specific::FsBase;
use x86_64::VirtAddr;

/// Reads the time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// A 64-bit hardware random number, if the CPU has RDRAND and it delivers.
pub fn rdrand() -> Option<u64> {
    let has = {
        let r = core::arch::x86_64::__cpuid(1);
        r.ecx & (1 << 30) != 0
    };
    if !has {
        return None;
    }
    for _ in 0..16 {
        let mut v: u64 = 0;
        let ok: u8;
        // SAFETY: RDRAND only writes the named register and flags.
        unsafe {
            core::arch::asm!("rdrand {v}", "setc {ok}", v = inout(reg) v, ok = out(reg_byte) ok, options(nomem, nostack));
        }
        if ok != 0 {
            return Some(v);
        }
    }
    None
}

/// Sets the user FS base (TLS pointer).
pub fn set_fs_base(v: u64) {
    FsBase::write(VirtAddr::new_truncate(v));
}

/// Waits for the next interrupt with interrupts enabled, then disables them.
pub fn idle() {
    x86_64::instructions::interrupts::enable_and_hlt();
    x86_64::instructions::interrupts::disable();
}
