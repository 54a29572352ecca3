//! eventfd2(2) flags (`linux/eventfd.h`).

constants! {
    /// Each read returns 1 and decrements the counter by 1.
    EFD_SEMAPHORE: u32 = 1;
    /// Same value as `O_CLOEXEC`.
    EFD_CLOEXEC: u32 = 0o2000000;
    /// Same value as `O_NONBLOCK`.
    EFD_NONBLOCK: u32 = 0o4000;
}
