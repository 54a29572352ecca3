//! wait4(2) and waitid(2) arguments (`linux/wait.h`).

constants! {
    // Options.
    /// Return at once if no child has changed state.
    WNOHANG: u32 = 0x1;
    /// wait4: also report stopped children (same bit as `WSTOPPED`).
    WUNTRACED: u32 = 0x2;
    /// waitid: report stopped children.
    WSTOPPED: u32 = 0x2;
    /// waitid: report exited children.
    WEXITED: u32 = 0x4;
    /// Report children continued by `SIGCONT`.
    WCONTINUED: u32 = 0x8;
    /// waitid: leave the child waitable.
    WNOWAIT: u32 = 0x0100_0000;
    /// Only children of this thread, not of its thread group (`__WNOTHREAD`).
    WNOTHREAD: u32 = 0x2000_0000;
    /// Any child, whatever its exit signal (`__WALL`).
    WALL: u32 = 0x4000_0000;
    /// Only children whose exit signal is not `SIGCHLD` (`__WCLONE`).
    WCLONE: u32 = 0x8000_0000;

    // waitid(2) idtype.
    P_ALL: u32 = 0;
    P_PID: u32 = 1;
    P_PGID: u32 = 2;
    P_PIDFD: u32 = 3;

    // pidfd_open(2) and pidfd_send_signal(2) flags (`linux/pidfd.h`).
    /// pidfd_open: a non-blocking pidfd (the value of `O_NONBLOCK`).
    PIDFD_NONBLOCK: u32 = 0o4000;
    /// pidfd_send_signal: to the thread the pidfd names.
    PIDFD_SIGNAL_THREAD: u32 = 1;
    /// pidfd_send_signal: to its thread group (the default for a process).
    PIDFD_SIGNAL_THREAD_GROUP: u32 = 2;
    /// pidfd_send_signal: to its process group.
    PIDFD_SIGNAL_PROCESS_GROUP: u32 = 4;
}

// Wait statuses (what wait4 stores and waitid decodes): the exit code in
// bits 8..16 after a normal exit, otherwise the signal in bits 0..7 and the
// core-dump flag in bit 7.
constants! {
    /// Set in the status of a process whose fatal signal dumped core.
    WCOREFLAG: i32 = 0x80;
}

stable! {
    /// The status of a normal exit with `code` (its low 8 bits).
    pub fn exit_status(code: i32) -> i32 {
        (code & 0xff) << 8
    }
}

stable! {
    /// The status of a process killed by signal `sig`, without a core dump.
    pub fn signal_status(sig: i32) -> i32 {
        sig & 0x7f
    }
}

stable! {
    /// The signal that ended the process (`WTERMSIG`); 0 after a normal exit.
    pub fn term_signal(status: i32) -> i32 {
        status & 0x7f
    }
}

stable! {
    /// The exit code of a normal exit (`WEXITSTATUS`).
    pub fn exit_code(status: i32) -> i32 {
        (status >> 8) & 0xff
    }
}
