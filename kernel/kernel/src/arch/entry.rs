//! Entry and exit paths: the SYSCALL entry (a [`TrapFrame`] on the task's
//! kernel stack, returned through IRETQ), kernel-stack switching between
//! tasks, and FPU/SSE state save/restore.
//!
//! Every path back to user mode goes through `trap_return`, which gives up
//! the big kernel lock ([`crate::smp`]) before restoring user registers —
//! except a timer tick that never took it (`trap_return_unlocked`).
//! In the kernel GS keeps the user's base; the SYSCALL entry swaps in this
//! CPU's [`SyscallScratch`] only for the few instructions that find the
//! kernel stack.

use core::arch::global_asm;
use core::cell::UnsafeCell;
use x86_64::registers::model_specific::{KernelGsBase, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;
use x86_64::structures::gdt::SegmentSelector;
use x86_64::VirtAddr;

use super::gdt::{KERNEL_CS, KERNEL_DS, USER_CS, USER_DS};

/// User registers saved at syscall entry (the layout the assembly pushes).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub rcx: u64,
    pub r9: u64,
    pub r8: u64,
    pub r10: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    /// A frame that enters user mode at `rip` with stack `rsp`.
    pub fn user(rip: u64, rsp: u64) -> Self {
        TrapFrame {
            rip,
            rsp,
            cs: USER_CS as u64,
            ss: USER_DS as u64,
            rflags: 0x202,
            ..Default::default()
        }
    }
}

/// Where the SYSCALL entry finds this CPU's kernel stack (through the
/// kernel GS base) and parks the user stack pointer meanwhile.
#[repr(C)]
struct SyscallScratch {
    kernel_rsp: UnsafeCell<u64>,
    user_rsp: UnsafeCell<u64>,
}

// SAFETY: each CPU touches only its own entry (`set_kernel_stack` on that
// CPU with interrupts disabled, and the entry code of that CPU).
unsafe impl Sync for SyscallScratch {}

static SCRATCH: [SyscallScratch; crate::smp::MAX_CPUS] = [const {
    SyscallScratch {
        kernel_rsp: UnsafeCell::new(0),
        user_rsp: UnsafeCell::new(0),
    }
}; crate::smp::MAX_CPUS];

// SAFETY: the entry code runs with interrupts masked (SFMASK clears IF) on
// the kernel stack in this CPU's `SyscallScratch` (GS swapped in for four
// instructions); it saves every user register it touches and returns
// through IRETQ with a frame built from them, after `return_to_user`.
global_asm!(
    r#"
.section .text
.global syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:8
    mov %gs:0, %rsp
    push ${user_ds}
    push %gs:8
    swapgs
    push %r11
    push ${user_cs}
    push %rcx
    push %rax
    push %rdi
    push %rsi
    push %rdx
    push %r10
    push %r8
    push %r9
    push %rcx
    push %r11
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call syscall_dispatch
.global trap_return
trap_return:
    call return_to_user
trap_return_unlocked:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    pop %r11
    pop %rcx
    pop %r9
    pop %r8
    pop %r10
    pop %rdx
    pop %rsi
    pop %rdi
    pop %rax
    iretq

/* Timer (IRQ 0). From user mode: a full TrapFrame, so the scheduler may
   switch and a signal handler may be entered on the way out. From the
   kernel (only the idle loop runs with interrupts on): scratch registers. */
.global timer_entry
timer_entry:
    testb $3, 8(%rsp)
    jz 1f
    push %rax
    push %rdi
    push %rsi
    push %rdx
    push %r10
    push %r8
    push %r9
    push %rcx
    push %r11
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call timer_from_user
    test %al, %al
    jnz trap_return
    jmp trap_return_unlocked
1:
    push %rax
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    cld
    call timer_from_kernel
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rax
    iretq

/* switch_stacks(save: *mut u64, load: u64) */
.global switch_stacks
switch_stacks:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
"#,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    options(att_syntax)
);

extern "C" {
    fn syscall_entry();
    fn trap_return();
    fn timer_entry();
    fn switch_stacks(save: *mut u64, load: u64);
}

/// Address of the timer interrupt entry (for the IDT).
pub fn timer_entry_addr() -> u64 {
    timer_entry as *const () as u64
}

/// Programs this CPU's SYSCALL MSRs and its kernel GS base (CPU `index`).
pub fn init(index: usize) {
    KernelGsBase::write(VirtAddr::new(core::ptr::addr_of!(SCRATCH[index]) as u64));
    Star::write(
        SegmentSelector(USER_CS),
        SegmentSelector(USER_DS),
        SegmentSelector(KERNEL_CS),
        SegmentSelector(KERNEL_DS),
    )
    .expect("GDT layout matches SYSRET's expectations");
    LStar::write(VirtAddr::new(syscall_entry as *const () as u64));
    SFMask::write(
        RFlags::INTERRUPT_FLAG
            | RFlags::DIRECTION_FLAG
            | RFlags::TRAP_FLAG
            | RFlags::ALIGNMENT_CHECK,
    );
}

/// Called by `syscall_entry` with the saved user registers.
#[no_mangle]
extern "C" fn syscall_dispatch(f: &mut TrapFrame) {
    crate::smp::enter_kernel();
    crate::syscall::syscall_dispatch(f)
}

/// Called by `trap_return` just before user registers are restored.
#[no_mangle]
extern "C" fn return_to_user() {
    crate::smp::leave_kernel();
}

