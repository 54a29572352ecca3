//! pidfds: pidfd_open, poll readiness when the process ends, waitid's
//! `P_PIDFD`, pidfd_send_signal and clone's `CLONE_PIDFD`, with Linux's
//! errors. The same binary checks Linux and VeridianOS alike.
use conformance::raw::{close, ppoll, sys, PollFd, POLLIN};
use std::process::{Child, Command, Stdio};

const SYS_CLONE: usize = 56;
const SYS_EXIT_GROUP: usize = 231;
const SYS_FCNTL: usize = 72;
const SYS_READ: usize = 0;
const SYS_GETPID: usize = 39;
const SYS_WAITID: usize = 247;
const SYS_PIDFD_SEND_SIGNAL: usize = 424;
const SYS_PIDFD_OPEN: usize = 434;
const P_PIDFD: usize = 3;
const WNOHANG: usize = 1;
const WEXITED: usize = 4;
const F_GETFD: usize = 1;
const FD_CLOEXEC: isize = 1;
const CLONE_PIDFD: usize = 0x1000;
const CLONE_PARENT_SETTID: usize = 0x0010_0000;
const SIGCHLD: usize = 17;
const SIGTERM: usize = 15;
const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;
const EBADF: isize = 9;
const ESRCH: isize = 3;
const ECHILD: isize = 10;
const EINVAL: isize = 22;
const EFAULT: isize = 14;

fn pidfd_open(pid: i32, flags: usize) -> isize {
    sys(SYS_PIDFD_OPEN, [pid as usize, flags, 0, 0, 0, 0])
}

fn send(pidfd: isize, sig: usize, flags: usize) -> isize {
    sys(SYS_PIDFD_SEND_SIGNAL, [pidfd as usize, sig, 0, flags, 0, 0])
}

/// waitid(P_PIDFD, fd): the result, `si_code`, `si_pid`, `si_status`.
fn wait_pidfd(fd: isize, options: usize) -> (isize, i32, i32, i32) {
    let mut si = [-1i32; 32];
    let a = [
        P_PIDFD,
        fd as usize,
        si.as_mut_ptr() as usize,
        options,
        0,
        0,
    ];
    let r = sys(SYS_WAITID, a);
    (r, si[2], si[4], si[6])
}

/// The revents of one pollfd after waiting up to `ms`.
fn readiness(fd: isize, ms: u64) -> i16 {
    let mut p = [PollFd {
        fd: fd as i32,
        events: POLLIN,
        revents: 0,
    }];
    let n = ppoll(&mut p, Some(ms));
    assert!(n >= 0, "ppoll: {n}");
    p[0].revents
}

/// A child of `cmd` that waits for its stdin to close.
fn waiting_child(mut cmd: Command) -> Child {
    cmd.stdin(Stdio::piped()).stdout(Stdio::null());
    cmd.spawn().unwrap()
}

pub fn checks(me: impl Fn() -> Command) {
    // A running child: not readable; killed: readable, and waitid through
    // the pidfd reports it.
    let mut cmd = me();
    cmd.args(["child", "upper"]);
    // Both children are reaped by waitid(P_PIDFD), which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    let mut child = waiting_child(cmd);
    let pid = child.id() as i32;
    let fd = pidfd_open(pid, 0);
    assert!(fd >= 0, "pidfd_open: {fd}");
    assert_eq!(
        sys(SYS_FCNTL, [fd as usize, F_GETFD, 0, 0, 0, 0]),
        FD_CLOEXEC
    );
    assert_eq!(readiness(fd, 0), 0, "running");
    let mut buf = [0u8; 8];
    let r = sys(
        SYS_READ,
        [fd as usize, buf.as_mut_ptr() as usize, 8, 0, 0, 0],
    );
    assert_eq!(r, -EINVAL, "read");
    assert_eq!(send(fd, 0, 0), 0, "signal 0 to a live process");
    assert_eq!(wait_pidfd(fd, WEXITED | WNOHANG).0, 0, "nothing yet");
    assert_eq!(send(fd, SIGTERM, 0), 0);
    assert_eq!(
        readiness(fd, 10_000) & POLLIN,
        POLLIN,
        "readable once ended"
    );
    assert_eq!(send(fd, 0, 0), 0, "an unreaped process still takes signals");
    assert_eq!(wait_pidfd(fd, WEXITED), (0, CLD_KILLED, pid, 15));
    assert_eq!(send(fd, 0, 0), -ESRCH, "reaped");
    assert_eq!(readiness(fd, 0) & POLLIN, POLLIN, "still readable");
    assert_eq!(wait_pidfd(fd, WEXITED | WNOHANG).0, -ECHILD);
    assert_eq!(pidfd_open(pid, 0), -ESRCH, "a reaped process has no pidfd");
    close(fd);
    drop(child.stdin.take());
    // An exit, waited for by polling the pidfd.
    let mut cmd = me();
    cmd.args(["child", "exit", "6"]);
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().unwrap();
    let pid = child.id() as i32;
    let fd = pidfd_open(pid, 0o4000);
    assert!(fd >= 0, "pidfd_open(PIDFD_NONBLOCK): {fd}");
    assert_eq!(readiness(fd, 10_000) & POLLIN, POLLIN);
    assert_eq!(wait_pidfd(fd, WEXITED), (0, CLD_EXITED, pid, 6));
    close(fd);
    // CLONE_PIDFD: the child exits at once through a raw exit_group.
    let mut pidfd = -1i32;
    let slot = &mut pidfd as *mut i32 as usize;
    let r = sys(SYS_CLONE, [CLONE_PIDFD | SIGCHLD, 0, slot, 0, 0, 0]);
    if r == 0 {
        sys(SYS_EXIT_GROUP, [4, 0, 0, 0, 0, 0]);
    }
    assert!(
        r > 0 && pidfd >= 0,
        "clone(CLONE_PIDFD): {r}, pidfd {pidfd}"
    );
    assert_eq!(
        wait_pidfd(pidfd as isize, WEXITED),
        (0, CLD_EXITED, r as i32, 4)
    );
    close(pidfd as isize);
    let both = CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD;
    assert_eq!(sys(SYS_CLONE, [both, 0, slot, 0, 0, 0]), -EINVAL);
    assert_eq!(
        sys(SYS_CLONE, [CLONE_PIDFD | SIGCHLD, 0, 8, 0, 0, 0]),
        -EFAULT,
        "a bad parent_tid fails before there is a child"
    );
    // Errors.
    let me_fd = pidfd_open(sys(SYS_GETPID, [0; 6]) as i32, 0);
    assert!(me_fd >= 0);
    assert_eq!(send(me_fd, 0, 0), 0);
    assert_eq!(send(me_fd, 0, 8), -EINVAL, "unknown flag");
    assert_eq!(send(me_fd, 65, 0), -EINVAL, "no such signal");
    assert_eq!(
        wait_pidfd(me_fd, WEXITED | WNOHANG).0,
        -ECHILD,
        "not a child"
    );
    close(me_fd);
    assert_eq!(send(2, 0, 0), -EBADF, "stderr is not a pidfd");
    assert_eq!(pidfd_open(0, 0), -EINVAL);
    assert_eq!(pidfd_open(-1, 0), -EINVAL);
    assert_eq!(pidfd_open(1, 1), -EINVAL, "unknown flag");
    assert_eq!(pidfd_open(0x3fff_fff0, 0), -ESRCH);
}
