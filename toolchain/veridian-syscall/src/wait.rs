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
}
