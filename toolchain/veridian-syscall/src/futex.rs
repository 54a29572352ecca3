//! futex(2) operations (`linux/futex.h`): the command in the low bits,
//! ORed with the private and clock flags.

constants! {
    FUTEX_WAIT: u32 = 0;
    FUTEX_WAKE: u32 = 1;
    FUTEX_FD: u32 = 2;
    FUTEX_REQUEUE: u32 = 3;
    FUTEX_CMP_REQUEUE: u32 = 4;
    FUTEX_WAKE_OP: u32 = 5;
    FUTEX_LOCK_PI: u32 = 6;
    FUTEX_UNLOCK_PI: u32 = 7;
    FUTEX_TRYLOCK_PI: u32 = 8;
    FUTEX_WAIT_BITSET: u32 = 9;
    FUTEX_WAKE_BITSET: u32 = 10;
    FUTEX_WAIT_REQUEUE_PI: u32 = 11;
    FUTEX_CMP_REQUEUE_PI: u32 = 12;
    FUTEX_LOCK_PI2: u32 = 13;
    /// The futex is not shared with other processes.
    FUTEX_PRIVATE_FLAG: u32 = 128;
    /// The timeout is measured against `CLOCK_REALTIME`.
    FUTEX_CLOCK_REALTIME: u32 = 256;
    /// Mask of the command (everything but the two flags).
    FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    /// The bitset that matches every waiter.
    FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;
}
