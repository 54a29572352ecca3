//! getrandom(2) flags (`linux/random.h`).

constants! {
    /// Fail with `EAGAIN` instead of blocking for entropy.
    GRND_NONBLOCK: u32 = 0x1;
    /// Draw from the blocking pool (historic).
    GRND_RANDOM: u32 = 0x2;
    /// Never block, even before the pool is initialised.
    GRND_INSECURE: u32 = 0x4;
}
