//! A hostile program: what a kernel must survive. Each check provokes the
//! kernel and asserts it answered with an error or by killing only the
//! offender. Resource exhaustion (forking until refused, allocating until
//! memory runs out) runs only inside VeridianOS; on another host it is
//! bounded so the check cannot harm the machine.
//!
//! `hostile --crash MODE` runs one child mode: null, wild-jump,
//! stack-overflow, wait-stdin, eat-memory, or hang (for harness timeouts).

use conformance::Suite;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::os::veridian::syscall::{
    decode, errno, nr, syscall1, syscall2, syscall3, syscall4, syscall6,
};
use std::process::{Command, Stdio};

/// Addresses no user program may touch: unmapped low memory, a non-canonical
/// address, and the kernel half.
const BAD_POINTERS: [usize; 3] = [0x10, 0x0000_8000_0000_0000, 0xffff_ffff_8000_0000];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--crash" {
        crash(&args[2]);
    }
    let inside_veridian = uname_sysname() == "VeridianOS";
    let mut suite = Suite::new("hostile");

    // std reports a stack overflow and aborts when it can run its SIGSEGV
    // handler; a kernel that does not deliver handlers kills with SIGSEGV.
    let segv: &[i32] = &[libc_sig::SIGSEGV];
    let overflow: &[i32] = &[libc_sig::SIGSEGV, libc_sig::SIGABRT];
    for (mode, signals) in [
        ("null", segv),
        ("wild-jump", segv),
        ("stack-overflow", overflow),
    ] {
        suite.check(&format!("crash-{mode}-kills-only-the-child"), || {
            let status = Command::new(std::env::current_exe().unwrap())
                .args(["--crash", mode])
                .stderr(Stdio::null())
                .status()
                .expect("spawn crashing child");
            assert!(
                status.signal().is_some_and(|s| signals.contains(&s)),
                "{mode}: {status:?}"
            );
        });
    }

    suite.check("bad-pointers-give-efault", || {
        use std::os::fd::AsRawFd;
        let zero = std::fs::File::open("/dev/zero").expect("open /dev/zero");
        let zero_fd = zero.as_raw_fd() as usize;
        for &p in &BAD_POINTERS {
            // SAFETY: every call passes a bad pointer on purpose; the kernel
            // must refuse it with EFAULT instead of touching it.
            unsafe {
                assert_eq!(
                    decode(syscall3(nr::WRITE, 1, p, 16)),
                    Err(errno::EFAULT),
                    "write from {p:#x}"
                );
                assert_eq!(
                    decode(syscall3(nr::READ, zero_fd, p, 16)),
                    Err(errno::EFAULT),
                    "read into {p:#x}"
                );
                assert_eq!(
                    decode(syscall4(nr::OPENAT, -100isize as usize, p, 0, 0)),
                    Err(errno::EFAULT),
                    "openat path {p:#x}"
                );
                assert_eq!(
                    decode(syscall2(nr::CLOCK_GETTIME, 1, p)),
                    Err(errno::EFAULT),
                    "clock_gettime into {p:#x}"
                );
                assert_eq!(
                    decode(syscall1(nr::UNAME, p)),
                    Err(errno::EFAULT),
                    "uname into {p:#x}"
                );
                assert_eq!(
                    decode(syscall3(nr::EXECVE, p, 0, 0)),
                    Err(errno::EFAULT),
                    "execve path {p:#x}"
                );
            }
        }
    });

    suite.check("garbage-arguments-give-errors", || {
        // SAFETY: invalid descriptors, lengths and numbers; nothing is dereferenced.
        unsafe {
            assert_eq!(
                decode(syscall3(nr::WRITE, 123_456, 0, 0)),
                Err(errno::EBADF)
            );
            let r = decode(syscall3(nr::LSEEK, 1, 0, 99));
            assert!(
                matches!(r, Err(errno::EINVAL) | Err(errno::ESPIPE)),
                "lseek whence 99: {r:?}"
            );
            assert_eq!(
                decode(std::os::veridian::syscall::syscall0(100_000)),
                Err(errno::ENOSYS)
            );
            let huge = usize::MAX / 2;
            let r = decode(syscall6(nr::MMAP, 0, huge, 3, 0x22, usize::MAX, 0));
            assert!(r.is_err(), "mmap of {huge:#x} bytes succeeded");
        }
    });

    suite.check("fork-until-refused", || {
        // Children wait on a pipe; the parent forks until the kernel says no
        // (or, outside VeridianOS, a bounded number), then releases them.
        let limit = if inside_veridian { usize::MAX } else { 200 };
        let mut children = Vec::new();
        let mut refused = None;
        while children.len() < limit {
            match Command::new(std::env::current_exe().unwrap())
                .args(["--crash", "wait-stdin"])
                .stdin(Stdio::piped())
                .spawn()
            {
                Ok(child) => children.push(child),
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        if inside_veridian {
            let e = refused.as_ref().expect("the kernel never refused a fork");
            let code = e.raw_os_error();
            assert!(
                matches!(code, Some(errno::EAGAIN) | Some(errno::ENOMEM)),
                "refused with {e}"
            );
        }
        let spawned = children.len();
        for mut c in children {
            drop(c.stdin.take());
            let status = c.wait().expect("reap child");
            assert!(status.success(), "released child: {status:?}");
        }
        assert!(spawned > 0);
        println!("hostile: {spawned} children before refusal ({refused:?})");
    });

    if inside_veridian {
        suite.check("allocate-until-memory-runs-out", || {
            let status = Command::new(std::env::current_exe().unwrap())
                .args(["--crash", "eat-memory"])
                .status()
                .expect("spawn memory eater");
            // Either mmap failed and the child said so (exit 0), or the kernel
            // killed it when a page could not be supplied.
            assert!(
                status.success()
                    || status.signal() == Some(libc_sig::SIGKILL)
                    || status.signal() == Some(libc_sig::SIGSEGV),
                "{status:?}"
            );
        });
    }
    // Far more sockets than the kernel's socket limit (4096) and buffer
    // budget (a listener holds ~256 KiB) allow at once: a leak of either
    // makes a later bind fail (EMFILE/ENOBUFS).
    suite.check("socket-churn-does-not-leak", || {
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream, UdpSocket};
        for i in 0..5000 {
            let l =
                TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("listener {i}: {e}"));
            let u = UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("udp {i}: {e}"));
            drop((l, u));
        }
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        for i in 0..200 {
            let mut c = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {i}: {e}"));
            let (mut s, _) = l.accept().unwrap();
            c.write_all(b"x").unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).unwrap();
            drop((c, s));
        }
    });
    // Named AF_UNIX sockets: garbage addresses give errors, and names,
    // socket nodes and connections come and go without leaking.
    suite.check("unix-names-garbage-and-churn", || {
        use std::io::{Read, Write};
        use std::os::fd::AsRawFd;
        use std::os::unix::net::{UnixListener, UnixStream};
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let dir = conformance::scratch_dir("hostile-unix");
        let l = UnixListener::bind(dir.join("l")).unwrap();
        let fd = l.as_raw_fd() as usize;
        for _ in 0..2000 {
            let mut a = [0u8; 200];
            a.iter_mut().for_each(|b| *b = next() as u8);
            a[0] = 1;
            a[1] = 0;
            if next() % 2 == 0 {
                a[2] = 0; // abstract
            }
            let len = (next() % 200) as usize;
            let nr_ = if next() % 2 == 0 {
                nr::BIND
            } else {
                nr::CONNECT
            };
            // SAFETY: `a` is valid for 200 bytes; the kernel reads at most `len`.
            let r = unsafe { decode(syscall3(nr_, fd, a.as_ptr() as usize, len)) };
            if let Ok(v) = r {
                assert_eq!(v, 0);
            }
        }
        let path = dir.join("churn");
        for i in 0..1500 {
            let l = UnixListener::bind(&path).unwrap_or_else(|e| panic!("bind {i}: {e}"));
            let mut c = UnixStream::connect(&path).unwrap();
            let (mut s, _) = l.accept().unwrap();
            c.write_all(b"x").unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).unwrap();
            drop((l, c, s));
            std::fs::remove_file(&path).unwrap();
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
    elf_checks(&mut suite, inside_veridian);
    suite.done();
}

/// Writes `bytes` as an executable file `name` in `dir`; returns its path.
fn write_program(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write program");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.to_str().expect("UTF-8 path").to_string()
}

/// The errno of a failed spawn of `path`, or its exit code.
fn run_program(path: &str) -> Result<i32, i32> {
    match Command::new(path).status() {
        Ok(st) => Ok(st.code().unwrap_or(-1)),
        Err(e) => Err(e.raw_os_error().unwrap_or(-1)),
    }
}

/// Executables with a damaged or hostile `PT_INTERP` or layout: refused with
/// Linux's errno (ENOENT for a missing interpreter, ELIBBAD for one that is
/// not ELF, EIO for one shorter than an ELF header, ENOEXEC for a program
/// cut inside its headers) or run as Linux runs them (an interpreter's own
/// `PT_INTERP` is not followed, so a program that names itself exits
/// normally). A segment reaching past the end of its file is refused only
/// inside VeridianOS (Linux maps it and faults on access). `#!` scripts run
/// their interpreter as Linux runs it, and fail with its errno.
fn elf_checks(suite: &mut Suite, inside_veridian: bool) {
    use conformance::tiny_elf;
    let dir = conformance::scratch_dir("hostile-elf");
    suite.check("elf-plain-tiny-program-runs", || {
        let p = write_program(&dir, "plain", &tiny_elf::exit42(None));
        assert_eq!(run_program(&p), Ok(tiny_elf::EXIT_CODE));
    });
    suite.check("elf-missing-interpreter-gives-enoent", || {
        let bytes = tiny_elf::exit42(Some("/nonexistent/ld-veridian-test.so"));
        let p = write_program(&dir, "no-interp", &bytes);
        assert_eq!(run_program(&p), Err(errno::ENOENT));
    });
    suite.check("elf-non-elf-interpreter-gives-elibbad", || {
        let text = write_program(&dir, "text-interp", &[b'#'; 200]);
        let p = write_program(&dir, "bad-interp", &tiny_elf::exit42(Some(&text)));
        assert_eq!(run_program(&p), Err(errno::ELIBBAD));
    });
    suite.check("elf-short-interpreter-gives-eio", || {
        let short = write_program(&dir, "short-interp", b"\x7fELF\x02\x01\x01");
        let p = write_program(&dir, "short", &tiny_elf::exit42(Some(&short)));
        assert_eq!(run_program(&p), Err(errno::EIO));
    });
    suite.check("elf-interpreter-naming-itself-is-not-followed", || {
        let path = dir.join("self-interp");
        let bytes = tiny_elf::exit42(Some(path.to_str().unwrap()));
        let p = write_program(&dir, "self-interp", &bytes);
        assert_eq!(run_program(&p), Ok(tiny_elf::EXIT_CODE));
    });
    suite.check("elf-interpreter-chain-is-not-followed", || {
        // a -> b -> a: only a's interpreter b is loaded, and b runs.
        let (a, b) = (dir.join("chain-a"), dir.join("chain-b"));
        write_program(
            &dir,
            "chain-b",
            &tiny_elf::exit42(Some(a.to_str().unwrap())),
        );
        let p = write_program(
            &dir,
            "chain-a",
            &tiny_elf::exit42(Some(b.to_str().unwrap())),
        );
        assert_eq!(run_program(&p), Ok(tiny_elf::EXIT_CODE));
    });
    suite.check("elf-truncated-headers-give-enoexec", || {
        let p = write_program(&dir, "cut", &tiny_elf::truncated_headers());
        assert_eq!(run_program(&p), Err(errno::ENOEXEC));
    });
    suite.check(
        "script-runs-its-interpreter-with-its-path-and-arguments",
        || {
            let p = dir.join("script-args");
            let body = format!(
                "#!/bin/sh -e\n[ \"$0\" = \"{}\" ] && [ \"$1\" = one ] && exit 9\nexit 1\n",
                p.display()
            );
            let p = write_program(&dir, "script-args", body.as_bytes());
            let st = Command::new(&p).arg("one").status().expect("spawn script");
            assert_eq!(st.code(), Some(9));
        },
    );
    suite.check("script-errors-as-linux", || {
        let none = write_program(&dir, "script-none", b"#!\n");
        assert_eq!(run_program(&none), Err(errno::ENOEXEC));
        let gone = write_program(&dir, "script-gone", b"#!/nonexistent/sh-veridian-test\n");
        assert_eq!(run_program(&gone), Err(errno::ENOENT));
        // a -> b -> a: a loop of interpreters.
        let (a, b) = (dir.join("loop-a"), dir.join("loop-b"));
        write_program(&dir, "loop-b", format!("#!{}\n", a.display()).as_bytes());
        let p = write_program(&dir, "loop-a", format!("#!{}\n", b.display()).as_bytes());
        assert_eq!(run_program(&p), Err(errno::ELOOP));
    });
    if inside_veridian {
        suite.check("elf-truncated-segment-gives-enoexec", || {
            let p = write_program(&dir, "trunc-seg", &tiny_elf::truncated_segment(None));
            assert_eq!(run_program(&p), Err(errno::ENOEXEC));
        });
        suite.check(
            "elf-interpreter-with-truncated-segment-gives-elibbad",
            || {
                let i = write_program(&dir, "trunc-interp", &tiny_elf::truncated_segment(None));
                let p = write_program(&dir, "uses-trunc", &tiny_elf::exit42(Some(&i)));
                assert_eq!(run_program(&p), Err(errno::ELIBBAD));
            },
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Child modes: ways to die, or to hold on.
fn crash(mode: &str) -> ! {
    match mode {
        // SAFETY: these deliberately do what no program should; the kernel
        // must kill only this process.
        "null" => unsafe {
            let p = std::ptr::null_mut::<u64>();
            std::ptr::write_volatile(p, 1);
        },
        // SAFETY: as above: a jump to unmapped memory, which the kernel must
        // turn into SIGSEGV for this process alone.
        "wild-jump" => unsafe {
            let f: extern "C" fn() = std::mem::transmute(0x0000_7fff_dead_0000usize);
            f();
        },
        "stack-overflow" => {
            #[allow(unconditional_recursion)]
            fn recurse(depth: u64, buf: &mut [u8; 4096]) -> u64 {
                let mut local = [depth as u8; 4096];
                std::hint::black_box(&mut local);
                recurse(depth + 1, &mut local) + u64::from(buf[0])
            }
            let mut first = [0u8; 4096];
            std::process::exit(recurse(0, &mut first) as i32);
        }
        "hang" => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        "wait-stdin" => {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
            std::process::exit(0);
        }
        "eat-memory" => {
            let mut held = Vec::new();
            loop {
                // SAFETY: anonymous private mapping; touched below, never freed
                // until exit.
                let addr =
                    unsafe { decode(syscall6(nr::MMAP, 0, 64 << 20, 3, 0x22, usize::MAX, 0)) };
                match addr {
                    Ok(a) => {
                        for page in (0..64 << 20).step_by(4096) {
                            // SAFETY: inside the mapping just made.
                            unsafe { std::ptr::write_volatile((a + page) as *mut u8, 1) };
                        }
                        held.push(a);
                    }
                    Err(e) => {
                        println!(
                            "hostile: mmap refused with errno {e} after {} MiB",
                            held.len() * 64
                        );
                        std::process::exit(0);
                    }
                }
            }
        }
        _ => {}
    }
    eprintln!("hostile: unknown or survived crash mode {mode}");
    std::process::exit(3)
}

fn uname_sysname() -> String {
    let mut buf = [0u8; 390];
    // SAFETY: struct utsname is six 65-byte fields; buf is large enough.
    let r = unsafe { decode(syscall1(nr::UNAME, buf.as_mut_ptr() as usize)) };
    if r.is_err() {
        return String::new();
    }
    let end = buf[..65].iter().position(|&b| b == 0).unwrap_or(65);
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Signal numbers (Linux x86_64).
mod libc_sig {
    pub const SIGABRT: i32 = 6;
    pub const SIGKILL: i32 = 9;
    pub const SIGSEGV: i32 = 11;
}