/// Makes `top` this CPU's stack for syscalls and interrupts from user mode.
pub fn set_kernel_stack(top: u64) {
    let scratch = &SCRATCH[super::gdt::cpu_index()];
    // SAFETY: only this CPU's entry code reads its scratch, and it cannot
    // run concurrently with this store (interrupts are off in the kernel).
    unsafe { *scratch.kernel_rsp.get() = top };
    super::gdt::set_kernel_stack(top);
}

/// Prepares a new task's kernel stack so that switching to it enters user
/// mode with `frame`. Returns the initial saved stack pointer.
fn prepare_stack(stack_top: u64, frame: &TrapFrame) -> u64 {
    let tf_size = core::mem::size_of::<TrapFrame>() as u64;
    let tf_addr = (stack_top - tf_size) & !15;
    let sw = tf_addr - 7 * 8;
    // SAFETY: the caller passes the top of a fresh, exclusively owned kernel
    // stack with room for the frame and the seven switch slots.
    unsafe {
        core::ptr::write(tf_addr as *mut TrapFrame, *frame);
        let slots = sw as *mut u64;
        for i in 0..6 {
            slots.add(i).write(0);
        }
        slots.add(6).write(trap_return as *const () as u64);
    }
    sw
}

/// Saves the current stack in `*save` and continues on `load`.
fn switch(save: *mut u64, load: u64) {
    // SAFETY: `save` points into the current task (kept alive by the
    // scheduler) and `load` was produced by `switch` or `prepare_stack`.
    unsafe { switch_stacks(save, load) }
}

/// 512-byte FXSAVE area.
#[repr(C, align(16))]
#[derive(Clone)]
pub struct FpuState(pub [u8; 512]);

impl FpuState {
    /// The power-on state (x87 default control word, MXCSR 0x1f80).
    pub fn initial() -> Self {
        let mut s = FpuState([0; 512]);
        s.0[0..2].copy_from_slice(&0x037Fu16.to_le_bytes());
        s.0[24..28].copy_from_slice(&0x1F80u32.to_le_bytes());
        s.0[28..32].copy_from_slice(&0xFFFFu32.to_le_bytes());
        s
    }

    /// An image of the live FPU registers.
    pub fn live() -> Self {
        let mut s = FpuState([0; 512]);
        s.save();
        s
    }

    /// Makes an image from user memory safe for FXRSTOR: MXCSR bits the
    /// CPU does not support are cleared (they would fault in the kernel).
    pub fn sanitize(&mut self) {
        let live = FpuState::live();
        let mut mask = u32::from_le_bytes([live.0[28], live.0[29], live.0[30], live.0[31]]);
        if mask == 0 {
            mask = 0xFFBF;
        }
        let mx = u32::from_le_bytes([self.0[24], self.0[25], self.0[26], self.0[27]]) & mask;
        self.0[24..28].copy_from_slice(&mx.to_le_bytes());
    }

    pub fn save(&mut self) {
        // SAFETY: the area is 512 bytes, 16-byte aligned; CR4.OSFXSR is set.
        unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) self.0.as_mut_ptr(), options(nostack)) };
    }

    pub fn restore(&self) {
        // SAFETY: as in `save`; the area holds a valid FXSAVE image.
        unsafe { core::arch::asm!("fxrstor64 [{}]", in(reg) self.0.as_ptr(), options(nostack)) };
    }
}

/// A task's switched-out CPU state: its saved kernel stack pointer and its
/// FPU/SSE registers.
pub struct Context {
    rsp: UnsafeCell<u64>,
    fpu: UnsafeCell<FpuState>,
}

// SAFETY: a context is only touched by the scheduler or its own (running)
// task, and both run under the big kernel lock (`crate::smp`), so never
// concurrently.
unsafe impl Sync for Context {}

impl Context {
    pub fn new(fpu: FpuState) -> Self {
        Context {
            rsp: UnsafeCell::new(0),
            fpu: UnsafeCell::new(fpu),
        }
    }

    /// Makes the task start in user mode with `frame` on `stack_top`.
    pub fn prepare(&self, stack_top: u64, frame: &TrapFrame) {
        // SAFETY: see the Sync impl; the task is not running.
        unsafe { *self.rsp.get() = prepare_stack(stack_top, frame) };
    }

    /// Saves the live FPU registers (call on the running task only).
    pub fn save_fpu(&self) {
        // SAFETY: see the Sync impl.
        unsafe { (*self.fpu.get()).save() }
    }

    /// Loads this context's FPU registers into the CPU.
    pub fn restore_fpu(&self) {
        // SAFETY: see the Sync impl.
        unsafe { (*self.fpu.get()).restore() }
    }

    /// The live FPU state of the running task (for fork).
    pub fn current_fpu(&self) -> FpuState {
        self.save_fpu();
        // SAFETY: see the Sync impl.
        unsafe { (*self.fpu.get()).clone() }
    }

    /// Resets the FPU to its initial state and loads it (execve).
    pub fn reset_fpu(&self) {
        // SAFETY: see the Sync impl.
        unsafe { *self.fpu.get() = FpuState::initial() };
        self.restore_fpu();
    }
}

/// Saves the running context's stack in `from` and resumes `to`. Raw
/// pointers because a task that has exited never returns here to drop a
/// reference; the scheduler keeps both tasks alive across the switch.
pub fn switch_context(from: *const Context, to: *const Context) {
    // SAFETY: both contexts are owned by live tasks (the scheduler holds
    // them); `to.rsp` came from `prepare` or an earlier switch away from it.
    unsafe {
        let load = *(*to).rsp.get();
        switch((*from).rsp.get(), load);
    }
}
