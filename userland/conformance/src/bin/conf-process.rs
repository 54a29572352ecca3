//! Processes: spawn, wait, waitid, exit codes, pipes both ways, environment and
//! working directory of children. The program re-runs itself as the child
//! (`conf-process child <role> …`), so no other binary is needed.
#[path = "conf-process/pidfd.rs"]
mod pidfd;

use conformance::raw::sys;
use conformance::Suite;
use std::io::{Read, Write};
use std::process::{self, Command, Stdio};

fn child(role: &str, rest: &[String]) -> ! {
    match role {
        "exit" => process::exit(rest[0].parse().expect("exit code")),
        "echo-args" => println!("{}", rest.join("|")),
        "upper" => {
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input).unwrap();
            print!("{}", input.to_uppercase());
        }
        "env" => println!(
            "{}",
            std::env::var(&rest[0]).unwrap_or_else(|_| "<unset>".into())
        ),
        "cwd" => println!("{}", std::env::current_dir().unwrap().display()),
        "stderr" => eprint!("to stderr"),
        "groups" => print!("{}", sys(115, [0; 6])),
        "grandchild" => {
            let me = std::env::current_exe().unwrap();
            let status = Command::new(me)
                .args(["child", "exit", "9"])
                .status()
                .unwrap();
            process::exit(status.code().unwrap() + 1);
        }
        _ => panic!("unknown child role {role}"),
    }
    process::exit(0)
}

fn me() -> Command {
    Command::new(std::env::current_exe().expect("current_exe"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        child(&args[2], &args[3..]);
    }
    let mut suite = Suite::new("process");
    suite.check("id", || assert!(process::id() > 0));
    suite.check("exit-codes", || {
        for code in [0, 1, 42, 255] {
            let status = me()
                .args(["child", "exit", &code.to_string()])
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(code), "child exit {code}");
            assert_eq!(status.success(), code == 0);
        }
    });
    suite.check("args-to-child", || {
        let out = me()
            .args(["child", "echo-args", "a b", "", "ü"])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "a b||ü\n");
    });
    suite.check("pipe-to-and-from-child", || {
        let mut child = me()
            .args(["child", "upper"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"through a pipe\n")
            .unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert!(child.wait().unwrap().success());
        assert_eq!(out, "THROUGH A PIPE\n");
    });
    suite.check("large-pipe", || {
        let input = "x".repeat(256 * 1024);
        let mut child = me()
            .args(["child", "upper"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert_eq!(out.stdout.len(), 256 * 1024);
        assert!(out.stdout.iter().all(|&b| b == b'X'));
    });
    suite.check("stderr-captured", || {
        let out = me().args(["child", "stderr"]).output().unwrap();
        assert_eq!(out.stderr, b"to stderr");
        assert!(out.stdout.is_empty());
    });
    suite.check("env-to-child", || {
        let out = me()
            .args(["child", "env", "CONF_CHILD_VAR"])
            .env("CONF_CHILD_VAR", "given")
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "given\n");
        let out = me()
            .args(["child", "env", "PATH"])
            .env_clear()
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "<unset>\n");
    });
    suite.check("cwd-of-child", || {
        let out = me()
            .args(["child", "cwd"])
            .current_dir("/")
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "/\n");
    });
    suite.check("grandchild", || {
        let status = me().args(["child", "grandchild"]).status().unwrap();
        assert_eq!(status.code(), Some(10));
    });
    suite.check("spawn-missing", || {
        let err = Command::new("/no/such/program").spawn().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    });
    suite.check("kill-and-try-wait", || {
        let mut child = me()
            .args(["child", "upper"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(
            child.try_wait().unwrap().is_none(),
            "still waiting for stdin"
        );
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success());
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9));
    });
    suite.check("brk-grows-around-a-guard-page", || {
        // musl's malloc maps a PROT_NONE guard page at the start of its brk
        // heap and then grows the heap a page at a time; growing must add
        // pages above the old top and leave the guard alone.
        use std::os::veridian::syscall::{nr, syscall1, syscall6};
        const PAGE: usize = 4096;
        const PROT_NONE: usize = 0;
        const MAP_PRIVATE_ANON_FIXED: usize = 0x02 | 0x20 | 0x10;
        // SAFETY: brk only moves this process's heap top upwards (never below
        // what malloc uses), and the pages written are the ones just added.
        unsafe {
            let base = syscall1(nr::BRK, 0) as usize;
            let base = (base + PAGE - 1) & !(PAGE - 1);
            assert_eq!(syscall1(nr::BRK, base + 2 * PAGE) as usize, base + 2 * PAGE);
            let guard = syscall6(
                nr::MMAP,
                base,
                PAGE,
                PROT_NONE,
                MAP_PRIVATE_ANON_FIXED,
                usize::MAX,
                0,
            );
            assert_eq!(guard as usize, base, "guard page mapped in the heap");
            ((base + PAGE) as *mut u64).write_volatile(7);
            assert_eq!(syscall1(nr::BRK, base + 5 * PAGE) as usize, base + 5 * PAGE);
            ((base + 4 * PAGE + 16) as *mut u64).write_volatile(9);
            assert_eq!(
                ((base + PAGE) as *const u64).read_volatile(),
                7,
                "old heap pages keep their contents"
            );
            assert_eq!(
                syscall1(nr::BRK, base + 3 * PAGE) as usize,
                base + 3 * PAGE,
                "shrink"
            );
            assert_eq!(
                syscall1(nr::BRK, base + 5 * PAGE) as usize,
                base + 5 * PAGE,
                "grow again"
            );
            assert_eq!(
                ((base + 4 * PAGE + 16) as *const u64).read_volatile(),
                0,
                "regrown pages are fresh"
            );
        }
    });
    suite.check("waitid", waitid_checks);
    suite.check("pidfd", || pidfd::checks(me));
    suite.check("ids-and-groups", ids_and_groups);
    suite.done();
}

