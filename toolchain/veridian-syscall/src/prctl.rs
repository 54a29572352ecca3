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
    /// Whether the caller keeps its capabilities across a change of uid.
    PR_GET_KEEPCAPS: u64 = 7;
    PR_SET_KEEPCAPS: u64 = 8;
    /// The caller's timer slack, nanoseconds.
    PR_GET_TIMERSLACK: u64 = 30;
    PR_SET_TIMERSLACK: u64 = 29;
    /// Orphaned descendants are re-parented to the caller instead of init.
    PR_SET_CHILD_SUBREAPER: u64 = 36;
    PR_GET_CHILD_SUBREAPER: u64 = 37;
    /// execve never grants privileges once set; cannot be unset.
    PR_SET_NO_NEW_PRIVS: u64 = 38;
    PR_GET_NO_NEW_PRIVS: u64 = 39;
    /// The `clear_child_tid` address set by clone or set_tid_address.
    PR_GET_TID_ADDRESS: u64 = 40;

    // arch_prctl(2).
    ARCH_SET_GS: u64 = 0x1001;
    /// Set the fs base: the thread pointer (TLS) on x86_64.
    ARCH_SET_FS: u64 = 0x1002;
    ARCH_GET_FS: u64 = 0x1003;
    ARCH_GET_GS: u64 = 0x1004;
}
