//! Signals as Linux delivers them: blocked signals stay pending (even fatal
//! ones) until unblocked or taken by sigtimedwait; per-thread and
//! per-process pending sets; siginfo contents; real-time queueing;
//! SIG_IGN discarding; SA_RESTART against EINTR; sigsuspend; sigaltstack;
//! what fork and execve keep; alarm; prctl. Raw system calls throughout,
//! so the same checks hold on the Linux host and in VeridianOS. The program
//! re-runs itself (`conf-signal child exec-check`) for the execve check.
use conformance::raw::sys;
use conformance::Suite;
use std::os::veridian::syscall::nr;
use std::os::veridian::syscall::prctl::*;
use std::os::veridian::syscall::signal::*;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const EAGAIN: isize = 11;
const EINTR: isize = 4;
const EINVAL: isize = 22;
const ENOMEM: isize = 12;
const EPERM: isize = 1;
/// A real-time signal libc leaves alone.
const SIGRT: i32 = SIGRTMIN + 8;

std::arch::global_asm!(
    ".globl conf_signal_restorer",
    "conf_signal_restorer:",
    "mov eax, 15",
    "syscall",
);

extern "C" {
    fn conf_signal_restorer();
}

/// Serialises the checks that change dispositions and masks (the Rust
/// test harness is not involved, but helper threads are).
static LOCK: Mutex<()> = Mutex::new(());

fn s(nr: usize, a: &[usize]) -> isize {
    let mut args = [0usize; 6];
    args[..a.len()].copy_from_slice(a);
    sys(nr, args)
}

fn bit(sig: i32) -> u64 {
    1 << (sig - 1)
}

fn getpid() -> usize {
    s(nr::GETPID, &[]) as usize
}

fn gettid() -> usize {
    s(nr::GETTID, &[]) as usize
}

/// rt_sigaction with `handler` (`SIG_DFL`, `SIG_IGN` or a function) and
/// `flags`; returns the previous handler.
fn sigaction(sig: i32, handler: usize, flags: u64) -> usize {
    let act: [u64; 4] = [
        handler as u64,
        flags | SA_RESTORER,
        conf_signal_restorer as *const () as u64,
        0,
    ];
    let mut old = [0u64; 4];
    let r = s(
        nr::RT_SIGACTION,
        &[
            sig as usize,
            act.as_ptr() as usize,
            old.as_mut_ptr() as usize,
            8,
        ],
    );
    assert_eq!(r, 0, "rt_sigaction({sig})");
    old[0] as usize
}

/// rt_sigprocmask(how, set); returns the previous mask.
fn sigmask(how: i32, set: u64) -> u64 {
    let mut old = 0u64;
    let r = s(
        nr::RT_SIGPROCMASK,
        &[
            how as usize,
            &set as *const u64 as usize,
            &mut old as *mut u64 as usize,
            8,
        ],
    );
    assert_eq!(r, 0);
    old
}

fn current_mask() -> u64 {
    let mut old = 0u64;
    assert_eq!(
        s(
            nr::RT_SIGPROCMASK,
            &[0, 0, &mut old as *mut u64 as usize, 8]
        ),
        0
    );
    old
}

fn sigpending() -> u64 {
    let mut set = 0u64;
    assert_eq!(s(nr::RT_SIGPENDING, &[&mut set as *mut u64 as usize, 8]), 0);
    set
}

/// A `siginfo_t`.
#[repr(C, align(8))]
struct Info([u8; 128]);

impl Info {
    fn new() -> Info {
        Info([0; 128])
    }
    fn i32_at(&self, at: usize) -> i32 {
        i32::from_le_bytes(self.0[at..at + 4].try_into().unwrap())
    }
    fn signo(&self) -> i32 {
        self.i32_at(0)
    }
    fn code(&self) -> i32 {
        self.i32_at(8)
    }
    fn pid(&self) -> usize {
        self.i32_at(16) as usize
    }
    fn uid(&self) -> u32 {
        self.i32_at(20) as u32
    }
    fn value(&self) -> u64 {
        u64::from_le_bytes(self.0[24..32].try_into().unwrap())
    }
}

/// rt_sigtimedwait for `set`, waiting at most `ms` milliseconds.
fn sigtimedwait(set: u64, info: &mut Info, ms: u64) -> isize {
    let ts = [(ms / 1000) as i64, ((ms % 1000) * 1_000_000) as i64];
    s(
        nr::RT_SIGTIMEDWAIT,
        &[
            &set as *const u64 as usize,
            info.0.as_mut_ptr() as usize,
            ts.as_ptr() as usize,
            8,
        ],
    )
}