const P_ALL: usize = 0;
const P_PID: usize = 1;
const P_PGID: usize = 2;
const P_PIDFD: usize = 3;
const WNOHANG: usize = 1;
const WSTOPPED: usize = 2;
const WEXITED: usize = 4;
const WNOWAIT: usize = 0x0100_0000;
const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;
const SIGCHLD: i32 = 17;

/// waitid into a `siginfo_t` filled with -1 first; returns the result and
/// (si_signo, si_errno, si_code, si_pid, si_uid, si_status).
fn waitid(idtype: usize, id: i32, options: usize) -> (isize, (i32, i32, i32, i32, i32, i32)) {
    let mut si = [-1i32; 32];
    let r = sys(
        247,
        [idtype, id as usize, si.as_mut_ptr() as usize, options, 0, 0],
    );
    (r, (si[0], si[1], si[2], si[4], si[5], si[6]))
}

fn waitid_checks() {
    const EINVAL: isize = 22;
    const EBADF: isize = 9;
    const ECHILD: isize = 10;
    const EFAULT: isize = 14;
    let uid = sys(102, [0; 6]) as i32;
    // An exit, first reported with WNOWAIT: the child stays waitable.
    let child = me().args(["child", "exit", "7"]).spawn().unwrap();
    let pid = child.id() as i32;
    assert_eq!(
        waitid(P_PID, pid, WEXITED | WNOWAIT),
        (0, (SIGCHLD, 0, CLD_EXITED, pid, uid, 7))
    );
    // Without WEXITED a zombie is nothing to wait for.
    assert_eq!(
        waitid(P_PID, pid, WSTOPPED | WNOHANG),
        (-ECHILD, (0, 0, 0, 0, 0, 0))
    );
    // Reported again and reaped, with an rusage buffer.
    let mut si = [-1i32; 32];
    let mut ru = [0u64; 18];
    let r = sys(
        247,
        [
            P_ALL,
            0,
            si.as_mut_ptr() as usize,
            WEXITED,
            ru.as_mut_ptr() as usize,
            0,
        ],
    );
    assert_eq!(
        (r, si[0], si[2], si[4], si[6]),
        (0, SIGCHLD, CLD_EXITED, pid, 7)
    );
    // Gone now; as on Linux, the siginfo fields are zeroed on an error too.
    assert_eq!(
        waitid(P_PID, pid, WEXITED | WNOHANG),
        (-ECHILD, (0, 0, 0, 0, 0, 0))
    );
    drop(child);
    // A running child: WNOHANG reports nothing. Killed by SIGTERM: CLD_KILLED.
    // It is reaped by the raw waitid(P_PGID) below, which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    let mut child = me()
        .args(["child", "upper"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    assert_eq!(
        waitid(P_PID, pid, WEXITED | WNOHANG),
        (0, (0, 0, 0, 0, 0, 0))
    );
    assert_eq!(sys(62, [pid as usize, 15, 0, 0, 0, 0]), 0);
    assert_eq!(
        waitid(P_PGID, 0, WEXITED),
        (0, (SIGCHLD, 0, CLD_KILLED, pid, uid, 15))
    );
    drop(child.stdin.take());
    // Bad calls, and no children left.
    assert_eq!(
        waitid(P_ALL, 0, WNOHANG).0,
        -EINVAL,
        "none of WEXITED/WSTOPPED/WCONTINUED"
    );
    assert_eq!(
        waitid(P_ALL, 0, WEXITED | 0x40).0,
        -EINVAL,
        "unknown option"
    );
    assert_eq!(waitid(7, 0, WEXITED).0, -EINVAL, "unknown idtype");
    assert_eq!(waitid(P_PID, 0, WEXITED).0, -EINVAL);
    assert_eq!(waitid(P_PGID, -1, WEXITED).0, -EINVAL);
    assert_eq!(waitid(P_PIDFD, -1, WEXITED).0, -EINVAL);
    assert_eq!(
        waitid(P_PIDFD, 2, WEXITED).0,
        -EBADF,
        "stderr is not a pidfd"
    );
    assert_eq!(waitid(P_PIDFD, 999, WEXITED).0, -EBADF, "a closed fd");
    assert_eq!(
        sys(247, [P_ALL, 0, 8, WEXITED | WNOHANG, 0, 0]),
        -EFAULT,
        "bad infop"
    );
    assert_eq!(waitid(P_ALL, 0, WEXITED).0, -ECHILD);
}

/// getresuid/getresgid (root everywhere this runs) and the supplementary
/// groups. setgroups needs CAP_SETGID: where a host withholds it (EPERM),
/// only the reading half is checked.
fn ids_and_groups() {
    const EINVAL: isize = 22;
    const EPERM: isize = 1;
    let mut ids = [7u32; 3];
    let [r, e, s] = ids.each_mut().map(|p| p as *mut u32 as usize);
    assert_eq!(sys(118, [r, e, s, 0, 0, 0]), 0, "getresuid");
    let uid = sys(102, [0; 6]) as u32;
    assert_eq!(ids, [uid; 3]);
    let [r, e, s] = ids.each_mut().map(|p| p as *mut u32 as usize);
    assert_eq!(sys(120, [r, e, s, 0, 0, 0]), 0, "getresgid");
    assert_eq!(sys(118, [8, e, s, 0, 0, 0]), -14, "EFAULT");
    let before = sys(115, [0; 6]);
    assert!(before >= 0, "getgroups(0): {before}");
    let want = [5u32, 70000, 5];
    match sys(116, [3, want.as_ptr() as usize, 0, 0, 0, 0]) {
        0 => {
            assert_eq!(sys(115, [0; 6]), 3);
            let mut got = [0u32; 4];
            let p = got.as_mut_ptr() as usize;
            assert_eq!(sys(115, [2, p, 0, 0, 0, 0]), -EINVAL, "too small");
            assert_eq!(sys(115, [4, p, 0, 0, 0, 0]), 3);
            // Linux keeps them sorted (duplicates stay).
            assert_eq!(&got[..3], &[5, 5, 70000]);
            // A child inherits them.
            let out = me().args(["child", "groups"]).output().unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), "3");
            assert_eq!(sys(116, [0, 0, 0, 0, 0, 0]), 0, "none");
            assert_eq!(sys(115, [0; 6]), 0);
        }
        r => assert_eq!(r, -EPERM, "setgroups"),
    }
    assert_eq!(sys(116, [usize::MAX, 0, 0, 0, 0, 0]), -EINVAL, "negative");
}
