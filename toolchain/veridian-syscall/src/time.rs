//! Clocks and timers (`linux/time.h`, `linux/timerfd.h`): clock ids, the
//! absolute-time flags, interval timers, the tick rate user space sees.

constants! {
    // Clock ids.
    CLOCK_REALTIME: u32 = 0;
    CLOCK_MONOTONIC: u32 = 1;
    CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
    CLOCK_THREAD_CPUTIME_ID: u32 = 3;
    CLOCK_MONOTONIC_RAW: u32 = 4;
    CLOCK_REALTIME_COARSE: u32 = 5;
    CLOCK_MONOTONIC_COARSE: u32 = 6;
    /// Monotonic, including time suspended.
    CLOCK_BOOTTIME: u32 = 7;
    CLOCK_REALTIME_ALARM: u32 = 8;
    CLOCK_BOOTTIME_ALARM: u32 = 9;
    CLOCK_TAI: u32 = 11;

    /// clock_nanosleep(2), timer_settime(2): the time is absolute.
    TIMER_ABSTIME: u32 = 1;
    /// timerfd_settime(2): the time is absolute.
    TFD_TIMER_ABSTIME: u32 = 1;
    /// timerfd_settime(2): a read fails with `ECANCELED` when the real-time
    /// clock is set.
    TFD_TIMER_CANCEL_ON_SET: u32 = 2;

    // setitimer(2) and getitimer(2) timers.
    ITIMER_REAL: u32 = 0;
    ITIMER_VIRTUAL: u32 = 1;
    ITIMER_PROF: u32 = 2;

    /// Clock ticks per second of `times(2)` and `AT_CLKTCK`
    /// (`sysconf(_SC_CLK_TCK)`).
    USER_HZ: u64 = 100;
}