fn tgkill(tid: usize, sig: i32) -> isize {
    s(nr::TGKILL, &[getpid(), tid, sig as usize])
}

fn kill(pid: usize, sig: i32) -> isize {
    s(nr::KILL, &[pid, sig as usize])
}

/// rt_sigqueueinfo / rt_tgsigqueueinfo (`tid` 0: the process) with
/// `si_code` `code` and `si_value` `value`.
fn sigqueue(pid: usize, tid: usize, sig: i32, code: i32, value: u64) -> isize {
    let mut info = Info::new();
    info.0[8..12].copy_from_slice(&code.to_le_bytes());
    info.0[16..20].copy_from_slice(&(getpid() as i32).to_le_bytes());
    info.0[24..32].copy_from_slice(&value.to_le_bytes());
    let p = info.0.as_ptr() as usize;
    if tid == 0 {
        s(nr::RT_SIGQUEUEINFO, &[pid, sig as usize, p])
    } else {
        s(nr::RT_TGSIGQUEUEINFO, &[pid, tid, sig as usize, p])
    }
}

/// What the recording handler saw last: signal, code, pid, value, tid,
/// and the address of one of its locals.
static SEEN_SIG: AtomicI32 = AtomicI32::new(0);
static SEEN_CODE: AtomicI32 = AtomicI32::new(0);
static SEEN_PID: AtomicUsize = AtomicUsize::new(0);
static SEEN_VALUE: AtomicU64 = AtomicU64::new(0);
static SEEN_TID: AtomicUsize = AtomicUsize::new(0);
static SEEN_SP: AtomicUsize = AtomicUsize::new(0);
static SEEN_ALT_FLAGS: AtomicI32 = AtomicI32::new(-1);
static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn record(sig: i32, info: *const Info, _uc: *const u8) {
    let local = 0u8;
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let info = unsafe { &*info };
    SEEN_SIG.store(sig, Ordering::SeqCst);
    SEEN_CODE.store(info.code(), Ordering::SeqCst);
    SEEN_PID.store(info.pid(), Ordering::SeqCst);
    SEEN_VALUE.store(info.value(), Ordering::SeqCst);
    SEEN_TID.store(gettid(), Ordering::SeqCst);
    SEEN_SP.store(&local as *const u8 as usize, Ordering::SeqCst);
    let mut st = [0u64; 3];
    if s(nr::SIGALTSTACK, &[0, st.as_mut_ptr() as usize]) == 0 {
        SEEN_ALT_FLAGS.store(st[1] as i32, Ordering::SeqCst);
    }
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

fn record_handler() -> usize {
    record as extern "C" fn(i32, *const Info, *const u8) as usize
}

fn reset_seen() {
    HANDLED.store(0, Ordering::SeqCst);
    SEEN_SIG.store(0, Ordering::SeqCst);
}

/// Waits up to 5 s for the handler to have run `n` times.
fn wait_handled(n: usize) {
    let start = Instant::now();
    while HANDLED.load(Ordering::SeqCst) < n {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "handler did not run"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `f` with dispositions and the mask restored afterwards.
fn isolated(sigs: &[i32], f: impl FnOnce()) {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mask = current_mask();
    f();
    // Drop what is left pending before the mask lets it through.
    let mut info = Info::new();
    while sigtimedwait(sigs.iter().fold(0, |m, &s| m | bit(s)), &mut info, 0) > 0 {}
    for &sig in sigs {
        sigaction(sig, SIG_DFL as usize, 0);
    }
    sigmask(SIG_SETMASK, mask);
    reset_seen();
}

fn exec_check() -> ! {
    // The parent blocked SIGUSR1, sent it after fork, set SIGUSR2 to a
    // handler and SIGHUP to SIG_IGN, then called execve.
    let mut code = 0;
    if current_mask() & bit(SIGUSR1) == 0 {
        code |= 1;
    }
    if sigpending() & bit(SIGUSR1) == 0 {
        code |= 2;
    }
    if sigaction(SIGUSR2, SIG_DFL as usize, 0) != SIG_DFL as usize {
        code |= 4;
    }
    if sigaction(SIGHUP, SIG_IGN as usize, 0) != SIG_IGN as usize {
        code |= 8;
    }
    std::process::exit(code)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        match args.get(2).map(String::as_str) {
            Some("exec-check") => exec_check(),
            Some("wait-stdin") => {
                let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
                std::process::exit(0);
            }
            _ => panic!("unknown child role"),
        }
    }
    // Which system this is (`ID=` of /etc/os-release), for the log.
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let id = os
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap_or("unknown");
    eprintln!("conf-signal: running on {id}");
    let mut suite = Suite::new("signal");

    suite.check("blocked-fatal-signal-stays-pending", || {
        isolated(&[SIGUSR1], || {
            sigmask(SIG_BLOCK, bit(SIGUSR1));
            assert_eq!(tgkill(gettid(), SIGUSR1), 0);
            assert_eq!(kill(getpid(), SIGUSR1), 0);
            assert_ne!(sigpending() & bit(SIGUSR1), 0);
            let mut info = Info::new();
            assert_eq!(sigtimedwait(bit(SIGUSR1), &mut info, 0), SIGUSR1 as isize);
            // The thread's own instance is taken first: tgkill's.
            assert_eq!(
                (info.signo(), info.code(), info.pid()),
                (SIGUSR1, SI_TKILL, getpid())
            );
            assert_eq!(sigtimedwait(bit(SIGUSR1), &mut info, 0), SIGUSR1 as isize);
            assert_eq!(info.code(), SI_USER);
            assert_eq!(info.uid(), s(nr::GETUID, &[]) as u32);
            assert_eq!(sigpending() & bit(SIGUSR1), 0);
        })
    });

    suite.check("sigtimedwait-times-out", || {
        isolated(&[SIGUSR2], || {
            sigmask(SIG_BLOCK, bit(SIGUSR2));
            let mut info = Info::new();
            assert_eq!(sigtimedwait(bit(SIGUSR2), &mut info, 0), -EAGAIN);
            let start = Instant::now();
            assert_eq!(sigtimedwait(bit(SIGUSR2), &mut info, 60), -EAGAIN);
            assert!(start.elapsed() >= Duration::from_millis(55));
        })
    });

    suite.check("standard-signals-merge-rt-signals-queue", || {
        isolated(&[SIGUSR1, SIGRT], || {
            sigmask(SIG_BLOCK, bit(SIGUSR1) | bit(SIGRT));
            for _ in 0..3 {
                assert_eq!(kill(getpid(), SIGUSR1), 0);
            }
            for v in [11, 22, 33] {
                assert_eq!(sigqueue(getpid(), 0, SIGRT, SI_QUEUE, v), 0);
            }
            let set = bit(SIGUSR1) | bit(SIGRT);
            let mut info = Info::new();
            assert_eq!(sigtimedwait(set, &mut info, 0), SIGUSR1 as isize);
            for v in [11, 22, 33] {
                assert_eq!(sigtimedwait(set, &mut info, 0), SIGRT as isize);
                assert_eq!(
                    (info.code(), info.value(), info.pid()),
                    (SI_QUEUE, v, getpid())
                );
            }
            assert_eq!(sigtimedwait(set, &mut info, 0), -EAGAIN);
        })
    });

    suite.check("handler-siginfo", || {
        isolated(&[SIGUSR1], || {
            sigaction(SIGUSR1, record_handler(), SA_SIGINFO);
            for (code, send) in [
                (
                    SI_TKILL,
                    Box::new(|| tgkill(gettid(), SIGUSR1)) as Box<dyn Fn() -> isize>,
                ),
                (SI_USER, Box::new(|| kill(getpid(), SIGUSR1))),
                (
                    SI_QUEUE,
                    Box::new(|| sigqueue(getpid(), gettid(), SIGUSR1, SI_QUEUE, 77)),
                ),
            ] {
                reset_seen();
                assert_eq!(send(), 0);
                // A signal to an unblocked thread runs before the call returns.
                assert_eq!(HANDLED.load(Ordering::SeqCst), 1);
                assert_eq!(SEEN_SIG.load(Ordering::SeqCst), SIGUSR1);
                assert_eq!(SEEN_CODE.load(Ordering::SeqCst), code);
                assert_eq!(SEEN_PID.load(Ordering::SeqCst), getpid());
                if code == SI_QUEUE {
                    assert_eq!(SEEN_VALUE.load(Ordering::SeqCst), 77);
                }
            }
        })
    });

    suite.check("unblocking-delivers", || {
        isolated(&[SIGUSR2], || {
            sigaction(SIGUSR2, record_handler(), SA_SIGINFO);
            sigmask(SIG_BLOCK, bit(SIGUSR2));
            assert_eq!(kill(getpid(), SIGUSR2), 0);
            assert_eq!(HANDLED.load(Ordering::SeqCst), 0);
            sigmask(SIG_UNBLOCK, bit(SIGUSR2));
            assert_eq!(HANDLED.load(Ordering::SeqCst), 1);
            assert_eq!(sigpending() & bit(SIGUSR2), 0);
        })
    });

    suite.check("sigqueueinfo-may-not-pose-as-kill", || {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["child", "wait-stdin"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id() as usize;
        assert_eq!(sigqueue(pid, 0, SIGUSR1, SI_USER, 0), -EPERM);
        assert_eq!(sigqueue(pid, 0, SIGUSR1, SI_TKILL, 0), -EPERM);
        assert_eq!(sigqueue(pid, 0, 0, SI_QUEUE, 0), 0);
        drop(child.stdin.take());
        child.wait().unwrap();
    });

    suite.check("ignored-signals-discarded", || {
        isolated(&[SIGUSR1, SIGCHLD], || {
            // Not blocked: discarded when sent.
            sigaction(SIGUSR1, SIG_IGN as usize, 0);
            assert_eq!(kill(getpid(), SIGUSR1), 0);
            assert_eq!(tgkill(gettid(), SIGUSR1), 0);
            sigmask(SIG_BLOCK, bit(SIGUSR1) | bit(SIGCHLD));
            assert_eq!(sigpending() & bit(SIGUSR1), 0);
            // Blocked: kept (the disposition may change before unblocking)...
            assert_eq!(kill(getpid(), SIGUSR1), 0);
            assert_eq!(kill(getpid(), SIGCHLD), 0);
            assert_eq!(
                sigpending() & (bit(SIGUSR1) | bit(SIGCHLD)),
                bit(SIGUSR1) | bit(SIGCHLD)
            );
            // ...until an action that ignores is set again.
            sigaction(SIGUSR1, SIG_IGN as usize, 0);
            sigaction(SIGCHLD, SIG_DFL as usize, 0);
            assert_eq!(sigpending() & (bit(SIGUSR1) | bit(SIGCHLD)), 0);
            // A handler being installed keeps pending ones.
            sigaction(SIGUSR1, record_handler(), SA_SIGINFO);
            assert_eq!(kill(getpid(), SIGUSR1), 0);
            sigaction(SIGUSR1, record_handler(), SA_SIGINFO);
            assert_ne!(sigpending() & bit(SIGUSR1), 0);
            sigaction(SIGUSR1, SIG_IGN as usize, 0);
            assert_eq!(sigpending() & bit(SIGUSR1), 0);
        })
    });

    suite.check("sigkill-sigstop-unblockable", || {
        isolated(&[], || {
            sigmask(SIG_SETMASK, u64::MAX);
            let m = current_mask();
            assert_eq!(m & (bit(SIGKILL) | bit(SIGSTOP)), 0);
            assert_ne!(m & bit(SIGUSR1), 0);
            let act: [u64; 4] = [SIG_IGN, 0, 0, 0];
            for sig in [SIGKILL, SIGSTOP] {
                let r = s(
                    nr::RT_SIGACTION,
                    &[sig as usize, act.as_ptr() as usize, 0, 8],
                );
                assert_eq!(r, -EINVAL);
            }
            assert_eq!(s(nr::RT_SIGACTION, &[65, 0, 0, 8]), -EINVAL);
        })
    });

    suite.check("thread-and-process-pending-sets", || {
        isolated(&[SIGUSR2], || {
            sigmask(SIG_BLOCK, bit(SIGUSR2));
            let (to_main, from_thread) = mpsc::channel();
            let (to_thread, from_main) = mpsc::channel::<()>();
            let t = thread::spawn(move || {
                // The mask is inherited from the creating thread.
                assert_ne!(current_mask() & bit(SIGUSR2), 0);
                to_main.send((gettid(), 0)).unwrap();
                from_main.recv().unwrap();
                let own = sigpending() & bit(SIGUSR2);
                let mut info = Info::new();
                let got = sigtimedwait(bit(SIGUSR2), &mut info, 0);
                to_main.send((own as usize, got as usize)).unwrap();
                assert_eq!(info.code(), SI_TKILL);
                from_main.recv().unwrap();
                let shared = sigpending() & bit(SIGUSR2);
                let got = sigtimedwait(bit(SIGUSR2), &mut info, 0);
                to_main.send((shared as usize, got as usize)).unwrap();
                assert_eq!(info.code(), SI_USER);
            });
            let (tid, _) = from_thread.recv().unwrap();
            // Thread-directed: pending for that thread only.
            assert_eq!(tgkill(tid, SIGUSR2), 0);
            assert_eq!(sigpending() & bit(SIGUSR2), 0);
            to_thread.send(()).unwrap();
            let (own, got) = from_thread.recv().unwrap();
            assert_eq!((own as u64, got as i32), (bit(SIGUSR2), SIGUSR2));
            // Process-directed: pending for every thread, taken once.
            assert_eq!(kill(getpid(), SIGUSR2), 0);
            assert_ne!(sigpending() & bit(SIGUSR2), 0);
            to_thread.send(()).unwrap();
            let (shared, got) = from_thread.recv().unwrap();
            assert_eq!((shared as u64, got as i32), (bit(SIGUSR2), SIGUSR2));
            assert_eq!(sigpending() & bit(SIGUSR2), 0);
            t.join().unwrap();
        })
    });

    suite.check("process-signal-to-unblocking-thread", || {
        isolated(&[SIGUSR1], || {
            sigaction(SIGUSR1, record_handler(), SA_SIGINFO);
            let (to_main, from_thread) = mpsc::channel();
            let (to_thread, from_main) = mpsc::channel::<()>();
            let t = thread::spawn(move || {
                sigmask(SIG_UNBLOCK, bit(SIGUSR1));
                to_main.send(gettid()).unwrap();
                from_main.recv().unwrap();
            });
            let tid = from_thread.recv().unwrap();
            sigmask(SIG_BLOCK, bit(SIGUSR1));
            assert_eq!(kill(getpid(), SIGUSR1), 0);
            wait_handled(1);
            assert_eq!(SEEN_TID.load(Ordering::SeqCst), tid);
            to_thread.send(()).unwrap();
            t.join().unwrap();
            // Blocked by every thread left: pending until this one unblocks.
            assert_eq!(kill(getpid(), SIGUSR1), 0);
            assert_eq!(HANDLED.load(Ordering::SeqCst), 1);
            sigmask(SIG_UNBLOCK, bit(SIGUSR1));
            assert_eq!(HANDLED.load(Ordering::SeqCst), 2);
            assert_eq!(SEEN_TID.load(Ordering::SeqCst), gettid());
        })
    });

    suite.check("sigwait-in-thread", || {
        isolated(&[SIGUSR1, SIGUSR2], || {
            thread::spawn(|| {
                sigmask(SIG_BLOCK, bit(SIGUSR1) | bit(SIGUSR2));
                assert_eq!(tgkill(gettid(), SIGUSR1), 0);
                let mut info = Info::new();
                let set = bit(SIGUSR1) | bit(SIGUSR2);
                assert_eq!(sigtimedwait(set, &mut info, 1000), SIGUSR1 as isize);
            })
            .join()
            .unwrap();
        })
    });

    suite.check("sigsuspend", || {
        isolated(&[SIGUSR1], || {
            sigaction(SIGUSR1, record_handler(), SA_SIGINFO);
            sigmask(SIG_BLOCK, bit(SIGUSR1));
            // The helper inherits the blocked mask, so only the suspended
            // thread can take the signal.
            let pid = getpid();
            let t = thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                kill(pid, SIGUSR1)
            });
            let empty = 0u64;
            let r = s(nr::RT_SIGSUSPEND, &[&empty as *const u64 as usize, 8]);
            assert_eq!(r, -EINTR);
            assert_eq!(HANDLED.load(Ordering::SeqCst), 1);
            assert_ne!(current_mask() & bit(SIGUSR1), 0, "mask restored");
            assert_eq!(t.join().unwrap(), 0);
        })
    });

    for (name, flags, expect_eintr) in [
        ("read-eintr-without-sa-restart", 0, true),
        ("read-restarts-with-sa-restart", SA_RESTART, false),
    ] {
        suite.check(name, || {
            isolated(&[SIGUSR1], || {
                sigaction(SIGUSR1, record_handler(), SA_SIGINFO | flags);
                let mut fds = [0i32; 2];
                assert_eq!(s(nr::PIPE2, &[fds.as_mut_ptr() as usize, 0]), 0);
                let me = gettid();
                let pid = getpid();
                let wfd = fds[1] as usize;
                let t = thread::spawn(move || {
                    sigmask(SIG_BLOCK, bit(SIGUSR1));
                    thread::sleep(Duration::from_millis(50));
                    assert_eq!(s(nr::TGKILL, &[pid, me, SIGUSR1 as usize]), 0);
                    thread::sleep(Duration::from_millis(100));
                    s(nr::WRITE, &[wfd, b"x".as_ptr() as usize, 1]);
                });
                let mut b = [0u8; 1];
                let r = s(nr::READ, &[fds[0] as usize, b.as_mut_ptr() as usize, 1]);
                t.join().unwrap();
                assert_eq!(HANDLED.load(Ordering::SeqCst), 1);
                if expect_eintr {
                    assert_eq!(r, -EINTR);
                } else {
                    assert_eq!((r, b[0]), (1, b'x'));
                }
                s(nr::CLOSE, &[fds[0] as usize]);
                s(nr::CLOSE, &[fds[1] as usize]);
            })
        });
    }

    suite.check("sigaltstack", || {
        isolated(&[SIGUSR2], || {
            // std may have set one (its stack-overflow guard): kept aside.
            let mut orig = [0u64; 3];
            assert_eq!(s(nr::SIGALTSTACK, &[0, orig.as_mut_ptr() as usize]), 0);
            let mut st = [0u64; 3];
            let stack = vec![0u8; 64 * 1024];
            let small = [stack.as_ptr() as u64, 0, 1024];
            assert_eq!(s(nr::SIGALTSTACK, &[small.as_ptr() as usize, 0]), -ENOMEM);
            let bad = [stack.as_ptr() as u64, 0x40, stack.len() as u64];
            assert_eq!(s(nr::SIGALTSTACK, &[bad.as_ptr() as usize, 0]), -EINVAL);
            let alt = [stack.as_ptr() as u64, 0, stack.len() as u64];
            assert_eq!(s(nr::SIGALTSTACK, &[alt.as_ptr() as usize, 0]), 0);
            assert_eq!(s(nr::SIGALTSTACK, &[0, st.as_mut_ptr() as usize]), 0);
            assert_eq!(st, [alt[0], 0, alt[2]]);
            let range = stack.as_ptr() as usize..stack.as_ptr() as usize + stack.len();
            // Without SA_ONSTACK the handler stays on the thread's stack.
            sigaction(SIGUSR2, record_handler(), SA_SIGINFO);
            assert_eq!(tgkill(gettid(), SIGUSR2), 0);
            assert!(!range.contains(&SEEN_SP.load(Ordering::SeqCst)));
            assert_eq!(SEEN_ALT_FLAGS.load(Ordering::SeqCst), 0);
            sigaction(SIGUSR2, record_handler(), SA_SIGINFO | SA_ONSTACK);
            assert_eq!(tgkill(gettid(), SIGUSR2), 0);
            assert!(range.contains(&SEEN_SP.load(Ordering::SeqCst)));
            assert_eq!(SEEN_ALT_FLAGS.load(Ordering::SeqCst), SS_ONSTACK);
            let off = [0u64, SS_DISABLE as u64, 0];
            assert_eq!(
                s(
                    nr::SIGALTSTACK,
                    &[off.as_ptr() as usize, st.as_mut_ptr() as usize]
                ),
                0
            );
            assert_eq!(st, [alt[0], 0, alt[2]]);
            assert_eq!(s(nr::SIGALTSTACK, &[0, st.as_mut_ptr() as usize]), 0);
            assert_eq!(st[1] as i32, SS_DISABLE);
            if orig[1] as i32 != SS_DISABLE {
                assert_eq!(s(nr::SIGALTSTACK, &[orig.as_ptr() as usize, 0]), 0);
            }
            drop(stack);
        })
    });

    suite.check("fork-clears-pending-exec-keeps-mask-and-pending", || {
        isolated(&[SIGUSR1, SIGUSR2, SIGHUP], || {
            let exe = std::ffi::CString::new(
                std::env::current_exe()
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes(),
            )
            .unwrap();
            let a1 = c"conf-signal";
            let a2 = c"child";
            let a3 = c"exec-check";
            let argv = [a1.as_ptr(), a2.as_ptr(), a3.as_ptr(), std::ptr::null()];
            let envp = [std::ptr::null::<std::ffi::c_char>()];
            sigaction(SIGUSR2, record_handler(), SA_SIGINFO);
            sigaction(SIGHUP, SIG_IGN as usize, 0);
            sigmask(SIG_BLOCK, bit(SIGUSR1));
            assert_eq!(kill(getpid(), SIGUSR1), 0);
            let pid = s(nr::FORK, &[]);
            if pid == 0 {
                // The child: raw calls only.
                let mut set = 0u64;
                s(nr::RT_SIGPENDING, &[&mut set as *mut u64 as usize, 8]);
                if set & bit(SIGUSR1) != 0 {
                    s(nr::EXIT_GROUP, &[40]);
                }
                s(nr::KILL, &[s(nr::GETPID, &[]) as usize, SIGUSR1 as usize]);
                s(
                    nr::EXECVE,
                    &[
                        exe.as_ptr() as usize,
                        argv.as_ptr() as usize,
                        envp.as_ptr() as usize,
                    ],
                );
                s(nr::EXIT_GROUP, &[41]);
            }
            assert!(pid > 0);
            let mut status = 0i32;
            let r = s(
                nr::WAIT4,
                &[pid as usize, &mut status as *mut i32 as usize, 0, 0],
            );
            assert_eq!(r, pid);
            assert_eq!(status & 0x7f, 0, "child killed by a signal: {status:#x}");
            assert_eq!((status >> 8) & 0xff, 0, "exec-check failures (bits)");
            // The parent's own instance is still pending.
            assert_ne!(sigpending() & bit(SIGUSR1), 0);
        })
    });

    suite.check("alarm-taken-by-sigwait", || {
        isolated(&[SIGALRM], || {
            // As nix's alarm example: a handler, SIGALRM not blocked, sigwait.
            sigaction(SIGALRM, record_handler(), SA_SIGINFO | SA_RESTART);
            let start = Instant::now();
            assert_eq!(s(nr::ALARM, &[1]), 0);
            let mut info = Info::new();
            assert_eq!(
                sigtimedwait(bit(SIGALRM), &mut info, 5000),
                SIGALRM as isize
            );
            assert!(start.elapsed() >= Duration::from_millis(990));
            assert_eq!(info.code(), SI_KERNEL);
            assert_eq!(HANDLED.load(Ordering::SeqCst), 0, "sigwait took it");
        })
    });

    suite.check("signalfd", || {
        isolated(&[SIGUSR2, SIGRT], || {
            const O_NONBLOCK: usize = 0o4000;
            const O_CLOEXEC: usize = 0o2000000;
            sigmask(SIG_BLOCK, bit(SIGUSR2) | bit(SIGRT));
            let set = bit(SIGUSR2);
            let setp = &set as *const u64 as usize;
            assert_eq!(s(nr::SIGNALFD4, &[usize::MAX, setp, 4, 0]), -EINVAL);
            let fd = s(
                nr::SIGNALFD4,
                &[usize::MAX, setp, 8, O_NONBLOCK | O_CLOEXEC],
            );
            assert!(fd >= 0, "signalfd4: {fd}");
            let fd = fd as usize;
            let mut rec = [0u8; 256];
            let read = |buf: &mut [u8]| s(nr::READ, &[fd, buf.as_mut_ptr() as usize, buf.len()]);
            assert_eq!(read(&mut rec), -EAGAIN);
            assert_eq!(tgkill(gettid(), SIGUSR2), 0);
            assert_eq!(read(&mut rec[..64]), -EINVAL);
            assert_eq!(read(&mut rec), 128);
            let u32_at =
                |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
            assert_eq!(u32_at(&rec, 0), SIGUSR2 as u32);
            assert_eq!(u32_at(&rec, 8) as i32, SI_TKILL);
            assert_eq!(u32_at(&rec, 12) as usize, getpid());
            assert_eq!(sigpending() & bit(SIGUSR2), 0);
            // A new mask through the same fd; a queued value comes back.
            let both = bit(SIGUSR2) | bit(SIGRT);
            let bothp = &both as *const u64 as usize;
            assert_eq!(s(nr::SIGNALFD4, &[fd, bothp, 8, 0]), fd as isize);
            assert_eq!(sigqueue(getpid(), 0, SIGRT, SI_QUEUE, 0x55), 0);
            assert_eq!(read(&mut rec), 128);
            assert_eq!(u32_at(&rec, 0), SIGRT as u32);
            assert_eq!(u32_at(&rec, 44), 0x55);
            // A blocking read waits for a signal another thread sends.
            let bfd = s(nr::SIGNALFD4, &[usize::MAX, setp, 8, 0]) as usize;
            let pid = getpid();
            let t = thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                kill(pid, SIGUSR2)
            });
            let r = s(nr::READ, &[bfd, rec.as_mut_ptr() as usize, rec.len()]);
            assert_eq!((r, u32_at(&rec, 0)), (128, SIGUSR2 as u32));
            assert_eq!(u32_at(&rec, 8) as i32, SI_USER);
            assert_eq!(t.join().unwrap(), 0);
            s(nr::CLOSE, &[fd]);
            s(nr::CLOSE, &[bfd]);
        })
    });

    suite.check("prctl", || {
        let mut name = [0u8; 16];
        assert_eq!(
            s(
                nr::PRCTL,
                &[PR_SET_NAME as usize, c"conf-sig-name".as_ptr() as usize]
            ),
            0
        );
        assert_eq!(
            s(
                nr::PRCTL,
                &[PR_GET_NAME as usize, name.as_mut_ptr() as usize]
            ),
            0
        );
        assert_eq!(&name[..14], b"conf-sig-name\0");
        // Names are per thread; a new thread starts with its creator's.
        thread::spawn(|| {
            let mut other = [0u8; 16];
            assert_eq!(
                s(
                    nr::PRCTL,
                    &[PR_GET_NAME as usize, other.as_mut_ptr() as usize]
                ),
                0
            );
            assert_eq!(&other[..14], b"conf-sig-name\0");
            assert_eq!(
                s(
                    nr::PRCTL,
                    &[PR_SET_NAME as usize, c"other".as_ptr() as usize]
                ),
                0
            );
        })
        .join()
        .unwrap();
        assert_eq!(
            s(
                nr::PRCTL,
                &[PR_GET_NAME as usize, name.as_mut_ptr() as usize]
            ),
            0
        );
        assert_eq!(&name[..14], b"conf-sig-name\0");
        let get = |opt: u64| -> i32 {
            let mut v = -1i32;
            assert_eq!(
                s(nr::PRCTL, &[opt as usize, &mut v as *mut i32 as usize]),
                0
            );
            v
        };
        assert_eq!(
            s(nr::PRCTL, &[PR_SET_PDEATHSIG as usize, SIGUSR2 as usize]),
            0
        );
        assert_eq!(get(PR_GET_PDEATHSIG), SIGUSR2);
        assert_eq!(s(nr::PRCTL, &[PR_SET_PDEATHSIG as usize, 65]), -EINVAL);
        assert_eq!(s(nr::PRCTL, &[PR_SET_PDEATHSIG as usize, 0]), 0);
        assert_eq!(get(PR_GET_PDEATHSIG), 0);
        assert_eq!(s(nr::PRCTL, &[PR_SET_CHILD_SUBREAPER as usize, 1]), 0);
        assert_eq!(get(PR_GET_CHILD_SUBREAPER), 1);
        assert_eq!(s(nr::PRCTL, &[PR_SET_CHILD_SUBREAPER as usize, 0]), 0);
        assert_eq!(get(PR_GET_CHILD_SUBREAPER), 0);
        let dumpable = s(nr::PRCTL, &[PR_GET_DUMPABLE as usize]);
        assert_eq!(s(nr::PRCTL, &[PR_SET_DUMPABLE as usize, 0]), 0);
        assert_eq!(s(nr::PRCTL, &[PR_GET_DUMPABLE as usize]), 0);
        assert_eq!(s(nr::PRCTL, &[PR_SET_DUMPABLE as usize, 2]), -EINVAL);
        assert_eq!(
            s(nr::PRCTL, &[PR_SET_DUMPABLE as usize, dumpable as usize]),
            0
        );
        assert_eq!(s(nr::PRCTL, &[PR_GET_DUMPABLE as usize]), dumpable);
        let keep = s(nr::PRCTL, &[PR_GET_KEEPCAPS as usize]);
        assert_eq!(s(nr::PRCTL, &[PR_SET_KEEPCAPS as usize, 1]), 0);
        assert_eq!(s(nr::PRCTL, &[PR_GET_KEEPCAPS as usize]), 1);
        assert_eq!(s(nr::PRCTL, &[PR_SET_KEEPCAPS as usize, 2]), -EINVAL);
        assert_eq!(s(nr::PRCTL, &[PR_SET_KEEPCAPS as usize, keep as usize]), 0);
        let slack = s(nr::PRCTL, &[PR_GET_TIMERSLACK as usize]);
        assert!(slack > 0);
        assert_eq!(s(nr::PRCTL, &[PR_SET_TIMERSLACK as usize, 123_456]), 0);
        assert_eq!(s(nr::PRCTL, &[PR_GET_TIMERSLACK as usize]), 123_456);
        assert_eq!(
            s(nr::PRCTL, &[PR_SET_TIMERSLACK as usize, slack as usize]),
            0
        );
        assert_eq!(
            s(nr::PRCTL, &[PR_SET_NO_NEW_PRIVS as usize, 0, 0, 0, 0]),
            -EINVAL
        );
        assert_eq!(s(nr::PRCTL, &[PR_SET_NO_NEW_PRIVS as usize, 1, 0, 0, 0]), 0);
        assert_eq!(s(nr::PRCTL, &[PR_GET_NO_NEW_PRIVS as usize, 0, 0, 0, 0]), 1);
        let mut old = 0u64;
        assert_eq!(
            s(
                nr::PRCTL,
                &[PR_GET_TID_ADDRESS as usize, &mut old as *mut u64 as usize]
            ),
            0
        );
        let mut word = 0u32;
        assert_eq!(
            s(nr::SET_TID_ADDRESS, &[&mut word as *mut u32 as usize]),
            gettid() as isize
        );
        let mut now = 0u64;
        assert_eq!(
            s(
                nr::PRCTL,
                &[PR_GET_TID_ADDRESS as usize, &mut now as *mut u64 as usize]
            ),
            0
        );
        assert_eq!(now, &mut word as *mut u32 as u64);
        s(nr::SET_TID_ADDRESS, &[old as usize]);
        assert_eq!(s(nr::PRCTL, &[0x7fff_fff0]), -EINVAL);
    });

    suite.done();
}
