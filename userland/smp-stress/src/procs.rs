//! Processes started from several threads at once: std's Command (spawn,
//! exec, wait) and raw fork + execve + wait4, each child this program
//! itself in child mode, its output and exit status checked.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{expect_eq, join_all, Outcome, THREADS};
use crate::sys;

/// Children per thread.
const CHILDREN: usize = 3;
/// A child that has not exited after this long is killed: a failure.
const CHILD_LIMIT: Duration = Duration::from_secs(30);

/// The argument that makes this program a child.
pub const CHILD_FLAG: &str = "--child";

/// Child mode: prints its token and exits with the status derived from it.
pub fn child_main(token: &str) -> i32 {
    match token.parse::<u32>() {
        Ok(n) => {
            println!("smp-stress child {n}");
            status_of(n)
        }
        Err(_) => 2,
    }
}

fn status_of(token: u32) -> i32 {
    (token % 50) as i32 + 3
}

/// Half the threads spawn children with std's Command, half with raw fork.
pub fn spawn_from_threads() -> Outcome {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let handles = (0..THREADS)
        .map(|t| {
            let exe = exe.clone();
            thread::spawn(move || -> Result<(), String> {
                for k in 0..CHILDREN {
                    let token = (t * CHILDREN + k) as u32;
                    if t % 2 == 0 {
                        with_command(&exe, token)?;
                    } else {
                        with_raw_fork(&exe, token)?;
                    }
                }
                Ok(())
            })
        })
        .collect();
    join_all(handles)?;
    Ok(format!(
        "{} children from {THREADS} threads (Command and raw fork/execve/wait4), output and status checked",
        THREADS * CHILDREN
    ))
}

fn with_command(exe: &Path, token: u32) -> Result<(), String> {
    let mut child = Command::new(exe)
        .args([CHILD_FLAG, &token.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", exe.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > CHILD_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("child {token} still running after {CHILD_LIMIT:?}"));
        }
        thread::sleep(Duration::from_millis(5));
    };
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("piped"), &mut out)
        .map_err(|e| e.to_string())?;
    expect_eq(
        &format!("child {token} output"),
        out.as_str(),
        &format!("smp-stress child {token}\n"),
    )?;
    expect_eq(
        &format!("child {token} status"),
        status.code(),
        Some(status_of(token)),
    )
}

/// fork + execve of the quiet child mode (it would share this program's
/// stdout); only the exit status is checked.
fn with_raw_fork(exe: &Path, token: u32) -> Result<(), String> {
    let cstr = |b: &[u8]| CString::new(b).map_err(|e| e.to_string());
    let path = cstr(exe.as_os_str().as_bytes())?;
    let flag = cstr(b"--child-quiet")?;
    let arg = cstr(token.to_string().as_bytes())?;
    let argv = [
        path.as_ptr().cast(),
        flag.as_ptr().cast(),
        arg.as_ptr().cast(),
        std::ptr::null(),
    ];
    let envp = [std::ptr::null()];
    let pid = sys::fork_exec(path.as_ptr().cast(), &argv, &envp)
        .map_err(|e| format!("fork: errno {e}"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = sys::try_wait(pid).map_err(|e| format!("wait4: errno {e}"))? {
            break status;
        }
        if started.elapsed() > CHILD_LIMIT {
            sys::kill(pid);
            let _ = sys::try_wait(pid);
            return Err(format!(
                "forked child {token} still running after {CHILD_LIMIT:?}"
            ));
        }
        thread::sleep(Duration::from_millis(5));
    };
    // WIFEXITED: low 7 bits zero; WEXITSTATUS: the next 8.
    if status & 0x7f != 0 {
        return Err(format!(
            "forked child {token} killed by signal {}",
            status & 0x7f
        ));
    }
    expect_eq(
        &format!("forked child {token} status"),
        (status >> 8) & 0xff,
        status_of(token),
    )
}

/// Child mode without output (for raw forks, which share the parent's stdout).
pub fn quiet_child_main(token: &str) -> i32 {
    token.parse::<u32>().map(status_of).unwrap_or(2)
}
