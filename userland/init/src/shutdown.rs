//! The signals busybox's `poweroff`, `halt` and `reboot` send to PID 1
//! (SIGUSR2, SIGUSR1, SIGTERM): init syncs the file systems and exits,
//! and the kernel powers the machine off. VeridianOS cannot reboot, so
//! `reboot` powers off too.

#[cfg(target_os = "veridian")]
use std::os::veridian::syscall::{nr, signal, syscall0, syscall1, syscall3, syscall4};

/// The kernel's `struct sigaction` on x86_64.
#[cfg(target_os = "veridian")]
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// Installs the handlers; a failure is reported and otherwise ignored
/// (init still works, only the commands have no effect).
#[cfg(target_os = "veridian")]
pub fn install() {
    for sig in [signal::SIGUSR2, signal::SIGUSR1, signal::SIGTERM] {
        let act = KernelSigaction {
            handler: power_off as extern "C" fn(i32) as usize,
            flags: 0,
            restorer: 0,
            // The other two wait while one is handled.
            mask: u64::MAX,
        };
        // SAFETY: rt_sigaction reads `act` (live, its size is the kernel
        // layout) and writes nothing (old action pointer 0). The handler
        // never returns, so no restorer is needed.
        let ret = unsafe {
            syscall4(
                nr::RT_SIGACTION,
                sig as usize,
                &act as *const KernelSigaction as usize,
                0,
                8,
            )
        };
        if std::os::veridian::syscall::decode(ret).is_err() {
            println!("INIT: cannot handle signal {sig}: poweroff will not work");
        }
    }
}

/// Elsewhere (unit tests on the host) nothing is installed.
#[cfg(not(target_os = "veridian"))]
pub fn install() {}

/// Signal handler: only async-signal-safe calls (write, sync, exit_group).
#[cfg(target_os = "veridian")]
extern "C" fn power_off(sig: i32) {
    let msg: &[u8] = match sig {
        signal::SIGUSR1 => b"INIT: halt requested: sync and power off\n",
        signal::SIGTERM => b"INIT: reboot requested (not supported): sync and power off\n",
        _ => b"INIT: power off requested: sync and power off\n",
    };
    // SAFETY: write(1, msg, len) reads only `msg`; sync and exit_group take
    // no pointers. exit_group does not return.
    unsafe {
        syscall3(nr::WRITE, 1, msg.as_ptr() as usize, msg.len());
        syscall0(nr::SYNC);
        syscall1(nr::EXIT_GROUP, 0);
    }
}
