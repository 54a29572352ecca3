//! Several CPUs. User mode runs on every CPU at once; the kernel runs on
//! one CPU at a time, under the big kernel lock taken on every entry from
//! user mode ([`enter_kernel`]) and given back on the way out
//! ([`leave_kernel`]) — so the rest of the kernel keeps the single-CPU
//! reasoning it was written with: interrupts are off in the kernel and
//! nothing else runs kernel code meanwhile. Blocking hands the lock over
//! with the CPU (`task::sched`); an idle CPU gives it back while it halts.
//!
//! Cross-CPU duties live here too: waking an idle CPU when a task becomes
//! runnable, and flushing other CPUs' TLBs after page-table changes.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use x86_64::instructions::interrupts;

use crate::arch::{apic, gdt, idt};

/// The most CPUs the kernel drives (QEMU's `-smp` beyond this runs on
/// the first ones).
pub const MAX_CPUS: usize = 16;
const NOBODY: usize = usize::MAX;

/// The big kernel lock: the index of the CPU holding it, or [`NOBODY`].
static HOLDER: AtomicUsize = AtomicUsize::new(NOBODY);
/// CPUs halted in [`enter_kernel`] until the lock is given back (bit i =
/// CPU i).
static LOCK_SLEEPERS: AtomicU32 = AtomicU32::new(0);

static ONLINE: AtomicUsize = AtomicUsize::new(1);
static APIC_IDS: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];
/// Set by [`request_attention`]; see [`take_attention`].
static ATTENTION: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
static IDLE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
static TLB_PENDING: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// The page-table root each CPU has loaded.
static ACTIVE_ROOT: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// The index of the running CPU (0 = the boot CPU).
pub fn cpu() -> usize {
    gdt::cpu_index()
}

/// How many CPUs run tasks.
pub fn online() -> usize {
    ONLINE.load(Ordering::Acquire)
}

/// Takes the big kernel lock (interrupts off; waiting with them on, so
/// that this CPU still answers TLB flushes and timer ticks).
///
/// Under QEMU the virtual CPUs are host threads, often more of them than
/// host cores, so a waiter that spins takes host time from the holder.
/// A waiter therefore spins only briefly, then halts until the holder's
/// [`leave_kernel`] wakes it with an IPI (or its next timer tick does).
/// Whichever waiter runs first takes the lock: a FIFO ticket lock would
/// hand it to a waiter whose thread the host is not running, stalling
/// every CPU (at `-smp 4` on 2 host cores the hostile suite's fork storm
/// took minutes that way).
pub fn enter_kernel() {
    let me = cpu();
    if HOLDER.load(Ordering::Relaxed) == me {
        crate::fatal(format_args!("CPU {} entered the kernel twice", me));
    }
    if try_take_lock(me) {
        return;
    }
    let waited = crate::stats::Probe::start();
    loop {
        for _ in 0..LOCK_SPINS {
            if try_take_lock(me) {
                waited.work(crate::stats::Work::LockWait, 0);
                return;
            }
            interrupts::enable();
            core::hint::spin_loop();
            interrupts::disable();
        }
        // Registered before the last look, so that a release after that
        // look sees this CPU and wakes it.
        LOCK_SLEEPERS.fetch_or(1 << me, Ordering::SeqCst);
        if HOLDER.load(Ordering::SeqCst) != NOBODY {
            interrupts::enable_and_hlt();
            interrupts::disable();
        }
        LOCK_SLEEPERS.fetch_and(!(1 << me), Ordering::SeqCst);
    }
}

/// How often [`enter_kernel`] tries for the lock before it halts.
const LOCK_SPINS: usize = 1000;

