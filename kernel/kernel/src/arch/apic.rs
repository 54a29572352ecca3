//! The local APIC in xAPIC mode: end of interrupt, the per-CPU periodic
//! timer that drives preemption, and inter-processor interrupts (INIT,
//! STARTUP and fixed vectors). The legacy 8259 PIC stays masked.
//!
//! Written here rather than taken from a crate: the kernel uses eight
//! registers of the memory-mapped page, reached through the direct map.

use core::sync::atomic::{AtomicU32, Ordering};
use x86_64::registers::model_specific::Msr;

const IA32_APIC_BASE: u32 = 0x1B;
const APIC_BASE_ENABLE: u64 = 1 << 11;

const REG_ID: usize = 0x20;
const REG_EOI: usize = 0xB0;
const REG_SVR: usize = 0xF0;
const REG_ICR_LOW: usize = 0x300;
const REG_ICR_HIGH: usize = 0x310;
const REG_LVT_TIMER: usize = 0x320;
const REG_TIMER_INIT: usize = 0x380;
const REG_TIMER_CURRENT: usize = 0x390;
const REG_TIMER_DIVIDE: usize = 0x3E0;

const SVR_ENABLE: u32 = 1 << 8;
const LVT_MASKED: u32 = 1 << 16;
const LVT_PERIODIC: u32 = 1 << 17;
/// Divide configuration 0b0011: the timer counts at bus clock / 16.
const DIVIDE_BY_16: u32 = 0b0011;
const ICR_DELIVERY_PENDING: u32 = 1 << 12;
const ICR_LEVEL_ASSERT: u32 = 1 << 14;
const ICR_INIT: u32 = 0b101 << 8;
const ICR_STARTUP: u32 = 0b110 << 8;

/// The vector every spurious local-APIC interrupt arrives on.
pub const SPURIOUS_VECTOR: u8 = 0xFF;

/// Timer counts per millisecond at [`DIVIDE_BY_16`], measured by
/// [`finish_calibration`] on the boot CPU (every CPU's APIC runs at the same rate).
static COUNTS_PER_MS: AtomicU32 = AtomicU32::new(0);

fn base() -> u64 {
    // SAFETY: IA32_APIC_BASE exists on every x86_64 CPU; reading it has no
    // side effects.
    let v = unsafe { Msr::new(IA32_APIC_BASE).read() };
    v & 0x000F_FFFF_FFFF_F000
}

fn reg(offset: usize) -> *mut u32 {
    // The register page lies below 4 GiB, inside the boot direct map.
    (crate::mm::phys_to_virt(base()) as usize + offset) as *mut u32
}

fn read(offset: usize) -> u32 {
    // SAFETY: `offset` is one of the architectural register offsets above,
    // inside the APIC's register page, mapped by the direct map.
    unsafe { reg(offset).read_volatile() }
}

fn write(offset: usize, v: u32) {
    // SAFETY: as in `read`; these registers are written as 32-bit words.
    unsafe { reg(offset).write_volatile(v) }
}

/// Enables this CPU's local APIC (software enable, spurious vector).
pub fn enable() {
    // SAFETY: setting the global enable bit keeps the base address; the
    // APIC page is not otherwise used by the kernel.
    unsafe {
        let mut msr = Msr::new(IA32_APIC_BASE);
        let v = msr.read();
        msr.write(v | APIC_BASE_ENABLE);
    }
    write(REG_SVR, SVR_ENABLE | SPURIOUS_VECTOR as u32);
}

/// This CPU's APIC id.
pub fn id() -> u32 {
    read(REG_ID) >> 24
}

/// Signals the end of the interrupt being handled.
pub fn eoi() {
    write(REG_EOI, 0);
}

/// Starts the timer counting down from the top, masked, for
/// [`finish_calibration`] (boot CPU, once).
pub fn start_calibration() {
    write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REG_LVT_TIMER, LVT_MASKED);
    write(REG_TIMER_INIT, u32::MAX);
}

/// Records the timer's rate from what it counted in the `window_us`
/// microseconds since [`start_calibration`], and stops it.
pub fn finish_calibration(window_us: u64) {
    let counted = u64::from(u32::MAX - read(REG_TIMER_CURRENT));
    write(REG_TIMER_INIT, 0);
    let per_ms = (counted * 1000 / window_us.max(1)).clamp(1, u64::from(u32::MAX));
    COUNTS_PER_MS.store(per_ms as u32, Ordering::Relaxed);
}

/// Starts this CPU's periodic timer on `vector`, `hz` times a second.
pub fn start_timer(vector: u8, hz: u64) {
    let per_ms = COUNTS_PER_MS.load(Ordering::Relaxed) as u64;
    let count = (per_ms * 1000 / hz).clamp(1, u32::MAX as u64) as u32;
    write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REG_LVT_TIMER, LVT_PERIODIC | vector as u32);
    write(REG_TIMER_INIT, count);
}

fn send(apic_id: u32, command: u32) {
    write(REG_ICR_HIGH, apic_id << 24);
    write(REG_ICR_LOW, command);
    while read(REG_ICR_LOW) & ICR_DELIVERY_PENDING != 0 {
        core::hint::spin_loop();
    }
}

/// Sends a fixed interrupt `vector` to the CPU with `apic_id`.
pub fn send_ipi(apic_id: u32, vector: u8) {
    send(apic_id, ICR_LEVEL_ASSERT | vector as u32);
}

/// Sends INIT to the CPU with `apic_id` (it waits for STARTUP).
pub fn send_init(apic_id: u32) {
    send(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
}

/// Sends STARTUP: the CPU begins in real mode at `page * 4096`.
pub fn send_startup(apic_id: u32, page: u8) {
    send(apic_id, ICR_STARTUP | ICR_LEVEL_ASSERT | page as u32);
}
