//! Signals (`asm/signal.h`, `asm-generic/signal-defs.h`,
//! `asm-generic/siginfo.h`): numbers, sigaction flags and handlers,
//! sigprocmask operations, sigaltstack flags, siginfo codes.

constants! {
    // Signal numbers (x86_64).
    SIGHUP: i32 = 1;
    SIGINT: i32 = 2;
    SIGQUIT: i32 = 3;
    SIGILL: i32 = 4;
    SIGTRAP: i32 = 5;
    SIGABRT: i32 = 6;
    /// Same value as `SIGABRT`.
    SIGIOT: i32 = SIGABRT;
    SIGBUS: i32 = 7;
    SIGFPE: i32 = 8;
    /// Cannot be caught, blocked or ignored.
    SIGKILL: i32 = 9;
    SIGUSR1: i32 = 10;
    SIGSEGV: i32 = 11;
    SIGUSR2: i32 = 12;
    SIGPIPE: i32 = 13;
    SIGALRM: i32 = 14;
    SIGTERM: i32 = 15;
    SIGSTKFLT: i32 = 16;
    SIGCHLD: i32 = 17;
    SIGCONT: i32 = 18;
    /// Cannot be caught, blocked or ignored.
    SIGSTOP: i32 = 19;
    SIGTSTP: i32 = 20;
    SIGTTIN: i32 = 21;
    SIGTTOU: i32 = 22;
    SIGURG: i32 = 23;
    SIGXCPU: i32 = 24;
    SIGXFSZ: i32 = 25;
    SIGVTALRM: i32 = 26;
    SIGPROF: i32 = 27;
    SIGWINCH: i32 = 28;
    SIGIO: i32 = 29;
    /// Same value as `SIGIO`.
    SIGPOLL: i32 = SIGIO;
    SIGPWR: i32 = 30;
    SIGSYS: i32 = 31;
    /// The kernel's first real-time signal (glibc reserves 32 and 33 for
    /// itself and reports 34 as `SIGRTMIN`).
    SIGRTMIN: i32 = 32;
    /// The last signal number (`_NSIG`).
    SIGRTMAX: i32 = 64;
    /// Number of signals, `_NSIG`: a `sigset_t` has this many bits.
    NSIG: usize = 64;
    /// Bytes of the kernel's `sigset_t` (the `sigsetsize` argument of the
    /// `rt_sig*` calls).
    SIGSET_SIZE: usize = NSIG / 8;
    /// Bytes of a `siginfo_t` (`SI_MAX_SIZE`).
    SIGINFO_SIZE: usize = 128;
    /// Bytes of a `struct signalfd_siginfo` (what a signalfd read returns
    /// per signal).
    SIGNALFD_SIGINFO_SIZE: usize = 128;

    // sa_handler special values.
    /// Default action.
    SIG_DFL: u64 = 0;
    /// Ignore the signal.
    SIG_IGN: u64 = 1;

    // sa_flags (an `unsigned long` in the kernel's `struct sigaction`).
    /// SIGCHLD: not for children that stop or continue.
    SA_NOCLDSTOP: u64 = 0x1;
    /// SIGCHLD: children do not become zombies.
    SA_NOCLDWAIT: u64 = 0x2;
    /// The handler takes `(sig, siginfo_t *, ucontext_t *)`.
    SA_SIGINFO: u64 = 0x4;
    /// `sa_restorer` holds the address that calls `rt_sigreturn`.
    SA_RESTORER: u64 = 0x0400_0000;
    /// Run the handler on the alternate signal stack.
    SA_ONSTACK: u64 = 0x0800_0000;
    /// Restart interrupted system calls instead of failing with `EINTR`.
    SA_RESTART: u64 = 0x1000_0000;
    /// Do not block the signal while its handler runs.
    SA_NODEFER: u64 = 0x4000_0000;
    /// Reset the action to `SIG_DFL` on delivery.
    SA_RESETHAND: u64 = 0x8000_0000;

    // rt_sigprocmask(2) how.
    SIG_BLOCK: i32 = 0;
    SIG_UNBLOCK: i32 = 1;
    SIG_SETMASK: i32 = 2;

    // sigaltstack(2) ss_flags.
    /// The thread is running on the alternate stack.
    SS_ONSTACK: i32 = 1;
    /// The alternate stack is disabled.
    SS_DISABLE: i32 = 2;
    /// Smallest alternate stack sigaltstack accepts.
    MINSIGSTKSZ: usize = 2048;

    // siginfo si_code: who sent the signal.
    /// kill(2).
    SI_USER: i32 = 0;
    /// The kernel.
    SI_KERNEL: i32 = 0x80;
    /// sigqueue(3).
    SI_QUEUE: i32 = -1;
    /// A POSIX timer expired.
    SI_TIMER: i32 = -2;
    /// tkill(2) or tgkill(2).
    SI_TKILL: i32 = -6;

    // siginfo si_code for SIGCHLD.
    CLD_EXITED: i32 = 1;
    CLD_KILLED: i32 = 2;
    CLD_DUMPED: i32 = 3;
    CLD_TRAPPED: i32 = 4;
    CLD_STOPPED: i32 = 5;
    CLD_CONTINUED: i32 = 6;
}
