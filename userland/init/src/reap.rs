//! PID 1's duty: collect orphaned children so no zombie is left behind.
//! std cannot wait for "any child", so this uses wait4(-1) directly.

#[cfg(target_os = "veridian")]
use std::os::veridian::syscall::{decode, nr, syscall4};

/// Waits (without blocking) for every exited child; returns how many.
#[cfg(target_os = "veridian")]
pub fn orphans() -> usize {
    const WNOHANG: usize = 1;
    let mut reaped = 0;
    loop {
        let mut status = 0i32;
        // SAFETY: wait4(-1, &status, WNOHANG, NULL) writes only `status`.
        let ret = unsafe {
            syscall4(
                nr::WAIT4,
                -1isize as usize,
                &mut status as *mut i32 as usize,
                WNOHANG,
                0,
            )
        };
        match decode(ret) {
            Ok(pid) if pid > 0 => reaped += 1,
            _ => break,
        }
    }
    if reaped > 0 {
        println!("INIT: reaped {reaped} orphan(s)");
    }
    reaped
}

/// Elsewhere (unit tests on the host) there is nothing to reap.
#[cfg(not(target_os = "veridian"))]
pub fn orphans() -> usize {
    0
}
