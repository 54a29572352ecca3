//! Resource limits and usage (`asm-generic/resource.h`,
//! `linux/resource.h`).

constants! {
    // getrlimit(2), setrlimit(2), prlimit64(2) resources.
    RLIMIT_CPU: u32 = 0;
    RLIMIT_FSIZE: u32 = 1;
    RLIMIT_DATA: u32 = 2;
    RLIMIT_STACK: u32 = 3;
    RLIMIT_CORE: u32 = 4;
    RLIMIT_RSS: u32 = 5;
    RLIMIT_NPROC: u32 = 6;
    /// One more than the highest fd number open may return.
    RLIMIT_NOFILE: u32 = 7;
    RLIMIT_MEMLOCK: u32 = 8;
    RLIMIT_AS: u32 = 9;
    RLIMIT_LOCKS: u32 = 10;
    RLIMIT_SIGPENDING: u32 = 11;
    RLIMIT_MSGQUEUE: u32 = 12;
    RLIMIT_NICE: u32 = 13;
    RLIMIT_RTPRIO: u32 = 14;
    RLIMIT_RTTIME: u32 = 15;
    /// Number of resources.
    RLIM_NLIMITS: u32 = 16;
    /// No limit.
    RLIM_INFINITY: u64 = u64::MAX;

    // getrusage(2) who.
    RUSAGE_SELF: i32 = 0;
    RUSAGE_CHILDREN: i32 = -1;
    RUSAGE_THREAD: i32 = 1;
    /// Bytes of a `struct rusage` (two timevals and fourteen longs).
    RUSAGE_SIZE: usize = 144;
}
