//! Shared helpers for the conformance programs.
//!
//! Every program runs its checks in order and prints one marker line per
//! check that passed, `CONF <suite> <check> ok`, then `CONF <suite> done <n>`.
//! A failed check panics; the target's panic strategy is abort, so the
//! process dies with SIGABRT and the last marker shows where it stopped.

use std::path::PathBuf;

pub mod tiny_elf;

/// A suite of checks, printing its markers.
pub struct Suite {
    name: &'static str,
    passed: usize,
}

impl Suite {
    pub fn new(name: &'static str) -> Self {
        Suite { name, passed: 0 }
    }

    /// Runs one check; it asserts what it checks and panics on failure.
    pub fn check(&mut self, check: &str, f: impl FnOnce()) {
        f();
        self.passed += 1;
        println!("CONF {} {} ok", self.name, check);
    }

    /// Prints the closing marker the harnesses look for.
    pub fn done(self) {
        println!("CONF {} done {}", self.name, self.passed);
    }
}

/// A fresh scratch folder for this process (under `$TMPDIR` or /tmp),
/// removed and re-created so that reruns start clean.
pub fn scratch_dir(suite: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("conformance-{suite}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Raw system calls for what std does not wrap (ppoll, epoll, flags and
/// errors), the same on Linux and VeridianOS.
pub mod raw {
    pub const POLLIN: i16 = 0x1;
    pub const POLLOUT: i16 = 0x4;
    pub const EPOLLIN: u32 = 0x1;
    pub const EPOLLET: u32 = 1 << 31;
    /// Errno values as [`sys`] returns them negated.
    pub const EFAULT: isize = 14;
    pub const EINVAL: isize = 22;

    /// A raw system call; returns the kernel's value (`-errno` on failure).
    /// Safe to call here only because the checks pass valid pointers, or a
    /// bad one on purpose (the kernel must answer `EFAULT`, not crash).
    pub fn sys(nr: usize, a: [usize; 6]) -> isize {
        // SAFETY: see above; no call here unmaps or rewrites memory Rust uses.
        unsafe { std::os::veridian::syscall::syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]) }
    }

    /// `struct pollfd`.
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct PollFd {
        pub fd: i32,
        pub events: i16,
        pub revents: i16,
    }

    /// `struct epoll_event` (packed on x86_64).
    #[repr(C, packed)]
    #[derive(Clone, Copy, Default)]
    pub struct EpollEvent {
        pub events: u32,
        pub data: u64,
    }

    /// ppoll with a millisecond timeout (`None`: forever).
    pub fn ppoll(fds: &mut [PollFd], ms: Option<u64>) -> isize {
        let ts = ms.map(|m| [(m / 1000) as i64, ((m % 1000) * 1_000_000) as i64]);
        let tsp = ts.as_ref().map_or(0, |t| t.as_ptr() as usize);
        sys(271, [fds.as_mut_ptr() as usize, fds.len(), tsp, 0, 0, 0])
    }

    pub fn epoll_ctl(ep: isize, op: usize, fd: i32, events: u32, data: u64) -> isize {
        let ev = EpollEvent { events, data };
        sys(
            233,
            [
                ep as usize,
                op,
                fd as usize,
                &ev as *const EpollEvent as usize,
                0,
                0,
            ],
        )
    }

    pub fn epoll_wait(ep: isize, out: &mut [EpollEvent], ms: i32) -> isize {
        sys(
            232,
            [
                ep as usize,
                out.as_mut_ptr() as usize,
                out.len(),
                ms as usize,
                0,
                0,
            ],
        )
    }

    pub fn close(fd: isize) {
        sys(3, [fd as usize, 0, 0, 0, 0, 0]);
    }
}
