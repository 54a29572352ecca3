//! prctl(2) options (`linux/prctl.h`) and arch_prctl(2) codes
//! (`asm/prctl.h`).

constants! {
    // prctl(2).
    /// Signal the caller gets when its parent exits.
    PR_SET_PDEATHSIG: u64 = 1;
    PR_GET_PDEATHSIG: u64 = 2;
    PR_GET_DUMPABLE: u64 = 3;
    PR_SET_DUMPABLE: u64 = 4;
    /// Set the thread's name (`comm`, 16 bytes with the NUL).
    PR_SET_NAME: u64 = 15;
    PR_GET_NAME: u64 = 16;

    // arch_prctl(2).
    ARCH_SET_GS: u64 = 0x1001;
    /// Set the fs base: the thread pointer (TLS) on x86_64.
    ARCH_SET_FS: u64 = 0x1002;
    ARCH_GET_FS: u64 = 0x1003;
    ARCH_GET_GS: u64 = 0x1004;
}
