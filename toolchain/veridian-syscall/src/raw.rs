//! The raw `syscall` instruction with 0 to 6 arguments.
//!
//! These are `unsafe`: a system call can do anything the arguments tell the
//! kernel to do, including writing through any pointer passed in.

use core::arch::asm;

macro_rules! syscall_fn {
    ($(#[$doc:meta])* $name:ident($($arg:ident => $reg:tt),*)) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// The caller must uphold whatever the kernel requires of this call
        /// number: valid pointers of the right size, descriptors it owns, and
        /// no call that invalidates memory Rust still references.
        #[inline(always)]
        #[cfg_attr(
            feature = "rustc-dep-of-std",
            stable(feature = "veridian_syscall", since = "1.96.0")
        )]
        pub unsafe fn $name(nr: usize $(, $arg: usize)*) -> isize {
            let ret: isize;
            // SAFETY: the kernel clobbers only rax (result), rcx and r11
            // (return address and flags saved by `syscall`); the caller
            // vouches for the arguments (see # Safety).
            unsafe {
                asm!(
                    "syscall",
                    inlateout("rax") nr as isize => ret,
                    $(in($reg) $arg,)*
                    lateout("rcx") _,
                    lateout("r11") _,
                    options(nostack, preserves_flags),
                );
            }
            ret
        }
    };
}

syscall_fn!(/// System call with no arguments.
    syscall0());
syscall_fn!(/// System call with one argument.
    syscall1(a0 => "rdi"));
syscall_fn!(/// System call with two arguments.
    syscall2(a0 => "rdi", a1 => "rsi"));
syscall_fn!(/// System call with three arguments.
    syscall3(a0 => "rdi", a1 => "rsi", a2 => "rdx"));
syscall_fn!(/// System call with four arguments.
    syscall4(a0 => "rdi", a1 => "rsi", a2 => "rdx", a3 => "r10"));
syscall_fn!(/// System call with five arguments.
    syscall5(a0 => "rdi", a1 => "rsi", a2 => "rdx", a3 => "r10", a4 => "r8"));
syscall_fn!(/// System call with six arguments.
    syscall6(a0 => "rdi", a1 => "rsi", a2 => "rdx", a3 => "r10", a4 => "r8", a5 => "r9"));

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::{decode, errno, nr};

    #[test]
    fn getpid_matches_std() {
        // SAFETY: getpid takes no arguments and touches no memory.
        let pid = decode(unsafe { syscall0(nr::GETPID) }).unwrap();
        assert_eq!(pid as u32, std::process::id());
    }

    #[test]
    fn write_to_bad_fd_is_ebadf() {
        let buf = b"x";
        // SAFETY: the kernel only reads one byte of `buf`, which lives.
        let ret = unsafe { syscall3(nr::WRITE, 9999, buf.as_ptr() as usize, 1) };
        assert_eq!(decode(ret), Err(errno::EBADF));
    }

    #[test]
    fn read_into_bad_pointer_is_efault() {
        // SAFETY: address 1 is never mapped, so the kernel writes nothing.
        let ret = unsafe { syscall3(nr::GETCWD, 1, 4096, 0) };
        assert_eq!(decode(ret), Err(errno::EFAULT));
    }

    #[test]
    fn six_argument_call_reaches_kernel() {
        // mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
        // SAFETY: an anonymous mapping at an address the kernel picks
        // overlaps nothing the program uses.
        let addr = decode(unsafe { syscall6(nr::MMAP, 0, 4096, 3, 0x22, usize::MAX, 0) }).unwrap();
        assert_eq!(addr % 4096, 0);
        // SAFETY: the page was just mapped read-write for this test.
        unsafe { (addr as *mut u8).write(7) };
        // SAFETY: the page is this test's own and no reference to it is left.
        let unmapped = unsafe { syscall2(nr::MUNMAP, addr, 4096) };
        assert_eq!(decode(unmapped), Ok(0));
    }
}
