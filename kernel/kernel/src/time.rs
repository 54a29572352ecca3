//! Time: each CPU's local-APIC timer at [`HZ`] for preemption and sleeps,
//! the TSC calibrated against PIT channel 2 for MONOTONIC, the CMOS RTC read
//! once at boot for REALTIME.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::arch::cpu::rdtsc;
use crate::drivers::port::{inb, outb};

/// Timer interrupts per second (sleep resolution is one tick).
pub const HZ: u64 = 1000;
/// How long a task runs in user mode before it may be preempted.
pub const SLICE_NS: u64 = 10_000_000;
/// The shortest time between two runs of the tick's system-wide work
/// (every CPU's timer calls [`tick`]).
const TICK_NS: u64 = 1_000_000_000 / HZ;
const PIT_HZ: u64 = 1_193_182;

static TSC_PER_MS: AtomicU64 = AtomicU64::new(1_000_000);
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static BOOT_EPOCH_NS: AtomicU64 = AtomicU64::new(0);
static LAST_TICK_NS: AtomicU64 = AtomicU64::new(0);

/// Remembers the kernel entry TSC (call first thing).
pub fn mark_boot() {
    BOOT_TSC.store(rdtsc(), Ordering::Relaxed);
}

/// TSC ticks since kernel entry.
pub fn tsc_since_boot() -> u64 {
    rdtsc().wrapping_sub(BOOT_TSC.load(Ordering::Relaxed))
}

/// The PIT channel 2 window the TSC and the local-APIC timer are both
/// measured over (5 ms is 5,965 PIT ticks: one tick is 0.02 %).
const CALIBRATION_MS: u64 = 5;

/// Calibrates the TSC and the local-APIC timer over one window of PIT
/// channel 2, and reads the RTC. Each CPU starts its own timer
/// ([`start_cpu_timer`]).
pub fn init() {
    let count = (PIT_HZ * CALIBRATION_MS / 1000) as u16;
    let gate = inb(0x61);
    outb(0x61, (gate & !0x02) | 0x01);
    outb(0x43, 0xB0);
    outb(0x42, count as u8);
    outb(0x42, (count >> 8) as u8);
    crate::arch::apic::start_calibration();
    let start = rdtsc();
    let mut spins = 0u64;
    while inb(0x61) & 0x20 == 0 && spins < 50_000_000 {
        spins += 1;
    }
    let elapsed = rdtsc().wrapping_sub(start);
    crate::arch::apic::finish_calibration(CALIBRATION_MS * 1000);
    outb(0x61, gate);
    if elapsed > 10_000 {
        TSC_PER_MS.store(elapsed / CALIBRATION_MS, Ordering::Relaxed);
    }
    BOOT_EPOCH_NS.store(
        rtc_epoch_secs()
            .saturating_mul(1_000_000_000)
            .saturating_sub(monotonic_ns()),
        Ordering::Relaxed,
    );
}

/// The calibrated TSC rate.
pub fn tsc_per_ms() -> u64 {
    TSC_PER_MS.load(Ordering::Relaxed)
}

/// Nanoseconds since kernel entry.
pub fn monotonic_ns() -> u64 {
    (tsc_since_boot() as u128 * 1_000_000 / tsc_per_ms() as u128) as u64
}

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    BOOT_EPOCH_NS.load(Ordering::Relaxed) + monotonic_ns()
}

/// Starts this CPU's periodic timer interrupt.
pub fn start_cpu_timer() {
    crate::arch::apic::start_timer(crate::arch::idt::TIMER_VECTOR, HZ);
}

/// Claims the system-wide tick due at `now`, without the kernel lock:
/// true for one caller per [`TICK_NS`] whichever CPU's timer fired, and
/// that caller then runs [`tick`] once it holds the lock.
pub fn claim_tick(now: u64) -> bool {
    let last = LAST_TICK_NS.load(Ordering::Relaxed);
    now.saturating_sub(last) >= TICK_NS * 9 / 10
        && LAST_TICK_NS
            .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
}

/// The system-wide work of a tick claimed at `now` ([`claim_tick`]): wake
/// sleepers whose time has come, fire alarms and timerfds, run the network stack's
/// timers, poll the console. Called with the big kernel lock held.
pub fn tick(now: u64) {
    crate::task::sched::wake_sleepers(now);
    crate::task::alarm::tick(now);
    crate::fs::timerfd::tick(now);
    crate::net::tick(now);
    crate::fs::devices::poll_console();
}

/// Runs [`tick`] if it is due and nobody claimed it (kernel lock held).
pub fn tick_if_due() {
    let now = monotonic_ns();
    if claim_tick(now) {
        tick(now);
    }
}

fn cmos(reg: u8) -> u8 {
    outb(0x70, reg);
    inb(0x71)
}

fn bcd(v: u8, binary: bool) -> u64 {
    if binary {
        v as u64
    } else {
        ((v >> 4) * 10 + (v & 0xF)) as u64
    }
}

/// Seconds since the epoch from the CMOS RTC (UTC).
fn rtc_epoch_secs() -> u64 {
    for _ in 0..1_000_000 {
        if cmos(0x0A) & 0x80 == 0 {
            break;
        }
    }
    let status_b = cmos(0x0B);
    let binary = status_b & 0x04 != 0;
    let sec = bcd(cmos(0x00), binary);
    let min = bcd(cmos(0x02), binary);
    let hour_raw = cmos(0x04);
    let mut hour = bcd(hour_raw & 0x7F, binary);
    if status_b & 0x02 == 0 && hour_raw & 0x80 != 0 {
        hour = (hour % 12) + 12;
    }
    let day = bcd(cmos(0x07), binary);
    let month = bcd(cmos(0x08), binary);
    let year = 2000 + bcd(cmos(0x09), binary);
    days_from_civil(year as i64, month as i64, day as i64) as u64 * 86400
        + hour * 3600
        + min * 60
        + sec
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
