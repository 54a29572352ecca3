//! clone(2) and clone3(2) flags (`linux/sched.h`). For clone(2), the low
//! byte (`CSIGNAL`) is the signal sent to the parent when the child exits.

constants! {
    /// Mask of the exit signal in clone(2)'s flags.
    CSIGNAL: u64 = 0xff;
    /// Share the address space.
    CLONE_VM: u64 = 0x100;
    /// Share the working directory, root and umask.
    CLONE_FS: u64 = 0x200;
    /// Share the fd table.
    CLONE_FILES: u64 = 0x400;
    /// Share the signal handlers.
    CLONE_SIGHAND: u64 = 0x800;
    /// Store a pidfd for the child at `parent_tid`.
    CLONE_PIDFD: u64 = 0x1000;
    CLONE_PTRACE: u64 = 0x2000;
    /// Suspend the parent until the child execs or exits.
    CLONE_VFORK: u64 = 0x4000;
    /// The child's parent is the caller's parent.
    CLONE_PARENT: u64 = 0x8000;
    /// Same thread group: a new thread, not a process.
    CLONE_THREAD: u64 = 0x10000;
    CLONE_NEWNS: u64 = 0x20000;
    CLONE_SYSVSEM: u64 = 0x40000;
    /// Set the child's fs base (TLS) from the `tls` argument.
    CLONE_SETTLS: u64 = 0x80000;
    /// Store the child's tid at `parent_tid` (in the parent's memory).
    CLONE_PARENT_SETTID: u64 = 0x100000;
    /// Clear the tid at `child_tid` and futex-wake it when the child exits.
    CLONE_CHILD_CLEARTID: u64 = 0x200000;
    CLONE_DETACHED: u64 = 0x400000;
    CLONE_UNTRACED: u64 = 0x800000;
    /// Store the child's tid at `child_tid` (in the child's memory).
    CLONE_CHILD_SETTID: u64 = 0x1000000;
    CLONE_NEWCGROUP: u64 = 0x2000000;
    CLONE_NEWUTS: u64 = 0x4000000;
    CLONE_NEWIPC: u64 = 0x8000000;
    CLONE_NEWUSER: u64 = 0x10000000;
    CLONE_NEWPID: u64 = 0x20000000;
    CLONE_NEWNET: u64 = 0x40000000;
    CLONE_IO: u64 = 0x80000000;
    /// clone3 only: clear the signal handlers the child would inherit.
    CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
    /// clone3 only: `cgroup` names the child's cgroup.
    CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
}