fn try_take_lock(me: usize) -> bool {
    HOLDER.load(Ordering::Relaxed) == NOBODY
        && HOLDER
            .compare_exchange(NOBODY, me, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok()
}

/// Gives the big kernel lock back (on the way to user mode or idling) and
/// wakes one CPU halted waiting for it.
pub fn leave_kernel() {
    HOLDER.store(NOBODY, Ordering::SeqCst);
    let sleepers = LOCK_SLEEPERS.load(Ordering::SeqCst);
    if sleepers != 0 {
        let c = sleepers.trailing_zeros() as usize;
        apic::send_ipi(APIC_IDS[c].load(Ordering::Relaxed), idt::RESCHEDULE_VECTOR);
    }
}

/// Asks CPU `c` to enter the kernel at its next timer tick, or at once
/// when it is idle: something it runs or could run changed.
fn request_attention(c: usize) {
    ATTENTION[c].store(true, Ordering::SeqCst);
}

/// Asks every other CPU to look at its task at its next tick (a signal or
/// kill may be for the task one of them runs).
pub fn request_attention_everywhere() {
    let me = cpu();
    for c in (0..online()).filter(|&c| c != me) {
        request_attention(c);
    }
}

/// Whether someone asked this CPU to enter the kernel (and clears the
/// request).
pub fn take_attention() -> bool {
    ATTENTION[cpu()].swap(false, Ordering::SeqCst)
}

/// The boot CPU's part: remembers its APIC id and takes the lock for the
/// rest of the boot.
pub fn init_boot_cpu() {
    apic::enable();
    APIC_IDS[0].store(apic::id(), Ordering::Relaxed);
    ACTIVE_ROOT[0].store(crate::mm::paging::kernel_pml4(), Ordering::Relaxed);
    idt::disable_pic();
    enter_kernel();
}

/// Starts every other processor the firmware lists (at most
/// [`MAX_CPUS`] in all, fewer if `limit` says so); `acpi_regions` are the
/// boot memory map's ACPI ranges. Needs the boot
/// identity map; the APs wait for the big kernel lock, which the boot
/// CPU holds until it first enters user mode.
pub fn start_aps(limit: usize, acpi_regions: &[veridian_kcore::multiboot::Region]) {
    let me = APIC_IDS[0].load(Ordering::Relaxed);
    let Some(ids) = crate::drivers::acpi::processor_apic_ids(acpi_regions) else {
        crate::kprintln!("veridian: no ACPI MADT: running on one CPU");
        return;
    };
    let others: alloc::vec::Vec<u32> = ids
        .into_iter()
        .filter(|&id| id != me)
        .take(limit.clamp(1, MAX_CPUS) - 1)
        .collect();
    let up = crate::arch::ap_boot::start(&others);
    for &(index, id) in &up {
        APIC_IDS[index].store(id, Ordering::Relaxed);
    }
    ONLINE.store(1 + up.len(), Ordering::Release);
}

/// An AP's last step of bring-up (on its own stack, GDT, IDT and APIC
/// set up): wait for the kernel lock, start the timer, idle.
pub fn ap_ready(index: usize) -> ! {
    ACTIVE_ROOT[index].store(crate::mm::paging::kernel_pml4(), Ordering::Relaxed);
    enter_kernel();
    crate::time::start_cpu_timer();
    crate::task::sched::idle_loop()
}

/// Marks this CPU idle (or not); idle CPUs are the ones [`kick_idle_cpu`]
/// wakes.
pub fn set_idle(idle: bool) {
    IDLE[cpu()].store(idle, Ordering::SeqCst);
}

/// Wakes one idle CPU other than this one to look at the run queue.
pub fn kick_idle_cpu() {
    let me = cpu();
    for c in 0..online() {
        if c != me && IDLE[c].load(Ordering::SeqCst) {
            request_attention(c);
            apic::send_ipi(APIC_IDS[c].load(Ordering::Relaxed), idt::RESCHEDULE_VECTOR);
            return;
        }
    }
}

/// Records the page-table root this CPU just loaded.
pub fn set_active_root(root: u64) {
    ACTIVE_ROOT[cpu()].store(root, Ordering::SeqCst);
}

/// Flushes the TLB of every other CPU that has `root` loaded and waits
/// until they have (caller holds the kernel lock, so the set of CPUs with
/// `root` loaded cannot change meanwhile).
pub fn flush_others(root: u64) {
    let me = cpu();
    let n = online();
    let mut asked = false;
    for c in 0..n {
        if c != me && ACTIVE_ROOT[c].load(Ordering::SeqCst) == root {
            TLB_PENDING[c].store(true, Ordering::SeqCst);
            apic::send_ipi(APIC_IDS[c].load(Ordering::Relaxed), idt::TLB_FLUSH_VECTOR);
            asked = true;
        }
    }
    if !asked {
        return;
    }
    for (c, pending) in TLB_PENDING.iter().enumerate().take(n) {
        let mut spins = 0u64;
        while pending.load(Ordering::SeqCst) {
            spins += 1;
            if spins == 1 << 32 {
                crate::fatal(format_args!("CPU {} does not answer a TLB flush", c));
            }
            core::hint::spin_loop();
        }
    }
}

/// Called by the TLB-flush interrupt handler after flushing.
pub fn tlb_flushed() {
    TLB_PENDING[cpu()].store(false, Ordering::SeqCst);
}
